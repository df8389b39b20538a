/**
 * @module bench/db
 * Database benchmarks: PostgreSQL `pgbench -S` (select-only) and the default TPC-B-like run, and a
 * MariaDB `select 1` loop (one connection, and a new connection per query), each through the proxy
 * and directly against the same server in the same run, with the same client program on both sides.
 *
 * The cluster is the integration tests' (auth + proxy with the dedicated PostgreSQL and MySQL
 * listeners, a database service joined with a token over a reverse tunnel). The proxy path is the
 * dedicated listener with the user's certificate (what `tsh db env` / `tsh db config` point plain
 * psql/mariadb at): client TLS to the proxy, reverse tunnel to the database service, which audits
 * every statement and talks TLS with a db-CA client certificate to the server. The direct path is
 * TLS with a db-CA client certificate for the same database user.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '../packages/api/src/keys.ts';
import type { TeleportProcess } from '../packages/teleport/src/service/teleportProcess.ts';
import { executable, mariadbTestSkip, postgresTestSkip } from '../packages/teleport/src/testing/databaseTools.ts';
import { MARIADB_CLI, startTestMariaDB, type TestMariaDB } from '../packages/teleport/src/testing/mariadb.ts';
import { PG_BIN, startTestPostgres } from '../packages/teleport/src/testing/postgres.ts';
import { addJoinToken, eventually, startAgent, writeAgentConfig } from '../integration/helpers/agents.ts';
import { describeResult } from '../integration/helpers/cli.ts';
import { startTestCluster, type TestCluster } from '../integration/helpers/cluster.ts';
import type { BenchContext, Figure, Scenario } from './scenario.ts';

const execFileP = promisify(execFile);

/** pgbench from Debian's postgresql-15. */
export const PGBENCH = `${PG_BIN}/pgbench`;

const DB_ROLE = `kind: role
version: v7
metadata:
  name: benchdb
spec:
  allow:
    db_labels:
      '*': '*'
    db_users: [alice]
    db_names: [test, test_db]
`;

/** Key and certificate files for one client. */
interface ClientFiles {
  cert: string;
  key: string;
}

/** A cluster serving one database through its proxy, plus client certificates for both paths. */
interface DbRig {
  cluster: TestCluster;
  agent: TeleportProcess;
  /** Through the proxy: the user's certificate with the route to the database. */
  proxyFiles: ClientFiles;
  /** Direct: a db-CA client certificate with CN = the database user. */
  directFiles: ClientFiles;
  close(): Promise<void>;
}

async function writeClientFiles(dir: string, name: string, certPEM: string, keyPEM: string): Promise<ClientFiles> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await writeFile(cert, certPEM);
  await writeFile(key, keyPEM, { mode: 0o600 });
  return { cert, key };
}

/**
 * Starts a cluster with the db listeners and a server-certificate for the database, lets
 * `startServer` start the database with it, joins a database service serving it as `dbName`, and
 * issues the user's and the direct client certificates.
 */
