/**
 * @module backend/sqlite
 * The default single-node Backend: one SQLite file (WAL, synchronous=FULL) through better-sqlite3.
 *
 * This process is the only writer: watchers are fed by an in-process fan-out (`WatcherHub`) called right
 * after each write commits, rather than by polling a change table, so events arrive in commit order with
 * no delay. Another process writing the same file would not be seen by watchers; don't do that.
 * better-sqlite3 is synchronous, so each method runs to completion without interleaving (and briefly blocks
 * the event loop on disk I/O, which is fine at single-node scale). Multi-statement writes still run in
 * IMMEDIATE transactions so the file stays consistent if the process dies mid-write.
 */
import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '@teleport-ts/api/clock';
import { AlreadyExistsError, BadParameterError, CompareFailedError, NotFoundError } from '@teleport-ts/api/errors';
import { componentLogger, silentLogger, type Logger } from '../utils/logger.ts';
import type { Backend, BackendEvent, GetRangeResult, Item, Lease, Watcher, WatchOptions } from './backend.ts';
import {
  closedError, compareKeys, copyBytes, DEFAULT_PURGE_INTERVAL_MS, newRevision, normalizeExpires, normalizeLimit,
  validateBound, validateItem, validateKey, type WriteItem,
} from './items.ts';
import { openDatabaseFile } from './sqliteFile.ts';
import { DEFAULT_WATCHER_QUEUE_SIZE, WatcherHub } from './watchers.ts';

/** Options for openSQLiteBackend. */
export interface SQLiteBackendOptions {
  /** Database file; its parent directory is created (0700) if missing. */
  path: string;
  /** Clock used for expiry; defaults to the system clock. */
  clock?: Clock;
  /** Parent logger; the backend logs with component "backend:sqlite". */
  logger?: Logger;
  /** How often expired items are purged (emitting delete events); 0 disables the timer. Default 1000. */
  pollIntervalMs?: number;
  /** Default per-watcher queue size before a slow watcher is cut off. */
  watcherQueueSize?: number;
  /** How long to wait on a lock held by another connection. Default 5000. */
  busyTimeoutMs?: number;
}

/** "The row is live" as SQL, against the @now parameter. */
const LIVE = '(expires IS NULL OR expires > @now)';

/** Opens (creating if needed) a SQLite backend at `opts.path`. */
export async function openSQLiteBackend(opts: SQLiteBackendOptions): Promise<Backend> {
  const base = opts.logger ?? silentLogger;
  // Callers may already have tagged the logger; a second `component` binding would duplicate the field.
  const logger = 'component' in base.bindings() ? base : componentLogger(base, 'backend:sqlite');
  const db = openDatabaseFile({ path: opts.path, logger, busyTimeoutMs: opts.busyTimeoutMs });
  logger.debug({ path: db.name }, 'opened SQLite backend');
  return new SQLiteBackend(db, opts, logger);
}

/** Row shape of the kv table. */
interface Row {
  key: string;
  value: Uint8Array;
  expires: number | null;
  revision: string;
}

/** Prepares every statement once; names match the operations that use them. */
function prepare(db: Database.Database) {
  const upsert = 'INSERT INTO kv (key, value, expires, revision) VALUES (@key, @value, @expires, @revision) ' +
    'ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires, revision = excluded.revision';
  return {
    get: db.prepare<{ key: string; now: number }, Row>(`SELECT key, value, expires, revision FROM kv WHERE key = @key AND ${LIVE}`),
    range: db.prepare<{ start: string; end: string; now: number; limit: number }, Row>(
      `SELECT key, value, expires, revision FROM kv WHERE key >= @start AND key < @end AND ${LIVE} ORDER BY key LIMIT @limit`),
    put: db.prepare<SqlWrite>(upsert),
    // Overwrites only an expired row; zero changes means a live row is in the way.
    create: db.prepare<SqlWrite & { now: number }>(`${upsert} WHERE kv.expires IS NOT NULL AND kv.expires <= @now`),
    update: db.prepare<SqlWrite & { now: number }>(
      `UPDATE kv SET value = @value, expires = @expires, revision = @revision WHERE key = @key AND ${LIVE}`),
    cas: db.prepare<SqlWrite & { now: number; expected: Uint8Array }>(
      `UPDATE kv SET value = @value, expires = @expires, revision = @revision WHERE key = @key AND ${LIVE} AND value = @expected`),
    exists: db.prepare<{ key: string; now: number }, { one: number }>(`SELECT 1 AS one FROM kv WHERE key = @key AND ${LIVE}`),
    delete: db.prepare<{ key: string; now: number }>(`DELETE FROM kv WHERE key = @key AND ${LIVE}`),
    deleteRange: db.prepare<{ start: string; end: string }, { key: string }>(
      'DELETE FROM kv WHERE key >= @start AND key < @end RETURNING key'),
    keepAlive: db.prepare<{ key: string; now: number; expires: number | null; revision: string }, Row>(
      `UPDATE kv SET expires = @expires, revision = @revision WHERE key = @key AND ${LIVE} RETURNING key, value, expires, revision`),
    purge: db.prepare<{ now: number }, { key: string }>(
      'DELETE FROM kv WHERE expires IS NOT NULL AND expires <= @now RETURNING key'),
  };
}

/** Parameters of a full-row write. */
interface SqlWrite {
  key: string;
  value: Uint8Array;
  expires: number | null;
  revision: string;
}

/** The SQLite implementation; construct through openSQLiteBackend. */
class SQLiteBackend implements Backend {
  readonly clock: Clock;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly hub: WatcherHub;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly casTx: (expected: Uint8Array, row: SqlWrite & { now: number }) => boolean;
  private closed = false;

