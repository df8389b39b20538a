/**
 * @module bench/splitCluster
 * A cluster laid out as a real deployment runs it: auth and proxy as two `teleport start` processes
 * (the proxy joins auth with a `tctl tokens add --type=proxy` token, as in
 * integration/proxyRestart.test.ts), each with its own diagnostics listener, so each process's RSS
 * and open files are its own. tctl (the local admin identity in auth's data dir) and tsh run
 * in-process in the caller, so their work is not charged to auth or proxy. Used by the
 * presence-at-scale benchmark (bench/scale.ts): one Node process may open 20,000 files here, and 10k
 * agents need 10k tunnel sockets in the proxy plus 10k auth connections in auth. The database
 * benchmarks (bench/db.ts) add the proxy's dedicated PostgreSQL and MySQL listeners and run the
 * database service as a third process ({@link startAgentProcess}).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addJoinToken, agentConfigYAML, type AgentConfig } from '../integration/helpers/agents.ts';
import { runCLI, type CLIResult, type RunOptions } from '../integration/helpers/cli.ts';
import { CLUSTER_NAME, type TestCluster } from '../integration/helpers/cluster.ts';
import { freePorts, spawnBin, waitForHTTP, type BinProcess } from '../integration/helpers/subprocess.ts';
import { runTctl } from '../packages/teleport/src/tool/tctl/main.ts';
import { runTsh } from '../packages/teleport/src/tool/tsh/main.ts';

/** What the integration helpers (createUser, tshLogin, addJoinToken) use of a cluster. */
export type ClusterCLI = Pick<TestCluster, 'root' | 'webAddr' | 'tctl' | 'tsh' | 'newHome'>;

/** A running auth process and proxy process. */
export interface SplitCluster extends ClusterCLI {
  /** The auth process (`teleport start` with auth_service only). */
  auth: BinProcess;
  /** The proxy process (`teleport start` with proxy_service only, joined with a token). */
  proxy: BinProcess;
  /** "127.0.0.1:<port>" of the auth API. */
  authAddr: string;
  /** Auth's data dir (holds the local admin identity). */
  authDataDir: string;
  /** auth's teleport.yaml (tctl's `-c`, e.g. for tool/tctl/connect.ts's admin client). */
  authConfigPath: string;
  /** "127.0.0.1:<port>" of the proxy's reverse tunnel listener (SSH, no ALPN). */
  tunnelAddr: string;
  /** "127.0.0.1:<port>" of the proxy's dedicated PostgreSQL listener (with `dbListeners`). */
  postgresAddr?: string;
  /** "127.0.0.1:<port>" of the proxy's dedicated MySQL listener (with `dbListeners`). */
  mysqlAddr?: string;
  /** The integration helpers' view of this cluster (they use only the {@link ClusterCLI} members). */
  asTestCluster(): TestCluster;
  /** Kills both processes and removes every file. */
  close(): Promise<void>;
}

/** Options of {@link startSplitCluster}. */
export interface SplitClusterOptions {
  /** NODE_OPTIONS of both processes (e.g. a larger heap). */
  nodeOptions?: string;
  /** Runs the proxy's dedicated PostgreSQL and MySQL listeners (postgres_listen_addr, mysql_listen_addr). */
  dbListeners?: boolean;
}

/** Adds proxy_service settings that agentConfigYAML does not render, after its tunnel_listen_addr line. */
function withProxySettings(yaml: string, lines: string[]): string {
  if (lines.length === 0) return yaml;
  const at = yaml.indexOf('\n', yaml.indexOf('  tunnel_listen_addr: '));
  if (at < 0) throw new Error('the proxy config has no tunnel_listen_addr line');
  return `${yaml.slice(0, at + 1)}${lines.join('\n')}\n${yaml.slice(at + 1)}`;
}

/** The auth process's teleport.yaml: auth_service only, local users without a second factor. */
function authConfigYAML(dataDir: string, authAddr: string, diagAddr: string): string {
  return [
    'version: v3',
    'teleport:',
    '  nodename: auth-scale',
    `  data_dir: ${dataDir}`,
    `  diag_addr: ${diagAddr}`,
    '  log:',
    '    output: stderr',
    '    severity: error',
    'auth_service:',
    '  enabled: yes',
    `  listen_addr: ${authAddr}`,
    `  cluster_name: ${CLUSTER_NAME}`,
    '  authentication:',
    '    type: local',
    '    second_factor: off',
    'proxy_service:',
    '  enabled: no',
    'ssh_service:',
    '  enabled: no',
    '',
  ].join('\n');
}

