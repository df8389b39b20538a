/**
 * @module events/auditLog
 * The audit log interface and the pieces every implementation shares: filling in an event's uid, time
 * and cluster name, validating a search, and the search cursor. Implementations (file, memory, and
 * later PostgreSQL) must pass the contract suite in `auditLogSuite.ts`.
 *
 * Ordering: events are ordered by time, then by an implementation-defined sequence number that breaks
 * ties in write order. A cursor names the last event of a page by that (time, sequence) pair, so pages
 * never repeat or skip an event even when many share one millisecond.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import {
  DEFAULT_SEARCH_LIMIT,
  MAX_SEARCH_LIMIT,
  type AuditEvent,
  type AuditEventInput,
  type SearchEventsQuery,
  type SearchEventsResult,
} from '@teleport-ts/api/events/types';

/** The cluster's audit log. */
export interface AuditLog {
  /**
   * Records an event, filling in `uid` (random UUID), `time` (the log's clock) and `cluster_name`
   * unless given. Resolves with the stored event only once it is durable (fsync'ed for files): an
   * event is on disk before the action it records is acknowledged, so callers must await it first.
   */
  emit(event: AuditEventInput): Promise<AuditEvent>;
  /** Returns one page of events matching the query; see SearchEventsQuery. */
  search(query: SearchEventsQuery): Promise<SearchEventsResult>;
  /** Waits for pending writes, then releases files; later emits reject. */
  close(): Promise<void>;
}

/** Position of an event in the log's order: time, then a tie-breaking sequence. */
export interface EventKey {
  /** Event time in epoch milliseconds. */
  t: number;
  /** Tie-breaker in write order (line number for files, emit counter in memory). */
  seq: number;
}

/** A validated search with defaults applied. */
export interface NormalizedQuery {
  fromMs: number;
  toMs: number;
  /** Empty means every type. */
  types: Set<string>;
  limit: number;
  order: 'asc' | 'desc';
  /** Events at or before (asc) / at or after (desc) this key are skipped. */
  after?: EventKey;
}

/** Builds the stored form of an event: fills uid, time and cluster_name and normalizes time. */
export function completeEvent(input: AuditEventInput, clock: Clock, clusterName: string): AuditEvent {
  if (typeof input.event !== 'string' || input.event === '') {
    throw new BadParameterError('audit event is missing its "event" name (e.g. "user.login")');
  }
  if (typeof input.code !== 'string' || input.code === '') {
    throw new BadParameterError(`audit event "${input.event}" is missing its "code" (e.g. "T1000I")`);
  }
  let time: string;
  if (input.time === undefined) {
    time = clock.now().toISOString();
  } else {
    const ms = Date.parse(input.time);
    if (Number.isNaN(ms)) {
      throw new BadParameterError(`audit event "${input.event}" has an invalid time "${input.time}": use RFC 3339`);
    }
    time = new Date(ms).toISOString();
  }
  // Fixed leading fields keep log lines readable; the rest follow in the caller's order, without
  // undefined values. One pass, one object: every audited statement goes through here.
  const out: AuditEvent = {
    event: input.event,
    code: input.code,
    uid: input.uid ?? randomUUID(),
    time,
    cluster_name: input.cluster_name ?? clusterName,
  };
  const fields = input as Record<string, unknown>;
  for (const k in fields) {
    if (LEADING_FIELDS.has(k) || !Object.hasOwn(fields, k)) continue;
    const v = fields[k];
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

const LEADING_FIELDS = new Set(['event', 'code', 'uid', 'time', 'cluster_name']);

/** Validates a search query and applies defaults; throws BadParameterError with a fix-it message. */
export function normalizeQuery(q: SearchEventsQuery): NormalizedQuery {
  const fromMs = q.from instanceof Date ? q.from.getTime() : NaN;
  const toMs = q.to instanceof Date ? q.to.getTime() : NaN;
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
    throw new BadParameterError('audit search needs valid "from" and "to" dates');
  }
  if (fromMs > toMs) {
    throw new BadParameterError(`audit search "from" (${q.from.toISOString()}) is after "to" (${q.to.toISOString()})`);
  }
  const limit = q.limit ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new BadParameterError(`audit search limit ${limit} is out of range: use 1 to ${MAX_SEARCH_LIMIT} and page with startKey`);
  }
  const order = q.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') {
    throw new BadParameterError(`audit search order "${String(order)}" is invalid: use "asc" or "desc"`);
  }
  const out: NormalizedQuery = { fromMs, toMs, types: new Set(q.eventTypes ?? []), limit, order };
  if (q.startKey !== undefined && q.startKey !== '') out.after = decodeKey(q.startKey);
  return out;
}

/** Encodes a key as an opaque cursor string. */
export function encodeKey(key: EventKey): string {
  return `${key.t}:${key.seq}`;
}

/** Decodes a cursor produced by `encodeKey`; throws BadParameterError on anything else. */
export function decodeKey(cursor: string): EventKey {
  const m = /^(-?\d{1,16}):(\d{1,16})$/.exec(cursor);
  if (!m) throw new BadParameterError(`invalid audit search startKey "${cursor}": pass the lastKey of a previous page`);
  return { t: Number(m[1]), seq: Number(m[2]) };
}

/** Orders keys by time, then sequence. */
export function compareKeys(a: EventKey, b: EventKey): number {
  return a.t - b.t || a.seq - b.seq;
}

/** True when an event with this key, name and time belongs in the query's results. */
export function matchesQuery(q: NormalizedQuery, key: EventKey, eventName: string): boolean {
  if (key.t < q.fromMs || key.t >= q.toMs) return false;
  if (q.types.size > 0 && !q.types.has(eventName)) return false;
  if (q.after) {
    const c = compareKeys(key, q.after);
    if (q.order === 'asc' ? c <= 0 : c >= 0) return false;
  }
  return true;
}

/**
 * Turns matching candidates (any order) into a page: sorts in query order, cuts at the limit, and
 * sets lastKey only when more events match.
 */
export function toPage(q: NormalizedQuery, candidates: { key: EventKey; event: AuditEvent }[]): SearchEventsResult {
  const dir = q.order === 'asc' ? 1 : -1;
  candidates.sort((a, b) => dir * compareKeys(a.key, b.key));
  const page = candidates.slice(0, q.limit);
  const last = page[page.length - 1];
  const result: SearchEventsResult = { events: page.map((c) => c.event) };
  if (candidates.length > q.limit && last) result.lastKey = encodeKey(last.key);
  return result;
}
