/**
 * @module bench/scale
 * Presence at scale: N lightweight agents (bench/agents-child.ts, the agents of
 * integration/manyAgents.test.ts) against auth and proxy running as two `teleport start` processes
 * (bench/splitCluster.ts), as a real deployment runs them. The proxy holds every agent's reverse
 * tunnel; auth holds every agent's auth connection, over which the agent heartbeats every minute.
 * Agents run in child processes of at most {@link MAX_AGENTS_PER_CHILD} each, so no process comes
 * near the 20,000 open files one process may have here. Levels are reached incrementally (1k, then
 * 4k more, then 5k more): for each, the time until every agent holds a tunnel and is listed, auth's
 * and proxy's RSS (and peak), auth's and proxy's CPU while the fleet only heartbeats, and `tsh ls`
 * latency over all of them (tsh in this process, through the proxy's web port to auth, which
 * filters by RBAC from its presence cache). The concurrency scenario lives in bench/concurrency.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeResult } from '../integration/helpers/cli.ts';
import { createUser, tshLogin } from '../integration/helpers/users.ts';
import type { BenchContext, Figure, Scenario } from './scenario.ts';
import { scenarios as concurrencyScenarios } from './concurrency.ts';
import {
  processCPUSeconds, processMemoryMiB, processOpenFiles, startSplitCluster, type SplitCluster,
} from './splitCluster.ts';

const REPO_ROOT = join(import.meta.dirname, '..');
const CHILD = join(import.meta.dirname, 'agents-child.ts');
/** Agents per child process: two sockets each (tunnel, auth connection), far below 20,000 files. */
const MAX_AGENTS_PER_CHILD = 2500;
/** Identity requests in flight over all children of a level. */
const ISSUE_WINDOW = 64;
/** A level whose agents are not all up by then is reported as not reached. */
const LEVEL_BUDGET_MS = 600_000;
/** Window over which auth's and proxy's CPU is measured in full mode: one heartbeat period, so every agent beats once. */
const CPU_WINDOW_MS = 60_000;

/** What a child reports once its agents are up. */
interface ChildReady { connected: number; failed: number; errors: string[]; issueMs: number; totalMs: number }

/** A running agents child. */
interface AgentsChild {
  child: ChildProcess;
  ready: Promise<ChildReady>;
  /** The latest heartbeat counts it reported. */
  beats(): { beats: number; beatFailures: number };
  stop(): Promise<void>;
}

function startChild(ctx: BenchContext, cluster: SplitCluster, count: number, offset: number, window: number): AgentsChild {
  const args = ['--max-old-space-size=8192', '--import', 'tsx', CHILD, String(count), String(offset), cluster.tunnelAddr, cluster.authAddr, cluster.authDataDir, String(window)];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let last = { beats: 0, beatFailures: 0 };
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let isReady = false;
  const ready = new Promise<ChildReady>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (msg.event === 'progress' || msg.event === 'ready') last = { beats: Number(msg.beats), beatFailures: Number(msg.beatFailures) };
      if (msg.event === 'progress' && !isReady) ctx.log(`  agents ${offset}..${offset + count}: issued ${String(msg.issued)}, connected ${String(msg.connected)}, failed ${String(msg.failed)}`);
      if (msg.event === 'ready') {
        isReady = true;
        resolve(msg as never);
      }
    });
    child.once('exit', (code) => reject(new Error(`the agents child exited (${String(code)}): ${stderr}`)));
  });
  ready.catch(() => undefined);
  return {
    child, ready, beats: () => last,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Runs `tsh ls` over the fleet `runs` times; returns the latencies (ms) and the node count. */
async function tshLs(cluster: SplitCluster, home: string, runs: number): Promise<{ ms: number[]; listed: number }> {
  const ms: number[] = [];
  let listed = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const ls = await cluster.tsh(['ls', 'fleet=lite', '--format=json'], { env: { TELEPORT_HOME: home, HOME: home } });
    ms.push(performance.now() - t0);
    if (ls.code !== 0) throw new Error(`tsh ls failed: ${describeResult(ls)}`);
    listed = (JSON.parse(ls.stdout) as unknown[]).length;
  }
  return { ms, listed };
}

/** Reverse tunnels the proxy holds: established TCP connections on its tunnel port. */
function tunnelsHeld(cluster: SplitCluster): number {
  const port = cluster.tunnelAddr.split(':').pop() ?? '';
  const r = spawnSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l.trim()).length : NaN;
}

