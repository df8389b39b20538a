/**
 * @module client/bench/report
 * What `tsh bench` prints (upstream's layout: requests, failures, then the latency percentiles
 * table) and the `--export` file: HdrHistogram's percentile distribution in milliseconds, named
 * after the time of the run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BenchResult } from './runner.ts';

/** The percentiles of the printed table. */
export const REPORTED_PERCENTILES = [25, 50, 75, 90, 95, 99, 100] as const;

/** Milliseconds with enough digits for sub-millisecond latencies ("0.412 ms", "12.3 ms", "171 ms"). */
export function formatMs(us: number): string {
  const ms = us / 1000;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** The report of a run (see the module comment). */
export function formatBenchResult(r: BenchResult): string {
  const lines = [`* Requests originated: ${r.requests}`, `* Requests failed: ${r.failures}`];
  for (const e of r.errors) lines.push(`* Error: ${e}`);
  const header = ['Percentile', 'Response Duration'];
  const rows = REPORTED_PERCENTILES.map((p) => [String(p), formatMs(r.histogram.percentile(p))]);
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(width[i] as number)).join(' ').trimEnd();
  lines.push('', 'Histogram', '', line(header), line(width.map((w) => '-'.repeat(w))), ...rows.map(line));
  return `${lines.join('\n')}\n`;
}

/** The export file name for a run at `at` ("latency_profile_2026-01-01_12-00-00.txt", local time). */
export function exportFileName(at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `latency_profile_${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}_${p(at.getHours())}-${p(at.getMinutes())}-${p(at.getSeconds())}.txt`;
}

/** Writes the histogram's percentile distribution under `dir`; returns the absolute path. */
export async function exportHistogram(r: BenchResult, dir: string, at: Date, ticksPerHalfDistance?: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = resolve(join(dir, exportFileName(at)));
  await writeFile(path, r.histogram.exportPercentiles({ ...(ticksPerHalfDistance !== undefined && { ticksPerHalfDistance }) }));
  return path;
}
