/**
 * @module srv/recording/spool.test
 * RecordingSpool against an in-memory auth store with the same upload semantics as the auth API:
 * a plain upload, auth failing N times (backoff capped, nothing lost), a "resend from N" gap, a
 * spool stopped mid-way and a crash snapshot both completed byte-identical by resumePending.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AlreadyExistsError, BadParameterError, CompareFailedError, ConnectionProblemError } from '@teleport-ts/api/errors';
import { MemoryRecordingStore } from '../../events/memoryRecordingStore.ts';
import { RecordingSpool, resumePending, type Sleep, type UploadChunk, type UploadFn } from './spool.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'spool-'));
  dirs.push(d);
  return d;
}

/** An auth stand-in: MemoryRecordingStore plus the meta rule of AuthWithRoles.uploadRecordingChunk. */
function fakeAuth(store = new MemoryRecordingStore()): { store: MemoryRecordingStore; calls: UploadChunk[]; upload: UploadFn } {
  const calls: UploadChunk[] = [];
  return {
    store, calls,
    upload: async (c) => {
      calls.push({ ...c, data: Uint8Array.from(c.data) });
      const size = await store.append(c.sessionId, c.offset, c.data);
      if (c.offset === 0 || c.final) await store.setMeta({ sessionId: c.sessionId, participants: c.participants, complete: c.final });
      return size;
    },
  };
}

/** Fails the first `n` calls as if auth were unreachable. */
function failing(upload: UploadFn, n: number): UploadFn {
  let left = n;
  return async (c) => {
    if (left-- > 0) throw new ConnectionProblemError('connect ECONNREFUSED 127.0.0.1:3025');
    return upload(c);
  };
}

/** A Sleep that records the delays and yields one macrotask instead of waiting. */
function fastSleep(): { sleep: Sleep; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => {
    delays.push(ms);
    await new Promise((r) => setImmediate(r));
  } };
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const stored = async (store: MemoryRecordingStore, sid: string): Promise<string> => Buffer.from((await store.read(sid, 0, 1 << 20)).data).toString();

describe('RecordingSpool', () => {
  it('uploads everything, marks it complete with the participants, and deletes its files', async () => {
    const dir = await tempDir();
    const auth = fakeAuth();
    const spool = await RecordingSpool.create({ dir, sessionId: 's1', upload: auth.upload, participants: ['alice'] });
    assert.deepEqual((await readdir(dir)).sort(), ['s1.cast.part', 's1.offset']);
    await spool.append(bytes('{"version": 2}\n'));
    spool.addParticipant('bob');
    await spool.append(bytes('[0.1, "o", "hi"]\n'));
    await spool.close();
    await spool.uploaded;
    assert.equal(await stored(auth.store, 's1'), '{"version": 2}\n[0.1, "o", "hi"]\n');
    assert.deepEqual(await auth.store.getMeta('s1'), { sessionId: 's1', participants: ['alice', 'bob'], complete: true });
    assert.equal(auth.calls.filter((c) => c.final).length, 1);
    assert.deepEqual(await readdir(dir), []);
    await assert.rejects(spool.append(bytes('late')), BadParameterError);
  });

  it('splits large data into chunks and sends final only with the last', async () => {
    const auth = fakeAuth();
    const spool = await RecordingSpool.create({ dir: await tempDir(), sessionId: 's2', upload: auth.upload, maxChunkBytes: 10 });
    await spool.append(bytes('x'.repeat(35)));
    await spool.close();
    await spool.uploaded;
    // Where chunks split depends on whether the background upload ran before close(); the contract
    // is: no chunk over the limit, contiguous offsets, all bytes once, and one final chunk, last.
    const calls = auth.calls;
    assert.ok(calls.every((c) => c.data.length <= 10), 'no chunk exceeds maxChunkBytes');
    let offset = 0;
    for (const c of calls) {
      assert.equal(c.offset, offset);
      offset += c.data.length;
    }
    assert.equal(Buffer.concat(calls.map((c) => Buffer.from(c.data))).toString(), 'x'.repeat(35));
    assert.deepEqual(calls.map((c) => c.final), [...calls.slice(0, -1).map(() => false), true]);
  });

  it('loses nothing while auth is down, backing off up to the cap', async () => {
    const auth = fakeAuth();
    const { sleep, delays } = fastSleep();
    const spool = await RecordingSpool.create({ dir: await tempDir(), sessionId: 's3', upload: failing(auth.upload, 8), sleep, maxBackoffMs: 2000 });
    let want = '';
    for (let i = 0; i < 50; i++) {
      const line = `[${i}, "o", "line ${i}"]\n`;
      want += line;
      await spool.append(bytes(line));
    }
    await spool.close();
    await spool.uploaded;
    assert.equal(await stored(auth.store, 's3'), want);
    assert.deepEqual(delays, [250, 500, 1000, 2000, 2000, 2000, 2000, 2000]);
  });

  it('refuses a second spool for the same session and invalid session ids', async () => {
    const dir = await tempDir();
    const auth = fakeAuth();
    const first = await RecordingSpool.create({ dir, sessionId: 's4', upload: auth.upload });
    await assert.rejects(RecordingSpool.create({ dir, sessionId: 's4', upload: auth.upload }), AlreadyExistsError);
    await assert.rejects(RecordingSpool.create({ dir, sessionId: '../etc', upload: auth.upload }), BadParameterError);
    await first.close();
    await first.uploaded;
  });

  it('fails for good when auth holds more than the spool (someone else wrote this session)', async () => {
    const auth = fakeAuth();
    await auth.store.append('s5', 0, bytes('somebody else\'s recording'));
    const dir = await tempDir();
    const spool = await RecordingSpool.create({ dir, sessionId: 's5', upload: auth.upload });
    await spool.append(bytes('mine'));
    await spool.close();
    await assert.rejects(spool.uploaded, CompareFailedError);
    assert.deepEqual((await readdir(dir)).sort(), ['s5.cast.part', 's5.offset']);
  });
});

