#!/usr/bin/env node
// Finds test files and runs them with node's test runner (Node 20's --test does not expand globs).
// Usage: node scripts/run-tests.js <unit|integration|all> [--concurrency N] [extra files or dirs...]
import { readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';

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
  : suite === 'unit' ? ['packages/api/src', 'packages/teleport/src']
  : suite === 'integration' ? ['integration']
  : ['packages/api/src', 'packages/teleport/src', 'integration'];
const files = roots.flatMap((r) => (statSync(r).isDirectory() ? findTests(r) : [r])).sort();
if (files.length === 0) {
  console.error(`no test files found under ${roots.join(', ')}`);
  process.exit(1);
}
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
