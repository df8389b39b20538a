/**
 * @module tool/tsh/benchRun
 * What the `tsh bench` subcommands share once they know how to make one request: the common flags,
 * running the load, printing the report and writing the `--export` file.
 */
import { exportHistogram, formatBenchResult } from '../../client/bench/report.ts';
import { runBenchmark, type BenchResult } from '../../client/bench/runner.ts';
import type { ClusterFlags } from './cluster.ts';
import type { TshContext } from './context.ts';

/** Flags every `tsh bench` subcommand takes. */
export interface BenchFlags extends ClusterFlags {
  rate: number;
  duration: number;
  concurrency: number;
  export?: boolean;
  path: string;
  ticks: number;
}

/** Runs the load with `request`, prints the report and, with --export, writes the histogram and prints its path. */
export async function runAndReport(ctx: TshContext, flags: BenchFlags, request: () => Promise<unknown>): Promise<BenchResult> {
  const result = await runBenchmark({
    rate: flags.rate, durationMs: flags.duration, concurrency: flags.concurrency, request,
    ...(ctx.signal && { signal: ctx.signal }),
  });
  ctx.io.stdout.write(formatBenchResult(result));
  if (flags.export) {
    const path = await exportHistogram(result, flags.path, ctx.now(), flags.ticks);
    ctx.io.stdout.write(`\nLatency profile exported to ${path}\n`);
  }
  return result;
}

/**
 * True when nothing succeeded (tsh then exits 1): some failures under load are a result to report,
 * as upstream does, but a run where every request failed measured nothing.
 */
export function allFailed(r: BenchResult): boolean {
  return r.requests > 0 && r.failures === r.requests;
}
