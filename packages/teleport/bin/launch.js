// Loads a CLI's code for bin/tsh.js, bin/tctl.js and bin/teleport.js: the prebuilt bundle from
// packages/teleport/dist (scripts/build-cli.js) when it is present and newer than every source file
// it was built from, else the TypeScript sources through tsx. The bundle starts in a fraction of the
// time (no loader thread, no per-file transpiling and package resolution), which matters for
// `tsh proxy ssh`: OpenSSH starts one per connection through `tsh config`'s ProxyCommand. The
// fallback means an edited checkout never runs stale code, only slower.
//
// TELEPORT_CLI_BUNDLE=0 forces the TypeScript sources (for debugging the loader or the bundle).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** packages/teleport. */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * V8 flags every process that carries bulk traffic starts with: bin/teleport.js and bin/tsh.js
 * (their `#!/usr/bin/env -S node ...` lines), `npm start`, `npm run bench` and the test helpers that
 * spawn the CLIs. Node reads them only on its command line (not from NODE_OPTIONS, not at run time).
 *
 * `--initial-old-space-size=128` lets V8 skip full garbage collections while the old generation is
 * under 128 MiB. V8 counts ArrayBuffer memory allocated since the last full collection against the
 * old generation's limit, and every SSH packet, socket read and relayed chunk is an ArrayBuffer: a
 * bulk transfer allocates ~32 MiB of them between two young collections. When a full collection
 * happens while little is being promoted (after an idle spell), V8 sets the limit only ~24 MiB above
 * the heap and starts marking 16 MiB before it, so from then on almost every young collection tips
 * it over: a full collection every ~12 MiB moved, halving SSH throughput (docs/benchmarks.md, "The
 * GC mode"). The floor keeps that headroom at 80+ MiB for a small heap; bigger heaps get V8's usual
 * growth.
 */
export const V8_HEAP_FLAGS = ['--initial-old-space-size=128'];

/** Whether this process was started with {@link V8_HEAP_FLAGS} (`execArgv`: node's own flags). */
export function hasHeapFlags(execArgv = process.execArgv) {
  return V8_HEAP_FLAGS.every((flag) => execArgv.includes(flag));
}

/**
 * Whether the bundle of CLI `name` may be used: `{ file }` (its absolute path) when the manifest
 * (`<distDir>/cli.json`, written by scripts/build-cli.js) names it, it exists, and no file it was
 * built from (listed relative to `packageDir`) changed or vanished since the build started;
 * `{ reason }` otherwise.
 */
export function bundleStatus(name, { packageDir = PACKAGE_DIR, distDir = path.join(packageDir, 'dist') } = {}) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(distDir, 'cli.json'), 'utf8'));
  } catch {
    return { reason: 'no bundle manifest (dist/cli.json)' };
  }
  const entry = manifest?.version === 1 ? manifest.entries?.[name] : undefined;
  if (!entry || typeof manifest.builtAt !== 'number' || !Array.isArray(entry.inputs)) return { reason: `no ${name} bundle in the manifest` };
  const file = path.join(distDir, entry.file);
  if (!statSync(file, { throwIfNoEntry: false })) return { reason: `the ${name} bundle is missing` };
  for (const input of entry.inputs) {
    const st = statSync(path.join(packageDir, input), { throwIfNoEntry: false });
    if (!st) return { reason: `${input} is gone` };
    if (st.mtimeMs > manifest.builtAt) return { reason: `${input} changed since the last build` };
  }
  return { file };
}

/**
 * Imports CLI `name`: its fresh bundle, else `source` (relative to packages/teleport) through tsx.
 * Stack traces from the bundle point at the TypeScript sources when `sourceMaps` is set (it costs
 * start time, so tsh and tctl ask for it only with --debug).
 */
export async function loadCLI(name, source, { sourceMaps = false } = {}) {
  const bundle = process.env.TELEPORT_CLI_BUNDLE === '0' ? undefined : bundleStatus(name).file;
  if (bundle) {
    if (sourceMaps) process.setSourceMapsEnabled(true);
    return import(pathToFileURL(bundle).href);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(path.join(PACKAGE_DIR, source)).href);
}

/** Whether the command line asks for stack traces (`-d`/`--debug`, as tsh and tctl spell it). */
export function wantsDebug(argv = process.argv.slice(2)) {
  return argv.includes('-d') || argv.includes('--debug');
}
