/**
 * @module tool/tsh/bench.test
 * `tsh bench ssh` end to end against a real in-process cluster (auth, proxy SSH listener, one node):
 * the requested number of requests, no failures, the percentile table, --interactive, --export, a
 * failing command counted as failures, and the refusals made before any load. Plus the report
 * layout and --help of each subcommand without a cluster.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { startSSHTestCluster, type SSHTestCluster } from '../../testing/sshCluster.ts';
import { tempHome, tsh } from '../../testing/tshCluster.ts';
import { Histogram } from '../../client/bench/histogram.ts';
import { formatBenchResult } from '../../client/bench/report.ts';

const isRoot = process.getuid?.() === 0;
const REPORT = /^\* Requests originated: (\d+)\n\* Requests failed: (\d+)\n(?:\* Error: .*\n)*\nHistogram\n\nPercentile Response Duration\n---------- -----------------\n25 +[\d.]+ ms\n50 +[\d.]+ ms\n75 +[\d.]+ ms\n90 +[\d.]+ ms\n95 +[\d.]+ ms\n99 +[\d.]+ ms\n100 +[\d.]+ ms\n/;

describe('tsh bench output and help', () => {
  it('prints upstream\'s report layout', () => {
    const histogram = new Histogram();
    for (const ms of [3, 4, 5, 6, 120]) histogram.record(ms * 1000);
    const text = formatBenchResult({ requests: 5, failures: 1, errors: ['boom'], histogram, elapsedMs: 1000 });
    assert.equal(text, [
      '* Requests originated: 5',
      '* Requests failed: 1',
      '* Error: boom',
      '',
      'Histogram',
      '',
      'Percentile Response Duration',
      '---------- -----------------',
      '25         4.00 ms',
      '50         5.00 ms',
      '75         6.00 ms',
      '90         120 ms',
      '95         120 ms',
      '99         120 ms',
      '100        120 ms',
      '',
    ].join('\n'));
  });

  it('has --help for every subcommand', async () => {
    const home = await tempHome();
    try {
      for (const sub of ['ssh', 'postgres', 'mysql']) {
        const res = await tsh(['bench', sub, '--help'], { TELEPORT_HOME: home });
        assert.equal(res.code, 0, res.stderr);
        assert.match(res.stdout, /--rate <n>/);
        assert.match(res.stdout, /--duration <d>/);
        assert.match(res.stdout, /--export/);
        assert.match(res.stdout, /coordinated omission/);
      }
      const bad = await tsh(['bench', 'ssh', '--duration', 'soon', 'root@node1', 'true'], { TELEPORT_HOME: home });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /invalid --duration "soon"/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('tsh bench ssh against a cluster', { skip: !isRoot && 'nodes log in as root' }, () => {
  let c: SSHTestCluster;
  let home: string;
  let env: Record<string, string>;

  before(async () => {
    c = await startSSHTestCluster();
    await c.startNode('node1', { env: 'bench' });
    const alice = await c.base.addUser('alice', { roles: ['access'], logins: ['root'] });
    home = await tempHome();
    env = { TELEPORT_HOME: home };
    await c.login(alice, home);
  });
  after(async () => {
    await c?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('runs rate x duration exec requests through the proxy and prints the percentiles', async () => {
    const res = await tsh(['bench', 'ssh', '--rate', '5', '--duration', '1s', 'root@node1', 'true'], env);
    assert.equal(res.code, 0, res.stderr);
    const m = REPORT.exec(res.stdout);
    assert.ok(m, res.stdout);
    assert.equal(m[1], '5');
    assert.equal(m[2], '0', res.stdout);
    // After "--", the command keeps its own options (-l is also tsh bench ssh's --login).
    const opts = await tsh(['bench', 'ssh', '--rate', '2', '--duration', '500ms', 'root@node1', '--', 'ls', '-l', '/'], env);
    assert.match(opts.stdout, /^\* Requests originated: 1\n\* Requests failed: 0\n/, opts.stderr);
  });

  it('runs the command in an interactive session with --interactive and exports the histogram', async () => {
    const res = await tsh(['bench', 'ssh', '--interactive', '--rate', '5', '--duration', '1s', '--export', '--path', home, '-l', 'root', 'node1', 'true'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^\* Requests originated: 5\n\* Requests failed: 0\n/);
    const path = /\nLatency profile exported to (\S+latency_profile_[\d_-]+\.txt)\n$/.exec(res.stdout)?.[1];
    assert.ok(path, res.stdout);
    const exported = await readFile(path, 'utf8');
    assert.match(exported, /^ {7}Value {5}Percentile TotalCount 1\/\(1-Percentile\)\n\n/);
    assert.match(exported, /#\[Max {5}= +[\d.]+, Total count {4}= +5\]\n/);
  });

  it('counts a failing command as failures with its message, and exits 1 when all failed', async () => {
    const res = await tsh(['bench', 'ssh', '--rate', '4', '--duration', '500ms', 'root@node1', 'echo nope >&2; exit 3'], env);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /^\* Requests originated: 2\n\* Requests failed: 2\n\* Error: the command exited with status 3: nope\n/);
  });

  it('refuses label selectors, unknown nodes and logins the roles do not allow before any load', async () => {
    const labels = await tsh(['bench', 'ssh', 'root@env=bench', 'true'], env);
    assert.equal(labels.code, 1);
    assert.match(labels.stderr, /tsh bench ssh needs one node, not the label selector/);
    const login = await tsh(['bench', 'ssh', 'bob@node1', 'true'], env);
    assert.match(login.stderr, /access denied to bob@node1: your roles do not allow login "bob"/);
    assert.equal(login.stdout, '');
  });
});
