/**
 * @module integration/benchSmoke.test
 * Keeps the benchmark harness working (benchmarks are not tests, so no target is checked): the smoke
 * run of the SSH and certificate scenarios, in-process as `npm run bench -- --smoke ssh certs` runs
 * them ("ssh" selects ssh-setup and ssh-bulk), prints the markdown table and writes the JSON record
 * with numeric figures and machine facts.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../bench/report.ts';
import { parseArgs, runBench } from '../bench/run.ts';
import { canRunSSHTests } from './helpers/sshEnv.ts';

describe('bench harness smoke run (ssh, certs)', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('prints the table and writes a JSON record with numeric figures', { timeout: 60_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'tp-bench-smoke-'));
    const progress: string[] = [];
    const out = await runBench({ ...parseArgs(['--smoke', '--results-dir', dir, 'ssh', 'certs']), log: (l) => progress.push(l) });
    const context = `--- report ---\n${out.report}\n--- progress ---\n${progress.join('\n')}`;

    assert.match(out.report, /^\| Scenario \| Figure \| Ours \| Baseline \| Ratio \| Target \| Met\? \|$/m, context);
    assert.match(out.report, /^\| certs \| Certificate issuance via auth API .* pairs\/s \|/m, context);
    const ids = canRunSSHTests ? ['ssh-setup', 'ssh-bulk', 'certs'] : ['certs'];
    if (canRunSSHTests) assert.match(out.report, /^\| ssh-setup \| SSH session setup, sequential \(ssh -J proxy\) \| [\d.,]+ sessions\/s \|/m, context);

    assert.match(out.jsonPath, /\d{4}-\d{2}-\d{2}-smoke\.json$/);
    const record = JSON.parse(await readFile(out.jsonPath, 'utf8')) as RunRecord;
    assert.equal(record.mode, 'smoke');
    assert.ok(record.machine.cores > 0 && record.machine.memoryGiB > 0, JSON.stringify(record.machine));
    for (const id of ids) {
      const s = record.scenarios.find((x) => x.id === id);
      assert.equal(s?.status, 'ok', `${id}: ${s?.note ?? 'missing'}\n${context}`);
      assert.ok(s.figures.length > 0, `${id} has figures`);
      for (const f of s.figures) {
        assert.ok(Number.isFinite(f.ours) && f.ours > 0, `${id} / ${f.name}: ours = ${f.ours}`);
        if (f.baseline !== undefined) assert.ok(Number.isFinite(f.baseline) && f.baseline > 0, `${id} / ${f.name}: baseline = ${f.baseline}`);
      }
    }
  });
});
