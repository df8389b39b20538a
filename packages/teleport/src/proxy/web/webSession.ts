/**
 * @module proxy/web/webSession
 * Resolves the web UI session of a request and gives handlers a way to act as its user.
 *
 * A session is named by two secrets: the `__Host-session` cookie (the session id) and the bearer
 * token in `Authorization: Bearer`. Browsers attach the cookie to cross-site requests but never the
 * header, so requiring both is the CSRF protection. The proxy reads the session from auth
 * (`GetWebSession`, Proxy role only; cached for a few seconds) and compares the SHA-256 of the
 * presented token with the stored one in constant time.
 *
 * Acting as the user: each session gets an AuthClient that presents the session's own X.509
 * certificate (mutual TLS straight to auth), so auth's AuthWithRoles authorizes the user exactly as
 * for tsh, and the proxy decides nothing. Those clients are kept in a bounded LRU (`maxClients`);
 * an evicted or expired one is closed (AuthClient.close), and a client nobody uses closes its
 * connection by itself after a minute idle, so a quiet session costs only a map entry.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { systemClock, type Clock } from '@teleport-ts/api/clock';
import { AuthClient, type WebSessionInfo } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError, TrustError, isNotFound } from '@teleport-ts/api/errors';
import { WebSessionCookie } from '@teleport-ts/api/webapi';

/** Name of the session cookie. `__Host-` makes browsers insist on Secure, Path=/ and no Domain. */
export const SESSION_COOKIE = WebSessionCookie;

/** Message of a 401: the session is unknown, expired or logged out. */
export const SESSION_EXPIRED_MESSAGE = 'your web session expired: log in again';

/** Message of a 403: the bearer token is missing or wrong (a cross-site request, or a stale tab). */
export const CSRF_MESSAGE = 'missing or invalid bearer token (CSRF protection)';

/** How long a session read from auth is trusted before it is read again (logout elsewhere shows within this). */
export const SESSION_CACHE_MS = 10_000;

/** Most sessions kept in memory with their AuthClient; the least recently used are closed first. */
export const MAX_SESSION_CLIENTS = 1000;

/** A resolved session: who the user is and how to act as them. */
export interface WebSession extends WebSessionInfo {
  /** An AuthClient authenticated with the session's certificate: every call is authorized as the user. */
  client: AuthClient;
}

/** What a resolver needs. */
export interface WebSessionResolverOptions {
  /** The proxy's own client (system role Proxy): reads sessions. */
  authClient: Pick<AuthClient, 'getWebSession' | 'addr'>;
  clock: Clock;
  /** Default SESSION_CACHE_MS. */
  cacheMs?: number;
  /** Default MAX_SESSION_CLIENTS. */
  maxClients?: number;
  /** Builds the per-session client; tests replace it. Default: mutual TLS to `authClient.addr`. */
  newClient?: (s: WebSessionInfo) => AuthClient;
}

interface Entry {
  session: WebSession;
  /** When the record was read from auth (clock ms). */
  fetchedAt: number;
}

/** Finds and checks the web session of requests; one per proxy. */
export class WebSessionResolver {
  private readonly entries = new Map<string, Entry>();
  /** Reads from auth in flight, so concurrent first requests of a session share one read and one client. */
  private readonly pending = new Map<string, Promise<WebSession>>();
  private readonly cacheMs: number;
  private readonly maxClients: number;
  private readonly newClient: (s: WebSessionInfo) => AuthClient;

  constructor(private readonly opts: WebSessionResolverOptions) {
    this.cacheMs = opts.cacheMs ?? SESSION_CACHE_MS;
    this.maxClients = opts.maxClients ?? MAX_SESSION_CLIENTS;
    this.newClient = opts.newClient ?? ((s) => new AuthClient({
      addr: opts.authClient.addr, certPEM: s.tlsCert, keyPEM: s.privateKeyPEM, caCerts: s.tlsCACerts,
    }));
  }

  /**
   * The session of an HTTP request: the cookie (401 without one) and the bearer header (403 without
   * one), then the session itself (401 when unknown or expired; 403 when the token does not match).
   */
  async fromRequest(req: IncomingMessage): Promise<WebSession> {
    const id = sessionCookie(req);
    if (!id) throw new TrustError(SESSION_EXPIRED_MESSAGE);
    const token = bearerToken(req);
    if (!token) throw new AccessDeniedError(CSRF_MESSAGE);
    return this.resolve(id, token);
  }

