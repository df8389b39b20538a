/**
 * @module proxy/db/router
 * Routes an authenticated database client to a database service. The client certificate (already
 * verified against the user CA by tlsUpgrade) names the database in `routeToDatabase`; the router
 * finds the live `db_server` records of that database, keeps those whose service has a reverse
 * tunnel to this proxy, picks one at random (trying the others if a dial fails), dials it with
 * `{type: 'db', target: <database>}`, sends the {@link DatabaseSessionHeader} frame and relays bytes
 * both ways (pipe, so backpressure holds on both legs). The database service re-verifies the
 * certificate and does RBAC; the proxy decides only where the bytes go.
 *
 * Refusals before the relay reach the client as the protocol's own error (a PostgreSQL
 * ErrorResponse, a MySQL ERR packet) and are audited as a failed db.session.start (TDB00W).
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage } from '@teleport-ts/api/errors';
import type { AuditEventInput } from '@teleport-ts/api/events/types';
import type { Identity } from '@teleport-ts/api/tlsca/identity';
import { databaseSessionStartEvent } from '../../events/databaseEvents.ts';
import { encodeFrame } from '../../reversetunnel/protocol.ts';
import type { ReverseTunnelServer } from '../../reversetunnel/server.ts';
import type { AcceptedDatabaseClient, DatabaseProtocol, DatabaseSessionHeader } from '../../srv/db/common/engine.ts';
import { userCertIdentities } from '../../srv/db/identityCache.ts';
import type { Logger } from '../../utils/logger.ts';
import type { DatabaseServerSource } from './dbServers.ts';
import type { PostgresCancelRegistry } from './postgresCancel.ts';
import { protocolError, type RefusalKind } from './protocolErrors.ts';
import { answerAndClose } from './tlsUpgrade.ts';

/** Inputs of {@link DatabaseRouter}. */
export interface DatabaseRouterOptions {
  tunnel: Pick<ReverseTunnelServer, 'isConnected' | 'dial'>;
  servers: DatabaseServerSource;
  /** Emits audit events without waiting (proxy/ssh/audit's auditSink). */
  audit: (event: AuditEventInput) => void;
  /** Remembers PostgreSQL sessions' cancel keys so CancelRequests reach the right service. */
  postgresCancels?: PostgresCancelRegistry;
  clock: Clock;
  logger: Logger;
  /** Randomness for picking among several services (tests pin it). */
  random?: () => number;
}

/** How the client reached the proxy. */
export interface ClientConnection {
  /** The protocol of the listener or ALPN route the client came in on. */
  protocol: DatabaseProtocol;
  /** "ip:port" of the client. */
  clientAddr: string;
}

/** A refusal with what the client and the audit log are told. */
class Refusal extends Error {
  constructor(message: string, readonly kind: RefusalKind = 'access', readonly identity?: Identity) {
    super(message);
  }
}

/** Routes accepted clients; see the module comment. */
export class DatabaseRouter {
  private readonly live = new Set<Duplex>();
  private readonly random: () => number;

  constructor(private readonly opts: DatabaseRouterOptions) {
    this.random = opts.random ?? Math.random;
  }

  /**
   * Serves one client to the end of its session. Never rejects: refusals are answered on the
   * client's stream, audited and logged.
   */
  async serve(client: AcceptedDatabaseClient, conn: ClientConnection): Promise<void> {
    const log = this.opts.logger.child({ remote: conn.clientAddr, protocol: conn.protocol });
    let identity: Identity | undefined;
    try {
      identity = this.identityOf(client, conn);
      const route = identity.routeToDatabase as NonNullable<Identity['routeToDatabase']>;
      const { remote, hostId } = await this.dial(route.serviceName, conn, identity);
      const header: DatabaseSessionHeader = {
        client_cert: client.clientCertPEM, client_addr: conn.clientAddr, protocol: conn.protocol,
        ...(client.mysql && { mysql: client.mysql }),
      };
      remote.write(encodeFrame(header));
      log.debug({ user: identity.username, db: route.serviceName, hostId }, 'database client routed');
      // Pipes first, so the cancel-key watcher's 'data' listener does not start the flow without them.
      const relayed = this.relay(client.stream, remote);
      if (conn.protocol === 'postgres') {
        this.opts.postgresCancels?.track(remote, { hostId, database: route.serviceName, clientCertPEM: client.clientCertPEM });
      }
      await relayed;
    } catch (err) {
      const refusal = err instanceof Refusal ? err : new Refusal(errorMessage(err), 'unavailable', identity);
      log.info({ user: identity?.username, err: refusal.message }, 'database client refused');
      this.audit(refusal, conn, refusal.identity ?? identity);
      answerAndClose(client.stream, protocolError(conn.protocol, refusal.message, {
        kind: refusal.kind, mysqlSequenceId: client.mysql ? 3 : 0,
      }));
    }
  }

