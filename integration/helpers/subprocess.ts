/**
 * @module integration/helpers/subprocess
 * `teleport start` as a real child process (node packages/teleport/bin/teleport.js), for tests of
 * what only a real process shows: signal handling, exit codes, and state surviving a restart. Also
 * picks free TCP ports for configs that need fixed addresses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { V8_HEAP_FLAGS } from '../../packages/teleport/bin/launch.js';

/** The repository root (the bins are resolved from here). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Picks `n` distinct free ports on 127.0.0.1 by binding port 0 (all at once, so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** A child process running one of the bins. */
export interface BinProcess {
  child: ChildProcess;
  /** Everything written to stdout/stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process if it still runs (cleanup). */
  kill(): Promise<void>;
}

/** Starts `node <V8_HEAP_FLAGS> packages/teleport/bin/<bin>.js ...args`. */
export function spawnBin(bin: 'teleport' | 'tctl' | 'tsh', args: string[], env: Record<string, string | undefined> = {}): BinProcess {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  // The test runner's marker would make a child that imports node:test report to this runner.
  delete childEnv.NODE_TEST_CONTEXT;
  // The flags teleport's and tsh's #! lines give node when run directly (spawning node bypasses those
  // lines); tctl carries no bulk traffic and merely tolerates them.
  const child = spawn(process.execPath, [...V8_HEAP_FLAGS, `packages/teleport/bin/${bin}.js`, ...args], {
    cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    output: () => out,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Resolves with the exit status, or rejects if the process is still running after `ms`. */
export async function waitExit(p: BinProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  // Unref'ed so a process that exits in time does not keep the test runner waiting for the timer.
  const timeout = sleep(ms, undefined, { ref: false }).then(() => {
    throw new Error(`process did not exit within ${ms} ms; output:\n${p.output()}`);
  });
  return Promise.race([p.exited, timeout]);
}

/** Polls `url` until it answers 200 (or the process exits, or `ms` pass). */
export async function waitForHTTP(url: string, p: BinProcess, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  void p.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process exited before ${url} answered; output:\n${p.output()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${ms} ms; output:\n${p.output()}`);
}
