/**
 * @module client/ssh/multiExec
 * Running one command on several nodes at once (`tsh ssh label=value cmd`): every line of output is
 * prefixed with the node's name so interleaved output stays readable, a node that cannot be reached
 * reports its error under its name, and the overall exit status is the worst one (255 for a node
 * that could not run the command).
 */
import { Readable, Writable } from 'node:stream';
import type { Client } from 'ssh2';
import { NO_EXIT_STATUS, runSession } from './session.ts';

/** A writable that prefixes each line with `prefix` before passing it on; flush() emits a partial last line. */
export class LinePrefixer extends Writable {
  private pending = '';

  constructor(private readonly prefix: string, private readonly out: NodeJS.WritableStream) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const text = this.pending + chunk.toString('utf8');
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    if (lines.length) this.out.write(lines.map((l) => `${this.prefix}${l}\n`).join(''));
    cb();
  }

  /** Writes an unterminated last line, if any. */
  flush(): void {
    if (this.pending) this.out.write(`${this.prefix}${this.pending}\n`);
    this.pending = '';
  }
}

/** One node to run on. */
export interface ExecTarget {
  /** Name used as the output prefix. */
  name: string;
  /** Connects to the node (through the proxy). */
  connect(): Promise<Client>;
}

/** Runs `command` on every target in parallel; resolves with the worst exit status. */
export async function execOnMany(targets: ExecTarget[], command: string, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const codes = await Promise.all(targets.map(async (t) => {
    const out = new LinePrefixer(`[${t.name}] `, io.stdout);
    const err = new LinePrefixer(`[${t.name}] `, io.stderr);
    let conn: Client | undefined;
    try {
      conn = await t.connect();
      return await runSession(conn, { stdin: Readable.from([]), stdout: out, stderr: err }, { command, pty: false });
    } catch (e) {
      err.write(`ERROR: ${(e as Error).message}\n`);
      return NO_EXIT_STATUS;
    } finally {
      conn?.end();
      out.flush();
      err.flush();
    }
  }));
  return Math.max(0, ...codes);
}