  /**
   * For WebSockets (the terminal's TerminalSessionSource): the session of a Cookie header and the
   * bearer token the browser sent in its first message; `keyPEM` is the session's private key.
   */
  async fromCookie(cookieHeader: string | undefined, bearer: string): Promise<WebSession & { keyPEM: string }> {
    const id = cookieValue(cookieHeader);
    if (!id) throw new TrustError(SESSION_EXPIRED_MESSAGE);
    if (!bearer) throw new AccessDeniedError(CSRF_MESSAGE);
    const s = await this.resolve(id, bearer);
    return { ...s, keyPEM: s.privateKeyPEM };
  }

  /** The session `id` if `token` is its bearer token (WebSockets send the token in their first message). */
  async resolve(id: string, token: string): Promise<WebSession> {
    const session = await this.lookup(id);
    if (!tokenMatches(token, session.bearerTokenSHA256)) throw new AccessDeniedError(CSRF_MESSAGE);
    return session;
  }

  /** Forgets a session at once (after logout) and closes its client. */
  forget(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    e.session.client.close();
  }

  /** Closes every per-session client. */
  close(): void {
    for (const id of [...this.entries.keys()]) this.forget(id);
  }

  /** Number of sessions held (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private async lookup(id: string): Promise<WebSession> {
    const now = this.opts.clock.nowMs();
    const hit = this.entries.get(id);
    if (hit && hit.session.expires.getTime() <= now) {
      this.forget(id);
      throw new TrustError(SESSION_EXPIRED_MESSAGE);
    }
    if (hit && now - hit.fetchedAt < this.cacheMs) {
      this.entries.delete(id); // re-insert: Map order is recency
      this.entries.set(id, hit);
      return hit.session;
    }
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight;
    const read = this.refresh(id, hit, now).finally(() => this.pending.delete(id));
    this.pending.set(id, read);
    return read;
  }

  private async refresh(id: string, hit: Entry | undefined, now: number): Promise<WebSession> {
    let info: WebSessionInfo;
    try {
      info = await this.opts.authClient.getWebSession(id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.forget(id);
      throw new TrustError(SESSION_EXPIRED_MESSAGE);
    }
    if (info.expires.getTime() <= now) throw new TrustError(SESSION_EXPIRED_MESSAGE);
    // Keep the client across refreshes of the record: the certificate does not change within a session.
    const session: WebSession = { ...info, client: hit?.session.client ?? this.newClient(info) };
    this.entries.delete(id);
    this.entries.set(id, { session, fetchedAt: now });
    while (this.entries.size > this.maxClients) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.forget(oldest);
    }
    return session;
  }
}

const resolvers = new WeakMap<object, WebSessionResolver>();

/**
 * The one resolver of a web context, created on first use: the JSON handlers and the WebSocket
 * terminal share it (and so its cache and clients). A context may bring its own (`webSessions`).
 */
export function webSessionsOf(ctx: { authClient: AuthClient; clock?: Clock; webSessions?: WebSessionResolver }): WebSessionResolver {
  if (ctx.webSessions) return ctx.webSessions;
  let r = resolvers.get(ctx);
  if (!r) {
    r = new WebSessionResolver({ authClient: ctx.authClient, clock: ctx.clock ?? systemClock });
    resolvers.set(ctx, r);
  }
  return r;
}

/** The session id from the `__Host-session` cookie, or undefined. */
export function sessionCookie(req: IncomingMessage): string | undefined {
  return cookieValue(req.headers.cookie);
}

function cookieValue(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === SESSION_COOKIE) return part.slice(i + 1).trim() || undefined;
  }
  return undefined;
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** Constant-time comparison of SHA-256(token) with the stored hex hash. */
export function tokenMatches(token: string, storedSHA256Hex: string): boolean {
  const got = createHash('sha256').update(token, 'utf8').digest();
  const want = Buffer.from(storedSHA256Hex, 'hex');
  return want.length === got.length && timingSafeEqual(got, want);
}

/** The Set-Cookie value that stores a session id for `maxAgeS` seconds. */
export function sessionCookieHeader(id: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeS))}`;
}

/** The Set-Cookie value that removes the session cookie. */
export function clearSessionCookieHeader(): string {
  return `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;
}
