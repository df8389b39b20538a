/**
 * @module events/fileLog.test
 * Runs the AuditLog contract against the file log, plus what only files have: the on-disk format,
 * permissions, durability at resolve time, group commit, reopening and torn-line recovery.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakeClock } from '@teleport-ts/api/clock';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import { runAuditLogSuite, SUITE_CLUSTER_NAME } from './auditLogSuite.ts';
import { FileAuditLog } from './fileLog.ts';
import type { Logger } from '../utils/logger.ts';
import { roleCreatedEvent, userLoginEvent } from './newEvent.ts';

const root = mkdtempSync(join(tmpdir(), 'auditlog-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `log${n++}`, 'audit', 'events');

const DAY = 24 * 60 * 60 * 1000;
const START = Date.UTC(2026, 0, 1, 10, 0, 0);
const all = { from: new Date(START - DAY), to: new Date(START + 30 * DAY) };

/** A logger that keeps warnings so tests can assert on them. */
function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

const login = (user: string): ReturnType<typeof userLoginEvent> => userLoginEvent({ user, method: 'local', success: true });

runAuditLogSuite('file', async (clock) => FileAuditLog.open({ dir: freshDir(), clusterName: SUITE_CLUSTER_NAME, clock }));

describe('FileAuditLog', () => {
  it('writes daily JSON-lines files named by the event UTC date', async () => {
    const dir = freshDir();
    const clock = new FakeClock(START);
    const log = await FileAuditLog.open({ dir, clusterName: 'c', clock });
    for (let d = 0; d < 3; d++) {
      await log.emit(login(`day${d}-a`));
      await log.emit(roleCreatedEvent({ user: `day${d}`, name: 'r' }));
      clock.advance(DAY);
    }
    // An event stamped just before midnight UTC goes to that day's file.
    await log.emit({ ...login('late'), time: '2026-01-02T23:59:59.999Z' });
    await log.close();
    assert.deepEqual(readdirSync(dir).sort(), ['2026-01-01.log', '2026-01-02.log', '2026-01-03.log']);
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      assert.ok(text.endsWith('\n'));
      const events = text.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEvent);
      assert.equal(events.length, name === '2026-01-02.log' ? 3 : 2);
      for (const e of events) {
        assert.equal(e.time.slice(0, 10), name.slice(0, 10));
        assert.deepEqual(Object.keys(e).slice(0, 5), ['event', 'code', 'uid', 'time', 'cluster_name']);
      }
    }
  });

  it('creates the directory 0700 and files 0600', async () => {
    const dir = freshDir();
    const log = await FileAuditLog.open({ dir, clusterName: 'c', clock: new FakeClock(START) });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    await log.emit(login('a'));
    await log.close();
    assert.equal(statSync(join(dir, '2026-01-01.log')).mode & 0o777, 0o600);
  });

  it('has the line in the file as soon as emit resolves', async () => {
    const dir = freshDir();
    const log = await FileAuditLog.open({ dir, clusterName: 'c', clock: new FakeClock(START) });
    const file = join(dir, '2026-01-01.log');
    for (let i = 0; i < 5; i++) {
      const e = await log.emit(login(`u${i}`));
      assert.ok(readFileSync(file, 'utf8').includes(`"uid":"${e.uid}"`));
    }
    const batch = Array.from({ length: 20 }, (_, i) => log.emit(login(`c${i}`)).then((e) => {
      assert.ok(readFileSync(file, 'utf8').includes(`"uid":"${e.uid}"`), 'resolved before the line was written');
    }));
    await Promise.all(batch);
    await log.close();
  });

  it('group-commits concurrent emits into few write+fsync rounds without interleaving', async () => {
    const dir = freshDir();
    const log = await FileAuditLog.open({ dir, clusterName: 'c', clock: new FakeClock(START) });
    const big = 'x'.repeat(50_000);
    const emitted = await Promise.all(Array.from({ length: 100 }, (_, i) => log.emit({ ...login(`u${i}`), payload: big })));
    const stats = log.stats();
    assert.equal(stats.events, 100);
    assert.ok(stats.batches <= 2, `expected at most 2 batches, got ${stats.batches}`);
    await log.close();
    const lines = readFileSync(join(dir, '2026-01-01.log'), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 100);
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as AuditEvent).uid), emitted.map((e) => e.uid));
  });

  it('survives reopening: old events stay searchable, cursors stay valid, new ones append', async () => {
    const dir = freshDir();
    const clock = new FakeClock(START);
    const first = await FileAuditLog.open({ dir, clusterName: 'c', clock });
    for (let i = 0; i < 4; i++) await first.emit({ ...login(`a${i}`), n_index: i });
    const page = await first.search({ ...all, limit: 2 });
    await first.close();

    const second = await FileAuditLog.open({ dir, clusterName: 'c', clock });
    assert.equal((await second.search(all)).events.length, 4);
    assert.ok(page.lastKey);
    const rest = await second.search({ ...all, startKey: page.lastKey });
    assert.deepEqual(rest.events.map((e) => e.n_index), [2, 3]);
    await second.emit({ ...login('b'), n_index: 4 });
    assert.deepEqual((await second.search(all)).events.map((e) => e.n_index), [0, 1, 2, 3, 4]);
    await second.close();
  });

  it('skips a torn last line with a warning and appends the next event on a new line', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, '2026-01-01.log');
    const good = { event: 'user.login', code: 'T1000I', uid: 'u-1', time: '2026-01-01T09:00:00.000Z', cluster_name: 'c', user: 'a' };
    const torn = '{"event":"user.login","code":"T10';
    writeFileSync(file, JSON.stringify(good) + '\n' + torn, { mode: 0o600 });

    const { logger, lines } = captureLogger();
    const log = await FileAuditLog.open({ dir, clusterName: 'c', clock: new FakeClock(START), logger });
    assert.deepEqual((await log.search(all)).events, [good]);
    assert.ok(lines.some((l) => l.msg === 'skipping unreadable audit log line' && l.torn === true && l.line === 2));

    const fresh = await log.emit(login('b'));
    assert.ok(lines.some((l) => String(l.msg).includes('torn line')));
    const fileLines = readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(fileLines, [JSON.stringify(good), torn, JSON.stringify(fresh), '']);
    assert.deepEqual((await log.search(all)).events, [good, fresh]);
    await log.close();
  });

  it('reads only the day files inside the searched range', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, '2025-06-01.log'), 'garbage\n', { mode: 0o600 });
    writeFileSync(join(dir, 'README.txt'), 'not a day file\n');
    const { logger, lines } = captureLogger();
    const log = await FileAuditLog.open({ dir, clusterName: 'c', clock: new FakeClock(START), logger });
    await log.emit(login('a'));
    assert.equal((await log.search(all)).events.length, 1);
    assert.equal(lines.length, 0, 'an out-of-range file was read');
    await log.search({ from: new Date(Date.UTC(2025, 0, 1)), to: all.to });
    assert.equal(lines.length, 1);
    await log.close();
  });

  it('rejects emits it could not write and keeps serving later ones', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, '2026-01-01.log'), { recursive: true });
    const clock = new FakeClock(START);
    const log = await FileAuditLog.open({ dir, clusterName: 'c', clock });
    await assert.rejects(log.emit(login('a')), ConnectionProblemError);
    clock.advance(DAY);
    const ok = await log.emit(login('b'));
    assert.deepEqual((await log.search({ from: new Date(START + DAY - 1), to: all.to })).events, [ok]);
    await log.close();
  });

  it('searches an empty or missing directory without error', async () => {
    const log = new FileAuditLog({ dir: freshDir(), clusterName: 'c', clock: new FakeClock(START) });
    assert.deepEqual(await log.search(all), { events: [] });
    await log.close();
  });
});
