/**
 * @module client/bench/dbClients.test
 * The benchmark's wire clients against real servers, over plain TCP as they run behind the local
 * proxy: PostgreSQL 15 (a `host ... trust` line added for the test) and MariaDB (an account without
 * password or TLS). Startup, queries with and without result sets, errors that leave the session
 * usable, and refused logins.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { systemClock } from '@teleport-ts/api/clock';
import { createTLSCA, issueTLSCert } from '../../ca/tlsCA.ts';
import { mariadbTestSkip, postgresTestSkip } from '../../testing/databaseTools.ts';
import { startTestMariaDB, type TestMariaDB } from '../../testing/mariadb.ts';
import { startTestPostgres, type TestPostgres } from '../../testing/postgres.ts';
import { MySQLConnection } from './mysqlClient.ts';
import { PgConnection } from './pgClient.ts';

function serverCerts(): { serverCertPEM: string; serverKeyPEM: string; caCertPEM: string } {
  const ca = createTLSCA({ clusterName: 'bench.test', caType: 'db', algorithm: 'ecdsa-p256', clock: systemClock });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notAfter = new Date(Date.now() + 3600_000);
  const serverCertPEM = issueTLSCert({
    caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey, notAfter, clock: systemClock, usage: 'server',
    identity: { username: 'localhost', groups: [], expires: notAfter }, ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'],
  });
  return { serverCertPEM, serverKeyPEM: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), caCertPEM: ca.certPEM };
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

describe('PgConnection against PostgreSQL', { skip: postgresTestSkip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await startTestPostgres({ ...serverCerts(), users: ['bench'] });
    await appendFile(join(pg.dataDir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
    const reload = await pg.superuser('select pg_reload_conf()');
    assert.equal(reload.code, 0, reload.stderr);
  });
  after(() => pg?.stop());

  it('starts up, runs queries, survives an error and terminates', async () => {
    const conn = await PgConnection.connect(await dial(pg.port), { user: 'bench', database: pg.database });
    await conn.query('select 1');
    await conn.query('create temporary table t(x int); insert into t values (1), (2); select * from t');
    await assert.rejects(conn.query('select * from no_such_table'), /ERROR: relation "no_such_table" does not exist \(SQLSTATE 42P01\)/);
    await conn.query('select 2');
    conn.close();
  });

  it('reports a refused login', async () => {
    await assert.rejects(PgConnection.connect(await dial(pg.port), { user: 'nobody', database: pg.database }),
      /the database refused the connection: FATAL: role "nobody" does not exist/);
  });
});

describe('MySQLConnection against MariaDB', { skip: mariadbTestSkip }, () => {
  let maria: TestMariaDB;
  before(async () => {
    maria = await startTestMariaDB({ ...serverCerts(), users: [] });
    const res = await maria.mysql(['-e', "CREATE USER 'bench'@'%'; GRANT ALL PRIVILEGES ON *.* TO 'bench'@'%'"]);
    assert.equal(res.code, 0, res.stderr);
  });
  after(() => maria?.stop());

  it('handshakes without TLS, runs queries, survives an error and quits', async () => {
    const conn = await MySQLConnection.connect(await dial(maria.port), { user: 'bench', database: 'test_db' });
    await conn.query('select 1');
    await conn.query('select * from information_schema.tables limit 5');
    await conn.query('create temporary table t (x int)');
    await assert.rejects(conn.query('select * from no_such_table'), /ERROR 1146 \(42S02\): Table 'test_db.no_such_table' doesn't exist/);
    await conn.query('select 2');
    conn.close();
  });

  it('reports a refused login', async () => {
    await assert.rejects(MySQLConnection.connect(await dial(maria.port), { user: 'nobody' }), /the database refused the connection: ERROR 1045 \(28000\)/);
  });
});
