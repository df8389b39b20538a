/**
 * @module srv/db/mysql/packets
 * MySQL packet framing and the primitive field encodings, as pure code over bytes (no I/O).
 *
 * Every MySQL message travels in frames:
 *
 * ```
 * int<3>  payload length (little-endian)
 * int<1>  sequence id
 * byte[n] payload
 * ```
 *
 * A payload of 0xFFFFFF bytes or more is split into 0xFFFFFF-byte frames followed by a shorter (maybe
 * empty) frame, each with the next sequence id. {@link FrameReader} yields single frames (what a relay
 * forwards), {@link PacketReader} joins them into logical packets (what a parser reads).
 */

/** Largest payload of one frame; a frame this long means "more frames follow". */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** A protocol violation by the peer: the stream is out of sync and must be closed. */
export class MySQLProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MySQLProtocolError';
  }
}

/** One frame as read from the wire. */
export interface Frame {
  seq: number;
  payload: Buffer;
  /** The frame's bytes including its 4-byte header, to forward unchanged. */
  raw: Buffer;
}

/** One logical packet: the payload of one or more frames joined. */
export interface Packet {
  /** Sequence id of the first frame. */
  seq: number;
  /** Sequence id of the last frame (the next packet of the exchange uses lastSeq + 1). */
  lastSeq: number;
  payload: Buffer;
  /** The frames' raw bytes, to forward unchanged. */
  raw: Buffer[];
}

/** Encodes `payload` as frames starting at sequence id `seq` (splitting at 16 MiB). */
export function encodePacket(seq: number, payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  let s = seq & 0xff;
  for (;;) {
    const len = Math.min(MAX_FRAME_PAYLOAD, payload.length - offset);
    const header = Buffer.alloc(4);
    header.writeUIntLE(len, 0, 3);
    header[3] = s;
    parts.push(header, payload.subarray(offset, offset + len));
    offset += len;
    s = (s + 1) & 0xff;
    if (len < MAX_FRAME_PAYLOAD) break;
  }
  return Buffer.concat(parts);
}

/** Incremental frame decoder: push chunks split or merged at any byte, take complete frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds received bytes. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next complete frame, or undefined until more bytes arrive. */
  next(): Frame | undefined {
    if (this.buf.length < 4) return undefined;
    const len = this.buf.readUIntLE(0, 3);
    if (this.buf.length < 4 + len) return undefined;
    const raw = this.buf.subarray(0, 4 + len);
    this.buf = this.buf.subarray(4 + len);
    return { seq: raw[3] ?? 0, payload: raw.subarray(4), raw };
  }

  /** The payload length the next frame's header announces, once its header is in. */
  peekLength(): number | undefined {
    return this.buf.length < 4 ? undefined : this.buf.readUIntLE(0, 3);
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Removes and returns the bytes not yet returned as frames (to hand the stream to TLS). */
  takeRemainder(): Buffer {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }
}

/** Default limit of a logical packet read by {@link PacketReader}: 64 MiB (MySQL 8's max_allowed_packet default). */
export const DEFAULT_MAX_PACKET = 64 * 1024 * 1024;

/**
 * Incremental logical-packet decoder. Throws MySQLProtocolError when a packet would exceed `maxPayload`
 * or its frames' sequence ids are not consecutive; the reader is unusable afterwards.
 */
export class PacketReader {
  private readonly frames = new FrameReader();
  private pending: Frame[] = [];
  private pendingLen = 0;

  /** Largest logical payload accepted; may be raised after the handshake. */
  maxPayload: number;

  constructor(maxPayload = DEFAULT_MAX_PACKET) {
    this.maxPayload = maxPayload;
  }

  /** Adds received bytes. */
  push(chunk: Buffer): void {
    this.frames.push(chunk);
    // Refuse as soon as a frame header announces too much, before buffering its payload.
    const announced = this.frames.peekLength();
    if (announced !== undefined && this.pendingLen + announced > this.maxPayload) this.tooLarge();
  }

  /** The next complete packet, or undefined until more bytes arrive. */
  next(): Packet | undefined {
    for (;;) {
      const f = this.frames.next();
      if (!f) return undefined;
      const prev = this.pending[this.pending.length - 1];
      if (prev && f.seq !== ((prev.seq + 1) & 0xff)) {
        throw new MySQLProtocolError(`packet continuation has sequence id ${f.seq}, expected ${(prev.seq + 1) & 0xff}`);
      }
      this.pendingLen += f.payload.length;
      if (this.pendingLen > this.maxPayload) this.tooLarge();
      this.pending.push(f);
      if (f.payload.length < MAX_FRAME_PAYLOAD) {
        const frames = this.pending;
        this.pending = [];
        this.pendingLen = 0;
        const first = frames[0] as Frame;
        return {
          seq: first.seq,
          lastSeq: f.seq,
          payload: frames.length === 1 ? first.payload : Buffer.concat(frames.map((x) => x.payload)),
          raw: frames.map((x) => x.raw),
        };
      }
    }
  }

