/**
 * @module tool/tsh/play.test
 * `tsh play`: timing scaled by --speed with pauses capped (injected sleep), --format=json, paging,
 * incomplete and missing recordings, and the whole path - a session recorded by SessionRecorder
 * through a RecordingSpool into a real in-process auth server over mutual TLS, replayed by its
 * participant byte-identical (UTF-8 split across reads, ANSI escapes, \r\n) and refused to others.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { encodeEvent, encodeHeader, encodeOutput } from '@teleport-ts/api/asciicast/index';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { FakeClock } from '@teleport-ts/api/clock';
import { NotFoundError } from '@teleport-ts/api/errors';
import { privateKeyToPEM } from '@teleport-ts/api/keys';
import { addUser, newTestAuthServer, newTestKeys, type TestAuth, startTestAuthTLS } from '../../auth/testAuthServer.ts';
import type { AuthTLSServer } from '../../auth/tlsServer.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { SessionRecorder } from '../../srv/recording/recorder.ts';
import { RecordingSpool } from '../../srv/recording/spool.ts';
import { newProgram, runProgram, type CLIIO } from '../common/cli.ts';
import { registerPlayCommand, type PlayDeps, type RecordingReader } from './play.ts';

/** A writable that keeps every byte. */
class Capture extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  get text(): string {
    return this.bytes.toString('utf8');
  }
}

/** A RecordingReader over bytes in memory. */
function memoryReader(recording: string | Uint8Array, complete = true): RecordingReader & { calls: number } {
  const data = typeof recording === 'string' ? encodeOutput(recording) : recording;
  const reader = {
    calls: 0,
    async getRecording(req: { sessionId: string; offset?: number; limit?: number }) {
      reader.calls++;
      if (req.sessionId !== 'sid') throw new NotFoundError(`recording of session ${req.sessionId} not found`);
      const offset = req.offset ?? 0;
      return { data: data.slice(offset, offset + (req.limit || data.length)), size: data.length, complete };
    },
  };
  return reader;
}

async function play(reader: () => Promise<RecordingReader>, args: string[], deps: PlayDeps = {}) {
  const io: CLIIO = { stdout: new Capture(), stderr: new Capture(), stdin: Readable.from([]), env: {} };
  const program = newProgram('tsh', 'test', io);
  registerPlayCommand(program, io, reader, deps);
  const code = await runProgram(program, ['play', ...args], io);
  return { code, stdout: io.stdout as Capture, stderr: (io.stderr as Capture).text };
}

const head = encodeHeader({ width: 80, height: 24, timestamp: 1767225600 });
const timed = head + encodeEvent(0.5, 'o', 'a') + encodeEvent(1, 'r', '90x30') + encodeEvent(2.5, 'o', 'b') + encodeEvent(32.5, 'o', 'c') + encodeEvent(32.5, 'o', 'd');

describe('tsh play (recording in memory)', () => {
  it('keeps the recorded pauses, scaled by --speed, and caps long idle gaps', async () => {
    const sleeps: number[] = [];
    const res = await play(async () => memoryReader(timed), ['sid', '--speed', '2'], { sleep: async (ms) => void sleeps.push(ms) });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.text, 'abcd');
    assert.deepEqual(sleeps, [250, 1000, 5000]); // 0.5s, 2s, then 30s idle capped at 10s; all halved
  });

  it('cuts pauses to 1s with --skip-idle and honours the header\'s idle_time_limit', async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number): Promise<void> => void sleeps.push(ms);
    await play(async () => memoryReader(timed), ['sid', '--skip-idle'], { sleep });
    assert.deepEqual(sleeps, [500, 1000, 1000]);
    sleeps.length = 0;
    await play(async () => memoryReader(timed.replace('"timestamp": 1767225600', '"timestamp": 1767225600, "idle_time_limit": 1.5')), ['sid'], { sleep });
    assert.deepEqual(sleeps, [500, 1500, 1500]);
  });

  it('prints the events as JSON lines with --format=json, reading in small pages', async () => {
    const reader = memoryReader(timed);
    const res = await play(async () => reader, ['sid', '--format=json'], { sleep: async () => assert.fail('json must not wait'), pageBytes: 7 });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.stdout.text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown), [
      { time: 0.5, code: 'o', data: 'a' }, { time: 1, code: 'r', data: '90x30' }, { time: 2.5, code: 'o', data: 'b' },
      { time: 32.5, code: 'o', data: 'c' }, { time: 32.5, code: 'o', data: 'd' },
    ]);
    assert.ok(reader.calls > 20);
  });

  it('plays what there is of an incomplete recording and says so', async () => {
    const partial = timed.slice(0, timed.indexOf('[32.5') + 4);
    const res = await play(async () => memoryReader(partial, false), ['sid', '--format=json']);
    assert.equal(res.code, 0);
    assert.equal(res.stdout.text.trimEnd().split('\n').length, 3);
    assert.match(res.stderr, /^WARNING: the recording of session sid is incomplete/);
  });

  it('says how to find session IDs when there is no such recording, and checks flags', async () => {
    const res = await play(async () => memoryReader(timed), ['nope']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^ERROR: no recording of session nope: check the ID with "tsh recordings ls"\n$/);
    assert.match((await play(async () => memoryReader(timed), ['sid', '--speed', '0'])).stderr, /--speed must be a positive number/);
    assert.match((await play(async () => memoryReader(timed), ['sid', '--format', 'yaml'])).stderr, /--format must be "pty" or "json"/);
  });
});