/** Starts auth, then a proxy joined to it; both answer /readyz before this resolves. */
export async function startSplitCluster(opts: SplitClusterOptions = {}): Promise<SplitCluster> {
  const root = await mkdtemp(join(tmpdir(), 'tp-bench-split-'));
  const env = opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {};
  const procs: BinProcess[] = [];
  try {
    const [authPort, authDiag, web, ssh, tunnel, proxyDiag, pg, my] = await freePorts(8);
    const dbAddrs = opts.dbListeners ? { postgresAddr: `127.0.0.1:${pg}`, mysqlAddr: `127.0.0.1:${my}` } : {};
    const authAddr = `127.0.0.1:${authPort}`;
    const authDataDir = join(root, 'auth', 'data');
    const authConfig = join(root, 'auth', 'teleport.yaml');
    await mkdir(join(root, 'auth'), { recursive: true });
    await writeFile(authConfig, authConfigYAML(authDataDir, authAddr, `127.0.0.1:${authDiag}`));
    const auth = spawnBin('teleport', ['start', '-c', authConfig], env);
    procs.push(auth);
    await waitForHTTP(`http://127.0.0.1:${authDiag}/readyz`, auth, 60_000);

    let homes = 0;
    const cli: ClusterCLI = {
      root,
      webAddr: `127.0.0.1:${web}`,
      tctl: (args: string[], o?: RunOptions): Promise<CLIResult> => runCLI(runTctl, ['-c', authConfig, '--auth-server', authAddr, ...args], o),
      tsh: (args: string[], o?: RunOptions): Promise<CLIResult> => runCLI(runTsh, args, o),
      newHome: () => join(root, `home-${++homes}`),
    };
    // The helpers below read only the ClusterCLI members.
    const asTestCluster = (): TestCluster => cli as TestCluster;

    const token = await addJoinToken(asTestCluster(), 'proxy');
    const proxyDir = join(root, 'proxy');
    await mkdir(proxyDir, { recursive: true });
    const proxyConfig = join(proxyDir, 'teleport.yaml');
    await writeFile(proxyConfig, withProxySettings(agentConfigYAML(join(proxyDir, 'data'), {
      nodeName: 'proxy-scale', authServer: authAddr, token: token.token, caPin: token.caPin, diagAddr: `127.0.0.1:${proxyDiag}`,
      proxy: { webAddr: cli.webAddr, sshAddr: `127.0.0.1:${ssh}`, tunnelAddr: `127.0.0.1:${tunnel}` },
    }), dbAddrs.postgresAddr ? [`  postgres_listen_addr: ${dbAddrs.postgresAddr}`, `  mysql_listen_addr: ${dbAddrs.mysqlAddr}`] : []));
    const proxy = spawnBin('teleport', ['start', '-c', proxyConfig], env);
    procs.push(proxy);
    await waitForHTTP(`http://127.0.0.1:${proxyDiag}/readyz`, proxy, 60_000);

    return {
      ...cli, auth, proxy, authAddr, authDataDir, authConfigPath: authConfig, tunnelAddr: `127.0.0.1:${tunnel}`, ...dbAddrs, asTestCluster,
      async close() {
        await Promise.all(procs.map((p) => p.kill()));
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(procs.map((p) => p.kill()));
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Starts an agent (e.g. a database service) as its own `teleport start` process from the teleport.yaml
 * `config` describes, under `<cluster root>/<name>/`, with its own diagnostics listener; resolves once
 * it answers /readyz. The caller kills it (before closing the cluster, whose close removes its files).
 */
export async function startAgentProcess(cluster: Pick<SplitCluster, 'root'>, name: string, config: Omit<AgentConfig, 'diagAddr'>, opts: { nodeOptions?: string } = {}): Promise<BinProcess> {
  const dir = join(cluster.root, name);
  await mkdir(dir, { recursive: true });
  const [diag] = await freePorts(1);
  const configPath = join(dir, 'teleport.yaml');
  await writeFile(configPath, agentConfigYAML(join(dir, 'data'), { ...config, diagAddr: `127.0.0.1:${diag}` }));
  const agent = spawnBin('teleport', ['start', '-c', configPath], opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {});
  try {
    await waitForHTTP(`http://127.0.0.1:${diag}/readyz`, agent, 60_000);
  } catch (err) {
    await agent.kill();
    throw err;
  }
  return agent;
}

/** VmRSS and VmHWM (peak RSS) of a process in MiB, from /proc/<pid>/status (NaN when gone). */
export function processMemoryMiB(pid: number | undefined): { rss: number; hwm: number } {
  let status = '';
  try {
    if (pid !== undefined) status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // exited
  }
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function processCPUSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process (NaN when unreadable). */
export function processOpenFiles(pid: number | undefined): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}
