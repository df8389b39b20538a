/**
 * @module proxy/db/dbProxy
 * Database access at the proxy, put together: the three TLS upgrade points, the optional dedicated
 * listeners, and the router.
 *
 * | entry | how the client gets to TLS | then |
 * |---|---|---|
 * | 3080, ClientHello with ALPN `teleport-postgres`/`teleport-mysql` | TLS at once (database TLS server) | protocol inside TLS, from its first message |
 * | 3080, PostgreSQL SSLRequest | `postgresProxyHandshake`: 'S', then TLS | StartupMessage inside TLS |
 * | `postgres_listen_addr` | the same | the same |
 * | `mysql_listen_addr` | `mysqlProxyHandshake`: greeting with the SSL capability, SSLRequest, TLS | HandshakeResponse41 inside TLS |
 * | 3080 or `postgres_listen_addr`, CancelRequest | none (plaintext, as libpq sends it) | forwarded by cancel key |
 *
 * Every upgrade is {@link newUserTLSUpgrade} (client certificate from the user CA, checked). A refused
 * certificate is answered inside TLS with the protocol's error and audited (db.session.start TDB00W);
 * accepted clients go to {@link DatabaseRouter}. The server certificate is the proxy's web
 * certificate everywhere (see tlsUpgrade's module comment for what clients must trust).
 */
