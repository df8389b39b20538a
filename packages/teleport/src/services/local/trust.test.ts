import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { AlreadyExistsError, BadParameterError, CompareFailedError, NotFoundError } from '@teleport-ts/api/errors';
import type { CAType, CertAuthority } from '@teleport-ts/api/types/certAuthority';
import { MemoryBackend } from '../../backend/memory.ts';
import { TrustService } from './trust.ts';

const ca = (type: CAType, cluster: string, tag = 'k1'): CertAuthority => ({
  kind: 'cert_authority', sub_kind: type, version: 'v2', metadata: { name: cluster },
  spec: {
    type, cluster_name: cluster,
    active_keys: {
      ssh: [{ public_key: `ssh-ed25519 AAAA-${tag}`, private_key: `PRIVATE-${tag}`, private_key_type: 'raw' }],
      tls: [{ cert: `CERT-${tag}`, key: `KEY-${tag}`, key_type: 'raw' }],
    },
  },
});

const setup = () => new TrustService(new MemoryBackend({ clock: new FakeClock(), pollIntervalMs: 0 }));

test('reads strip private keys unless asked for them', async () => {
  const trust = setup();
  await trust.createCertAuthority(ca('host', 'example.com'));
  const pub = await trust.getCertAuthority('host', 'example.com', false);
  assert.deepEqual(pub.spec.active_keys, { ssh: [{ public_key: 'ssh-ed25519 AAAA-k1' }], tls: [{ cert: 'CERT-k1' }] });
  assert.equal(JSON.stringify(pub).includes('PRIVATE'), false);
  const full = await trust.getCertAuthority('host', 'example.com', true);
  assert.equal(full.spec.active_keys.ssh?.[0]?.private_key, 'PRIVATE-k1');
  assert.equal(full.spec.active_keys.tls?.[0]?.key, 'KEY-k1');
  assert.equal(JSON.stringify(await trust.listCertAuthorities()).includes('PRIVATE'), false);
  assert.equal(JSON.stringify(await trust.listCertAuthorities(undefined, true)).includes('PRIVATE'), true);
});

test('list filters by type without mixing db and db_client', async () => {
  const trust = setup();
  for (const type of ['user', 'host', 'db', 'db_client'] as const) await trust.createCertAuthority(ca(type, 'example.com'));
  await trust.createCertAuthority(ca('host', 'leaf.example.com'));
  const types = (cas: CertAuthority[]) => cas.map((c) => `${c.spec.type}/${c.metadata.name}`);
  assert.deepEqual(types(await trust.listCertAuthorities('db')), ['db/example.com']);
  assert.deepEqual(types(await trust.listCertAuthorities('host')), ['host/example.com', 'host/leaf.example.com']);
  assert.equal((await trust.listCertAuthorities()).length, 5);
  await assert.rejects(trust.listCertAuthorities('nope' as CAType), BadParameterError);
});

test('create is create-only: of two auth servers starting at once exactly one wins', async () => {
  const trust = setup();
  const results = await Promise.allSettled([
    trust.createCertAuthority(ca('user', 'example.com', 'first')),
    trust.createCertAuthority(ca('user', 'example.com', 'second')),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const lost = results.find((r) => r.status === 'rejected');
  assert.deepEqual(lost?.status === 'rejected' && lost.reason,
    new AlreadyExistsError("user certificate authority for cluster 'example.com' already exists"));
  const stored = await trust.getCertAuthority('user', 'example.com', true);
  const winner = results.findIndex((r) => r.status === 'fulfilled') === 0 ? 'first' : 'second';
  assert.equal(stored.spec.active_keys.tls?.[0]?.key, `KEY-${winner}`);
});

test('upsert, update with revision, delete and their errors', async () => {
  const trust = setup();
  await assert.rejects(trust.getCertAuthority('host', 'x', false),
    new NotFoundError("host certificate authority for cluster 'x' not found"));
  await trust.upsertCertAuthority(ca('host', 'x'));
  const read = await trust.getCertAuthority('host', 'x', true);
  await trust.updateCertAuthority(ca('host', 'x', 'k2'));
  await assert.rejects(trust.updateCertAuthority(read), CompareFailedError);
  await trust.deleteCertAuthority('host', 'x');
  await assert.rejects(trust.deleteCertAuthority('host', 'x'), NotFoundError);
  await assert.rejects(trust.createCertAuthority({ ...ca('host', 'x'), metadata: { name: 'y' } }),
    /metadata.name 'y' must equal spec.cluster_name 'x'/);
});
