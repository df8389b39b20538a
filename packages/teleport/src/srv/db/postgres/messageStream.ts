/**
 * @module srv/db/postgres/messageStream
 * Awaitable messages from a socket, for the phases where the proxy talks the protocol turn by turn
 * (the client's startup, the upstream handshake). `release()` hands back the bytes read past the last
 * message so the relay (or a TLS upgrade) continues from exactly there.
 */
import type { Duplex } from 'node:stream';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import type { MessageReader, RawMessage } from './messageReader.ts';

/** Reads framed messages from a stream until released. */
export class MessageStream {
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    // Keep bytes in the socket, not in memory, while nobody is waiting for a message.
    if (!this.wake) this.stream.pause();
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (err: Error): void => {
    this.error = err;
    this.ended = true;
    this.notify();
  };

  constructor(
    private readonly stream: Duplex,
    readonly reader: MessageReader,
  ) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
    stream.pause();
  }

  /** The next message; null when the peer closed cleanly before sending one. Throws on bad framing. */
  async next(): Promise<RawMessage | null> {
    for (;;) {
      const m = this.reader.next();
      if (m) return m;
      if (this.ended) {
        if (this.error) throw new ConnectionProblemError(`connection failed: ${this.error.message}`, { cause: this.error });
        return null;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.stream.resume();
      });
    }
  }

  /** Stops reading (the stream is left paused) and returns the bytes read but not yet returned as messages. */
  release(): Buffer {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.pause();
    return this.reader.takeBuffered();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
