/**
 * @module utils/metrics.test
 * The registry and the teleport_-prefixed metric helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, createMetricsRegistry, gauge, histogram, metricName } from './metrics.ts';

test('metric names get the teleport_ prefix exactly once and are validated', () => {
  assert.equal(metricName('logins_total'), 'teleport_logins_total');
  assert.equal(metricName('teleport_logins_total'), 'teleport_logins_total');
  assert.throws(() => metricName('Bad-Name'), /invalid metric name/);
});

test('helpers register in the given registry and reuse existing metrics', async () => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const c1 = counter(registry, { name: 'logins_total', help: 'Logins.', labelNames: ['result'] });
  const c2 = counter(registry, { name: 'teleport_logins_total', help: 'Logins.', labelNames: ['result'] });
  assert.equal(c1, c2);
  c1.inc({ result: 'ok' });
  gauge(registry, { name: 'sessions', help: 'Active sessions.' }).set(2);
  histogram(registry, { name: 'login_seconds', help: 'Login latency.' }).observe(0.2);
  assert.throws(() => gauge(registry, { name: 'logins_total', help: 'x' }), /different type/);
  const text = await registry.metrics();
  assert.match(text, /^teleport_logins_total\{result="ok"\} 1$/m);
  assert.match(text, /^teleport_sessions 2$/m);
  assert.match(text, /^teleport_login_seconds_bucket\{le="0.25"\} 1$/m);
  assert.doesNotMatch(text, /process_cpu/);
});

test('the default registry carries prefixed process metrics', async () => {
  const text = await createMetricsRegistry().metrics();
  assert.match(text, /^teleport_process_resident_memory_bytes /m);
  assert.match(text, /^teleport_nodejs_eventloop_lag_seconds /m);
});
