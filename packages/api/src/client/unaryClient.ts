/**
 * @module client/unaryClient
 * A lean gRPC client for unary methods over node:http2: one length-prefixed binary protobuf message
 * out, one back, status from the `grpc-status`/`grpc-message` trailers. Connect's generic client
 * pipeline (async iterables, three AbortControllers and several Headers objects per call, an error
 * object on every successful call) cost more client CPU per call than the auth server spent issuing a
 * certificate pair (docs/benchmarks.md). This client shares Connect's Http2SessionManager, so unary
 * calls and Connect's streaming calls (watches) use the one HTTP/2 connection, opened, kept and closed
 * exactly as before.
 *
 * It rejects with the same ConnectErrors as Connect's gRPC transport: a response that is not a plain
 * success (an error status, a trailers-only answer, an unexpected content type or encoding, a
 * malformed body) is checked by Connect's own gRPC protocol functions, in Connect's order; connection
 * and stream failures, deadlines and cancellation produce Connect's codes and messages.
 */
import http2 from 'node:http2';
import { Code, ConnectError } from '@connectrpc/connect';
import { findTrailerError, parseContentType, validateResponseWithCompression, validateTrailer } from '@connectrpc/connect/protocol-grpc';
import type { Http2SessionManager } from '@connectrpc/connect-node';
import {
  create, fromBinary, isMessage, toBinary,
  type DescMessage, type DescMethodUnary, type DescService, type MessageInitShape, type MessageShape,
} from '@bufbuild/protobuf';
import { connectErrorFromH2Reset, connectErrorFromNode, hasNodeCode } from './h2Errors.ts';

/** Per-call options, as Connect's CallOptions has them (the ones our callers use). */
export interface UnaryCallOptions {
  /** Cancels the call; it then rejects with Code.Canceled (or the reason, if that is a ConnectError). */
  signal?: AbortSignal;
  /** Deadline of this call; 0 or less means none. Defaults to the client's default. */
  timeoutMs?: number;
}

/** The unary methods of a service, called as Connect's `Client` calls them. */
export type UnaryClient<S extends DescService> = {
  [P in keyof S['method'] as S['method'][P] extends DescMethodUnary ? P : never]: S['method'][P] extends DescMethodUnary<infer I, infer O>
    ? (request: MessageInitShape<I>, options?: UnaryCallOptions) => Promise<MessageShape<O>>
    : never;
};

/** How the client reaches the server. */
export interface UnaryClientOptions {
  /** The HTTP/2 connection manager (the same one Connect's transport uses). */
  session: Http2SessionManager;
  /** Deadline of a call that does not set one, in ms; undefined for none. */
  defaultTimeoutMs?: number;
  /** Turns every rejection (a ConnectError) into the error the caller should see. */
  mapError?: (err: ConnectError) => Error;
}

const CONTENT_TYPE = 'application/grpc+proto';
const USER_AGENT = 'teleport-ts-grpc';
const ENCODING = 'grpc-encoding';
const STATUS = 'grpc-status';
const STATUS_DETAILS = 'grpc-status-details-bin';

/** Node's header object (pseudo-headers dropped) as fetch Headers, as Connect's node client builds them. */
function webHeaders(h: http2.IncomingHttpHeaders | undefined): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h ?? {})) {
    if (k.startsWith(':') || v === undefined) continue;
    if (typeof v === 'string') out.append(k, v);
    else if (typeof v === 'number') out.append(k, String(v));
    else for (const e of v) out.append(k, e);
  }
  return out;
}

/**
 * One gRPC length-prefixed message: a flags byte (0 = uncompressed; tests set 1 for "compressed"),
 * a 4-byte big-endian length, the bytes.
 */
