/**
 * @module srv/db/session
 * One client connection arriving on a "db" transport channel: read the session header the proxy
 * sends, re-verify the user's certificate (user CA, validity) and its route (it must name this
 * database), build the {@link EngineContext} (RBAC from the user's current record and roles, the
 * upstream TLS with a db CA client certificate, audit hooks) and run the protocol's engine. A client
 * refused before the engine runs gets the protocol's own error and a failed db.session.start.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { AccessDeniedError, BadParameterError, errorMessage, isAccessDenied, isNotFound } from '@teleport-ts/api/errors';
import type { Identity } from '@teleport-ts/api/tlsca/identity';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import type { Role } from '@teleport-ts/api/types/role';
import type { User } from '@teleport-ts/api/types/user';
import { readFirstFrame } from '../../reversetunnel/frameIO.ts';
import { AccessChecker } from '../../services/rbac/accessChecker.ts';
import { AuditBatchEmitter, authClientSenders } from '../../events/batchEmitter.ts';
import { databaseSessionEndEvent, databaseSessionQueryEvents, databaseSessionStartEvent, type DatabaseQuery, type DatabaseSessionInfo } from '../../events/databaseEvents.ts';
import type { Logger } from '../../utils/logger.ts';
import type { DatabaseAudit, DatabaseProtocol, DatabaseSessionHeader, Engine, EngineContext } from './common/engine.ts';
import { verifyUserCertificate } from './clientCert.ts';
import { refuseClient } from './refusal.ts';
import type { ServedDatabase } from './targets.ts';
import { upstreamTLSOptions, type UpstreamCertCache } from './upstreamTLS.ts';

/** How long the proxy has to send the session header. */
export const HEADER_TIMEOUT_MS = 15_000;

/** What serving a connection needs from the service. */
export interface SessionDeps {
  authClient: Pick<AuthClient, 'getResource' | 'emitAuditEvent' | 'generateDatabaseCert'>;
  clock: Clock;
  logger: Logger;
  hostId: string;
  nodeName: string;
  /** Current user CA certificates (PEM). */
  userCAs: () => string[];
  certs: UpstreamCertCache;
  engines: Partial<Record<DatabaseProtocol, Engine>>;
  /**
   * Where the session's audit events go, in order: the service's emitter, shared by its sessions so
   * their events share requests. Absent: an emitter of the session's own over `authClient`.
   */
  emitter?: Pick<AuditBatchEmitter, 'emit'>;
}

/** Validates the decoded header frame. */
export function parseSessionHeader(v: unknown): DatabaseSessionHeader {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') throw new BadParameterError('the database session header is not an object');
  if (typeof o.client_cert !== 'string') throw new BadParameterError('the database session header has no client_cert');
  if (o.protocol !== 'postgres' && o.protocol !== 'mysql') throw new BadParameterError(`the database session header names protocol ${JSON.stringify(o.protocol)}`);
  const h: DatabaseSessionHeader = { client_cert: o.client_cert, client_addr: typeof o.client_addr === 'string' ? o.client_addr : '', protocol: o.protocol };
  const m = o.mysql as Record<string, unknown> | undefined;
  if (m && typeof m === 'object' && typeof m.scramble === 'string' && typeof m.connection_id === 'number' && typeof m.server_version === 'string') {
    h.mysql = { scramble: m.scramble, connection_id: m.connection_id, server_version: m.server_version };
  }
  return h;
}

/**
 * The user's current roles, checked like auth's authorizer: the user must exist and not be locked.
 * The user and the roles are read at once (one round trip to auth, not one per record).
 */
async function currentChecker(deps: SessionDeps, identity: Identity): Promise<AccessChecker> {
  const userRead = deps.authClient.getResource<User>('user', identity.username);
  // A role deleted since the certificate was issued simply grants nothing now.
  const roleReads = identity.groups.map((name) => deps.authClient.getResource<Role>('role', name).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  }));
  // Nothing left unobserved if the user read fails first.
  for (const r of roleReads) void r.catch(() => undefined);
  let user: User;
  try {
    user = await userRead;
  } catch (err) {
    if (isNotFound(err)) throw new AccessDeniedError(`user '${identity.username}' no longer exists`);
    throw err;
  }
  const lockExpires = user.spec.status?.lock_expires;
  if (user.spec.status?.is_locked && lockExpires && Date.parse(lockExpires) > deps.clock.nowMs()) {
    throw new AccessDeniedError(`user '${identity.username}' is locked until ${lockExpires}`);
  }
  const roles = (await Promise.all(roleReads)).filter((r): r is Role => r !== undefined);
  return new AccessChecker(roles, identity.traits ?? user.spec.traits ?? {});
}

/**
 * Audit hooks of one session; failures to emit are logged, never thrown into the engine. Events are
 * handed to the emitter synchronously, so they are recorded in call order even when callers do not
 * wait for one another.
 */
class SessionAudit implements DatabaseAudit {
  dbUser = '';
  dbName = '';
  started = false;
  ended = false;
  /** The session fields every event repeats, and the query event builder over them; reset by sessionStart. */
  private cached: { info: DatabaseSessionInfo; queryEvent: (q: DatabaseQuery) => Record<string, unknown> } | undefined;
  private readonly emitter: Pick<AuditBatchEmitter, 'emit'>;

  constructor(private readonly deps: SessionDeps, private readonly base: Omit<DatabaseSessionInfo, 'dbUser' | 'dbName'>) {
    this.emitter = deps.emitter ?? new AuditBatchEmitter({ ...authClientSenders(deps.authClient), logger: deps.logger });
  }

