/**
 * @module bench/ssh
 * SSH through proxy + our node against Debian's OpenSSH sshd directly, with the same OpenSSH client,
 * key, user certificate (sshd trusts the cluster's user CA through TrustedUserCAKeys) and cipher:
 * - session setup: `ssh host true`, N one after another and M at a time: sessions/s and latency;
 * - bulk transfer: `head -c N /dev/zero` (download) and `cat > /dev/null` (upload): MB/s.
 * Our side is measured on both paths users take: the `tsh config` ProxyCommand (`tsh proxy ssh`, a
 * fresh Node.js process per connection) and OpenSSH's own ProxyJump (`-J`, a direct-tcpip channel
 * through the proxy's SSH listener). The cluster runs in this process, as the integration tests
 * start it, so a `--cpu-prof` of `npm run bench` profiles proxy and node. The ProxyCommand's tsh
 * is the prebuilt bundle (scripts/build-cli.js, built here when missing or stale), as users run it;
 * TELEPORT_CLI_BUNDLE=0 measures tsh loaded from the TypeScript sources through tsx instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeResult } from '../integration/helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from '../integration/helpers/cluster.ts';
import { clientEnv } from '../integration/helpers/sshClients.ts';
import { canRunSSHTests, OSUsers, sshClientUser } from '../integration/helpers/sshEnv.ts';
import { freePorts, type BinProcess } from '../integration/helpers/subprocess.ts';
import { addJoinToken } from '../integration/helpers/agents.ts';
import { startAgentProcess } from './splitCluster.ts';
import { bundleStatus } from '../packages/teleport/bin/launch.js';
import { ensureCliBuild } from '../scripts/build-cli.js';
import { latencyStats, type LatencyStats } from './report.ts';
import type { BenchContext, Figure, Scenario } from './scenario.ts';

/** The cipher every run negotiates (OpenSSH's default), pinned so both sides do the same work. */
export const BENCH_CIPHER = 'chacha20-poly1305@openssh.com';
const NODE_NAME = 'node1';

/**
 * Where the node runs: in the bench process with auth and proxy (default), or, with
 * BENCH_SSH_LAYOUT=split, as its own `teleport start` process with an ssh_service listener that the
 * proxy dials directly, as deployed (BENCH_NODE_OPTIONS becomes its NODE_OPTIONS).
 */
export function sshLayout(): 'in-process' | 'split' {
  return process.env.BENCH_SSH_LAYOUT === 'split' ? 'split' : 'in-process';
}

/** How many sessions and bytes each mode measures. */
const PLAN = {
  smoke: { sequential: 1, concurrent: 2, parallel: 2, bytes: 32 * 2 ** 20, rounds: 1 },
  full: { sequential: 20, concurrent: 40, parallel: 8, bytes: 2 ** 30, rounds: 3 },
} as const;

/** One way of reaching the target host: the ssh arguments before the remote command. */
export interface Path {
  name: string;
  args: string[];
}

/** A throwaway sshd, stopped by pid. */
interface Sshd {
  child: ChildProcess;
  port: number;
  /** "ssh-ed25519 AAAA..." of its host key. */
  hostKeyPub: string;
  log(): string;
  stop(): Promise<void>;
}

