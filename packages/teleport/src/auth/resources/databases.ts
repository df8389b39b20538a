/**
 * @module auth/resources/databases
 * Database access kinds. `db` (dynamic databases) is written by admins and users whose roles' rules
 * allow it (the editor preset has `db` read/write) and read by database services. `db_server`
 * records are written only by the database service they name (AuthWithRoles checks `spec.host_id`)
 * and are addressed as "<host_id>/<database name>". Users see only the databases (and db_servers)
 * their roles' db_labels give them access to.
 */
import type { Database, DatabaseServer } from '@teleport-ts/api/types/database';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { RouteToDatabase } from '@teleport-ts/api/tlsca/identity';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { LocalServices } from '../../services/local/index.ts';
import type { AccessChecker } from '../../services/rbac/accessChecker.ts';
import type { HandlerDeps, ResourceHandler } from './handler.ts';

/** True when a user with `checker` may see (and so try to connect to) `db`. */
export function databaseVisibleTo(db: Database, checker: AccessChecker): boolean {
  return checker.databaseVisible({ name: db.metadata.name, labels: db.metadata.labels ?? {}, protocol: db.spec.protocol });
}

/** Handler for kind "db". */
export function databaseHandler(deps: HandlerDeps): ResourceHandler {
  const d = deps.services.databases;
  return {
    kind: 'db',
    get: (name) => d.getDatabase(name),
    list: () => d.listDatabases(),
    create: (r) => d.createDatabase(r as Database),
    upsert: (r) => d.upsertDatabase(r as Database),
    delete: (name) => d.deleteDatabase(name),
    // A user needs the rule to read dbs (editor) or db_labels that match (access), like upstream.
    visibleTo: (r: Resource, user) => user.checker.canAccessRule('db', 'read') || databaseVisibleTo(r as Database, user.checker),
  };
}

/** Handler for kind "db_server"; names are "<host_id>/<database name>". */
export function databaseServerHandler(deps: HandlerDeps): ResourceHandler {
  const d = deps.services.databases;
  return {
    kind: 'db_server',
    get: (name) => d.getDatabaseServer(name),
    list: () => d.listDatabaseServers(),
    upsert: (r) => d.upsertDatabaseServer(r as DatabaseServer),
    create: (r) => d.upsertDatabaseServer(r as DatabaseServer),
    delete: (name) => d.deleteDatabaseServer(name),
    visibleTo: (r: Resource, user) => databaseVisibleTo((r as DatabaseServer).spec.database, user.checker),
  };
}

/**
 * The route of a user's database certificate, checked: the database must be served (a live
 * db_server) and visible to the user; the protocol is filled in from it (and must match when given).
 */
export async function checkDatabaseRoute(services: LocalServices, checker: AccessChecker, route: RouteToDatabase): Promise<RouteToDatabase> {
  if (!route.serviceName) throw new BadParameterError('a database certificate needs the database name (routeToDatabase.serviceName)');
  const db = (await services.databases.listDatabaseServers())
    .find((s) => s.metadata.name === route.serviceName && databaseVisibleTo(s.spec.database, checker))?.spec.database;
  if (!db) {
    throw new NotFoundError(`database "${route.serviceName}" is not registered or you are not allowed to use it: 'tsh db ls' lists the databases you can use`);
  }
  if (route.protocol && route.protocol !== db.spec.protocol) {
    throw new BadParameterError(`database "${route.serviceName}" speaks ${db.spec.protocol}, not ${route.protocol}`);
  }
  return { ...route, protocol: db.spec.protocol };
}
