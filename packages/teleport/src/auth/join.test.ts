/**
 * @module auth/join.test
 * RegisterUsingToken on the auth server with a fake clock: expiry, single- and multi-use tokens, role
 * checks (mismatch, Admin/Auth refused), input validation, and the instance.join audit trail with the
 * token masked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError, BadParameterError } from '@teleport-ts/api/errors';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import type { ProvisionToken, SystemRole } from '@teleport-ts/api/types/token';
import { X509Certificate } from 'node:crypto';
import { newTestAuthServer, newTestKeys, TEST_CLUSTER, type TestAuth } from './testAuthServer.ts';
import type { RegisterUsingTokenParams } from './join.ts';

const HOST_ID = '0b6ed6e0-6f4b-4a4e-9d64-6f1c2b1f6a11';
const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

async function addToken(t: TestAuth, opts: { name?: string; roles?: SystemRole[]; ttlMs?: number; maxUses?: number } = {}): Promise<string> {
  const name = opts.name ?? TOKEN;
  const token: ProvisionToken = {
    kind: 'token', version: 'v2',
    metadata: { name, expires: new Date(t.clock.nowMs() + (opts.ttlMs ?? 30 * 60_000)).toISOString() },
    spec: { roles: opts.roles ?? ['Node'], join_method: 'token', ...(opts.maxUses && { max_uses: opts.maxUses }) },
  };
  await t.services.provisioning.createToken(token);
  return name;
}

function request(over: Partial<RegisterUsingTokenParams> = {}): RegisterUsingTokenParams {
  const keys = newTestKeys();
  return {
    token: TOKEN, hostId: HOST_ID, nodeName: 'web-1', role: 'Node',
    sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey, remoteAddr: '10.0.0.7:40000', ...over,
  };
}

async function joinEvents(t: TestAuth): Promise<AuditEvent[]> {
  const { events } = await t.audit.search({ from: new Date(0), to: new Date(t.clock.nowMs() + 60_000), eventTypes: ['instance.join'] });
  return events;
}

describe('registerUsingToken', () => {
  it('issues host certificates for the role with the expected principals and names', async () => {
    const t = await newTestAuthServer();
    await addToken(t);
    const certs = await t.auth.registerUsingToken(request({ role: 'node', additionalPrincipals: ['10.0.0.7'], dnsNames: ['web-1.internal'] }));
    const id = identityFromCertificate(new X509Certificate(certs.tlsCert).raw);
    assert.deepEqual(id.systemRoles, ['Node'], 'role spelled canonically');
    assert.equal(id.username, `${HOST_ID}.${TEST_CLUSTER}`);
    const x = new X509Certificate(certs.tlsCert);
    assert.match(x.subjectAltName ?? '', /DNS:web-1\.internal/);
    assert.match(x.subjectAltName ?? '', /IP Address:10\.0\.0\.7/);
    const ssh = decodeCertificate(parseCertificateLine(certs.sshCert));
    for (const p of [HOST_ID, `${HOST_ID}.${TEST_CLUSTER}`, 'web-1', '10.0.0.7']) assert.ok(ssh.principals.includes(p), p);
    assert.ok(certs.tlsCACerts.length > 0);
  });

  it('refuses an expired token and says how long ago it expired', async () => {
    const t = await newTestAuthServer();
    await addToken(t, { ttlMs: 60_000 });
    t.clock.advance(4 * 60_000);
    await assert.rejects(t.auth.registerUsingToken(request()),
      new AccessDeniedError("join token expired 3m ago: create a new one with 'tctl tokens add --type=node'"));
  });

  it('a single-use token works once', async () => {
    const t = await newTestAuthServer();
    await addToken(t, { maxUses: 1 });
    await t.auth.registerUsingToken(request());
    await assert.rejects(t.auth.registerUsingToken(request()),
      new AccessDeniedError("join token was already used the maximum number of times: create a new one with 'tctl tokens add --type=node'"));
  });

  it('counts the uses of a multi-use token', async () => {
    const t = await newTestAuthServer();
    await addToken(t, { maxUses: 3 });
    await t.auth.registerUsingToken(request());
    await t.auth.registerUsingToken(request());
    assert.equal((await t.services.provisioning.getToken(TOKEN)).spec.uses, 2);
    await t.auth.registerUsingToken(request());
    await assert.rejects(t.auth.registerUsingToken(request()), /already used the maximum number of times/);
  });

  it('refuses a role the token does not allow, without spending a use', async () => {
    const t = await newTestAuthServer();
    await addToken(t, { maxUses: 1 });
    await assert.rejects(t.auth.registerUsingToken(request({ role: 'Proxy' })),
      new AccessDeniedError("token does not allow role Proxy (it allows Node): create one with 'tctl tokens add --type=proxy'"));
    await t.auth.registerUsingToken(request({ role: 'Node' }));
  });

  it('never lets an agent join as Admin or Auth, even with a token naming them', async () => {
    const t = await newTestAuthServer();
    await addToken(t, { roles: ['Admin', 'Auth', 'Node'] });
    for (const role of ['Admin', 'auth', 'Instance', '']) {
      await assert.rejects(t.auth.registerUsingToken(request({ role })), (err: unknown) =>
        err instanceof BadParameterError && /cannot join with a token/.test(err.message));
    }
  });

  it('validates the host id, names and keys before touching the token', async () => {
    const t = await newTestAuthServer();
    await addToken(t, { maxUses: 1 });
    const bad: Array<Partial<RegisterUsingTokenParams>> = [
      { hostId: '../etc' }, { hostId: '' }, { nodeName: '' }, { nodeName: 'a b' }, { additionalPrincipals: ['x\ny'] },
      { tlsPublicKey: 'not a key' }, { tlsPublicKey: '' }, { sshPublicKey: 'ssh-ed25519 garbage' }, { token: '' }, { token: 'sec/ret' },
    ];
    for (const over of bad) await assert.rejects(t.auth.registerUsingToken(request(over)), BadParameterError, JSON.stringify(over));
    await t.auth.registerUsingToken(request());
  });

  it('audits every attempt with the token masked', async () => {
    const t = await newTestAuthServer();
    await addToken(t, { maxUses: 1 });
    await assert.rejects(t.auth.registerUsingToken(request({ token: 'ffffffffffffffffffffffffffffffff' })), /not found/);
    await assert.rejects(t.auth.registerUsingToken(request({ role: 'Proxy' })), /does not allow role Proxy/);
    await t.auth.registerUsingToken(request());
    await assert.rejects(t.auth.registerUsingToken(request()), /already used/);
    const events = await joinEvents(t);
    assert.deepEqual(events.map((e) => [e.code, e.success]), [['TJ002E', false], ['TJ002E', false], ['TJ002I', true], ['TJ002E', false]]);
    const ok = events[2] as AuditEvent & Record<string, unknown>;
    assert.equal(ok.token_name, `${'*'.repeat(24)}${TOKEN.slice(24)}`);
    assert.equal(ok.role, 'Node');
    assert.equal(ok.host_id, HOST_ID);
    assert.equal(ok.node_name, 'web-1');
    assert.equal(ok['addr.remote'], '10.0.0.7:40000');
    assert.equal(ok.method, 'token');
    assert.match(String((events[1] as Record<string, unknown>).error), /does not allow role Proxy/);
    for (const e of events) assert.ok(!JSON.stringify(e).includes(TOKEN), 'the token never appears unmasked');
    await assert.rejects(t.auth.registerUsingToken(request({ token: 'my/secret/token' })), (err: unknown) =>
      err instanceof BadParameterError && !err.message.includes('secret'));
    assert.ok(!JSON.stringify(await joinEvents(t)).includes('my/secret'), 'a malformed token is not echoed either');
  });
});
