/**
 * @module integration/sshAccess.test
 * SSH access through the whole cluster (`teleport start` with auth, proxy and the node service):
 * the real OpenSSH client configured by `tsh config` and `tsh ssh` both run a command with its
 * output and exit status, and an interactive shell on a terminal that follows window-size changes;
 * `tsh ls` shows nodes with their labels; `tsh ssh env=dev cmd` runs on every matching node with
 * output prefixed by node name.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import type { RunningNodeService } from '../packages/teleport/src/service/nodeService.ts';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, OPENSSH_OPTS, ProcessTracker, TSH_BIN, type Terminal } from './helpers/sshClients.ts';
import { canRunSSHTests, OSUsers, sshClientUser, startExtraNode, type SSHClientUser } from './helpers/sshEnv.ts';

describe('SSH access: OpenSSH via tsh config, tsh ssh, tsh ls', { skip: !canRunSSHTests && 'needs root and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  const osUsers = new OSUsers();
  const extraNodes: RunningNodeService[] = [];
  let login: string;
  let alice: SSHClientUser;
  let env: Record<string, string>;

  before(async () => {
    cluster = await startTestCluster({ nodeName: 'node1', sshService: { labels: { env: 'dev' } }, secondFactor: 'off' });
    login = osUsers.create('acc');
    // root too, so `tsh ssh node1` (default login: the local user, root here) is allowed.
    alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: [login, 'root'] });
    env = clientEnv(alice.home, { TERM: 'xterm' });
    extraNodes.push(await startExtraNode(cluster, 'node2', { env: 'dev' }), await startExtraNode(cluster, 'node3', { env: 'prod' }));
  });
  after(async () => {
    await procs.killAll();
    await Promise.all(extraNodes.map((n) => n.close({ graceful: false })));
    await cluster?.close();
    osUsers.cleanup();
  });

  const ssh = (args: string[]): string[] => ['-F', alice.sshConfig, ...OPENSSH_OPTS, ...args];

  test('a command prints its output and exits with its status (OpenSSH and tsh ssh)', async () => {
    const viaOpenSSH = await procs.run('ssh', ssh([`${login}@node1.${CLUSTER_NAME}`, 'echo hi; exit 3']), { env });
    assert.equal(viaOpenSSH.code, 3, describeResult(viaOpenSSH));
    assert.equal(viaOpenSSH.stdout, 'hi\n');

    const viaTsh = await procs.tsh(['ssh', 'node1', 'echo hi; exit 3'], { env });
    assert.equal(viaTsh.code, 3, describeResult(viaTsh));
    assert.equal(viaTsh.stdout, 'hi\n');

    // The login: -l, user@host, and the node's OS account.
    const whoami = await procs.tsh(['ssh', '-l', login, 'node1', 'whoami'], { env });
    assert.equal(whoami.code, 0, describeResult(whoami));
    assert.equal(whoami.stdout, `${login}\n`);
  });

  /** Types into an interactive shell on `t`: arithmetic, then the terminal size before and after a resize. */
  async function driveShell(t: Terminal): Promise<void> {
    // Line ends: "\r\n" from the node's terminal; tsh's local raw mode (libuv) keeps ONLCR, adding a "\r".
    t.type('echo $((6*7))\r');
    await t.expect(/[\r\n]42\r+\n/);
    t.type('stty size\r');
    await t.expect(/[\r\n]24 80\r+\n/);
    t.resize(120, 40);
    // The window change reaches the node asynchronously: ask again until stty sees it (or give up).
    let size = '';
    for (let i = 0; i < 20 && size !== '40 120'; i++) {
      const mark = t.screen.length;
      t.type('stty size\r');
      size = (await t.expect(/[\r\n](\d+ \d+)\r+\n/, mark))[1] as string;
      if (size !== '40 120') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(size, '40 120', 'the shell sees the new window size');
    t.type('exit 0\r');
    assert.equal(await t.exitCode(), 0);
  }

  test('an interactive OpenSSH session (-tt): a shell that follows window-size changes', async () => {
    await driveShell(procs.terminal('ssh', ssh(['-tt', `${login}@node1.${CLUSTER_NAME}`]), env));
  });

  test('an interactive tsh ssh session: a shell that follows window-size changes', async () => {
    await driveShell(procs.terminal(process.execPath, [TSH_BIN, 'ssh', `${login}@node1`], env));
  });

  test('tsh ls lists the nodes with their labels, and filters by label', async () => {
    const ls = await procs.tsh(['ls'], { env });
    assert.equal(ls.code, 0, describeResult(ls));
    assert.match(ls.stdout, /^Node Name\s+Address\s+Labels\s*$/m);
    assert.match(ls.stdout, /^node1\s+127\.0\.0\.1:\d+\s+env=dev\s*$/m);
    assert.match(ls.stdout, /^node2\s+127\.0\.0\.1:\d+\s+env=dev\s*$/m);
    assert.match(ls.stdout, /^node3\s+127\.0\.0\.1:\d+\s+env=prod\s*$/m);
    const nodeAddr = cluster.proc.nodeAddr;
    assert.ok(nodeAddr);
    assert.match(ls.stdout, new RegExp(`^node1\\s+${nodeAddr.replace(/\./g, '\\.')}\\s`, 'm'), 'node1 advertises the address it listens on');

    const dev = await procs.tsh(['ls', 'env=dev'], { env });
    assert.equal(dev.code, 0, describeResult(dev));
    assert.match(dev.stdout, /^node1\s/m);
    assert.match(dev.stdout, /^node2\s/m);
    assert.doesNotMatch(dev.stdout, /node3/);
  });

  test('tsh ssh env=dev runs the command on every matching node, output prefixed by node', async () => {
    const r = await procs.tsh(['ssh', 'env=dev', 'hostname'], { env });
    assert.equal(r.code, 0, describeResult(r));
    assert.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), [`[node1] ${hostname()}`, `[node2] ${hostname()}`]);

    // With a login, and the worst exit status wins.
    const as = await procs.tsh(['ssh', '-l', login, 'env=dev', 'whoami; [ "$(hostname)" = x ] || exit 4'], { env });
    assert.equal(as.code, 4, describeResult(as));
    assert.deepEqual(as.stdout.split('\n').filter(Boolean).sort(), [`[node1] ${login}`, `[node2] ${login}`]);
  });
});
