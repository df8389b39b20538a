/**
 * @module proxy/web/handlers/audit
 * The audit log and session recordings, read as the user:
 * - GET /sites/:site/events/search?from=&to=&types=a,b&limit=&startKey=&order= (raw events);
 * - GET /sites/:site/recordings?from=&to=&limit=&startKey= (from session.end events);
 * - GET /sites/:site/recordings/:sid/stream (the asciicast v2 file, streamed as auth returns it).
 * Auth authorizes the search (`event` rules) and each playback (`session` rules, which for the access
 * preset see only the user's own sessions); the recordings list is narrowed to the same rule.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import { EventTypes } from '@teleport-ts/api/events/codes';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import type { ListResponse, WebRecording } from '@teleport-ts/api/webapi';
import { SECURITY_HEADERS, sendJSON } from '../http.ts';
import { parseLimit } from '../listing.ts';
import type { Handler } from '../router.ts';
import { withSession } from './authenticated.ts';
import { clockOf, type WebContext } from './context.ts';
import { userAccess } from './userAccess.ts';

/** Default time range of a search: the last 7 days. */
const DEFAULT_RANGE_MS = 7 * 24 * 3600_000;
/** Events up to this far in the future count, so a clock slightly behind auth's still sees the newest. */
const CLOCK_SKEW_MS = 60_000;
/** Bytes of a recording fetched per GetRecording call. */
const STREAM_CHUNK = 1 << 20;

/** The time range, page size, start key and order of a search request. */
function searchQuery(ctx: WebContext, url: URL) {
  const p = url.searchParams;
  const time = (name: string, fallback: number): Date => {
    const v = p.get(name);
    if (!v) return new Date(fallback);
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (Number.isNaN(ms)) throw new BadParameterError(`"${name}" must be an RFC 3339 time (2026-01-02T15:04:05Z) or Unix milliseconds, got "${v}"`);
    return new Date(ms);
  };
  const now = clockOf(ctx).nowMs();
  const to = time('to', now + CLOCK_SKEW_MS);
  const from = time('from', to.getTime() - DEFAULT_RANGE_MS);
  if (from > to) throw new BadParameterError('"from" must not be after "to"');
  const limit = parseLimit(p);
  const order = p.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new BadParameterError(`"order" must be "asc" or "desc", got "${order}"`);
  const startKey = p.get('startKey') || undefined;
  return { from, to, limit, order: order as 'asc' | 'desc', ...(startKey && { startKey }) };
}

/** GET /sites/:site/events/search: newest first unless order=asc. */
export function eventsHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session, url) => {
    const q = searchQuery(ctx, url);
    const types = (url.searchParams.get('types') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const r = await session.client.searchEvents({ ...q, ...(types.length && { eventTypes: types }) });
    const body: ListResponse<AuditEvent> = { items: r.events, ...(r.lastKey && { startKey: r.lastKey }) };
    sendJSON(res, 200, body);
  });
}

/** The list item of a session.end event. */
export function recordingFromEvent(e: AuditEvent): WebRecording {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const started = str(e.session_start) || e.time;
  const ended = str(e.session_stop) || e.time;
  const participants = Array.isArray(e.participants) ? e.participants.filter((p): p is string => typeof p === 'string') : [];
  return {
    sid: str(e.sid),
    user: str(e.user),
    participants: participants.length ? participants : [str(e.user)].filter(Boolean),
    login: str(e.login),
    hostname: str(e.server_hostname),
    server_id: str(e.server_id),
    started,
    ended,
    duration_ms: typeof e.duration_ms === 'number' ? e.duration_ms : Math.max(0, Date.parse(ended) - Date.parse(started)),
    interactive: e.interactive !== false,
  };
}

/** GET /sites/:site/recordings: recorded sessions the user may play, newest first. */
export function recordingsHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session, url) => {
    const q = searchQuery(ctx, url);
    const { checker } = await userAccess(ctx, session.user);
    const mayPlay = (r: WebRecording) => checker.canAccessRule('session', 'read', {
      session: { participants: r.participants }, user: { metadata: { name: session.user } },
    });
    const items: WebRecording[] = [];
    let startKey = q.startKey;
    // Whole pages only, so the returned key resumes exactly after the last event looked at.
    do {
      const page = await session.client.searchEvents({
        from: q.from, to: q.to, order: q.order, eventTypes: [EventTypes.sessionEnd], limit: q.limit - items.length, ...(startKey && { startKey }),
      });
      for (const e of page.events) {
        if (e.session_recording === 'off' || typeof e.sid !== 'string') continue;
        const r = recordingFromEvent(e);
        if (mayPlay(r)) items.push(r);
      }
      startKey = page.lastKey || undefined;
    } while (startKey && items.length < q.limit);
    sendJSON(res, 200, { items, ...(startKey && { startKey }) } satisfies ListResponse<WebRecording>);
  });
}

/** GET /sites/:site/recordings/:sid/stream: the recording as stored (asciicast v2). */
export function recordingStreamHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (req, res, params, session) => {
    const sid = params.sid ?? '';
    // The first read happens before any header is sent, so a refusal or a missing recording is a JSON error.
    let chunk = await session.client.getRecording({ sessionId: sid, offset: 0, limit: STREAM_CHUNK });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'application/x-asciicast; charset=utf-8',
      'content-disposition': `inline; filename="${sid.replace(/[^\w.-]/g, '_')}.cast"`,
      'x-recording-complete': String(chunk.complete),
    });
    let offset = 0;
    while (chunk.data.length > 0) {
      offset += chunk.data.length;
      if (!res.write(chunk.data)) await drained(res);
      if (req.destroyed || offset >= chunk.size) break;
      chunk = await session.client.getRecording({ sessionId: sid, offset, limit: STREAM_CHUNK });
    }
    res.end();
  });
}

/** Resolves when a backed-up response can take more, or when the client went away. */
function drained(res: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
