/**
 * @module srv/db/common/engine
 * The contract between the three parts of database access, so each can be built and tested alone:
 *
 * 1. The **proxy** (proxy/db/) accepts a client, does the protocol's own TLS upgrade (PostgreSQL
 *    SSLRequest, MySQL SSL capability; see each protocol's `proxyHandshake.ts`) or takes a TLS
 *    connection routed by ALPN, verifies the client certificate against the user CA, reads the route
 *    (RouteToDatabase) from it, dials the database service that serves that database over the
 *    reverse tunnel (`DialRequest` type "db", target = database name) and sends one
 *    {@link DatabaseSessionHeader} frame (reversetunnel/protocol.ts `encodeFrame`), then relays the
 *    plaintext protocol bytes both ways.
 * 2. The **database service** (srv/db/service.ts) reads the header, re-verifies the client
 *    certificate (user CA, validity), finds the database, builds an {@link EngineContext} and runs the
 *    protocol's {@link Engine}.
 * 3. The **engine** (srv/db/postgres/engine.ts, srv/db/mysql/engine.ts) speaks the protocol: reads
 *    the client's startup, asks `authorize` (RBAC: db labels, db user, db name), connects to the
 *    real database with a client certificate for the db user, relays, and audits every query.
 */
import type { Duplex } from 'node:stream';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { Clock } from '@teleport-ts/api/clock';
import type { Identity } from '@teleport-ts/api/tlsca/identity';
import type { Logger } from '../../../utils/logger.ts';

/** Database protocols served. */
export type DatabaseProtocol = 'postgres' | 'mysql';

/** What the proxy sends the database service first on a "db" transport channel (one JSON frame). */
export interface DatabaseSessionHeader {
  /** PEM of the client certificate the proxy verified (the user's database certificate). */
  client_cert: string;
  /** "ip:port" of the client as the proxy saw it. */
  client_addr: string;
  protocol: DatabaseProtocol;
  /**
   * MySQL only, when the proxy already sent the initial handshake (dedicated MySQL listener: the
   * greeting carries the SSL capability and precedes TLS). The engine then continues by reading the
   * client's HandshakeResponse41 (sequence id 2, after the SSLRequest at 1) and must verify the
   * client's auth response against this scramble if it checks one at all. Absent (ALPN routes and
   * `tsh proxy db`): the engine sends the greeting itself, with sequence id 0.
   */
  mysql?: { scramble: string /* base64, 20 bytes */; connection_id: number; server_version: string };
}

/** A database as the engine sees it (from teleport.yaml or a dynamic `db` resource). */
export interface DatabaseTarget {
  name: string;
  protocol: DatabaseProtocol;
  /** host:port of the real database. */
  uri: string;
  labels: Record<string, string>;
  /**
   * Beyond upstream: a password the service uses for upstream auth instead of a client
   * certificate (read from a file or an environment variable at start; never stored in the backend).
   */
  password?: string;
}

/**
 * Audit hooks of one session (events db.session.start/end/query with upstream's codes). Events are
 * recorded in call order: callers need not wait for one call before making the next.
 */
export interface DatabaseAudit {
  /** db.session.start: TDB00I on success, TDB00W with `error` on failure. */
  sessionStart(o: { dbUser: string; dbName: string; success: boolean; error?: string }): Promise<void>;
  /** db.session.query: TDB02I, or TDB02W with `error` when the database refused the statement. */
  query(o: { statement: string; parameters?: string[]; success?: boolean; error?: string }): Promise<void>;
  /** db.session.end: TDB01I. */
  sessionEnd(): Promise<void>;
}

/** Everything an engine needs for one client connection. */
export interface EngineContext {
  /** The client's plaintext protocol stream (TLS already terminated by the proxy), header consumed. */
  client: Duplex;
  /** The verified identity of the user (from the client certificate). */
  identity: Identity;
  /** The database this connection is for. */
  database: DatabaseTarget;
  /** The header the proxy sent (for MySQL greeting state). */
  header: DatabaseSessionHeader;
  /** Unique id of this session (used in audit events and logs). */
  sessionId: string;
  /**
   * RBAC for this user on this database with `dbUser` and `dbName` (labels, db_users, db_names,
   * traits, deny first). Throws AccessDeniedError whose message names the rule, e.g.
   * "access to db user 'postgres' denied by role dev"; the engine sends it to the client as the
   * protocol's error and audits a failed session start.
   */
  authorize(dbUser: string, dbName: string): Promise<void>;
  /**
   * TLS options to reach the real database as `dbUser`: a short-lived client certificate issued by
   * the cluster's db CA (CN = dbUser), the CA to verify the server with, and the server name.
   * Pass to `tls.connect({ ...opts, socket })` after the protocol's own TLS negotiation.
   */
  upstreamTLS(dbUser: string): Promise<ConnectionOptions>;
  audit: DatabaseAudit;
  clock: Clock;
  logger: Logger;
}

/** Serves one client connection to its end. Never throws for protocol or access errors (it answers the client). */
export type Engine = (ctx: EngineContext) => Promise<void>;

/** A client connection the proxy has upgraded and authenticated, ready to be routed. */
export interface AcceptedDatabaseClient {
  /** The TLS socket (client certificate verified, `authorized` checked) or a plaintext stream inside it. */
  stream: Duplex;
  /** PEM of the verified client certificate. */
  clientCertPEM: string;
  /** MySQL greeting state when the proxy sent the greeting (see DatabaseSessionHeader.mysql). */
  mysql?: DatabaseSessionHeader['mysql'];
}

/**
 * Upgrades an accepted socket to TLS the safe way (dependencies.md "TLS trap": a tls.Server given the
 * socket, requestCert + rejectUnauthorized against the user CA, and `authorized` checked). Rejects
 * with AccessDeniedError for a missing, foreign-CA or expired client certificate.
 */
export type UpgradeToTLS = (socket: Duplex) => Promise<TLSSocket>;
