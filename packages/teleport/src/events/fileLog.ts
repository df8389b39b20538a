/**
 * @module events/fileLog
 * The file audit log: one JSON object per line in daily files `<dir>/<YYYY-MM-DD>.log`, named by the
 * event's UTC date. Durability first: `emit` resolves only after the line is fsync'ed. Writes go
 * through one queue, so lines never interleave, and everything queued while a write is in flight is
 * written with the next single write+fsync (group commit), which keeps throughput up under load.
 *
 * Crash safety: a crash mid-write can leave a torn last line. Search skips unreadable lines with a
 * warning; the first append after opening such a file starts with a newline, so the fragment stays on
 * a line of its own and never corrupts a new event. One process writes a directory at a time.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '@teleport-ts/api/clock';
import { ConnectionProblemError, errorMessage } from '@teleport-ts/api/errors';
import type { AuditEvent, AuditEventInput, SearchEventsQuery, SearchEventsResult } from '@teleport-ts/api/events/types';
import { componentLogger, silentLogger, type Logger } from '../utils/logger.ts';
import { compareKeys, completeEvent, matchesQuery, normalizeQuery, toPage, type AuditLog, type EventKey, type NormalizedQuery } from './auditLog.ts';

/** Options for FileAuditLog. */
export interface FileAuditLogOptions {
  /** Directory holding the daily files; created 0700 if missing. */
  dir: string;
  clusterName: string;
  clock: Clock;
  logger?: Logger;
}

/** Write counters, for metrics and tests. */
export interface FileAuditLogStats {
  /** Events written. */
  events: number;
  /** write+fsync rounds; less than `events` when group commit batched them. */
  batches: number;
}

interface Pending {
  day: string;
  line: string;
  event: AuditEvent;
  resolve: (e: AuditEvent) => void;
  reject: (err: unknown) => void;
}

interface OpenDay {
  day: string;
  fh: FileHandle;
  size: number;
  /** The file ended without a newline (torn line): the next write must terminate it first. */
  needsNewline: boolean;
}

type Candidate = { key: EventKey; event: AuditEvent };

const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.log$/;

/** The UTC date ("YYYY-MM-DD") of an instant: the name of the file its events go to. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** dayOf for an event's time as completeEvent writes it (toISOString), without parsing it when it can. */
function dayOfTime(time: string): string {
  return time.length === 24 && time[10] === 'T' && time.endsWith('Z') ? time.slice(0, 10) : dayOf(Date.parse(time));
}

/** An AuditLog stored in daily JSON-lines files. */
export class FileAuditLog implements AuditLog {
  private readonly log: Logger;
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private current: OpenDay | undefined;
  private dirReady: Promise<void> | undefined;
  private closed = false;
  private readonly counters: FileAuditLogStats = { events: 0, batches: 0 };
  /** Bytes known durable per day file this process wrote; search reads no further, skipping in-flight writes. */
  private readonly committed = new Map<string, number>();

  constructor(private readonly opts: FileAuditLogOptions) {
    this.log = componentLogger(opts.logger ?? silentLogger, 'audit:file');
  }

  /** Creates the log and its directory. */
  static async open(opts: FileAuditLogOptions): Promise<FileAuditLog> {
    const log = new FileAuditLog(opts);
    await log.ensureDir();
    return log;
  }

  emit(input: AuditEventInput): Promise<AuditEvent> {
    if (this.closed) return Promise.reject(new ConnectionProblemError('audit log is closed'));
    let event: AuditEvent;
    try {
      event = completeEvent(input, this.opts.clock, this.opts.clusterName);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<AuditEvent>((resolve, reject) => {
      this.pending.push({ day: dayOfTime(event.time), line: JSON.stringify(event) + '\n', event, resolve, reject });
      // Start on a microtask so emits issued together in one tick share a single write+fsync.
      this.flushing ??= Promise.resolve().then(() => this.flushLoop());
    });
  }

  async search(query: SearchEventsQuery): Promise<SearchEventsResult> {
    const q = normalizeQuery(query);
    if (q.fromMs >= q.toMs) return { events: [] };
    const days = await this.daysFor(q);
    const candidates: Candidate[] = [];
    for (const day of days) {
      await this.scanDay(day, q, candidates);
      // Days are scanned in query order, so once a page (plus one, to know there is more) is full,
      // later days cannot contribute. Trim to bound memory on busy days.
      if (candidates.length > q.limit) {
        trimToPage(q, candidates);
        break;
      }
    }
    return toPage(q, candidates);
  }

  /** Write counters since this instance was created. */
  stats(): FileAuditLogStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    const cur = this.current;
    this.current = undefined;
    await cur?.fh.close();
  }

