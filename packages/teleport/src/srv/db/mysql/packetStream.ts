/**
 * @module srv/db/mysql/packetStream
 * Async MySQL packet reading and writing over a Duplex (the I/O half next to the pure codec). The
 * source stays paused except while a read waits for bytes, so a slow receiver slows the sender
 * (backpressure) and nothing is consumed that the caller has not asked for - which is what lets
 * {@link PacketStream.detach} hand the raw socket to TLS after an SSLRequest.
 */
import type { Duplex } from 'node:stream';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import { DEFAULT_MAX_PACKET, encodePacket, PacketReader, type Frame, type Packet } from './packets.ts';

/** Reads packets or frames from a stream and writes packets to it. */
export class PacketStream {
  private readonly reader: PacketReader;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private protocolError: unknown;
  private readonly onData = (chunk: Buffer): void => {
    this.stream.pause();
    try {
      this.reader.push(chunk);
    } catch (err) {
      // Oversized packet: surfaced by the next read; stop reading this stream.
      this.protocolError = err;
      this.stream.off('data', this.onData);
    }
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (err: Error): void => {
    this.error = err;
    this.notify();
  };

  constructor(
    readonly stream: Duplex,
    maxPayload = DEFAULT_MAX_PACKET,
  ) {
    this.reader = new PacketReader(maxPayload);
    stream.pause();
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async fill<T>(take: () => T | undefined): Promise<T | null> {
    for (;;) {
      const v = take(); // throws MySQLProtocolError on garbage or oversize
      if (v !== undefined) return v;
      if (this.protocolError) throw this.protocolError;
      if (this.error) throw new ConnectionProblemError(`MySQL connection failed: ${this.error.message}`);
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.stream.resume();
      });
    }
  }

  /** Sets the largest logical packet accepted from now on (small during the handshake, larger after). */
  setMaxPacket(bytes: number): void {
    this.reader.maxPayload = bytes;
  }

  /** The next logical packet, or null when the peer closed the stream. */
  read(): Promise<Packet | null> {
    return this.fill(() => this.reader.next());
  }

  /** The next frame, or null when the peer closed the stream. */
  readFrame(): Promise<Frame | null> {
    return this.fill(() => this.reader.nextFrame());
  }

  /**
   * The next frame if its bytes are already here, without waiting; undefined otherwise (then
   * {@link readFrame} waits, and reports errors). Throws MySQLProtocolError on garbage.
   */
  bufferedFrame(): Frame | undefined {
    return this.protocolError ? undefined : this.reader.nextFrame();
  }

  /** Writes `payload` as a packet starting at sequence id `seq`. */
  write(seq: number, payload: Buffer): void {
    this.stream.write(encodePacket(seq, payload));
  }

  /**
   * Stops reading and returns the stream with any bytes received past the last packet pushed back
   * (e.g. a TLS ClientHello sent right after an SSLRequest), ready for a TLS upgrade.
   */
  detach(): Duplex {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.pause();
    const rest = this.reader.takeRemainder();
    if (rest.length > 0) this.stream.unshift(rest);
    return this.stream;
  }
}

/**
 * The bytes of consecutive frames as one buffer: a view when they lie back to back in one chunk (as
 * frames read from one socket read do), a copy otherwise.
 */
export function joinFrames(frames: readonly Frame[]): Buffer {
  const first = frames[0];
  if (!first) return Buffer.alloc(0);
  if (frames.length === 1) return first.raw;
  let end = first.raw.byteOffset + first.raw.length;
  let contiguous = true;
  for (let i = 1; i < frames.length && contiguous; i++) {
    const r = (frames[i] as Frame).raw;
    contiguous = r.buffer === first.raw.buffer && r.byteOffset === end;
    end += r.length;
  }
  if (contiguous) return Buffer.from(first.raw.buffer, first.raw.byteOffset, end - first.raw.byteOffset);
  return Buffer.concat(frames.map((f) => f.raw));
}

/** Writes with backpressure: resolves once the stream accepted the bytes or closed. */
export function writeWithBackpressure(stream: Duplex, data: Buffer): Promise<void> | undefined {
  if (stream.write(data) || stream.destroyed) return undefined;
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
