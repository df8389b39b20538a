/**
 * @module tool/tsh/dbConnect
 * `tsh db connect <db>`: logs in to the database when needed, starts the local proxy
 * (client/db/localProxy.ts) on 127.0.0.1 with a random port, and runs psql or mysql/mariadb against
 * it without TLS (the TLS to the proxy is the local proxy's), with the terminal inherited. tsh exits
 * with the client's status. Ctrl-C belongs to the client (psql sends a CancelRequest through the
 * local proxy), so tsh ignores SIGINT while it runs.
 */
import { execFile, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { NotFoundError } from '@teleport-ts/api/errors';
import { mysqlLocalCommand, psqlLocalCommand, type MySQLClientFlavor } from '../../client/db/dbProfile.ts';
import { startLocalProxy, type LocalProxy } from '../../client/db/localProxy.ts';
import type { CLIIO } from '../common/cli.ts';
import { ExitError } from '../common/cli.ts';
import type { TshContext } from './context.ts';
import { ensureDbLogin, loadDbSession, proxyVerification, type DbFlags, type DbSession } from './dbAccess.ts';
import type { DbCredentials } from '../../client/db/dbKeyStore.ts';

/** Finds an executable on PATH; undefined when none of `names` is there. */
export async function findExecutable(names: readonly string[], env: CLIIO['env']): Promise<string | undefined> {
  const dirs = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const p = join(dir, name);
      try {
        await access(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Tells MariaDB's client from MySQL's by its --version line. */
export function mysqlFlavorOf(versionLine: string): MySQLClientFlavor {
  return /mariadb/i.test(versionLine) ? 'mariadb' : 'mysql';
}

function versionOf(bin: string): Promise<string> {
  return new Promise((resolve) => execFile(bin, ['--version'], { timeout: 10_000 }, (_e, out) => resolve(String(out ?? ''))));
}

/** The client argv for a plaintext local proxy on `port`; NotFoundError with an install hint when missing. */
export async function localClientCommand(creds: DbCredentials, port: number, env: CLIIO['env']): Promise<string[]> {
  const { username, database } = creds.route;
  if (creds.route.protocol === 'mysql') {
    const bin = await findExecutable(['mysql', 'mariadb'], env);
    if (!bin) throw new NotFoundError('mysql not found: install a MySQL or MariaDB client (mariadb-client or mysql-client), or use "tsh proxy db --tunnel" with another client');
    return mysqlLocalCommand(port, mysqlFlavorOf(await versionOf(bin)), username, database, bin);
  }
  const bin = await findExecutable(['psql'], env);
  if (!bin) throw new NotFoundError('psql not found: install postgresql-client, or use "tsh proxy db --tunnel" with another client');
  return psqlLocalCommand(port, username, database, bin);
}

/** Starts the local proxy for a logged-in database, reporting connection failures on stderr. */
export function startDbLocalProxy(ctx: TshContext, s: DbSession, creds: DbCredentials, flags: DbFlags, port = 0): Promise<LocalProxy> {
  return startLocalProxy({
    remoteAddr: s.access.webProxyAddr,
    protocol: creds.route.protocol === 'mysql' ? 'mysql' : 'postgres',
    listenPort: port,
    proxyCAs: creds.proxyCAs,
    verify: proxyVerification(s, flags),
    serverName: s.access.proxyHost,
    credentials: async () => {
      // Reload per connection, so a `tsh db login` elsewhere is picked up, and refuse an expired certificate here with advice.
      const now = await s.store.load(s.owner, creds.db).catch(() => undefined) ?? creds;
      if (now.expires.getTime() <= ctx.now().getTime()) {
        throw new NotFoundError(`the certificate for database "${creds.db}" expired: run "tsh db login ${creds.db}"`);
      }
      return { certPEM: now.certPEM, keyPEM: now.keyPEM };
    },
    onError: (err) => ctx.io.stderr.write(`ERROR: ${err.message}\n`),
  });
}

/** Runs the client with the terminal (or the injected streams in tests); resolves with its exit status. */
function runClient(io: CLIIO, argv: string[]): Promise<number> {
  const inherit = io.stdin === process.stdin && io.stdout === process.stdout && io.stderr === process.stderr;
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: inherit ? 'inherit' : 'pipe', env: io.env });
    if (!inherit) {
      io.stdin.pipe(child.stdin!);
      child.stdout!.pipe(io.stdout, { end: false });
      child.stderr!.pipe(io.stderr, { end: false });
    }
    child.once('error', reject);
    child.once('close', (code, sig) => {
      if (!inherit) io.stdin.unpipe(child.stdin!);
      resolve(code ?? (sig ? 128 + (sig === 'SIGINT' ? 2 : 15) : 1));
    });
  }).finally(() => process.off('SIGINT', ignore));
}

/** Runs `tsh db connect`. */
export async function dbConnect(ctx: TshContext, db: string, flags: DbFlags): Promise<void> {
  const s = await loadDbSession(ctx, flags);
  const creds = await ensureDbLogin(ctx, s, db, flags);
  const proxy = await startDbLocalProxy(ctx, s, creds, flags);
  try {
    const argv = await localClientCommand(creds, proxy.port, ctx.io.env);
    const status = await runClient(ctx.io, argv);
    if (status !== 0) throw new ExitError(status);
  } finally {
    await proxy.close();
  }
}
