/**
 * @module api
 * The web API client. Every authenticated call carries the session cookie (sent by the browser,
 * `credentials: 'same-origin'`) and the bearer token in the Authorization header: the proxy needs
 * both, and a cross-site page can make the browser send the cookie but cannot set the header (the
 * CSRF protection). The token lives in memory and in sessionStorage (one tab's lifetime), never in
 * localStorage or URLs. A 401 means the web session expired: the registered handler sends the
 * user to the login page.
 */

/** Prefix of every API path. */
export const API_PREFIX = '/v1/webapi';

const STORAGE_KEY = 'teleport.web.bearer';

let memoryToken: string | null = null;

/** sessionStorage when it exists (absent under node tests, or when the browser denies it). */
function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

/** The bearer token of the current web session, if logged in. */
export function getToken(): string | null {
  if (memoryToken === null) memoryToken = storage()?.getItem(STORAGE_KEY) ?? null;
  return memoryToken;
}

/** Stores the bearer token after a login. */
export function setToken(token: string): void {
  memoryToken = token;
  storage()?.setItem(STORAGE_KEY, token);
}

/** Forgets the bearer token (logout, expiry). */
export function clearToken(): void {
  memoryToken = null;
  storage()?.removeItem(STORAGE_KEY);
}

/** An error answered by the API: status plus the server's message (and, for role YAML, where). */
export class ApiError extends Error {
  /** HTTP status (0 when the request never got an answer). */
  readonly status: number;
  /** Stable error kind when the server sent one (`bad_parameter`, ...). */
  readonly code: string | undefined;
  /** 1-based line of a YAML validation error. */
  readonly line: number | undefined;
  /** Field of a validation error. */
  readonly field: string | undefined;

  constructor(status: number, message: string, extra: { code?: string; line?: number; field?: string } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = extra.code;
    this.line = extra.line;
    this.field = extra.field;
  }
}

/** Builds an ApiError from a status and a response body (`{error:{message,code?,line?,field?}}`). */
export function errorFromBody(status: number, body: string): ApiError {
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      const e = (typeof o.error === 'object' && o.error !== null ? o.error : o) as Record<string, unknown>;
      if (typeof e.message === 'string' && e.message) {
        return new ApiError(status, e.message, {
          ...(typeof e.code === 'string' ? { code: e.code } : {}),
          ...(typeof e.line === 'number' ? { line: e.line } : {}),
          ...(typeof e.field === 'string' ? { field: e.field } : {}),
        });
      }
    }
  } catch {
    /* not JSON: fall through */
  }
  return new ApiError(status, `the server answered ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
}

/** The text to show for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Appends the defined, non-empty query parameters to a path. */
export function withQuery(path: string, query: Record<string, string | number | undefined> = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

type UnauthorizedHandler = (message: string) => void;
let onUnauthorized: UnauthorizedHandler = () => {};

/** Registers what to do when a call answers 401 (the app navigates to the login page). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  /** JSON body. */
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** Send the bearer token and treat 401 as an expired session (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

/** Performs a request under {@link API_PREFIX} and returns the raw response when it is 2xx. */
export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const auth = opts.auth ?? true;
  const token = auth ? getToken() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(withQuery(API_PREFIX + path, opts.query), {
      method: opts.method ?? 'GET',
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, `cannot reach the proxy (${errorMessage(err)}): check your network connection`);
  }
  if (res.ok) return res;
  const err = errorFromBody(res.status, await res.text().catch(() => ''));
  if (res.status === 401 && auth) {
    clearToken();
    onUnauthorized(err.message);
  }
  throw err;
}

/** A JSON API call. Resolves to the parsed body (undefined for an empty body). */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** An API call whose body is text (recordings). */
export async function apiText(path: string, opts: RequestOptions = {}): Promise<string> {
  return (await request(path, opts)).text();
}

/** Path of a per-cluster endpoint: `/sites/<site>/<rest>`. */
export function sitePath(site: string, rest: string): string {
  return `/sites/${encodeURIComponent(site)}/${rest}`;
}
