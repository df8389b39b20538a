/**
 * @module auth/databases.test
 * Database access in the auth API: who may read and write `db` and `db_server`, which databases
 * users see, GenerateDatabaseCert (db CA; client certificates for the Db role, capped at 1 h;
 * server certificates for admins only), and database routes in user certificate renewals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { AccessDeniedError, isNotFound } from '@teleport-ts/api/errors';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import type { Database, DatabaseServer } from '@teleport-ts/api/types/database';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { UserContext } from './authorizer.ts';
import { AuthWithRoles } from './authWithRoles.ts';
import { addUser, asBuiltin, asUser, builtinContext, newTestAuthServer, newTestKeys, userContext, type TestAuth } from './testAuthServer.ts';

const keys = newTestKeys();
const db = (name: string, env: string): Database => ({
  kind: 'db', version: 'v3', metadata: { name, labels: { env } }, spec: { protocol: 'postgres', uri: `${name}.internal:5432` },
});
const dbServer = (hostId: string, d: Database): DatabaseServer => ({
  kind: 'db_server', version: 'v3', metadata: { name: d.metadata.name, expires: new Date(Date.now() + 600_000).toISOString() },
  spec: { host_id: hostId, hostname: 'dbhost', version: '1.0.0', database: d },
});

async function cluster(): Promise<TestAuth> {
  const t = await newTestAuthServer({ secondFactor: 'off' });
  await t.services.access.upsertRole(newRole('dev-db', { allow: { db_labels: { env: 'dev' }, db_users: ['alice'], db_names: ['*'] } }));
  await addUser(t, 'dana', ['dev-db']);
  await addUser(t, 'ed', ['editor']);
  await t.services.databases.upsertDatabase(db('devdb', 'dev'));
  await t.services.databases.upsertDatabase(db('proddb', 'prod'));
  await t.services.databases.upsertDatabaseServer(dbServer('h1', db('devdb', 'dev')));
  await t.services.databases.upsertDatabaseServer(dbServer('h1', db('proddb', 'prod')));
  return t;
}

const asDb = (t: TestAuth, hostId = 'h1'): AuthWithRoles => new AuthWithRoles(t.auth, builtinContext('Db', hostId));

describe('db and db_server resources', () => {
  it('the Db role writes only its own db_server records and reads db', async () => {
    const t = await cluster();
    await asDb(t, 'h1').upsertResource(dbServer('h1', db('devdb', 'dev')));
    await assert.rejects(asDb(t, 'h1').upsertResource(dbServer('h2', db('devdb', 'dev'))), /host h1 may not write db_server records of host h2/);
    await assert.rejects(asDb(t, 'h2').deleteResource('db_server', 'h1/devdb'), AccessDeniedError);
    await asDb(t, 'h1').deleteResource('db_servers', 'h1/devdb');
    assert.equal((await asDb(t).listResources('db')).length, 2);
    await assert.rejects(asDb(t).createResource(db('x', 'dev')), AccessDeniedError);
    await assert.rejects(asBuiltin(t, 'Node').upsertResource(dbServer('host-uuid', db('x', 'dev'))), AccessDeniedError);
  });

  it('the proxy reads db_servers but writes none', async () => {
    const t = await cluster();
    assert.equal((await asBuiltin(t, 'Proxy').listResources('db_servers')).length, 2);
    await assert.rejects(asBuiltin(t, 'Proxy').upsertResource(dbServer('host-uuid', db('x', 'dev'))), AccessDeniedError);
  });

  it('editors create and delete dbs; other users may not', async () => {
    const t = await cluster();
    const ed = await asUser(t, 'ed');
    await ed.createResource(db('newdb', 'dev'));
    await ed.deleteResource('db', 'newdb');
    await assert.rejects((await asUser(t, 'dana')).createResource(db('mine', 'dev')), AccessDeniedError);
  });

  it('users see only the dbs and db_servers their db_labels allow', async () => {
    const t = await cluster();
    const dana = await asUser(t, 'dana');
    assert.deepEqual((await dana.listResources('db')).map((r) => r.metadata.name), ['devdb']);
    assert.deepEqual((await dana.listResources('db_server')).map((r) => r.metadata.name), ['devdb']);
    await assert.rejects(dana.getResource('db', 'proddb'), (e) => isNotFound(e));
    assert.deepEqual((await (await asUser(t, 'ed')).listResources('databases')).map((r) => r.metadata.name), ['devdb', 'proddb']);
  });
});

describe('GenerateDatabaseCert', () => {
  const req = { tlsPublicKey: keys.tlsPublicKey, commonName: 'alice', ttlMs: 5 * 3600_000, usage: 'client' as const };

  it('gives the Db role client certificates from the db CA, at most one hour long', async () => {
    const t = await cluster();
    const r = await asDb(t).generateDatabaseCert(req);
    const cert = new X509Certificate(r.certPEM);
    assert.equal(identityFromCertificate(r.certPEM).username, 'alice');
    assert.deepEqual(r.caCerts, await t.auth.keyring.tlsCerts('db'));
    assert.ok(cert.verify(new X509Certificate(r.caCerts[0] as string).publicKey));
    assert.ok(Date.parse(cert.validTo) <= t.clock.nowMs() + 3600_000);
    assert.equal(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), true, 'clientAuth');
    const e = t.audit.all().at(-1);
    assert.deepEqual([e?.event, e?.cert_type], ['cert.create', 'db']);
  });

  it('refuses server certificates and SANs to the Db role, and everything to nodes and users', async () => {
    const t = await cluster();
    await assert.rejects(asDb(t).generateDatabaseCert({ ...req, usage: 'server' }), /only client certificates/);
    await assert.rejects(asDb(t).generateDatabaseCert({ ...req, serverNames: ['x'] }), /may not put server names/);
    await assert.rejects(asBuiltin(t, 'Node').generateDatabaseCert(req), /may not perform db certs/);
    await assert.rejects((await asUser(t, 'ed')).generateDatabaseCert(req), AccessDeniedError);
  });

  it('gives admins server certificates with the host names and IPs as SANs', async () => {
    const t = await cluster();
    const r = await asBuiltin(t, 'Admin').generateDatabaseCert({ ...req, commonName: 'db.example.com', serverNames: ['db.example.com', '10.1.2.3'], usage: 'server', ttlMs: 0 });
    const cert = new X509Certificate(r.certPEM);
    assert.equal(cert.subjectAltName, 'DNS:db.example.com, IP Address:10.1.2.3');
    assert.equal(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), true, 'serverAuth');
    assert.ok(Date.parse(cert.validTo) > t.clock.nowMs() + 11 * 3600_000, 'default 12h');
  });
});

describe('user certificates routed to a database', () => {
  const withExpiry = async (t: TestAuth, name: string, expires: Date): Promise<AuthWithRoles> => {
    const ctx: UserContext = await userContext(t, name);
    return new AuthWithRoles(t.auth, { ...ctx, identity: { ...ctx.identity, expires } });
  };

  it('routes to a database the user can see and fills in its protocol', async () => {
    const t = await cluster();
    const certs = await (await asUser(t, 'dana')).generateUserCerts({
      tlsPublicKey: keys.tlsPublicKey, routeToDatabase: { serviceName: 'devdb', protocol: '', username: 'alice', database: 'app' },
    });
    assert.deepEqual(identityFromCertificate(certs.tlsCert).routeToDatabase, { serviceName: 'devdb', protocol: 'postgres', username: 'alice', database: 'app' });
  });

  it('refuses a route to a database the user cannot see or that nobody serves', async () => {
    const t = await cluster();
    const dana = await asUser(t, 'dana');
    for (const serviceName of ['proddb', 'nosuchdb']) {
      await assert.rejects(dana.generateUserCerts({ tlsPublicKey: keys.tlsPublicKey, routeToDatabase: { serviceName, protocol: 'postgres' } }),
        new RegExp(`database "${serviceName}" is not registered or you are not allowed to use it`));
    }
  });

  it('never outlives the certificate the user renews with', async () => {
    const t = await cluster();
    const expires = new Date(t.clock.nowMs() + 30 * 60_000);
    const certs = await (await withExpiry(t, 'dana', expires)).generateUserCerts({
      tlsPublicKey: keys.tlsPublicKey, ttlMs: 12 * 3600_000, routeToDatabase: { serviceName: 'devdb', protocol: 'postgres' },
    });
    assert.ok(Date.parse(new X509Certificate(certs.tlsCert).validTo) <= expires.getTime());
    await assert.rejects((await withExpiry(t, 'dana', new Date(t.clock.nowMs() - 1000))).generateUserCerts({ tlsPublicKey: keys.tlsPublicKey }),
      /your certificate has expired/);
  });
});
