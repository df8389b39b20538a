// Runs one test file in its own `node --test` process group with a time limit, and reads the
// spec reporter's summary. Used by scripts/run-tests.js.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';

const live = new Set();

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
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, limitMs);
    child.on('error', (err) => keep(Buffer.from(`could not start node: ${err.message}\n`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(child, 'SIGKILL'); // anything the file left running in its group
      live.delete(child);
      const output = Buffer.concat(chunks).toString('utf8');
      const hint = output.trim() ? 'last output above' : 'it printed nothing: a test never finished, or the process wedged before its tests started';
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