async function startRig<S extends { port: number; stop(): Promise<void> }>(
  ctx: BenchContext,
  dbName: string,
  protocol: 'postgres' | 'mysql',
  database: string,
  startServer: (pem: { crt: string; key: string; cas: string }) => Promise<S>,
): Promise<DbRig & { server: S }> {
  const cluster = await startTestCluster({ secondFactor: 'off', dbListeners: true });
  let server: S | undefined;
  let agent: TeleportProcess | undefined;
  try {
    const prefix = join(cluster.root, 'dbsrv');
    const sign = await cluster.tctl(['auth', 'sign', '--format=db', '--host=127.0.0.1,localhost', '-o', prefix, '--ttl=24h']);
    if (sign.code !== 0) throw new Error(`tctl auth sign failed: ${describeResult(sign)}`);
    const [crt, key, cas] = (await Promise.all(['crt', 'key', 'cas'].map((x) => readFile(`${prefix}.${x}`, 'utf8')))) as [string, string, string];
    server = await startServer({ crt, key, cas });
    const token = await addJoinToken(cluster, 'db');
    const cfg = await writeAgentConfig(cluster, 'db-agent', {
      nodeName: 'db-agent', proxyServer: cluster.webAddr, ...token,
      db: { databases: [{ name: dbName, protocol, uri: `127.0.0.1:${server.port}`, labels: { env: 'bench' }, caCertFile: `${prefix}.cas` }] },
    });
    agent = await startAgent(cfg.configPath);

    const roleFile = join(cluster.root, 'benchdb.yaml');
    await writeFile(roleFile, DB_ROLE);
    const created = await cluster.tctl(['create', '-f', roleFile]);
    if (created.code !== 0) throw new Error(`tctl create role failed: ${describeResult(created)}`);
    const add = await cluster.tctl(['users', 'add', 'alice', '--roles=benchdb']);
    if (add.code !== 0) throw new Error(`tctl users add failed: ${describeResult(add)}`);
    const user = await cluster.auth.services.users.getUser('alice');

    const dir = join(ctx.workDir, `db-${protocol}`);
    await mkdir(dir, { recursive: true });
    const userKey = generateKeyPair('ecdsa-p256');
    const userCerts = await cluster.auth.generateUserCerts(user, {
      tlsPublicKey: publicKeyToPEM(userKey.publicKey), ttlMs: 3600_000,
      routeToDatabase: { serviceName: dbName, protocol, username: 'alice', database },
    });
    const proxyFiles = await writeClientFiles(dir, 'user', userCerts.tlsCert, privateKeyToPEM(userKey.privateKey));
    const directKey = generateKeyPair('ecdsa-p256');
    const direct = await cluster.auth.generateDatabaseCert({ tlsPublicKey: publicKeyToPEM(directKey.publicKey), commonName: 'alice', ttlMs: 3600_000, usage: 'client' }, 'bench');
    const directFiles = await writeClientFiles(dir, 'direct', direct.certPEM, privateKeyToPEM(directKey.privateKey));

    // The proxy learns about the db_server from its heartbeat: callers wait for a first connection.
    return {
      cluster, agent, server, proxyFiles, directFiles,
      async close() {
        await agent?.close({ graceful: false });
        await server?.stop();
        await cluster.close();
      },
    };
  } catch (err) {
    await agent?.close({ graceful: false }).catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await cluster.close();
    throw err;
  }
}

/** What one pgbench run printed. */
export interface PgbenchResult {
  tps: number;
  latencyMs: number;
  transactions: number;
  failed: number;
}

