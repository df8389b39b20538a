/**
 * @module auth/init.test
 * First-start initialisation: what a new cluster holds, that restarts change nothing, that a data
 * directory cannot silently switch clusters, and that racing auth servers agree on one set of CAs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { FakeClock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import { MemoryBackend } from '../backend/memory.ts';
import { LocalServices } from '../services/local/index.ts';
import { silentLogger } from '../utils/logger.ts';
import { initAuthState, type InitOptions } from './init.ts';

function fresh(): { services: LocalServices; clock: FakeClock } {
  const clock = new FakeClock();
  return { services: new LocalServices(new MemoryBackend({ clock, pollIntervalMs: 0 })), clock };
}

function options(services: LocalServices, clock: FakeClock, clusterName = 'example.com'): InitOptions {
  return { services, clusterName, clock, logger: silentLogger, algorithms: { ssh: 'ed25519', tls: 'ecdsa-p256' } };
}

/** The public material of every CA, to compare two reads. */
async function publicKeys(services: LocalServices): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const ca of await services.trust.listCertAuthorities(undefined, false)) out[ca.spec.type] = ca.spec.active_keys;
  return out;
}

function hasNoPrivateKeys(ca: CertAuthority): void {
  for (const k of ca.spec.active_keys.ssh ?? []) assert.equal(k.private_key, undefined, `${ca.spec.type} ssh key leaked`);
  for (const k of ca.spec.active_keys.tls ?? []) assert.equal(k.key, undefined, `${ca.spec.type} tls key leaked`);
  assert.doesNotMatch(JSON.stringify(ca), /PRIVATE KEY/);
}

