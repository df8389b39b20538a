#!/usr/bin/env node
// Bundles the three CLIs (tsh, tctl, teleport) into plain JavaScript under packages/teleport/dist, so
// they start as a plain `node` process instead of loading every TypeScript source through tsx's
// loader (tsh start: ~0.65 s with tsx, which every OpenSSH ProxyCommand connection pays).
//
// Built when missing or older than its sources (as scripts/web-build.js does for the UI). The bin
// scripts (packages/teleport/bin/*.js, see bin/launch.js) use a bundle only while it is newer than
// every file it was built from, and fall back to tsx otherwise, so nobody runs stale code.
//
// Layout (dist/ is ignored by git):
//   dist/cli.json               the manifest: build start time, each CLI's entry file and the files it
//                               was built from (written last and atomically: it switches builds)
//   dist/<name>-<hash>.mjs      entry points; chunk-<hash>.mjs: code shared between them or loaded
//                               lazily (import()); *.map: source maps
// Outputs are content-hashed and never overwritten, so a running process keeps loading its own
// build's chunks while a new build lands; outputs no manifest refers to are removed after an hour.
//
// Our sources and pure-JS dependencies are bundled; native addons, pino and the patched ssh2 stay
// in node_modules (see EXTERNAL_PACKAGES).
// Usage: node scripts/build-cli.js [--force] [--quiet] [--metafile <file>]
//   --metafile writes esbuild's metafile (what each output contains and imports), for size analysis.
import { readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleStatus, PACKAGE_DIR } from '../packages/teleport/bin/launch.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DIST = path.join(PACKAGE_DIR, 'dist');
/** The CLIs: bundle name -> entry source (each exports its run function), relative to packages/teleport. */
export const CLI_ENTRIES = {
  tsh: 'src/tool/tsh/main.ts',
  tctl: 'src/tool/tctl/main.ts',
  teleport: 'src/tool/teleport/main.ts',
};
/** Files whose change invalidates every bundle besides the sources esbuild lists as inputs. */
const EXTRA_INPUTS = [
  fileURLToPath(import.meta.url),
  // npm rewrites it whenever it changes node_modules: bundled dependencies must be rebuilt then.
  path.join(repo, 'node_modules', '.package-lock.json'),
];
/**
 * Packages loaded from node_modules at run time rather than bundled: native addons (ssh2's optional
 * crypto binding and cpu-features, better-sqlite3, node-pty, argon2), pino (its transports start
 * worker threads from files), and ssh2 (patched by patch-package; loading it from node_modules keeps
 * one copy of it, the patched one). Everything else (commander, yaml, the Connect/protobuf runtime,
 * @peculiar/x509, ...) is bundled: resolving and compiling hundreds of small package files is most of
 * a CLI's start time.
 */
export const EXTERNAL_PACKAGES = ['ssh2', 'cpu-features', 'better-sqlite3', 'node-pty', '@node-rs/argon2', 'pino'];
/** Outputs no manifest refers to are deleted once older than this (running processes may still load them). */
const GARBAGE_AGE_MS = 3600_000;

/** Path of `abs` relative to the teleport package, with forward slashes (the manifest's form). */
const rel = (abs) => path.relative(PACKAGE_DIR, abs).split(path.sep).join('/');

/** The package a bare import specifier names ("@scope/name" or "name"). */
const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/**
 * Why the bundles need building ('' when all are up to date): missing, or a file one was built from
 * is newer than the build (or gone). The same test bin/launch.js applies before using a bundle.
 */
export function cliBuildReason({ distDir = DEFAULT_DIST } = {}) {
  for (const name of Object.keys(CLI_ENTRIES)) {
    const { reason } = bundleStatus(name, { distDir });
    if (reason) return reason;
  }
  return '';
}

/** esbuild plugin: our workspace packages and pure-JS dependencies are bundled, the rest stays external. */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || EXTERNAL_PACKAGES.includes(packageOf(args.path))) return { path: args.path, external: true };
      return undefined;
    });
  },
};

/**
 * esbuild plugin: `import.meta.url` in a bundled source keeps meaning that source's own URL (tsh
 * config finds bin/tsh.js, the proxy finds packages/web/dist, ssh2Internals' require resolves
 * ssh2), computed relative to the output file so a moved checkout keeps working. Every output is
 * written directly into `distDir`, so one relative path serves all chunks.
 */
