/**
 * @module proxy/web/static.test
 * The static UI handler over real HTTP against a fake build in a temp dir: SPA fallback, 404 for
 * missing assets, cache headers and ETags, gzip, traversal refusal, the `/` redirect, the security
 * headers, and the 503 when there is no build.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '../../utils/logger.ts';
import type { WebContext } from './handlers/context.ts';
import { Router } from './router.ts';
import { buildRouter } from './webServer.ts';
import { defaultWebAssetsDir, NOT_BUILT_MESSAGE, relativeUIPath, StaticUI, WEB_ASSETS_DIR_ENV, webAssetsDir } from './static.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/web/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';
const BUNDLE = `console.log(${JSON.stringify('x'.repeat(4000))});`;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** Serves a StaticUI for `dir` (or a whole router) on 127.0.0.1:0 through the router, as webServer does. */
async function serve(dirOrRouter: string | Router): Promise<{ get: (p: string, h?: Record<string, string>, method?: string) => Promise<Reply>; close: () => Promise<void> }> {
  const router = typeof dirOrRouter === 'string' ? new StaticUI({ dir: dirOrRouter }).register(new Router()) : dirOrRouter;
  const server = http.createServer((req, res) => {
    const m = router.match(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname);
    if (!m || 'allowed' in m) {
      res.writeHead(m ? 405 : 404).end();
      return;
    }
    m.handler(req, res, m.params).catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const get = (p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> => new Promise((resolve, reject) => {
    // Raw path: no client-side normalisation of "..".
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
  return { get, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function assertUIHeaders(r: Reply): void {
  assert.match(String(r.headers['content-security-policy']), /default-src 'self'; script-src 'self'/);
  assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['x-frame-options'], 'DENY');
  assert.equal(r.headers['referrer-policy'], 'no-referrer');
}

describe('static web UI', () => {
  let root: string;
  let dist: string;
  let srv: Awaited<ReturnType<typeof serve>>;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tp-static-'));
    dist = path.join(root, 'dist');
    await mkdir(path.join(dist, 'assets'), { recursive: true });
    await writeFile(path.join(dist, 'index.html'), INDEX);
    await writeFile(path.join(dist, 'assets', 'index-abc123.js'), BUNDLE);
    await writeFile(path.join(dist, 'assets', 'index-abc123.css'), 'body{margin:0}');
    await writeFile(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(path.join(dist, '.env'), 'SECRET=1');
    await writeFile(path.join(root, 'outside.txt'), 'outside');
    srv = await serve(dist);
  });

  after(async () => {
    await srv.close();
    await rm(root, { recursive: true, force: true });
  });

  it('redirects / to /web', async () => {
    const r = await srv.get('/');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/web');
    assertUIHeaders(r);
  });

  it('serves index.html at /web and /web/ with no-cache and an ETag', async () => {
    for (const p of ['/web', '/web/', '/web/index.html']) {
      const r = await srv.get(p);
      assert.equal(r.status, 200, p);
      assert.equal(r.text, INDEX);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.match(String(r.headers.etag), /^"[A-Za-z0-9_-]+"$/);
      assertUIHeaders(r);
    }
  });

  it('falls back to index.html for the app routes (not files)', async () => {
    for (const p of ['/web/login', `/web/invite/${'a'.repeat(32)}`, '/web/reset/abc', '/web/cluster/c1/nodes/host.example.com', '/web/users/alice.smith']) {
      const r = await srv.get(p);
      assert.equal(r.status, 200, p);
      assert.equal(r.text, INDEX, p);
      assert.equal(r.headers['cache-control'], 'no-cache');
    }
  });

  it('serves hashed assets as immutable with their content type', async () => {
    const js = await srv.get('/web/assets/index-abc123.js');
    assert.equal(js.status, 200);
    assert.equal(js.text, BUNDLE);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assertUIHeaders(js);
    const css = await srv.get('/web/assets/index-abc123.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const svg = await srv.get('/web/favicon.svg');
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.headers['cache-control'], 'no-cache');
  });

  it('answers 404, never index.html, for missing assets and file-like paths', async () => {
    for (const p of ['/web/assets/index-old999.js', '/web/assets/nothing', '/web/missing.js', '/web/robots.txt']) {
      const r = await srv.get(p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.text, /<!doctype/i);
    }
  });

  it('answers 304 to a matching If-None-Match and HEAD without a body', async () => {
    const first = await srv.get('/web/assets/index-abc123.js');
    const etag = String(first.headers.etag);
    const again = await srv.get('/web/assets/index-abc123.js', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal((await srv.get('/web/assets/index-abc123.js', { 'if-none-match': `W/${etag}, "other"` })).status, 304);
    assert.equal((await srv.get('/web/assets/index-abc123.js', { 'if-none-match': '"other"' })).status, 200);
    const head = await srv.get('/web/login', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), Buffer.byteLength(INDEX));
    assert.equal(head.body.length, 0);
  });

  it('gzips large text files for clients that accept it', async () => {
    const r = await srv.get('/web/assets/index-abc123.js', { 'accept-encoding': 'gzip, deflate' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.ok(r.body.length < Buffer.byteLength(BUNDLE));
    assert.equal(gunzipSync(r.body).toString('utf8'), BUNDLE);
    assert.equal((await srv.get('/web/assets/index-abc123.js')).headers['content-encoding'], undefined);
  });

  it('refuses traversal, dotfiles and backslashes', async () => {
    for (const p of ['/web/..%2foutside.txt', '/web/%2e%2e%2foutside.txt', '/web/.env', '/web/assets/..%5c..%5coutside.txt', '/web/a%00b']) {
      const r = await srv.get(p);
      assert.equal(r.status, 400, p);
      assert.doesNotMatch(r.text, /outside|SECRET/);
    }
    // Literal ".." segments never reach the handler as such: URL parsing folds them first.
    const r = await srv.get('/web/../outside.txt');
    assert.notEqual(r.status, 200);
    assert.equal(relativeUIPath('/web/../x'), undefined);
    assert.equal(relativeUIPath('/webfoo'), undefined);
    assert.equal(relativeUIPath('/web/a//b/'), 'a/b');
  });

  it('is what the web server routes invite and reset links to, after every API route', async () => {
    const saved = process.env[WEB_ASSETS_DIR_ENV];
    process.env[WEB_ASSETS_DIR_ENV] = dist;
    // Building the route table does not call auth; the API routes are only matched here.
    const router = buildRouter({ clusterName: 'example.com', logger: silentLogger } as unknown as WebContext);
    if (saved === undefined) delete process.env[WEB_ASSETS_DIR_ENV];
    else process.env[WEB_ASSETS_DIR_ENV] = saved;
    const full = await serve(router);
    try {
      for (const p of [`/web/invite/${'a'.repeat(32)}`, `/web/reset/${'b'.repeat(32)}`]) {
        const r = await full.get(p);
        assert.equal(r.status, 200, p);
        assert.equal(r.text, INDEX, p);
        assertUIHeaders(r);
      }
      assert.equal((await full.get('/')).headers.location, '/web');
      assert.ok(router.match('GET', '/v1/webapi/ping'), 'the API is still routed');
      assert.equal((await full.get('/web/invite.js')).status, 404, 'the old invite page script is gone');
    } finally {
      await full.close();
    }
  });

  it('picks up a rebuilt index.html without a restart', async () => {
    const before = await srv.get('/web');
    await writeFile(path.join(dist, 'index.html'), `${INDEX}<!-- v2 -->`);
    const r = await srv.get('/web', { 'if-none-match': String(before.headers.etag) });
    assert.equal(r.status, 200);
    assert.match(r.text, /v2/);
    await writeFile(path.join(dist, 'index.html'), INDEX);
  });
});

describe('static web UI without a build', () => {
  it('answers 503 telling how to build it', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tp-static-empty-'));
    const srv = await serve(path.join(root, 'dist'));
    try {
      for (const p of ['/web', '/web/login', '/web/assets/index-abc.js']) {
        const r = await srv.get(p);
        assert.equal(r.status, 503, p);
        assert.equal(r.text, NOT_BUILT_MESSAGE);
        assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
        assertUIHeaders(r);
      }
      assert.equal((await srv.get('/')).status, 302, 'the redirect does not need a build');
    } finally {
      await srv.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('locates packages/web/dist by default, or $TELEPORT_WEB_ASSETS_DIR', () => {
    assert.equal(defaultWebAssetsDir(), path.resolve(import.meta.dirname, '../../../../web/dist') + path.sep);
    const saved = process.env[WEB_ASSETS_DIR_ENV];
    try {
      process.env[WEB_ASSETS_DIR_ENV] = '/srv/teleport-ui';
      assert.equal(webAssetsDir(), '/srv/teleport-ui');
      assert.equal(webAssetsDir('/opt/ui'), '/opt/ui');
      delete process.env[WEB_ASSETS_DIR_ENV];
      assert.equal(webAssetsDir(), path.resolve(defaultWebAssetsDir()));
    } finally {
      if (saved === undefined) delete process.env[WEB_ASSETS_DIR_ENV];
      else process.env[WEB_ASSETS_DIR_ENV] = saved;
    }
  });
});
