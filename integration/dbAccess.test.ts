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
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '../packages/api/src/events/types.ts';
import { systemClock } from '../packages/api/src/clock.ts';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '../packages/api/src/keys.ts';
import { createTLSCA, issueTLSCert } from '../packages/teleport/src/ca/tlsCA.ts';
import type { TeleportProcess } from '../packages/teleport/src/service/teleportProcess.ts';
import { startTestPostgres, type TestPostgres } from '../packages/teleport/src/testing/postgres.ts';
import { startTestMariaDB, type TestMariaDB } from '../packages/teleport/src/testing/mariadb.ts';
import { mariadbTestSkip, postgresTestSkip } from '../packages/teleport/src/testing/databaseTools.ts';
import { addJoinToken, eventually, startAgent, writeAgentConfig } from './helpers/agents.ts';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, ProcessTracker } from './helpers/sshClients.ts';
import { createUser, tshLogin } from './helpers/users.ts';


const APP_PASSWORD = 'app-only-the-service-knows-1';

const DB_ROLE = `kind: role
version: v7
metadata:
  name: dbdev
spec:
  allow:
    db_labels:
      env: dev
    db_users: [alice, app]
    db_names: [test, test_db]
  deny:
    db_users: [postgres, root]
`;

describe('database access end to end', { skip: postgresTestSkip || mariadbTestSkip }, () => {
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
    pg = await startTestPostgres({ serverCertPEM: crt as string, serverKeyPEM: key as string, caCertPEM: cas as string, users: ['alice', 'postgres_app'], password: { user: 'app', password: APP_PASSWORD } });
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
          { name: 'pg-pw', protocol: 'postgres', uri: `127.0.0.1:${pg.port}`, labels: { env: 'dev' }, caCertFile: `${prefix}.cas`, passwordEnv: 'TEST_PG_APP_PASSWORD' },
          { name: 'prod-pg', protocol: 'postgres', uri: `127.0.0.1:${pg.port}`, labels: { env: 'prod' }, caCertFile: `${prefix}.cas` },
        ],
      },
    });
    // The database service reads the password from its environment at start (beyond upstream).
    process.env.TEST_PG_APP_PASSWORD = APP_PASSWORD;
    dbAgent = await startAgent(cfg.configPath);
    delete process.env.TEST_PG_APP_PASSWORD;

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

  /** `tsh db login` then the PG* variables `tsh db env` prints. */
  async function postgresEnv(dbUser: string, dbName: string): Promise<Record<string, string>> {
    const login = await tsh(['db', 'login', 'pg', `--db-user=${dbUser}`, `--db-name=${dbName}`]);
    assert.equal(login.code, 0, describeResult(login));
    const out = await tsh(['db', 'env', 'pg']);
    assert.equal(out.code, 0, describeResult(out));
    const vars: Record<string, string> = {};
    for (const m of out.stdout.matchAll(/^export (\w+)=(?:'([^']*)'|(\S*))$/gm)) vars[m[1] as string] = m[2] ?? m[3] ?? '';
    assert.ok(vars.PGHOST && vars.PGPORT && vars.PGSSLCERT, out.stdout);
    return vars;
  }

  const psql = (pgEnv: Record<string, string>, args: string[], o: { stdin?: string; timeoutMs?: number } = {}) =>
    procs.run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', ...args], { env: { ...env, ...pgEnv }, ...o });

  test('plain psql with the tsh db env settings works on the dedicated listener and on the web port', async () => {
    const pgEnv = await postgresEnv('alice', 'test');
    assert.equal(pgEnv.PGPORT, String(cluster.proc.proxy?.postgresAddr?.port), 'tsh db env points at the dedicated listener');
    const dedicated = await psql(pgEnv, ['-At', '-c', 'select current_user, current_database()']);
    assert.equal(dedicated.code, 0, describeResult(dedicated));
    assert.equal(dedicated.stdout.trim(), 'alice|test');

    const [webHost, webPort] = cluster.webAddr.split(':');
    const web = await psql({ ...pgEnv, PGHOST: webHost as string, PGPORT: webPort as string }, ['-At', '-c', 'select 1 + 1']);
    assert.equal(web.code, 0, describeResult(web));
    assert.equal(web.stdout.trim(), '2');
  });

  test('plain mariadb with the tsh db config option file works on the dedicated listener', async () => {
    const login = await tsh(['db', 'login', 'maria', '--db-user=alice', '--db-name=test_db']);
    assert.equal(login.code, 0, describeResult(login));
    const cfg = await tsh(['db', 'config', 'maria', '--format=cmd']);
    assert.equal(cfg.code, 0, describeResult(cfg));
    const optionFile = /--defaults-extra-file=(\S+)/.exec(cfg.stdout)?.[1]?.replace(/^'|'$/g, '');
    assert.ok(optionFile, cfg.stdout);
    const r = await procs.run('mariadb', [`--defaults-extra-file=${optionFile}`, '-N', '-e', 'select current_user(), database()'], { env });
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, /^alice@%\ttest_db$/m);
  });

  test('tsh proxy db --tunnel serves psql, mariadb and a parameterized prepared statement; parameters are audited', async () => {
    await tsh(['db', 'login', 'pg', '--db-user=alice', '--db-name=test']);
    const pgTunnel = procs.startTsh(['proxy', 'db', '--tunnel', 'pg', '--db-user=alice', '--db-name=test'], { env });
    const pgPort = Number(await eventually('the local tunnel to listen', async () => /127\.0\.0\.1:(\d+)/.exec(pgTunnel.stdout())?.[1]));
    const viaTunnel = await procs.run('psql', ['-X', '-At', `host=127.0.0.1 port=${pgPort} user=alice dbname=test sslmode=disable`, '-c', 'select 7 * 6'], { env });
    assert.equal(viaTunnel.code, 0, describeResult(viaTunnel));
    assert.equal(viaTunnel.stdout.trim(), '42');

    // The extended query protocol (Parse/Bind/Execute), as drivers speak it, with two parameters.
    const answer = await runExtendedQuery(pgPort, 'alice', 'test', 'select $1::int + $2::int', ['40', '2']);
    assert.equal(answer, '42');
    const audited = await eventually('the prepared statement event', async () =>
      (await events('db.session.query')).find((e) => String(e.db_query) === 'select $1::int + $2::int'));
    assert.deepEqual(audited.db_query_parameters, ['40', '2']);

    await tsh(['db', 'login', 'maria', '--db-user=alice', '--db-name=test_db']);
    const myTunnel = procs.startTsh(['proxy', 'db', '--tunnel', 'maria', '--db-user=alice', '--db-name=test_db'], { env });
    const myPort = Number(await eventually('the mysql tunnel to listen', async () => /127\.0\.0\.1:(\d+)/.exec(myTunnel.stdout())?.[1]));
    const r = await procs.run('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(myPort), '-u', 'alice', '--skip-ssl', '-N', '-e', 'select 5 * 5', 'test_db'], { env });
    assert.equal(r.code, 0, describeResult(r));
    assert.equal(r.stdout.trim(), '25');

    // A binary-protocol prepared statement (COM_STMT_PREPARE/EXECUTE), as MySQL drivers send it.
    const { MySQLWireClient } = await import('../packages/teleport/src/srv/db/mysql/wireClient.ts');
    const net = await import('node:net');
    const sock = net.connect(myPort, '127.0.0.1');
    await new Promise<void>((res) => sock.once('connect', () => res()));
    const client = await MySQLWireClient.connect(sock, { user: 'alice', database: 'test_db' });
    const prepared = await client.prepare('select ? * ? as product');
    assert.ok('statementId' in prepared, JSON.stringify(prepared));
    const executed = await client.execute(prepared.statementId, [6, 7]);
    assert.equal(executed.error, undefined);
    await client.quit();
    const myAudited = await eventually('the mysql prepared statement event', async () =>
      (await events('db.session.query')).find((e) => e.db_service === 'maria' && String(e.db_query) === 'select ? * ? as product'));
    assert.deepEqual(myAudited.db_query_parameters, ['6', '7']);
    await Promise.all([pgTunnel.kill(), myTunnel.kill()]);
  });

  test('a denied db user and a denied database name are refused with the rule and audited', async () => {
    const user = await tsh(['db', 'connect', 'pg', '--db-user=postgres', '--db-name=test'], { stdin: 'select 1;\n' });
    assert.notEqual(user.code, 0);
    assert.match(user.stderr, /access to db user 'postgres' denied by role dbdev/);
    const name = await tsh(['db', 'connect', 'pg', '--db-user=alice', '--db-name=postgres'], { stdin: 'select 1;\n' });
    assert.notEqual(name.code, 0);
    assert.match(name.stderr, /access to database 'postgres' denied/);
    const myName = await tsh(['db', 'connect', 'maria', '--db-user=alice', '--db-name=other_db'], { stdin: 'select 1;\n' });
    assert.notEqual(myName.code, 0);
    assert.match(myName.stderr, /access to database 'other_db' denied/);
    for (const why of [/db user 'postgres'/, /database 'postgres'/, /database 'other_db'/]) {
      await eventually(`a failed start audited for ${why}`, async () =>
        (await events('db.session.start')).find((e) => e.success === false && e.code === 'TDB00W' && why.test(String(e.error ?? ''))));
    }
  });

  test('expired and foreign-CA certificates are refused at every TLS upgrade point, with failure events', async () => {
    const pgEnv = await postgresEnv('alice', 'test');
    const dir = cluster.newHome();
    await mkdir(dir, { recursive: true });
    const route = (serviceName: string, protocol: string, database: string) => ({ serviceName, protocol, username: 'alice', database });
    const user = await cluster.auth.services.users.getUser('alice');
    /** Writes a key and certificate for `route`; `how` says who signs it. */
    async function badCert(name: string, how: 'expired' | 'foreign', r: ReturnType<typeof route>): Promise<{ cert: string; key: string; certPEM: string; keyPEM: string }> {
      const kp = generateKeyPair('ecdsa-p256');
      let certPEM: string;
      if (how === 'expired') {
        certPEM = (await cluster.auth.generateUserCerts(user, { tlsPublicKey: publicKeyToPEM(kp.publicKey), ttlMs: 1000, routeToDatabase: r })).tlsCert;
      } else {
        const foreign = createTLSCA({ clusterName: CLUSTER_NAME, caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
        const notAfter = new Date(Date.now() + 3600_000);
        certPEM = issueTLSCert({
          caCertPEM: foreign.certPEM, caKeyPEM: foreign.keyPEM, publicKey: kp.publicKey, notAfter, clock: systemClock, usage: 'client',
          identity: { username: 'alice', groups: ['dbdev'], principals: [], expires: notAfter, routeToDatabase: r },
        });
      }
      const keyPEM = privateKeyToPEM(kp.privateKey);
      const cert = join(dir, `${name}.crt`);
      const key = join(dir, `${name}.key`);
      await writeFile(cert, certPEM);
      await writeFile(key, keyPEM, { mode: 0o600 });
      return { cert, key, certPEM, keyPEM };
    }
    const certs = {
      expiredPg: await badCert('expired-pg', 'expired', route('pg', 'postgres', 'test')),
      foreignPg: await badCert('foreign-pg', 'foreign', route('pg', 'postgres', 'test')),
      expiredMy: await badCert('expired-my', 'expired', route('maria', 'mysql', 'test_db')),
      foreignMy: await badCert('foreign-my', 'foreign', route('maria', 'mysql', 'test_db')),
    };
    await new Promise((r) => setTimeout(r, 1500)); // let the 1-second certificates expire
    const [webHost, webPort] = cluster.webAddr.split(':') as [string, string];
    const expect = { expired: /expired/i, foreign: /not signed by this cluster's user CA/i };

    for (const [kind, c] of [['expired', certs.expiredPg], ['foreign', certs.foreignPg]] as const) {
      for (const where of [{} as Record<string, string>, { PGHOST: webHost, PGPORT: webPort }]) {
        const r = await psql({ ...pgEnv, ...where, PGSSLCERT: c.cert, PGSSLKEY: c.key }, ['-At', '-c', 'select 1']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, expect[kind], `psql via ${where.PGPORT ? 'the web port' : 'the dedicated listener'} with a ${kind} certificate: ${r.stderr}`);
      }
      // ALPN on the web port (what tsh proxy db uses): the refusal arrives as a PostgreSQL ErrorResponse.
      const said = await alpnExchange(webHost, Number(webPort), 'teleport-postgres', c, (await import('../packages/teleport/src/srv/db/postgres/protocol.ts')).frontend.startup({ user: 'alice', database: 'test' }));
      assert.match(said, expect[kind], `ALPN teleport-postgres with a ${kind} certificate`);
    }

    assert.equal((await tsh(['db', 'login', 'maria', '--db-user=alice', '--db-name=test_db'])).code, 0);
    const cfg = await tsh(['db', 'config', 'maria', '--format=cmd']);
    const optionFile = (/--defaults-extra-file=(\S+)/.exec(cfg.stdout)?.[1] ?? '').replace(/^'|'$/g, '');
    for (const [kind, c] of [['expired', certs.expiredMy], ['foreign', certs.foreignMy]] as const) {
      const r = await procs.run('mariadb', [`--defaults-extra-file=${optionFile}`, `--ssl-cert=${c.cert}`, `--ssl-key=${c.key}`, '-e', 'select 1'], { env });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, expect[kind], `mariadb on the MySQL listener with a ${kind} certificate: ${r.stderr}`);
      const said = await alpnExchange(webHost, Number(webPort), 'teleport-mysql', c);
      assert.match(said, expect[kind], `ALPN teleport-mysql with a ${kind} certificate`);
    }
    await eventually('failed starts for refused certificates', async () => {
      const refused = (await events('db.session.start')).filter((e) => e.code === 'TDB00W');
      return refused.some((e) => expect.expired.test(String(e.error))) && refused.some((e) => expect.foreign.test(String(e.error))) ? true : undefined;
    });
  });

  test('a database without certificate auth: the service logs in with its own password, users still use certificates', async () => {
    const r = await tsh(['db', 'connect', 'pg-pw', '--db-user=app', '--db-name=test'], { stdin: 'select current_user;\n' });
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, /current_user\s*\n-+\s*\n\s*app/);
    const stored = await cluster.tctl(['get', 'db_servers', '--format=json']);
    assert.equal(stored.code, 0, describeResult(stored));
    assert.ok(stored.stdout.includes('pg-pw') && !stored.stdout.includes(APP_PASSWORD), 'the password never reaches the backend');
  });

  test('tsh bench postgres and mysql run a fixed-rate load through the proxy', async () => {
    for (const [proto, db, dbName] of [['postgres', 'pg', 'test'], ['mysql', 'maria', 'test_db']] as const) {
      const r = await tsh(['bench', proto, '--db-user=alice', `--db-name=${dbName}`, '--rate=10', '--duration=1s', db], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, describeResult(r));
      assert.match(r.stdout, /Requests originated: 10\b/);
      assert.match(r.stdout, /Requests failed: 0\b/);
      assert.match(r.stdout, /^99\s+\d/m);
    }
  });

  test('psql Ctrl-C cancels a running query through the proxy', async () => {
    const pgEnv = await postgresEnv('alice', 'test');
    const p = procs.start('psql', ['-X', '-c', 'select pg_sleep(30)'], { env: { ...env, ...pgEnv } });
    await new Promise((r) => setTimeout(r, 1500));
    const sent = Date.now();
    p.child.kill('SIGINT');
    const code = await p.exited;
    assert.ok(Date.now() - sent < 5000, 'cancelled within seconds');
    assert.notEqual(code, 0);
    assert.match(p.stderr(), /canceling statement due to user request/);
  });
});

