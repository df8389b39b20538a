/**
 * @module client/db/databases
 * The databases a user can see, as tsh reads them from `db_server` records (auth filters the list by
 * the user's roles). Several database services may serve the same database (high availability), so
 * records are deduplicated by database name. Records are read defensively: tsh only needs the
 * name, description, protocol, URI and labels of `spec.database`, and must not break on fields it
 * does not know.
 */
import { NotFoundError } from '@teleport-ts/api/errors';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { DatabaseProtocol } from './dbProfile.ts';

/** One database as `tsh db ls` shows it. */
export interface DatabaseInfo {
  name: string;
  description: string;
  protocol: DatabaseProtocol;
  /** host:port of the real database (informational). */
  uri: string;
  /** metadata.labels of the db resource, merged with the db_server's own labels. */
  labels: Record<string, string>;
  /** The first db_server record that serves it (for --format=json|yaml). */
  server: Resource<'db_server', unknown>;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Reads one db_server record; undefined for a record without a database name or with an unknown protocol. */
export function databaseFromServer(record: unknown): DatabaseInfo | undefined {
  const r = obj(record);
  const spec = obj(r.spec);
  const db = obj(spec.database);
  const dbMeta = obj(db.metadata);
  const dbSpec = obj(db.spec);
  // Upstream's older db_server v2 records carried the database inline in spec; accept both shapes.
  const name = str(dbMeta.name) || str(spec.name);
  const protocol = str(dbSpec.protocol) || str(spec.protocol);
  if (!name || (protocol !== 'postgres' && protocol !== 'mysql')) return undefined;
  return {
    name,
    description: str(dbMeta.description) || str(spec.description),
    protocol,
    uri: str(dbSpec.uri) || str(spec.uri),
    labels: { ...strMap(obj(r.metadata).labels), ...strMap(dbMeta.labels), ...strMap(spec.static_labels) },
    server: record as Resource<'db_server', unknown>,
  };
}

/** Deduplicates db_server records by database name, sorted by name. */
export function databasesFromServers(records: readonly unknown[]): DatabaseInfo[] {
  const byName = new Map<string, DatabaseInfo>();
  for (const rec of records) {
    const db = databaseFromServer(rec);
    if (db && !byName.has(db.name)) byName.set(db.name, db);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The databases whose labels include every selector label. */
export function matchDatabases(dbs: readonly DatabaseInfo[], selector: Record<string, string>): DatabaseInfo[] {
  return dbs.filter((d) => Object.entries(selector).every(([k, v]) => d.labels[k] === v));
}

/** Finds one database by name; NotFoundError pointing at `tsh db ls` otherwise. */
export function findDatabase(dbs: readonly DatabaseInfo[], name: string): DatabaseInfo {
  const db = dbs.find((d) => d.name === name);
  if (!db) {
    const known = dbs.map((d) => d.name);
    throw new NotFoundError(`database "${name}" not found or not allowed for you` +
      `${known.length ? ` (you can see: ${known.join(', ')})` : ''}: "tsh db ls" lists the databases you can access`);
  }
  return db;
}
