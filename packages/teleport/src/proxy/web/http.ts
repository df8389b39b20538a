/**
 * @module proxy/web/http
 * Small HTTP helpers for the web API: bounded JSON bodies, JSON and error responses, security
 * headers. Errors are mapped to HTTP status here, at the edge, from their stable codes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadParameterError, TeleportError, httpStatusFor, LimitExceededError } from '@teleport-ts/api/errors';
import type { Logger } from '../../utils/logger.ts';

/** Largest JSON body accepted (1 MiB). */
const MAX_BODY = 1 << 20;

/** The Content-Security-Policy of every UI page and API response: only our own origin, no inline script. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/** Headers sent with every response (UI and API). */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': CONTENT_SECURITY_POLICY,
};

/** Headers of every API response: the common ones plus `Cache-Control: no-store` (answers may hold secrets). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = { ...COMMON_HEADERS, 'cache-control': 'no-store' };

/**
 * Sets the security headers on a response before it is written: the one place they are decided,
 * used by the API helpers here and by the static UI (proxy/web/static.ts). `api: true` adds
 * `Cache-Control: no-store`; UI files choose their own caching.
 */
export function securityHeaders(res: ServerResponse, opts: { api: boolean }): void {
  for (const [name, value] of Object.entries(opts.api ? SECURITY_HEADERS : COMMON_HEADERS)) res.setHeader(name, value);
}

/** A request body over the limit: answered with 413 rather than the 429 of other limits. */
export class BodyTooLargeError extends LimitExceededError {
  constructor() {
    super('request body is larger than 1 MiB');
  }
}

/** A 400 that points into a document the client sent (role YAML): `line` and `field` go into the error body. */
export class DocumentError extends BadParameterError {
  constructor(
    message: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Reads and parses a JSON request body. */
export async function readJSON<T>(req: IncomingMessage): Promise<T> {
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('application/json')) throw new BadParameterError('expected a JSON body (Content-Type: application/json)');
  // A declared length over the limit is refused before a byte of the body is read.
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BodyTooLargeError();
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
  } catch {
    throw new BadParameterError('request body is not valid JSON');
  }
}

/** Sends a JSON response. */
export function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

/** Sends an error as `{error: {code, message, line?, field?}}` with the status of its kind. */
export function sendError(res: ServerResponse, err: unknown, logger: Logger): void {
  if (!(err instanceof TeleportError)) logger.error({ err }, 'unexpected error in web API');
  const status = err instanceof BodyTooLargeError ? 413 : httpStatusFor(err);
  const body = err instanceof TeleportError
    ? {
        error: {
          code: err.code, message: err.message,
          ...(err instanceof DocumentError && err.line !== undefined && { line: err.line }),
          ...(err instanceof DocumentError && err.field !== undefined && { field: err.field }),
        },
      }
    : { error: { code: 'internal', message: 'internal error in the proxy; see its logs' } };
  if (!res.headersSent) sendJSON(res, status, body);
  else res.destroy();
}

/** Sends 405 with the Allow header and a JSON error naming the methods the path accepts. */
export function sendMethodNotAllowed(res: ServerResponse, method: string, pathname: string, allowed: string[]): void {
  const data = JSON.stringify({
    error: { code: 'bad_parameter', message: `method ${method} is not allowed on ${pathname}: use ${allowed.join(' or ')}` },
  });
  res.writeHead(405, {
    ...SECURITY_HEADERS, allow: allowed.join(', '), 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data),
  });
  res.end(data);
}

/** Sends a text or HTML page. */
export function sendPage(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': `${contentType}; charset=utf-8`, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The client's address as "ip:port". */
export function remoteAddr(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return `${a.includes(':') ? `[${a}]` : a}:${req.socket.remotePort ?? 0}`;
}