  /** Destroys every relayed connection. */
  close(): void {
    for (const s of this.live) s.destroy();
    this.live.clear();
  }

  private identityOf(client: AcceptedDatabaseClient, conn: ClientConnection): Identity {
    let identity: Identity;
    try {
      // Parsed once per certificate; tlsUpgrade verified this one against the user CA just now.
      identity = userCertIdentities.get(client.clientCertPEM);
    } catch (err) {
      throw new Refusal(`cannot read the client certificate: ${errorMessage(err)}: run 'tsh db login <db>'`);
    }
    const route = identity.routeToDatabase;
    if (!route?.serviceName) throw new Refusal("this certificate is not for a database: run 'tsh db login <db>'", 'access', identity);
    if (route.protocol !== conn.protocol) {
      throw new Refusal(
        `the certificate is for ${route.protocol || 'an unknown'} database '${route.serviceName}', but this connection speaks ${conn.protocol}: ` +
        `connect with the ${route.protocol || 'right'} client, or run 'tsh db login <db>' for a ${conn.protocol} database`,
        'access', identity,
      );
    }
    return identity;
  }

  /** Dials a live service of `name` over its tunnel, trying each connected one in random order. */
  private async dial(name: string, conn: ClientConnection, identity: Identity): Promise<{ remote: Duplex; hostId: string }> {
    const servers = await this.opts.servers.serversFor(name);
    if (servers.length === 0) {
      throw new Refusal(`database '${name}' not found: no database service serves it (see 'tsh db ls')`, 'unavailable', identity);
    }
    const hostIds = [...new Set(servers.map((s) => s.spec.host_id))].filter((h) => this.opts.tunnel.isConnected(h, 'db'));
    if (hostIds.length === 0) {
      throw new Refusal(`database '${name}' is not served by any database service connected to this proxy; try again shortly`, 'unavailable', identity);
    }
    shuffle(hostIds, this.random);
    let last: unknown;
    for (const hostId of hostIds) {
      try {
        const remote = await this.opts.tunnel.dial(hostId, { type: 'db', target: name, client_addr: conn.clientAddr });
        return { remote, hostId };
      } catch (err) {
        last = err;
        this.opts.logger.warn({ hostId, db: name, err: errorMessage(err) }, 'could not reach a database service; trying the next one');
      }
    }
    throw new Refusal(`could not reach database '${name}': ${errorMessage(last)}`, 'unavailable', identity);
  }

  private relay(client: Duplex, remote: Duplex): Promise<void> {
    this.live.add(client);
    this.live.add(remote);
    return new Promise<void>((resolve) => {
      let open = 2;
      const closed = (self: Duplex, other: Duplex) => (): void => {
        this.live.delete(self);
        // An orderly end was passed on by pipe (other.end()); an abort takes the other side down too.
        if (!self.readableEnded) other.destroy();
        // pipe() stopped reading `other` when `self` closed. Nobody is left to read it, so drop what
        // still arrives: an ssh2 tunnel channel emits 'close' only after its readable side ended,
        // and one left paused stayed open for good (with the tunnel's listener on it).
        other.resume();
        if (--open === 0) resolve();
      };
      client.on('error', () => undefined);
      remote.on('error', () => undefined);
      client.once('close', closed(client, remote));
      remote.once('close', closed(remote, client));
      client.pipe(remote);
      remote.pipe(client);
    });
  }

  private audit(refusal: Refusal, conn: ClientConnection, identity: Identity | undefined): void {
    const route = identity?.routeToDatabase;
    this.opts.audit(databaseSessionStartEvent({
      sid: randomUUID(), user: identity?.username ?? '', dbService: route?.serviceName ?? '', dbProtocol: conn.protocol,
      dbURI: '', dbUser: route?.username ?? '', dbName: route?.database ?? '', remoteAddr: conn.clientAddr,
      success: false, error: refusal.message,
    }));
  }
}

function shuffle<T>(list: T[], random: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j] as T, list[i] as T];
  }
}
