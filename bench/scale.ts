/**
 * @module bench/scale
 * Presence at scale: N lightweight agents (bench/agents-child.ts, the agents of
 * integration/manyAgents.test.ts) holding reverse tunnels and heartbeating against one auth + proxy
 * process (the integration tests' cluster, in this process). The agents run in child processes, so
 * this process's RSS is auth + proxy alone and the children's RSS is the agent side. Levels are
 * reached incrementally (1k, then 4k more, then 5k more): for each, the time until every agent
 * holds a tunnel and is listed, auth+proxy RSS, agent RSS per agent, and `tsh ls` latency over all
 * of them (in-process tsh, RBAC-filtered by auth from its presence cache). The concurrency
 * scenario lives in bench/concurrency.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { eventually } from '../integration/helpers/agents.ts';
import { describeResult } from '../integration/helpers/cli.ts';
import { startTestCluster, type TestCluster } from '../integration/helpers/cluster.ts';
import { createUser, tshLogin } from '../integration/helpers/users.ts';
import type { BenchContext, Figure, Scenario } from './scenario.ts';
import { rssMiB, scenarios as concurrencyScenarios } from './concurrency.ts';

const REPO_ROOT = join(import.meta.dirname, '..');
const CHILD = join(import.meta.dirname, 'agents-child.ts');
/** File descriptors wanted for 10k agents (a tunnel and an auth connection each, on both sides). */
const NOFILE = 65_536;
/** A level whose agents are not all up by then is reported as not reached. */
const LEVEL_BUDGET_MS = 300_000;

