/**
 * Runs the recording store contract on the file and memory stores, plus file specifics.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileRecordingStore } from './fileRecordingStore.ts';
import { MemoryRecordingStore } from './memoryRecordingStore.ts';
import { runRecordingStoreSuite } from './recordingStoreSuite.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'recstore-'));
  dirs.push(d);
  return d;
}

runRecordingStoreSuite('memory', async () => new MemoryRecordingStore());
runRecordingStoreSuite('file', async () => FileRecordingStore.open(path.join(await tempDir(), 'records')));

describe('FileRecordingStore', () => {
  it('writes <sid>.cast as a plain 0600 file', async () => {
    const dir = path.join(await tempDir(), 'records');
    const s = await FileRecordingStore.open(dir);
    await s.append('abc', 0, Buffer.from('{"version": 2}\n'));
    assert.equal(await readFile(path.join(dir, 'abc.cast'), 'utf8'), '{"version": 2}\n');
    assert.equal((await stat(path.join(dir, 'abc.cast'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });
});
