/**
 * @module tool/tsh/sshInteractive.test
 * Live sessions end to end against a real cluster with a node service: `tsh sessions ls`, `tsh join`
 * as observer and as peer, the wired `tsh recordings ls` / `tsh play` on the same session, and the
 * tsh binary on a real terminal (node-pty): raw mode, window-change, the remote exit status, the
 * terminal restored afterwards, and scp's progress bar.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pty from 'node-pty';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import { eventually } from '../../proxy/ssh/testkit.ts';
import { startSSHTestCluster, tshWithStreams, type SSHTestCluster } from '../../testing/sshCluster.ts';
import { tempHome, tsh, type TestUser } from '../../testing/tshCluster.ts';
import { tshExecutablePath } from './config.ts';

const isRoot = process.getuid?.() === 0;
let c: SSHTestCluster;
let alice: TestUser;
let home: string;
let env: Record<string, string>;

describe('tsh sessions, join and terminals against a cluster', { skip: !isRoot && 'nodes log in as root' }, () => {
  before(async () => {
    c = await startSSHTestCluster();
    await c.startNode('node1', { env: 'prod' });
    alice = await c.base.addUser('alice', { roles: ['access'], logins: ['root', 'alice'] });
    home = await tempHome();
    env = { TELEPORT_HOME: home };
    await c.login(alice, home);
  });
  after(async () => {
    await c?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('tsh sessions ls shows a live session and tsh join attaches to it as an observer', async () => {
    const before = new Set((await liveSessions()).map((t) => t.metadata.name));
    const owner = tsh(['ssh', '-t', 'root@node1', 'for i in $(seq 1 40); do echo tick $i; sleep 0.25; done'], env);
    const sessions = await eventually(async () => {
      const list = (await liveSessions()).filter((t) => !before.has(t.metadata.name));
      return list.length ? list : undefined;
    }, 'a session tracker', 10_000);
    const sid = sessions[0]?.metadata.name ?? '';
    assert.equal(sessions[0]?.spec.hostname, 'node1');
    assert.equal(sessions[0]?.spec.login, 'root');
    const text = await tsh(['sessions', 'ls'], env);
    assert.match(text.stdout, new RegExp(`^${sid} ssh\\s+alice\\s+root\\s+node1 `, 'm'));

    const leave = new AbortController();
    const joined = tsh(['join', sid], env, '', { signal: leave.signal });
    // The observer sees the output the session prints after it joined; then it leaves.
    await new Promise((r) => setTimeout(r, 1500));
    leave.abort();
    const obs = await joined;
    assert.equal(obs.code, 0, obs.stderr);
    assert.match(obs.stderr, new RegExp(`Joined session ${sid} on node1 as observer`));
    assert.match(obs.stdout, /tick \d+/);
    const ownerRes = await owner;
    assert.equal(ownerRes.code, 0, ownerRes.stderr);
    assert.match(ownerRes.stdout, /tick 40/);

    // The wired play/recordings commands reach the recording of the same session.
    await eventually(async () => {
      const r = await tsh(['recordings', 'ls', '--format=json'], env);
      return r.code === 0 && r.stdout.includes(sid) ? true : undefined;
    }, 'the session in tsh recordings ls', 15_000);
    const play = await eventually(async () => {
      const r = await tsh(['play', '--format=json', sid], env);
      return r.code === 0 && r.stdout.includes('tick 40') ? r : undefined;
    }, 'tsh play of the session', 15_000);
    assert.match(play.stdout, /tick 1\b/);

    const gone = await tsh(['join', 'no-such-session'], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /session no-such-session not found or already over; 'tsh sessions ls' lists active sessions/);
  });

  it('tsh join --mode peer types into the session', async () => {
    const before = new Set((await liveSessions()).map((t) => t.metadata.name));
    const owner = tshWithStreams(['ssh', '-t', 'root@node1', 'read x; echo "got=$x"'], env);
    const sid = await eventually(async () => (await liveSessions()).find((t) => !before.has(t.metadata.name))?.metadata.name, 'a session tracker', 10_000);
    const peer = tshWithStreams(['join', '--mode', 'peer', sid], env);
    await eventually(() => (/Joined session/.test(peer.stderr()) ? true : undefined), 'the peer to join');
    peer.stdin.write('hello from peer\r');
    assert.equal(await owner.code, 0, owner.stderr());
    assert.match(owner.stdout(), /got=hello from peer/);
    assert.equal(await peer.code, 0, peer.stderr());
    assert.match(peer.stdout(), /got=hello from peer/);
    owner.stdin.end();
    peer.stdin.end();
  });

  it('the tsh binary on a terminal: raw mode, window changes, remote exit status, terminal restored', async () => {
    const tshBin = tshExecutablePath();
    const term = pty.spawn('/bin/sh', ['-c', `"${tshBin}" ssh root@node1; echo "EXIT=$?"; stty -a`], {
      cols: 80, rows: 24, env: { ...process.env, TELEPORT_HOME: home, TERM: 'xterm' } as Record<string, string>,
    });
    let out = '';
    term.onData((d) => (out += d));
    const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    try {
      const waitFor = (re: RegExp, what: string): Promise<true> => eventually(() => (re.test(out) ? true : undefined), what, 20_000);
      await waitFor(/[#$] $/m, 'the remote prompt');
      term.write('stty size; tty\r');
      await waitFor(/^24 80\r?$/m, 'the initial window size on the node');
      await waitFor(/^\/dev\/pts\/\d+\r?$/m, 'a PTY on the node');
      term.resize(100, 30);
      await new Promise((r) => setTimeout(r, 300));
      term.write('stty size\r');
      await waitFor(/^30 100\r?$/m, 'the new window size after SIGWINCH');
      term.write('exit 5\r');
      await waitFor(/EXIT=5/, 'the remote exit status');
      assert.equal(await exited, 0);
      // The local terminal is back in canonical mode with echo once tsh is done.
      const after = out.slice(out.indexOf('EXIT=5'));
      assert.match(after, /(^|[\s;])icanon[\s;]/);
      assert.match(after, /(^|[\s;])echo[\s;]/);
    } finally {
      term.kill();
    }
  });

  it('tsh scp draws a progress bar when stderr is a terminal', async () => {
    const src = join(home, 'progress.bin');
    await writeFile(src, randomBytes(256 * 1024));
    const term = pty.spawn(tshExecutablePath(), ['scp', src, 'root@node1:/tmp/tsh-progress.bin'], {
      cols: 100, rows: 24, env: { ...process.env, TELEPORT_HOME: home } as Record<string, string>,
    });
    let out = '';
    term.onData((d) => (out += d));
    const code = await new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    assert.equal(code, 0, out);
    assert.match(out, /progress\.bin 100% \[=+\] 256\.0 KB/);
    await tsh(['ssh', 'root@node1', 'rm -f /tmp/tsh-progress.bin'], env);
  });
});

/** The live sessions `tsh sessions ls --format=json` reports. */
async function liveSessions(): Promise<SessionTracker[]> {
  const r = await tsh(['sessions', 'ls', '--format=json'], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as SessionTracker[];
}
