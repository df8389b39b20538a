/**
 * @module client/bench/wireReader
 * Buffered reads of exact byte counts from a stream, for the benchmark's small database clients:
 * `read(n)` resolves with the next n bytes, or rejects once the stream ended or failed. One reader
 * per connection, one read at a time.
 */
import type { Duplex } from 'node:stream';
import { ConnectionProblemError } from '@teleport-ts/api/errors';

/** Reads exact byte counts from `stream` (see the module comment). */
export class WireReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended: Error | undefined;
  private waiter: (() => void) | undefined;

  constructor(stream: Duplex, what: string) {
    stream.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.buffered += d.length;
      this.wake();
    });
    stream.once('end', () => this.fail(new ConnectionProblemError(`${what} closed the connection`)));
    stream.once('close', () => this.fail(new ConnectionProblemError(`${what} closed the connection`)));
    stream.on('error', (err: Error) => this.fail(new ConnectionProblemError(`connection to ${what} failed: ${err.message}`, { cause: err })));
  }

  private fail(err: Error): void {
    this.ended ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next `n` bytes. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n) {
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
