/**
 * @module client/ssh/session
 * Runs a shell or a command on a connected node and wires it to local streams. On an interactive
 * terminal the local TTY goes into raw mode (restored on every way out), window size changes are
 * sent as `window-change` requests, and the result is the remote exit status; like OpenSSH, 255
 * stands for "no exit status" (the connection broke, or the command was killed by a signal).
 */
import type { ReadStream, WriteStream } from 'node:tty';
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { ConnectionProblemError } from '@teleport-ts/api/errors';

/** The local end of a session. */
export interface SessionIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** How to run the session. */
export interface SessionOptions {
  /** Command to run; a login shell when absent. */
  command?: string;
  /** Ask for a PTY. */
  pty: boolean;
  /** Environment variables to send (TELEPORT_SESSION, ...). */
  env?: Record<string, string>;
  /** Do not send local input (observers); on a terminal, input is still watched for Ctrl-C/Ctrl-D to leave. */
  noStdin?: boolean;
  /** Called once the channel is open (e.g. to print "joined"). */
  onStart?: () => void;
  /** Closes the session when aborted. */
  signal?: AbortSignal;
}

/** The exit status used when there is none, as OpenSSH does. */
export const NO_EXIT_STATUS = 255;

/** The local terminal, when stdin and stdout are TTYs. */
function terminalOf(io: SessionIO): { input: ReadStream; output: WriteStream } | undefined {
  const input = io.stdin as Partial<ReadStream>;
  const output = io.stdout as Partial<WriteStream>;
  if (input.isTTY && typeof input.setRawMode === 'function' && output.isTTY) return { input: input as ReadStream, output: output as WriteStream };
  return undefined;
}

function ptyOptions(io: SessionIO, env: Record<string, string | undefined> = process.env): PseudoTtyOptions {
  const term = terminalOf(io)?.output;
  return { term: env.TERM || 'xterm', rows: term?.rows ?? 24, cols: term?.columns ?? 80, width: 0, height: 0 };
}

function open(conn: Client, opts: SessionOptions, io: SessionIO): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | undefined, channel: ClientChannel): void => {
      if (err) reject(new ConnectionProblemError(`the node refused the session: ${err.message}`, { cause: err }));
      else resolve(channel);
    };
    const env = opts.env ?? {};
    if (opts.command !== undefined) conn.exec(opts.command, { env, ...(opts.pty && { pty: ptyOptions(io) }) }, cb);
    else if (opts.pty) conn.shell(ptyOptions(io), { env }, cb);
    else conn.shell(false, { env }, cb);
  });
}

/** Runs the session to its end; resolves with the exit status. */
export async function runSession(conn: Client, io: SessionIO, opts: SessionOptions): Promise<number> {
  const channel = await open(conn, opts, io);
  opts.onStart?.();
  const term = opts.pty ? terminalOf(io) : undefined;
  const cleanups: Array<() => void> = [];
  // Leaving on purpose (Ctrl-C as an observer, or the abort signal) is a success, not "no exit status".
  let left = false;
  const leave = (): void => {
    left = true;
    channel.close();
  };
  if (term) {
    const wasRaw = term.input.isRaw;
    term.input.setRawMode(true);
    cleanups.push(() => term.input.setRawMode(wasRaw));
    const onResize = (): void => void channel.setWindow(term.output.rows, term.output.columns, 0, 0);
    term.output.on('resize', onResize);
    cleanups.push(() => term.output.off('resize', onResize));
  }
  if (!opts.noStdin) {
    io.stdin.pipe(channel);
    cleanups.push(() => io.stdin.unpipe(channel));
  } else if (term) {
    // Watching only: Ctrl-C or Ctrl-D leaves the session.
    const onData = (d: Buffer): void => {
      if (d.includes(0x03) || d.includes(0x04)) leave();
    };
    io.stdin.on('data', onData);
    cleanups.push(() => io.stdin.off('data', onData));
  }
  if (opts.signal) {
    const signal = opts.signal;
    if (signal.aborted) leave();
    signal.addEventListener('abort', leave);
    cleanups.push(() => signal.removeEventListener('abort', leave));
  }
  channel.pipe(io.stdout, { end: false });
  channel.stderr.pipe(io.stderr, { end: false });
  try {
    return await new Promise<number>((resolve) => {
      let status: number | undefined;
      channel.on('exit', (code: number | null, signal?: string) => {
        if (typeof code === 'number') status = code;
        else if (signal) io.stderr.write(`remote command terminated by signal ${signal}${term ? '\r\n' : '\n'}`);
      });
      channel.on('close', () => resolve(status ?? (left ? 0 : NO_EXIT_STATUS)));
    });
  } finally {
    for (const c of cleanups.reverse()) c();
    if (io.stdin === process.stdin) process.stdin.pause();
  }
}
