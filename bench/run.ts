/**
 * @module bench/run
 * `npm run bench [-- [--smoke] [--results-dir DIR] [scenario ids...]]`: loads every scenario module
 * (bench/ssh.ts, bench/certs.ts, bench/db.ts, bench/scale.ts), runs each scenario
 * (or the named ones; a name also selects ids starting with "<name>-") one after another with its own
 * scratch directory, prints progress to stderr and then one markdown table to stdout, and writes the
 * figures with the machine's facts to bench/results/<date>-<mode>.json. Benchmarks are not tests: a
 * missed target is reported in the table and the exit status stays 0; only bad arguments fail.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hasHeapFlags, V8_HEAP_FLAGS } from '../packages/teleport/bin/launch.js';
import { describeMachine, machineFacts } from './machine.ts';
import { formatTable, writeRecord, type ScenarioResult } from './report.ts';
import type { BenchContext, Scenario } from './scenario.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** Scenario modules, in table order. */
export const SCENARIO_MODULES = ['ssh.ts', 'certs.ts', 'db.ts', 'scale.ts'];

/** Options of {@link runBench}. */
export interface BenchOptions {
  mode: 'smoke' | 'full';
  /** Scenario ids (or id prefixes) to run; empty = all. */
  only: string[];
  /** Where the JSON record goes (default bench/results). */
  resultsDir: string;
  /** Progress lines (default: stderr). */
  log(line: string): void;
}

/** What a run produced. */
export interface BenchOutcome {
  results: ScenarioResult[];
  /** Header line, table and notes, as printed. */
  report: string;
  jsonPath: string;
}

function isScenario(v: unknown): v is Scenario {
  const s = v as Partial<Scenario> | null;
  return typeof s === 'object' && s !== null && typeof s.id === 'string' && typeof s.title === 'string' && typeof s.run === 'function';
}

/** Every Scenario a module exports (directly or in an exported array), and notes about modules that could not be loaded. */
export async function loadScenarios(modules = SCENARIO_MODULES): Promise<{ scenarios: Scenario[]; notes: string[] }> {
  const scenarios: Scenario[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  for (const file of modules) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as Record<string, unknown>;
    } catch (err) {
      notes.push(`bench/${file} could not be loaded: ${(err as Error).message}`);
      continue;
    }
    for (const value of Object.values(mod)) {
      for (const s of Array.isArray(value) ? value : [value]) {
        if (isScenario(s) && !seen.has(s.id)) {
          seen.add(s.id);
          scenarios.push(s);
        }
      }
    }
  }
  return { scenarios, notes };
}

/** Whether scenario id `id` is selected by `names` (exact, or "<name>-..." / "<name>:..."). */
export function selects(names: readonly string[], id: string): boolean {
  return names.length === 0 || names.some((n) => id === n || id.startsWith(`${n}-`) || id.startsWith(`${n}:`));
}

/** Runs one scenario in its own scratch directory; never throws. */
async function runScenario(s: Scenario, mode: BenchContext['mode'], log: (line: string) => void): Promise<ScenarioResult> {
  const started = performance.now();
  const seconds = (): number => Math.round((performance.now() - started) / 100) / 10;
  const why = s.unavailable?.();
  if (why) {
    log(`[${s.id}] skipped: ${why}`);
    return { id: s.id, title: s.title, status: 'skipped', note: why, seconds: 0, figures: [] };
  }
  const workDir = await mkdtemp(join(tmpdir(), `tp-bench-${s.id.replace(/[^a-z0-9-]/gi, '_')}-`));
  log(`[${s.id}] ${s.title} (${mode})`);
  try {
    const figures = await s.run({ mode, workDir, log: (m) => log(`[${s.id}] ${m}`) });
    log(`[${s.id}] done in ${seconds()} s`);
    return { id: s.id, title: s.title, status: 'ok', seconds: seconds(), figures };
  } catch (err) {
    const note = (err as Error).message?.split('\n').slice(0, 6).join(' ') ?? String(err);
    log(`[${s.id}] FAILED after ${seconds()} s: ${(err as Error).stack ?? note}`);
    return { id: s.id, title: s.title, status: 'failed', note, seconds: seconds(), figures: [] };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Runs the selected scenarios and writes the record; throws only on unknown scenario names. */
export async function runBench(opts: BenchOptions): Promise<BenchOutcome> {
  const { scenarios, notes } = await loadScenarios();
  const unknown = opts.only.filter((n) => !scenarios.some((s) => selects([n], s.id)));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.map((n) => JSON.stringify(n)).join(', ')}; known: ${scenarios.map((s) => s.id).join(', ')}`);
  }
  for (const n of notes) opts.log(`note: ${n}`);
  const machine = machineFacts();
  opts.log(`machine: ${describeMachine(machine)}`);
  if (!hasHeapFlags()) {
    opts.log(`warning: node was started without ${V8_HEAP_FLAGS.join(' ')} (which the daemon's launcher passes): ` +
      'SSH bulk figures may halve when V8 enters its frequent-full-GC mode; run through `npm run bench`');
  }
  const results: ScenarioResult[] = [];
  for (const s of scenarios.filter((sc) => selects(opts.only, sc.id))) results.push(await runScenario(s, opts.mode, opts.log));
  const jsonPath = await writeRecord(opts.resultsDir, opts.mode, machine, results);
  const report = [
    `Benchmarks (${opts.mode}) on ${describeMachine(machine)}`, '',
    formatTable(results), '',
    'Ratio: ours/baseline for throughput, baseline/ours for latency and memory (1.00x = as good as the baseline).',
    ...notes.map((n) => `Note: ${n}.`),
    `Results: ${jsonPath}`, '',
  ].join('\n');
  return { results, report, jsonPath };
}

/** Parses `[--smoke|--full] [--results-dir DIR] [ids...]`. */
export function parseArgs(argv: readonly string[]): Omit<BenchOptions, 'log'> {
  const opts: Omit<BenchOptions, 'log'> = { mode: 'full', only: [], resultsDir: join(BENCH_DIR, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--smoke') opts.mode = 'smoke';
    else if (a === '--full') opts.mode = 'full';
    else if (a === '--results-dir') {
      const dir = argv[++i];
      if (!dir) throw new Error('--results-dir needs a directory');
      opts.resultsDir = dir;
    } else if (a.startsWith('-')) throw new Error(`unknown flag ${a}; usage: npm run bench -- [--smoke] [--results-dir DIR] [scenario ids...]`);
    else opts.only.push(a);
  }
  return opts;
}

async function main(): Promise<number> {
  let parsed: Omit<BenchOptions, 'log'>;
  try {
    parsed = parseArgs(process.argv.slice(2));
    const out = await runBench({ ...parsed, log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(out.report);
    return 0;
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Exit explicitly: clusters leave idle sockets and timers behind that would keep the process alive.
  process.exit(await main());
}
