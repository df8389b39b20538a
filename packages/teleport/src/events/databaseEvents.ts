/**
 * @module events/databaseEvents
 * Builders for database session events, with upstream's names, codes and fields:
 * db.session.start (TDB00I, or TDB00W with `error` when refused), db.session.end (TDB01I) and
 * db.session.query (TDB02I, or TDB02W when the database refused the statement). Every event carries
 * the session (`sid`), the Teleport user, the database service (`db_service` = database name,
 * `db_protocol`, `db_uri`) and the database user and name used. Passwords never go in.
 */
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { AuditEventInput } from '@teleport-ts/api/events/types';

/** What every database session event says about the session. */
export interface DatabaseSessionInfo {
  /** Session id. */
  sid: string;
  /** Teleport user. */
  user: string;
  /** Database name as registered in Teleport (upstream's db_service). */
  dbService: string;
  dbProtocol: string;
  /** host:port of the database. */
  dbURI: string;
  /** Database user the session connected (or tried to connect) as. */
  dbUser: string;
  /** Database (schema) name; "" when none was given (MySQL). */
  dbName: string;
  /** Host id of the database service. */
  serverId?: string;
  serverHostname?: string;
  /** Client address as the proxy saw it. */
  remoteAddr?: string;
  /** Labels of the database. */
  dbLabels?: Record<string, string>;
}

function base(s: DatabaseSessionInfo): AuditEventInput {
  return {
    event: '',
    code: '',
    sid: s.sid,
    user: s.user,
    server_id: s.serverId,
    server_hostname: s.serverHostname,
    'addr.remote': s.remoteAddr,
    db_service: s.dbService,
    db_protocol: s.dbProtocol,
    db_uri: s.dbURI,
    db_user: s.dbUser,
    db_name: s.dbName,
    db_labels: s.dbLabels,
  };
}

/** db.session.start: TDB00I on success, TDB00W with `error` when the session was refused. */
export function databaseSessionStartEvent(s: DatabaseSessionInfo & { success: boolean; error?: string }): AuditEventInput {
  return {
    ...base(s),
    event: EventTypes.databaseSessionStart,
    code: s.success ? EventCodes.databaseSessionStart : EventCodes.databaseSessionStartFailure,
    success: s.success,
    ...(!s.success && { error: s.error ?? 'access denied' }),
  };
}

/** db.session.end (TDB01I). */
export function databaseSessionEndEvent(s: DatabaseSessionInfo): AuditEventInput {
  return { ...base(s), event: EventTypes.databaseSessionEnd, code: EventCodes.databaseSessionEnd };
}

/**
 * db.session.query: the statement text and, for prepared/extended statements, its parameters
 * (TDB02I; TDB02W with `error` when the database refused it).
 */
export function databaseSessionQueryEvent(s: DatabaseSessionInfo & DatabaseQuery): AuditEventInput {
  return databaseSessionQueryEvents(s)(s);
}

/** One statement of a db.session.query event. */
export interface DatabaseQuery {
  query: string;
  parameters?: string[];
  success?: boolean;
  error?: string;
}

/**
 * db.session.query events of one session, the same as {@link databaseSessionQueryEvent}'s: the
 * session's fields are laid out once, and each statement's event is a copy of them plus its own.
 */
export function databaseSessionQueryEvents(s: DatabaseSessionInfo): (q: DatabaseQuery) => AuditEventInput {
  // One object literal per event (the fields of base() in its order, then the statement's): every
  // event of a session gets the same shape, without copying a template.
  const { sid, user, serverId, serverHostname, remoteAddr, dbService, dbProtocol, dbURI, dbUser, dbName, dbLabels } = s;
  return (q) => {
    const failed = q.success === false || q.error !== undefined;
    const e: AuditEventInput = {
      event: EventTypes.databaseSessionQuery,
      code: failed ? EventCodes.databaseSessionQueryFailure : EventCodes.databaseSessionQuery,
      sid,
      user,
      server_id: serverId,
      server_hostname: serverHostname,
      'addr.remote': remoteAddr,
      db_service: dbService,
      db_protocol: dbProtocol,
      db_uri: dbURI,
      db_user: dbUser,
      db_name: dbName,
      db_labels: dbLabels,
      db_query: truncateForAudit(q.query),
    };
    if (q.parameters && q.parameters.length > 0) e.db_query_parameters = q.parameters.map(truncateForAudit);
    e.success = !failed;
    if (failed) e.error = q.error ?? 'the database refused the statement';
    return e;
  };
}

/** Longest statement or parameter kept in an audit event; a 17 MiB INSERT must not become a 17 MiB event. */
export const MAX_AUDITED_QUERY_CHARS = 64 * 1024;

/** `text`, cut at {@link MAX_AUDITED_QUERY_CHARS} with a note saying how much was left out. */
export function truncateForAudit(text: string): string {
  if (text.length <= MAX_AUDITED_QUERY_CHARS) return text;
  return `${text.slice(0, MAX_AUDITED_QUERY_CHARS)}... [${text.length - MAX_AUDITED_QUERY_CHARS} more characters not recorded]`;
}
