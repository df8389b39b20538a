/**
 * @module sshcert/wire
 * The SSH wire encoding of RFC 4251 section 5 (byte, boolean, uint32, uint64, string, mpint, name-list),
 * as used by OpenSSH keys, signatures and certificates. Pure functions over bytes: SSHWriter builds a
 * buffer, SSHReader walks one and throws BadParameterError instead of reading past the end.
 */
import { BadParameterError } from '../errors.ts';

const UINT64_MAX = (1n << 64n) - 1n;
/** One fatal UTF-8 decoder for every read: decode() without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Accumulates SSH wire values; `finish()` returns the concatenated bytes. */
export class SSHWriter {
  private readonly parts: Buffer[] = [];

  /** A single byte. */
  uint8(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new BadParameterError(`uint8 out of range: ${value}`);
    this.parts.push(Buffer.of(value));
    return this;
  }

  /** A boolean as one byte, 0 or 1. */
  bool(value: boolean): this {
    return this.uint8(value ? 1 : 0);
  }

  /** A 32-bit big-endian unsigned integer. */
  uint32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new BadParameterError(`uint32 out of range: ${value}`);
    // Pool-backed: finish() copies every part, so the small buffers never escape.
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(value);
    this.parts.push(b);
    return this;
  }

  /** A 64-bit big-endian unsigned integer. */
  uint64(value: bigint): this {
    if (value < 0n || value > UINT64_MAX) throw new BadParameterError(`uint64 out of range: ${value}`);
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(value);
    this.parts.push(b);
    return this;
  }

  /** A length-prefixed byte string; text is encoded as UTF-8. */
  string(value: Buffer | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.uint32(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  /**
   * A non-negative multiple-precision integer given as a big-endian magnitude (or a bigint): leading
   * zeros are stripped and a zero byte is prepended when the top bit is set, so it is not read as negative.
   */
  mpint(value: Buffer | bigint): this {
    let mag = typeof value === 'bigint' ? bigintToBytes(value) : value;
    let i = 0;
    while (i < mag.length && mag[i] === 0) i++;
    mag = mag.subarray(i);
    if (mag.length > 0 && (mag[0] as number) & 0x80) mag = Buffer.concat([Buffer.of(0), mag]);
    return this.string(mag);
  }

  /** Bytes copied as they are, with no length prefix. */
  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }

  /** The bytes written so far. */
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Reads SSH wire values from a buffer, front to back. */
export class SSHReader {
  private pos = 0;

  /** `what` names the structure being read, so truncation errors say what was malformed. */
  constructor(
    private readonly buf: Buffer,
    private readonly what = 'SSH data',
  ) {}

  /** Current offset into the buffer. */
  get offset(): number {
    return this.pos;
  }

  /** Number of bytes not read yet. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private take(n: number): Buffer {
    if (n > this.remaining) {
      throw new BadParameterError(`${this.what} is truncated: needed ${n} bytes at offset ${this.pos}, ${this.remaining} left`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A single byte. */
  uint8(): number {
    return this.take(1)[0] as number;
  }

  /** A boolean byte; any non-zero value is true (RFC 4251). */
  bool(): boolean {
    return this.uint8() !== 0;
  }

  /** A 32-bit big-endian unsigned integer. */
  uint32(): number {
    return this.take(4).readUInt32BE();
  }

  /** A 64-bit big-endian unsigned integer. */
  uint64(): bigint {
    return this.take(8).readBigUInt64BE();
  }

  /** A length-prefixed byte string (a view into the input, not a copy). */
  string(): Buffer {
    return this.take(this.uint32());
  }

  /** A length-prefixed string decoded as UTF-8; rejects invalid UTF-8 rather than guessing. */
  utf8(): string {
    const bytes = this.string();
    try {
      return UTF8.decode(bytes);
    } catch (err) {
      throw new BadParameterError(`${this.what} contains a string that is not valid UTF-8`, { cause: err });
    }
  }

  /** A non-negative mpint, returned as its big-endian magnitude without leading zeros. */
  mpint(): Buffer {
    const bytes = this.string();
    if (bytes.length > 0 && (bytes[0] as number) & 0x80) throw new BadParameterError(`${this.what} contains a negative integer`);
    let i = 0;
    while (i < bytes.length && bytes[i] === 0) i++;
    return bytes.subarray(i);
  }

  /** The next `n` bytes, with no length prefix. */
  raw(n: number): Buffer {
    return this.take(n);
  }

  /** Everything not read yet. */
  rest(): Buffer {
    return this.take(this.remaining);
  }

  /** Throws unless every byte has been consumed: trailing garbage is a sign of a malformed or forged blob. */
  done(): void {
    if (this.remaining !== 0) throw new BadParameterError(`${this.what} has ${this.remaining} unexpected trailing bytes`);
  }
}

/** Big-endian magnitude of a non-negative bigint (empty for zero). */
export function bigintToBytes(value: bigint): Buffer {
  if (value < 0n) throw new BadParameterError('negative integers are not supported here');
  if (value === 0n) return Buffer.alloc(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

/** The non-negative bigint of a big-endian magnitude. */
export function bytesToBigint(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}
