/**
 * @module proxy/db/clientHello
 * A pure codec over the first bytes of a TLS connection: is a whole ClientHello there yet (or how
 * many more bytes are needed), and which server name (SNI) and ALPN protocols does it offer. The web
 * port's multiplexer reads ALPN with it to choose a TLS server before any TLS is spoken. No I/O, and
 * it never throws: bytes that are not a ClientHello give a `not-tls` result with the reason.
 *
 * Wire layout (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2):
 * ```
 * record:      uint8 type = 22 (handshake) | uint16 legacy_version | uint16 length | fragment
 * handshake:   uint8 msg_type = 1 (client_hello) | uint24 length | body
 *   (the handshake message may span several handshake records; fragments are concatenated)
 * body:        uint16 legacy_version | opaque random[32] | opaque session_id<0..32>
 *              | uint16 cipher_suites<2..2^16-2> | opaque compression_methods<1..2^8-1>
 *              | Extension extensions<0..2^16-1>            (absent in SSLv3-era hellos)
 * Extension:   uint16 type | opaque data<0..2^16-1>
 *   server_name (0):  uint16 list_length | { uint8 name_type = 0 | opaque host_name<1..2^16-1> }*
 *   ALPN (16):        uint16 list_length | { opaque protocol_name<1..2^8-1> }*
 * ```
 */

/** Record content type of TLS handshake records. */
export const TLS_HANDSHAKE_RECORD = 0x16;
/** Largest ClientHello accepted (several full records); anything larger is treated as not TLS. */
export const MAX_CLIENT_HELLO = 64 * 1024;

const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const RECORD_HEADER = 5;
const MAX_RECORD = 16384 + 2048; // TLSCiphertext limit; plaintext records are at most 2^14

/** What the first bytes of a connection say. */
export type ClientHelloResult =
  /** Not enough bytes yet: read at least `need` more and ask again. */
  | { kind: 'need-more'; need: number }
  /** The bytes are not (the start of) a TLS ClientHello. */
  | { kind: 'not-tls'; reason: string }
  /** A complete ClientHello. `length` is how many bytes (records) it took. */
  | { kind: 'client-hello'; serverName?: string; alpn: string[]; length: number };

class Malformed extends Error {}

/** A bounds-checked reader over one buffer. */
class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer, private readonly what: string) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number): void {
    if (this.remaining < n) throw new Malformed(`${this.what} is truncated`);
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  vec8(): Buffer {
    return this.bytes(this.u8());
  }
  vec16(): Buffer {
    return this.bytes(this.u16());
  }
}

/**
 * Examines the first bytes of a connection. Feed it everything received so far (from byte 0); it
 * reports `need-more` until the whole ClientHello handshake message is present.
 */
export function parseClientHello(data: Buffer): ClientHelloResult {
  try {
    return parse(data);
  } catch (err) {
    return { kind: 'not-tls', reason: err instanceof Malformed ? err.message : `unparseable ClientHello: ${String(err)}` };
  }
}

function parse(data: Buffer): ClientHelloResult {
  if (data.length === 0) return { kind: 'need-more', need: RECORD_HEADER };
  if (data[0] !== TLS_HANDSHAKE_RECORD) return { kind: 'not-tls', reason: `first byte 0x${hex(data[0] ?? 0)} is not a TLS handshake record` };
  // Gather handshake fragments from consecutive records until the ClientHello message is whole.
  const fragments: Buffer[] = [];
  let fragmentBytes = 0;
  let offset = 0;
  let messageLength: number | undefined;
  for (;;) {
    if (data.length < offset + RECORD_HEADER) return { kind: 'need-more', need: offset + RECORD_HEADER - data.length };
    const type = data[offset];
    const major = data[offset + 1];
    const recordLength = data.readUInt16BE(offset + 3);
    if (type !== TLS_HANDSHAKE_RECORD) return { kind: 'not-tls', reason: `record type 0x${hex(type ?? 0)} inside a ClientHello` };
    if (major !== 3) return { kind: 'not-tls', reason: `record version ${major ?? 0}.x is not TLS` };
    if (recordLength === 0 || recordLength > MAX_RECORD) return { kind: 'not-tls', reason: `TLS record length ${recordLength} is out of range` };
    const end = offset + RECORD_HEADER + recordLength;
    if (end > MAX_CLIENT_HELLO) return { kind: 'not-tls', reason: `ClientHello larger than ${MAX_CLIENT_HELLO} bytes` };
    if (data.length < end) return { kind: 'need-more', need: end - data.length };
    fragments.push(data.subarray(offset + RECORD_HEADER, end));
    fragmentBytes += recordLength;
    offset = end;
    if (messageLength === undefined && fragmentBytes >= 4) {
      const head = Buffer.concat(fragments).subarray(0, 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return { kind: 'not-tls', reason: `handshake type ${head[0] ?? 0} is not a ClientHello` };
      messageLength = head.readUIntBE(1, 3);
      if (messageLength + 4 > MAX_CLIENT_HELLO) return { kind: 'not-tls', reason: `ClientHello larger than ${MAX_CLIENT_HELLO} bytes` };
    }
    if (messageLength !== undefined && fragmentBytes >= messageLength + 4) break;
  }
  const body = Buffer.concat(fragments).subarray(4, 4 + messageLength);
  return { kind: 'client-hello', ...parseBody(body), length: offset };
}

function parseBody(body: Buffer): { serverName?: string; alpn: string[] } {
  const r = new Reader(body, 'ClientHello');
  const major = r.u8();
  r.u8();
  if (major !== 3) throw new Malformed(`ClientHello version ${major}.x is not TLS`);
  r.bytes(32); // random
  if (r.vec8().length > 32) throw new Malformed('ClientHello session id is longer than 32 bytes');
  const suites = r.vec16();
  if (suites.length === 0 || suites.length % 2 !== 0) throw new Malformed('ClientHello cipher suite list is malformed');
  if (r.vec8().length === 0) throw new Malformed('ClientHello offers no compression method');
  const out: { serverName?: string; alpn: string[] } = { alpn: [] };
  if (r.remaining === 0) return out; // no extensions at all
  const exts = new Reader(r.vec16(), 'ClientHello extensions');
  if (r.remaining !== 0) throw new Malformed('bytes after the ClientHello extensions');
  while (exts.remaining > 0) {
    const type = exts.u16();
    const data = exts.vec16();
    if (type === EXT_SERVER_NAME) {
      const sn = serverName(data);
      if (sn !== undefined) out.serverName = sn;
    } else if (type === EXT_ALPN) {
      out.alpn = alpnList(data);
    }
  }
  return out;
}

function serverName(data: Buffer): string | undefined {
  const list = new Reader(new Reader(data, 'server_name extension').vec16(), 'server_name list');
  while (list.remaining > 0) {
    const type = list.u8();
    const name = list.vec16();
    if (type === 0) return name.toString('latin1');
  }
  return undefined;
}

function alpnList(data: Buffer): string[] {
  const outer = new Reader(data, 'ALPN extension');
  const list = new Reader(outer.vec16(), 'ALPN protocol list');
  if (outer.remaining !== 0) throw new Malformed('bytes after the ALPN protocol list');
  const names: string[] = [];
  while (list.remaining > 0) {
    const name = list.vec8();
    if (name.length === 0) throw new Malformed('empty ALPN protocol name');
    names.push(name.toString('latin1'));
  }
  return names;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
