/**
 * @module services/local/databases
 * Database resources: `db` records at /db/<name> (created by admins, no TTL) and `db_server`
 * records at /db_servers/<host_id>/<name> (heartbeats of database services, with a TTL, so a
 * service that dies stops being listed). db_servers are addressed as "<host_id>/<name>".
 */
import type { Database, DatabaseServer } from '@teleport-ts/api/types/database';
import { BadParameterError } from '@teleport-ts/api/errors';
import { key } from '../../backend/backend.ts';
import type { Backend } from '../../backend/backend.ts';
import { checkName, createJSON, deleteKey, describe, getJSON, listJSON, putJSON, updateJSON } from './resourceStore.ts';

/** Key prefix of db resources, for watchers. */
export const DATABASES_PREFIX = key('db') + '/';
/** Key prefix of db_server records, for watchers. */
export const DATABASE_SERVERS_PREFIX = key('db_servers') + '/';

function dbKey(name: string): string {
  checkName('db', name);
  return key('db', name);
}

/** Splits "<host_id>/<name>" (the db_server address). */
export function splitDatabaseServerName(ref: string): { hostId: string; name: string } {
  const i = ref.indexOf('/');
  if (i <= 0 || i === ref.length - 1) {
    throw new BadParameterError(`db_server "${ref}" must be named <host_id>/<database name> (tctl get db_servers lists them)`);
  }
  return { hostId: ref.slice(0, i), name: ref.slice(i + 1) };
}

function serverKey(hostId: string, name: string): string {
  checkName('db_server host', hostId);
  checkName('db_server', name);
  return key('db_servers', hostId, name);
}

function expectKind(r: { kind?: unknown }, kind: string): void {
  if (r.kind !== kind) throw new BadParameterError(`expected a resource of kind ${kind}, got '${String(r.kind)}'`);
}

/** Stores databases and the database services' announcements. */
export class DatabasesService {
  constructor(private readonly backend: Backend) {}

  /** Creates a db; AlreadyExistsError if one has that name. */
  async createDatabase(db: Database): Promise<Database> {
    expectKind(db, 'db');
    return createJSON(this.backend, dbKey(db.metadata.name), db, describe('db', db.metadata.name));
  }

  /** Creates or replaces a db. */
  async upsertDatabase(db: Database): Promise<Database> {
    expectKind(db, 'db');
    return putJSON(this.backend, dbKey(db.metadata.name), db);
  }

  /** Replaces an existing db (optimistic locking when it carries a revision). */
  async updateDatabase(db: Database): Promise<Database> {
    expectKind(db, 'db');
    return updateJSON(this.backend, dbKey(db.metadata.name), db, describe('db', db.metadata.name));
  }

  /** Reads one db. */
  async getDatabase(name: string): Promise<Database> {
    return getJSON<Database>(this.backend, dbKey(name), describe('db', name));
  }

  /** Lists dbs. */
  listDatabases(): Promise<Database[]> {
    return listJSON<Database>(this.backend, DATABASES_PREFIX);
  }

  /** Deletes a db. */
  async deleteDatabase(name: string): Promise<void> {
    return deleteKey(this.backend, dbKey(name), describe('db', name));
  }

  /** Creates or refreshes a db_server (a heartbeat). */
  async upsertDatabaseServer(s: DatabaseServer): Promise<DatabaseServer> {
    expectKind(s, 'db_server');
    return putJSON(this.backend, serverKey(s.spec.host_id, s.metadata.name), s);
  }

  /** Reads one db_server by "<host_id>/<name>". */
  async getDatabaseServer(ref: string): Promise<DatabaseServer> {
    const { hostId, name } = splitDatabaseServerName(ref);
    return getJSON<DatabaseServer>(this.backend, serverKey(hostId, name), describe('db_server', ref));
  }

  /** Lists live db_servers (of every host). */
  listDatabaseServers(): Promise<DatabaseServer[]> {
    return listJSON<DatabaseServer>(this.backend, DATABASE_SERVERS_PREFIX);
  }

  /** Removes a db_server ("<host_id>/<name>"): a graceful stop or a database no longer served. */
  async deleteDatabaseServer(ref: string): Promise<void> {
    const { hostId, name } = splitDatabaseServerName(ref);
    return deleteKey(this.backend, serverKey(hostId, name), describe('db_server', ref));
  }
}