describe('initAuthState', () => {
  it('creates the cluster name, the user/host/db CAs with their keys, and the preset roles on first start', async () => {
    const { services, clock } = fresh();
    assert.equal(await initAuthState(options(services, clock)), 'example.com');

    const cn = await services.clusterConfig.getClusterName();
    assert.equal(cn.spec.cluster_name, 'example.com');
    assert.match(cn.spec.cluster_id, /^[0-9a-f-]{36}$/);

    for (const type of ['user', 'host'] as const) {
      const ca = await services.trust.getCertAuthority(type, 'example.com', true);
      assert.equal(ca.metadata.name, 'example.com');
      assert.equal(ca.spec.cluster_name, 'example.com');
      const ssh = ca.spec.active_keys.ssh?.[0];
      assert.ok(ssh, `${type} CA has an SSH key`);
      assert.match(ssh.private_key ?? '', /PRIVATE KEY/, `${type} CA has an SSH signing key`);
      assert.equal(parseAuthorizedKey(ssh.public_key).type, 'ssh-ed25519');
    }
    for (const type of ['user', 'host', 'db'] as const) {
      const tls = (await services.trust.getCertAuthority(type, 'example.com', true)).spec.active_keys.tls?.[0];
      assert.ok(tls?.key, `${type} CA has a TLS key`);
      const cert = new X509Certificate(tls.cert);
      assert.equal(cert.ca, true);
      assert.ok(cert.checkPrivateKey(createPrivateKey(tls.key)), `${type} CA key matches its certificate`);
      assert.match(cert.subject, new RegExp(`OU=${type}`));
    }
    const db = await services.trust.getCertAuthority('db', 'example.com', true);
    assert.equal(db.spec.active_keys.ssh, undefined, 'the db CA is X.509 only');

    // The view every API returns: the same public halves, no private keys.
    const cas = await services.trust.listCertAuthorities(undefined, false);
    assert.deepEqual(cas.map((c) => c.spec.type).sort(), ['db', 'host', 'user']);
    cas.forEach(hasNoPrivateKeys);
    const userPublic = await services.trust.getCertAuthority('user', 'example.com', false);
    hasNoPrivateKeys(userPublic);
    assert.equal(userPublic.spec.active_keys.tls?.[0]?.cert,
      (await services.trust.getCertAuthority('user', 'example.com', true)).spec.active_keys.tls?.[0]?.cert);

    assert.deepEqual((await services.access.listRoles()).map((r) => r.metadata.name).sort(), ['access', 'auditor', 'editor']);
  });

  it('is a no-op on the second start: same cluster id, same CAs', async () => {
    const { services, clock } = fresh();
    await initAuthState(options(services, clock));
    const id = (await services.clusterConfig.getClusterName()).spec.cluster_id;
    const before = await publicKeys(services);
    const editor = await services.access.getRole('editor');

    clock.advance(3600_000);
    assert.equal(await initAuthState(options(services, clock)), 'example.com');
    assert.equal((await services.clusterConfig.getClusterName()).spec.cluster_id, id);
    assert.deepEqual(await publicKeys(services), before);
    assert.equal((await services.access.getRole('editor')).metadata.revision, editor.metadata.revision);
  });

  it('keeps a changed preset role instead of restoring it', async () => {
    const { services, clock } = fresh();
    await initAuthState(options(services, clock));
    const access = await services.access.getRole('access');
    access.spec.allow = { ...access.spec.allow, logins: ['ops'] };
    await services.access.upsertRole(access);
    await initAuthState(options(services, clock));
    assert.deepEqual((await services.access.getRole('access')).spec.allow?.logins, ['ops']);
  });

  it('refuses a different cluster name for an existing backend, saying what to fix', async () => {
    const { services, clock } = fresh();
    await initAuthState(options(services, clock, 'example.com'));
    await assert.rejects(initAuthState(options(services, clock, 'other.example.com')), (err: unknown) => {
      assert.ok(err instanceof BadParameterError);
      assert.match(err.message, /belongs to cluster "example\.com"/);
      assert.match(err.message, /cluster_name "other\.example\.com"/);
      assert.match(err.message, /cannot change after first start/);
      return true;
    });
  });

  it('applies second_factor and auth type from the config file on every start', async () => {
    const { services, clock } = fresh();
    await initAuthState({ ...options(services, clock), secondFactor: 'otp' });
    assert.equal((await services.clusterConfig.getAuthPreference()).spec.second_factor, 'otp');
    await initAuthState({ ...options(services, clock), secondFactor: 'off', recordingMode: 'proxy' });
    assert.equal((await services.clusterConfig.getAuthPreference()).spec.second_factor, 'off');
    assert.equal((await services.clusterConfig.getSessionRecordingConfig()).spec.mode, 'proxy');
  });

  it('converges on one set of CAs when two auth servers initialise an empty backend at once', async () => {
    const { services, clock } = fresh();
    // A second LocalServices over the same backend, as a second auth process would have.
    const other = new LocalServices(services.backend);
    const names = await Promise.all([initAuthState(options(services, clock)), initAuthState(options(other, clock))]);
    assert.deepEqual(names, ['example.com', 'example.com']);
    const cas = await services.trust.listCertAuthorities(undefined, true);
    assert.equal(cas.length, 3);
    assert.deepEqual(await publicKeys(services), await publicKeys(other));
    // Both processes sign with the stored key: the key on record matches the certificate on record.
    for (const ca of cas) {
      const tls = ca.spec.active_keys.tls?.[0];
      assert.ok(tls?.key && new X509Certificate(tls.cert).checkPrivateKey(createPrivateKey(tls.key)));
    }
  });

  it('fails the loser when two auth servers race with different cluster names', async () => {
    const { services, clock } = fresh();
    const results = await Promise.allSettled([
      initAuthState(options(services, clock, 'a.example.com')),
      initAuthState(options(new LocalServices(services.backend), clock, 'b.example.com')),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1, 'exactly one wins');
    assert.equal(failed.length, 1);
    assert.ok(failed[0]?.reason instanceof BadParameterError);
    const winner = (await services.clusterConfig.getClusterName()).spec.cluster_name;
    for (const ca of await services.trust.listCertAuthorities()) assert.equal(ca.spec.cluster_name, winner);
  });
});
