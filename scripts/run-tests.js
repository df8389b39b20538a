#!/usr/bin/env node
// Finds test files and runs them with node's test runner (Node 20's --test does not expand globs).
// Usage: node scripts/run-tests.js <unit|integration|all> [--concurrency N] [extra files or dirs...]
import { readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureWebBuild } from './web-build.js';

const args = process.argv.slice(2);
const suite = args[0] ?? 'all';
const ci = args.indexOf('--concurrency');
const concurrency = ci >= 0 ? args[ci + 1] : '2';
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
// The browser tests (integration/webUI.test.ts) drive the built UI: build it first when it is missing
// or stale. TELEPORT_SKIP_WEB_BUILD=1 skips this (those tests then skip themselves without a build).
if (files.some((f) => path.resolve(f).startsWith(path.resolve('integration') + path.sep)) && !process.env.TELEPORT_SKIP_WEB_BUILD) {
  try {
    await ensureWebBuild();
  } catch (err) {
    console.error(`ERROR: ${err.message}. Fix the build, or set TELEPORT_SKIP_WEB_BUILD=1 to run the tests without the web UI.`);
    process.exit(1);
  }
}

// A test file that leaks a handle (a socket, a child process) never exits, and Node 20's runner
// waits for it forever; a watchdog turns that into a clear failure instead of a hung CI job.
const limitMinutes = Number(process.env.TEST_TIMEOUT_MINUTES ?? 15);
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], {
  stdio: 'inherit',
  detached: true,
});
const watchdog = setTimeout(() => {
  console.error(`\nERROR: the ${suite} tests did not finish within ${limitMinutes} minutes; a test file is probably leaking a handle. Stopping them.`);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}, limitMinutes * 60_000);
watchdog.unref();
child.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  process.exit(signal ? 1 : (code ?? 1));
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
    process.exit(1);
  });
}
