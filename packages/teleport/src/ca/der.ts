/**
 * @module ca/der
 * The small part of DER (ITU-T X.690) that issuing certificates needs: a writer for the few universal
 * types a certificate uses, a reader that walks tag-length-value elements without interpreting them, and
 * PEM armour. Pure functions over bytes; no I/O. Certificates used to be assembled through the pure-JS
 * ASN.1 object model of @peculiar/asn1-schema, which serialised and re-parsed every part and was the
 * largest cost of issuing one (docs/benchmarks.md); writing DER directly costs microseconds.
 */
import { BadParameterError } from '@teleport-ts/api/errors';

/** Universal and context tags used by certificates. */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** The tag of a constructed, context-specific [n] (EXPLICIT) element. */
export const explicitTag = (n: number): number => 0xa0 | n;
/** The tag of a primitive, context-specific [n] (IMPLICIT) element. */
export const implicitTag = (n: number): number => 0x80 | n;

/** Bytes of the tag and length of an element with `len` content bytes. */
export function headerLength(len: number): number {
  return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : 5;
}

/** Writes tag and length at `at` (room for {@link headerLength} bytes must exist); returns the offset after them. */
export function writeHeader(out: Buffer, at: number, tag: number, len: number): number {
  out[at++] = tag;
  if (len < 0x80) {
    out[at++] = len;
    return at;
  }
  const n = len < 0x100 ? 1 : len < 0x10000 ? 2 : len < 0x1000000 ? 3 : 0;
  if (n === 0) throw new BadParameterError(`a DER element of ${len} bytes is too large for a certificate`);
  out[at++] = 0x80 | n;
  for (let shift = 8 * (n - 1); shift >= 0; shift -= 8) out[at++] = (len >> shift) & 0xff;
  return at;
}

/** One element: tag, minimal definite length, then the content (one buffer or several, concatenated). */
export function tlv(tag: number, content: Buffer | readonly Buffer[]): Buffer {
  const parts = Buffer.isBuffer(content) ? [content] : content;
  let len = 0;
  for (const p of parts) len += p.length;
  const out = Buffer.allocUnsafe(headerLength(len) + len);
  let at = writeHeader(out, 0, tag, len);
  for (const p of parts) at += p.copy(out, at);
  return out;
}

/** SEQUENCE of the given encoded elements. */
export const sequence = (...items: Buffer[]): Buffer => tlv(TAG.sequence, items);

const DER_TRUE = Buffer.of(TAG.boolean, 1, 0xff);
/** BOOLEAN TRUE (DER writes it as 0xff). */
export const booleanTrue = (): Buffer => DER_TRUE;

/** DER NULL. */
export const derNull = (): Buffer => Buffer.of(TAG.null, 0);

const oidCache = new Map<string, Buffer>();

/** OBJECT IDENTIFIER from dotted text; encodings are cached (a certificate uses a few dozen, always the same). */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new BadParameterError(`"${dotted}" is not an object identifier`);
    return BigInt(a);
  });
  const [a = 0n, b = 0n, ...rest] = arcs;
  if (arcs.length < 2 || a > 2n || (a < 2n && b > 39n)) throw new BadParameterError(`"${dotted}" is not an object identifier`);
  const bytes: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const chunk = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...chunk);
  }
  const encoded = tlv(TAG.oid, Buffer.from(bytes));
  if (oidCache.size < 256) oidCache.set(dotted, encoded);
  return encoded;
}

/** INTEGER from unsigned big-endian magnitude bytes, minimally encoded (a 0x00 added when the top bit is set). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const m = magnitude.subarray(start);
  if (m.length === 0) return Buffer.of(TAG.integer, 1, 0);
  return (m[0] ?? 0) & 0x80 ? tlv(TAG.integer, [Buffer.of(0), m]) : tlv(TAG.integer, m);
}

/** BIT STRING holding whole bytes (no unused bits), e.g. a public key or a signature. */
export const bitStringBytes = (bytes: Buffer): Buffer => tlv(TAG.bitString, [Buffer.of(0), bytes]);

/**
 * BIT STRING of named bits (X.680 22.7): bit n is the n-th most significant bit, and DER drops trailing
 * zero bits, so { digitalSignature (0) } is 03 02 07 80.
 */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return Buffer.of(TAG.bitString, 1, 0);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const b of bits) bytes[b >> 3] = (bytes[b >> 3] ?? 0) | (0x80 >> (b & 7));
  return tlv(TAG.bitString, [Buffer.of(7 - (highest & 7)), bytes]);
}

/** OCTET STRING. */
export const octetString = (bytes: Buffer): Buffer => tlv(TAG.octetString, bytes);

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Certificate validity time per RFC 5280 4.1.2.5: UTCTime (YYMMDDHHMMSSZ) for 1950 through 2049,
 * GeneralizedTime (YYYYMMDDHHMMSSZ) otherwise, both in UTC with whole seconds (milliseconds dropped).
 */
export function x509Time(date: Date): Buffer {
  const y = date.getUTCFullYear();
  if (!Number.isFinite(y) || y < 0 || y > 9999) throw new BadParameterError(`certificate time ${String(date)} is out of range`);
  const rest = `${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y <= 2049) return tlv(TAG.utcTime, Buffer.from(`${pad2(y % 100)}${rest}`, 'latin1'));
  return tlv(TAG.generalizedTime, Buffer.from(`${String(y).padStart(4, '0')}${rest}`, 'latin1'));
}

/** One element found by {@link readElement}: its tag and where its header, content and end are. */
export interface DERElement {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

/** Reads the element at `offset` (single-byte tags, definite lengths: all DER certificates need). */
export function readElement(buf: Buffer, offset: number, what = 'DER data'): DERElement {
  const bad = (why: string): never => {
    throw new BadParameterError(`malformed ${what}: ${why}`);
  };
  const tag = buf[offset] ?? bad('truncated before a tag');
  if ((tag & 0x1f) === 0x1f) bad('multi-byte tags are not used in certificates');
  let len = buf[offset + 1] ?? bad('truncated before a length');
  let contentStart = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) bad('indefinite or oversized length');
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | (buf[contentStart + i] ?? bad('truncated length'));
    contentStart += n;
    if (len < 0x80 || (n > 1 && len < 1 << (8 * (n - 1)))) bad('non-minimal length');
  }
  const end = contentStart + len;
  if (end > buf.length) bad('element runs past the end of the data');
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element (e.g. the fields of a SEQUENCE). */
export function readChildren(buf: Buffer, parent: DERElement, what = 'DER data'): DERElement[] {
  const out: DERElement[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const e = readElement(buf, at, what);
    if (e.end > parent.end) throw new BadParameterError(`malformed ${what}: element runs past its parent`);
    out.push(e);
    at = e.end;
  }
  return out;
}

/** Base64 in 64-character lines between BEGIN/END lines, as OpenSSL and node write PEM. */
export function toPEM(label: string, der: Buffer): string {
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The DER inside a text holding exactly one PEM block with `label` (surrounding whitespace allowed),
 * or undefined when the text is anything else, so callers can fall back to a general parser.
 */
export function fromSinglePEM(label: string, text: string): Buffer | undefined {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const trimmed = text.trim();
  if (!trimmed.startsWith(begin) || !trimmed.endsWith(end)) return undefined;
  const body = trimmed.slice(begin.length, trimmed.length - end.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) return undefined;
  return Buffer.from(body, 'base64');
}