import { randomInt } from 'node:crypto';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { X509Certificate, randomUUID } from 'node:crypto';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError, errorMessage } from '@teleport-ts/api/errors';
import type { AuditEventInput } from '@teleport-ts/api/events/types';
import { identityFromCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';
import { databaseSessionStartEvent } from '../../events/databaseEvents.ts';
import type { ReverseTunnelServer } from '../../reversetunnel/server.ts';
import type { AcceptedDatabaseClient, DatabaseProtocol, UpgradeToTLS } from '../../srv/db/common/engine.ts';
import type { Logger } from '../../utils/logger.ts';
import type { DatabaseServerSource } from './dbServers.ts';
import { ALPN_DATABASE, newMultiplexer, type MultiplexerHandlers } from './multiplexer.ts';
import { PostgresCancelRegistry } from './postgresCancel.ts';
import { protocolError } from './protocolErrors.ts';
import { DatabaseRouter } from './router.ts';
import { answerAndClose, newUserTLSUpgrade, type TLSRefusal, type UserTLSUpgrade } from './tlsUpgrade.ts';

/** srv/db/postgres/proxyHandshake's `postgresProxyHandshake`. */
export type PostgresProxyHandshake = (socket: Duplex, upgrade: UpgradeToTLS) => Promise<AcceptedDatabaseClient>;
/** srv/db/mysql/proxyHandshake's `mysqlProxyHandshake`. */
export type MySQLProxyHandshake = (
  socket: Duplex, upgrade: UpgradeToTLS, opts: { connectionId: number; serverVersion?: string },
) => Promise<AcceptedDatabaseClient>;

/** Inputs of {@link startDatabaseProxy}. */
export interface DatabaseProxyOptions {
  /** The proxy's web certificate and key, presented on every database TLS upgrade. */
  certPEM: string;
  keyPEM: string;
  /** The user CA certificates trusted now (UserTLSCAs.certs). */
  userCAs: () => string[];
  tunnel: Pick<ReverseTunnelServer, 'isConnected' | 'dial'>;
  servers: DatabaseServerSource;
  /** Emits audit events without waiting. */
  audit: (event: AuditEventInput) => void;
  postgresHandshake: PostgresProxyHandshake;
  /** Needed for `mysqlListenAddr`. */
  mysqlHandshake?: MySQLProxyHandshake;
  /** Server version the MySQL greeting announces (the handshake's default when absent). */
  mysqlServerVersion?: string;
  /** Dedicated PostgreSQL listener; absent: PostgreSQL only on the web port. */
  postgresListenAddr?: { host: string; port: number };
  /** Dedicated MySQL listener (upstream's default port is 3036); absent: MySQL only by ALPN on the web port. */
  mysqlListenAddr?: { host: string; port: number };
  handshakeTimeoutMs?: number;
  clock: Clock;
  logger: Logger;
}

/** Running database access at the proxy. */
export interface DatabaseProxy {
  /** What the web port's multiplexer hands to database access. */
  webHandlers: Omit<MultiplexerHandlers, 'tls'>;
  /** Bound address of the dedicated PostgreSQL listener, when enabled. */
  postgresAddr?: { host: string; port: number };
  /** Bound address of the dedicated MySQL listener, when enabled. */
  mysqlAddr?: { host: string; port: number };
  router: DatabaseRouter;
  close(): Promise<void>;
}

const addrOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string => {
  const host = s.remoteAddress ?? '';
  return `${host.includes(':') ? `[${host}]` : host}:${s.remotePort ?? 0}`;
};

/** Starts database access at the proxy (the listeners, when configured) and returns the web port handlers. */
export async function startDatabaseProxy(opts: DatabaseProxyOptions): Promise<DatabaseProxy> {
  const { logger } = opts;
  if (opts.mysqlListenAddr && !opts.mysqlHandshake) throw new BadParameterError('a MySQL listener needs the MySQL handshake (mysqlHandshake)');
  const cancels = new PostgresCancelRegistry({ tunnel: opts.tunnel, logger });
  const router = new DatabaseRouter({ tunnel: opts.tunnel, servers: opts.servers, audit: opts.audit, postgresCancels: cancels, clock: opts.clock, logger });
  const upgradeFor = (protocolOf: (r: TLSRefusal) => DatabaseProtocol, mysqlSequenceId: number, alpn?: string[]): UserTLSUpgrade => newUserTLSUpgrade({
    certPEM: opts.certPEM, keyPEM: opts.keyPEM, userCAs: opts.userCAs, clock: opts.clock,
    ...(alpn && { alpn }),
    ...(opts.handshakeTimeoutMs !== undefined && { handshakeTimeoutMs: opts.handshakeTimeoutMs }),
    onRefused: (r) => refuse(r, protocolOf(r), mysqlSequenceId),
  });
  const refuse = (r: TLSRefusal, protocol: DatabaseProtocol, mysqlSequenceId: number): void => {
    const clientAddr = addrOf(r.socket);
    logger.info({ remote: clientAddr, protocol, reason: r.reason, err: r.error.message }, 'database client certificate refused');
    // Only a certificate this cluster signed (expired or not yet valid) names a user worth recording.
    const identity = r.reason === 'expired' || r.reason === 'not-yet-valid' ? safeIdentity(r.peerCertPEM) : undefined;
    const route = identity?.routeToDatabase;
    opts.audit(databaseSessionStartEvent({
      sid: randomUUID(), user: identity?.username ?? '', dbService: route?.serviceName ?? '', dbProtocol: protocol, dbURI: '',
      dbUser: route?.username ?? '', dbName: route?.database ?? '', remoteAddr: clientAddr, success: false, error: r.error.message,
    }));
    answerAndClose(r.socket, protocolError(protocol, r.error.message, { mysqlSequenceId }));
  };
  // ALPN routes: the client waits for the server's first message (MySQL: the greeting, sequence 0).
  const alpnUpgrade = upgradeFor((r) => ALPN_DATABASE[String(r.socket.alpnProtocol)] ?? 'postgres', 0, Object.keys(ALPN_DATABASE));
  const postgresUpgrade = upgradeFor(() => 'postgres', 0);
  // Dedicated MySQL listener: greeting 0, SSLRequest 1, HandshakeResponse41 2 (inside TLS), reply 3.
  const mysqlUpgrade = upgradeFor(() => 'mysql', 3);

  const failed = (what: string, socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }) => (err: unknown): void => {
    logger.debug({ remote: addrOf(socket), err: errorMessage(err) }, `${what} failed`);
  };
  const servePostgres = (socket: Socket): void => {
    opts.postgresHandshake(socket, postgresUpgrade)
      .then((client) => router.serve(client, { protocol: 'postgres', clientAddr: addrOf(socket) }))
      .catch(failed('PostgreSQL handshake', socket));
  };
  const serveCancel = (socket: Socket): void => cancels.handle(socket, addrOf(socket));
  const serveALPN = (socket: Socket, protocol: DatabaseProtocol): void => {
    alpnUpgrade(socket).then((tlsSocket: TLSSocket) => {
      const negotiated = ALPN_DATABASE[String(tlsSocket.alpnProtocol)];
      if (negotiated !== protocol) {
        tlsSocket.destroy();
        return;
      }
      const clientCertPEM = new X509Certificate(tlsSocket.getPeerCertificate().raw).toString();
      return router.serve({ stream: tlsSocket, clientCertPEM }, { protocol, clientAddr: addrOf(socket) });
    }).catch(failed(`database TLS (${protocol})`, socket));
  };
  // Greeting ids live in [2^30, 2^31) from a random start, like the engine's own, so a client's
  // `KILL <n>` with a real server thread id (small numbers) is never mistaken for one of ours.
  let connectionId = 0x40000000 + randomInt(0x3fffffff);
  const serveMySQL = (socket: Socket): void => {
    socket.on('error', () => undefined);
    const handshake = opts.mysqlHandshake;
    if (!handshake) return void socket.destroy();
    // Connection ids only need to be unique per proxy process (they show in the client's greeting).
    connectionId = connectionId >= 0x7ffffffe ? 0x40000000 : connectionId + 1;
    handshake(socket, mysqlUpgrade, { connectionId, ...(opts.mysqlServerVersion && { serverVersion: opts.mysqlServerVersion }) })
      .then((client) => router.serve(client, { protocol: 'mysql', clientAddr: addrOf(socket) }))
      .catch(failed('MySQL handshake', socket));
  };

  const listeners: net.Server[] = [];
  const sockets = new Set<Socket>();
  const listen = async (addr: { host: string; port: number }, onSocket: (s: Socket) => void): Promise<{ host: string; port: number }> => {
    const server = net.createServer({ noDelay: true }, (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      onSocket(s);
    });
    listeners.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(addr.port, addr.host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  };
  const closeAll = async (): Promise<void> => {
    for (const u of [alpnUpgrade, postgresUpgrade, mysqlUpgrade]) u.close();
    router.close();
    for (const s of sockets) s.destroy();
    await Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
  };
  try {
    // The dedicated PostgreSQL port also sees plaintext CancelRequests; anything else that is not PostgreSQL is dropped.
    const postgresAddr = opts.postgresListenAddr && await listen(opts.postgresListenAddr, newMultiplexer({
      handlers: { postgres: servePostgres, postgresCancel: serveCancel, tls: (s) => s.destroy() }, logger,
    }));
    const mysqlAddr = opts.mysqlListenAddr && await listen(opts.mysqlListenAddr, serveMySQL);
    if (postgresAddr) logger.info({ addr: `${postgresAddr.host}:${postgresAddr.port}` }, 'PostgreSQL proxy listener started');
    if (mysqlAddr) logger.info({ addr: `${mysqlAddr.host}:${mysqlAddr.port}` }, 'MySQL proxy listener started');
    return {
      webHandlers: { postgres: servePostgres, postgresCancel: serveCancel, databaseTLS: serveALPN },
      ...(postgresAddr && { postgresAddr }),
      ...(mysqlAddr && { mysqlAddr }),
      router,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function safeIdentity(pem: string | undefined): Identity | undefined {
  if (!pem) return undefined;
  try {
    return identityFromCertificate(pem);
  } catch {
    return undefined;
  }
}
