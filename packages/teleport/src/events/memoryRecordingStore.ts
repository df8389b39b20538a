/**
 * @module events/memoryRecordingStore
 * In-memory recording store for tests and components that buffer.
 */
import { NotFoundError } from '@teleport-ts/api/errors';
import { checkSessionId, newTail, type RecordingMeta, type RecordingStore } from './recordingStore.ts';

/** Memory-backed recording store. */
export class MemoryRecordingStore implements RecordingStore {
  private readonly data = new Map<string, Buffer>();
  private readonly meta = new Map<string, RecordingMeta>();

  async append(sessionId: string, offset: number, chunk: Uint8Array): Promise<number> {
    checkSessionId(sessionId);
    const cur = this.data.get(sessionId) ?? Buffer.alloc(0);
    const tail = newTail(sessionId, cur.length, offset, chunk);
    const next = tail.length ? Buffer.concat([cur, tail]) : cur;
    this.data.set(sessionId, next);
    return next.length;
  }

  async read(sessionId: string, offset: number, limit: number): Promise<{ data: Uint8Array; size: number }> {
    const cur = this.get(sessionId);
    return { data: Buffer.from(cur.subarray(offset, offset + Math.max(0, limit))), size: cur.length };
  }

  async size(sessionId: string): Promise<number> {
    return this.get(sessionId).length;
  }

  async setMeta(meta: RecordingMeta): Promise<void> {
    checkSessionId(meta.sessionId);
    this.meta.set(meta.sessionId, { ...meta, participants: [...meta.participants] });
  }

  async getMeta(sessionId: string): Promise<RecordingMeta> {
    const m = this.meta.get(sessionId);
    if (!m) throw new NotFoundError(`recording of session ${sessionId} not found`);
    return { ...m, participants: [...m.participants] };
  }

  async close(): Promise<void> {}

  private get(id: string): Buffer {
    checkSessionId(id);
    const cur = this.data.get(id);
    if (!cur) throw new NotFoundError(`recording of session ${id} not found`);
    return cur;
  }
}