/** CPU use (% of one core) of auth and proxy over `ms`, while the fleet does nothing but heartbeat. */
async function steadyCPU(cluster: SplitCluster, ms: number): Promise<{ auth: number; proxy: number }> {
  const a0 = processCPUSeconds(cluster.auth.child.pid);
  const p0 = processCPUSeconds(cluster.proxy.child.pid);
  const t0 = performance.now();
  await sleep(ms);
  const s = (performance.now() - t0) / 1000;
  return { auth: ((processCPUSeconds(cluster.auth.child.pid) - a0) / s) * 100, proxy: ((processCPUSeconds(cluster.proxy.child.pid) - p0) / s) * 100 };
}

/** auth's and proxy's memory and open files now. */
function serverFacts(cluster: SplitCluster): { auth: { rss: number; hwm: number }; proxy: { rss: number; hwm: number }; authFiles: number; proxyFiles: number } {
  return {
    auth: processMemoryMiB(cluster.auth.child.pid), proxy: processMemoryMiB(cluster.proxy.child.pid),
    authFiles: processOpenFiles(cluster.auth.child.pid), proxyFiles: processOpenFiles(cluster.proxy.child.pid),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Splits `n` agents into children of at most {@link MAX_AGENTS_PER_CHILD}, as evenly as possible. */
function split(n: number): number[] {
  const k = Math.ceil(n / MAX_AGENTS_PER_CHILD);
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

async function runScale(ctx: BenchContext): Promise<Figure[]> {
  const full = ctx.mode === 'full';
  const levels = full ? [1000, 5000, 10_000] : [200];
  const cluster = await startSplitCluster({ nodeOptions: '--max-old-space-size=8192' });
  const children: AgentsChild[] = [];
  const figures: Figure[] = [];
  try {
    const user = await createUser(cluster.asTestCluster(), 'lister', { roles: ['access'], logins: ['nobody'] });
    const home = cluster.newHome();
    const login = await tshLogin(cluster.asTestCluster(), user, home);
    if (login.code !== 0) throw new Error(`tsh login failed: ${describeResult(login)}`);
    await tshLs(cluster, home, 1); // warm up tsh's modules
    const base = serverFacts(cluster);
    ctx.log(`with no agents: auth RSS ${base.auth.rss.toFixed(0)} MiB, proxy RSS ${base.proxy.rss.toFixed(0)} MiB`);
    let total = 0;
    let failedTotal = 0;
    for (const level of levels) {
      const add = level - total;
      const sizes = split(add);
      ctx.log(`starting ${add} more agents (to ${level}) in ${sizes.length} child process(es)`);
      const t0 = performance.now();
      let offset = total;
      const started = sizes.map((n) => {
        const c = startChild(ctx, cluster, n, offset, Math.ceil(ISSUE_WINDOW / sizes.length));
        offset += n;
        return c;
      });
      children.push(...started);
      let ready: ChildReady[];
      try {
        ready = await Promise.race([
          Promise.all(started.map((c) => c.ready)),
          sleep(LEVEL_BUDGET_MS, undefined, { ref: false }).then(() => {
            throw new Error(`not all up within ${LEVEL_BUDGET_MS / 1000} s`);
          }),
        ]);
      } catch (err) {
        // Report what was reached: the agents up so far, auth and proxy RSS and tsh ls over them.
        const held = tunnelsHeld(cluster);
        const f = serverFacts(cluster);
        const ls = await tshLs(cluster, home, 3).catch(() => ({ ms: [NaN], listed: 0 }));
        ctx.log(`level ${level} not reached: ${(err as Error).message}; tunnels held ${held}, auth RSS ${f.auth.rss.toFixed(0)} MiB, proxy RSS ${f.proxy.rss.toFixed(0)} MiB, tsh ls ${median(ls.ms).toFixed(0)} ms (${ls.listed} listed)`);
        figures.push(
          { name: `Presence: agents up within ${LEVEL_BUDGET_MS / 1000} s of asking for ${level}`, unit: 'agents', ours: held, higherIsBetter: true, details: { error: (err as Error).message, secondsSinceLevelStart: (performance.now() - t0) / 1000 } },
          { name: `Presence: auth+proxy RSS at ${held} agents`, unit: 'MiB', ours: f.auth.rss + f.proxy.rss, higherIsBetter: false, details: { ...f } },
          { name: `Presence: tsh ls over ${ls.listed} nodes`, unit: 'ms p50', ours: median(ls.ms), higherIsBetter: false, details: { runsMs: ls.ms } },
        );
        break;
      }
      const failed = ready.reduce((s, r) => s + r.failed, 0);
      failedTotal += failed;
      const connectS = (performance.now() - t0) / 1000;
      total = level;
      const cpuWindowMs = full ? CPU_WINDOW_MS : 3000;
      const cpu = await steadyCPU(cluster, cpuWindowMs);
      const f = serverFacts(cluster);
      const tunnels = tunnelsHeld(cluster);
      const agentRss = children.reduce((s, ch) => s + (ch.child.pid ? processMemoryMiB(ch.child.pid).rss : 0), 0);
      const ls = await tshLs(cluster, home, full ? 5 : 2);
      const beats = children.reduce((s, c) => ({ beats: s.beats + c.beats().beats, beatFailures: s.beatFailures + c.beats().beatFailures }), { beats: 0, beatFailures: 0 });
      const sum = f.auth.rss + f.proxy.rss;
      const issueMs = ready.reduce((s, r) => s + r.issueMs, 0) / ready.length;
      ctx.log(`${level} agents: up in ${connectS.toFixed(1)} s (issue ${issueMs.toFixed(1)} ms avg), ${tunnels} tunnels; auth RSS ${f.auth.rss.toFixed(0)} MiB (${f.authFiles} files), proxy RSS ${f.proxy.rss.toFixed(0)} MiB (${f.proxyFiles} files), sum ${sum.toFixed(0)} MiB; heartbeating: auth ${cpu.auth.toFixed(0)}% CPU, proxy ${cpu.proxy.toFixed(0)}%; agents ${agentRss.toFixed(0)} MiB; tsh ls ${median(ls.ms).toFixed(0)} ms (${ls.listed} listed); heartbeats ${beats.beats} (${beats.beatFailures} failed)`);
      const at10k = level >= 10_000;
      const details = { agents: level, tunnels, listed: ls.listed, failed, failedTotal, errors: ready.flatMap((r) => r.errors), identityIssueMsAvg: issueMs, children: sizes, childReadyMs: ready.map((r) => r.totalMs), ...beats };
      figures.push(
        { name: `Presence: ${add} agents up (to ${level}: identity, tunnel, first heartbeat)`, unit: 's', ours: connectS, higherIsBetter: false, details },
        { name: `Presence: auth RSS at ${level} agents`, unit: 'MiB', ours: f.auth.rss, higherIsBetter: false, details: { peakMiB: f.auth.hwm, baseMiB: base.auth.rss, perAgentKiB: ((f.auth.rss - base.auth.rss) * 1024) / level, openFiles: f.authFiles } },
        { name: `Presence: proxy RSS at ${level} agents`, unit: 'MiB', ours: f.proxy.rss, higherIsBetter: false, details: { peakMiB: f.proxy.hwm, baseMiB: base.proxy.rss, perAgentKiB: ((f.proxy.rss - base.proxy.rss) * 1024) / level, openFiles: f.proxyFiles } },
        { name: `Presence: auth+proxy RSS at ${level} agents`, unit: 'MiB', ours: sum, higherIsBetter: false, ...(at10k && { target: { absolute: 4096, description: '<= 4 GiB at 10k agents' } }), details: { peakSumMiB: f.auth.hwm + f.proxy.hwm, growthMiB: sum - base.auth.rss - base.proxy.rss } },
        { name: `Presence: auth CPU with ${level} agents heartbeating (${(level / 60).toFixed(0)}/s)`, unit: '% of a core', ours: cpu.auth, higherIsBetter: false, details: { proxyPercent: cpu.proxy, windowS: cpuWindowMs / 1000 } },
        { name: `Presence: agent-side RSS per agent at ${level}`, unit: 'KiB', ours: (agentRss * 1024) / level, higherIsBetter: false, details: { childrenMiB: agentRss } },
        { name: `Presence: tsh ls over ${level} nodes`, unit: 'ms p50', ours: median(ls.ms), higherIsBetter: false, ...(at10k && { target: { absolute: 1000, description: '< 1 s at 10k agents' } }), details: { runsMs: ls.ms, listed: ls.listed } },
      );
    }
    return figures;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await cluster.close();
  }
}

/** Presence at scale, and (from bench/concurrency.ts) concurrent sessions. */
export const scenarios: Scenario[] = [
  {
    id: 'scale',
    title: 'Presence at scale: 1k/5k/10k agents on reverse tunnels, auth and proxy as separate processes (200 in smoke)',
    unavailable: () => (process.platform === 'linux' ? undefined : 'reads /proc for RSS (Linux only)'),
    run: runScale,
  },
  ...concurrencyScenarios,
];
