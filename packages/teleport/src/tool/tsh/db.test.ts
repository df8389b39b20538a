/**
 * @module tool/tsh/db.test
 * `tsh db ls|login|env|config|logout` and `tsh proxy db` against a real in-process cluster whose
 * db_server records are written directly (standing in for a database service): RBAC-filtered
 * listing, the login errors (not logged in, unknown database, no db user), the files under ~/.tsh,
 * the certificate's route, the rendered settings, and logout. Connecting through the proxy to real
 * databases is covered by the integration tests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { DatabaseServer } from '@teleport-ts/api/types/database';
import { startTestCluster, tempHome, tsh, type TestCluster } from '../../testing/tshCluster.ts';
import { formatDatabases } from './db.ts';

let cluster: TestCluster;
let env: Record<string, string>;
const homes: string[] = [];

function dbServer(hostId: string, name: string, protocol: 'postgres' | 'mysql', labels: Record<string, string>): DatabaseServer {
  return {
    kind: 'db_server', version: 'v3', metadata: { name },
    spec: {
      host_id: hostId, hostname: `dbhost-${hostId}`, version: '0.1.0',
      database: { kind: 'db', version: 'v3', metadata: { name, description: `the ${name} database`, labels }, spec: { protocol, uri: 'localhost:5432' } },
    },
  };
}

before(async () => {
  cluster = await startTestCluster({ secondFactor: 'off' });
  await cluster.auth.services.access.createRole(newRole('dbdev', { allow: { db_labels: { env: 'dev' }, db_users: ['alice', 'app'], db_names: ['*'] } }));
  const alice = await cluster.addUser('alice', { roles: ['dbdev'] });
  const dbs = cluster.auth.services.databases;
  await dbs.upsertDatabaseServer(dbServer('h1', 'pg', 'postgres', { env: 'dev' }));
  await dbs.upsertDatabaseServer(dbServer('h2', 'pg', 'postgres', { env: 'dev' }));
  await dbs.upsertDatabaseServer(dbServer('h1', 'maria', 'mysql', { env: 'dev', team: 'shop' }));
  await dbs.upsertDatabaseServer(dbServer('h1', 'secret', 'postgres', { env: 'prod' }));
  const home = await tempHome();
  homes.push(home);
  env = { TELEPORT_HOME: home };
  const res = await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=alice', '--insecure'], env, `${alice.password}\n`);
  assert.equal(res.code, 0, res.stderr);
});

after(async () => {
  await cluster.close();
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

describe('tsh db against a cluster', () => {
  it('lists the databases the roles allow, once each', async () => {
    const res = await tsh(['db', 'ls'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, [
      'Name  Description        Protocol Labels',
      '----- ------------------ -------- -----------------',
      'maria the maria database mysql    env=dev,team=shop',
      'pg    the pg database    postgres env=dev',
      '',
    ].join('\n'));
    const json = JSON.parse((await tsh(['db', 'ls', '--format=json', 'team=shop'], env)).stdout) as Array<{ kind: string; metadata: { name: string } }>;
    assert.deepEqual(json.map((d) => [d.kind, d.metadata.name]), [['db', 'maria']]);
  });

  it('explains the login errors', async () => {
    const fresh = await tempHome();
    homes.push(fresh);
    assert.match((await tsh(['db', 'login', 'pg'], { TELEPORT_HOME: fresh })).stderr, /not logged in: run "tsh login/);
    assert.match((await tsh(['db', 'login', 'secret', '--db-user=alice'], env)).stderr, /database "secret" not found or not allowed for you \(you can see: maria, pg\)/);
    assert.match((await tsh(['db', 'login', 'pg'], env)).stderr, /please choose a database user for "pg" with --db-user/);
    assert.match((await tsh(['db', 'env'], env)).stderr, /not logged in to any database: run "tsh db login <db>"/);
  });

  it('logs in to a PostgreSQL database and renders its settings', async () => {
    const res = await tsh(['db', 'login', 'pg', '--db-user=alice', '--db-name=app'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Connection information for database "pg" has been saved \(user: alice, db: app\)[\s\S]*tsh db connect pg/);
    const dir = join(env.TELEPORT_HOME as string, 'keys', '127.0.0.1', 'alice-db', cluster.clusterName);
    assert.deepEqual((await readdir(dir)).sort(), ['pg-proxy-ca.pem', 'pg-x509.pem', 'pg.key']);
    assert.equal((await stat(join(dir, 'pg.key'))).mode & 0o777, 0o600);
    const id = identityFromCertificate(await readFile(join(dir, 'pg-x509.pem'), 'utf8'));
    assert.deepEqual(id.routeToDatabase, { serviceName: 'pg', protocol: 'postgres', username: 'alice', database: 'app' });
    assert.equal(id.username, 'alice');
    // The pinned proxy certificate is the self-signed web certificate the proxy presents.
    assert.match(await readFile(join(dir, 'pg-proxy-ca.pem'), 'utf8'), /^-----BEGIN CERTIFICATE-----/);

    assert.match((await tsh(['db', 'ls'], env)).stdout, /^> pg \(user: alice, db: app\) the pg database/m);
    const port = cluster.webAddr.split(':')[1];
    const envOut = (await tsh(['db', 'env'], env)).stdout;
    assert.equal(envOut, [
      'export PGHOST=127.0.0.1', `export PGPORT=${port}`, 'export PGSSLMODE=verify-ca',
      `export PGSSLROOTCERT=${join(dir, 'pg-proxy-ca.pem')}`, `export PGSSLCERT=${join(dir, 'pg-x509.pem')}`,
      `export PGSSLKEY=${join(dir, 'pg.key')}`, 'export PGUSER=alice', 'export PGDATABASE=app', '',
    ].join('\n'));
    const cmd = (await tsh(['db', 'config', '--format=cmd'], env)).stdout;
    assert.match(cmd, new RegExp(`^psql 'host=127\\.0\\.0\\.1 port=${port} user=alice dbname=app sslmode=verify-ca sslrootcert=`));
    assert.match((await tsh(['db', 'config', 'pg'], env)).stdout, /^Name: +pg\nHost: +127\.0\.0\.1\n/);
  });

  it('logs in to a MySQL database with its option file', async () => {
    const res = await tsh(['db', 'login', 'maria', '--db-user=app'], env);
    assert.equal(res.code, 0, res.stderr);
    const dir = join(env.TELEPORT_HOME as string, 'keys', '127.0.0.1', 'alice-db', cluster.clusterName);
    const cnf = await readFile(join(dir, 'maria.my.cnf'), 'utf8');
    assert.match(cnf, new RegExp(`\\[client\\]\\n(?:host=.*\\n|port=.*\\nprotocol=TCP\\n)*user=app\\nssl-ca=${dir}/maria-proxy-ca\\.pem\\n`));
    assert.match((await tsh(['db', 'env'], env)).stderr, /logged in to several databases \(maria, pg\): name one/);
    assert.match((await tsh(['db', 'env', 'maria'], env)).stdout, /--defaults-extra-file=/);
  });

  it('logs out of one database and of all', async () => {
    assert.equal((await tsh(['db', 'logout', 'pg'], env)).stdout, 'Logged out of database pg\n');
    assert.match((await tsh(['db', 'logout', 'pg'], env)).stderr, /not logged in to database "pg"/);
    assert.doesNotMatch((await tsh(['db', 'ls'], env)).stdout, /> pg/);
    assert.equal((await tsh(['db', 'logout'], env)).stdout, 'Logged out of all databases\n');
    assert.match((await tsh(['db', 'config', 'maria'], env)).stderr, /not logged in to database "maria": run "tsh db login maria"/);
  });

  it('offers only tunnel mode in tsh proxy db', async () => {
    const res = await tsh(['proxy', 'db', 'pg'], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /only tunnel mode is supported: run "tsh proxy db --tunnel pg"/);
  });
});

describe('tsh db ls formatting', () => {
  it('prints an empty table and YAML', () => {
    assert.equal(formatDatabases([], 'text'), 'Name Description Protocol Labels\n---- ----------- -------- ------\n');
    assert.equal(formatDatabases([], 'yaml'), '');
  });
});
