/**
 * @module utils/metrics
 * Prometheus metrics (prom-client). Each process owns one registry, created here with the default
 * process metrics (CPU, memory, event loop, GC) prefixed `teleport_`, and served by the diagnostics
 * endpoint. Services create their counters and histograms through the helpers below, which enforce the
 * `teleport_` prefix and return the existing metric when one with the same name is already registered
 * (so a service restarted in-process, as tests do, does not crash on re-registration).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BadParameterError } from '@teleport-ts/api/errors';

export type { Registry };

/** Prefix of every metric this project exports. */
export const METRIC_PREFIX = 'teleport_';

/** Options common to every metric helper. */
export interface MetricOptions<L extends string> {
  /** Name with or without the `teleport_` prefix ("login_attempts_total"). */
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** Creates a registry with the default process metrics, prefixed `teleport_`. */
export function createMetricsRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/** Returns `name` with the `teleport_` prefix, checking it is a valid Prometheus name. */
export function metricName(name: string): string {
  const full = name.startsWith(METRIC_PREFIX) ? name : METRIC_PREFIX + name;
  if (!/^[a-z_][a-z0-9_]*$/.test(full)) {
    throw new BadParameterError(`invalid metric name "${name}": use lower-case letters, digits and underscores`);
  }
  return full;
}

function existing<T>(registry: Registry, name: string, type: new (...args: never[]) => T): T | undefined {
  const found = registry.getSingleMetric(name);
  if (found === undefined) return undefined;
  if (!(found instanceof type)) throw new BadParameterError(`metric ${name} is already registered with a different type`);
  return found;
}

/** A `teleport_*` counter registered in `registry`. */
export function counter<L extends string = string>(registry: Registry, opts: MetricOptions<L>): Counter<L> {
  const name = metricName(opts.name);
  return existing<Counter<L>>(registry, name, Counter)
    ?? new Counter<L>({ name, help: opts.help, labelNames: opts.labelNames ?? [], registers: [registry] });
}

/** A `teleport_*` gauge registered in `registry`. */
export function gauge<L extends string = string>(registry: Registry, opts: MetricOptions<L>): Gauge<L> {
  const name = metricName(opts.name);
  return existing<Gauge<L>>(registry, name, Gauge)
    ?? new Gauge<L>({ name, help: opts.help, labelNames: opts.labelNames ?? [], registers: [registry] });
}

/** A `teleport_*` histogram registered in `registry`; `buckets` default to latency buckets in seconds. */
export function histogram<L extends string = string>(
  registry: Registry,
  opts: MetricOptions<L> & { buckets?: number[] },
): Histogram<L> {
  const name = metricName(opts.name);
  return existing<Histogram<L>>(registry, name, Histogram) ?? new Histogram<L>({
    name,
    help: opts.help,
    labelNames: opts.labelNames ?? [],
    buckets: opts.buckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
}
