/**
 * @module client/db/dbKeyStore.test
 * The ~/.tsh layout of database certificates: paths next to the user's key, modes, load with the
 * route read from the certificate, a torn login (key and certificate of different pairs), listing,
 * logout of one and of all databases, `tsh logout` taking them along, and unsafe names.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@teleport-ts/api/clock';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import { createTLSCA, issueTLSCert, type TLSCAKeyPair } from '../../ca/tlsCA.ts';
import { KeyStore } from '../keyStore.ts';
import { DbKeyStore, splitPEMCertificates } from './dbKeyStore.ts';

let home: string;
let ca: TLSCAKeyPair;
const owner = { proxyHost: 'proxy.example.com', user: 'alice', cluster: 'example.com' };

function dbCert(db: string, protocol: string, user: string) {
  const keys = generateKeyPair('ecdsa-p256');
  const notAfter = new Date(Date.now() + 3600_000);
  const certPEM = issueTLSCert({
    caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: keys.publicKey, notAfter, clock: systemClock, usage: 'client',
    identity: { username: 'alice', groups: ['access'], expires: notAfter, routeToDatabase: { serviceName: db, protocol, username: user } },
  });
  return { certPEM, keyPEM: privateKeyToPEM(keys.privateKey), proxyCAs: [ca.certPEM] };
}

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'tsh-dbkeys-'));
  ca = createTLSCA({ clusterName: 'example.com', caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
});
after(() => rm(home, { recursive: true, force: true }));

describe('database key store', () => {
  it('lays files out next to the user key, private', async () => {
    const store = new DbKeyStore(new KeyStore(home));
    const p = await store.save(owner, 'pg', dbCert('pg', 'postgres', 'alice'));
    const base = join(home, 'keys', 'proxy.example.com', 'alice-db', 'example.com');
    assert.deepEqual(p, {
      dir: base, certPath: join(base, 'pg-x509.pem'), keyPath: join(base, 'pg.key'),
      proxyCAPath: join(base, 'pg-proxy-ca.pem'), optionFilePath: join(base, 'pg.my.cnf'),
    });
    assert.deepEqual((await readdir(base)).sort(), ['pg-proxy-ca.pem', 'pg-x509.pem', 'pg.key']);
    for (const f of [p.certPath, p.keyPath, p.proxyCAPath]) assert.equal((await stat(f)).mode & 0o777, 0o600, f);
    for (const d of [base, join(base, '..')]) assert.equal((await stat(d)).mode & 0o777, 0o700, d);
    assert.match(await readFile(p.keyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  });

  it('loads a login with its route and expiry', async () => {
    const store = new DbKeyStore(new KeyStore(home));
    const c = await store.load(owner, 'pg');
    assert.ok(c);
    assert.deepEqual(c.route, { serviceName: 'pg', protocol: 'postgres', username: 'alice' });
    assert.ok(c.expires.getTime() > Date.now());
    assert.equal(c.proxyCAs.length, 1);
    assert.equal(await store.load(owner, 'nope'), undefined);
  });

  it('reports a torn login instead of using it', async () => {
    const store = new DbKeyStore(new KeyStore(home));
    const a = dbCert('torn', 'postgres', 'alice');
    const b = dbCert('torn', 'postgres', 'alice');
    await store.save(owner, 'torn', { ...a, keyPEM: b.keyPEM });
    await assert.rejects(store.load(owner, 'torn'), /issued for another key .*tsh db login torn/);
    await store.delete(owner, 'torn');
  });

  it('lists, writes the option file and logs out of one or all databases', async () => {
    const store = new DbKeyStore(new KeyStore(home));
    await store.save(owner, 'maria', dbCert('maria', 'mysql', 'bob'));
    const cnf = await store.saveOptionFile(owner, 'maria', '[client]\n');
    assert.equal((await stat(cnf)).mode & 0o777, 0o600);
    assert.deepEqual(await store.list(owner), ['maria', 'pg']);
    assert.equal(await store.delete(owner, 'maria'), true);
    assert.equal(await store.delete(owner, 'maria'), false);
    assert.deepEqual(await store.list(owner), ['pg']);
    assert.equal(await store.delete(owner), true);
    assert.deepEqual(await store.list(owner), []);
  });

  it('goes away with tsh logout of the user', async () => {
    const keys = new KeyStore(home);
    const store = new DbKeyStore(keys);
    await store.save(owner, 'pg', dbCert('pg', 'postgres', 'alice'));
    await keys.deleteKey(owner.proxyHost, owner.user);
    assert.deepEqual(await store.list(owner), []);
  });

  it('refuses names that would escape the directory', () => {
    const store = new DbKeyStore(new KeyStore(home));
    for (const bad of ['../x', '.hidden', 'a/b', '']) assert.throws(() => store.paths(owner, bad), /invalid database name/);
    assert.throws(() => store.paths({ ...owner, cluster: '..' }, 'pg'), /invalid cluster name/);
  });

  it('splits PEM bundles', () => {
    assert.equal(splitPEMCertificates(`junk\n${ca.certPEM}${ca.certPEM}`).length, 2);
    assert.deepEqual(splitPEMCertificates(''), []);
  });
});
