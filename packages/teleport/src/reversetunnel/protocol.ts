/**
 * @module reversetunnel/protocol
 * The reverse tunnel's own framing, as pure functions over bytes (no I/O). Every message is a frame:
 *
 * ```
 * uint32 length (big-endian, of the JSON that follows)
 * byte[length] UTF-8 JSON object
 * ```
 *
 * Two conversations use it:
 * - the **transport dial**: the first bytes the proxy writes on a transport channel are one
 *   {@link DialRequest} frame; the agent answers with one {@link DialReply} frame, after which the
 *   channel carries the raw stream (for `node`, the client's SSH connection to the node).
 * - the **control channel** (agent-opened, kept for the life of the tunnel): {@link ControlMessage}
 *   frames in both directions - `hello` and `proxies` and `reconnect` from the proxy, `ping`/`pong`
 *   from either side.
 *
 * Frames larger than {@link MAX_FRAME_SIZE} are refused: nothing in this protocol is big, so a huge
 * length means a confused or hostile peer.
 */
import { BadParameterError } from '@teleport-ts/api/errors';

/** Largest JSON payload a frame may carry (64 KiB). */
export const MAX_FRAME_SIZE = 64 * 1024;

/** What a transport channel leads to on the agent's side. */
export type DialType = 'node' | 'app' | 'db' | 'kube';

const DIAL_TYPES: readonly DialType[] = ['node', 'app', 'db', 'kube'];

/** The proxy's request at the start of a transport channel. */
export interface DialRequest {
  type: DialType;
  /** The server id (host UUID) or address the agent should connect the stream to. */
  target: string;
  /** The original client's address, for the agent's audit log. */
  client_addr?: string;
}

/** The agent's answer to a {@link DialRequest}. */
export type DialReply = { ok: true } | { ok: false; error: string };

/** One live proxy's tunnel endpoint, as announced to agents. */
export interface ProxyEndpoint {
  host_id: string;
  /** host:port of the proxy's tunnel listener (3024). */
  addr: string;
  /** host:port of its web port, for agents that reach proxies by TLS ALPN on 3080. */
  web_addr?: string;
}

/** Messages on the control channel. */
export type ControlMessage =
  | { type: 'hello'; host_id: string; cluster: string }
  | { type: 'proxies'; proxies: ProxyEndpoint[] }
  | { type: 'reconnect'; reason?: string }
  | { type: 'ping' }
  | { type: 'pong' };

/** Encodes one frame: length + JSON of `value`. Throws BadParameterError when it is too large. */
export function encodeFrame(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  if (json.length > MAX_FRAME_SIZE) {
    throw new BadParameterError(`reverse tunnel frame of ${json.length} bytes exceeds the limit of ${MAX_FRAME_SIZE} bytes`);
  }
  const header = Buffer.alloc(4);
  header.writeUInt32BE(json.length, 0);
  return Buffer.concat([header, json]);
}

/**
 * Incremental frame decoder: feed it chunks as they arrive (split or merged at any byte), get back
 * the complete JSON values. A frame over the limit or with bad JSON throws BadParameterError; the
 * decoder is unusable afterwards (the stream is out of sync), so close the channel.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private failed: Error | undefined;

  constructor(private readonly maxFrameSize = MAX_FRAME_SIZE) {}

  /** Appends `chunk` and returns every frame completed by it, oldest first. */
  push(chunk: Buffer): unknown[] {
    if (this.failed) throw this.failed;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: unknown[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === undefined) return out;
      out.push(frame.value);
    }
  }

  /**
   * Takes at most one frame from what was pushed so far, leaving the bytes after it in
   * {@link rest}. For the dial handshake, where everything after the first frame is raw stream.
   */
  pushOne(chunk: Buffer): { value: unknown } | undefined {
    if (this.failed) throw this.failed;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return this.next();
  }

  /** Bytes received but not part of a complete frame. */
  rest(): Buffer {
    return this.buf;
  }

  private next(): { value: unknown } | undefined {
    if (this.buf.length < 4) return undefined;
    const len = this.buf.readUInt32BE(0);
    if (len > this.maxFrameSize) {
      this.failed = new BadParameterError(
        `reverse tunnel frame of ${len} bytes exceeds the limit of ${this.maxFrameSize} bytes: the peer is not speaking the tunnel protocol`,
      );
      throw this.failed;
    }
    if (this.buf.length < 4 + len) return undefined;
    const json = this.buf.subarray(4, 4 + len).toString('utf8');
    this.buf = this.buf.subarray(4 + len);
    try {
      return { value: JSON.parse(json) as unknown };
    } catch (err) {
      this.failed = new BadParameterError('reverse tunnel frame is not valid JSON', { cause: err });
      throw this.failed;
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(obj: Record<string, unknown>, key: string, what: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new BadParameterError(`${what}: "${key}" must be a string`);
  return v;
}

/** Validates a decoded frame as a {@link DialRequest}. */
export function parseDialRequest(value: unknown): DialRequest {
  if (!isObject(value)) throw new BadParameterError('dial request: expected a JSON object');
  const type = str(value, 'type', 'dial request');
  if (!DIAL_TYPES.includes(type as DialType)) throw new BadParameterError(`dial request: unknown type "${type}" (want ${DIAL_TYPES.join(', ')})`);
  const req: DialRequest = { type: type as DialType, target: str(value, 'target', 'dial request') };
  if (value.client_addr !== undefined) req.client_addr = str(value, 'client_addr', 'dial request');
  return req;
}

/** Validates a decoded frame as a {@link DialReply}. */
export function parseDialReply(value: unknown): DialReply {
  if (!isObject(value) || typeof value.ok !== 'boolean') throw new BadParameterError('dial reply: expected {"ok": true|false}');
  if (value.ok) return { ok: true };
  return { ok: false, error: typeof value.error === 'string' ? value.error : 'the agent refused the connection' };
}

/** Validates a decoded frame as a {@link ControlMessage}; unknown types throw BadParameterError. */
export function parseControlMessage(value: unknown): ControlMessage {
  if (!isObject(value)) throw new BadParameterError('control message: expected a JSON object');
  const type = str(value, 'type', 'control message');
  switch (type) {
    case 'hello':
      return { type, host_id: str(value, 'host_id', 'hello'), cluster: str(value, 'cluster', 'hello') };
    case 'proxies': {
      const list = value.proxies;
      if (!Array.isArray(list)) throw new BadParameterError('proxies: "proxies" must be a list');
      return {
        type,
        proxies: list.map((p: unknown) => {
          if (!isObject(p)) throw new BadParameterError('proxies: each entry must be {host_id, addr}');
          const e: ProxyEndpoint = { host_id: str(p, 'host_id', 'proxies'), addr: str(p, 'addr', 'proxies') };
          if (p.web_addr !== undefined) e.web_addr = str(p, 'web_addr', 'proxies');
          return e;
        }),
      };
    }
    case 'reconnect':
      return typeof value.reason === 'string' ? { type, reason: value.reason } : { type };
    case 'ping':
    case 'pong':
      return { type };
    default:
      throw new BadParameterError(`control message: unknown type "${type}"`);
  }
}
