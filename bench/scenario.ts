/**
 * @module bench/scenario
 * The contract every benchmark scenario follows, so `npm run bench` (bench/run.ts) can run them all
 * in one process and print one table. A scenario measures our path and, where one exists, a baseline
 * (OpenSSH sshd directly, PostgreSQL directly, ...) in the same run, on loopback, and reports each
 * figure with its ratio to the baseline. Benchmarks are not tests: they never assert targets; the
 * table says whether a target was met.
 */

/** One measured figure. */
export interface Figure {
  /** What was measured, e.g. "SSH session setup (exec true)". */
  name: string;
  /** Unit of `ours` and `baseline`, e.g. "sessions/s", "MB/s", "ms p50", "MiB". */
  unit: string;
  /** Our value. */
  ours: number;
  /** The baseline's value in the same run, when there is one. */
  baseline?: number;
  /** What the baseline is, e.g. "OpenSSH sshd direct". */
  baselineName?: string;
  /** true when bigger is better (throughput), false for latency/memory. */
  higherIsBetter: boolean;
  /** The target as a ratio to the baseline (e.g. 0.5 for ">= 0.5x") or an absolute bound, if any. */
  target?: { ratio?: number; absolute?: number; description: string };
  /** Free-form details (percentiles, counts, errors) kept in the JSON output. */
  details?: Record<string, unknown>;
}

/** What the runner gives each scenario. */
export interface BenchContext {
  /** "smoke" runs for a few seconds in CI; "full" is the real measurement. */
  mode: 'smoke' | 'full';
  /** A scratch directory removed after the run. */
  workDir: string;
  /** Progress lines for the person watching (stderr). */
  log(message: string): void;
}

/** A benchmark scenario. */
export interface Scenario {
  /** Short id used on the command line (`npm run bench -- ssh`). */
  id: string;
  /** One-line description. */
  title: string;
  /** Why it cannot run here, or undefined (e.g. "needs root", "pgbench not found"). */
  unavailable?(): string | undefined;
  run(ctx: BenchContext): Promise<Figure[]>;
}
