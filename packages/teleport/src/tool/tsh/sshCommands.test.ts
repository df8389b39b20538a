/**
 * @module tool/tsh/sshCommands.test
 * The SSH commands of tsh end to end: a real cluster (auth, web proxy, proxy SSH listener, two node
 * services), the real `tsh login`, then `tsh ls`, `tsh ssh` (one node, label selectors, exit
 * statuses, stdin, errors a person can act on, -N -L forwarding), `tsh scp`, plain OpenSSH
 * `ssh`/`scp` through the `tsh config` block and `tsh proxy ssh`, and the binary's prompt exit.
 * Sessions, joining and terminals are in sshInteractive.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from '@teleport-ts/api/types/server';
import { eventually } from '../../proxy/ssh/testkit.ts';
import { hasOpenSSH } from '../../sshutils/testkit.ts';
import { freePort, runProcess, startSSHTestCluster, type SSHTestCluster } from '../../testing/sshCluster.ts';
import { tempHome, tsh, type TestUser } from '../../testing/tshCluster.ts';
import { tshExecutablePath } from './config.ts';

const isRoot = process.getuid?.() === 0;
let c: SSHTestCluster;
let alice: TestUser;
let home: string;
let env: Record<string, string>;
const homes: string[] = [];

describe('tsh SSH commands against a cluster', { skip: !isRoot && 'nodes log in as root' }, () => {
  before(async () => {
    c = await startSSHTestCluster();
    await c.startNode('node1', { env: 'prod', role: 'web' });
    await c.startNode('node2', { env: 'prod', role: 'db' });
    alice = await c.base.addUser('alice', { roles: ['access'], logins: ['root', 'alice'] });
    home = await tempHome();
    homes.push(home);
    env = { TELEPORT_HOME: home };
    await c.login(alice, home);
  });
  after(async () => {
    await c?.close();
    for (const h of homes) await rm(h, { recursive: true, force: true });
  });

  it('tsh ls lists the nodes, filters by label and prints JSON', async () => {
    const res = await tsh(['ls'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^Node Name Address\s+Labels\n/);
    assert.match(res.stdout, /\nnode1\s+127\.0\.0\.1:\d+ env=prod,role=web\n/);
    assert.match(res.stdout, /\nnode2\s+127\.0\.0\.1:\d+ env=prod,role=db\n/);
    const db = await tsh(['ls', 'role=db', '--format=json'], env);
    assert.deepEqual((JSON.parse(db.stdout) as Server[]).map((n) => n.spec.hostname), ['node2']);
    const verbose = await tsh(['ls', '-v'], env);
    assert.match(verbose.stdout, new RegExp(`node1\\s+${c.nodes[0]?.hostId}`));
  });

  it('tsh ssh runs a command and exits with its status', async () => {
    const ok = await tsh(['ssh', 'root@node1', 'echo', 'hello from $(hostname -s 2>/dev/null || echo node)'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^hello from /);
    const fail = await tsh(['ssh', '-l', 'root', 'node1', 'echo oops >&2; exit 7'], env);
    assert.equal(fail.code, 7);
    assert.equal(fail.stderr, 'oops\n');
  });

  it('tsh ssh passes stdin to the command and allocates a terminal with -t', async () => {
    const cat = await tsh(['ssh', 'root@node1', 'cat'], env, 'piped input\n');
    assert.equal(cat.stdout, 'piped input\n');
    const tty = await tsh(['ssh', '-t', 'root@node1', 'tty'], env);
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, /^\/dev\/pts\/\d+\r?\n$/);
    const noTty = await tsh(['ssh', 'root@node1', 'tty'], env);
    assert.match(noTty.stdout, /not a tty/);
  });

  it('tsh ssh with a label selector runs on every matching node, prefixed, with the worst status', async () => {
    const res = await tsh(['ssh', 'root@env=prod', 'echo hi; test "$(cat /proc/sys/kernel/hostname)" != impossible'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.stdout.split('\n').filter(Boolean).sort(), ['[node1] hi', '[node2] hi']);
    const worst = await tsh(['ssh', '-l', 'root', 'env=prod', 'exit 3'], env);
    assert.equal(worst.code, 3);
    const none = await tsh(['ssh', 'root@env=nowhere', 'true'], env);
    assert.equal(none.code, 255);
    assert.match(none.stderr, /no nodes match env=nowhere; 'tsh ls' lists nodes/);
    const shell = await tsh(['ssh', 'root@env=prod'], env);
    assert.match(shell.stderr, /2 nodes match env=prod: give a command/);
  });

  it('tsh ssh explains unknown nodes, logins the roles do not allow, and expired certificates', async () => {
    const missing = await tsh(['ssh', 'root@db-7', 'true'], env);
    assert.equal(missing.code, 255);
    assert.equal(missing.stderr, "ERROR: node 'db-7' not found; 'tsh ls' lists nodes\n");
    const bob = await tsh(['ssh', 'bob@node1', 'true'], env);
    assert.equal(bob.code, 255);
    assert.match(bob.stderr, /^ERROR: access denied to bob@node1: your roles do not allow login "bob" \(allowed: root, alice\)/);
    const later = await tsh(['ssh', 'root@node1', 'true'], env, '', { now: () => new Date(Date.now() + 13 * 3600_000) });
    assert.equal(later.code, 255);
    assert.match(later.stderr, /^ERROR: certificate expired \d+[hm]\w* ago - run 'tsh login --proxy=127\.0\.0\.1:\d+'\n$/);
  });

  it('tsh scp copies files and directories both ways over SFTP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsh-scp-'));
    try {
      const data = randomBytes(512 * 1024 + 3);
      await mkdir(join(dir, 'src', 'sub'), { recursive: true });
      await writeFile(join(dir, 'src', 'blob.bin'), data);
      await writeFile(join(dir, 'src', 'sub', 'note.txt'), 'note\n', { mode: 0o600 });
      const remote = join(dir, 'remote');
      const up = await tsh(['scp', '-r', join(dir, 'src'), `root@node1:${remote}`], env);
      assert.equal(up.code, 0, up.stderr);
      assert.equal(up.stderr, '', 'no progress bar when stderr is not a terminal');
      assert.ok(data.equals(await readFile(join(remote, 'blob.bin'))));
      assert.equal((await stat(join(remote, 'sub', 'note.txt'))).mode & 0o777, 0o600);
      const down = await tsh(['scp', `root@node1:${join(remote, 'blob.bin')}`, `root@node1:${join(remote, 'sub')}`, join(dir, 'back')], env);
      assert.equal(down.code, 1);
      assert.match(down.stderr, /back is not a directory: copying several files needs one/);
      await mkdir(join(dir, 'back'));
      const down2 = await tsh(['scp', '-r', '-P', '3022', `root@node1:${join(remote, 'blob.bin')}`, `root@node1:${join(remote, 'sub')}`, join(dir, 'back')], env);
      assert.equal(down2.code, 0, down2.stderr);
      assert.ok(data.equals(await readFile(join(dir, 'back', 'blob.bin'))));
      assert.equal(await readFile(join(dir, 'back', 'sub', 'note.txt'), 'utf8'), 'note\n');
      const missing = await tsh(['scp', 'root@node1:/no/such/file', dir], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /\/no\/such\/file: no such file or directory on the node/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tsh ssh -N -L forwards a local port through the node until interrupted', async () => {
    const echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as AddressInfo).port;
    const localPort = await freePort();
    const stop = new AbortController();
    const running = tsh(['ssh', '-N', '-L', `${localPort}:127.0.0.1:${echoPort}`, 'root@node1'], env, '', { signal: stop.signal });
    try {
      const reply = await eventually(async () => roundTrip(localPort, 'through the tunnel').catch(() => undefined), 'the -L listener');
      assert.equal(reply, 'through the tunnel');
    } finally {
      stop.abort();
      echo.close();
    }
    const res = await running;
    assert.equal(res.code, 0, res.stderr);
  });

  it('plain OpenSSH ssh and scp work through the tsh config block and tsh proxy ssh', { skip: !hasOpenSSH && 'OpenSSH is not installed' }, async () => {
    const cfg = await tsh(['config'], env);
    assert.equal(cfg.code, 0, cfg.stderr);
    assert.match(cfg.stdout, new RegExp(`ProxyCommand env TELEPORT_HOME="${home}" ".*/bin/tsh\\.js" proxy ssh --cluster=test\\.example\\.com --proxy=${c.base.webAddr} %r@%h:%p`));
    const path = join(home, 'ssh_config');
    await writeFile(path, `${cfg.stdout}\nHost *\n  BatchMode yes\n  IdentitiesOnly yes\n  IdentityAgent none\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  UpdateHostKeys no\n`);
    const res = await runProcess('ssh', ['-F', path, 'root@node1.test.example.com', 'echo via-openssh']);
    assert.equal(res.stdout, 'via-openssh\n', res.stderr);
    assert.equal(res.code, 0);
    const failed = await tsh(['proxy', 'ssh', 'root@db-7.test.example.com:3022'], env);
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, "ERROR: node 'db-7' not found; 'tsh ls' lists nodes\n");
    const file = join(home, 'scp-src.txt');
    await writeFile(file, 'copied by scp\n');
    const cp = await runProcess('scp', ['-F', path, file, 'root@node2.test.example.com:/tmp/tsh-openssh-scp.txt']);
    assert.equal(cp.code, 0, cp.stderr);
    const check = await tsh(['ssh', 'root@node2', 'cat /tmp/tsh-openssh-scp.txt; rm -f /tmp/tsh-openssh-scp.txt'], env);
    assert.equal(check.stdout, 'copied by scp\n');
  });

  it('the tsh binary exits as soon as its command is done', async () => {
    const started = Date.now();
    const ls = await runProcess(tshExecutablePath(), ['ls'], { TELEPORT_HOME: home });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /node1/);
    const ssh = await runProcess(tshExecutablePath(), ['ssh', 'root@node2', 'echo done'], { TELEPORT_HOME: home });
    assert.equal(ssh.stdout, 'done\n', ssh.stderr);
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started}ms`);
  });
});

/** Sends `text`, half-closes, and resolves with what came back. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(text));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}
