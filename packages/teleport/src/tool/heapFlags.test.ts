/**
 * @module tool/heapFlags.test
 * The V8 heap flags (V8_HEAP_FLAGS in bin/launch.js) reach every process that carries bulk traffic:
 * bin/teleport.js and bin/tsh.js pass them on their `#!` line (and running the script really starts
 * node with them), and `npm start` and `npm run bench`, which run a cluster in their own process,
 * pass the same flags. Without them SSH bulk transfers can run at half speed (docs/benchmarks.md).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hasHeapFlags, PACKAGE_DIR, V8_HEAP_FLAGS } from '../../bin/launch.js';

const run = promisify(execFile);
const REPO_ROOT = join(PACKAGE_DIR, '..', '..');

describe('V8 heap flags', () => {
  it('are what the #! line of each CLI that carries bulk traffic passes to node', async () => {
    for (const bin of ['teleport', 'tsh']) {
      const firstLine = (await readFile(join(PACKAGE_DIR, 'bin', `${bin}.js`), 'utf8')).split('\n')[0];
      assert.equal(firstLine, `#!/usr/bin/env -S node ${V8_HEAP_FLAGS.join(' ')}`, `bin/${bin}.js`);
    }
  });

  it('are passed by npm start and npm run bench, which run a cluster in their own process', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const script of ['start', 'bench']) {
      assert.ok(pkg.scripts[script]?.startsWith(`node ${V8_HEAP_FLAGS.join(' ')} `), `npm ${script}: ${pkg.scripts[script]}`);
    }
  });

  describe('running bin/tsh.js directly', () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'heap-flags-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('starts node with them (env -S splits the #! line)', async () => {
      // A preload that reports the node flags of the process the #! line started, then lets tsh run.
      const probe = join(dir, 'probe.cjs');
      const report = join(dir, 'execArgv.json');
      await writeFile(probe, `require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.execArgv));\n`);
      const { stdout } = await run(join(PACKAGE_DIR, 'bin', 'tsh.js'), ['version'], {
        env: { PATH: process.env.PATH ?? '', HOME: dir, NODE_OPTIONS: `--require ${probe}` }, timeout: 60_000,
      });
      assert.match(stdout, /Teleport/);
      const execArgv = JSON.parse(await readFile(report, 'utf8')) as string[];
      assert.ok(hasHeapFlags(execArgv), `node flags: ${execArgv.join(' ')}`);
    });
  });

  it('hasHeapFlags tells a process started with them from one started without', () => {
    assert.equal(hasHeapFlags([...V8_HEAP_FLAGS, '--import', 'tsx']), true);
    assert.equal(hasHeapFlags(['--import', 'tsx']), false);
  });
});
