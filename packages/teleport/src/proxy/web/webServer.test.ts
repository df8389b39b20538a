/**
 * @module proxy/web/webServer.test
 * The proxy's HTTPS web API against a real auth service: an auth TLS listener and the proxy's
 * AuthClient (authenticated with a Proxy host identity), both on 127.0.0.1:0. Covers ping, the invite
 * flow (GET/PUT password token), password login for tsh (POST /v1/webapi/ssh/certs), the error
 * edge (404/405/400/403/413 as JSON with a code) and security headers. The invite page is the web UI's
 * (served by proxy/web/static.ts, tested in static.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError, BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import type { SecondFactor } from '@teleport-ts/api/types/clusterConfig';
import type { PingResponse, SSHLoginResponse } from '@teleport-ts/api/webapi';
import { WebClient } from '../../client/webClient.ts';
import type { AuthTLSServer } from '../../auth/tlsServer.ts';
import { addUser, newTestAuthServer, newTestKeys, type TestAuth, startTestAuthTLS } from '../../auth/testAuthServer.ts';
import { authenticateLocalUser } from '../../auth/login.ts';
import { generateTOTP } from '../../auth/totp.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { silentLogger } from '../../utils/logger.ts';
import { createSelfSigned } from '../selfSignedCert.ts';
import { startWebServer, type WebServer } from './webServer.ts';

const PASSWORD = 'correct horse battery staple';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

let t: TestAuth;
let authServer: AuthTLSServer;
let authClient: AuthClient;
let web: WebServer;
let proxyCertPEM: string;
let webClient: WebClient;

before(async () => {
  const clock = new FakeClock(Date.now()); // real TLS on both hops checks validity against the wall clock
  t = await newTestAuthServer({ clock, secondFactor: 'off' });
  const hostId = randomUUID();
  authServer = await startTestAuthTLS(t.auth, hostId);
  const proxyId = await issueLocalIdentity(t.auth, { hostId, nodeName: 'proxy', role: 'Proxy', algorithm: 'ecdsa-p256' });
  authClient = new AuthClient({ addr: `127.0.0.1:${authServer.address.port}`, certPEM: proxyId.certPEM, keyPEM: proxyId.keyPEM, caCerts: proxyId.tlsCACerts });
  const pair = await createSelfSigned(['localhost'], clock);
  proxyCertPEM = pair.certPEM;
  web = await startWebServer({
    ctx: {
      authClient, clusterName: 'example.com', webPublicAddr: 'proxy.example.com:3080',
      sshPublicAddr: 'proxy.example.com:3023', tunnelPublicAddr: 'proxy.example.com:3024', logger: silentLogger,
    },
    listenAddr: { host: '127.0.0.1', port: 0 },
    ...pair,
  });
  webClient = new WebClient({ proxyAddr: `127.0.0.1:${web.address.port}`, caCertsPEM: [proxyCertPEM] });
  await addUser(t, 'alice', ['access'], { traits: { logins: ['alice', 'ubuntu'] }, password: PASSWORD });
});

after(async () => {
  await web.close();
  await authServer.close();
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** One raw HTTPS request to the proxy. */
function request(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: web.address.port, method, path, ca: [proxyCertPEM], agent: false,
      headers: { ...(body !== undefined && { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as ReturnType<Reply['json']> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (method: string, path: string, value: unknown) => request(method, path, JSON.stringify(value));

function assertSecurityHeaders(r: Reply): void {
  assert.equal(r.headers['strict-transport-security'], 'max-age=31536000');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['x-frame-options'], 'DENY');
  assert.equal(r.headers['referrer-policy'], 'no-referrer');
  assert.equal(r.headers['cache-control'], 'no-store');
  const csp = String(r.headers['content-security-policy'] ?? '');
  assert.match(csp, /default-src 'self'; script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
}

function assertError(r: Reply, status: number, code: string, message?: string | RegExp): void {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers['content-type'] ?? '', /^application\/json/);
  const body = r.json();
  assert.equal(body.error?.code, code);
  if (typeof message === 'string') assert.equal(body.error.message, message);
  else if (message) assert.match(body.error.message, message);
  assertSecurityHeaders(r);
}

async function setSecondFactor(sf: SecondFactor): Promise<void> {
  const pref = await t.services.clusterConfig.getAuthPreference();
  await t.services.clusterConfig.setAuthPreference({ ...pref, spec: { ...pref.spec, second_factor: sf } });
}

describe('proxy web API', () => {
  it('GET /v1/webapi/ping answers with upstream\'s JSON shape', async () => {
    const r = await request('GET', '/v1/webapi/ping');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^application\/json; charset=utf-8$/);
    assertSecurityHeaders(r);
    const body = r.json() as unknown as PingResponse;
    assert.deepEqual(body.auth, { type: 'local', second_factor: 'off', local: { name: '' } });
    assert.deepEqual(body.proxy, {
      ssh: {
        listen_addr: 'proxy.example.com:3023', tunnel_listen_addr: 'proxy.example.com:3024',
        public_addr: 'proxy.example.com:3080', ssh_public_addr: 'proxy.example.com:3023',
      },
      tls_routing_enabled: false,
    });
    assert.equal(body.cluster_name, 'example.com');
    assert.equal(typeof body.server_version, 'string');
    assert.deepEqual(body.ca_pin, await t.auth.caPins());
    assert.deepEqual(await webClient.ping(), body);
  });

  it('GET /healthz is ok', async () => {
    const r = await request('GET', '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { status: 'ok' });
  });

  describe('invite flow', () => {
    it('GET shows who the invite is for; PUT with a base64 password completes it once', async () => {
      await addUser(t, 'bob', ['access'], { traits: { logins: ['bob'] } });
      const token = await t.auth.createUserToken({ user: 'bob', kind: 'invite' });
      const id = token.metadata.name;
      const info = await request('GET', `/v1/webapi/users/password/token/${id}`);
      assert.equal(info.status, 200);
      assertSecurityHeaders(info);
      assert.deepEqual(info.json(), { tokenId: id, user: 'bob', kind: 'invite', expires: token.metadata.expires });

      const done = await json('PUT', '/v1/webapi/users/password/token', { token: id, password: b64('bob has a long password ✓') });
      assert.equal(done.status, 200, done.text);
      assert.deepEqual(done.json(), { user: 'bob' });
      await authenticateLocalUser(t.auth, { user: 'bob', password: 'bob has a long password ✓' });
      const changed = t.audit.all().find((e) => e.event === 'user.password_change');
      assert.match(String(changed?.['addr.remote']), /^127\.0\.0\.1:\d+$/);

      assertError(await json('PUT', '/v1/webapi/users/password/token', { token: id, password: b64(PASSWORD) }), 404, 'not_found', /already used/);
      assertError(await request('GET', `/v1/webapi/users/password/token/${id}`), 404, 'not_found');
    });

    it('refuses a password that is not base64 with a clear 400, leaving the token usable', async () => {
      await addUser(t, 'carol', ['access']);
      const id = (await t.auth.createUserToken({ user: 'carol', kind: 'invite' })).metadata.name;
      assertError(await json('PUT', '/v1/webapi/users/password/token', { token: id, password: 'not base64 at all!' }), 400, 'bad_parameter',
        '"password" must be base64-encoded, e.g. btoa(password) in a browser');
      assertError(await json('PUT', '/v1/webapi/users/password/token', { token: id }), 400, 'bad_parameter', /missing "password"/);
      assertError(await json('PUT', '/v1/webapi/users/password/token', { password: b64(PASSWORD) }), 400, 'bad_parameter', 'missing "token"');
      assertError(await json('PUT', '/v1/webapi/users/password/token', { token: id, password: b64('short') }), 400, 'bad_parameter',
        'password must be at least 12 characters long');
      assertError(await request('PUT', '/v1/webapi/users/password/token', '{"token":', { 'content-type': 'application/json' }), 400, 'bad_parameter',
        'request body is not valid JSON');
      assertError(await request('PUT', '/v1/webapi/users/password/token', 'token=x', { 'content-type': 'application/x-www-form-urlencoded' }),
        400, 'bad_parameter', /expected a JSON body/);
      assert.deepEqual(await webClient.changePasswordWithToken({ token: id, password: b64(PASSWORD) }), { user: 'carol' });
    });

    it('returns the OTP secret to enroll when the cluster requires OTP, and needs the code to complete', async () => {
      await setSecondFactor('otp');
      try {
        await addUser(t, 'dave', ['access']);
        const id = (await t.auth.createUserToken({ user: 'dave', kind: 'invite' })).metadata.name;
        const info = await webClient.getPasswordToken(id);
        assert.match(info.otp_secret ?? '', /^[A-Z2-7]+$/);
        assert.match(info.otp_uri ?? '', /^otpauth:\/\/totp\//);
        await assert.rejects(webClient.changePasswordWithToken({ token: id, password: b64(PASSWORD) }), BadParameterError);
        const code = generateTOTP(info.otp_secret ?? '', t.clock.nowMs());
        assert.deepEqual(await webClient.changePasswordWithToken({ token: id, password: b64(PASSWORD), second_factor_token: code }), { user: 'dave' });
      } finally {
        await setSecondFactor('off');
      }
    });

    it('answers unknown and malformed tokens with 404/400 JSON, never 500', async () => {
      assertError(await request('GET', `/v1/webapi/users/password/token/${'0'.repeat(32)}`), 404, 'not_found', /not found/);
      await assert.rejects(webClient.getPasswordToken('nope'), NotFoundError);
      assertError(await request('GET', '/v1/webapi/users/password/token/%E0%A4%A'), 400, 'bad_parameter', /URL/);
    });
  });

  describe('POST /v1/webapi/ssh/certs', () => {
    const keys = newTestKeys();
    const loginBody = (extra: Record<string, unknown> = {}) => ({
      user: 'alice', password: PASSWORD, pub_key: b64(keys.sshPublicKey), tls_pub_key: b64(keys.tlsPublicKey), ...extra,
    });

    it('returns certificates for the given keys, base64-encoded like upstream', async () => {
      const r = await json('POST', '/v1/webapi/ssh/certs', loginBody({ ttl: 3600 * 1e9 }));
      assert.equal(r.status, 200, r.text);
      assertSecurityHeaders(r);
      const body = r.json() as unknown as SSHLoginResponse;
      assert.equal(body.username, 'alice');

      const line = unb64(body.cert);
      assert.match(line, /^ssh-ed25519-cert-v01@openssh\.com AAAA\S+ alice\n$/);
      const ssh = decodeCertificate(parseCertificateLine(line.trim()));
      assert.deepEqual(ssh.principals, ['alice', 'ubuntu']);
      assert.equal(ssh.validBefore - ssh.validAfter, 3600 + 60, 'the requested 1h TTL (plus the 1 minute backdate)');
      assert.equal(ssh.extensions['login-ip'], '127.0.0.1');

      const tlsPEM = unb64(body.tls_cert);
      assert.match(tlsPEM, /^-----BEGIN CERTIFICATE-----\n/);
      assert.equal(identityFromCertificate(tlsPEM).username, 'alice');

      assert.equal(body.host_signers.length, 1);
      const signer = body.host_signers[0];
      assert.equal(signer?.domain_name, 'example.com');
      assert.match(unb64(signer.auth_keys[0] ?? ''), /^ssh-ed25519 AAAA/);
      assert.match(unb64(signer.tls_certs[0] ?? ''), /^-----BEGIN CERTIFICATE-----/);
      assert.deepEqual(body.tls_ca_certs.map(unb64), await t.auth.keyring.tlsCerts('host'));
      assert.doesNotMatch(r.text, /PRIVATE/);

      const viaClient = await webClient.createSSHCert(loginBody());
      assert.equal(viaClient.username, 'alice');
    });

    it('answers bad credentials with 403 and the generic message, for known and unknown users alike', async () => {
      const generic = 'invalid username, password or second factor';
      assertError(await json('POST', '/v1/webapi/ssh/certs', loginBody({ password: 'wrong password!!' })), 403, 'access_denied', generic);
      assertError(await json('POST', '/v1/webapi/ssh/certs', loginBody({ user: 'nobody' })), 403, 'access_denied', generic);
      await assert.rejects(webClient.createSSHCert(loginBody({ password: 'wrong again!!!' })), new AccessDeniedError(generic));
      // Clear the failures so later tests are not locked out.
      await t.services.users.deleteLoginAttempts('alice');
    });

    it('validates the request', async () => {
      assertError(await json('POST', '/v1/webapi/ssh/certs', loginBody({ user: '' })), 400, 'bad_parameter', 'missing "user"');
      assertError(await json('POST', '/v1/webapi/ssh/certs', loginBody({ pub_key: undefined })), 400, 'bad_parameter', 'missing "pub_key"');
      assertError(await json('POST', '/v1/webapi/ssh/certs', loginBody({ ttl: -1 })), 400, 'bad_parameter', /"ttl" must be/);
      assertError(await json('POST', '/v1/webapi/ssh/certs', loginBody({ tls_pub_key: b64('not a key') })), 400, 'bad_parameter', /public key/);
      assertError(await json('POST', '/v1/webapi/ssh/certs', loginBody({ pub_key: b64('ssh-ed25519 !!!') })), 400, 'bad_parameter');
    });
  });

  describe('errors at the edge', () => {
    it('answers an unknown path with 404 JSON', async () => {
      assertError(await request('GET', '/v1/webapi/nope'), 404, 'not_found', 'no such endpoint: GET /v1/webapi/nope');
    });

    it('answers a known path with the wrong method with 405, listing the allowed methods', async () => {
      const r = await request('DELETE', '/v1/webapi/ssh/certs');
      assert.equal(r.headers.allow, 'POST');
      assertError(r, 405, 'bad_parameter', /DELETE is not allowed on \/v1\/webapi\/ssh\/certs: use POST/);
      assert.equal((await request('POST', '/v1/webapi/ping', '{}')).status, 405);
    });

    it('refuses a body over 1 MiB without reading it all', async () => {
      const big = JSON.stringify({ user: 'alice', password: 'x'.repeat(2 << 20) });
      const r = await request('POST', '/v1/webapi/ssh/certs', big);
      assertError(r, 413, 'limit_exceeded', /larger than 1 MiB/);
    });

    it('refuses an oversized body sent without a length (chunked) as well', async () => {
      const r = await new Promise<Reply>((resolve, reject) => {
        const req = https.request({
          host: '127.0.0.1', port: web.address.port, method: 'PUT', path: '/v1/webapi/users/password/token',
          ca: [proxyCertPEM], agent: false, headers: { 'content-type': 'application/json' },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as ReturnType<Reply['json']> });
          });
        });
        req.on('error', reject);
        const chunk = Buffer.alloc(64 << 10, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < 2 << 20) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      assertError(r, 413, 'limit_exceeded', /larger than 1 MiB/);
    });
  });
});