/** Runs pgbench with libpq settings in `env`; parses tps and the average latency. */
export async function pgbench(args: string[], env: Record<string, string>, timeoutMs: number): Promise<PgbenchResult> {
  const { stdout } = await execFileP(PGBENCH, args, { env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 });
  const num = (re: RegExp): number => Number(re.exec(stdout)?.[1] ?? NaN);
  return {
    tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
    latencyMs: num(/latency average = ([\d.]+) ms/),
    transactions: num(/number of transactions actually processed: (\d+)/),
    failed: Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

/** libpq environment for a TLS client-certificate connection. */
function pgEnv(host: string, port: number, files: ClientFiles): Record<string, string> {
  return {
    PGHOST: host, PGPORT: String(port), PGUSER: 'alice', PGDATABASE: 'test',
    PGSSLMODE: 'require', PGSSLCERT: files.cert, PGSSLKEY: files.key, PGSSLROOTCERT: '/nonexistent',
  };
}

/** A running PostgreSQL rig: libpq environments for both paths, pgbench tables initialised. */
export interface PostgresRig {
  /** Direct to the server. */
  direct: Record<string, string>;
  /** Through the proxy's dedicated PostgreSQL listener. */
  proxied: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the PostgreSQL rig (cluster, server, database service), runs `pgbench -i -s 1` directly and
 * waits until a connection through the proxy works. For profiling drivers as well as the scenario.
 */
export async function startPostgresRig(ctx: BenchContext): Promise<PostgresRig> {
  const rig = await startRig(ctx, 'pg', 'postgres', 'test', (p) =>
    startTestPostgres({ serverCertPEM: p.crt, serverKeyPEM: p.key, caCertPEM: p.cas, users: ['alice'] }));
  try {
    const pgAddr = rig.cluster.proc.proxy?.postgresAddr;
    if (!pgAddr) throw new Error('the cluster runs no PostgreSQL listener');
    const direct = pgEnv('127.0.0.1', rig.server.port, rig.directFiles);
    const proxied = pgEnv('127.0.0.1', pgAddr.port, rig.proxyFiles);
    ctx.log('pgbench -i (scale 1), directly');
    await pgbench(['-i', '-q', '-s', '1'], direct, 120_000);
    await eventually('a pgbench connection through the proxy', async () =>
      (await pgbench(['-S', '-n', '-t', '1', '-c', '1'], proxied, 20_000).catch(() => undefined))?.transactions === 1 ? true : undefined, 30_000, 500);
    return { direct, proxied, close: () => rig.close() };
  } catch (err) {
    await rig.close();
    throw err;
  }
}

async function runPostgres(ctx: BenchContext): Promise<Figure[]> {
  const secs = ctx.mode === 'full' ? 20 : 1;
  const rig = await startPostgresRig(ctx);
  try {
    const { direct, proxied } = rig;

    const figures: Figure[] = [];
    for (const [label, extra] of [['select-only (pgbench -S)', ['-S']], ['TPC-B-like (pgbench default)', []]] as const) {
      const args = [...extra, '-n', '-T', String(secs), '-c', '4', '-j', '2'];
      ctx.log(`pgbench ${args.join(' ')}: direct, then through the proxy`);
      const d = await pgbench(args, direct, (secs + 60) * 1000);
      const o = await pgbench(args, proxied, (secs + 60) * 1000);
      const details = { direct: d, proxy: o, clients: 4, threads: 2, seconds: secs, path: 'dedicated PostgreSQL listener, user certificate (PGSSLCERT)' };
      figures.push({
        name: `PostgreSQL ${label}`, unit: 'tps', ours: o.tps, baseline: d.tps, baselineName: 'PostgreSQL direct',
        higherIsBetter: true, details,
        ...(extra.length ? { target: { ratio: 0.8, description: '>= 0.8x direct PostgreSQL' } } : {}),
      });
      figures.push({
        name: `PostgreSQL ${label} latency`, unit: 'ms avg', ours: o.latencyMs, baseline: d.latencyMs,
        baselineName: 'PostgreSQL direct', higherIsBetter: false,
      });
    }
    return figures;
  } finally {
    await rig.close();
  }
}

/** mariadb CLI arguments for a TLS client-certificate connection. */
function mariadbArgs(port: number, files: ClientFiles): string[] {
  return ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(port), '-u', 'alice', '--ssl', `--ssl-cert=${files.cert}`, `--ssl-key=${files.key}`, '-N', '-B', 'test_db'];
}

/** One CLI run; rejects with its stderr when it fails. */
async function mariadb(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(MARIADB_CLI, args, { timeout: 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`mariadb failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}

/** Queries/s of `n` `select 1` over one connection (one CLI run reading them from stdin). */
export async function oneConnection(args: string[], n: number): Promise<{ qps: number; ms: number }> {
  const script = 'select 1;\n'.repeat(n);
  const t0 = performance.now();
  const out = await mariadb(args, script);
  const ms = performance.now() - t0;
  const rows = out.split('\n').filter((l) => l === '1').length;
  if (rows !== n) throw new Error(`expected ${n} rows, got ${rows}`);
  return { qps: (n * 1000) / ms, ms };
}

/** Connections/s of `n` sequential CLI runs, each connecting and running `select 1`. */
async function newConnections(args: string[], n: number): Promise<{ perSecond: number; avgMs: number }> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const out = await mariadb([...args, '-e', 'select 1'], '');
    if (out.trim() !== '1') throw new Error(`unexpected output ${JSON.stringify(out)}`);
  }
  const ms = performance.now() - t0;
  return { perSecond: (n * 1000) / ms, avgMs: ms / n };
}

/** A running MariaDB rig: `mariadb` CLI arguments for both paths. */
export interface MySQLRig {
  /** Direct to the server. */
  direct: string[];
  /** Through the proxy's dedicated MySQL listener. */
  proxied: string[];
  close(): Promise<void>;
}

/**
 * Starts the MariaDB rig (cluster, server, database service) and waits until a connection through
 * the proxy works. For profiling drivers as well as the scenario.
 */
export async function startMySQLRig(ctx: BenchContext): Promise<MySQLRig> {
  let maria: TestMariaDB | undefined;
  const rig = await startRig(ctx, 'maria', 'mysql', 'test_db', async (p) => {
    maria = await startTestMariaDB({ serverCertPEM: p.crt, serverKeyPEM: p.key, caCertPEM: p.cas, users: [{ name: 'alice', require: { subject: '/CN=alice' } }] });
    return maria;
  });
  try {
    const myAddr = rig.cluster.proc.proxy?.mysqlAddr;
    if (!myAddr) throw new Error('the cluster runs no MySQL listener');
    const direct = mariadbArgs(rig.server.port, rig.directFiles);
    const proxied = mariadbArgs(myAddr.port, rig.proxyFiles);
    await eventually('a mariadb connection through the proxy', async () =>
      (await mariadb([...proxied, '-e', 'select 1'], '').catch(() => undefined))?.trim() === '1' ? true : undefined, 30_000, 500);
    return { direct, proxied, close: () => rig.close() };
  } catch (err) {
    await rig.close();
    throw err;
  }
}

async function runMySQL(ctx: BenchContext): Promise<Figure[]> {
  const queries = ctx.mode === 'full' ? 2000 : 100;
  const conns = ctx.mode === 'full' ? 100 : 10;
  const rig = await startMySQLRig(ctx);
  try {
    const { direct, proxied } = rig;
    ctx.log(`mariadb: ${queries} x select 1 over one connection, direct then through the proxy`);
    const d1 = await oneConnection(direct, queries);
    const o1 = await oneConnection(proxied, queries);
    ctx.log(`mariadb: ${conns} new connections, direct then through the proxy`);
    const dn = await newConnections(direct, conns);
    const on = await newConnections(proxied, conns);
    const base = { baselineName: 'MariaDB direct', path: 'dedicated MySQL listener, user certificate (--ssl-cert)' };
    return [
      {
        name: 'MySQL select 1, one connection', unit: 'queries/s', ours: o1.qps, baseline: d1.qps, baselineName: base.baselineName,
        higherIsBetter: true, details: { queries, directMs: d1.ms, proxyMs: o1.ms, client: 'mariadb CLI, statements on stdin', path: base.path },
      },
      {
        name: 'MySQL connect + select 1 (new connection each)', unit: 'conns/s', ours: on.perSecond, baseline: dn.perSecond, baselineName: base.baselineName,
        higherIsBetter: true, details: { connections: conns, directAvgMs: dn.avgMs, proxyAvgMs: on.avgMs, client: 'one mariadb CLI process per connection (process start included on both sides)', path: base.path },
      },
    ];
  } finally {
    await rig.close();
  }
}

/** The database scenarios. */
export const scenarios: Scenario[] = [
  {
    id: 'postgres',
    title: 'PostgreSQL pgbench (select-only and TPC-B-like) through the proxy vs direct',
    unavailable: () => postgresTestSkip || (executable(PGBENCH) ? undefined : `${PGBENCH} not found (apt-get install postgresql-15)`),
    run: runPostgres,
  },
  {
    id: 'mysql',
    title: 'MariaDB select 1 loop (one connection, new connections) through the proxy vs direct',
    // mariadbTestSkip already requires the mariadb client.
    unavailable: () => mariadbTestSkip || undefined,
    run: runMySQL,
  },
];
