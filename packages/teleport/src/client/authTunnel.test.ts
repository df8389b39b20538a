/**
 * The proxy's auth tunnel: a user reaches the auth API through the web port with mutual TLS end to
 * end, so auth sees the user (not the proxy); bad certificates are still refused by auth, and a
 * non-upgrade request to the tunnel path gets a clear HTTP error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { AccessDeniedError, ConnectionProblemError } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import { startTestCluster, type TestCluster } from '../testing/tshCluster.ts';
import { authClientThroughProxy, dialAuthThroughProxy } from './authTunnel.ts';
import { createTLSCA, issueTLSCert } from '../ca/tlsCA.ts';
import { systemClock } from '@teleport-ts/api/clock';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ secondFactor: 'off' });
  await c.addUser('alice', { roles: ['access'] });
});
after(async () => {
  await c.close();
});

async function userCerts(name: string) {
  const kp = generateKeyPair('ecdsa-p256');
  const certs = await c.auth.generateUserCerts(await c.auth.services.users.getUser(name), { tlsPublicKey: publicKeyToPEM(kp.publicKey) });
  return { certPEM: certs.tlsCert, keyPEM: privateKeyToPEM(kp.privateKey), clusterCAs: certs.tlsCACerts };
}

describe('auth tunnel through the proxy', () => {
  it('lets a user call auth as themselves', async () => {
    const api = authClientThroughProxy({ proxyAddr: c.webAddr, insecure: true, ...(await userCerts('alice')) });
    const ping = await api.ping();
    assert.equal(ping.username, 'alice');
    assert.deepEqual(ping.roles, ['access']);
    // Several calls share the tunnelled HTTP/2 connection.
    const [a, b] = await Promise.all([api.ping(), api.getCertAuthorities('host')]);
    assert.equal(a.clusterName, c.clusterName);
    assert.equal(b.length, 1);
  });

  it('turns Nagle off on the tunnel socket (HTTP/2 inside it sends small frames)', async () => {
    const calls: unknown[] = [];
    const original = tls.TLSSocket.prototype.setNoDelay;
    tls.TLSSocket.prototype.setNoDelay = function (this: tls.TLSSocket, noDelay?: boolean) {
      calls.push(noDelay);
      return original.call(this, noDelay);
    };
    try {
      const socket = await dialAuthThroughProxy({ proxyAddr: c.webAddr, insecure: true });
      socket.destroy();
    } finally {
      tls.TLSSocket.prototype.setNoDelay = original;
    }
    assert.deepEqual(calls, [true]);
  });

  it('still has auth refuse a certificate from a foreign CA', async () => {
    const foreign = createTLSCA({ clusterName: 'evil', caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
    const kp = generateKeyPair('ecdsa-p256');
    const certPEM = issueTLSCert({
      caCertPEM: foreign.certPEM, caKeyPEM: foreign.keyPEM, publicKey: kp.publicKey, clock: systemClock,
      identity: { username: 'alice', groups: ['editor'], expires: new Date(Date.now() + 3600_000) }, notAfter: new Date(Date.now() + 3600_000),
    });
    const { clusterCAs } = await userCerts('alice');
    const api = authClientThroughProxy({ proxyAddr: c.webAddr, insecure: true, certPEM, keyPEM: privateKeyToPEM(kp.privateKey), clusterCAs });
    await assert.rejects(api.ping(), AccessDeniedError);
  });

  it('reports an unreachable proxy as a connection problem', async () => {
    const api = authClientThroughProxy({ proxyAddr: '127.0.0.1:1', insecure: true, ...(await userCerts('alice')) });
    await assert.rejects(api.ping(), (e: unknown) => e instanceof ConnectionProblemError || /cannot reach/.test(String(e)));
  });

  it('answers a plain request to the tunnel path with a clear error', async () => {
    const [host, port] = c.webAddr.split(':');
    const status = await new Promise<number>((resolve, reject) => {
      https.get({ host, port: Number(port), path: '/v1/webapi/auth/tunnel', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 404);
  });
});