  private session(): NonNullable<SessionAudit['cached']> {
    if (!this.cached) {
      const info = { ...this.base, dbUser: this.dbUser, dbName: this.dbName };
      this.cached = { info, queryEvent: databaseSessionQueryEvents(info) };
    }
    return this.cached;
  }

  /**
   * Hands the event to the emitter now (so call order is record order); never rejects. Session
   * start and end are urgent: the engine waits for them.
   */
  private emit(e: Record<string, unknown>, urgent = false): Promise<void> {
    return this.emitter.emit(e, { urgent }).catch((err: unknown) => {
      this.deps.logger.warn({ err: errorMessage(err), event: e.event, sid: this.base.sid }, 'could not emit a database audit event');
    });
  }

  sessionStart(o: { dbUser: string; dbName: string; success: boolean; error?: string }): Promise<void> {
    this.dbUser = o.dbUser;
    this.dbName = o.dbName;
    this.cached = undefined;
    if (o.success) this.started = true;
    return this.emit(databaseSessionStartEvent({ ...this.session().info, success: o.success, ...(o.error !== undefined && { error: o.error }) }), true);
  }

  query(o: { statement: string; parameters?: string[]; success?: boolean; error?: string }): Promise<void> {
    const q: DatabaseQuery = { query: o.statement };
    if (o.parameters) q.parameters = o.parameters;
    if (o.success !== undefined) q.success = o.success;
    if (o.error !== undefined) q.error = o.error;
    return this.emit(this.session().queryEvent(q));
  }

  sessionEnd(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    return this.emit(databaseSessionEndEvent(this.session().info), true);
  }
}

/** Serves one "db" transport channel for `db` to its end. Never throws. */
export async function serveDatabaseConnection(deps: SessionDeps, stream: Duplex, db: ServedDatabase, clientAddr: string): Promise<void> {
  const sid = randomUUID();
  const log = deps.logger.child({ sid, db: db.target.name });
  stream.on('error', (err: Error) => log.debug({ err: err.message }, 'client stream error'));
  let header: DatabaseSessionHeader;
  try {
    header = parseSessionHeader(await readFirstFrame(stream, HEADER_TIMEOUT_MS, 'database session header'));
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'no valid database session header; closing');
    stream.destroy();
    return;
  }
  const base = {
    sid, user: '', dbService: db.target.name, dbProtocol: db.target.protocol, dbURI: db.target.uri,
    serverId: deps.hostId, serverHostname: deps.nodeName, remoteAddr: header.client_addr || clientAddr, dbLabels: db.target.labels,
  };
  let identity: Identity;
  try {
    identity = verifyUserCertificate(header.client_cert, deps.userCAs(), deps.clock);
    const route = identity.routeToDatabase;
    if (!route?.serviceName) throw new AccessDeniedError(`the certificate is not a database certificate: run tsh db login ${db.target.name}`);
    if (route.serviceName !== db.target.name) {
      throw new AccessDeniedError(`the certificate is for database "${route.serviceName}", not "${db.target.name}": run tsh db login ${db.target.name}`);
    }
    if (header.protocol !== db.target.protocol) {
      throw new AccessDeniedError(`database "${db.target.name}" speaks ${db.target.protocol}, but the client connected with ${header.protocol}`);
    }
  } catch (err) {
    const message = isAccessDenied(err) ? errorMessage(err) : `access denied: ${errorMessage(err)}`;
    const audit = new SessionAudit(deps, { ...base, user: certUser(header.client_cert) });
    const route = certRoute(header.client_cert);
    await audit.sessionStart({ dbUser: route?.username ?? '', dbName: route?.database ?? '', success: false, error: message });
    log.info({ err: message }, 'refused a database client');
    await refuseClient(stream, header, message);
    return;
  }
  const audit = new SessionAudit(deps, { ...base, user: identity.username });
  const engine = deps.engines[db.target.protocol];
  if (!engine) {
    const message = `this database service has no ${db.target.protocol} engine`;
    await audit.sessionStart({ dbUser: identity.routeToDatabase?.username ?? '', dbName: identity.routeToDatabase?.database ?? '', success: false, error: message });
    await refuseClient(stream, header, message);
    return;
  }
  const ctx: EngineContext = {
    client: stream, identity, database: db.target, header, sessionId: sid, audit, clock: deps.clock, logger: log,
    authorize: async (dbUser, dbName) => {
      const checker = await currentChecker(deps, identity);
      checker.checkAccessToDatabase({ name: db.target.name, labels: db.target.labels, protocol: db.target.protocol }, dbUser, dbName);
    },
    upstreamTLS: async (dbUser) => upstreamTLSOptions(db.target.uri, db.tls, await deps.certs.get(dbUser)),
  };
  try {
    await engine(ctx);
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'database engine failed');
  } finally {
    if (audit.started) await audit.sessionEnd();
    closeStream(stream);
  }
}

/** Ends the stream, letting written bytes go out, then destroys it (at the latest after 5 s). */
function closeStream(stream: Duplex): void {
  if (stream.destroyed) return;
  const timer = setTimeout(() => stream.destroy(), 5_000);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
  stream.end(() => stream.destroy());
}

/** The user named in a certificate we refused, for the audit event ("" when unreadable). */
function certUser(pem: string): string {
  try {
    return identityFromCertificate(pem).username;
  } catch {
    return '';
  }
}

function certRoute(pem: string): Identity['routeToDatabase'] {
  try {
    return identityFromCertificate(pem).routeToDatabase;
  } catch {
    return undefined;
  }
}
