/**
 * @module asciicast
 * Parses asciicast v2 recordings (a JSON header line, then one `[time, code, data]` array per
 * line) and answers the player's questions: how long is it, and which events fall in a time span.
 */

/** One event: output ("o"), input ("i"), resize ("r", data "COLSxROWS") or marker ("m"). */
export interface CastEvent {
  /** Seconds since the start. */
  time: number;
  code: string;
  data: string;
}

/** A parsed recording. */
export interface Cast {
  width: number;
  height: number;
  /** Events sorted by time. */
  events: CastEvent[];
  /** Seconds: the last event's time. */
  duration: number;
}

/** Parses the text of an asciicast v2 file. Malformed event lines are skipped; a bad header throws. */
export function parseAsciicast(text: string): Cast {
  const lines = text.split('\n');
  const headerLine = lines.shift() ?? '';
  let header: unknown;
  try {
    header = JSON.parse(headerLine);
  } catch {
    throw new Error('this recording is not in asciicast format (its first line is not JSON)');
  }
  const h = (typeof header === 'object' && header !== null ? header : {}) as Record<string, unknown>;
  if (h.version !== 2) throw new Error(`unsupported asciicast version ${String(h.version)}: expected 2`);
  const events: CastEvent[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'string') continue;
    events.push({ time: Math.max(0, e[0]), code: e[1], data: typeof e[2] === 'string' ? e[2] : '' });
  }
  events.sort((a, b) => a.time - b.time);
  return {
    width: typeof h.width === 'number' ? h.width : 80,
    height: typeof h.height === 'number' ? h.height : 24,
    events,
    duration: events.length ? (events[events.length - 1] as CastEvent).time : 0,
  };
}

/** Index of the first event with time > t (binary search). */
export function indexAfter(events: readonly CastEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as CastEvent).time <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Parses a resize event's "COLSxROWS"; null when malformed. */
export function parseResize(data: string): { cols: number; rows: number } | null {
  const m = /^(\d+)x(\d+)$/.exec(data.trim());
  if (!m) return null;
  const cols = Number(m[1]);
  const rows = Number(m[2]);
  return cols > 0 && rows > 0 ? { cols, rows } : null;
}

/** "m:ss" or "h:mm:ss" for a number of seconds. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