  private ensureDir(): Promise<void> {
    this.dirReady ??= (async () => {
      await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
      const st = await stat(this.opts.dir);
      if ((st.mode & 0o077) !== 0) {
        this.log.warn({ dir: this.opts.dir, mode: (st.mode & 0o777).toString(8) }, 'audit log directory is readable by others: chmod 700 it');
      }
    })();
    return this.dirReady;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        const byDay = new Map<string, Pending[]>();
        for (const p of batch) {
          const group = byDay.get(p.day);
          if (group) group.push(p);
          else byDay.set(p.day, [p]);
        }
        for (const [day, group] of byDay) await this.writeGroup(day, group);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeGroup(day: string, group: Pending[]): Promise<void> {
    try {
      const f = await this.openDay(day);
      const data = Buffer.from((f.needsNewline ? '\n' : '') + group.map((p) => p.line).join(''));
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await f.fh.write(data, off, data.length - off);
        off += bytesWritten;
      }
      await f.fh.datasync();
      f.needsNewline = false;
      f.size += data.length;
      this.committed.set(day, f.size);
      this.counters.batches++;
      this.counters.events += group.length;
      for (const p of group) p.resolve(p.event);
    } catch (err) {
      this.log.error({ day, count: group.length, err: errorMessage(err) }, 'failed to write audit events');
      // Reopen next time so the file's true end (maybe a partial write) is checked again.
      const cur = this.current;
      this.current = undefined;
      await cur?.fh.close().catch(() => undefined);
      const wrapped = new ConnectionProblemError(`could not write the audit log in ${this.opts.dir}: ${errorMessage(err)}`, { cause: err });
      for (const p of group) p.reject(wrapped);
    }
  }

  private async openDay(day: string): Promise<OpenDay> {
    if (this.current?.day === day) return this.current;
    await this.ensureDir();
    const prev = this.current;
    this.current = undefined;
    await prev?.fh.close();
    const path = join(this.opts.dir, `${day}.log`);
    const fh = await open(path, 'a+', 0o600);
    try {
      const { size } = await fh.stat();
      let needsNewline = false;
      if (size === 0) {
        // A new file's directory entry must be durable too, or a crash could lose the whole file.
        await syncDir(this.opts.dir);
      } else {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        needsNewline = last[0] !== 0x0a;
        if (needsNewline) this.log.warn({ file: path }, 'audit log file ends with a torn line (crash mid-write?); appending after it');
      }
      this.committed.set(day, size);
      this.current = { day, fh, size, needsNewline };
      return this.current;
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /** Day files overlapping the query, in query order, skipping days wholly before the cursor. */
  private async daysFor(q: NormalizedQuery): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.opts.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const first = dayOf(q.fromMs);
    const last = dayOf(q.toMs - 1);
    const cursorDay = q.after ? dayOf(q.after.t) : undefined;
    const days = names
      .map((n) => DAY_FILE.exec(n)?.[1])
      .filter((d): d is string => d !== undefined && d >= first && d <= last)
      .filter((d) => cursorDay === undefined || (q.order === 'asc' ? d >= cursorDay : d <= cursorDay))
      .sort();
    return q.order === 'asc' ? days : days.reverse();
  }

  private async scanDay(day: string, q: NormalizedQuery, out: Candidate[]): Promise<void> {
    const path = join(this.opts.dir, `${day}.log`);
    const end = this.committed.get(day);
    if (end === 0) return;
    const stream = createReadStream(path, end === undefined ? {} : { end: end - 1 });
    let carry: Buffer | undefined;
    let lineNo = 0;
    const take = (line: Buffer, terminated: boolean): void => {
      const seq = lineNo++;
      if (line.length === 0) return;
      const event = parseLine(line);
      if (!event) {
        this.log.warn({ file: path, line: seq + 1, torn: !terminated }, 'skipping unreadable audit log line');
        return;
      }
      const key = { t: Date.parse(event.time), seq };
      if (matchesQuery(q, key, event.event)) out.push({ key, event });
    };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
        let start = 0;
        for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
          take(buf.subarray(start, nl), true);
          start = nl + 1;
        }
        carry = start < buf.length ? buf.subarray(start) : undefined;
        if (out.length > 2 * (q.limit + 1)) trimToPage(q, out);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (carry) take(carry, false);
  }
}

/** Sorts candidates in query order, in place, keeping one more than a page (enough to know there is more). */
function trimToPage(q: NormalizedQuery, candidates: Candidate[]): void {
  const dir = q.order === 'asc' ? 1 : -1;
  candidates.sort((a, b) => dir * compareKeys(a.key, b.key));
  if (candidates.length > q.limit + 1) candidates.length = q.limit + 1;
}

function parseLine(line: Buffer): AuditEvent | undefined {
  try {
    const v: unknown = JSON.parse(line.toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const e = v as AuditEvent;
    if (typeof e.event !== 'string' || typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) return undefined;
    return e;
  } catch {
    return undefined;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
