/**
 * @module tool/tsh/db
 * `tsh db ls|login|logout|env|config|connect`: database access from the command line. The
 * certificates live next to the user's key in ~/.tsh (client/db/dbKeyStore.ts); the shared steps
 * are in dbAccess.ts and `connect` in dbConnect.ts.
 */
import type { Command } from 'commander';
import { BadParameterError } from '@teleport-ts/api/errors';
import { formatResourcesJSON, formatResourcesYAML } from '@teleport-ts/api/types/format';
import type { Resource } from '@teleport-ts/api/types/resource';
import { matchDatabases, type DatabaseInfo } from '../../client/db/databases.ts';
import { clientCommand, formatCommand, formatConfigText, formatEnv } from '../../client/db/dbProfile.ts';
import type { RouteToDatabase } from '@teleport-ts/api/tlsca/identity';
import { parseLabelSelector } from '../../client/ssh/target.ts';
import { formatTable } from '../common/table.ts';
import { authClientFor } from './cluster.ts';
import type { TshContext } from './context.ts';
import {
  connectionProfile, dbLogin, listDatabases, loadDbSession, pickLoggedInDb, requireDbLogin, type DbFlags,
} from './dbAccess.ts';
import { dbConnect } from './dbConnect.ts';
import { formatLabels, parseListFormat, type ListFormat } from './ls.ts';

/** A database as a resource for --format=json|yaml: the db resource inside the db_server record when present. */
function asResource(d: DatabaseInfo): Resource {
  const spec = (d.server as { spec?: { database?: Resource } }).spec;
  return spec?.database?.kind ? spec.database : (d.server as Resource);
}

/** `tsh db ls` output; `logins` marks the databases with a saved login. */
export function formatDatabases(dbs: readonly DatabaseInfo[], format: ListFormat, logins: ReadonlyMap<string, RouteToDatabase> = new Map()): string {
  if (format === 'json') return formatResourcesJSON(dbs.map(asResource));
  if (format === 'yaml') return dbs.length ? formatResourcesYAML(dbs.map(asResource)) : '';
  return formatTable(['Name', 'Description', 'Protocol', 'Labels'], dbs.map((d) => {
    const route = logins.get(d.name);
    const name = route
      ? `> ${d.name} (user: ${route.username || '-'}${route.database ? `, db: ${route.database}` : ''})`
      : d.name;
    return [name, d.description, d.protocol, formatLabels(d.labels, false)];
  }));
}

/** Registers `tsh db ...`. */
export function registerDbCommands(program: Command, ctx: TshContext): void {
  const db = program.command('db').description('View and control database access.');
  db.command('ls')
    .description('List the databases you can access.')
    .argument('[labels]', 'only databases with these labels: key=value[,key=value...]')
    .option('-f, --format <format>', 'text, json or yaml', 'text')
    .option('--cluster <name>', 'cluster to list (default: the profile\'s)')
    .action(async (labels: string | undefined, _o: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<DbFlags & { format?: string }>();
      const format = parseListFormat(flags.format);
      const selector = labels ? parseLabelSelector(labels) : undefined;
      if (labels && !selector) throw new BadParameterError(`invalid label selector "${labels}": expected key=value[,key=value...]`);
      const s = await loadDbSession(ctx, flags);
      const dbs = await listDatabases(authClientFor(ctx, s.access));
      const logins = new Map<string, RouteToDatabase>();
      for (const name of await s.store.list(s.owner)) {
        const creds = await s.store.load(s.owner, name).catch(() => undefined);
        if (creds) logins.set(name, creds.route);
      }
      ctx.io.stdout.write(formatDatabases(selector ? matchDatabases(dbs, selector) : dbs, format, logins));
    });

  db.command('login')
    .description('Get a certificate for a database (saved under ~/.tsh).')
    .argument('<db>', 'database name (see "tsh db ls")')
    .option('--db-user <user>', 'database user to connect as (default: the only one your roles allow)')
    .option('--db-name <name>', 'database name to connect to (default: the client\'s default)')
    .option('--cluster <name>', 'cluster of the database (default: the profile\'s)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<DbFlags>();
      const s = await loadDbSession(ctx, flags);
      const creds = await dbLogin(ctx, s, name, flags);
      ctx.io.stdout.write([
        `Connection information for database "${creds.db}" has been saved (user: ${creds.route.username || '-'}` +
          `${creds.route.database ? `, db: ${creds.route.database}` : ''}).`,
        '', 'You can now connect to it with:', '', `  tsh db connect ${creds.db}`, '',
        'or see the options for other clients with:', '', `  tsh db config ${creds.db}`, '', '',
      ].join('\n'));
    });

  db.command('logout')
    .description('Remove the certificate of a database (of every database when none is named).')
    .argument('[db]', 'database name')
    .option('--cluster <name>', 'cluster of the database (default: the profile\'s)')
    .action(async (name: string | undefined, _o: unknown, cmd: Command) => {
      const s = await loadDbSession(ctx, cmd.optsWithGlobals<DbFlags>());
      const removed = await s.store.delete(s.owner, name);
      if (name && !removed) throw new BadParameterError(`you are not logged in to database "${name}"`);
      ctx.io.stdout.write(name ? `Logged out of database ${name}\n` : 'Logged out of all databases\n');
    });

  db.command('env')
    .description('Print environment variables for the database\'s command-line client.')
    .argument('[db]', 'database name (default: the only one logged in to)')
    .option('--cluster <name>', 'cluster of the database (default: the profile\'s)')
    .action(async (name: string | undefined, _o: unknown, cmd: Command) => {
      const s = await loadDbSession(ctx, cmd.optsWithGlobals<DbFlags>());
      const creds = await requireDbLogin(s, await pickLoggedInDb(s, name));
      ctx.io.stdout.write(formatEnv(connectionProfile(s, creds)));
    });

  db.command('config')
    .description('Print the connection settings for any database client.')
    .argument('[db]', 'database name (default: the only one logged in to)')
    .option('-f, --format <format>', 'text, or cmd (the client command line only)', 'text')
    .option('--cluster <name>', 'cluster of the database (default: the profile\'s)')
    .action(async (name: string | undefined, _o: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<DbFlags & { format?: string }>();
      if (flags.format !== 'text' && flags.format !== 'cmd') throw new BadParameterError(`unsupported --format "${flags.format}": use text or cmd`);
      const s = await loadDbSession(ctx, flags);
      const profile = connectionProfile(s, await requireDbLogin(s, await pickLoggedInDb(s, name)));
      if (flags.format === 'text') return void ctx.io.stdout.write(formatConfigText(profile));
      const argv = clientCommand(profile);
      if (!argv) throw new BadParameterError(`the proxy has no MySQL listener: use "tsh db connect ${profile.name}" or "tsh proxy db --tunnel ${profile.name}"`);
      ctx.io.stdout.write(`${formatCommand(argv)}\n`);
    });

  db.command('connect')
    .description('Connect to a database with psql or mysql/mariadb (logs in to it when needed).')
    .argument('<db>', 'database name')
    .option('--db-user <user>', 'database user to connect as')
    .option('--db-name <name>', 'database name to connect to')
    .option('--cluster <name>', 'cluster of the database (default: the profile\'s)')
    .action(async (name: string, _o: unknown, cmd: Command) => dbConnect(ctx, name, cmd.optsWithGlobals<DbFlags>()));
}
