/**
 * @module srv/db/postgres/messageReader
 * Incremental framing of a PostgreSQL byte stream: bytes go in as they arrive (split or merged in any
 * way), whole messages come out. Pure: no I/O.
 *
 * Two framings exist. A client's first messages (SSLRequest, GSSENCRequest, CancelRequest,
 * StartupMessage) are untyped:
 *
 *     Int32 length (counting itself) | Int32 code | rest of body
 *
 * Everything after (both directions) is typed:
 *
 *     Byte1 type | Int32 length (counting itself, not the type byte) | body
 *
 * A reader created with `startup: true` reads untyped messages until it sees one that is neither an
 * SSLRequest nor a GSSENCRequest, then switches to typed framing. Bodies of types the caller does not
 * need (`skip`, e.g. DataRow or CopyData) are dropped as they stream past, so a relay that parses only
 * for the audit never holds a large message in memory; kept bodies are capped by `maxMessageBytes`.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import { GSSENC_REQUEST_CODE, MAX_STARTUP_MESSAGE_BYTES, SSL_REQUEST_CODE } from './wire.ts';

/** Default cap on a kept message body (a large Bind or Query). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** One framed message. */
export interface RawMessage {
  /** The type byte as a one-character string; null for an untyped startup-phase message. */
  type: string | null;
  /** Length of the body (the length field minus its own four bytes). */
  bodyLength: number;
  /** The body (for untyped messages it starts with the Int32 code); empty when skipped. */
  body: Buffer;
  /** True when the body was dropped because the type was in `skip`. */
  skipped: boolean;
}

/** Options of a MessageReader. */
export interface MessageReaderOptions {
  /** Start with untyped framing (a server reading a client's first messages). Default false. */
  startup?: boolean;
  /** Largest kept body; larger messages throw. Default DEFAULT_MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
  /** Types whose bodies are not needed: returned at once with `skipped: true`, bytes dropped as they arrive. */
  skip?: (type: string) => boolean;
}

/** Re-frames a kept message into its wire bytes (the exact bytes that were read). */
export function encodeRawMessage(m: RawMessage): Buffer {
  if (m.skipped) throw new BadParameterError('cannot re-encode a message whose body was skipped');
  const head = Buffer.alloc(m.type === null ? 4 : 5);
  if (m.type === null) head.writeInt32BE(m.body.length + 4);
  else {
    head.write(m.type, 0, 1, 'latin1');
    head.writeInt32BE(m.body.length + 4, 1);
  }
  return Buffer.concat([head, m.body]);
}

/** Bytes in, whole messages out. */
export class MessageReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Header already consumed, waiting for its body. */
  private pending: { type: string | null; bodyLength: number; header: Buffer } | null = null;
  /** Body bytes of a skipped message still to drop. */
  private skipping = 0;
  private startup: boolean;
  private readonly max: number;
  private readonly skip: (type: string) => boolean;

  constructor(opts: MessageReaderOptions = {}) {
    this.startup = opts.startup ?? false;
    this.max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.skip = opts.skip ?? (() => false);
  }

  /** True while the reader expects untyped startup-phase messages. */
  get inStartupPhase(): boolean {
    return this.startup;
  }

  /** Feeds bytes. */
  push(chunk: Buffer): void {
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, chunk.length);
      this.skipping -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The next whole message, or null until more bytes arrive. Throws BadParameterError on bad framing. */
  next(): RawMessage | null {
    if (this.skipping > 0) return null;
    if (!this.pending) {
      const headLen = this.startup ? 4 : 5;
      if (this.size < headLen) return null;
      const header = Buffer.from(this.take(headLen));
      this.pending = this.parseHeader(header);
      if (this.pending.type !== null && this.skip(this.pending.type)) {
        const { type, bodyLength } = this.pending;
        this.pending = null;
        const dropNow = Math.min(bodyLength, this.size);
        this.take(dropNow);
        this.skipping = bodyLength - dropNow;
        return { type, bodyLength, body: Buffer.alloc(0), skipped: true };
      }
    }
    const { type, bodyLength } = this.pending;
    if (this.size < bodyLength) return null;
    const body = Buffer.from(this.take(bodyLength));
    this.pending = null;
    if (type === null) {
      const code = body.readInt32BE(0);
      if (code !== SSL_REQUEST_CODE && code !== GSSENC_REQUEST_CODE) this.startup = false;
    }
    return { type, bodyLength, body, skipped: false };
  }

  /**
   * Hands back every byte not yet returned as a message (including a header read ahead) and empties the
   * reader, so a caller can pass them on when it stops parsing (e.g. the start of a TLS ClientHello).
   */
  takeBuffered(): Buffer {
    const parts = this.pending ? [this.pending.header, ...this.chunks] : this.chunks;
    const out = Buffer.concat(parts);
    this.pending = null;
    this.chunks = [];
    this.size = 0;
    return out;
  }

  private parseHeader(header: Buffer): { type: string | null; bodyLength: number; header: Buffer } {
    if (this.startup) {
      const length = header.readInt32BE(0);
      if (length < 8 || length > MAX_STARTUP_MESSAGE_BYTES) {
        throw new BadParameterError(
          `invalid PostgreSQL startup packet length ${length} (must be 8..${MAX_STARTUP_MESSAGE_BYTES}): is this a PostgreSQL client?`,
        );
      }
      return { type: null, bodyLength: length - 4, header };
    }
    const type = String.fromCharCode(header[0] as number);
    const length = header.readInt32BE(1);
    if (length < 4) throw new BadParameterError(`invalid PostgreSQL message length ${length} for message type '${printable(type)}'`);
    const bodyLength = length - 4;
    if (bodyLength > this.max && !this.skip(type)) {
      throw new BadParameterError(
        `PostgreSQL message '${printable(type)}' of ${bodyLength} bytes exceeds the database proxy's limit of ${this.max} bytes`,
      );
    }
    return { type, bodyLength, header };
  }

  /** Removes and returns the first n buffered bytes (n <= size). */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    let first = this.chunks[0] as Buffer;
    if (first.length < n) {
      first = Buffer.concat(this.chunks);
      this.chunks = [first];
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.size -= n;
    return out;
  }
}

/** A type byte as something safe to print. */
export function printable(type: string): string {
  return /^[\x20-\x7e]$/.test(type) ? type : `\\x${type.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
