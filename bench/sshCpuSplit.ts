/**
 * @module bench/sshCpuSplit
 * Profiling driver for the SSH bulk scenario: moves data one way through each path of the SSH rig
 * (sshd direct, `ssh -J` through our proxy and node, `ssh -J` through OpenSSH sshd) and reports,
 * per run, the CPU seconds each program used (from /proc, sampled every 50 ms) and how many cores
 * were busy on average (CPU seconds / wall seconds). A path whose total CPU is low but whose
 * transfer is slow is waiting, not computing: its stages do not overlap.
 *
 * Usage: `node --initial-old-space-size=128 --import tsx bench/sshCpuSplit.ts [upload|download] [MiB, default 1024] [rounds, default 2]
 * [paths]`, paths a comma list of direct, jump, proxyCommand, opensshJump, nodeDirect (default
 * direct,jump,opensshJump). The /proc sampling runs in this process, which also runs the proxy and the
 * node; BENCH_CPU_SAMPLE_MS (default 50) sets its period.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processCPUSeconds } from './splitCluster.ts';
import { bulk, startRig } from './ssh.ts';

interface ProcessCPU {
  name: string;
  seconds: number;
}

/** CPU seconds (utime + stime) of every process now, with its command name, by pid. */
function cpuByPid(): Map<number, ProcessCPU> {
  const out = new Map<number, ProcessCPU>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const seconds = processCPUSeconds(Number(entry));
    if (Number.isNaN(seconds)) continue; // exited between readdir and read
    let name = '?';
    try {
      name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      // exited just now; its CPU is still counted
    }
    out.set(Number(entry), { name, seconds });
  }
  return out;
}

/**
 * With bench/cpuProfile.js preloaded (`node --import ./bench/cpuProfile.js --import tsx ...`), writes
 * this process's profile so far: called around each transfer, the even-numbered files hold the transfers.
 */
function profileMark(): void {
  if (process.listenerCount('SIGUSR2') > 0) process.kill(process.pid, 'SIGUSR2');
}

async function main(): Promise<void> {
  const direction = process.argv[2] === 'download' ? 'download' : 'upload';
  const mib = Number(process.argv[3] ?? 1024);
  const rounds = Number(process.argv[4] ?? 2);
  const pathKeys = ['direct', 'jump', 'proxyCommand', 'opensshJump', 'nodeDirect'] as const;
  const paths = (process.argv[5] ?? 'direct,jump,opensshJump').split(',').map((key) => {
    const known = pathKeys.find((k) => k === key);
    if (!known) throw new Error(`unknown path "${key}": choose from ${pathKeys.join(', ')}`);
    return known;
  });
  const samplePeriodMs = Number(process.env.BENCH_CPU_SAMPLE_MS ?? 50);
  if (!Number.isFinite(samplePeriodMs) || samplePeriodMs < 1) {
    throw new Error(`BENCH_CPU_SAMPLE_MS must be a number of milliseconds >= 1, not "${process.env.BENCH_CPU_SAMPLE_MS}"`);
  }
  const workDir = mkdtempSync(join(tmpdir(), 'ssh-cpu-split-'));
  const rig = await startRig({ mode: 'full', workDir, log: (m) => process.stderr.write(`${m}\n`) });
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const path of paths.map((key) => rig[key])) {
        profileMark();
        const before = cpuByPid();
        const last = new Map<number, ProcessCPU>();
        const sample = (): void => void cpuByPid().forEach((v, pid) => last.set(pid, v));
        const timer = setInterval(sample, samplePeriodMs);
        const r = await bulk(rig.env, path, direction, mib * 2 ** 20, 0);
        clearInterval(timer);
        sample();
        profileMark();
        const byProgram: Record<string, number> = {};
        for (const [pid, v] of last) {
          const used = v.seconds - (before.get(pid)?.seconds ?? 0);
          const name = pid === process.pid ? 'node (bench: proxy + node)' : v.name;
          if (used > 0.02) byProgram[name] = Math.round(((byProgram[name] ?? 0) + used) * 100) / 100;
        }
        const total = Object.values(byProgram).reduce((a, b) => a + b, 0);
        console.log(`${direction} round ${round} via ${path.name}: ${r.mbPerSecond} MB/s in ${r.seconds} s; CPU s ${JSON.stringify(byProgram)}; total ${total.toFixed(2)} s, ${(total / r.seconds).toFixed(2)} cores busy`);
      }
    }
  } finally {
    await rig.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
