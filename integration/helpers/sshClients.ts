/**
 * @module integration/helpers/sshClients
 * The SSH clients a user runs, as real processes: `tsh` (node packages/teleport/bin/tsh.js), the
 * OpenSSH tools (ssh, scp, sftp), either to completion with captured output or left running (for
 * port forwards), and on a pseudo-terminal of their own (node-pty) for interactive sessions. Every
 * child gets an explicit environment (nothing leaks in from the test runner, such as SSH_AUTH_SOCK)
 * and is registered with a {@link ProcessTracker} that kills leftovers by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pty, { type IPty } from 'node-pty';
import type { CLIResult } from './cli.ts';
import { REPO_ROOT } from './subprocess.ts';

/** Path of the tsh entry point. */
export const TSH_BIN = join(REPO_ROOT, 'packages/teleport/bin/tsh.js');

/** The environment of a client run as a user with client home `home` (also $HOME, so nothing reads root's ~/.ssh). */
export function clientEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: home, TELEPORT_HOME: home, LANG: 'C.UTF-8', ...extra };
}

/** Options of one client run. */
export interface ProcessOptions {
  env: Record<string, string>;
  /** Written to stdin, then EOF (default: EOF at once). */
  stdin?: string | Buffer;
  /** Kill the process after this long (default 20 s). */
  timeoutMs?: number;
  cwd?: string;
}

/** A client left running. */
export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (-1 when killed by a signal). */
  exited: Promise<number>;
  /** Kills the process by pid if it still runs and waits for it. */
  kill(): Promise<void>;
}

/** Kills every process it started that is still running (by pid), in after(). */
export class ProcessTracker {
  private readonly running = new Set<{ kill(): Promise<void> | void }>();

  /** Starts `cmd args` with a piped stdin (kept open unless `opts.stdin` is given). */
  start(cmd: string, args: string[], opts: ProcessOptions): RunningProcess {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.stdin?.on('error', () => undefined); // the process may exit before reading its input
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    const exited = new Promise<number>((resolve) => {
      child.once('error', (e) => {
        err += `spawn ${cmd}: ${e.message}\n`;
        resolve(-1);
      });
      child.once('exit', (code) => resolve(code ?? -1));
    });
    const proc: RunningProcess = {
      child, exited, stdout: () => out, stderr: () => err,
      async kill() {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          child.kill('SIGKILL');
          await exited;
        }
      },
    };
    this.running.add(proc);
    void exited.then(() => this.running.delete(proc));
    return proc;
  }

  /** Runs `cmd args` to completion; on timeout kills it and throws with what it printed. */
  async run(cmd: string, args: string[], opts: ProcessOptions): Promise<CLIResult> {
    const p = this.start(cmd, args, { ...opts, stdin: opts.stdin ?? '' });
    const ms = opts.timeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    const code = await Promise.race([p.exited, timedOut]);
    clearTimeout(timer);
    if (code === 'timeout') {
      await p.kill();
      throw new Error(`${cmd} ${args.join(' ')} did not finish within ${ms} ms\n--- stdout ---\n${p.stdout()}\n--- stderr ---\n${p.stderr()}`);
    }
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  }

  /** `tsh args` as a subprocess. */
  tsh(args: string[], opts: ProcessOptions): Promise<CLIResult> {
    return this.run(process.execPath, [TSH_BIN, ...args], opts);
  }

  /** `tsh args` left running. */
  startTsh(args: string[], opts: ProcessOptions): RunningProcess {
    return this.start(process.execPath, [TSH_BIN, ...args], opts);
  }

  /** A program on its own terminal. */
  terminal(cmd: string, args: string[], env: Record<string, string>, size = { cols: 80, rows: 24 }): Terminal {
    const t = new Terminal(cmd, args, env, size);
    this.running.add(t);
    void t.exited.then(() => this.running.delete(t));
    return t;
  }

  /** Kills everything still running. */
  async killAll(): Promise<void> {
    await Promise.all([...this.running].map((p) => p.kill()));
    this.running.clear();
  }
}

/** A program on a pseudo-terminal: type into it, resize it, read its screen. */
export class Terminal {
  private readonly term: IPty;
  /** Everything the program wrote to the terminal. */
  screen = '';
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;

  constructor(cmd: string, args: string[], env: Record<string, string>, size: { cols: number; rows: number }) {
    this.term = pty.spawn(cmd, args, { name: 'xterm', ...size, env, cwd: REPO_ROOT });
    this.term.onData((d) => (this.screen += d));
    this.exited = new Promise((resolve) => this.term.onExit((e) => resolve(e.exitCode)));
  }

  type(text: string): void {
    this.term.write(text);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  /** Waits until the screen after offset `from` matches `re`; returns the match. */
  async expect(re: RegExp, from = 0, ms = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.screen.slice(from));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(re)}; screen so far:\n${JSON.stringify(this.screen)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits for the exit code (throws after `ms`). */
  async exitCode(ms = 10_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`terminal did not exit within ${ms} ms; screen:\n${JSON.stringify(this.screen)}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    try {
      this.term.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** OpenSSH options every test passes: never prompt, and insist on the host CA in the tsh known_hosts. */
export const OPENSSH_OPTS = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
