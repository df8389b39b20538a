/**
 * @module duration
 * Go-style durations ("30m", "12h", "1h30m", "90s") as used in Teleport YAML and CLI flags.
 */
import { BadParameterError } from './errors.ts';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "1h30m"-style durations into milliseconds; a bare number is taken as seconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || s.length === 0) {
    throw new BadParameterError(`invalid ${what} "${text}": use a number with a unit, like 30m, 12h or 1h30m`);
  }
  return Math.round(total);
}

/** Formats milliseconds the way Go does ("12h0m0s", "30m0s", "45s"). */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms / 1000));
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const sec = rest - m * 60;
  if (h > 0) return `${sign}${h}h${m}m${sec}s`;
  if (m > 0) return `${sign}${m}m${sec}s`;
  return `${sign}${sec}s`;
}
