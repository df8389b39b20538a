/**
 * @module bench/db
 * Database benchmarks: PostgreSQL `pgbench -S` (select-only) and the default TPC-B-like run, and a
 * MariaDB `select 1` loop (one connection, and a new connection per query), each through the proxy
 * and directly against the same server in the same run, with the same client program on both sides.
 *
 * The cluster (bench/dbRig.ts) runs as a deployment does: auth and proxy (with the dedicated
 * PostgreSQL and MySQL listeners) as two processes, and the database service as a third, joined with
 * a token through the proxy and serving the database over its reverse tunnel. The proxy path is the
 * dedicated listener with the user's certificate (what `tsh db env` / `tsh db config` point plain
 * psql/mariadb at): client TLS to the proxy, reverse tunnel to the database service, which audits
 * every statement and talks TLS with a db-CA client certificate to the server. The direct path is
 * TLS with a db-CA client certificate for the same database user. Each proxied figure's details
 * carry the CPU seconds auth, proxy and the database service spent per 1,000 statements.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { executable, mariadbTestSkip, postgresTestSkip } from '../packages/teleport/src/testing/databaseTools.ts';
import { MARIADB_CLI, startTestMariaDB } from '../packages/teleport/src/testing/mariadb.ts';
import { PG_BIN, startTestPostgres } from '../packages/teleport/src/testing/postgres.ts';
import { eventually } from '../integration/helpers/agents.ts';
import { cpuPer1000, dbLayout, startDbRig, type ClientFiles, type ClusterCPU, type DbLayout } from './dbRig.ts';
import { RELAY_DESCRIPTIONS, relayUnavailable, startRelay } from './pgRelays.ts';
import { processCPUSeconds } from './splitCluster.ts';
import type { BenchContext, Figure, Scenario } from './scenario.ts';

const execFileP = promisify(execFile);

/** pgbench from Debian's postgresql-15. */
export const PGBENCH = `${PG_BIN}/pgbench`;

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
  /** Where auth, proxy and the database service run. */
  layout: DbLayout;
  /** Direct to the server. */
  direct: Record<string, string>;
  /** Through the proxy's dedicated PostgreSQL listener. */
  proxied: Record<string, string>;
  /** The server's port, the direct client's files and the server's TLS files (for the relays). */
  serverPort: number;
  directFiles: ClientFiles;
  serverTLS: { cert: string; key: string; ca: string };
  /** CPU seconds used so far by auth, proxy and the database service. */
  cpu(): ClusterCPU;
  close(): Promise<void>;
}

/**
 * Starts the PostgreSQL rig (cluster, server, database service; `layout` defaults to
 * {@link dbLayout}), runs `pgbench -i -s 1` directly and waits until a connection through the proxy
 * works. For profiling drivers as well as the scenario.
 */
export async function startPostgresRig(ctx: BenchContext, layout: DbLayout = dbLayout()): Promise<PostgresRig> {
  const rig = await startDbRig(ctx, layout, 'pg', 'postgres', 'test', (p) =>
    startTestPostgres({ serverCertPEM: p.crt, serverKeyPEM: p.key, caCertPEM: p.cas, users: ['alice'] }));
  try {
    const direct = pgEnv('127.0.0.1', rig.server.port, rig.directFiles);
    const proxied = pgEnv('127.0.0.1', rig.proxyPort, rig.proxyFiles);
    ctx.log('pgbench -i (scale 1), directly');
    await pgbench(['-i', '-q', '-s', '1'], direct, 120_000);
    await eventually('a pgbench connection through the proxy', async () =>
      (await pgbench(['-S', '-n', '-t', '1', '-c', '1'], proxied, 20_000).catch(() => undefined))?.transactions === 1 ? true : undefined, 30_000, 500);
    return {
      layout, direct, proxied, serverPort: rig.server.port, directFiles: rig.directFiles, serverTLS: rig.serverTLS,
      cpu: () => rig.cpu(), close: () => rig.close(),
    };
  } catch (err) {
    await rig.close();
    throw err;
  }
}

/** Statements per pgbench transaction: -S runs one SELECT; the TPC-B-like script BEGIN, 3 UPDATEs, SELECT, INSERT, END. */
const PGBENCH_STATEMENTS = { select: 1, tpcb: 7 };

async function runPostgres(ctx: BenchContext): Promise<Figure[]> {
  const secs = ctx.mode === 'full' ? 20 : 1;
  const rig = await startPostgresRig(ctx);
  try {
    const { direct, proxied } = rig;

    const figures: Figure[] = [];
    for (const [label, extra, perTx] of [['select-only (pgbench -S)', ['-S'], PGBENCH_STATEMENTS.select], ['TPC-B-like (pgbench default)', [], PGBENCH_STATEMENTS.tpcb]] as const) {
      const args = [...extra, '-n', '-T', String(secs), '-c', '4', '-j', '2'];
      ctx.log(`pgbench ${args.join(' ')}: direct, then through the proxy`);
      const d = await pgbench(args, direct, (secs + 60) * 1000);
      const cpu0 = rig.cpu();
      const o = await pgbench(args, proxied, (secs + 60) * 1000);
      const statements = o.transactions * perTx;
      const details = {
        direct: d, proxy: o, clients: 4, threads: 2, seconds: secs, path: 'dedicated PostgreSQL listener, user certificate (PGSSLCERT)',
        layout: rig.layout, statements, cpuSecondsPer1000Statements: cpuPer1000(cpu0, rig.cpu(), statements),
      };
      figures.push({
        name: `PostgreSQL ${label}`, unit: 'tps', ours: o.tps, baseline: d.tps, baselineName: 'PostgreSQL direct',
        higherIsBetter: true, details,
        ...(extra.length ? { target: { ratio: 0.8, description: '>= 0.8x direct PostgreSQL' } } : {}),
      });
      figures.push({
        name: `PostgreSQL ${label} latency`, unit: 'ms avg', ours: o.latencyMs, baseline: d.latencyMs,
        baselineName: 'PostgreSQL direct', higherIsBetter: false,
      });
      if (extra.length) figures.push(...(await relayFloors(ctx, rig, args, d.tps, (secs + 60) * 1000)));
    }
    return figures;
  } finally {
    await rig.close();
  }
}

