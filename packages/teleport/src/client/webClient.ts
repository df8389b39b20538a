/**
 * @module client/webClient
 * tsh's client for the proxy's web API (paths and JSON shapes in @teleport-ts/api/webapi), on plain
 * node:https. Every failure becomes one of our typed errors with a message that says what to do:
 * JSON error bodies are rebuilt with errorFromCode, an untrusted proxy certificate is a TrustError
 * that mentions --insecure, and an unreachable proxy is a ConnectionProblemError.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import {
  ConnectionProblemError, TeleportError, TrustError, errorFromCode, type ErrorCode,
} from '@teleport-ts/api/errors';
import {
  WebAPIPaths, type ChangePasswordWithTokenRequest, type ChangePasswordWithTokenResponse, type CreateSSHCertRequest,
  type PasswordTokenResponse, type PingResponse, type SSHLoginResponse,
} from '@teleport-ts/api/webapi';

/** How to reach and trust the proxy. */
export interface WebClientOptions {
  /** Proxy web address: "host:port", "host" (port 3080) or "https://host:port". */
  proxyAddr: string;
  /** Skip TLS verification (self-signed test clusters only). */
  insecure?: boolean;
  /** Trust only these CA certificates (PEM) instead of the system roots, e.g. the cluster's host CA. */
  caCertsPEM?: string[];
  /** Per-request timeout in milliseconds (default 30s). */
  timeoutMs?: number;
}

/** The default proxy web port. */
export const DEFAULT_WEB_PORT = 3080;
const MAX_BODY = 16 << 20;

/** Splits a proxy address into host and port (default 3080). */
export function parseProxyAddr(addr: string): { host: string; port: number } {
  const bare = addr.trim().replace(/^https:\/\//i, '').replace(/\/+$/, '');
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d+))?$/.exec(bare);
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? DEFAULT_WEB_PORT : Number(m[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TeleportError('bad_parameter', `invalid proxy address "${addr}": expected host:port, like proxy.example.com:3080`);
  }
  return { host, port };
}

/** Status → kind for error bodies without our code (for example from an upstream proxy). */
const STATUS_KINDS: Record<number, ErrorCode> = {
  400: 'bad_parameter', 401: 'access_denied', 403: 'access_denied', 404: 'not_found', 409: 'already_exists',
  412: 'compare_failed', 429: 'limit_exceeded', 501: 'not_implemented', 502: 'connection_problem',
  503: 'connection_problem', 504: 'connection_problem',
};

const UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE',
]);

/** Client of the proxy web API. */
export class WebClient {
  /** "host:port" as used in messages. */
  readonly addr: string;
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly options: WebClientOptions) {
    ({ host: this.host, port: this.port } = parseProxyAddr(options.proxyAddr));
    this.addr = `${isIP(this.host) === 6 ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** GET /v1/webapi/ping: cluster name, auth settings and proxy addresses. */
  ping(): Promise<PingResponse> {
    return this.request<PingResponse>('GET', WebAPIPaths.ping);
  }

  /** Reads an invite or password-reset token (who it is for, OTP enrolment secret). */
  getPasswordToken(token: string): Promise<PasswordTokenResponse> {
    return this.request<PasswordTokenResponse>('GET', `${WebAPIPaths.passwordToken}/${encodeURIComponent(token)}`);
  }

  /** Sets the password (and OTP device) with an invite or reset token. */
  changePasswordWithToken(req: ChangePasswordWithTokenRequest): Promise<ChangePasswordWithTokenResponse> {
    return this.request<ChangePasswordWithTokenResponse>('PUT', WebAPIPaths.passwordToken, req);
  }

  /** Logs in with password (+ OTP) and gets SSH and TLS certificates for the given public keys. */
  createSSHCert(req: CreateSSHCertRequest): Promise<SSHLoginResponse> {
    return this.request<SSHLoginResponse>('POST', WebAPIPaths.sshCerts, req);
  }

  /** Sends one JSON request and decodes the JSON answer; failures become typed errors. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const opts: RequestOptions = {
      host: this.host, port: this.port, method, path, agent: false,
      headers: {
        Accept: 'application/json',
        'User-Agent': 'teleport-ts-tsh',
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
      },
      rejectUnauthorized: this.options.insecure !== true,
      ...(this.options.caCertsPEM && this.options.caCertsPEM.length > 0 ? { ca: this.options.caCertsPEM } : {}),
    };
    return new Promise<T>((resolve, reject) => {
      const req = httpsRequest(opts, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(new ConnectionProblemError(`the proxy at ${this.addr} sent a response over ${MAX_BODY} bytes`));
          else chunks.push(c);
        });
        res.on('error', (err) => reject(this.networkError(err)));
        res.on('end', () => {
          try {
            resolve(this.decode<T>(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(err);
          }
        });
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy(new ConnectionProblemError(
          `the proxy at ${this.addr} did not answer within ${Math.round(timeoutMs / 1000)}s: check the address and your network`));
      });
      req.on('error', (err) => reject(this.networkError(err)));
      req.end(payload);
    });
  }

  private decode<T>(status: number, text: string): T {
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status >= 200 && status < 300) {
      if (json === undefined) {
        throw new ConnectionProblemError(`the proxy at ${this.addr} answered with something that is not JSON: is it a Teleport proxy's web port?`);
      }
      return json as T;
    }
    const e = (json as { error?: { code?: unknown; message?: unknown } | string; message?: unknown } | undefined);
    const inner = typeof e?.error === 'object' ? e.error : undefined;
    const message = typeof inner?.message === 'string' ? inner.message
      : typeof e?.error === 'string' ? e.error
        : typeof e?.message === 'string' ? e.message
          : `the proxy at ${this.addr} answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (typeof inner?.code === 'string') return throwErr(errorFromCode(inner.code, message));
    return throwErr(errorFromCode(STATUS_KINDS[status] ?? 'bad_parameter', message));
  }

  /** Turns a socket or TLS failure into a typed error with advice. */
  private networkError(err: Error): Error {
    if (err instanceof TeleportError) return err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (UNTRUSTED_CODES.has(code)) {
      const pinned = this.options.caCertsPEM && this.options.caCertsPEM.length > 0;
      const advice = pinned
        ? 'it is not signed by the CA this client trusts for the cluster; check the address, or log in again if the cluster CA was replaced'
        : 'pass --insecure for a self-signed test cluster, or configure the proxy with a certificate from a trusted CA (proxy_service.https_keypairs)';
      return new TrustError(`the proxy's certificate is not trusted (${err.message}): ${advice}`, { cause: err });
    }
    if (UNREACHABLE_CODES.has(code)) {
      return new ConnectionProblemError(`cannot reach proxy ${this.addr}: ${err.message}`, { cause: err });
    }
    if (/wrong version number|packet length too long|ssl3_get_record|EPROTO/i.test(`${code} ${err.message}`)) {
      return new ConnectionProblemError(
        `cannot reach proxy ${this.addr}: it did not answer with TLS; is this the proxy's web port (default ${DEFAULT_WEB_PORT})?`, { cause: err });
    }
    return new ConnectionProblemError(`request to proxy ${this.addr} failed: ${err.message}`, { cause: err });
  }
}

function throwErr(err: Error): never {
  throw err;
}
