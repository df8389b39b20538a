/**
 * @module integration/sshSessions.test
 * A recorded interactive session through the whole cluster: Alice runs a shell with OpenSSH (`ssh
 * -tt` via `tsh config`, on a terminal); Bob finds it with `tsh sessions ls --format json` and
 * watches it live with `tsh join`; when it ends, `tsh recordings ls` lists it and `tsh play`
 * replays exactly the bytes Alice's terminal received (`--format json` events and the pty replay);
 * session.start / join / leave / end are in the audit log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionTracker } from '../packages/api/src/types/sessionTracker.ts';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, OPENSSH_OPTS, ProcessTracker, TSH_BIN } from './helpers/sshClients.ts';
import { canRunSSHTests, OSUsers, sshClientUser, waitForEvent, type SSHClientUser } from './helpers/sshEnv.ts';

/** One line of `tsh play --format json`. */
interface PlayedEvent {
  time: number;
  code: string;
  data: string;
}

describe('session recording, join and replay', { skip: !canRunSSHTests && 'needs root and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  const osUsers = new OSUsers();
  let login: string;
  let alice: SSHClientUser;
  let bob: SSHClientUser;

  before(async () => {
    cluster = await startTestCluster({ nodeName: 'node1', sshService: { labels: { env: 'dev' } }, secondFactor: 'off' });
    login = osUsers.create('ses');
    alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: [login] });
    bob = await sshClientUser(cluster, 'bob', { roles: ['access'], logins: [login] });
  });
  after(async () => {
    await procs.killAll();
    await cluster?.close();
    osUsers.cleanup();
  });

  test('a live session is joined with tsh join, then listed and replayed byte for byte', async () => {
    const aliceEnv = clientEnv(alice.home, { TERM: 'xterm' });
    const bobEnv = clientEnv(bob.home, { TERM: 'xterm' });
    // LogLevel=ERROR: no "Connection to ... closed." on the terminal, so the screen is the session's output.
    const shell = procs.terminal('ssh', ['-F', alice.sshConfig, ...OPENSSH_OPTS, '-o', 'LogLevel=ERROR', '-tt', `${login}@node1.${CLUSTER_NAME}`], aliceEnv);
    // Type only once the prompt is up: ssh has put the terminal in raw mode, so nothing is echoed locally.
    await shell.expect(/\$ $/);
    shell.type('echo SID=$TELEPORT_SESSION; echo $((6*7))\r');
    const sid = (await shell.expect(/SID=([0-9a-f-]{36})\r\n42\r\n/))[1] as string;

    // Bob finds the session and joins it (as an observer, the default).
    const ls = await procs.tsh(['sessions', 'ls', '--format', 'json'], { env: bobEnv });
    assert.equal(ls.code, 0, describeResult(ls));
    const tracker = (JSON.parse(ls.stdout) as SessionTracker[]).find((s) => s.metadata.name === sid);
    assert.ok(tracker, `tsh sessions ls lists ${sid}: ${ls.stdout}`);
    assert.equal(tracker.spec.login, login);
    assert.equal(tracker.spec.hostname, 'node1');
    assert.deepEqual(tracker.spec.participants.map((p) => p.user), ['alice']);

    const watcher = procs.terminal(process.execPath, [TSH_BIN, 'join', sid], bobEnv);
    await watcher.expect(new RegExp(`Joined session ${sid} on node1 as observer`));
    await waitForEvent(cluster, 'session.join', (e) => e.sid === sid && e.user === 'bob', 'for bob');
    const mark = watcher.screen.length;
    shell.type('echo live-$((2+3))\r');
    await shell.expect(/[\r\n]live-5\r\n/);
    await watcher.expect(/live-5/, mark);

    // Bob leaves (Ctrl-C), Alice ends the session.
    watcher.type('\x03');
    assert.equal(await watcher.exitCode(), 0, watcher.screen);
    await waitForEvent(cluster, 'session.leave', (e) => e.sid === sid && e.user === 'bob', 'for bob');
    shell.type('exit\r');
    assert.equal(await shell.exitCode(), 0);
    const received = shell.screen;

    // The audit trail.
    const start = await waitForEvent(cluster, 'session.start', (e) => e.sid === sid, 'for the session');
    assert.equal(start.code, 'T2000I');
    assert.equal(start.user, 'alice');
    assert.equal(start.login, login);
    assert.equal(start.server_hostname, 'node1');
    const join = await waitForEvent(cluster, 'session.join', (e) => e.sid === sid && e.user === 'bob', 'for bob');
    assert.equal(join.code, 'T2001I');
    const leave = await waitForEvent(cluster, 'session.leave', (e) => e.sid === sid && e.user === 'bob', 'for bob');
    assert.equal(leave.code, 'T2003I');
    const end = await waitForEvent(cluster, 'session.end', (e) => e.sid === sid, 'for the session');
    assert.equal(end.code, 'T2004I');
    assert.deepEqual([...(end.participants as string[])].sort(), ['alice', 'bob']);
    assert.equal(end.interactive, true);

    // Wait for the node to finish uploading the recording.
    for (let i = 0; !(await cluster.auth.recordings.getMeta(sid).catch(() => undefined))?.complete; i++) {
      if (i > 200) throw new Error(`the recording of ${sid} was not complete after 10 s`);
      await sleep(50);
    }

    const list = await procs.tsh(['recordings', 'ls'], { env: aliceEnv });
    assert.equal(list.code, 0, describeResult(list));
    assert.match(list.stdout, new RegExp(`^${sid}\\s+ssh\\s+alice, bob\\s+node1\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\s*$`, 'm'));

    const json = await procs.tsh(['play', sid, '--format', 'json'], { env: aliceEnv });
    assert.equal(json.code, 0, describeResult(json));
    assert.equal(json.stderr, '', 'the recording is complete');
    const events = json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PlayedEvent);
    const output = events.filter((e) => e.code === 'o').map((e) => e.data).join('');
    assert.match(output, /[\r\n]42\r\n/);
    assert.match(output, /[\r\n]live-5\r\n/);
    assert.equal(output, received, 'the recording holds exactly what Alice\'s terminal received');

    const pty = await procs.tsh(['play', sid, '--speed', '100'], { env: aliceEnv });
    assert.equal(pty.code, 0, describeResult(pty));
    assert.equal(pty.stdout, output, 'the pty replay writes the recorded output bytes');
  });
});
