/**
 * @module client/db/dbLogin.test
 * Choosing the database user (roles with trait templates, deny, the trait fallback, the errors that
 * list what is allowed), reading the proxy's database addresses from a ping defensively, reading
 * db_server records defensively, and completing the proxy's chain with its root.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '@teleport-ts/api/clock';
import { generateKeyPair } from '@teleport-ts/api/keys';
import type { Role } from '@teleport-ts/api/types/role';
import { createTLSCA, issueTLSCert } from '../../ca/tlsCA.ts';
import { allowedDbUsers, chooseDbUser, dialableAddr, proxyDatabaseAddrs } from './dbLogin.ts';
import { databasesFromServers, findDatabase, matchDatabases } from './databases.ts';
import { completeChain } from './proxyTrust.ts';

function role(name: string, allow: string[], deny: string[] = []): Role {
  return { kind: 'role', version: 'v7', metadata: { name }, spec: { allow: { db_users: allow }, deny: { db_users: deny } } } as Role;
}

describe('database user choice', () => {
  const traits = { traits: { db_users: ['alice', 'reader'], logins: ['root'] } };

  it('expands role values with traits and removes denied users', () => {
    assert.deepEqual(allowedDbUsers([role('dev', ['{{internal.db_users}}', 'app']), role('no', [], ['reader'])], traits), ['alice', 'app']);
    assert.deepEqual(allowedDbUsers([role('dev', ['{{email.local(external.x)}}', '*'])], traits), ['*']);
    assert.deepEqual(allowedDbUsers([role('dev', ['app']), role('lock', [], ['*'])], traits), []);
    assert.deepEqual(allowedDbUsers(undefined, traits), ['alice', 'reader']);
  });

  it('takes the only allowed user, else names the ones to choose from', () => {
    assert.equal(chooseDbUser('pg', 'bob', ['alice'], true), 'bob');
    assert.equal(chooseDbUser('pg', undefined, ['alice'], true), 'alice');
    assert.throws(() => chooseDbUser('pg', undefined, ['alice', 'app'], true),
      /please choose a database user for "pg" with --db-user: your roles allow alice, app/);
    assert.throws(() => chooseDbUser('pg', undefined, ['alice', 'reader'], false), /your db_users trait lists alice, reader/);
    assert.throws(() => chooseDbUser('pg', undefined, ['*'], true), /your roles allow any user/);
    assert.throws(() => chooseDbUser('pg', undefined, [], true), /allow none, so ask an administrator for db_users/);
  });
});

describe('proxy database addresses', () => {
  it('reads public addresses first and makes listen addresses dialable', () => {
    assert.deepEqual(proxyDatabaseAddrs({ proxy: { db: { postgres_public_addr: 'db.example.com:5432', postgres_listen_addr: '0.0.0.0:5433', mysql_listen_addr: '0.0.0.0:3036' } } }, 'proxy.example.com'),
      { postgres: 'db.example.com:5432', mysql: 'proxy.example.com:3036' });
    assert.deepEqual(proxyDatabaseAddrs({ proxy: { ssh: {} } }, 'p'), {});
    assert.deepEqual(proxyDatabaseAddrs(undefined, 'p'), {});
    assert.deepEqual(proxyDatabaseAddrs({ proxy: { db: { mysql_listen_addr: 42 } } }, 'p'), {});
  });

  it('replaces unspecified hosts with the proxy host', () => {
    assert.equal(dialableAddr(':3036', 'proxy'), 'proxy:3036');
    assert.equal(dialableAddr('[::]:3036', '::1'), '[::1]:3036');
    assert.equal(dialableAddr('127.0.0.1:5432', 'proxy'), '127.0.0.1:5432');
    assert.equal(dialableAddr('nonsense', 'proxy'), undefined);
  });
});

describe('db_server records', () => {
  const server = (host: string, name: string, protocol: string, labels: Record<string, string> = {}) => ({
    kind: 'db_server', version: 'v3', metadata: { name: host },
    spec: { host_id: host, hostname: host, database: { kind: 'db', version: 'v3', metadata: { name, description: `${name} db`, labels }, spec: { protocol, uri: 'localhost:5432' } } },
  });

  it('deduplicates by database name, sorted, and skips what it cannot read', () => {
    const dbs = databasesFromServers([
      server('h2', 'pg', 'postgres', { env: 'dev' }), server('h1', 'pg', 'postgres'), server('h1', 'maria', 'mysql'),
      server('h1', 'mongo', 'mongodb'), { kind: 'db_server' }, null, 'junk',
      { kind: 'db_server', spec: { name: 'old', protocol: 'postgres', description: 'v2 record' } },
    ]);
    assert.deepEqual(dbs.map((d) => [d.name, d.protocol, d.description]), [['maria', 'mysql', 'maria db'], ['old', 'postgres', 'v2 record'], ['pg', 'postgres', 'pg db']]);
    assert.deepEqual(dbs[2]?.labels, { env: 'dev' });
    assert.deepEqual(matchDatabases(dbs, { env: 'dev' }).map((d) => d.name), ['pg']);
    assert.equal(findDatabase(dbs, 'pg').name, 'pg');
    assert.throws(() => findDatabase(dbs, 'nope'), /database "nope" not found or not allowed for you \(you can see: maria, old, pg\): "tsh db ls"/);
  });
});

describe('proxy chain', () => {
  it('keeps a self-signed certificate as its own anchor and appends the root a chain stops short of', () => {
    const root = createTLSCA({ clusterName: 'root.example', caType: 'host', algorithm: 'ecdsa-p256', clock: systemClock });
    const keys = generateKeyPair('ecdsa-p256');
    const leafPEM = issueTLSCert({
      caCertPEM: root.certPEM, caKeyPEM: root.keyPEM, publicKey: keys.publicKey, clock: systemClock, usage: 'server',
      identity: { username: 'proxy', groups: [], expires: new Date(0) }, notAfter: new Date(Date.now() + 3600_000), dnsNames: ['proxy.example.com'],
    });
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.equal(completeChain([der(root.certPEM)], []).length, 1);
    const completed = completeChain([der(leafPEM)], ['not a pem', root.certPEM]);
    assert.equal(completed.length, 2);
    assert.equal(der(completed[1] as string).toString('base64'), der(root.certPEM).toString('base64'));
    assert.equal(completeChain([der(leafPEM)], []).length, 1);
  });
});