  constructor(private readonly db: Database.Database, opts: SQLiteBackendOptions, private readonly logger: Logger) {
    this.clock = opts.clock ?? systemClock;
    this.stmts = prepare(db);
    this.hub = new WatcherHub(opts.watcherQueueSize ?? DEFAULT_WATCHER_QUEUE_SIZE, logger);
    // Returns true on success, false when the value differs; throws NotFound when there is no live row.
    this.casTx = db.transaction((expected: Uint8Array, row: SqlWrite & { now: number }) => {
      if (this.stmts.cas.run({ ...row, expected }).changes === 1) return true;
      if (this.stmts.exists.get({ key: row.key, now: row.now })) return false;
      throw notFound(row.key);
    }).immediate;
    const interval = opts.pollIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.purgeExpired().catch((err: unknown) => this.logger.warn({ err }, 'failed to purge expired backend items'));
      }, interval);
      this.timer.unref();
    }
  }

  async get(key: string): Promise<Item> {
    this.checkOpen();
    validateKey(key);
    const row = this.stmts.get.get({ key, now: this.clock.nowMs() });
    if (!row) throw notFound(key);
    return toItem(row);
  }

  async getRange(start: string, end: string, limit?: number): Promise<GetRangeResult> {
    this.checkOpen();
    validateBound('start', start);
    validateBound('end', end);
    const max = normalizeLimit(limit);
    const rows = this.stmts.range.all({ start, end, now: this.clock.nowMs(), limit: max > 0 ? max : -1 });
    return { items: rows.map(toItem) };
  }

  async create(item: Item): Promise<Lease> {
    this.checkOpen();
    const row = toRow(validateItem(item));
    if (this.stmts.create.run({ ...row, now: this.clock.nowMs() }).changes === 0) {
      throw new AlreadyExistsError(`backend key ${JSON.stringify(row.key)} already exists`);
    }
    return this.committed(row);
  }

  async put(item: Item): Promise<Lease> {
    this.checkOpen();
    const row = toRow(validateItem(item));
    this.stmts.put.run(row);
    return this.committed(row);
  }

  async update(item: Item): Promise<Lease> {
    this.checkOpen();
    const row = toRow(validateItem(item));
    if (this.stmts.update.run({ ...row, now: this.clock.nowMs() }).changes === 0) throw notFound(row.key);
    return this.committed(row);
  }

  async compareAndSwap(expected: Item, replaceWith: Item): Promise<Lease> {
    this.checkOpen();
    const row = toRow(validateItem(replaceWith));
    const want = validateItem(expected);
    if (want.key !== row.key) {
      throw new BadParameterError(`compareAndSwap keys differ: ${JSON.stringify(want.key)} vs ${JSON.stringify(row.key)}`);
    }
    if (!this.casTx(want.value, { ...row, now: this.clock.nowMs() })) {
      throw new CompareFailedError(`backend key ${JSON.stringify(row.key)} changed concurrently: re-read it and retry`);
    }
    return this.committed(row);
  }

  async delete(key: string): Promise<void> {
    this.checkOpen();
    validateKey(key);
    if (this.stmts.delete.run({ key, now: this.clock.nowMs() }).changes === 0) throw notFound(key);
    this.hub.emit([deleteEvent(key)]);
  }

  async deleteRange(start: string, end: string): Promise<void> {
    this.checkOpen();
    validateBound('start', start);
    validateBound('end', end);
    const rows = this.stmts.deleteRange.all({ start, end });
    this.emitDeletes(rows);
  }

  async keepAlive(lease: Lease, expires: number): Promise<void> {
    this.checkOpen();
    validateKey(lease.key);
    const when = normalizeExpires(expires) ?? null;
    const row = this.stmts.keepAlive.get({ key: lease.key, now: this.clock.nowMs(), expires: when, revision: newRevision() });
    if (!row) throw notFound(lease.key);
    this.hub.emit([{ type: 'put', item: toItem(row) }]);
  }

  async purgeExpired(): Promise<number> {
    this.checkOpen();
    const rows = this.stmts.purge.all({ now: this.clock.nowMs() });
    this.emitDeletes(rows);
    return rows.length;
  }

  async newWatcher(options?: WatchOptions): Promise<Watcher> {
    this.checkOpen();
    return this.hub.add(options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.hub.closeAll();
    this.db.close();
  }

  /** Emits the put event for a committed write and returns its lease. */
  private committed(row: SqlWrite): Lease {
    this.hub.emit([{ type: 'put', item: toItem(row) }]);
    return { key: row.key, revision: row.revision };
  }

  /** Emits deletes for rows removed in one statement, in key order (RETURNING order is unspecified). */
  private emitDeletes(rows: { key: string }[]): void {
    if (rows.length === 0) return;
    const keys = rows.map((r) => r.key).sort(compareKeys);
    this.hub.emit(keys.map(deleteEvent));
  }

  private checkOpen(): void {
    if (this.closed) throw closedError('SQLite');
  }
}

/** A row to write, with a fresh revision. */
function toRow(w: WriteItem): SqlWrite {
  return { key: w.key, value: w.value, expires: w.expires ?? null, revision: newRevision() };
}

/** A caller-owned item from a row (better-sqlite3 returns Buffers; callers get plain Uint8Arrays). */
function toItem(row: SqlWrite | Row): Item {
  const item: Item = { key: row.key, value: copyBytes(row.value), revision: row.revision };
  if (row.expires !== null) item.expires = row.expires;
  return item;
}

function deleteEvent(key: string): BackendEvent {
  return { type: 'delete', item: { key, value: new Uint8Array(0) } };
}

function notFound(key: string): NotFoundError {
  return new NotFoundError(`backend key ${JSON.stringify(key)} not found`);
}
