/**
 * @module tool/tsh/benchDb
 * `tsh bench postgres|mysql <db>`: logs in to the database when needed (as `tsh db connect` does),
 * starts the local proxy (client/db/localProxy.ts: plaintext on 127.0.0.1, TLS with the database
 * certificate and ALPN to the proxy), and makes every request a new connection through it: the
 * protocol's startup as the database user, the query, and a clean goodbye. The wire clients are
 * client/bench/pgClient.ts and mysqlClient.ts.
 */
import net from 'node:net';
import { BadParameterError } from '@teleport-ts/api/errors';
import { MySQLConnection } from '../../client/bench/mysqlClient.ts';
import { PgConnection } from '../../client/bench/pgClient.ts';
import type { BenchResult } from '../../client/bench/runner.ts';
import type { TshContext } from './context.ts';
import { ensureDbLogin, loadDbSession, type DbFlags } from './dbAccess.ts';
import { startDbLocalProxy } from './dbConnect.ts';
import { runAndReport, type BenchFlags } from './benchRun.ts';

/** Flags of `tsh bench postgres|mysql`. */
export type BenchDbFlags = BenchFlags & DbFlags & { query: string };

/** The database protocols `tsh bench` speaks. */
export type BenchDbProtocol = 'postgres' | 'mysql';

function connectLocal(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => {
      sock.off('error', reject);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

/** Runs `tsh bench postgres` or `tsh bench mysql`; resolves with the measurements after printing them. */
export async function benchDatabase(ctx: TshContext, protocol: BenchDbProtocol, db: string, flags: BenchDbFlags): Promise<BenchResult> {
  const s = await loadDbSession(ctx, flags);
  const creds = await ensureDbLogin(ctx, s, db, flags);
  const actual = creds.route.protocol === 'mysql' ? 'mysql' : 'postgres';
  if (actual !== protocol) throw new BadParameterError(`database "${creds.db}" speaks ${actual}: use "tsh bench ${actual} ${creds.db}"`);
  const user = creds.route.username;
  if (!user) throw new BadParameterError(`no database user for "${creds.db}": pass --db-user`);
  const database = flags.dbName ?? creds.route.database;
  const proxy = await startDbLocalProxy(ctx, s, creds, flags);
  try {
    return await runAndReport(ctx, flags, async () => {
      const sock = await connectLocal(proxy.port);
      // A clean close sends Terminate / COM_QUIT and ends the socket; only a failure tears it down.
      try {
        const conn = protocol === 'postgres'
          ? await PgConnection.connect(sock, { user, database: database ?? user })
          : await MySQLConnection.connect(sock, { user, ...(database && { database }) });
        await conn.query(flags.query);
        conn.close();
      } catch (err) {
        sock.destroy();
        throw err;
      }
    });
  } finally {
    await proxy.close();
  }
}