/** Live child pids of `pid` (Linux /proc). */
function childrenOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** Starts /usr/sbin/sshd on a free loopback port trusting `caFile` for user certificates. */
async function startSshd(dir: string, caFile: string): Promise<Sshd> {
  const hostKey = join(dir, 'sshd_host_ed25519_key');
  const gen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`ssh-keygen failed: ${gen.stderr}`);
  const [port] = (await freePorts(1)) as [number];
  const config = join(dir, 'sshd_config');
  await writeFile(config, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `TrustedUserCAKeys ${caFile}`, 'AuthorizedKeysFile none',
    'PidFile none', 'UsePAM no', 'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'MaxStartups 100:30:200', 'UseDNS no', 'LogLevel ERROR', '',
  ].join('\n'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-o', 'LogLevel=INFO', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const stop = async (): Promise<void> => {
    // Let per-connection children finish first: orphaned, they stay zombies under this machine's init.
    for (let i = 0; i < 50 && child.pid !== undefined && childrenOf(child.pid).length > 0; i++) await sleep(100);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; !log.includes('Server listening on'); i++) {
    if (child.exitCode !== null || i > 200) {
      await stop();
      throw new Error(`sshd did not start:\n${log}`);
    }
    await sleep(25);
  }
  return { child, port, log: () => log, stop, hostKeyPub: (await readFile(`${hostKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ') };
}

/** Runs `ssh <path> <command>` with stdio wired to files/fds (never through this process); resolves with ms and exit code. */
function runSSH(env: Record<string, string>, path: Path, command: string, stdio: { stdin?: number; stdout?: number } = {}): Promise<{ ms: number; code: number; stderr: string }> {
  const t0 = performance.now();
  const child = spawn('ssh', [...path.args, command], { env, stdio: [stdio.stdin ?? 'ignore', stdio.stdout ?? 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.once('error', (e) => resolve({ ms: performance.now() - t0, code: -1, stderr: e.message }));
    child.once('close', (code) => resolve({ ms: performance.now() - t0, code: code ?? -1, stderr }));
  });
}

/** Session setup figures of one batch. */
export interface SetupRun {
  perSecond: number;
  latency: LatencyStats;
  failures: number;
  firstError?: string;
}

/** `total` sessions of `ssh ... true`, `parallel` at a time. */
export async function sessions(env: Record<string, string>, path: Path, total: number, parallel: number): Promise<SetupRun> {
  const latencies: number[] = [];
  let failures = 0;
  let firstError: string | undefined;
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < total) {
      next++;
      const r = await runSSH(env, path, 'true');
      if (r.code === 0) latencies.push(r.ms);
      else {
        failures++;
        firstError ??= `exit ${r.code}: ${r.stderr.trim()}`;
      }
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: Math.round((latencies.length / seconds) * 100) / 100, latency: latencyStats(latencies), failures, ...(firstError && { firstError }) };
}

/** Quotes one word for sh. */
const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Moves `bytes` one way through `path`; MB/s over the whole `ssh` run (setup included) and without the setup time. */
export async function bulk(env: Record<string, string>, path: Path, direction: 'download' | 'upload', bytes: number, setupMs: number): Promise<{ mbPerSecond: number; excludingSetup: number; seconds: number }> {
  let r: { ms: number; code: number; stderr: string };
  if (direction === 'download') {
    const devNull = openSync('/dev/null', 'w');
    try {
      r = await runSSH(env, path, `head -c ${bytes} /dev/zero`, { stdout: devNull });
    } finally {
      closeSync(devNull);
    }
  } else {
    // The bytes come from head in a shell pipeline, not from this process (which also runs proxy and node).
    const t0 = performance.now();
    const cmd = `head -c ${bytes} /dev/zero | exec ssh ${[...path.args, 'cat > /dev/null'].map(shq).join(' ')}`;
    const child = spawn('sh', ['-c', cmd], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    r = await new Promise((resolve) => child.once('close', (code) => resolve({ ms: performance.now() - t0, code: code ?? -1, stderr })));
  }
  if (r.code !== 0) throw new Error(`${direction} through ${path.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
  const mb = bytes / 1e6;
  const round = (v: number): number => Math.round(v * 10) / 10;
  return { mbPerSecond: round(mb / (r.ms / 1000)), excludingSetup: round(mb / (Math.max(1, r.ms - setupMs) / 1000)), seconds: round(r.ms / 1000) };
}

/** The cluster, sshd and client configuration the measurements share (exported for profiling drivers). */
export interface Rig {
  env: Record<string, string>;
  /** How the ProxyCommand's tsh runs (see prepareTsh), at the time of asking. */
  tshLoader(): string;
  direct: Path;
  jump: Path;
  proxyCommand: Path;
  /**
   * `ssh -J` with OpenSSH sshd as both the jump host and the target: the same topology as `jump`
   * (two SSH layers, the client encrypting twice) with no Teleport component, the floor for it.
   */
  opensshJump: Path;
  /**
   * The same client straight to our node's own listener, past the proxy: a diagnostic path that
   * tells the node's cost apart from the proxy hop's.
   */
  nodeDirect: Path;
  /** What sshd logged lately (for errors). */
  sshdLog(): string;
  close(): Promise<void>;
}

/**
 * How the ProxyCommand's `tsh` runs: the prebuilt bundle (what `npm install` sets up; built here
 * when missing or stale) or, with TELEPORT_CLI_BUNDLE=0 (passed through to tsh), the TypeScript
 * sources through tsx. Checked again after measuring: a source edited meanwhile makes tsh fall
 * back to tsx, which the figures' details then say.
 */
async function prepareTsh(ctx: BenchContext): Promise<{ env: Record<string, string>; describe(): string }> {
  if (process.env.TELEPORT_CLI_BUNDLE === '0') return { env: { TELEPORT_CLI_BUNDLE: '0' }, describe: () => 'TypeScript sources via tsx (TELEPORT_CLI_BUNDLE=0)' };
  await ensureCliBuild({ log: (line) => ctx.log(line) });
  return {
    env: {},
    describe: () => {
      const s = bundleStatus('tsh');
      return s.file ? 'bundle (packages/teleport/dist)' : `TypeScript sources via tsx: the bundle went stale (${s.reason})`;
    },
  };
}

/** Starts the cluster (auth + proxy + node), an OS user, a tsh login, sshd, and writes the client configs. */
export async function startRig(ctx: BenchContext): Promise<Rig> {
  const osUsers = new OSUsers();
  let cluster: TestCluster | undefined;
  let sshd: Sshd | undefined;
  let nodeProcess: BinProcess | undefined;
  const close = async (): Promise<void> => {
    await sshd?.stop();
    await nodeProcess?.kill();
    await cluster?.close();
    osUsers.cleanup();
  };
  try {
    const tsh = await prepareTsh(ctx);
    const layout = sshLayout();
    let nodeAddr: string | undefined;
    if (layout === 'split') {
      cluster = await startTestCluster({ secondFactor: 'off' });
      const token = await addJoinToken(cluster, 'node');
      const [port] = (await freePorts(1)) as [number];
      nodeAddr = `127.0.0.1:${port}`;
      const nodeConfig = { nodeName: NODE_NAME, authServer: cluster.authAddr, token: token.token, caPin: token.caPin, ssh: { listenAddr: `127.0.0.1:${port}` } };
      // BENCH_NODE_OPTIONS, e.g. "--import <repo>/bench/cpuProfile.js" to profile the node process.
      const nodeOptions = process.env.BENCH_NODE_OPTIONS;
      nodeProcess = await startAgentProcess(cluster, NODE_NAME, nodeConfig, nodeOptions ? { nodeOptions } : {});
    } else {
      cluster = await startTestCluster({ nodeName: NODE_NAME, sshService: {}, secondFactor: 'off' });
      nodeAddr = cluster.proc.nodeAddr;
    }
    ctx.log(layout === 'split' ? 'layout: the node is its own teleport process (the proxy dials it directly)' : 'layout: auth, proxy and node in the bench process');
    const login = osUsers.create('bench');
    // useradd leaves the password locked ("!"), and sshd without PAM refuses locked accounts; "*" = no password, not locked.
    const unlock = spawnSync('usermod', ['-p', '*', login], { encoding: 'utf8' });
    if (unlock.status !== 0) throw new Error(`usermod -p '*' ${login} failed: ${unlock.stderr}`);
    const user = await sshClientUser(cluster, 'bench', { roles: ['access'], logins: [login] });
    const tshConfig = await readFile(user.sshConfig, 'utf8');
    const setting = (key: string): string => {
      const m = new RegExp(`^\\s*${key} "([^"]+)"`, 'm').exec(tshConfig);
      if (!m?.[1]) throw new Error(`no ${key} in tsh config output:\n${tshConfig}`);
      return m[1];
    };
    const identity = setting('IdentityFile');
    const certificate = setting('CertificateFile');
    const knownHosts = setting('UserKnownHostsFile');

    const ca = await cluster.tctl(['auth', 'export', '--type=openssh']);
    if (ca.code !== 0 || !ca.stdout.trim()) throw new Error(`tctl auth export --type=openssh failed: ${describeResult(ca)}`);
    const caFile = join(ctx.workDir, 'user_ca.pub');
    await writeFile(caFile, ca.stdout);
    sshd = await startSshd(ctx.workDir, caFile);
    const directKnownHosts = join(ctx.workDir, 'known_hosts_direct');
    await writeFile(directKnownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n`);

    const proxySSH = cluster.proc.proxy?.ssh?.address;
    if (!proxySSH) throw new Error('the test cluster has no proxy SSH listener');
    const nodePort = Number(nodeAddr?.split(':').pop());
    if (!Number.isInteger(nodePort) || nodePort <= 0) throw new Error(`the node has no TCP listener (${String(nodeAddr)})`);
    const config = join(ctx.workDir, 'ssh_config');
    await writeFile(config, [
      'Host bench-direct bench-openssh-jump', '    HostName 127.0.0.1', `    Port ${sshd.port}`, `    UserKnownHostsFile "${directKnownHosts}"`, '    HostKeyAlgorithms ssh-ed25519',
      'Host bench-openssh-jump', '    ProxyJump bench-direct',
      'Host bench-proxy', '    HostName 127.0.0.1', `    Port ${proxySSH.port}`, '    HostKeyAlias 127.0.0.1',
      'Host bench-jump', `    HostName ${NODE_NAME}`, '    Port 3022', '    ProxyJump bench-proxy', `    HostKeyAlias ${NODE_NAME}.${CLUSTER_NAME}`,
      'Host bench-node', '    HostName 127.0.0.1', `    Port ${nodePort}`, `    HostKeyAlias ${NODE_NAME}.${CLUSTER_NAME}`,
      'Host bench-proxy bench-jump bench-node', `    UserKnownHostsFile "${knownHosts}"`, '    HostKeyAlgorithms ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com',
      'Host *', `    User ${login}`, `    IdentityFile "${identity}"`, `    CertificateFile "${certificate}"`, '    IdentitiesOnly yes', '',
    ].join('\n'));
    const common = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `Ciphers=${BENCH_CIPHER}`, '-o', 'ControlMaster=no', '-T'];
    ctx.log(`cluster up (proxy SSH ${proxySSH.host}:${proxySSH.port}), sshd on 127.0.0.1:${sshd.port}, OS user ${login}; tsh: ${tsh.describe()}`);
    return {
      env: clientEnv(user.home, tsh.env),
      tshLoader: () => tsh.describe(),
      sshdLog: () => sshd?.log() ?? '',
      direct: { name: 'OpenSSH sshd direct', args: ['-F', config, ...common, 'bench-direct'] },
      jump: { name: 'ssh -J proxy', args: ['-F', config, ...common, 'bench-jump'] },
      proxyCommand: { name: 'tsh config ProxyCommand', args: ['-F', user.sshConfig, ...common, `${login}@${NODE_NAME}.${CLUSTER_NAME}`] },
      opensshJump: { name: 'ssh -J via OpenSSH sshd', args: ['-F', config, ...common, 'bench-openssh-jump'] },
      nodeDirect: { name: 'our node direct', args: ['-F', config, ...common, 'bench-node'] },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Starts the rig and checks every path works once (also warms caches) before measuring. */
async function warmRig(ctx: BenchContext): Promise<{ rig: Rig; warmMs: Map<string, number> }> {
  const rig = await startRig(ctx);
  try {
    const warmMs = new Map<string, number>();
    for (const p of [rig.direct, rig.jump, rig.proxyCommand, rig.opensshJump, rig.nodeDirect]) {
      // A node in its own process may not be in the proxy's cache yet: retry for a while.
      let warm = await runSSH(rig.env, p, 'true');
      for (const deadline = Date.now() + 20_000; warm.code !== 0 && Date.now() < deadline; warm = await runSSH(rig.env, p, 'true')) await sleep(500);
      if (warm.code !== 0) throw new Error(`ssh through ${p.name} failed (exit ${warm.code}): ${warm.stderr.trim()}\n--- sshd ---\n${rig.sshdLog()}`);
      warmMs.set(p.name, warm.ms);
    }
    return { rig, warmMs };
  } catch (err) {
    await rig.close();
    throw err;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;

async function runSetup(ctx: BenchContext): Promise<Figure[]> {
  const plan = PLAN[ctx.mode];
  const { rig } = await warmRig(ctx);
  try {
    const ours = [rig.jump, rig.proxyCommand];
    const setup = new Map<string, { seq: SetupRun; conc: SetupRun }>();
    for (const p of [rig.direct, ...ours]) {
      ctx.log(`session setup via ${p.name}: ${plan.sequential} sequential, ${plan.concurrent} with ${plan.parallel} at a time`);
      const seq = await sessions(rig.env, p, plan.sequential, 1);
      const conc = await sessions(rig.env, p, plan.concurrent, plan.parallel);
      ctx.log(`  ${seq.perSecond} sessions/s sequential (p50 ${seq.latency.p50} ms), ${conc.perSecond} sessions/s concurrent; ${seq.failures + conc.failures} failed`);
      setup.set(p.name, { seq, conc });
    }
    const base = setup.get(rig.direct.name) as { seq: SetupRun; conc: SetupRun };
    const target = { ratio: 0.5, description: '>= 0.5x direct' };
    const tsh = rig.tshLoader();
    const baselineName = rig.direct.name;
    const tshOf = (p: Path): { tsh?: string } => (p === rig.proxyCommand ? { tsh } : {});
    return ours.flatMap((p): Figure[] => {
      const s = setup.get(p.name) as { seq: SetupRun; conc: SetupRun };
      return [
        { name: `SSH session setup, sequential (${p.name})`, unit: 'sessions/s', ours: s.seq.perSecond, baseline: base.seq.perSecond, baselineName, higherIsBetter: true, target, details: { ours: s.seq, baseline: base.seq, ...tshOf(p) } },
        { name: `SSH session setup, ${plan.parallel} concurrent (${p.name})`, unit: 'sessions/s', ours: s.conc.perSecond, baseline: base.conc.perSecond, baselineName, higherIsBetter: true, target, details: { ours: s.conc, baseline: base.conc, ...tshOf(p) } },
        { name: `SSH session setup latency p50 (${p.name})`, unit: 'ms', ours: s.seq.latency.p50, baseline: base.seq.latency.p50, baselineName, higherIsBetter: false, details: { ours: s.seq.latency, baseline: base.seq.latency, ...tshOf(p) } },
      ];
    });
  } finally {
    await rig.close();
  }
}

async function runBulk(ctx: BenchContext): Promise<Figure[]> {
  const plan = PLAN[ctx.mode];
  const { rig, warmMs: setupMs } = await warmRig(ctx);
  try {
    const paths = [rig.direct, rig.jump, rig.proxyCommand, rig.opensshJump, rig.nodeDirect];
    if (ctx.mode === 'full') {
      for (const p of paths) {
        const probes = [setupMs.get(p.name) ?? 0];
        for (let i = 0; i < 4; i++) probes.push((await runSSH(rig.env, p, 'true')).ms);
        setupMs.set(p.name, median(probes));
      }
    }
    const mib = plan.bytes / 2 ** 20;
    const figures: Figure[] = [];
    for (const direction of ['download', 'upload'] as const) {
      const what = direction === 'download' ? `head -c ${mib} MiB /dev/zero` : `${mib} MiB into cat > /dev/null`;
      // Rounds interleave the paths, and the median round counts, so a burst of other load on the machine hits all alike.
      const runs = new Map<string, Awaited<ReturnType<typeof bulk>>[]>(paths.map((p) => [p.name, []]));
      for (let round = 1; round <= plan.rounds; round++) {
        for (const p of paths) {
          const r = await bulk(rig.env, p, direction, plan.bytes, setupMs.get(p.name) ?? 0);
          runs.get(p.name)?.push(r);
          ctx.log(`bulk ${direction} (${what}) round ${round}/${plan.rounds} via ${p.name}: ${r.mbPerSecond} MB/s`);
        }
      }
      const pick = (name: string): { mbPerSecond: number; rounds: unknown[] } => {
        const rs = runs.get(name) ?? [];
        return { mbPerSecond: median(rs.map((r) => r.mbPerSecond)), rounds: rs };
      };
      const baseline = pick(rig.direct.name);
      const tsh = rig.tshLoader();
      for (const p of [rig.jump, rig.proxyCommand]) {
        const r = pick(p.name);
        figures.push({
          name: `SSH bulk ${direction}, ${mib} MiB (${p.name})`, unit: 'MB/s', ours: r.mbPerSecond, baseline: baseline.mbPerSecond,
          baselineName: rig.direct.name, higherIsBetter: true, target: { ratio: 0.5, description: '>= 0.5x direct' },
          details: {
            ours: r, baseline, bytes: plan.bytes, cipher: BENCH_CIPHER, ...(p === rig.proxyCommand && { tsh }),
            note: `median of ${plan.rounds} round(s); MB/s over the whole ssh run, excludingSetup subtracts the median session setup time`,
          },
        });
      }
      const floor = pick(rig.opensshJump.name);
      figures.push({
        name: `SSH bulk ${direction} floor: ${mib} MiB (${rig.opensshJump.name} as jump host and target)`, unit: 'MB/s', ours: floor.mbPerSecond,
        baseline: baseline.mbPerSecond, baselineName: rig.direct.name, higherIsBetter: true,
        details: { floor: true, ours: floor, baseline, bytes: plan.bytes, cipher: BENCH_CIPHER, note: 'the -J topology with OpenSSH on every hop: what two SSH layers cost without Teleport' },
      });
      const node = pick(rig.nodeDirect.name);
      figures.push({
        name: `SSH bulk ${direction}, ${mib} MiB (${rig.nodeDirect.name}, past the proxy)`, unit: 'MB/s', ours: node.mbPerSecond,
        baseline: baseline.mbPerSecond, baselineName: rig.direct.name, higherIsBetter: true,
        details: { ours: node, baseline, bytes: plan.bytes, cipher: BENCH_CIPHER, note: 'diagnostic: the client straight to our node\'s listener, telling the node\'s cost apart from the proxy hop\'s' },
      });
    }
    return figures;
  } finally {
    await rig.close();
  }
}

/** Why the SSH scenarios cannot run here, if they cannot. */
function sshUnavailable(): string | undefined {
  if (!canRunSSHTests) return 'needs root (throwaway OS users) and the OpenSSH client tools';
  return existsSync('/usr/sbin/sshd') ? undefined : '/usr/sbin/sshd (Debian openssh-server) not found';
}

/** SSH session setup against OpenSSH sshd (`npm run bench -- ssh-setup`; `ssh` selects both SSH scenarios). */
export const sshSetupScenario: Scenario = {
  id: 'ssh-setup',
  title: 'SSH session setup (exec true): proxy + node vs OpenSSH sshd direct',
  unavailable: sshUnavailable,
  run: runSetup,
};

/** SSH bulk transfer against OpenSSH sshd (`npm run bench -- ssh-bulk`). */
export const sshBulkScenario: Scenario = {
  id: 'ssh-bulk',
  title: 'SSH bulk transfer (download and upload): proxy + node vs OpenSSH sshd direct',
  unavailable: sshUnavailable,
  run: runBulk,
};

/** Both SSH scenarios, in the order the table shows them. */
export const scenarios: Scenario[] = [sshSetupScenario, sshBulkScenario];
