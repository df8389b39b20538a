/**
 * @module srv/db/identityCache.test
 * The identity cache parses a certificate once, hands out copies (a caller changing its identity
 * changes nobody else's), forgets the least recently used certificate first, and caches no failure.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { generateKeyPair } from '@teleport-ts/api/keys';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import { createTLSCA, issueTLSCert } from '../../ca/tlsCA.ts';
import { IdentityCache } from './identityCache.ts';

const clock = new FakeClock(Date.now());
const ca = createTLSCA({ clusterName: 'c', caType: 'user', algorithm: 'ecdsa-p256', clock });

function cert(username: string): string {
  const notAfter = new Date(clock.nowMs() + 3600_000);
  return issueTLSCert({
    caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: generateKeyPair('ecdsa-p256').publicKey, clock, usage: 'client', notAfter,
    identity: { username, groups: ['access'], expires: notAfter, routeToDatabase: { serviceName: 'pg', protocol: 'postgres', username: 'alice', database: 'app' } },
  });
}

it('returns what identityFromCertificate returns, as a copy per caller', () => {
  const cache = new IdentityCache();
  const pem = cert('alice');
  const a = cache.get(pem);
  assert.deepEqual(a, identityFromCertificate(pem));
  a.groups.push('editor');
  (a.routeToDatabase as { database: string }).database = 'other';
  const b = cache.get(pem);
  assert.deepEqual(b.groups, ['access']);
  assert.equal(b.routeToDatabase?.database, 'app');
  assert.ok(b.expires instanceof Date);
  assert.equal(cache.size, 1);
});

it('forgets the least recently used certificate first and caches no failure', () => {
  const cache = new IdentityCache(2);
  const [p1, p2, p3] = [cert('u1'), cert('u2'), cert('u3')] as [string, string, string];
  cache.get(p1);
  cache.get(p2);
  cache.get(p1); // p2 is now the oldest
  cache.get(p3);
  assert.equal(cache.size, 2);
  assert.equal(cache.get(p1).username, 'u1');
  assert.throws(() => cache.get('not a certificate'));
  assert.throws(() => cache.get('not a certificate'));
  assert.equal(cache.size, 2);
});
