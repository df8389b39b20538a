/**
 * @module auth/grpcUnary
 * A direct gRPC server for the auth API's unary RPCs over a raw HTTP/2 stream: read one
 * length-prefixed protobuf message, call the handler, write one message and the `grpc-status`
 * trailers. Connect's generic pipeline (async iterables, per-call abort controllers and Headers
 * objects, Node's request/response compatibility layer) cost the auth server more CPU per call than
 * issuing a certificate pair (docs/benchmarks.md). Only plain requests take this path: binary
 * protobuf, no compression, a well-formed or absent `grpc-timeout`. Everything else (streaming RPCs,
 * JSON, compressed or malformed requests, unknown paths) is left to Connect, which answers them as
 * before. Responses are what Connect writes: the same content type, messages, status trailers and
 * error metadata (`x-teleport-error`).
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Code, ConnectError, type ContextValues } from '@connectrpc/connect';
import { envelope } from '@teleport-ts/api/client/unaryClient';
import { create, fromBinary, isMessage, toBinary, type DescMessage, type DescService, type Message, type MessageInitShape } from '@bufbuild/protobuf';

/**
 * What a handler may read from its call: the connection's values, the method name, cancellation.
 * Connect's HandlerContext has all of these, so the same handlers serve both paths.
 */
export interface CallContext {
  /** Values of the call's connection (the TLS peer socket). */
  values: ContextValues;
  /** The method being called. */
  method: { name: string };
  /** Aborted when the client cancels the call, the stream closes, or the call's deadline passes. */
  signal: AbortSignal;
}

/** A unary handler as grpcService defines them. */
export type UnaryHandler = (req: Message, ctx: CallContext) => Promise<MessageInitShape<DescMessage>>;

/** Serves one unary method. */
export interface UnaryRoute {
  /** Serves the call if it is a plain unary gRPC request; returns false (touching nothing) otherwise. */
  tryServe(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean;
}

const CONTENT_TYPE = 'application/grpc+proto';
const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** grpc-timeout in ms; null when absent; undefined when malformed (left to Connect to refuse). */
function parseTimeout(value: string | string[] | undefined): number | null | undefined {
  if (value === undefined) return null;
  const m = typeof value === 'string' ? /^(\d{1,8})([HMSmun])$/.exec(value) : null;
  return m ? Number(m[1]) * (TIMEOUT_UNITS[m[2] as string] ?? 0) : undefined;
}

/** Whether the request is one this path serves (else Connect takes it). */
function isPlainUnary(headers: IncomingHttpHeaders): boolean {
  if (headers[':method'] !== 'POST') return false;
  const type = headers['content-type']?.toLowerCase();
  if (type !== 'application/grpc' && type !== CONTENT_TYPE) return false;
  const encoding = headers['grpc-encoding'];
  return encoding === undefined || encoding === 'identity';
}

/** The context of one call; its signal is created only if a handler asks for it. */
class Call implements CallContext {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly values: ContextValues,
    readonly method: { name: string },
    private readonly stream: ServerHttp2Stream,
    private readonly timeoutMs: number | null,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.stream.closed) controller.abort(new ConnectError('the client closed the call', Code.Canceled));
      else this.stream.once('close', () => controller.abort(new ConnectError('the client closed the call', Code.Canceled)));
      if (this.timeoutMs !== null) {
        this.timer = setTimeout(() => controller.abort(new ConnectError('the call\'s deadline passed', Code.DeadlineExceeded)), this.timeoutMs);
        this.timer.unref();
      }
    }
    return this.controller.signal;
  }

  /** Ends the call's signal, so nothing waits on it any longer. */
  done(): void {
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort(new ConnectError('the call has finished', Code.Canceled));
  }
}

/**
 * The one request message of a unary call's body (length-prefixed envelopes: a flags byte and a
 * 32-bit length each), with Connect's errors, checked in Connect's order: the first message is
 * decoded before a second one or a truncated tail is noticed.
 */
