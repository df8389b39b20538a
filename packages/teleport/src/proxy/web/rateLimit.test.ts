/**
 * The credential endpoints are rate limited per client address before anything reaches auth: with a
 * burst of 2, the third attempt is answered 429 with a message saying how long to wait, while
 * non-credential endpoints (healthz) stay open.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { silentLogger } from '../../utils/logger.ts';
import { createSelfSigned } from '../selfSignedCert.ts';
import { RateLimiter } from './rateLimiter.ts';
import { startWebServer, type WebServer } from './webServer.ts';

let web: WebServer;

before(async () => {
  const pair = await createSelfSigned(['localhost'], new FakeClock(Date.now()));
  // An auth address nothing listens on: requests that pass the limiter fail with 502, which is fine here.
  const authClient = new AuthClient({ addr: '127.0.0.1:1', certPEM: pair.certPEM, keyPEM: pair.keyPEM, caCerts: [pair.certPEM], timeoutMs: 2000 });
  web = await startWebServer({
    ctx: {
      authClient, clusterName: 'example.com', webPublicAddr: 'p:3080', sshPublicAddr: 'p:3023', tunnelPublicAddr: 'p:3024',
      logger: silentLogger, credentialLimiter: new RateLimiter({ burst: 2, perSecond: 0.01 }, new FakeClock()),
    },
    listenAddr: { host: '127.0.0.1', port: 0 },
    ...pair,
  });
});

after(async () => {
  await web.close();
});

function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request({
      host: '127.0.0.1', port: web.address.port, path, method: path.endsWith('healthz') ? 'GET' : 'POST', rejectUnauthorized: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(path.endsWith('healthz') ? undefined : data);
  });
}

describe('credential endpoint rate limit', () => {
  it('answers 429 once a client uses up its burst', async () => {
    const login = { user: 'alice', password: 'x', pub_key: Buffer.from('ssh-ed25519 AAAA').toString('base64') };
    assert.notEqual((await post('/v1/webapi/ssh/certs', login)).status, 429);
    assert.notEqual((await post('/v1/webapi/ssh/certs', login)).status, 429);
    const third = await post('/v1/webapi/ssh/certs', login);
    assert.equal(third.status, 429);
    assert.match(third.text, /too many attempts from .*: wait \d+s and try again/);
    assert.equal((await post('/healthz', {})).status, 200);
  });
});