/**
 * pgbench `args` through each bare relay (bench/pgRelays.ts), against the direct figure `directTps`
 * of the same run: the most any proxy on this machine can keep, without and with TLS termination.
 */
async function relayFloors(ctx: BenchContext, rig: PostgresRig, args: string[], directTps: number, timeoutMs: number): Promise<Figure[]> {
  const figures: Figure[] = [];
  const tls = { serverCert: rig.serverTLS.cert, serverKey: rig.serverTLS.key, ca: rig.serverTLS.ca, client: rig.directFiles };
  for (const kind of ['socat', 'node-tcp', 'node-tls'] as const) {
    const why = relayUnavailable(kind);
    if (why) {
      ctx.log(`relay floor ${kind} skipped: ${why}`);
      continue;
    }
    const relay = await startRelay(kind, rig.serverPort, tls);
    try {
      ctx.log(`pgbench ${args.join(' ')}: through the ${kind} relay (floor)`);
      const cpu0 = processCPUSeconds(relay.pid);
      const r = await pgbench(args, { ...rig.direct, PGPORT: String(relay.port) }, timeoutMs);
      const relayCPU = processCPUSeconds(relay.pid) - cpu0;
      figures.push({
        name: `PostgreSQL select-only floor: ${RELAY_DESCRIPTIONS[kind]}`, unit: 'tps', ours: r.tps, baseline: directTps,
        baselineName: 'PostgreSQL direct', higherIsBetter: true,
        details: {
          relay: r, floor: true,
          ...(kind !== 'socat' && { relayCPUSecondsPer1000Statements: Math.round((relayCPU * 1e6) / r.transactions) / 1000 }),
        },
      });
    } finally {
      await relay.stop();
    }
  }
  return figures;
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
  /** Where auth, proxy and the database service run. */
  layout: DbLayout;
  /** Direct to the server. */
  direct: string[];
  /** Through the proxy's dedicated MySQL listener. */
  proxied: string[];
  /** CPU seconds used so far by auth, proxy and the database service. */
  cpu(): ClusterCPU;
  close(): Promise<void>;
}

/**
 * Starts the MariaDB rig (cluster, server, database service; `layout` defaults to {@link dbLayout})
 * and waits until a connection through the proxy works. For profiling drivers as well as the scenario.
 */
export async function startMySQLRig(ctx: BenchContext, layout: DbLayout = dbLayout()): Promise<MySQLRig> {
  const rig = await startDbRig(ctx, layout, 'maria', 'mysql', 'test_db', (p) =>
    startTestMariaDB({ serverCertPEM: p.crt, serverKeyPEM: p.key, caCertPEM: p.cas, users: [{ name: 'alice', require: { subject: '/CN=alice' } }] }));
  try {
    const direct = mariadbArgs(rig.server.port, rig.directFiles);
    const proxied = mariadbArgs(rig.proxyPort, rig.proxyFiles);
    await eventually('a mariadb connection through the proxy', async () =>
      (await mariadb([...proxied, '-e', 'select 1'], '').catch(() => undefined))?.trim() === '1' ? true : undefined, 30_000, 500);
    return { layout, direct, proxied, cpu: () => rig.cpu(), close: () => rig.close() };
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
    const c0 = rig.cpu();
    const o1 = await oneConnection(proxied, queries);
    const c1 = rig.cpu();
    ctx.log(`mariadb: ${conns} new connections, direct then through the proxy`);
    const dn = await newConnections(direct, conns);
    const c2 = rig.cpu();
    const on = await newConnections(proxied, conns);
    const c3 = rig.cpu();
    const base = { baselineName: 'MariaDB direct', path: 'dedicated MySQL listener, user certificate (--ssl-cert)', layout: rig.layout };
    return [
      {
        name: 'MySQL select 1, one connection', unit: 'queries/s', ours: o1.qps, baseline: d1.qps, baselineName: base.baselineName,
        higherIsBetter: true,
        details: {
          queries, directMs: d1.ms, proxyMs: o1.ms, client: 'mariadb CLI, statements on stdin', path: base.path, layout: base.layout,
          cpuSecondsPer1000Statements: cpuPer1000(c0, c1, queries),
        },
      },
      {
        name: 'MySQL connect + select 1 (new connection each)', unit: 'conns/s', ours: on.perSecond, baseline: dn.perSecond, baselineName: base.baselineName,
        higherIsBetter: true,
        details: {
          connections: conns, directAvgMs: dn.avgMs, proxyAvgMs: on.avgMs, client: 'one mariadb CLI process per connection (process start included on both sides)',
          path: base.path, layout: base.layout, cpuSecondsPer1000Connections: cpuPer1000(c2, c3, conns),
        },
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
