#!/usr/bin/env node
// Finds test files and runs each in its own `node --test` child, a few at a time.
// Usage: node scripts/run-tests.js <unit|integration|all> [--concurrency N] [extra files or dirs...]
//
// Why one child per file instead of one `node --test a b c ...`: a test file that leaks a handle (a
// socket, a child process), or a child that wedges while tsx's loader thread starts (seen rarely on
// Node 20: the process sits in a futex wait before any test runs), would otherwise hold the whole run
// until a global watchdog fails it. Here each file gets its own time limit; a file that times out is
// run once more and reported as such, so a rare wedge costs minutes, not the CI run. A test that
// *fails* is never retried: flaky failures must stay visible.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ensureCliBuild } from './build-cli.js';
import { ensureWebBuild } from './web-build.js';
import { runTestFile, parseCounts, stopAllTestFiles } from './test-file-runner.js';

const args = process.argv.slice(2);
const suite = args[0] ?? 'all';
const ci = args.indexOf('--concurrency');
const concurrency = Math.max(1, Number(ci >= 0 ? args[ci + 1] : 2) || 2);
const extra = args.slice(1).filter((a, i, all) => a !== '--concurrency' && all[i - 1] !== '--concurrency');

/** Lists *.test.ts files under dir, skipping node_modules. */
function findTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(full));
    else if (entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const roots = extra.length ? extra
  : suite === 'unit' ? ['packages/api/src', 'packages/teleport/src', 'packages/web/src']
  : suite === 'integration' ? ['integration']
  : ['packages/api/src', 'packages/teleport/src', 'packages/web/src', 'integration'];
const files = roots.flatMap((r) => (statSync(r).isDirectory() ? findTests(r) : [r])).sort();
if (files.length === 0) {
  console.error(`no test files found under ${roots.join(', ')}`);
  process.exit(1);
}
const isIntegration = (f) => path.resolve(f).startsWith(path.resolve('integration') + path.sep);
// What the integration tests need built first, when missing or stale: the browser tests
// (integration/webUI.test.ts) drive the built UI, and the bins run the way users run them, from the CLI
// bundles. The variable skips a build (webUI tests then skip themselves; the bins load the sources).
const BUILDS = [
  { build: ensureWebBuild, skipVar: 'TELEPORT_SKIP_WEB_BUILD', without: 'to run the tests without the web UI' },
  { build: ensureCliBuild, skipVar: 'TELEPORT_SKIP_CLI_BUILD', without: '(the bins then load the sources through tsx)' },
];
for (const { build, skipVar, without } of files.some(isIntegration) ? BUILDS : []) {
  if (process.env[skipVar]) continue;
  try {
    await build();
  } catch (err) {
    console.error(`ERROR: ${err.message}. Fix the build, or set ${skipVar}=1 ${without}.`);
    process.exit(1);
  }
}

// Per-file limits: generous next to the slowest file (about 1 minute), tight next to a 90-minute CI job.
const fileLimitMs = (f) => Number(process.env.TEST_FILE_TIMEOUT_MINUTES ?? (isIntegration(f) ? 6 : 3)) * 60_000;

const started = Date.now();
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0 };
const failedFiles = [];
const retriedFiles = [];

/** Runs one file (and once more if it timed out), prints its outcome, and adds up its counts. */
async function runOne(file) {
  let result = await runTestFile(file, fileLimitMs(file));
  if (result.timedOut) {
    console.log(`↻ ${file}: ${result.hint}; running it once more`);
    retriedFiles.push(file);
    result = await runTestFile(file, fileLimitMs(file));
  }
  const counts = parseCounts(result.output);
  for (const k of Object.keys(totals)) totals[k] += counts[k];
  const secs = (result.durationMs / 1000).toFixed(1);
  const ok = result.code === 0 && !result.timedOut;
  if (ok) {
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
    console.log(`✔ ${file} (${counts.pass} passed${skipped}, ${secs} s)`);
  } else {
    failedFiles.push(file);
    const why = result.timedOut ? `stopped: ${result.hint}` : `exit code ${result.code ?? result.signal}`;
    console.log(`✖ ${file} ${why}, ${secs} s; its output:\n${indent(result.output)}`);
  }
}

function indent(text) {
  return text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopAllTestFiles(sig);
    process.exit(1);
  });
}

const queue = [...files];
console.log(`Running ${files.length} ${suite} test files, ${concurrency} at a time`);
await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, async () => {
  for (let f = queue.shift(); f; f = queue.shift()) await runOne(f);
}));

const mins = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`\n${suite}: ${files.length} files, ${totals.tests} tests: ${totals.pass} passed, ${totals.fail} failed, ` +
  `${totals.skipped} skipped, ${totals.todo} todo (${mins} min)`);
if (retriedFiles.length) console.log(`Retried after a timeout: ${retriedFiles.join(', ')}`);
if (failedFiles.length) {
  console.log(`FAILED: ${failedFiles.join(', ')}`);
  process.exit(1);
}
