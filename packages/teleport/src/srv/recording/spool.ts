/**
 * @module srv/recording/spool
 * The local buffer between a session recorder and auth. Encoded recording bytes are appended to
 * `<dir>/<sid>.cast.part` and fsync'ed in batches (one datasync covers everything written while the
 * previous one ran); a background loop (uploader.ts) ships them to auth and records the
 * acknowledged offset, with the participants, in `<dir>/<sid>.offset`. On close the rest goes up
 * with final=true and both files are deleted once auth acknowledges it. If the process dies first,
 * `resumePending` at the next start uploads the leftovers, so a recording survives auth being away
 * and the node restarting.
 */
import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AlreadyExistsError, BadParameterError, ConnectionProblemError, errorMessage } from '@teleport-ts/api/errors';
import { checkSessionId } from '../../events/recordingStore.ts';
import { runUpload, type UploadFn, type UploadOptions, type UploadSource } from './uploader.ts';

export type { UploadChunk, UploadFn, UploadOptions, Sleep } from './uploader.ts';

const PART = '.cast.part';
const OFFSET = '.offset';

/** Part files being written or uploaded by this process; resumePending leaves them alone. */
const active = new Set<string>();

/** Where the bytes of a recording go; RecordingSpool is the real one. */
export interface RecordingSink {
  /** Appends bytes; resolves once they are in the local file, rejects if they cannot be kept. */
  append(data: Uint8Array): Promise<void>;
  /** No more bytes: flushes locally (the upload finishes in the background). */
  close(): Promise<void>;
}

/** Options for RecordingSpool.create. */
export interface RecordingSpoolOptions extends UploadOptions {
  /** Spool directory (created 0700), e.g. `<data_dir>/log/upload/streaming`. */
  dir: string;
  sessionId: string;
  /** Teleport users in the session so far. */
  participants?: string[];
}

/** Spools one session's recording to disk and uploads it to auth in the background. */
export class RecordingSpool implements RecordingSink {
  private written = 0;
  private synced = 0;
  private syncing: Promise<void> | undefined;
  private writes: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private meta: Promise<void> = Promise.resolve();
  private acked = 0;
  private finished = false;
  private readonly people: Set<string>;
  private readonly stopper = new AbortController();
  private readonly loop: Promise<boolean>;
  /** Resolves when auth has the whole recording and the local files are gone; rejects if stopped first. */
  readonly uploaded: Promise<void>;

  private constructor(private readonly opts: RecordingSpoolOptions, private readonly fh: FileHandle, private readonly part: string) {
    this.people = new Set(opts.participants ?? []);
    active.add(part);
    this.loop = runUpload(this.source(), opts, this.stopper.signal);
    this.uploaded = this.loop.then(async (done) => {
      await this.release();
      if (!done) throw new ConnectionProblemError(`upload of recording ${opts.sessionId} was stopped; it resumes when the service starts again`);
      await removeSpoolFiles(opts.dir, opts.sessionId);
    }, async (err: unknown) => {
      await this.release();
      opts.logger?.error({ sid: opts.sessionId, err: errorMessage(err) }, 'recording upload failed for good; the spool file is kept');
      throw err;
    });
    this.uploaded.catch(() => undefined); // Callers need not await it; failures are also logged.
  }

  /** Creates `<dir>/<sid>.cast.part` (refusing to overwrite one) and starts uploading. */
  static async create(opts: RecordingSpoolOptions): Promise<RecordingSpool> {
    checkSessionId(opts.sessionId);
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    const part = path.join(opts.dir, opts.sessionId + PART);
    let fh: FileHandle;
    try {
      fh = await open(part, 'ax+', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(`a recording of session ${opts.sessionId} is already spooled in ${opts.dir}`);
      throw err;
    }
    await writeOffsetFile(opts.dir, opts.sessionId, 0, opts.participants ?? []);
    return new RecordingSpool(opts, fh, part);
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.written;
  }

  /** Appends to the local file (in order); after a failed write every later append fails too. */
  append(data: Uint8Array): Promise<void> {
    if (this.closing || this.stopper.signal.aborted) return Promise.reject(new BadParameterError(`recording of session ${this.opts.sessionId} is already closed`));
    const p = this.writes.then(async () => {
      if (this.failure) throw this.failure;
      let off = 0;
      while (off < data.length) off += (await this.fh.write(data, off, data.length - off)).bytesWritten;
      this.written += data.length;
      this.notify();
      this.scheduleSync();
    });
    this.writes = p.catch((err: unknown) => {
      this.failure ??= err as Error;
    });
    return p;
  }

  /** Adds a participant (persisted so a resumed upload still carries it). */
  addParticipant(user: string): void {
    if (this.people.has(user)) return;
    this.people.add(user);
    this.saveOffset();
  }

  /**
   * Ends the recording: waits for pending writes, fsyncs, and lets the uploader send the final
   * chunk. Resolves once the data is durable locally; await `uploaded` for auth's acknowledgement.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.settle();
        if (!this.failure && !this.finished) await this.fh.datasync();
      } finally {
        this.closed = true;
        this.notify();
      }
      if (this.failure) throw this.failure;
    })();
    return this.closing;
  }

  /**
   * Stops uploading without finishing (service shutdown): the files stay for resumePending.
   * Resolves when the local file is closed.
   */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.notify();
    await this.uploaded.catch(() => undefined);
  }

