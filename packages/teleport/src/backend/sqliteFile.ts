/**
 * @module backend/sqliteFile
 * Opens the SQLite database file behind the SQLite backend: creates the parent directory (0700) and the
 * file (0600) so cluster secrets are never group- or world-readable, applies the durability pragmas (WAL,
 * synchronous=FULL, busy_timeout), checks the schema version and creates the schema. Failures name the file
 * and say what to do, e.g. when the path holds something that is not a SQLite database.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { Logger } from '../utils/logger.ts';

/** The schema version this code writes; stored in PRAGMA user_version. */
export const SCHEMA_VERSION = 1;

/** How long a statement waits for a lock held by another connection before failing with SQLITE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  expires INTEGER NULL,
  revision TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires) WHERE expires IS NOT NULL;
`;

/** Options for openDatabaseFile. */
export interface OpenDatabaseOptions {
  path: string;
  logger: Logger;
  busyTimeoutMs?: number | undefined;
}

/** Opens (creating if needed) the database file and returns a ready-to-use connection. */
export function openDatabaseFile(opts: OpenDatabaseOptions): Database.Database {
  const path = resolve(opts.path);
  prepareFile(path, opts.logger);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    // The first statement reads the header, so this is where a non-database file is detected.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      throw new Error(`could not switch to WAL journal mode (got ${String(mode)})`);
    }
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > SCHEMA_VERSION) {
      throw new BadParameterError(
        `SQLite backend ${path} has schema version ${version}, newer than this teleport supports (${SCHEMA_VERSION}): upgrade teleport`,
      );
    }
    db.exec(SCHEMA);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (err) {
    db?.close();
    throw describeOpenError(path, err);
  }
}

/** Creates the directory (0700) and file (0600) before SQLite does, so they never exist with wider modes. */
function prepareFile(path: string, logger: Logger): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new BadParameterError(`cannot create directory ${dir} for the SQLite backend: ${errText(err)}`, { cause: err });
  }
  try {
    closeSync(openSync(path, 'wx', 0o600));
    chmodSync(path, 0o600); // the umask may have narrowed it further, never widened; make it exact
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new BadParameterError(`cannot create SQLite backend file ${path}: ${errText(err)}`, { cause: err });
    }
  }
  const st = statSync(path);
  if (!st.isFile()) {
    throw new BadParameterError(`SQLite backend path ${path} exists but is not a regular file: point the backend at a file path`);
  }
  if ((st.mode & 0o077) !== 0) {
    try {
      chmodSync(path, 0o600);
      logger.warn({ path, mode: (st.mode & 0o777).toString(8) }, 'SQLite backend file was readable by others; restricted it to 0600');
    } catch (err) {
      logger.warn({ path, err: errText(err) }, 'SQLite backend file is readable by others and could not be restricted to 0600');
    }
  }
}

/** Turns a SQLite open failure into an error that names the file and suggests a fix. */
function describeOpenError(path: string, err: unknown): Error {
  if (err instanceof BadParameterError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new BadParameterError(
      `${path} is not a valid SQLite database (${errText(err)}): restore it from backup, or move it aside to start with an empty backend`,
      { cause: err },
    );
  }
  return new BadParameterError(`cannot open SQLite backend ${path}: ${errText(err)}`, { cause: err });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
