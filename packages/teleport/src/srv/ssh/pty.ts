/**
 * @module srv/ssh/pty
 * Terminal processes for interactive sessions: node-pty runs the OS user's login shell (or a
 * command) on a fresh pseudo-terminal with the client's TERM and window size. Output arrives as raw
 * bytes (encoding null) so recordings and clients see exactly what the program wrote. Also the
 * signal-name mapping shared with exec.
 */
import { constants } from 'node:os';
import pty from 'node-pty';
import type { IPty } from 'node-pty';
import { userCommand, type OSUser } from './osUser.ts';

/** How a process ended: an exit code, or the signal (name without "SIG") that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

/** Terminal settings from the client's pty-req. */
export interface PtyRequest {
  term: string;
  cols: number;
  rows: number;
}

/** A process on a pseudo-terminal. */
export interface PtyProcess {
  readonly pid: number;
  /** Input typed by a peer. */
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Sends a signal (name with or without "SIG") to the process and its process group. */
  kill(signal: string): void;
  pause(): void;
  resume(): void;
  onData(fn: (data: Buffer) => void): void;
  /** Called once, after the last output. */
  onExit(fn: (exit: ProcessExit) => void): void;
}

/** Signals a client may send (RFC 4254 §6.10 names). */
export const CLIENT_SIGNALS: ReadonlySet<string> = new Set(['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2']);

/** Signal number -> name without "SIG" (as exit-signal carries it). */
export function signalName(signo: number): string {
  for (const [name, n] of Object.entries(constants.signals)) if (n === signo) return name.replace(/^SIG/, '');
  return String(signo);
}

/** Clamps a terminal dimension to something node-pty accepts. */
const dim = (n: number, dflt: number): number => (Number.isInteger(n) && n > 0 ? Math.min(n, 10_000) : dflt);

/**
 * The terminal size of a pty-req: clients without a terminal of their own (`ssh -tt` from a
 * script) send 0x0, which means "unknown" - use 80x24 as sshd's terminals effectively do.
 */
export function ptySize(cols: number, rows: number): { cols: number; rows: number } {
  return { cols: dim(cols, 80), rows: dim(rows, 24) };
}

/**
 * Starts `argv` (default: the user's login shell) as `user` on a new PTY, in their home directory,
 * with `env`.
 */
export function spawnPty(user: OSUser, req: PtyRequest, env: Record<string, string>, argv?: string[]): PtyProcess {
  const cmd = userCommand(user, argv ?? [user.shell, '-l']);
  const term: IPty = pty.spawn(cmd.file, cmd.args, {
    name: req.term || 'xterm',
    cols: dim(req.cols, 80),
    rows: dim(req.rows, 24),
    cwd: user.home,
    env,
    encoding: null,
    ...(cmd.uid !== undefined && { uid: cmd.uid }),
    ...(cmd.gid !== undefined && { gid: cmd.gid }),
  });
  return {
    pid: term.pid,
    write: (data) => term.write(data),
    resize: (cols, rows) => {
      try {
        term.resize(dim(cols, term.cols), dim(rows, term.rows));
      } catch {
        // The process already exited; nothing to resize.
      }
    },
    kill: (signal) => {
      const sig = `SIG${signal.replace(/^SIG/, '')}` as NodeJS.Signals;
      // The shell leads its own session and process group (node-pty calls setsid): signal the group.
      for (const target of [-term.pid, term.pid]) {
        try {
          process.kill(target, sig);
          return;
        } catch {
          // No such group (or process): try the next target.
        }
      }
    },
    pause: () => term.pause(),
    resume: () => term.resume(),
    // With encoding null, node-pty hands out Buffers although its typings say string.
    onData: (fn) => void term.onData((d) => fn(Buffer.isBuffer(d) ? d : Buffer.from(d))),
    onExit: (fn) => void term.onExit((e) => fn({
      code: e.signal ? null : e.exitCode,
      signal: e.signal ? signalName(e.signal) : null,
    })),
  };
}
