/**
 * @module client/db/dbProfile
 * How a database client connects to a database through the proxy, rendered for people and for
 * programs: `tsh db env` (PG* variables), `tsh db config` (text or a command line), the MySQL
 * option file, and the psql/mysql argument lists `tsh db connect` runs. Pure functions, no I/O, so
 * the output is checked against golden text.
 *
 * Clients talk TLS to the proxy's database listeners with the database certificate; the proxy's
 * certificate is checked against `<db>-proxy-ca.pem`: `verify-full` (name and chain) when the
 * profile trusts the proxy, `verify-ca` (chain only) when it was logged in with --insecure, since a
 * self-signed proxy certificate rarely names the address clients dial.
 */

/** Database protocols tsh knows. */
export type DatabaseProtocol = 'postgres' | 'mysql';

/** How strictly clients check the proxy's certificate (libpq's sslmode names). */
export type SSLMode = 'verify-full' | 'verify-ca';

/** Everything a client needs to reach one database through the proxy. */
export interface DbConnectionProfile {
  /** Database (service) name in Teleport. */
  name: string;
  protocol: DatabaseProtocol;
  /** Where the client connects: the proxy's database listener; absent for MySQL without one. */
  host?: string;
  port?: number;
  /** Database user and database name from the certificate (absent: the client's default). */
  user?: string;
  database?: string;
  caPath: string;
  certPath: string;
  keyPath: string;
  sslMode: SSLMode;
  /** MySQL option file written by `tsh db login`. */
  optionFilePath?: string;
}

/** Quotes a shell word when it needs it (POSIX single quotes). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from argv, quoted for a POSIX shell. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Quotes one libpq conninfo value (keyword=value form). */
function conninfoValue(v: string): string {
  return /^[^\s'\\]+$/.test(v) ? v : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A libpq conninfo string from ordered keyword/value pairs (empty values are left out). */
export function conninfo(pairs: ReadonlyArray<readonly [string, string | number | undefined]>): string {
  return pairs.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${conninfoValue(String(v))}`).join(' ');
}

/** The PostgreSQL variables `tsh db env` exports, in a stable order. */
export function postgresEnv(p: DbConnectionProfile): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (p.host) out.push(['PGHOST', p.host]);
  if (p.port) out.push(['PGPORT', String(p.port)]);
  out.push(['PGSSLMODE', p.sslMode], ['PGSSLROOTCERT', p.caPath], ['PGSSLCERT', p.certPath], ['PGSSLKEY', p.keyPath]);
  if (p.user) out.push(['PGUSER', p.user]);
  if (p.database) out.push(['PGDATABASE', p.database]);
  return out;
}

/** `tsh db env` output: `export` lines for PostgreSQL, the option file for MySQL. */
export function formatEnv(p: DbConnectionProfile): string {
  if (p.protocol === 'postgres') return postgresEnv(p).map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join('');
  const lines = [
    '# MySQL clients take TLS settings from an option file, not from the environment:',
    `#   mysql --defaults-extra-file=${shellQuote(p.optionFilePath ?? '')}`,
  ];
  if (p.host && p.port) lines.push(`export MYSQL_HOST=${shellQuote(p.host)}`, `export MYSQL_TCP_PORT=${p.port}`);
  else lines.push(`# The proxy has no MySQL listener: run "tsh proxy db --tunnel ${p.name}" and connect to it.`);
  return `${lines.join('\n')}\n`;
}

/** psql's argv to connect through the proxy's PostgreSQL listener with the certificate. */
export function psqlCommand(p: DbConnectionProfile): string[] {
  return ['psql', conninfo([
    ['host', p.host], ['port', p.port], ['user', p.user], ['dbname', p.database],
    ['sslmode', p.sslMode], ['sslrootcert', p.caPath], ['sslcert', p.certPath], ['sslkey', p.keyPath],
  ])];
}

/** mysql's argv to connect through the proxy's MySQL listener (reads the option file). */
export function mysqlCommand(p: DbConnectionProfile): string[] {
  return ['mysql', `--defaults-extra-file=${p.optionFilePath ?? ''}`];
}

/** The client command line for `tsh db config --format=cmd`; undefined for MySQL without a listener. */
export function clientCommand(p: DbConnectionProfile): string[] | undefined {
  if (!p.host || !p.port) return undefined;
  return p.protocol === 'postgres' ? psqlCommand(p) : mysqlCommand(p);
}

/** `tsh db config` in text form: the settings any client (GUI included) needs, then the command. */
export function formatConfigText(p: DbConnectionProfile): string {
  const rows: Array<[string, string]> = [
    ['Name', p.name],
    ['Host', p.host ?? '(none: use "tsh proxy db --tunnel")'],
    ['Port', p.port ? String(p.port) : '-'],
    ['User', p.user ?? ''],
    ['Database', p.database ?? ''],
    ['SSL mode', p.sslMode],
    ['CA', p.caPath],
    ['Cert', p.certPath],
    ['Key', p.keyPath],
  ];
  if (p.optionFilePath) rows.push(['Option file', p.optionFilePath]);
  const cmd = clientCommand(p);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const body = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`.trimEnd()).join('\n');
  const tail = cmd
    ? `\n\nConnect with:\n  ${formatCommand(cmd)}\n`
    : `\n\nThe proxy has no MySQL listener: start a local tunnel with "tsh proxy db --tunnel ${p.name}".\n`;
  return body + tail;
}

/**
 * The MySQL option file: connection and TLS settings in [client] (read by MySQL and MariaDB
 * clients), the database in [mysql] (so mysqldump does not read it as --databases), and MariaDB's
 * server certificate check in [client-mariadb] (MySQL 8 clients do not know that option; they
 * verify the chain because ssl-ca is set).
 */
export function mysqlOptionFile(p: DbConnectionProfile, comment: string): string {
  const lines = [`# ${comment}`, '[client]'];
  if (p.host) lines.push(`host=${p.host}`);
  if (p.port) lines.push(`port=${p.port}`, 'protocol=TCP');
  if (p.user) lines.push(`user=${p.user}`);
  lines.push(`ssl-ca=${p.caPath}`, `ssl-cert=${p.certPath}`, `ssl-key=${p.keyPath}`);
  if (p.database) lines.push('', '[mysql]', `database=${p.database}`);
  if (p.sslMode === 'verify-full') lines.push('', '[client-mariadb]', 'ssl-verify-server-cert');
  return `${lines.join('\n')}\n`;
}

/** psql's argv for a plaintext local proxy (`tsh db connect`, `tsh proxy db --tunnel`). */
export function psqlLocalCommand(port: number, user?: string, database?: string, bin = 'psql'): string[] {
  return [bin, conninfo([['host', '127.0.0.1'], ['port', port], ['user', user], ['dbname', database], ['sslmode', 'disable']])];
}

/** Flavours of the mysql command-line client; they spell "no TLS" differently. */
export type MySQLClientFlavor = 'mariadb' | 'mysql';

/** mysql/mariadb argv for a plaintext local proxy. */
export function mysqlLocalCommand(port: number, flavor: MySQLClientFlavor, user?: string, database?: string, bin = 'mysql'): string[] {
  // MariaDB 10.x clients know --ssl/--skip-ssl; MySQL 8 removed them in favour of --ssl-mode.
  const noTLS = flavor === 'mariadb' ? '--skip-ssl' : '--ssl-mode=DISABLED';
  return [bin, '--protocol=TCP', '-h', '127.0.0.1', '-P', String(port), ...(user ? ['-u', user] : []), noTLS, ...(database ? [database] : [])];
}