  /** The next single frame, for relays that forward frames as they come (not mixed with a partial packet). */
  nextFrame(): Frame | undefined {
    if (this.pending.length > 0) throw new MySQLProtocolError('frame read in the middle of a multi-frame packet');
    return this.frames.next();
  }

  /** Removes and returns the bytes not yet returned as packets (only valid between packets). */
  takeRemainder(): Buffer {
    return this.frames.takeRemainder();
  }

  private tooLarge(): never {
    throw new MySQLProtocolError(`packet larger than the limit of ${this.maxPayload} bytes`);
  }
}

/** Reads fixed-size and length-encoded fields from a payload; throws MySQLProtocolError past the end. */
export class PayloadReader {
  offset = 0;

  constructor(readonly buf: Buffer) {}

  /** Bytes left. */
  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) {
      throw new MySQLProtocolError(`truncated packet: needed ${n} bytes at offset ${this.offset} of ${this.buf.length}`);
    }
  }

  /** int<1>. */
  u8(): number {
    this.need(1);
    return this.buf[this.offset++] as number;
  }

  /** int<2> little-endian. */
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }

  /** int<3> little-endian. */
  u24(): number {
    this.need(3);
    const v = this.buf.readUIntLE(this.offset, 3);
    this.offset += 3;
    return v;
  }

  /** int<4> little-endian. */
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  /** int<8> little-endian. */
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Fixed-length bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** The rest of the payload. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** string<NUL>: bytes up to a NUL (consumed); the rest if there is none and `allowEOF`. */
  nulBytes(allowEOF = false): Buffer {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) {
      if (allowEOF) return this.rest();
      throw new MySQLProtocolError(`unterminated string at offset ${this.offset}`);
    }
    const v = this.buf.subarray(this.offset, end);
    this.offset = end + 1;
    return v;
  }

  /** string<NUL> as UTF-8. */
  nulString(allowEOF = false): string {
    return this.nulBytes(allowEOF).toString('utf8');
  }

  /** int<lenenc>. Returns null for the NULL marker 0xFB. Values past 2^53 throw. */
  lenencInt(): number | null {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) return this.u24();
    if (first === 0xfe) {
      const v = this.u64();
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MySQLProtocolError('length-encoded integer too large');
      return Number(v);
    }
    throw new MySQLProtocolError('invalid length-encoded integer prefix 0xff');
  }

  /** string<lenenc> as bytes (NULL refused). */
  lenencBytes(): Buffer {
    const n = this.lenencInt();
    if (n === null) throw new MySQLProtocolError('unexpected NULL length-encoded string');
    return this.bytes(n);
  }

  /** string<lenenc> as UTF-8. */
  lenencString(): string {
    return this.lenencBytes().toString('utf8');
  }
}

/** Builds a payload from fields. */
export class PayloadWriter {
  private readonly parts: Buffer[] = [];

  /** int<1>. */
  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }

  /** int<2>. */
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v & 0xffff);
    this.parts.push(b);
    return this;
  }

  /** int<3>. */
  u24(v: number): this {
    const b = Buffer.alloc(3);
    b.writeUIntLE(v & 0xffffff, 0, 3);
    this.parts.push(b);
    return this;
  }

  /** int<4>. */
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }

  /** int<8>. */
  u64(v: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.parts.push(b);
    return this;
  }

  /** Raw bytes (a string is UTF-8). */
  bytes(v: Buffer | string): this {
    this.parts.push(typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
    return this;
  }

  /** `n` zero bytes. */
  zeros(n: number): this {
    this.parts.push(Buffer.alloc(n));
    return this;
  }

  /** string<NUL>. */
  nulString(v: Buffer | string): this {
    return this.bytes(v).u8(0);
  }

  /** int<lenenc>. */
  lenencInt(v: number): this {
    if (v < 0xfb) return this.u8(v);
    if (v <= 0xffff) return this.u8(0xfc).u16(v);
    if (v <= 0xffffff) return this.u8(0xfd).u24(v);
    return this.u8(0xfe).u64(v);
  }

  /** string<lenenc>. */
  lenencString(v: Buffer | string): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    return this.lenencInt(b.length).bytes(b);
  }

  /** The payload built so far. */
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}
