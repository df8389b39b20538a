/**
 * @module srv/ssh/pty.test
 * Interactive sessions driven like a person would: the real OpenSSH client (`ssh -tt`) runs on a
 * pseudo-terminal of its own (node-pty), we type into it and read the screen. Covers the shell,
 * window changes, joining a running session as peer and observer (TELEPORT_SESSION), the session
 * tracker, the audit trail and the uploaded recording.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pty from 'node-pty';
import type { IPty } from 'node-pty';
import { EventCodes } from '@teleport-ts/api/events/codes';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import {
  addRole, addUserWithCert, canRunNodeTests, eventually, OSUsers, sshArgs, startNodeTestEnv, type NodeTestEnv, type UserCreds,
} from './testkit.ts';

/** An OpenSSH client on its own terminal. */
class Terminal {
  private readonly term: IPty;
  screen = '';
  readonly exited: Promise<number>;

  constructor(args: string[]) {
    this.term = pty.spawn('ssh', ['-tt', ...args], { name: 'xterm', cols: 80, rows: 24, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    this.term.onData((d) => (this.screen += d));
    this.exited = new Promise((resolve) => this.term.onExit((e) => resolve(e.exitCode)));
  }

  type(text: string): void {
    this.term.write(text);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  /** Waits until the screen (after `from`) matches `re`; returns the match. */
  async expect(re: RegExp, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + 8000;
    for (;;) {
      const m = re.exec(this.screen.slice(from));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(re)} on screen; screen so far:\n${JSON.stringify(this.screen)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kill(): void {
    try {
      this.term.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

describe('node service: interactive sessions', { skip: !canRunNodeTests && 'needs root and the OpenSSH client' }, () => {
  let env: NodeTestEnv;
  const users = new OSUsers();
  const terminals: Terminal[] = [];
  let login: string;
  let alice: UserCreds;
  let bob: UserCreds;
  let mallory: UserCreds;
  let malloryLogin: string;

  before(async () => {
    env = await startNodeTestEnv();
    login = users.create('pt');
    await addRole(env, 'node-access', { allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
    alice = await addUserWithCert(env, 'alice', ['node-access'], [login]);
    bob = await addUserWithCert(env, 'bob', ['node-access'], [login]);
    malloryLogin = users.create('ml');
    mallory = await addUserWithCert(env, 'mallory', ['node-access'], [malloryLogin]);
  });
  after(async () => {
    for (const t of terminals) t.kill();
    await env?.close();
    users.cleanup();
  });

  const open = (creds: UserCreds, as: string, options: string[] = []): Terminal => {
    const t = new Terminal(sshArgs(env, creds, as, options));
    terminals.push(t);
    return t;
  };

  test('a shell with a terminal: typing, window changes, joining, tracker, audit and recording', async () => {
    const a = open(alice, login);
    a.type('echo $((6*7))\r');
    await a.expect(/[\r\n]42\r\n/);
    a.type('stty size\r');
    await a.expect(/[\r\n]24 80\r\n/);
    const mark = a.screen.length;
    a.resize(100, 40);
    a.type('stty size; echo SID=$TELEPORT_SESSION\r');
    await a.expect(/[\r\n]40 100\r\n/, mark);
    const sid = (await a.expect(/SID=([0-9a-f-]{36})/, mark))[1] as string;

    // Bob joins as a peer: he sees Alice's output, and his input reaches the shell.
    const b = open(bob, login, ['-o', `SetEnv=TELEPORT_SESSION=${sid}`]);
    await env.waitEvent(EventCodes.sessionJoin, (e) => e.sid === sid && e.user === 'bob');
    a.type('echo joined-$((1+1))\r');
    await b.expect(/joined-2/);
    b.type('echo from-peer-$((2+3))\r');
    await a.expect(/from-peer-5/);

    // An observer sees output but cannot type.
    const o = open(bob, login, ['-o', `SetEnv=TELEPORT_SESSION=${sid} TELEPORT_PARTICIPANT_MODE=observer`]);
    await env.waitEvent(EventCodes.sessionJoin, (e) => e.sid === sid && e.participant_mode === 'observer');
    o.type('echo observer-$((3+4))\r');
    a.type('echo after-observer\r');
    await o.expect(/after-observer/);
    assert.doesNotMatch(a.screen, /observer-7/);

    const tracker = await eventually(async () => {
      const t = (await listTrackers(env)).find((s) => s.metadata.name === sid);
      return t && t.spec.participants.length === 3 ? t : undefined;
    }, 'the tracker to list three participants');
    assert.equal(tracker.spec.login, login);
    assert.equal(tracker.spec.host_user, 'alice');
    assert.equal(tracker.spec.interactive, true);
    assert.equal(tracker.spec.target_id, env.hostId);

    a.type('exit 5\r');
    assert.equal(await a.exited, 5);
    assert.equal(await b.exited, 5);
    await o.exited;

    const end = await env.waitEvent(EventCodes.sessionEnd, (e) => e.sid === sid);
    assert.deepEqual([...(end.participants as string[])].sort(), ['alice', 'bob']);
    assert.equal(end.interactive, true);
    assert.equal(end.session_recording, 'node');
    const start = await env.waitEvent(EventCodes.sessionStart, (e) => e.sid === sid);
    assert.equal(start.size, '80x24');
    await env.waitEvent(EventCodes.sessionResize, (e) => e.sid === sid && e.size === '100x40');
    await env.waitEvent(EventCodes.sessionLeave, (e) => e.sid === sid);
    await eventually(async () => !(await listTrackers(env)).some((s) => s.metadata.name === sid), 'the tracker to be deleted');

    const rec = await eventually(async () => {
      const meta = await env.t.auth.recordings.getMeta(sid).catch(() => undefined);
      return meta?.complete ? (await env.t.auth.recordings.read(sid, 0, 1 << 24)) : undefined;
    }, 'the recording to be uploaded');
    const text = Buffer.from(rec.data).toString();
    assert.match(text.split('\n')[0] ?? '', /"version":\s*2/);
    assert.match(text, /\[[\d.]+, "o", "[^"]*42/);
    assert.match(text, /\[[\d.]+, "r", "100x40"\]/);
  });

  test('joining needs a live session and access to its login', async () => {
    const a = open(alice, login);
    a.type('echo SID=$TELEPORT_SESSION\r');
    const sid = (await a.expect(/SID=([0-9a-f-]{36})/))[1] as string;
    const missing = open(bob, login, ['-o', 'SetEnv=TELEPORT_SESSION=00000000-0000-4000-8000-000000000000']);
    await missing.expect(/session 00000000-0000-4000-8000-000000000000 is not running on node1/);
    // Mallory may log in (as her own login) but not as the session's login.
    const m = open(mallory, malloryLogin, ['-o', `SetEnv=TELEPORT_SESSION=${sid}`]);
    await m.expect(/access denied to .*@node1/);
    a.type('exit\r');
    await a.exited;
  });
});

async function listTrackers(env: NodeTestEnv): Promise<SessionTracker[]> {
  return env.authClient.listResources<SessionTracker>('session_tracker');
}
