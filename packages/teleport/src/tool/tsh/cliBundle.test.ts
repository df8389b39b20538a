/**
 * @module tool/tsh/cliBundle.test
 * The prebuilt CLI bundles (scripts/build-cli.js) and how bin/launch.js decides to use them: the
 * bundled tsh, tctl and teleport run, `import.meta.url` inside the bundle still means the source
 * file's location (tsh config's ProxyCommand names bin/tsh.js), and a bundle older than any of its
 * sources, or missing, is never used.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { bundleStatus, PACKAGE_DIR } from '../../../bin/launch.js';
import { ensureCliBuild, type CLI_ENTRIES } from '../../../../../scripts/build-cli.js';
import { saveProfile } from '../../client/profile.ts';

const run = promisify(execFile);

/** Runs `fn(argv)` exported by the bundled CLI `name` in a plain node process (no tsx). */
async function runBundled(distDir: string, name: keyof typeof CLI_ENTRIES, fn: string, argv: string[], env: Record<string, string> = {}): Promise<string> {
  // From the manifest, not bundleStatus: a source saved by someone else during the build would make it "stale".
  const manifest = JSON.parse(await readFile(join(distDir, 'cli.json'), 'utf8')) as { entries: Record<string, { file: string }> };
  const file = join(distDir, manifest.entries[name]?.file ?? 'missing');
  const script = `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); process.exitCode = await m.${fn}(${JSON.stringify(argv)});`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, timeout: 60_000,
  });
  return stdout;
}

describe('CLI bundles', () => {
  // Inside packages/teleport so that the external packages (ssh2, pino, ...) resolve from it.
  let distDir = '';
  before(async () => {
    await mkdir(join(PACKAGE_DIR, 'dist'), { recursive: true });
    distDir = await mkdtemp(join(PACKAGE_DIR, 'dist', 'test-'));
    await ensureCliBuild({ distDir, log: () => {} });
  });
  after(async () => {
    if (distDir) await rm(distDir, { recursive: true, force: true });
  });

  it('builds every CLI and runs it without tsx', async () => {
    assert.match(await runBundled(distDir, 'tsh', 'runTsh', ['version']), /^Teleport v\d+\.\d+\.\d+ \(tsh/);
    assert.match(await runBundled(distDir, 'tctl', 'runTctl', ['version']), /\(tctl/);
    assert.match(await runBundled(distDir, 'teleport', 'runTeleport', ['version']), /^Teleport v/);
    const manifest = JSON.parse(await readFile(join(distDir, 'cli.json'), 'utf8')) as { entries: Record<string, { inputs: string[] }> };
    const inputs = manifest.entries.tsh?.inputs ?? [];
    assert.ok(inputs.includes('src/tool/tsh/main.ts') && inputs.includes('src/tool/tsh/proxySSH.ts'), 'lazily loaded modules count as inputs');
    assert.ok(inputs.includes('../../node_modules/.package-lock.json'), 'bundled packages are covered by the lockfile');
    assert.ok(!inputs.some((i) => i.includes('node_modules/') && !i.endsWith('.package-lock.json')), 'no per-file package inputs');
  });

  it('keeps import.meta.url pointing at the sources (tsh config names bin/tsh.js)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tsh-bundle-'));
    try {
      await saveProfile(home, { webProxyAddr: 'proxy.example.com:3080', user: 'alice', cluster: 'example' });
      const out = await runBundled(distDir, 'tsh', 'runTsh', ['config'], { TELEPORT_HOME: home });
      assert.ok(out.includes(resolve(PACKAGE_DIR, 'bin', 'tsh.js')), out);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('bundleStatus', () => {
  it('uses a bundle only while every input is older than the build and present', async () => {
    const pkg = await mkdtemp(join(tmpdir(), 'cli-launch-'));
    try {
      const dist = join(pkg, 'dist');
      await mkdir(join(pkg, 'src'), { recursive: true });
      await mkdir(dist);
      await writeFile(join(pkg, 'src', 'a.ts'), '');
      await writeFile(join(dist, 'x-1.mjs'), '');
      const past = new Date(Date.now() - 60_000);
      await utimes(join(pkg, 'src', 'a.ts'), past, past);
      const manifest = { version: 1, builtAt: Date.now() - 30_000, entries: { x: { source: 'src/a.ts', file: 'x-1.mjs', inputs: ['src/a.ts'] } } };
      await writeFile(join(dist, 'cli.json'), JSON.stringify(manifest));
      const opts = { packageDir: pkg, distDir: dist };
      assert.deepEqual(bundleStatus('x', opts), { file: join(dist, 'x-1.mjs') });
      assert.match(bundleStatus('y', opts).reason ?? '', /no y bundle/);

      await utimes(join(pkg, 'src', 'a.ts'), new Date(), new Date());
      assert.match(bundleStatus('x', opts).reason ?? '', /src\/a\.ts changed/);
      await rm(join(pkg, 'src', 'a.ts'));
      assert.match(bundleStatus('x', opts).reason ?? '', /src\/a\.ts is gone/);

      await writeFile(join(pkg, 'src', 'a.ts'), '');
      await utimes(join(pkg, 'src', 'a.ts'), past, past);
      await rm(join(dist, 'x-1.mjs'));
      assert.match(bundleStatus('x', opts).reason ?? '', /bundle is missing/);
      await writeFile(join(dist, 'cli.json'), '{');
      assert.match(bundleStatus('x', opts).reason ?? '', /no bundle manifest/);
    } finally {
      await rm(pkg, { recursive: true, force: true });
    }
  });
});
