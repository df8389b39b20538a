/**
 * @module events/fileRecordingStore
 * Recordings as plain files: `<dir>/<sid>.cast` (asciicast v2, readable with cat or asciinema) and
 * `<dir>/<sid>.meta.json`. Appends are serialized per session and fsync'ed before they are
 * acknowledged, so an acknowledged chunk survives a crash.
 */
import { mkdir, open, readFile, stat, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@teleport-ts/api/errors';
import { checkSessionId, newTail, type RecordingMeta, type RecordingStore } from './recordingStore.ts';

/** File-backed recording store. */
export class FileRecordingStore implements RecordingStore {
  private readonly queues = new Map<string, Promise<unknown>>();

  private constructor(private readonly dir: string) {}

  /** Opens (creating with mode 0700) the directory. */
  static async open(dir: string): Promise<FileRecordingStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new FileRecordingStore(dir);
  }

  private file(id: string, ext: string): string {
    checkSessionId(id);
    return path.join(this.dir, `${id}${ext}`);
  }

  /** Runs `fn` after earlier operations on the same session. */
  private serialize<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return next;
  }

  async append(sessionId: string, offset: number, data: Uint8Array): Promise<number> {
    const file = this.file(sessionId, '.cast');
    return this.serialize(sessionId, async () => {
      const fh = await open(file, 'a', 0o600);
      try {
        const size = (await fh.stat()).size;
        const tail = newTail(sessionId, size, offset, data);
        if (tail.length === 0) return size;
        await fh.write(tail);
        await fh.datasync();
        return size + tail.length;
      } finally {
        await fh.close();
      }
    });
  }

  async read(sessionId: string, offset: number, limit: number): Promise<{ data: Uint8Array; size: number }> {
    const file = this.file(sessionId, '.cast');
    let fh;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      throw notFound(sessionId, err);
    }
    try {
      const size = (await fh.stat()).size;
      const n = Math.max(0, Math.min(limit, size - offset));
      const buf = Buffer.alloc(n);
      if (n > 0) await fh.read(buf, 0, n, offset);
      return { data: buf, size };
    } finally {
      await fh.close();
    }
  }

  async size(sessionId: string): Promise<number> {
    try {
      return (await stat(this.file(sessionId, '.cast'))).size;
    } catch (err) {
      throw notFound(sessionId, err);
    }
  }

  async setMeta(meta: RecordingMeta): Promise<void> {
    const file = this.file(meta.sessionId, '.meta.json');
    await this.serialize(`${meta.sessionId}.meta`, async () => {
      const tmp = `${file}.tmp`;
      await writeFile(tmp, JSON.stringify(meta), { mode: 0o600 });
      await rename(tmp, file);
    });
  }

  async getMeta(sessionId: string): Promise<RecordingMeta> {
    try {
      return JSON.parse(await readFile(this.file(sessionId, '.meta.json'), 'utf8')) as RecordingMeta;
    } catch (err) {
      throw notFound(sessionId, err);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.values());
  }
}

function notFound(id: string, err: unknown): Error {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new NotFoundError(`recording of session ${id} not found`);
  return err as Error;
}
