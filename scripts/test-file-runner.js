// Runs one test file in its own `node --test` process group with a time limit, and reads the
// spec reporter's summary. Used by scripts/run-tests.js.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { clearInterval, setInterval } from 'node:timers';

const live = new Set();
/** How long a test process may show no output and no CPU time before it counts as wedged. */
const WEDGE_MS = Number(process.env.TEST_WEDGE_SECONDS ?? 90) * 1000;

/** User + system CPU clock ticks of a process (all its threads), from /proc; undefined elsewhere. */
function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * Runs `node --import tsx --test <file>` and resolves with its exit code, its combined output, and
 * whether it was stopped for exceeding limitMs (then the whole process group is killed, so servers the
 * file started go too). Never rejects.
 */
export function runTestFile(file, limitMs) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    live.add(child);
    const chunks = [];
    let bytes = 0;
    const keep = (c) => {
      chunks.push(c);
      bytes += c.length;
      // Keep the output bounded: a runaway file should not take the runner's memory with it.
      while (bytes > 4 * 1024 * 1024 && chunks.length > 1) bytes -= chunks.shift().length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    let hint = '';
    const stop = (why) => {
      if (timedOut) return;
      timedOut = true;
      hint = why;
      killGroup(child, 'SIGKILL');
    };
    const timer = setTimeout(() => stop(''), limitMs);
    // A wedged start (the main thread asleep in Atomics.wait for tsx's hooks thread, a known Node
    // hazard) shows as no output and no CPU time at all; a running file that has printed nothing yet
    // still uses CPU. Such a file is stopped after WEDGE_MS instead of its whole time limit.
    let lastCPU = -1;
    let lastChange = Date.now();
    const wedgeCheck = setInterval(() => {
      if (bytes > 0) return clearInterval(wedgeCheck);
      const cpu = cpuTicks(child.pid);
      if (cpu === undefined) return clearInterval(wedgeCheck);
      if (cpu !== lastCPU) {
        lastCPU = cpu;
        lastChange = Date.now();
      } else if (Date.now() - lastChange >= WEDGE_MS) {
        stop(`no output and no CPU time for ${WEDGE_MS / 1000} s: the process is asleep (wedged before its tests started, or its first test is stuck)`);
      }
    }, 5000);
    child.on('error', (err) => keep(Buffer.from(`could not start node: ${err.message}\n`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(wedgeCheck);
      killGroup(child, 'SIGKILL'); // anything the file left running in its group
      live.delete(child);
      const output = Buffer.concat(chunks).toString('utf8');
      hint ||= `no result within ${limitMs / 60_000} min (${output.trim() ? 'last output above' : 'it printed nothing: a test never finished'})`;
      resolve({ code, signal, output, timedOut, hint, durationMs: Date.now() - started });
    });
  });
}

/** Stops every running test file's process group (for the runner's own SIGINT/SIGTERM). */
export function stopAllTestFiles(signal) {
  for (const child of live) killGroup(child, signal);
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** Reads the spec reporter's closing `ℹ tests N` / `ℹ pass N` ... lines; cancelled tests count as failed. */
export function parseCounts(output) {
  const counts = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0 };
  for (const m of output.matchAll(/^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
    const key = m[1] === 'cancelled' ? 'fail' : m[1];
    counts[key] += Number(m[2]);
  }
  return counts;
}
