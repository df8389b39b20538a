/**
 * @module bench/dbRig
 * The cluster behind the database benchmarks (bench/db.ts), laid out as a deployment runs it: auth
 * and proxy as two `teleport start` processes (bench/splitCluster.ts, the proxy with its dedicated
 * PostgreSQL and MySQL listeners) and the database service as a third `teleport start --roles=db`
 * style process (db_service only) that joins through the proxy with a `tctl tokens add --type=db`
 * token and serves the database over its reverse tunnel, as integration/dbAccess.test.ts configures
 * it. The database's server certificate comes from `tctl auth sign --format=db`. Certificates for the
 * clients come from tctl's admin identity over the auth API: the user's (with the route to the
 * database) and, for the direct baseline, a db-CA client certificate for the same database user.
 *
 * `BENCH_DB_LAYOUT=in-process` runs the former rig instead (auth, proxy and the database service
 * in the bench process, on one event loop), to compare the two.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthClient } from '../packages/api/src/client/authClient.ts';
import { formatAuthorizedKey, sshPublicKeyBlob } from '../packages/api/src/sshcert/publicKey.ts';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '../packages/api/src/keys.ts';
import { connect } from '../packages/teleport/src/tool/tctl/connect.ts';
import { addJoinToken, startAgent, writeAgentConfig, type AgentConfig } from '../integration/helpers/agents.ts';
import { describeResult, type CLIResult } from '../integration/helpers/cli.ts';
import { startTestCluster, type TestCluster } from '../integration/helpers/cluster.ts';
import type { BinProcess } from '../integration/helpers/subprocess.ts';
import { processCPUSeconds, startAgentProcess, startSplitCluster } from './splitCluster.ts';
import type { BenchContext } from './scenario.ts';

/** Where auth, proxy and the database service run. */
export type DbLayout = 'split' | 'in-process';

/**
 * The layout the scenarios use: "in-process" (auth, proxy and the database service in the bench
 * process, as the other scenarios run) unless BENCH_DB_LAYOUT=split, which runs each as its own
 * `teleport start` process and reports each one's CPU per 1,000 statements. On a 2-core machine the
 * split layout is slower (more processes to wake per statement, docs/benchmarks.md); on separate hosts
 * it is what a deployment does.
 */
export function dbLayout(): DbLayout {
  return process.env.BENCH_DB_LAYOUT === 'split' ? 'split' : 'in-process';
}

/** CPU seconds used so far by each process of the cluster (in-process: all three are the bench process). */
export type ClusterCPU = { auth: number; proxy: number; dbService: number } | { benchProcess: number };

/** What a rig needs of a running cluster, whichever the layout. */
interface RigCluster {
  layout: DbLayout;
  root: string;
  configPath: string;
  authAddr: string;
  webAddr: string;
  postgresPort: number;
  mysqlPort: number;
  asTestCluster(): TestCluster;
  tctl(args: string[]): Promise<CLIResult>;
  /** Starts the database service (its own process in the split layout) and waits until it is up. */
  startDbService(config: Omit<AgentConfig, 'diagAddr'>): Promise<void>;
  cpu(): ClusterCPU;
  close(): Promise<void>;
}

function portOf(addr: string | undefined, what: string): number {
  const port = Number(addr?.split(':').pop());
  if (!port) throw new Error(`the cluster runs no ${what} listener`);
  return port;
}

async function startSplitRigCluster(): Promise<RigCluster> {
  const c = await startSplitCluster({ dbListeners: true });
  let db: BinProcess | undefined;
  try {
    return {
      layout: 'split', root: c.root, configPath: c.authConfigPath, authAddr: c.authAddr, webAddr: c.webAddr,
      postgresPort: portOf(c.postgresAddr, 'PostgreSQL'), mysqlPort: portOf(c.mysqlAddr, 'MySQL'),
      asTestCluster: () => c.asTestCluster(), tctl: (args) => c.tctl(args),
      async startDbService(config) {
        db = await startAgentProcess(c, 'db-service', config);
      },
      cpu: () => ({
        auth: processCPUSeconds(c.auth.child.pid), proxy: processCPUSeconds(c.proxy.child.pid), dbService: processCPUSeconds(db?.child.pid),
      }),
      async close() {
        await db?.kill();
        await c.close();
      },
    };
  } catch (err) {
    await c.close();
    throw err;
  }
}

async function startInProcessRigCluster(): Promise<RigCluster> {
  const c = await startTestCluster({ secondFactor: 'off', dbListeners: true });
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  return {
    layout: 'in-process', root: c.root, configPath: c.configPath, authAddr: c.authAddr, webAddr: c.webAddr,
    postgresPort: c.proc.proxy?.postgresAddr?.port ?? portOf(undefined, 'PostgreSQL'),
    mysqlPort: c.proc.proxy?.mysqlAddr?.port ?? portOf(undefined, 'MySQL'),
    asTestCluster: () => c, tctl: (args) => c.tctl(args),
    async startDbService(config) {
      agent = await startAgent((await writeAgentConfig(c, 'db-service', config)).configPath);
    },
    cpu: () => ({ benchProcess: processCPUSeconds(process.pid) }),
    async close() {
      await agent?.close({ graceful: false });
      await c.close();
    },
  };
}

/** CPU seconds per 1,000 statements for each process, between two {@link ClusterCPU} snapshots. */
export function cpuPer1000(before: ClusterCPU, after: ClusterCPU, statements: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const v0 = (before as Record<string, number>)[k] ?? NaN;
    out[k] = Math.round((((v as number) - v0) * 1000 * 1000) / statements) / 1000;
  }
  return out;
}

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
export interface ClientFiles {
  cert: string;
  key: string;
}

