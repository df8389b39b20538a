/**
 * @module service/diag.test
 * The diagnostics endpoints over real HTTP on port 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../utils/logger.ts';
import { counter, createMetricsRegistry } from '../utils/metrics.ts';
import { startDiagServer } from './diag.ts';
import { Supervisor, type ServiceContext } from './supervisor.ts';

async function setup() {
  const supervisor = new Supervisor();
  let nodeCtx: ServiceContext | undefined;
  supervisor.register('auth', async () => ({ close: async () => undefined }));
  supervisor.register('node', async (ctx) => {
    nodeCtx = ctx;
    return { close: async () => undefined };
  }, { readiness: 'explicit' });
  const registry = createMetricsRegistry();
  const diag = await startDiagServer({ addr: '127.0.0.1:0', supervisor, registry, logger: silentLogger });
  const base = `http://127.0.0.1:${diag.address.port}`;
  return { supervisor, registry, diag, base, nodeCtx: () => nodeCtx };
}

test('/healthz is always ok', async (t) => {
  const { diag, base } = await setup();
  t.after(() => diag.close());
  assert.notEqual(diag.address.port, 0);
  const res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('/readyz follows the supervisor', async (t) => {
  const { supervisor, diag, base, nodeCtx } = await setup();
  t.after(() => diag.close());
  let res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), {
    status: 'not ready',
    services: [{ service: 'auth', reason: 'starting' }, { service: 'node', reason: 'starting' }],
  });
  await supervisor.start();
  res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 503);
  assert.deepEqual(((await res.json()) as { services: unknown[] }).services, [{ service: 'node', reason: 'waiting for the service to report ready' }]);
  nodeCtx()?.ready();
  res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
  await supervisor.shutdown();
  res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 503);
});

test('/metrics serves teleport_ process metrics and custom metrics', async (t) => {
  const { registry, diag, base } = await setup();
  t.after(() => diag.close());
  counter(registry, { name: 'diag_test_total', help: 'A test counter.', labelNames: ['kind'] }).inc({ kind: 'x' }, 3);
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  assert.match(text, /^teleport_process_cpu_user_seconds_total /m);
  assert.match(text, /^teleport_diag_test_total\{kind="x"\} 3$/m);
});

test('unknown paths are 404 and other methods 405', async (t) => {
  const { diag, base } = await setup();
  t.after(() => diag.close());
  const missing = await fetch(`${base}/debug/pprof`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: string }).error, /use \/healthz, \/readyz or \/metrics/);
  const post = await fetch(`${base}/healthz`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('a busy port is an error and close() stops listening', async () => {
  const { registry, diag, supervisor } = await setup();
  await assert.rejects(
    startDiagServer({ addr: `127.0.0.1:${diag.address.port}`, supervisor, registry, logger: silentLogger }),
    /EADDRINUSE/,
  );
  await diag.close();
  await assert.rejects(fetch(`http://127.0.0.1:${diag.address.port}/healthz`));
});
