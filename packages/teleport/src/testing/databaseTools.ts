/**
 * @module testing/databaseTools
 * Whether this machine can run the database tests against real servers: PostgreSQL 15 (initdb,
 * postgres, psql) and MariaDB (mariadb-install-db, mariadbd, the mariadb client), started as root
 * (PostgreSQL then runs as the `postgres` system user). `.ci/run` installs them; elsewhere the tests
 * are skipped with this reason rather than failing.
 */
import { accessSync, constants } from 'node:fs';

/** True when `path` exists and may be executed. */
export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const isRoot = process.getuid?.() === 0;

/** Skip reason for tests that need a real PostgreSQL and psql, or false when they can run. */
export const postgresTestSkip: string | false =
  !isRoot ? 'needs root (PostgreSQL runs as the postgres user)'
    : !executable('/usr/lib/postgresql/15/bin/initdb') || !executable('/usr/bin/psql') ? 'needs PostgreSQL 15 and psql (apt-get install postgresql postgresql-client)'
      : false;

/** Skip reason for tests that need a real MariaDB and its client, or false when they can run. */
export const mariadbTestSkip: string | false =
  !isRoot ? 'needs root to run mariadbd'
    : !executable('/usr/sbin/mariadbd') || !executable('/usr/bin/mariadb') ? 'needs MariaDB (apt-get install mariadb-server mariadb-client)'
      : false;
