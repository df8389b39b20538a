/**
 * @module srv/ssh/exec
 * Commands without a terminal (`ssh host cmd`, legacy `scp -t/-f`, and subsystems): the process's
 * stdin/stdout/stderr are pipes joined to the SSH channel, stdin gets EOF when the client sends
 * it, and the channel reports the exit status or signal once all output is written. As sshd does,
 * a command runs as `<shell> -c <command>` in the user's home directory.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';
import { userCommand, type OSUser } from './osUser.ts';
import type { ProcessExit } from './pty.ts';

/** A running piped process. */
export interface PipedProcess {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Resolves when the process exited and its stdout/stderr are drained. */
  readonly done: Promise<ProcessExit & { error?: Error }>;
  kill(signal: string): void;
}

/** Starts `argv` as `user` with piped stdio (`cwd` defaults to the user's home). */
export function spawnPiped(user: OSUser, argv: string[], env: Record<string, string>, cwd = user.home): PipedProcess {
  const cmd = userCommand(user, argv);
  const child = spawn(cmd.file, cmd.args, {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group (as an sshd session is), so signals reach the whole command.
    detached: true,
    ...(cmd.uid !== undefined && { uid: cmd.uid }),
    ...(cmd.gid !== undefined && { gid: cmd.gid }),
  });
  const done = new Promise<ProcessExit & { error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: 127, signal: null, error }));
    // 'close' comes after 'exit' and after stdout/stderr ended.
    child.once('close', (code, signal) => resolve({ code, signal: signal ? signal.replace(/^SIG/, '') : null }));
  });
  return {
    child,
    done,
    kill: (signal) => {
      const sig = `SIG${signal.replace(/^SIG/, '')}` as NodeJS.Signals;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig); // no group (already reaped): the process itself, if still there
      }
    },
  };
}

/**
 * Joins `proc` to `channel`: channel data -> stdin (EOF on the client's EOF), stdout -> channel,
 * stderr -> channel.stderr. Resolves with the exit after all output was queued on the channel.
 */
export async function pipeToChannel(proc: PipedProcess, channel: ServerChannel): Promise<ProcessExit & { error?: Error }> {
  const { child } = proc;
  child.stdin.on('error', () => undefined); // EPIPE when the process does not read its input
  channel.pipe(child.stdin);
  child.stdout.pipe(channel, { end: false });
  child.stderr.pipe(channel.stderr, { end: false });
  return proc.done;
}

/** Sends exit-status or exit-signal, then EOF and close. */
export function finishChannel(channel: ServerChannel, exit: ProcessExit): void {
  try {
    if (exit.signal) channel.exit(exit.signal, false, '');
    else channel.exit(exit.code ?? 255);
    channel.end();
  } catch {
    // The client already closed the channel.
  }
}

/** Writes a message to the channel's stderr and ends it with `code`. */
export function failChannel(channel: ServerChannel, message: string, code = 1): void {
  try {
    channel.stderr.write(`${message.replace(/\r?\n/g, '\r\n')}\r\n`);
  } catch {
    // Channel gone.
  }
  finishChannel(channel, { code, signal: null });
}

/** The shell command line that runs `command` for `user` (sshd runs `$SHELL -c command`). */
export function shellCommand(user: OSUser, command: string): string[] {
  return [user.shell, '-c', command];
}