  /** Waits for local I/O, closes the file and forgets it (the upload loop has ended). */
  private async release(): Promise<void> {
    this.finished = true;
    await this.settle();
    await this.fh.close().catch(() => undefined);
    active.delete(this.part);
  }

  private async settle(): Promise<void> {
    await this.writes;
    await this.syncing;
    await this.meta;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Group commit: one datasync at a time, each covering all bytes written before it started. */
  private scheduleSync(): void {
    if (this.syncing) return;
    this.syncing = (async () => {
      while (this.synced < this.written && !this.failure) {
        const target = this.written;
        await this.fh.datasync();
        this.synced = target;
      }
    })().catch((err: unknown) => {
      this.failure ??= err as Error;
    }).finally(() => {
      this.syncing = undefined;
    });
  }

  private saveOffset(): void {
    if (this.finished) return;
    const { dir, sessionId, logger } = this.opts;
    this.meta = this.meta.then(() => writeOffsetFile(dir, sessionId, this.acked, [...this.people]))
      .catch((err: unknown) => logger?.warn({ sid: sessionId, err: errorMessage(err) }, 'could not save recording upload offset'));
  }

  private source(): UploadSource {
    return {
      sessionId: this.opts.sessionId,
      acked: 0,
      state: () => ({ size: this.written, closed: this.closed }),
      read: (offset, length) => readAt(this.fh, offset, length),
      participants: () => [...this.people],
      changed: (signal) => new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        this.wake = resolve;
      }),
      acknowledged: async (offset) => {
        this.acked = offset;
        this.saveOffset();
        await this.meta;
      },
    };
  }
}

/** Options for resumePending. */
export interface ResumeOptions extends Omit<UploadOptions, 'upload'> {
  /** Stops retrying (e.g. on shutdown); unfinished files stay for next time. */
  signal?: AbortSignal;
}

/**
 * Uploads recordings left in `dir` by a previous run (a crash or a stop before auth acknowledged
 * them), each as complete, and deletes their files. Resolves with the session ids finished; keeps
 * retrying while auth is away, until `signal` aborts.
 */
export async function resumePending(dir: string, upload: UploadFn, opts: ResumeOptions = {}): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const sids = names.filter((n) => n.endsWith(PART)).map((n) => n.slice(0, -PART.length))
    .filter((sid) => !active.has(path.join(dir, sid + PART)));
  const results = await Promise.allSettled(sids.map((sid) => resumeOne(dir, sid, upload, opts)));
  const done: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled' && r.value) done.push(sids[i] as string);
    else if (r.status === 'rejected') opts.logger?.error({ sid: sids[i], err: errorMessage(r.reason) }, 'could not resume recording upload');
  });
  return done;
}

async function resumeOne(dir: string, sessionId: string, upload: UploadFn, opts: ResumeOptions): Promise<boolean> {
  checkSessionId(sessionId);
  const part = path.join(dir, sessionId + PART);
  const hint = await readOffsetFile(dir, sessionId);
  const fh = await open(part, 'r');
  active.add(part);
  let done = false;
  try {
    const size = (await fh.stat()).size;
    const source: UploadSource = {
      sessionId,
      acked: Math.min(hint.offset, size),
      state: () => ({ size, closed: true }),
      read: (offset, length) => readAt(fh, offset, length),
      participants: () => hint.participants,
      changed: async () => undefined,
      acknowledged: (offset) => writeOffsetFile(dir, sessionId, offset, hint.participants),
    };
    done = await runUpload(source, { ...opts, upload }, opts.signal ?? new AbortController().signal);
  } finally {
    await fh.close();
    active.delete(part);
  }
  if (done) await removeSpoolFiles(dir, sessionId);
  return done;
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** `<sid>.offset`: {"offset": N, "participants": [...]}, replaced atomically. */
async function writeOffsetFile(dir: string, sessionId: string, offset: number, participants: string[]): Promise<void> {
  const file = path.join(dir, sessionId + OFFSET);
  await writeFile(`${file}.tmp`, JSON.stringify({ offset, participants }), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

async function readOffsetFile(dir: string, sessionId: string): Promise<{ offset: number; participants: string[] }> {
  try {
    const v = JSON.parse(await readFile(path.join(dir, sessionId + OFFSET), 'utf8')) as { offset?: unknown; participants?: unknown };
    const offset = typeof v.offset === 'number' && Number.isSafeInteger(v.offset) && v.offset >= 0 ? v.offset : 0;
    const participants = Array.isArray(v.participants) ? v.participants.filter((p): p is string => typeof p === 'string') : [];
    return { offset, participants };
  } catch {
    // Missing or torn: start from 0; auth skips what it already has.
    return { offset: 0, participants: [] };
  }
}

async function removeSpoolFiles(dir: string, sessionId: string): Promise<void> {
  await rm(path.join(dir, sessionId + PART), { force: true });
  await rm(path.join(dir, sessionId + OFFSET), { force: true });
  await rm(path.join(dir, `${sessionId}${OFFSET}.tmp`), { force: true });
}
