/**
 * @module types/database
 * Database access resources, as upstream names them:
 * - `db` (version v3): a database the cluster proxies to. Created with `tctl create` (dynamic) or
 *   built by the database service from teleport.yaml (static). Labels are `metadata.labels`.
 * - `db_server` (version v3): a database service announcing that it serves one database, with a
 *   presence TTL like nodes. `metadata.name` is the database name and `spec.host_id` the serving
 *   service's host UUID, so several services may serve the same database (stored per host).
 */
import type { Resource } from './resource.ts';

/** Wire protocols database access speaks. */
export const DatabaseProtocols = ['postgres', 'mysql'] as const;
/** A database wire protocol. */
export type DatabaseProtocolName = (typeof DatabaseProtocols)[number];

/** How the database service verifies the database's server certificate. */
export const DatabaseTLSModes = ['verify-full', 'verify-ca', 'insecure'] as const;
/** A TLS verification mode. */
export type DatabaseTLSMode = (typeof DatabaseTLSModes)[number];

/** TLS settings for the connection from the database service to the database. */
export interface DatabaseTLS {
  /** verify-full (default): CA and host name; verify-ca: CA only; insecure: nothing. */
  mode: DatabaseTLSMode;
  /** PEM of the CA that signed the database's server certificate (default: the cluster's db CA). */
  ca_cert?: string;
  /** Name to verify in the server certificate (default: the host of `uri`). */
  server_name?: string;
}

/** Spec of a `db` resource. */
export interface DatabaseSpec {
  protocol: DatabaseProtocolName;
  /** host:port of the database. */
  uri: string;
  tls?: DatabaseTLS;
}

/** A database (kind db, version v3). */
export type Database = Resource<'db', DatabaseSpec>;

/** Spec of a `db_server` resource. */
export interface DatabaseServerSpec {
  /** Host UUID of the database service serving it. */
  host_id: string;
  /** Node name of that service. */
  hostname: string;
  /** Software version of that service. */
  version: string;
  /** The database served. */
  database: Database;
}

/** A database served by a database service (kind db_server, version v3). */
export type DatabaseServer = Resource<'db_server', DatabaseServerSpec>;

/** The name a db_server is stored and addressed by: "<host_id>/<database name>". */
export function databaseServerKey(s: Pick<DatabaseServer, 'metadata' | 'spec'>): string {
  return `${s.spec.host_id}/${s.metadata.name}`;
}

/** Labels used for RBAC on a database: the db resource's labels. */
export function databaseLabels(db: Pick<Database, 'metadata'>): Record<string, string> {
  return { ...(db.metadata.labels ?? {}) };
}
