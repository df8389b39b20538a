/**
 * @module srv/db/postgres/wire
 * Byte-level building blocks of the PostgreSQL v3 wire protocol: a writer that frames a message and a
 * bounds-checked cursor that reads one. Integers are big-endian ("network order"); strings are
 * NUL-terminated ("String" in the protocol documentation). Pure: no I/O.
 */
import { BadParameterError } from '@teleport-ts/api/errors';

/** The code of an SSLRequest (1234 << 16 | 5679). */
export const SSL_REQUEST_CODE = 80877103;
/** The code of a GSSENCRequest (1234 << 16 | 5680). */
export const GSSENC_REQUEST_CODE = 80877104;
/** The code of a CancelRequest (1234 << 16 | 5678). */
export const CANCEL_REQUEST_CODE = 80877102;
/** Protocol version 3.0 as sent in a StartupMessage (3 << 16 | 0). */
export const PROTOCOL_V3 = 196608;
/** PostgreSQL's own cap on the untyped startup-phase messages (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_MESSAGE_BYTES = 10000;

/** Accumulates the body of one message and frames it. */
export class WireWriter {
  private readonly parts: Buffer[] = [];

  /** Byte1 / Int8. */
  byte(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }

  /** Int16, big-endian (signed). */
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }

  /** Int32, big-endian (signed). */
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v | 0);
    this.parts.push(b);
    return this;
  }

  /** String: UTF-8 text followed by a NUL byte. The text itself must not contain NUL. */
  cstring(s: string): this {
    if (s.includes('\0')) throw new BadParameterError('a PostgreSQL protocol string cannot contain a NUL byte');
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
    return this;
  }

  /** Raw bytes (Byten). */
  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }

  /** The body alone. */
  body(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** A typed message: Byte1 type, Int32 length (counting itself and the body, not the type), body. */
  typed(type: string): Buffer {
    const body = this.body();
    const head = Buffer.alloc(5);
    head.write(type, 0, 1, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  }

  /** An untyped startup-phase message: Int32 length (counting itself), body. */
  untyped(): Buffer {
    const body = this.body();
    const head = Buffer.alloc(4);
    head.writeInt32BE(body.length + 4);
    return Buffer.concat([head, body]);
  }
}

/** Reads one message body front to back; every read is bounds-checked. */
export class WireCursor {
  private pos = 0;

  /** `what` names the message in errors ("Bind message"). */
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new BadParameterError(`malformed PostgreSQL ${this.what}: it ends early (needed ${n} more bytes at offset ${this.pos})`);
    }
  }

  /** Byte1. */
  byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  /** Int16 (signed). */
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  /** Int32 (signed). */
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new BadParameterError(`malformed PostgreSQL ${this.what}: a string is not NUL-terminated`);
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }

  /** `n` raw bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Everything not read yet. */
  rest(): Buffer {
    const b = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return b;
  }

  /** Bytes not read yet. */
  remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Asserts the body was consumed exactly. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new BadParameterError(`malformed PostgreSQL ${this.what}: ${this.buf.length - this.pos} unexpected trailing bytes`);
    }
  }
}