describe('tsh play (recorded through a real auth server)', () => {
  let t: TestAuth;
  let server: AuthTLSServer;
  let node: AuthClient;
  let dir: string;
  const addr = (): string => `127.0.0.1:${server.address.port}`;

  async function userClient(name: string): Promise<AuthClient> {
    const keys = newTestKeys();
    const certs = await t.auth.generateUserCerts(await t.services.users.getUser(name), { tlsPublicKey: keys.tlsPublicKey });
    return new AuthClient({ addr: addr(), certPEM: certs.tlsCert, keyPEM: privateKeyToPEM(keys.pair.privateKey), caCerts: certs.tlsCACerts, timeoutMs: 10_000 });
  }

  before(async () => {
    // Real TLS checks validity against the wall clock, so the fake clock starts at the real time.
    t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
    const hostId = randomUUID();
    server = await startTestAuthTLS(t.auth, hostId);
    const id = await issueLocalIdentity(t.auth, { hostId: randomUUID(), nodeName: 'node-1', role: 'Node', algorithm: 'ecdsa-p256' });
    node = new AuthClient({ addr: addr(), certPEM: id.certPEM, keyPEM: id.keyPEM, caCerts: id.tlsCACerts, timeoutMs: 10_000 });
    await addUser(t, 'alice', ['access'], { traits: { logins: ['alice'] } });
    await addUser(t, 'bob', ['access'], { traits: { logins: ['bob'] } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'tsh-play-'));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('replays the session byte-identical to its participant and refuses others', async () => {
    const sid = randomUUID();
    const spool = await RecordingSpool.create({ dir, sessionId: sid, participants: ['alice'], upload: (c) => node.uploadRecordingChunk(c), maxChunkBytes: 64 });
    const clock = new FakeClock(Date.now());
    const rec = new SessionRecorder({ sessionId: sid, width: 80, height: 24, clock, spool, env: { TERM: 'xterm-256color' } });
    const original = encodeOutput([
      '\x1b[?2004h\x1b]0;alice@node-1: ~\x07\x1b[01;32malice@node-1\x1b[00m:\x1b[01;34m~\x1b[00m$ ',
      'ls -l\r\n', 'total 0\r\n-rw-r--r-- 1 alice alice 0 Jan  1 00:00 héllo-日本語-🚀.txt\r\n',
      '\x1b[?1049h\x1b[H\x1b[2J\x1b[1;1H~\r\n\x1b[7m-- INSERT --\x1b[27m\x1b[?1049l', 'exit\r\nlogout\r\n',
    ].join(''));
    // Odd-sized reads split the multi-byte characters and escape sequences.
    for (let i = 0, n = 1; i < original.length; i += n, n = (n % 7) + 1) {
      clock.advance(37);
      await rec.output(original.subarray(i, i + n));
      if (i === 50) await rec.resize(120, 40);
    }
    await rec.close();
    await spool.uploaded;

    const sleeps: number[] = [];
    const res = await play(() => userClient('alice'), [sid, '--speed=4'], { sleep: async (ms) => void sleeps.push(ms) });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    assert.ok(res.stdout.bytes.equals(original), 'replay differs from the original output');
    assert.ok(sleeps.length > 0 && sleeps.every((ms) => ms > 0 && ms <= 37 * 7 / 4 + 1e-9), `unexpected pauses ${sleeps.join(',')}`);

    const denied = await play(() => userClient('bob'), [sid]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^ERROR: .*access denied/i);
  });
});
