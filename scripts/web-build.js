#!/usr/bin/env node
// Builds the web UI (packages/web -> packages/web/dist, served by the proxy under /web) when it is
// missing or older than its sources. Used by `npm start` (scripts/start-cluster.ts) and by the
// integration tests (scripts/run-tests.js), so a fresh checkout serves the UI without a manual step.
// Usage: node scripts/web-build.js [--force]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(repo, 'packages', 'web');
/** The file whose age stands for the build's (Vite rewrites it on every build). */
const builtIndex = path.join(webDir, 'dist', 'index.html');
/** What the build is made from. */
const sources = ['src', 'index.html', 'vite.config.ts', 'package.json', 'public'].map((p) => path.join(webDir, p));

/** Newest modification time (ms) of a file or of anything under a directory; 0 when absent. */
function newestMtime(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) {
    if (entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** Why the UI needs building ('' when dist/ is up to date). */
export function webBuildReason() {
  if (!existsSync(builtIndex)) return 'packages/web/dist is missing';
  const built = statSync(builtIndex).mtimeMs;
  const changed = Math.max(...sources.map(newestMtime));
  return changed > built ? 'packages/web/src changed since the last build' : '';
}

/**
 * Runs `npm run build:web` if the build is missing or stale (or always with `force`); resolves when
 * done, rejects when the build fails. `log` receives progress lines.
 */
export async function ensureWebBuild({ force = false, log = (line) => console.log(line) } = {}) {
  const reason = force ? 'a build was requested' : webBuildReason();
  if (!reason) {
    log('Web UI: packages/web/dist is up to date.');
    return;
  }
  log(`Web UI: building (${reason}): npm run build:web ...`);
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = await new Promise((resolve, reject) => {
    const child = spawn(npm, ['run', 'build:web', '--silent'], { cwd: repo, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (c, signal) => resolve(signal ? 1 : (c ?? 1)));
  });
  if (code !== 0) throw new Error(`the web UI build failed (npm run build:web exited with ${code}); see the output above`);
  log(`Web UI: built into packages/web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureWebBuild({ force: process.argv.includes('--force') }).catch((err) => {
    console.error(`ERROR: ${err.message}`);
    process.exit(1);
  });
}