/** A cluster serving one database through its proxy, plus client certificates for both paths. */
export interface DbRig<S> {
  layout: DbLayout;
  server: S;
  /** The proxy's dedicated listener for the rig's protocol. */
  proxyPort: number;
  /** Through the proxy: the user's certificate with the route to the database. */
  proxyFiles: ClientFiles;
  /** Direct: a db-CA client certificate with CN = the database user. */
  directFiles: ClientFiles;
  /** The database server's certificate and key (from `tctl auth sign --format=db`) and the CAs it trusts. */
  serverTLS: { cert: string; key: string; ca: string };
  /** CPU seconds used so far by auth, proxy and the database service. */
  cpu(): ClusterCPU;
  close(): Promise<void>;
}

async function writeClientFiles(dir: string, name: string, certPEM: string, keyPEM: string): Promise<ClientFiles> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await writeFile(cert, certPEM);
  await writeFile(key, keyPEM, { mode: 0o600 });
  return { cert, key };
}

/** Issues the user's certificate (route to the database) and the direct one, as tctl's admin identity. */
async function issueClientFiles(admin: AuthClient, dir: string, route: { dbName: string; protocol: string; database: string }): Promise<{ proxyFiles: ClientFiles; directFiles: ClientFiles }> {
  const userKey = generateKeyPair('ecdsa-p256');
  const userCerts = await admin.generateUserCerts({
    username: 'alice', sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(userKey.publicKey)), tlsPublicKey: publicKeyToPEM(userKey.publicKey),
    ttlMs: 3600_000, dbService: route.dbName, dbProtocol: route.protocol, dbUser: 'alice', dbName: route.database,
  });
  const proxyFiles = await writeClientFiles(dir, 'user', userCerts.tlsCert, privateKeyToPEM(userKey.privateKey));
  const directKey = generateKeyPair('ecdsa-p256');
  const direct = await admin.generateDatabaseCert({ tlsPublicKey: publicKeyToPEM(directKey.publicKey), commonName: 'alice', ttlMs: 3600_000, usage: 'client' });
  const directFiles = await writeClientFiles(dir, 'direct', direct.certPEM, privateKeyToPEM(directKey.privateKey));
  return { proxyFiles, directFiles };
}

/**
 * Starts a cluster in `layout` with the db listeners and a server certificate for the database, lets
 * `startServer` start the database with it, starts a database service serving it as `dbName`, and
 * issues the user's and the direct client certificates. The proxy learns about the database service
 * from its heartbeat: callers wait for a first connection through the proxy.
 */
export async function startDbRig<S extends { port: number; stop(): Promise<void> }>(
  ctx: BenchContext,
  layout: DbLayout,
  dbName: string,
  protocol: 'postgres' | 'mysql',
  database: string,
  startServer: (pem: { crt: string; key: string; cas: string }) => Promise<S>,
): Promise<DbRig<S>> {
  ctx.log(`database rig: ${layout === 'split' ? 'auth, proxy and the database service as three processes' : 'auth, proxy and the database service in the bench process'}`);
  const cluster = layout === 'split' ? await startSplitRigCluster() : await startInProcessRigCluster();
  let server: S | undefined;
  let admin: AuthClient | undefined;
  try {
    const prefix = join(cluster.root, 'dbsrv');
    const sign = await cluster.tctl(['auth', 'sign', '--format=db', '--host=127.0.0.1,localhost', '-o', prefix, '--ttl=24h']);
    if (sign.code !== 0) throw new Error(`tctl auth sign failed: ${describeResult(sign)}`);
    const [crt, key, cas] = (await Promise.all(['crt', 'key', 'cas'].map((x) => readFile(`${prefix}.${x}`, 'utf8')))) as [string, string, string];
    server = await startServer({ crt, key, cas });
    const token = await addJoinToken(cluster.asTestCluster(), 'db');
    await cluster.startDbService({
      nodeName: 'db-service', proxyServer: cluster.webAddr, token: token.token, caPin: token.caPin,
      db: { databases: [{ name: dbName, protocol, uri: `127.0.0.1:${server.port}`, labels: { env: 'bench' }, caCertFile: `${prefix}.cas` }] },
    });

    const roleFile = join(cluster.root, 'benchdb.yaml');
    await writeFile(roleFile, DB_ROLE);
    const created = await cluster.tctl(['create', '-f', roleFile]);
    if (created.code !== 0) throw new Error(`tctl create role failed: ${describeResult(created)}`);
    const add = await cluster.tctl(['users', 'add', 'alice', '--roles=benchdb']);
    if (add.code !== 0) throw new Error(`tctl users add failed: ${describeResult(add)}`);

    const dir = join(ctx.workDir, `db-${protocol}`);
    await mkdir(dir, { recursive: true });
    admin = (await connect({ config: cluster.configPath, authServer: cluster.authAddr })).client;
    const files = await issueClientFiles(admin, dir, { dbName, protocol, database });
    admin.close();
    const running = server;
    return {
      layout, server: running, ...files, serverTLS: { cert: `${prefix}.crt`, key: `${prefix}.key`, ca: `${prefix}.cas` },
      proxyPort: protocol === 'postgres' ? cluster.postgresPort : cluster.mysqlPort,
      cpu: () => cluster.cpu(),
      async close() {
        await cluster.close();
        await running.stop();
      },
    };
  } catch (err) {
    admin?.close();
    await cluster.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    throw err;
  }
}
