/**
 * @module tool/tsh/recordings.test
 * `tsh recordings ls` against a real in-process auth server over mutual TLS, with session.end events
 * in its MemoryAuditLog: newest first, only the --since window, sessions without a recording left
 * out, the table columns, --format=json, --limit across pages, and flag errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { FakeClock } from '@teleport-ts/api/clock';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import { privateKeyToPEM } from '@teleport-ts/api/keys';
import { addUser, newTestAuthServer, newTestKeys, type TestAuth, startTestAuthTLS } from '../../auth/testAuthServer.ts';
import type { AuthTLSServer } from '../../auth/tlsServer.ts';
import { newProgram, runProgram, type CLIIO } from '../common/cli.ts';
import { listRecordedSessions, registerRecordingsCommands } from './recordings.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

let t: TestAuth;
let server: AuthTLSServer;
let alice: AuthClient;

async function tsh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io: CLIIO = { stdout: new Capture(), stderr: new Capture(), stdin: Readable.from([]), env: {} };
  const program = newProgram('tsh', 'test', io);
  registerRecordingsCommands(program, io, async () => alice, { now: () => t.clock.now() });
  const code = await runProgram(program, args, io);
  return { code, stdout: (io.stdout as Capture).text, stderr: (io.stderr as Capture).text };
}

async function sessionEnd(sid: string, fields: Partial<AuditEvent> = {}): Promise<void> {
  await t.audit.emit({
    event: EventTypes.sessionEnd, code: EventCodes.sessionEnd, sid, user: 'alice', login: 'root', proto: 'ssh',
    server_hostname: 'node-1', participants: ['alice'], session_recording: 'node', interactive: true, ...fields,
  });
}

before(async () => {
  t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
  server = await startTestAuthTLS(t.auth, randomUUID());
  await addUser(t, 'alice', ['access'], { traits: { logins: ['root'] } });
  const keys = newTestKeys();
  const certs = await t.auth.generateUserCerts(await t.services.users.getUser('alice'), { tlsPublicKey: keys.tlsPublicKey });
  alice = new AuthClient({ addr: `127.0.0.1:${server.address.port}`, certPEM: certs.tlsCert, keyPEM: privateKeyToPEM(keys.pair.privateKey), caCerts: certs.tlsCACerts, timeoutMs: 10_000 });

  await sessionEnd('old-session');
  t.clock.advance(25 * 3600_000); // "old-session" is now 25h old
  await sessionEnd('s-1');
  t.clock.advance(60_000);
  await t.audit.emit({ event: EventTypes.sessionStart, code: EventCodes.sessionStart, sid: 's-2', user: 'bob' });
  await sessionEnd('s-2', { user: 'bob', participants: ['bob', 'alice'], server_hostname: 'db-host' });
  t.clock.advance(60_000);
  await sessionEnd('not-recorded', { session_recording: 'off' });
  await sessionEnd('s-3', { proto: 'kube', server_hostname: undefined, participants: undefined, user: 'carol' });
});

after(async () => {
  await server.close();
});

describe('tsh recordings ls', () => {
  it('lists recorded sessions of the last 24h, newest first, in upstream\'s columns', async () => {
    const res = await tsh(['recordings', 'ls']);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID +Type +Participants +Hostname +Timestamp$/);
    assert.match(lines[1] ?? '', /^-+ -+ -+ -+ -+$/);
    assert.deepEqual(lines.slice(2).map((l) => l.split(' ')[0]), ['s-3', 's-2', 's-1']);
    assert.match(lines[2] ?? '', /^s-3 +kube +carol +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(lines[3] ?? '', /^s-2 +ssh +bob, alice +db-host +\d{4}-/);
    assert.equal(res.stdout.includes('not-recorded'), false);
    assert.equal(res.stdout.includes('old-session'), false);
  });

  it('reaches further back with --since and prints the events with --format=json', async () => {
    const res = await tsh(['recordings', 'ls', '--since=48h', '--format=json']);
    assert.equal(res.code, 0, res.stderr);
    const events = JSON.parse(res.stdout) as AuditEvent[];
    assert.deepEqual(events.map((e) => e.sid), ['s-3', 's-2', 's-1', 'old-session']);
    assert.ok(events.every((e) => e.event === 'session.end' && e.code === 'T2004I' && e.cluster_name === 'example.com'));
  });

  it('honours --limit, following search pages', async () => {
    const res = await tsh(['recordings', 'ls', '--limit=2', '--format=json']);
    assert.deepEqual((JSON.parse(res.stdout) as AuditEvent[]).map((e) => e.sid), ['s-3', 's-2']);
    let calls = 0;
    const paged = await listRecordedSessions({
      searchEvents: async () => ({ events: [{ event: 'session.end', sid: `p${++calls}`, code: 'T2004I', uid: 'u', time: '2026-01-01T00:00:00.000Z', cluster_name: 'c' }], lastKey: 'k' }),
    }, { from: new Date(0), to: new Date(), limit: 3 });
    assert.deepEqual(paged.map((e) => e.sid), ['p1', 'p2', 'p3']);
  });

  it('refuses bad flags with a hint', async () => {
    assert.match((await tsh(['recordings', 'ls', '--since=yesterday'])).stderr, /invalid --since "yesterday": use a number with a unit/);
    assert.match((await tsh(['recordings', 'ls', '--format=yaml'])).stderr, /--format must be "text" or "json"/);
    assert.match((await tsh(['recordings', 'ls', '--limit=0'])).stderr, /--limit must be a positive integer/);
  });
});
