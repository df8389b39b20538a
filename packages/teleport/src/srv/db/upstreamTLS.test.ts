/**
 * @module srv/db/upstreamTLS.test
 * The upstream TLS options per tls.mode, and the per-user client certificate cache.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { publicKeyFromPEM } from '@teleport-ts/api/keys';
import { createTLSCA, issueTLSCert } from '../../ca/tlsCA.ts';
import { UpstreamCertCache, upstreamTLSOptions, uriHost } from './upstreamTLS.ts';

const cert = { keyPEM: 'KEY', certPEM: 'CERT', caCerts: ['DBCA'], useUntilMs: 0 };

it('verify-full checks the CA and the host name (server_name, else the uri host; no SNI for IPs)', () => {
  const full = upstreamTLSOptions('db.internal:5432', { mode: 'verify-full' }, cert);
  assert.deepEqual([full.rejectUnauthorized, full.servername, full.ca], [true, 'db.internal', ['DBCA']]);
  assert.equal(typeof full.checkServerIdentity, 'function');
  const named = upstreamTLSOptions('10.0.0.5:5432', { mode: 'verify-full', server_name: 'pg.example.com', ca_cert: 'OWNCA' }, cert);
  assert.deepEqual([named.servername, named.ca], ['pg.example.com', ['OWNCA']]);
  assert.equal(upstreamTLSOptions('10.0.0.5:5432', { mode: 'verify-full' }, cert).servername, undefined);
  assert.deepEqual([uriHost('[::1]:3306'), uriHost('db:1')], ['::1', 'db']);
});

it('verify-ca skips the name check; insecure skips verification', () => {
  const ca = upstreamTLSOptions('db:5432', { mode: 'verify-ca' }, cert);
  assert.equal(ca.rejectUnauthorized, true);
  assert.equal(ca.checkServerIdentity?.('x', {} as never), undefined);
  assert.equal(upstreamTLSOptions('db:5432', { mode: 'insecure' }, cert).rejectUnauthorized, false);
});

it('caches a certificate per db user until five minutes before it expires', async () => {
  const clock = new FakeClock();
  const ca = createTLSCA({ clusterName: 'c', caType: 'db', algorithm: 'ecdsa-p256', clock });
  const calls: string[] = [];
  const authClient = {
    generateDatabaseCert: async (r: { tlsPublicKey: string; commonName: string; ttlMs: number }) => {
      calls.push(r.commonName);
      const certPEM = issueTLSCert({
        caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: publicKeyFromPEM(r.tlsPublicKey), clock, usage: 'client',
        identity: { username: r.commonName, groups: [], expires: new Date(clock.nowMs() + r.ttlMs) }, notAfter: new Date(clock.nowMs() + r.ttlMs),
      });
      return { certPEM, caCerts: [ca.certPEM] };
    },
  };
  const cache = new UpstreamCertCache({ authClient, clock });
  const [a, b] = await Promise.all([cache.get('alice'), cache.get('alice')]);
  assert.equal(a, b);
  await cache.get('bob');
  clock.advance(50 * 60_000);
  assert.equal(await cache.get('alice'), a);
  clock.advance(6 * 60_000);
  assert.notEqual(await cache.get('alice'), a);
  assert.deepEqual(calls, ['alice', 'bob', 'alice']);
});
