/**
 * @module tool/tsh/proxyDb
 * `tsh proxy db --tunnel <db> [-p port]`: the local database proxy as a long-running command, for
 * GUI clients and anything else that cannot present a client certificate. It listens on
 * 127.0.0.1 in plaintext and authenticates every connection to the proxy with the user's database
 * certificate (logging in to the database first when needed). Ctrl-C stops it.
 *
 * Upstream also has a mode without --tunnel, where the local listener only strips the ALPN/TLS
 * routing and the client still does TLS with the database certificate; it exists for clusters
 * behind load balancers that terminate TLS. Clients here can use the proxy's listeners directly
 * with the options from `tsh db config`, so only tunnel mode is offered.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { NotImplementedError } from '@teleport-ts/api/errors';
import { conninfo, formatCommand, mysqlLocalCommand, psqlLocalCommand } from '../../client/db/dbProfile.ts';
import type { DbCredentials } from '../../client/db/dbKeyStore.ts';
import type { TshContext } from './context.ts';
import type { DbFlags } from './dbAccess.ts';

/** Flags of `tsh proxy db`. */
export type ProxyDbFlags = DbFlags & { tunnel?: boolean; port?: number };

function parsePort(v: string): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number between 0 and 65535');
  return n;
}

/** What `tsh proxy db` prints once it listens. */
export function formatTunnelBanner(creds: DbCredentials, cluster: string, port: number): string {
  const { protocol, username, database } = creds.route;
  const kind = protocol === 'mysql' ? 'MySQL' : 'PostgreSQL';
  const cmd = protocol === 'mysql'
    ? mysqlLocalCommand(port, 'mariadb', username, database)
    : psqlLocalCommand(port, username, database);
  const gui = protocol === 'mysql'
    ? `host 127.0.0.1, port ${port}${username ? `, user ${username}` : ''}, SSL off`
    : `${conninfo([['host', '127.0.0.1'], ['port', port], ['user', username], ['dbname', database], ['sslmode', 'disable']])}`;
  return [
    `Started authenticated tunnel for the ${kind} database "${creds.db}" in cluster "${cluster}" on 127.0.0.1:${port}.`,
    'Pick a fixed port with --port (-p) to keep the address stable between runs.',
    '',
    'Connect with:',
    `  ${formatCommand(cmd)}${protocol === 'mysql' ? '    # MySQL 8 clients: --ssl-mode=DISABLED instead of --skip-ssl' : ''}`,
    '',
    `GUI clients: ${gui}. No password is needed: the tunnel presents your certificate.`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

/** Registers `tsh proxy db` under the `proxy` command registered by proxySSH.ts (or a new one). */
export function registerProxyDbCommand(program: Command, ctx: TshContext): void {
  const proxy = program.commands.find((c) => c.name() === 'proxy')
    ?? program.command('proxy').description('Run local proxies to cluster resources.');
  proxy
    .command('db')
    .description('Start a local authenticated tunnel to a database for GUI and other clients.')
    .argument('<db>', 'database name (see "tsh db ls")')
    .option('--tunnel', 'open an authenticated tunnel: a plaintext local port that presents your certificate (required)')
    .option('-p, --port <port>', 'local port to listen on (default: a random free port)', parsePort)
    .option('--db-user <user>', 'database user (default: the one of your last "tsh db login")')
    .option('--db-name <name>', 'database name')
    .option('--cluster <name>', 'cluster of the database (default: the profile\'s)')
    .action(async (db: string, _o: unknown, cmd: Command) => proxyDb(ctx, db, cmd.optsWithGlobals<ProxyDbFlags>()));
}

/** Runs `tsh proxy db`; resolves after Ctrl-C (or ctx.signal) closed the listener. */
export async function proxyDb(ctx: TshContext, db: string, flags: ProxyDbFlags): Promise<void> {
  if (!flags.tunnel) {
    throw new NotImplementedError('only tunnel mode is supported: run "tsh proxy db --tunnel ' + db + '". ' +
      'Without --tunnel upstream\'s client still does TLS with the database certificate; here clients do that against ' +
      'the proxy directly ("tsh db config" shows the options)');
  }
  // Loaded here, not at the top: registering `tsh proxy db` must stay cheap for `tsh proxy ssh`,
  // which shares the `proxy` command and runs for every OpenSSH connection through tsh config.
  const [{ ensureDbLogin, loadDbSession }, { startDbLocalProxy }, { serveUntilInterrupted }] = await Promise.all([
    import('./dbAccess.ts'), import('./dbConnect.ts'), import('../../client/db/localProxy.ts'),
  ]);
  const s = await loadDbSession(ctx, flags);
  const creds = await ensureDbLogin(ctx, s, db, flags);
  const proxy = await startDbLocalProxy(ctx, s, creds, flags, flags.port ?? 0);
  ctx.io.stdout.write(formatTunnelBanner(creds, s.access.cluster, proxy.port));
  await serveUntilInterrupted(proxy, ctx.signal);
}
