/**
 * @module bench/throughput
 * Closed-loop throughput: N concurrent loops each calling an operation back to back for a fixed time,
 * reporting completions per second and the latency distribution. Shared by the certificate scenario
 * and its separate load-generator process (bench/certsClient.ts).
 */
import { latencyStats, type LatencyStats } from './report.ts';

/** What {@link measureThroughput} measured. */
export interface Throughput {
  perSecond: number;
  completed: number;
  failed: number;
  seconds: number;
  latency: LatencyStats;
  firstError?: string;
}

/**
 * Calls `op` from `concurrency` loops until `durationMs` passed (after `warmup` calls each; `onStart`
 * runs between the two); measures completions/s.
 */
export async function measureThroughput(
  op: (i: number) => Promise<unknown>,
  o: { concurrency: number; durationMs: number; warmup: number; onStart?: () => void },
): Promise<Throughput> {
  let n = 0;
  for (let w = 0; w < o.warmup; w++) await Promise.all(Array.from({ length: o.concurrency }, () => op(n++)));
  o.onStart?.();
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + o.durationMs;
  await Promise.all(Array.from({ length: o.concurrency }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await op(n++);
        latencies.push(performance.now() - t0);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  return {
    perSecond: Math.round((latencies.length / seconds) * 10) / 10, completed: latencies.length, failed,
    seconds: Math.round(seconds * 100) / 100, latency: latencyStats(latencies), ...(firstError && { firstError }),
  };
}