function keepImportMetaUrl(distDir) {
  return {
    name: 'keep-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const fromDist = path.relative(distDir, args.path).split(path.sep).join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

/** Source files (relative to the package) each entry reaches, following static and lazy imports. */
function inputsPerEntry(metafile) {
  const outputs = metafile.outputs;
  const result = {};
  for (const [outPath, out] of Object.entries(outputs)) {
    if (!out.entryPoint) continue;
    const seen = new Set();
    const inputs = new Set();
    const stack = [outPath];
    while (stack.length) {
      const o = stack.pop();
      if (seen.has(o)) continue;
      seen.add(o);
      // Bundled packages are covered by node_modules/.package-lock.json (see EXTRA_INPUTS): checking
      // each of their files would cost every CLI start hundreds of stat calls.
      for (const input of Object.keys(outputs[o].inputs)) if (!input.includes('node_modules/')) inputs.add(input);
      for (const imp of outputs[o].imports) if (!imp.external && outputs[imp.path]) stack.push(imp.path);
    }
    result[out.entryPoint] = { file: path.basename(outPath), inputs: [...inputs] };
  }
  return result;
}

/** Removes outputs the new manifest does not use that are older than GARBAGE_AGE_MS. */
function collectGarbage(distDir, keep, now) {
  for (const name of readdirSync(distDir)) {
    if (!/\.mjs(\.map)?$/.test(name) || keep.has(name)) continue;
    const p = path.join(distDir, name);
    try {
      if (now - statSync(p).mtimeMs > GARBAGE_AGE_MS) unlinkSync(p);
    } catch {
      // Another build removed it first.
    }
  }
}

/**
 * Builds the bundles if missing or stale (always with `force`); resolves when done, rejects when the
 * build fails. `log` receives progress lines; `metafile`, a path, receives esbuild's metafile;
 * `distDir` (default packages/teleport/dist) is for tests.
 */
export async function ensureCliBuild({ force = false, log = (line) => console.log(line), metafile = undefined, distDir = DEFAULT_DIST } = {}) {
  const reason = force ? 'a build was requested' : cliBuildReason({ distDir });
  if (!reason) {
    log('CLI bundles: packages/teleport/dist is up to date.');
    return;
  }
  log(`CLI bundles: building (${reason}) ...`);
  const { build } = await import('esbuild');
  // Taken before esbuild reads anything: a source saved during the build makes the bundle stale.
  const builtAt = Date.now();
  mkdirSync(distDir, { recursive: true });
  const result = await build({
    absWorkingDir: PACKAGE_DIR,
    entryPoints: CLI_ENTRIES,
    outdir: distDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Error kinds, log components and commander may rely on class and function names: keep them.
    keepNames: true,
    sourcemap: 'linked',
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    metafile: true,
    logLevel: 'warning',
    plugins: [externalPackages, keepImportMetaUrl(distDir)],
    // Bundled CommonJS packages call require() for Node's built-ins; ESM output has none of its own.
    banner: { js: "import { createRequire as __cliCreateRequire } from 'node:module'; const require = __cliCreateRequire(import.meta.url);" },
  });
  if (metafile) writeFileSync(metafile, JSON.stringify(result.metafile));
  const perEntry = inputsPerEntry(result.metafile);
  const extra = EXTRA_INPUTS.map(rel);
  const entries = {};
  for (const [name, source] of Object.entries(CLI_ENTRIES)) {
    const e = perEntry[source];
    if (!e) throw new Error(`esbuild produced no output for ${source}`);
    entries[name] = { source, file: e.file, inputs: [...e.inputs, ...extra].sort() };
  }
  const tmp = path.join(distDir, `cli.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify({ version: 1, builtAt, entries }));
  renameSync(tmp, path.join(distDir, 'cli.json'));
  collectGarbage(distDir, new Set(Object.keys(result.metafile.outputs).map((o) => path.basename(o))), Date.now());
  log(`CLI bundles: built into ${path.relative(repo, distDir)} in ${((Date.now() - builtAt) / 1000).toFixed(1)} s.`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const mi = process.argv.indexOf('--metafile');
  const metafile = mi > 0 ? process.argv[mi + 1] : undefined;
  ensureCliBuild({
    force: process.argv.includes('--force') || metafile !== undefined,
    log: process.argv.includes('--quiet') ? () => {} : undefined,
    metafile,
  }).catch((err) => {
    console.error(`ERROR: ${err.message}`);
    process.exit(1);
  });
}
