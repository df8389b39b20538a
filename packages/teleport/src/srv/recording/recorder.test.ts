/**
 * @module srv/recording/recorder.test
 * SessionRecorder: the asciicast it writes (header, relative times from a FakeClock, resize events),
 * UTF-8 split across reads kept whole, failures surfaced for strict callers, and the whole path
 * through a RecordingSpool to an auth store, parsed back byte-identical.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeOutput, parseAsciicast } from '@teleport-ts/api/asciicast/index';
import { FakeClock } from '@teleport-ts/api/clock';
import { MemoryRecordingStore } from '../../events/memoryRecordingStore.ts';
import { SessionRecorder } from './recorder.ts';
import { RecordingSpool, type RecordingSink } from './spool.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A sink that keeps the text, and can be told to fail. */
class MemorySink implements RecordingSink {
  text = '';
  closed = false;
  fail: Error | undefined;
  async append(data: Uint8Array): Promise<void> {
    if (this.fail) throw this.fail;
    this.text += new TextDecoder().decode(data);
  }
  async close(): Promise<void> {
    if (this.fail) throw this.fail;
    this.closed = true;
  }
}

const start = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

describe('SessionRecorder', () => {
  it('writes the header and events with times relative to the start', async () => {
    const clock = new FakeClock(start);
    const sink = new MemorySink();
    const rec = new SessionRecorder({ sessionId: 's', width: 80, height: 24, clock, spool: sink, env: { TERM: 'xterm' } });
    await rec.output(new TextEncoder().encode('$ ls\r\n'));
    clock.advance(1500);
    await rec.resize(80, 24); // unchanged: not recorded
    await rec.resize(100, 30);
    clock.advance(250);
    await rec.output('done\r\n');
    await rec.close();
    await rec.output('after close');
    assert.equal(sink.text, [
      '{"version": 2, "width": 80, "height": 24, "timestamp": 1767268800, "env": {"TERM": "xterm"}}',
      '[0.000000, "o", "$ ls\\r\\n"]',
      '[1.500000, "r", "100x30"]',
      '[1.750000, "o", "done\\r\\n"]',
      '',
    ].join('\n'));
    assert.ok(sink.closed);
  });

  it('keeps a character split across reads whole and never goes back in time', async () => {
    const clock = new FakeClock(start);
    const sink = new MemorySink();
    const rec = new SessionRecorder({ sessionId: 's', width: 80, height: 24, clock, spool: sink });
    const bytes = encodeOutput('日本');
    await rec.output(bytes.subarray(0, 2));
    clock.advance(100);
    await rec.output(bytes.subarray(2, 4));
    clock.advance(-50_000);
    await rec.output(bytes.subarray(4));
    await rec.output(Uint8Array.of(0xe6)); // a truncated character at the very end
    await rec.close();
    const events = parseAsciicast(sink.text).events;
    assert.deepEqual(events.map((e) => [e.time, e.data]), [[0.1, '日'], [0.1, '本'], [0.1, '\ufffd']]);
  });

  it('reports a failing sink to strict callers, on output and on close', async () => {
    const sink = new MemorySink();
    const rec = new SessionRecorder({ sessionId: 's', width: 80, height: 24, clock: new FakeClock(start), spool: sink });
    sink.fail = new Error('disk full');
    await assert.rejects(rec.output('x'), /disk full/);
    await assert.rejects(rec.close(), /disk full/);
  });

  it('records through a spool to auth storage, replaying byte-identical', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recorder-'));
    dirs.push(dir);
    const store = new MemoryRecordingStore();
    const spool = await RecordingSpool.create({
      dir, sessionId: 'sess-1', participants: ['alice'],
      upload: async (c) => store.append(c.sessionId, c.offset, c.data),
    });
    const clock = new FakeClock(start);
    const rec = new SessionRecorder({ sessionId: 'sess-1', width: 80, height: 24, clock, spool });
    const original = encodeOutput('\x1b[1;32mgreen\x1b[0m\r\nhé日🚀\r\n\ufeffbom\x07');
    for (let i = 0; i < original.length; i += 3) {
      clock.advance(10);
      void rec.output(original.subarray(i, i + 3)); // best effort: not awaited
    }
    await rec.close();
    await spool.uploaded;
    const cast = parseAsciicast((await store.read('sess-1', 0, 1 << 20)).data);
    assert.equal(cast.header.width, 80);
    const replay = Buffer.concat(cast.events.filter((e) => e.code === 'o').map((e) => encodeOutput(e.data)));
    assert.deepEqual(new Uint8Array(replay), original);
  });
});