export function envelope(message: Uint8Array, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = flags;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

function parseMessage<O extends DescMessage>(schema: O, data: Uint8Array): MessageShape<O> {
  try {
    return fromBinary(schema, data);
  } catch (e) {
    throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
}

/**
 * The outcome of a response that is not the plain success case, decided as Connect's gRPC transport
 * decides it: envelopes in order (compressed → Internal, undecodable → Internal, a second message →
 * Unimplemented, leftover bytes → InvalidArgument), then the trailers, then a missing message.
 */
function slowOutcome<O extends DescMessage>(schema: O, body: Buffer, headers: http2.IncomingHttpHeaders, trailers: http2.IncomingHttpHeaders | undefined): MessageShape<O> {
  const header = webHeaders(headers);
  const headerError = findTrailerError(header);
  let message: MessageShape<O> | undefined;
  let at = 0;
  while (body.length - at >= 5) {
    const len = body.readUInt32BE(at + 1);
    if (body.length - at - 5 < len) break;
    if ((body[at] ?? 0) & 0x01) throw new ConnectError('received compressed envelope, but do not know how to decompress', Code.Internal);
    const parsed = parseMessage(schema, body.subarray(at + 5, at + 5 + len));
    if (message !== undefined) throw new ConnectError('protocol error: received extra output message for unary method', Code.Unimplemented);
    message = parsed;
    at += 5 + len;
  }
  if (at < body.length) throw new ConnectError('protocol error: incomplete envelope', Code.InvalidArgument);
  const trailer = webHeaders(trailers);
  validateTrailer(trailer, header);
  if (message === undefined) {
    if (headerError) throw headerError;
    throw new ConnectError('protocol error: missing output message for unary method', trailer.has(STATUS) ? Code.Unimplemented : Code.Unknown);
  }
  if (headerError) throw new ConnectError('protocol error: received output message for unary method with error status', Code.Unknown);
  return message;
}

/** One call in flight: collects the response and settles exactly once. */
class UnaryCall<O extends DescMessage> {
  private settled = false;
  private stream: http2.ClientHttp2Stream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private headers: http2.IncomingHttpHeaders | undefined;
  private trailers: http2.IncomingHttpHeaders | undefined;
  private readonly chunks: Buffer[] = [];
  /** The response headers were those of a plain success (status 200, gRPC protobuf, no status, no encoding). */
  private plainHeaders = false;
  /** Why the call failed, once it has. */
  private error: ConnectError | undefined;
  private readonly onAbort = (): void => this.fail(ConnectError.from(abortReason(this.signal as AbortSignal), Code.Canceled));

  constructor(
    private readonly schema: O,
    private readonly session: Http2SessionManager,
    private readonly resolve: (m: MessageShape<O>) => void,
    private readonly reject: (e: ConnectError) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  start(path: string, headers: http2.OutgoingHttpHeaders, body: Buffer, timeoutMs: number | undefined): void {
    if (timeoutMs !== undefined) {
      const expire = (): void => this.fail(new ConnectError('the operation timed out', Code.DeadlineExceeded));
      if (timeoutMs <= 0) return expire();
      this.timer = setTimeout(expire, timeoutMs);
    }
    if (this.signal) {
      if (this.signal.aborted) return this.onAbort();
      this.signal.addEventListener('abort', this.onAbort);
    }
    this.session.request('POST', path, headers, {}).then(
      (stream) => this.attach(stream, body),
      (err: unknown) => this.fail(err instanceof ConnectError ? err : connectErrorFromNode(err)),
    );
  }

  private attach(stream: http2.ClientHttp2Stream, body: Buffer): void {
    this.stream = stream;
    stream.on('response', (h) => this.onResponse(h));
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.session.notifyResponseByteRead(stream);
    });
    stream.on('trailers', (t) => (this.trailers = t));
    stream.on('end', () => this.onEnd());
    stream.on('error', (e: Error) => {
      if (stream.writableEnded && hasNodeCode(e, 'ERR_STREAM_WRITE_AFTER_END')) return;
      this.fail(connectErrorFromNode(e));
    });
    stream.on('close', () => {
      const err = connectErrorFromH2Reset(stream.rstCode);
      if (err) this.fail(err);
      // Closed without an error code and without the end of the response (Connect's body iterator
      // ends the same way).
      else if (!this.settled) this.fail(new ConnectError('Premature close', Code.Unknown));
    });
    // Deadline or cancellation came first: reset the stream as Connect does.
    if (this.settled) this.closeStream();
    else stream.end(body);
  }

  private onResponse(h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    this.headers = h;
    if (h[':status'] === 200 && h[STATUS] === undefined && h[STATUS_DETAILS] === undefined) {
      const type = h['content-type'];
      const enc = h[ENCODING];
      const plainType = type === CONTENT_TYPE || (type !== undefined && parseContentType(type) !== undefined);
      if (plainType && (enc === undefined || (typeof enc === 'string' && enc.toLowerCase() === 'identity'))) {
        this.plainHeaders = true;
        return;
      }
    }
    try {
      validateResponseWithCompression([], h[':status'] ?? 0, webHeaders(h));
    } catch (err) {
      this.fail(ConnectError.from(err));
    }
  }

  private onEnd(): void {
    // A stream reset before any response also ends the readable side: 'close' reports the reset.
    if (this.settled || !this.headers) return;
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const t = this.trailers;
    try {
      // The plain success: one uncompressed envelope filling the body, grpc-status 0 in the trailers.
      if (this.plainHeaders && t && t[STATUS] === '0' && t[STATUS_DETAILS] === undefined && body.length >= 5 && body[0] === 0 && body.readUInt32BE(1) === body.length - 5) {
        this.succeed(parseMessage(this.schema, body.subarray(5)));
      } else {
        this.succeed(slowOutcome(this.schema, body, this.headers ?? {}, t));
      }
    } catch (err) {
      this.fail(ConnectError.from(err));
    }
  }

  private succeed(message: MessageShape<O>): void {
    if (this.settled) return;
    this.finish();
    this.resolve(message);
  }

  private fail(err: ConnectError): void {
    if (this.settled) return;
    this.error = err;
    this.finish();
    this.closeStream();
    this.reject(err);
  }

  private finish(): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  /** RST_STREAM as Connect sends it: CANCEL for a cancelled call, INTERNAL_ERROR otherwise. */
  private closeStream(): void {
    const s = this.stream;
    if (!s || s.closed) return;
    s.close(this.error?.code === Code.Canceled ? http2.constants.NGHTTP2_CANCEL : http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
}

function abortReason(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * A client for the unary methods of `service` (streaming methods are left out: use Connect's client
 * for those, over the same session manager).
 */
export function createUnaryClient<S extends DescService>(service: S, options: UnaryClientOptions): UnaryClient<S> {
  const client: Record<string, unknown> = {};
  const defaultTimeout = options.defaultTimeoutMs;
  const mapError = options.mapError;
  for (const method of service.methods) {
    if (method.methodKind !== 'unary') continue;
    const m = method as DescMethodUnary;
    const path = `/${service.typeName}/${m.name}`;
    client[m.localName] = (input: MessageInitShape<DescMessage>, callOptions?: UnaryCallOptions): Promise<unknown> => {
      const requested = callOptions?.timeoutMs;
      // Connect's rule: no per-call value takes the default; a per-call value of 0 or less means none.
      const timeoutMs = requested === undefined ? defaultTimeout : requested <= 0 ? undefined : requested;
      const headers: http2.OutgoingHttpHeaders = { 'content-type': CONTENT_TYPE, 'user-agent': USER_AGENT, te: 'trailers' };
      if (timeoutMs !== undefined) headers['grpc-timeout'] = `${timeoutMs}m`;
      return new Promise((resolve, reject) => {
        let body: Buffer;
        try {
          const message = isMessage(input, m.input) ? input : create(m.input, input);
          body = envelope(toBinary(m.input, message));
        } catch (e) {
          const err = e instanceof ConnectError ? e : new ConnectError(`serialize binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
          reject(mapError ? mapError(err) : err);
          return;
        }
        const call = new UnaryCall(m.output, options.session, resolve, mapError ? (e) => reject(mapError(e)) : reject, callOptions?.signal);
        call.start(path, headers, body, timeoutMs);
      });
    };
  }
  return client as UnaryClient<S>;
}
