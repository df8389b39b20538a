/**
 * @module events/recordingStoreSuite
 * The contract every RecordingStore passes: idempotent offset appends, gaps refused, reads, metadata,
 * unknown sessions, hostile session ids, concurrent appends.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isNotFound, BadParameterError } from '@teleport-ts/api/errors';
import type { RecordingStore } from './recordingStore.ts';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** Runs the contract against stores from `factory`. */
export function runRecordingStoreSuite(name: string, factory: () => Promise<RecordingStore>): void {
  describe(`RecordingStore contract: ${name}`, () => {
    it('appends chunks at their offsets and reads them back', async () => {
      const s = await factory();
      assert.equal(await s.append('s1', 0, bytes('hello ')), 6);
      assert.equal(await s.append('s1', 6, bytes('world')), 11);
      assert.equal(text((await s.read('s1', 0, 100)).data), 'hello world');
      assert.equal(text((await s.read('s1', 6, 3)).data), 'wor');
      assert.equal(await s.size('s1'), 11);
      await s.close();
    });

    it('skips bytes it already has, so a resend after a lost ack never duplicates', async () => {
      const s = await factory();
      await s.append('s2', 0, bytes('abcdef'));
      assert.equal(await s.append('s2', 0, bytes('abcdef')), 6);
      assert.equal(await s.append('s2', 3, bytes('defgh')), 8);
      assert.equal(text((await s.read('s2', 0, 100)).data), 'abcdefgh');
      await s.close();
    });

    it('refuses a gap', async () => {
      const s = await factory();
      await s.append('s3', 0, bytes('abc'));
      await assert.rejects(s.append('s3', 10, bytes('x')), (e) => e instanceof BadParameterError && /resend from 3/.test(e.message));
      await s.close();
    });

    it('reports unknown sessions as not found and refuses ids that could escape the directory', async () => {
      const s = await factory();
      await assert.rejects(s.read('nope', 0, 1), (e) => isNotFound(e));
      await assert.rejects(s.size('nope'), (e) => isNotFound(e));
      await assert.rejects(s.getMeta('nope'), (e) => isNotFound(e));
      for (const bad of ['../x', 'a/b', '', '.hidden']) await assert.rejects(s.append(bad, 0, bytes('x')), BadParameterError);
      await s.close();
    });

    it('keeps metadata', async () => {
      const s = await factory();
      await s.setMeta({ sessionId: 's4', participants: ['alice', 'bob'], complete: false });
      await s.setMeta({ sessionId: 's4', participants: ['alice', 'bob'], complete: true });
      assert.deepEqual(await s.getMeta('s4'), { sessionId: 's4', participants: ['alice', 'bob'], complete: true });
      await s.close();
    });

    it('keeps concurrent appends of one session in order', async () => {
      const s = await factory();
      const parts = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(2, '0')};`);
      let offset = 0;
      await Promise.all(parts.map((p) => {
        const at = offset;
        offset += p.length;
        return s.append('s5', at, bytes(p)).catch(() => s.append('s5', at, bytes(p)));
      }));
      assert.equal(text((await s.read('s5', 0, 1000)).data), parts.join(''));
      await s.close();
    });
  });
}
