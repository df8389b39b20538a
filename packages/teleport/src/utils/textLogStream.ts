/**
 * @module utils/textLogStream
 * The human-readable log form (`log.format.output: text`, the default like upstream): turns the JSON
 * lines pino writes into "2026-11-21T05:51:55.066Z INFO [proxy] web proxy is listening addr:127.0.0.1:3080".
 */

/** A pino destination that rewrites each JSON line as text before handing it to `write`. */
export function textLogStream(write: (line: string) => void): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line) write(`${formatLine(line)}\n`);
      }
    },
  };
}

const SKIP = new Set(['time', 'level', 'msg', 'component', 'pid', 'hostname']);

/** Formats one JSON log line; lines that are not JSON pass through unchanged. */
export function formatLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(rec.level ?? 'info').toUpperCase();
  const component = rec.component ? ` [${String(rec.component)}]` : '';
  const fields = Object.entries(rec)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}:${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${String(rec.time ?? '')} ${level.padEnd(5)}${component} ${String(rec.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}
