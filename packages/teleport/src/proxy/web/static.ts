/**
 * @module proxy/web/static
 * Serves the built web UI (packages/web/dist, a Vite build) under `/web/*`:
 * - files that exist are served with their Content-Type, a strong ETag (304 on If-None-Match) and,
 *   for text types, gzip when the client accepts it;
 * - `/web/assets/*` are content-hashed by Vite, so they are cached for a year as `immutable`; a miss
 *   there is a 404 (an old index.html asking for a bundle that is gone must fail loudly, not get HTML);
 * - any other path whose last segment does not name a file (`/web/login`, `/web/invite/<token>`,
 *   `/web/nodes/host.example.com`) is the single-page app's own route: index.html, `no-cache`, so a
 *   new build is picked up on the next load;
 * - `/` redirects to `/web`; paths that climb out of the directory or name dotfiles are refused.
 * Without a build (no dist/index.html) every UI path answers 503 with how to build it, so the web
 * API works (and is tested) without one. Files are re-checked (stat) on each request and kept in
 * memory while unchanged: the whole build is a few MiB.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Router } from './router.ts';
import { securityHeaders } from './http.ts';

/** Where the UI is served from. */
export const WEB_PREFIX = '/web';

/** Environment variable that overrides the location of the built UI. */
export const WEB_ASSETS_DIR_ENV = 'TELEPORT_WEB_ASSETS_DIR';

/** What a request for the UI gets when there is no build. */
export const NOT_BUILT_MESSAGE = 'the web UI is not built: run npm run build:web\n';

/** Deepest UI path served (segments after /web); the router matches fixed depths. */
const MAX_DEPTH = 16;

/** A year: hashed assets never change under the same name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Content types by extension; an extension listed here also marks a path as a file, not a UI route. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** The build inside this repository: packages/web/dist, found from this file's location. */
export function defaultWebAssetsDir(): string {
  return fileURLToPath(new URL('../../../../web/dist/', import.meta.url));
}

/** The directory to serve: `dir` if given, else $TELEPORT_WEB_ASSETS_DIR, else {@link defaultWebAssetsDir}. */
export function webAssetsDir(dir?: string): string {
  return path.resolve(dir ?? (process.env[WEB_ASSETS_DIR_ENV] || defaultWebAssetsDir()));
}

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip?: Buffer;
  etag: string;
}

/** Options of {@link StaticUI}. */
export interface StaticUIOptions {
  /** Directory holding index.html and assets/; default: {@link webAssetsDir}(). */
  dir?: string;
}

/** The handlers that serve the built UI. */
export class StaticUI {
  /** The directory served. */
  readonly dir: string;
  private readonly cache = new Map<string, CachedFile>();

  constructor(opts: StaticUIOptions = {}) {
    this.dir = webAssetsDir(opts.dir);
  }

  /** Registers `/` (redirect) and `/web`, `/web/...` (GET and HEAD) on a router. */
  register(router: Router): Router {
    const serve = (req: IncomingMessage, res: ServerResponse): Promise<void> => this.serve(req, res);
    const redirect = async (_req: IncomingMessage, res: ServerResponse): Promise<void> => redirectToUI(res);
    router.add('GET', '/', redirect).add('HEAD', '/', redirect);
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      const pattern = [WEB_PREFIX, ...Array.from({ length: depth }, (_, i) => `:p${i}`)].join('/');
      router.add('GET', pattern, serve).add('HEAD', pattern, serve);
    }
    return router;
  }

  /** Answers one request for a path under /web. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'https://proxy').pathname;
    const rel = relativeUIPath(pathname);
    if (rel === undefined) return sendText(req, res, 400, 'bad path: the web UI serves files under /web only, without "..", dotfiles or backslashes\n');
    const index = await this.load('index.html');
    if (!index) return sendText(req, res, 503, NOT_BUILT_MESSAGE);
    if (rel === '' || rel === 'index.html') return this.send(req, res, 'index.html', index, 'no-cache');
    const file = await this.load(rel);
    const hashed = rel.startsWith('assets/');
    if (file) return this.send(req, res, rel, file, hashed ? IMMUTABLE : 'no-cache');
    if (hashed || looksLikeFile(rel)) return sendText(req, res, 404, `not found: ${pathname}\n`);
    return this.send(req, res, 'index.html', index, 'no-cache');
  }

  /** Reads a file of the build (cached while its size and mtime stay the same); undefined if absent. */
  private async load(rel: string): Promise<CachedFile | undefined> {
    const full = path.join(this.dir, rel);
    // Belt and braces: relativeUIPath already refused anything that could leave the directory.
    if (path.relative(this.dir, full).startsWith('..')) return undefined;
    let st;
    try {
      st = await stat(full);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = this.cache.get(rel);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    let body: Buffer;
    try {
      body = await readFile(full);
    } catch {
      return undefined;
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const entry: CachedFile = { mtimeMs: st.mtimeMs, size: st.size, body, etag };
    if (isCompressible(rel) && body.length > 1024) entry.gzip = gzipSync(body);
    this.cache.set(rel, entry);
    return entry;
  }

  private send(req: IncomingMessage, res: ServerResponse, rel: string, file: CachedFile, cacheControl: string): void {
    securityHeaders(res, { api: false });
    res.setHeader('cache-control', cacheControl);
    res.setHeader('etag', file.etag);
    res.setHeader('content-type', contentTypeOf(rel));
    if (file.gzip) res.setHeader('vary', 'Accept-Encoding');
    if (etagMatches(req.headers['if-none-match'], file.etag)) {
      res.writeHead(304);
      res.end();
      return;
    }
    const gzip = file.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? file.gzip : undefined;
    if (gzip) res.setHeader('content-encoding', 'gzip');
    const body = gzip ?? file.body;
    res.setHeader('content-length', body.length);
    res.writeHead(200);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/**
 * The path below /web as a relative file path ('' for the UI root), or undefined when the request
 * is not under /web or could name something outside the build (.., dotfiles, backslashes, NUL).
 */
export function relativeUIPath(pathname: string): string | undefined {
  if (pathname !== WEB_PREFIX && !pathname.startsWith(`${WEB_PREFIX}/`)) return undefined;
  const segments: string[] = [];
  for (const raw of pathname.slice(WEB_PREFIX.length).split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (seg.startsWith('.') || /[\\/\0]/.test(seg)) return undefined;
    segments.push(seg);
  }
  return segments.join('/');
}

/** True when the last segment ends in an extension the UI build uses (a file, not an app route). */
function looksLikeFile(rel: string): boolean {
  const ext = path.posix.extname(rel).toLowerCase();
  return ext in CONTENT_TYPES;
}

function contentTypeOf(rel: string): string {
  return CONTENT_TYPES[path.posix.extname(rel).toLowerCase()] ?? 'application/octet-stream';
}

function isCompressible(rel: string): boolean {
  const type = contentTypeOf(rel);
  return type.startsWith('text/') || type.startsWith('application/json') || type.startsWith('image/svg') || type.startsWith('application/manifest');
}

/** If-None-Match against one strong ETag ("*", lists and W/ prefixes as RFC 9110 allows). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function redirectToUI(res: ServerResponse): void {
  securityHeaders(res, { api: false });
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('location', WEB_PREFIX);
  res.setHeader('content-length', 0);
  res.writeHead(302);
  res.end();
}

function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  securityHeaders(res, { api: false });
  const body = Buffer.from(text, 'utf8');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', body.length);
  res.writeHead(status);
  res.end(req.method === 'HEAD' ? undefined : body);
}
