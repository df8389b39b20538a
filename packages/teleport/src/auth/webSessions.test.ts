/**
 * @module auth/webSessions.test
 * Web UI sessions in auth: login through the password + OTP path (lockout, audit with `web: true`),
 * certificates for an auth-generated key, storage of the token hash only, expiry with the
 * certificates (FakeClock), and who may create, read and delete sessions.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { AccessDeniedError, NotFoundError } from '@teleport-ts/api/errors';
import { parseCertificateLine, decodeCertificate } from '@teleport-ts/api/sshcert/certificate';
import { newRole } from '@teleport-ts/api/types/validate/role';
import { fromBytes } from '../backend/backend.ts';
import { addUser, asBuiltin, asUser, newTestAuthServer, type TestAuth } from './testAuthServer.ts';
import { hashBearerToken } from './webSessions.ts';
import { MAX_LOGIN_ATTEMPTS } from './login.ts';

const PASSWORD = 'correct horse battery staple';
let t: TestAuth;

beforeEach(async () => {
  t = await newTestAuthServer({ secondFactor: 'off' });
  await addUser(t, 'alice', ['access'], { traits: { logins: ['alice'] }, password: PASSWORD });
});

const proxy = () => asBuiltin(t, 'Proxy');

describe('createWebSession', () => {
  it('logs in, issues certificates for an auth-generated key and stores only the token hash', async () => {
    const { session, bearerToken } = await proxy().createWebSession({ user: 'alice', password: PASSWORD, remoteAddr: '10.0.0.9:5555' });
    assert.equal(session.user, 'alice');
    assert.deepEqual(session.roles, ['access']);
    assert.match(bearerToken, /^[0-9a-f]{64}$/);
    assert.equal(session.bearerTokenSHA256, hashBearerToken(bearerToken));
    // Default TTL 12 h, and the session expires exactly with the X.509 certificate.
    const notAfter = Date.parse(new X509Certificate(session.tlsCert).validTo);
    assert.equal(session.expires, notAfter);
    assert.ok(Math.abs(session.expires - (t.clock.nowMs() + 12 * 3600_000)) < 2000);
    // The key certifies both certificates.
    const key = createPrivateKey(session.privateKeyPEM);
    assert.equal(key.asymmetricKeyType, 'ed25519');
    const ssh = decodeCertificate(parseCertificateLine(session.sshCert));
    assert.equal(ssh.keyId, 'alice');
    assert.deepEqual(ssh.principals, ['alice']);
    assert.equal(ssh.extensions['login-ip'], '10.0.0.9');

    // The backend holds the hash, never the token.
    const stored = fromBytes((await t.backend.get(`/web_sessions/${session.id}`)).value);
    assert.ok(!stored.includes(bearerToken));
    assert.ok(stored.includes(hashBearerToken(bearerToken)));

    const login = t.audit.all().filter((e) => e.event === 'user.login');
    assert.equal(login.length, 1);
    assert.equal(login[0]?.code, 'T1000I');
    assert.equal(login[0]?.method, 'local');
    assert.equal(login[0]?.web, true);
    assert.ok(!JSON.stringify(t.audit.all()).includes(bearerToken));
  });

  it('caps the session at the roles\' max_session_ttl and expires it with the clock', async () => {
    await t.services.access.createRole(newRole('short', { options: { max_session_ttl: '2m' }, allow: { logins: ['bob'] } }));
    await addUser(t, 'bob', ['short'], { password: PASSWORD });
    const { session } = await proxy().createWebSession({ user: 'bob', password: PASSWORD });
    assert.ok(session.expires - t.clock.nowMs() <= 120_000);
    assert.equal((await proxy().getWebSession(session.id)).user, 'bob');
    t.clock.advance(121_000);
    await assert.rejects(proxy().getWebSession(session.id), (err: unknown) =>
      err instanceof NotFoundError && err.message === 'your web session expired: log in again');
  });

  it('refuses a wrong password with the generic message, audits T1000W and locks the account', async () => {
    for (let i = 0; i < MAX_LOGIN_ATTEMPTS; i++) {
      await assert.rejects(proxy().createWebSession({ user: 'alice', password: 'wrong password!' }),
        (err: unknown) => err instanceof AccessDeniedError && err.message === 'invalid username, password or second factor');
    }
    const failures = t.audit.all().filter((e) => e.event === 'user.login' && e.code === 'T1000W');
    assert.equal(failures.length, MAX_LOGIN_ATTEMPTS);
    assert.ok(failures.every((e) => e.web === true));
    // Locked now: even the right password is refused, with the lock message.
    await assert.rejects(proxy().createWebSession({ user: 'alice', password: PASSWORD }), /temporarily locked/);
    t.clock.advance(31 * 60_000);
    await proxy().createWebSession({ user: 'alice', password: PASSWORD });
  });

  it('may be called only by services allowed to authenticate users', async () => {
    await assert.rejects(asBuiltin(t, 'Node').createWebSession({ user: 'alice', password: PASSWORD }), AccessDeniedError);
    await assert.rejects((await asUser(t, 'alice')).createWebSession({ user: 'alice', password: PASSWORD }), AccessDeniedError);
  });
});

describe('getWebSession and deleteWebSession', () => {
  it('lets only the proxy read sessions', async () => {
    const { session } = await proxy().createWebSession({ user: 'alice', password: PASSWORD });
    assert.equal((await proxy().getWebSession(session.id)).privateKeyPEM, session.privateKeyPEM);
    for (const role of ['Node', 'Db', 'Admin']) {
      await assert.rejects(asBuiltin(t, role).getWebSession(session.id), AccessDeniedError, role);
    }
    await assert.rejects((await asUser(t, 'alice')).getWebSession(session.id), AccessDeniedError);
    await assert.rejects(proxy().getWebSession('nope'), NotFoundError);
  });

  it('lets the owner or the proxy delete a session, and hides other users\' sessions', async () => {
    await addUser(t, 'mallory', ['access'], { password: PASSWORD });
    const a = await proxy().createWebSession({ user: 'alice', password: PASSWORD });
    await assert.rejects((await asUser(t, 'mallory')).deleteWebSession(a.session.id), NotFoundError);
    await assert.rejects(asBuiltin(t, 'Node').deleteWebSession(a.session.id), AccessDeniedError);
    await (await asUser(t, 'alice')).deleteWebSession(a.session.id);
    await assert.rejects(proxy().getWebSession(a.session.id), NotFoundError);

    const b = await proxy().createWebSession({ user: 'alice', password: PASSWORD });
    await proxy().deleteWebSession(b.session.id);
    await assert.rejects(proxy().getWebSession(b.session.id), NotFoundError);
    await assert.rejects(proxy().deleteWebSession(b.session.id), NotFoundError);
  });
});