/** Runs one statement with the extended query protocol through a plaintext local tunnel; returns the first value. */
async function runExtendedQuery(port: number, user: string, database: string, sql: string, params: string[]): Promise<string> {
  const { frontend, MessageReader } = await import('../packages/teleport/src/srv/db/postgres/protocol.ts');
  const net = await import('node:net');
  const sock = net.connect(port, '127.0.0.1');
  const reader = new MessageReader();
  const messages: Array<{ type: string | null; body: Buffer }> = [];
  let wake: () => void = () => undefined;
  sock.on('data', (d: Buffer) => {
    reader.push(d);
    for (let m = reader.next(); m; m = reader.next()) messages.push(m);
    wake();
  });
  /** Waits for a message of `type` ('Z' ReadyForQuery, 'D' DataRow); an ErrorResponse ('E') fails. */
  const waitFor = async (type: string): Promise<Buffer> => {
    for (;;) {
      const err = messages.find((m) => m.type === 'E');
      if (err) throw new Error(`server error: ${err.body.toString('latin1')}`);
      const i = messages.findIndex((m) => m.type === type);
      if (i >= 0) return (messages.splice(0, i + 1)[i] as { body: Buffer }).body;
      await new Promise<void>((r) => (wake = r));
    }
  };
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(frontend.startup({ user, database }));
  await waitFor('Z');
  sock.write(Buffer.concat([frontend.parse('', sql), frontend.bind({ params }), frontend.execute(), frontend.sync()]));
  // DataRow: Int16 column count, then per column Int32 length (-1 = NULL) and the bytes.
  const row = await waitFor('D');
  await waitFor('Z');
  sock.end(frontend.terminate());
  const len = row.readInt32BE(2);
  return len < 0 ? '' : row.subarray(6, 6 + len).toString('utf8');
}

/** Opens TLS with ALPN `alpn` and the given client certificate, sends `first` if given, and returns what came back as text. */
async function alpnExchange(host: string, port: number, alpn: string, c: { certPEM: string; keyPEM: string }, first?: Buffer): Promise<string> {
  const tls = await import('node:tls');
  return new Promise((resolve) => {
    let got = '';
    const sock = tls.connect({ host, port, ALPNProtocols: [alpn], cert: c.certPEM, key: c.keyPEM, rejectUnauthorized: false }, () => {
      if (first) sock.write(first);
    });
    const done = (): void => resolve(got);
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.on('error', (e) => { got += ` [${e.message}]`; });
    sock.on('close', done);
    setTimeout(() => sock.destroy(), 5000).unref();
  });
}
