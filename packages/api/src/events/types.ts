/**
 * @module events/types
 * The shape of an audit event and of an audit search, shared by the server (which writes and searches
 * the log) and by clients (tctl, the web UI) that read it. Field names are upstream's JSON names.
 */

/**
 * The fields a caller supplies when emitting an event: everything except the ones the log fills in.
 * Kept as its own interface (rather than `Omit<AuditEvent, ...>`) because `Omit` over a type with a
 * string index signature collapses every named field into the index signature.
 */
export interface AuditEventFields {
  /** Event name, e.g. "user.login" (see EventTypes). */
  event: string;
  /** Event code, e.g. "T1000I" (see EventCodes). */
  code: string;
  /** The Teleport user who acted. */
  user?: string;
  /** The OS login (SSH) or database user used. */
  login?: string;
  /** Session id. */
  sid?: string;
  server_id?: string;
  server_hostname?: string;
  server_addr?: string;
  server_labels?: Record<string, string>;
  'addr.local'?: string;
  'addr.remote'?: string;
  /** Protocol, e.g. "ssh", "kube", "postgres". */
  proto?: string;
  /** Terminal size as "WxH". */
  size?: string;
  interactive?: boolean;
  participants?: string[];
  /** Recording mode in effect, e.g. "node", "proxy", "off". */
  session_recording?: string;
  success?: boolean;
  error?: string;
  message?: string;
  /** Event-specific fields (name, roles, identity, ...). */
  [extra: string]: unknown;
}

/** One stored audit event. */
export interface AuditEvent extends AuditEventFields {
  /** Random UUID, unique per event. */
  uid: string;
  /** When it happened, RFC 3339 in UTC with milliseconds ("2026-01-01T00:00:00.000Z"). */
  time: string;
  /** The cluster that recorded it. */
  cluster_name: string;
}

/** What `emit` accepts: the event's own fields, optionally with uid, time or cluster_name preset. */
export type AuditEventInput = AuditEventFields & Partial<Pick<AuditEvent, 'uid' | 'time' | 'cluster_name'>>;

/** Page size used when a search gives no limit. */
export const DEFAULT_SEARCH_LIMIT = 500;
/** Largest page a search may ask for. */
export const MAX_SEARCH_LIMIT = 10_000;

/** A search over the audit log. */
export interface SearchEventsQuery {
  /** Start of the time range, inclusive. */
  from: Date;
  /** End of the time range, exclusive. */
  to: Date;
  /** Only these event names; absent or empty means all. */
  eventTypes?: string[];
  /** Page size: default DEFAULT_SEARCH_LIMIT (500), at most MAX_SEARCH_LIMIT (10000). */
  limit?: number;
  /** Oldest first (default) or newest first. */
  order?: 'asc' | 'desc';
  /** Opaque cursor from a previous page's `lastKey`; the next page starts just after it. */
  startKey?: string;
}

/** One page of search results. */
export interface SearchEventsResult {
  /** Matching events in the requested order. */
  events: AuditEvent[];
  /** Set when more events match: pass it as `startKey` to get the next page. */
  lastKey?: string;
}
