/**
 * @module integration/helpers/audit
 * Reads the file audit log straight from disk (`<data_dir>/log/events/<YYYY-MM-DD>.log`, one JSON
 * object per line), to check that events are durable where operators look for them.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** One audit event as stored. */
export type StoredEvent = Record<string, unknown> & { event: string; code: string };

/** Every parseable event in every daily file of the data dir. */
export async function readAuditFiles(dataDir: string): Promise<StoredEvent[]> {
  const dir = join(dataDir, 'log', 'events');
  const out: StoredEvent[] = [];
  for (const name of (await readdir(dir)).filter((n) => /^\d{4}-\d\d-\d\d\.log$/.test(n)).sort()) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (line.trim()) out.push(JSON.parse(line) as StoredEvent);
    }
  }
  return out;
}
