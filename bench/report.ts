/**
 * @module bench/report
 * Turns scenario figures into what people and machines read: latency percentiles, the ratio of each
 * figure to its baseline, whether its target was met, the markdown table `npm run bench` prints, and
 * the JSON record written to bench/results/<date>-<mode>.json (merged per scenario, so running one
 * scenario again replaces only its entry in that day's record).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineFacts } from './machine.ts';
import type { Figure } from './scenario.ts';

/** Latency summary in milliseconds. */
export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of latencies in ms (all zero for an empty list). */
export function latencyStats(ms: readonly number[]): LatencyStats {
  if (ms.length === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    count: sorted.length,
    mean: round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1] ?? 0),
  };
}

/**
 * Relative performance against the baseline, so that 1.0 means "as good as the baseline" and more is
 * better whatever the unit: ours/baseline for throughput, baseline/ours for latency and memory.
 */
export function ratioOf(f: Figure): number | undefined {
  if (f.baseline === undefined || !Number.isFinite(f.baseline) || !Number.isFinite(f.ours)) return undefined;
  const [num, den] = f.higherIsBetter ? [f.ours, f.baseline] : [f.baseline, f.ours];
  return den > 0 ? num / den : undefined;
}

/** Whether the figure meets its target (every bound it states), or undefined when it has none. */
export function targetMet(f: Figure): boolean | undefined {
  if (!f.target || (f.target.ratio === undefined && f.target.absolute === undefined)) return undefined;
  let met = true;
  if (f.target.ratio !== undefined) {
    const r = ratioOf(f);
    met &&= r !== undefined && r >= f.target.ratio;
  }
  if (f.target.absolute !== undefined) met &&= f.higherIsBetter ? f.ours >= f.target.absolute : f.ours <= f.target.absolute;
  return met;
}

/** How a scenario ended. */
export interface ScenarioResult {
  id: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped, or the error it failed with. */
  note?: string;
  seconds: number;
  figures: Figure[];
}

/** A figure as recorded in JSON: with its computed ratio and verdict. */
export type RecordedFigure = Figure & { ratio?: number; met?: boolean };

/** The JSON record of a run. */
export interface RunRecord {
  /** YYYY-MM-DD of the run. */
  date: string;
  mode: 'smoke' | 'full';
  /** ISO time the record was last written. */
  updatedAt: string;
  machine: MachineFacts;
  scenarios: (Omit<ScenarioResult, 'figures'> & { finishedAt: string; figures: RecordedFigure[] })[];
}

/** A number for the table: thousands separators for big values, 2-3 significant decimals for small ones. */
export function formatNumber(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The markdown table: Scenario | Figure | Ours | Baseline | Ratio | Target | Met? (skips and failures as rows too). */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = ['| Scenario | Figure | Ours | Baseline | Ratio | Target | Met? |', '|---|---|---:|---:|---:|---|:---:|'];
  for (const r of results) {
    if (r.status !== 'ok' && r.figures.length === 0) {
      rows.push(`| ${cell(r.id)} | ${r.status}: ${cell(r.note ?? '')} | | | | | |`);
      continue;
    }
    for (const f of r.figures) {
      const ratio = ratioOf(f);
      const met = targetMet(f);
      const baseline = f.baseline === undefined ? '—' : `${formatNumber(f.baseline)} ${f.unit}${f.baselineName ? ` (${f.baselineName})` : ''}`;
      rows.push([
        '', cell(r.id), cell(f.name), `${formatNumber(f.ours)} ${cell(f.unit)}`, cell(baseline),
        ratio === undefined ? '—' : `${ratio.toFixed(2)}x`, cell(f.target?.description ?? '—'),
        met === undefined ? '—' : met ? 'yes' : '**no**', '',
      ].join(' | ').trim());
    }
    if (r.status === 'failed') rows.push(`| ${cell(r.id)} | failed after partial results: ${cell(r.note ?? '')} | | | | | |`);
  }
  return rows.join('\n');
}

/** YYYY-MM-DD in local time. */
export function dateStamp(d = new Date()): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * Writes (or merges into) `<dir>/<date>-<mode>.json`: scenarios from this run replace entries with the
 * same id, others already recorded that day are kept. Returns the path.
 */
export async function writeRecord(dir: string, mode: 'smoke' | 'full', machine: MachineFacts, results: readonly ScenarioResult[], now = new Date()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const date = dateStamp(now);
  const path = join(dir, `${date}-${mode}.json`);
  let previous: RunRecord['scenarios'] = [];
  if (existsSync(path)) {
    try {
      previous = (JSON.parse(await readFile(path, 'utf8')) as RunRecord).scenarios ?? [];
    } catch {
      previous = []; // an unreadable record is replaced
    }
  }
  const fresh: RunRecord['scenarios'] = results.map((r) => ({
    ...r, finishedAt: now.toISOString(),
    figures: r.figures.map((f) => {
      const ratio = ratioOf(f);
      const met = targetMet(f);
      return { ...f, ...(ratio !== undefined && { ratio: Math.round(ratio * 1000) / 1000 }), ...(met !== undefined && { met }) };
    }),
  }));
  const ids = new Set(fresh.map((s) => s.id));
  const record: RunRecord = { date, mode, updatedAt: now.toISOString(), machine, scenarios: [...previous.filter((s) => !ids.has(s.id)), ...fresh] };
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