function singleMessage(schema: DescMessage, body: Buffer): Message {
  const envelopes: { flags: number; data: Buffer }[] = [];
  let at = 0;
  while (envelopes.length < 2 && body.length - at >= 5) {
    const len = body.readUInt32BE(at + 1);
    if (body.length - at - 5 < len) break;
    envelopes.push({ flags: body[at] ?? 0, data: body.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  const incomplete = (): ConnectError => new ConnectError('protocol error: incomplete envelope', Code.InvalidArgument);
  const [first, second] = envelopes;
  if (!first) {
    if (at < body.length) throw incomplete();
    throw new ConnectError('protocol error: missing input message for unary method', Code.Unimplemented);
  }
  const message = decode(schema, first);
  if (second) {
    decode(schema, second);
    throw new ConnectError('protocol error: received extra input message for unary method', Code.Unimplemented);
  }
  if (at < body.length) throw incomplete();
  return message;
}

/** One envelope's message; compressed envelopes are refused, as the server accepts no compression. */
function decode(schema: DescMessage, env: { flags: number; data: Buffer }): Message {
  if (env.flags & 0x01) throw new ConnectError('received compressed envelope, but do not know how to decompress', Code.Internal);
  try {
    return fromBinary(schema, env.data);
  } catch (err) {
    throw new ConnectError(`parse binary: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
  }
}

/** Trailers for an outcome, as Connect's setTrailerStatus writes them (error metadata first, then status). */
function statusTrailers(err: ConnectError | undefined): Record<string, string> {
  if (!err) return { 'grpc-status': '0' };
  const out: Record<string, string> = {};
  err.metadata.forEach((value, key) => {
    out[key] = key in out ? `${out[key]}, ${value}` : value;
  });
  out['grpc-status'] = String(err.code);
  out['grpc-message'] = encodeURIComponent(err.rawMessage);
  return out;
}

function respond(stream: ServerHttp2Stream, body: Buffer | undefined, trailers: Record<string, string>): void {
  if (stream.destroyed || stream.closed) return;
  try {
    stream.respond({ ':status': 200, 'content-type': CONTENT_TYPE }, { waitForTrailers: true });
    stream.once('wantTrailers', () => {
      if (!stream.destroyed) stream.sendTrailers(trailers);
    });
    stream.end(body);
  } catch {
    // The client went away between the check and the write: nothing is left to tell it.
  }
}

/** A route per unary method of `service`, keyed by request path ("/<package.Service>/<Method>"). */
export function unaryRoutes(
  service: DescService,
  handlers: Readonly<Record<string, unknown>>,
  contextValues: (stream: ServerHttp2Stream) => ContextValues,
): Map<string, UnaryRoute> {
  const routes = new Map<string, UnaryRoute>();
  for (const method of service.methods) {
    const handler = handlers[method.localName];
    if (method.methodKind !== 'unary' || typeof handler !== 'function') continue;
    // Each handler is typed for its own request and response messages (grpcService); here they are
    // driven by the method descriptor, which decodes and encodes exactly those messages.
    const fn = handler as UnaryHandler;
    routes.set(`/${service.typeName}/${method.name}`, {
      tryServe(stream, headers) {
        if (!isPlainUnary(headers)) return false;
        const timeoutMs = parseTimeout(headers['grpc-timeout']);
        if (timeoutMs === undefined) return false;
        const call = new Call(contextValues(stream), method, stream, timeoutMs);
        const chunks: Buffer[] = [];
        // Without a listener, a reset stream's 'error' would be thrown as an uncaught exception.
        stream.on('error', () => undefined);
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.once('end', () => {
          void (async () => {
            try {
              const input = singleMessage(method.input, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
              const output = await fn(input, call);
              const message = isMessage(output, method.output) ? output : create(method.output, output);
              respond(stream, envelope(toBinary(method.output, message)), statusTrailers(undefined));
            } catch (err) {
              respond(stream, undefined, statusTrailers(err instanceof ConnectError ? err : new ConnectError('internal error', Code.Internal)));
            } finally {
              call.done();
            }
          })();
        });
        return true;
      },
    });
  }
  return routes;
}