/** The open-files limit of `pid`, raised to {@link NOFILE} when we may (root); returns the soft limit. */
function raiseNoFile(pid: number): number {
  if (process.getuid?.() === 0) spawnSync('prlimit', ['--pid', String(pid), `--nofile=${NOFILE}:${NOFILE}`], { stdio: 'ignore' });
  const m = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** A running agents child. */
interface AgentsChild {
  child: ChildProcess;
  ready: Promise<{ connected: number; failed: number; errors: string[]; issueMs: number; totalMs: number }>;
  stop(): Promise<void>;
}

function startChild(ctx: BenchContext, cluster: TestCluster, tunnelAddr: string, count: number, offset: number): AgentsChild {
  const args = ['--max-old-space-size=8192', '--import', 'tsx', CHILD, String(count), String(offset), tunnelAddr, cluster.authAddr, cluster.dataDir];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  raiseNoFile(child.pid ?? 0);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const ready = new Promise<{ connected: number; failed: number; errors: string[]; issueMs: number; totalMs: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (msg.event === 'progress') ctx.log(`  agents ${offset}..${offset + count}: issued ${String(msg.issued)}, connected ${String(msg.connected)}, failed ${String(msg.failed)}`);
      if (msg.event === 'ready') resolve(msg as never);
    });
    child.once('exit', (code) => reject(new Error(`the agents child exited (${String(code)}): ${stderr}`)));
  });
  ready.catch(() => undefined);
  return {
    child, ready,
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
async function tshLs(cluster: TestCluster, home: string, runs: number): Promise<{ ms: number[]; listed: number }> {
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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function runScale(ctx: BenchContext): Promise<Figure[]> {
  const levels = ctx.mode === 'full' ? [1000, 5000, 10_000] : [200];
  const fdLimit = raiseNoFile(process.pid);
  const cluster = await startTestCluster({ secondFactor: 'off' });
  const children: AgentsChild[] = [];
  const figures: Figure[] = [];
  try {
    const tunnel = cluster.proc.proxy?.tunnel;
    const tunnelPort = cluster.proc.proxy?.tunnelAddr?.port;
    if (!tunnel || !tunnelPort) throw new Error('the cluster runs no reverse tunnel listener');
    const user = await createUser(cluster, 'lister', { roles: ['access'], logins: ['nobody'] });
    const home = cluster.newHome();
    const login = await tshLogin(cluster, user, home);
    if (login.code !== 0) throw new Error(`tsh login failed: ${describeResult(login)}`);
    await tshLs(cluster, home, 1); // warm up tsh's modules
    (globalThis as { gc?: () => void }).gc?.();
    const rssBase = rssMiB(process.pid);
    ctx.log(`auth+proxy RSS with no agents: ${rssBase.toFixed(0)} MiB; open files limit ${fdLimit}`);
    let total = 0;
    let failedTotal = 0;
    for (const level of levels) {
      const add = level - total;
      ctx.log(`starting ${add} more agents (to ${level}) in a child process`);
      const t0 = performance.now();
      const c = startChild(ctx, cluster, `127.0.0.1:${tunnelPort}`, add, total);
      children.push(c);
      let ready: Awaited<AgentsChild['ready']>;
      try {
        ready = await Promise.race([c.ready, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`not all up within ${LEVEL_BUDGET_MS / 1000} s`)), LEVEL_BUDGET_MS).unref())]);
      } catch (err) {
        // Report what was reached: the agents up so far, auth+proxy RSS and tsh ls over them.
        const held = tunnel.connectedAgents().length;
        const rss = rssMiB(process.pid);
        const ls = await tshLs(cluster, home, 3).catch(() => ({ ms: [NaN], listed: 0 }));
        ctx.log(`level ${level} not reached: ${(err as Error).message}; tunnels held ${held}, auth+proxy RSS ${rss.toFixed(0)} MiB, tsh ls ${median(ls.ms).toFixed(0)} ms (${ls.listed} listed)`);
        figures.push(
          { name: `Presence: agents up within ${LEVEL_BUDGET_MS / 1000} s of asking for ${level}`, unit: 'agents', ours: held, higherIsBetter: true, details: { error: (err as Error).message, secondsSinceLevelStart: (performance.now() - t0) / 1000 } },
          { name: `Presence: auth+proxy RSS at ${held} agents`, unit: 'MiB', ours: rss, higherIsBetter: false, details: { growthMiB: rss - rssBase } },
          { name: `Presence: tsh ls over ${ls.listed} nodes`, unit: 'ms p50', ours: median(ls.ms), higherIsBetter: false, details: { runsMs: ls.ms } },
        );
        break;
      }
      failedTotal += ready.failed;
      await eventually(`${level} tunnels`, async () => (tunnel.connectedAgents().length >= level - failedTotal ? true : undefined), 60_000, 250);
      const connectS = (performance.now() - t0) / 1000;
      total = level;
      (globalThis as { gc?: () => void }).gc?.();
      const rss = rssMiB(process.pid);
      const agentRss = children.reduce((s, ch) => s + (ch.child.pid ? rssMiB(ch.child.pid) : 0), 0);
      const ls = await tshLs(cluster, home, ctx.mode === 'full' ? 5 : 2);
      const tunnels = tunnel.connectedAgents().length;
      ctx.log(`${level} agents: up in ${connectS.toFixed(1)} s (issue ${ready.issueMs.toFixed(1)} ms avg), auth+proxy RSS ${rss.toFixed(0)} MiB, agents ${agentRss.toFixed(0)} MiB, tsh ls ${median(ls.ms).toFixed(0)} ms (${ls.listed} listed)`);
      const at10k = level >= 10_000;
      const details = { agents: level, tunnels, listed: ls.listed, failed: ready.failed, errors: ready.errors, identityIssueMsAvg: ready.issueMs, childReadyMs: ready.totalMs, rssBaseMiB: rssBase, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20, fdLimit };
      figures.push(
        { name: `Presence: ${add} agents up (to ${level}: identity, tunnel, first heartbeat)`, unit: 's', ours: connectS, higherIsBetter: false, details },
        { name: `Presence: auth+proxy RSS at ${level} agents`, unit: 'MiB', ours: rss, higherIsBetter: false, ...(at10k && { target: { absolute: 4096, description: '<= 4 GiB at 10k agents' } }), details: { growthMiB: rss - rssBase, perAgentKiB: ((rss - rssBase) * 1024) / level } },
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
    title: 'Presence at scale: 1k/5k/10k agents on reverse tunnels (200 in smoke)',
    unavailable: () => (process.platform === 'linux' ? undefined : 'reads /proc for RSS (Linux only)'),
    run: runScale,
  },
  ...concurrencyScenarios,
];
