/**
 * @module client/bench/sshRequest
 * The SSH part of one `tsh bench ssh` request on an already authenticated node connection: run the
 * command (exec), or with `interactive` open a shell on a terminal, type the command and `exit`, and
 * wait for the session to end. Output is read and thrown away; a non-zero exit status (or none) is a
 * failure whose message carries the start of what the command wrote on stderr.
 */
import type { Client, ClientChannel } from 'ssh2';
import { ConnectionProblemError } from '@teleport-ts/api/errors';

/** How much stderr is kept for the failure message. */
const STDERR_KEPT = 200;

/** Terminal of interactive benchmark sessions. */
const BENCH_PTY = { term: 'xterm', rows: 24, cols: 80, width: 0, height: 0 };

function openChannel(conn: Client, command: string, interactive: boolean): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | undefined, ch: ClientChannel): void => {
      if (err) reject(new ConnectionProblemError(`the node refused the session: ${err.message}`, { cause: err }));
      else resolve(ch);
    };
    if (interactive) conn.shell(BENCH_PTY, cb);
    else conn.exec(command, cb);
  });
}

/** Runs `command` once on `conn` (see the module comment); resolves on exit status 0. */
export async function runBenchCommand(conn: Client, command: string, interactive: boolean): Promise<void> {
  const ch = await openChannel(conn, command, interactive);
  let stderr = '';
  let status: number | undefined;
  let signal: string | undefined;
  ch.on('data', () => undefined); // drain, so the window keeps opening
  ch.stderr.on('data', (d: Buffer) => {
    if (stderr.length < STDERR_KEPT) stderr += d.toString('utf8');
  });
  ch.on('exit', (code: number | null, sig?: string) => {
    if (typeof code === 'number') status = code;
    else signal = sig;
  });
  if (interactive) ch.end(`${command}\rexit\r`);
  else ch.end();
  await new Promise<void>((resolve) => ch.once('close', () => resolve()));
  if (status === 0) return;
  const said = stderr.trim().slice(0, STDERR_KEPT);
  const how = status !== undefined ? `exited with status ${status}` : signal ? `was killed by signal ${signal}` : 'ended without an exit status';
  throw new Error(`the command ${how}${said ? `: ${said}` : ''}`);
}