describe('resumePending', () => {
  it('completes a spool stopped mid-way, byte-identical, with its participants', async () => {
    const dir = await tempDir();
    const auth = fakeAuth();
    let allow = 2; // auth takes two chunks, then goes away
    const upload: UploadFn = async (c) => {
      if (allow-- <= 0) throw new ConnectionProblemError('auth is down');
      return auth.upload(c);
    };
    const { sleep } = fastSleep();
    const spool = await RecordingSpool.create({ dir, sessionId: 's6', upload, sleep, participants: ['alice'], maxChunkBytes: 16 });
    let want = '';
    for (let i = 0; i < 20; i++) {
      const line = `[${i}.5, "o", "out ${i} é"]\n`;
      want += line;
      await spool.append(bytes(line));
    }
    await spool.stop();
    await assert.rejects(spool.uploaded, ConnectionProblemError);
    assert.equal(await stored(auth.store, 's6'), Buffer.from(want).subarray(0, 32).toString());
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, 's6.offset'), 'utf8')), { offset: 32, participants: ['alice'] });

    assert.deepEqual(await resumePending(dir, auth.upload), ['s6']);
    assert.equal(await stored(auth.store, 's6'), want);
    assert.deepEqual(await auth.store.getMeta('s6'), { sessionId: 's6', participants: ['alice'], complete: true });
    assert.deepEqual(await readdir(dir), []);
  });

  it('finishes from a crash snapshot even when its offset hint is ahead of auth ("resend from N")', async () => {
    const dir = await tempDir();
    const auth = fakeAuth();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const upload: UploadFn = async (c) => {
      if (++calls > 1) await gate; // the first chunk gets through, then uploads hang
      return auth.upload(c);
    };
    const spool = await RecordingSpool.create({ dir, sessionId: 's7', upload, participants: ['bob'], maxChunkBytes: 8 });
    await spool.append(bytes('0123456789abcdefghij'));
    while (calls < 2) await new Promise((r) => setImmediate(r));
    // "kill -9" now: copy what is on disk, then let the original go away.
    const snap = await tempDir();
    await cp(dir, snap, { recursive: true });
    await spool.stop();
    // Pretend the node thought auth had more than it really does.
    await writeFile(path.join(snap, 's7.offset'), JSON.stringify({ offset: 16, participants: ['bob'] }));
    const auth2 = fakeAuth(auth.store);
    assert.deepEqual(await resumePending(snap, auth2.upload), ['s7']);
    assert.equal(await stored(auth.store, 's7'), '0123456789abcdefghij');
    assert.deepEqual(auth2.calls.map((c) => [c.offset, c.final]), [[16, true], [8, true]]);
    assert.deepEqual(await readdir(snap), []);
    release(); // the abandoned call lands late; auth skips bytes it has
    await new Promise((r) => setImmediate(r));
    assert.equal(await stored(auth.store, 's7'), '0123456789abcdefghij');
  });

  it('leaves spools of this process alone, tolerates a missing dir, and stops on abort', async () => {
    assert.deepEqual(await resumePending(path.join(await tempDir(), 'nope'), fakeAuth().upload), []);
    const dir = await tempDir();
    const auth = fakeAuth();
    const live = await RecordingSpool.create({ dir, sessionId: 'live', upload: auth.upload });
    await writeFile(path.join(dir, 'old.cast.part'), 'old bytes');
    const ctl = new AbortController();
    const down: UploadFn = async () => {
      ctl.abort();
      throw new ConnectionProblemError('down');
    };
    assert.deepEqual(await resumePending(dir, down, { signal: ctl.signal }), []);
    assert.deepEqual(await resumePending(dir, auth.upload), ['old']);
    assert.equal(await stored(auth.store, 'old'), 'old bytes');
    await live.close();
    await live.uploaded;
    assert.deepEqual(await readdir(dir), []);
  });
});
