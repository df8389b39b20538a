/**
 * @module tool/tsh/recordings
 * `tsh recordings ls`: the recorded sessions of the last `--since` (default 24h), newest first, from
 * the audit log's session.end events. Sessions that ended with recording off are left out. Text
 * output is a table with upstream's columns (ID, Type, Participants, Hostname, Timestamp); json
 * prints the session.end events themselves.
 */
import type { Command } from 'commander';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { parseDuration } from '@teleport-ts/api/duration';
import { BadParameterError } from '@teleport-ts/api/errors';
import { EventTypes } from '@teleport-ts/api/events/codes';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import type { CLIIO } from '../common/cli.ts';
import { formatTable } from '../common/table.ts';

/** The part of AuthClient `tsh recordings` needs. */
export type EventSearcher = Pick<AuthClient, 'searchEvents'>;

/** Injected for tests. */
export interface RecordingsDeps {
  /** Current time; default the wall clock. */
  now?: () => Date;
}

/** Events up to this far in the future count, so a client clock slightly behind auth's still sees the newest. */
const CLOCK_SKEW_MS = 60_000;
/** Events fetched per search call. */
const PAGE = 500;

/** Registers `tsh recordings ls`. */
export function registerRecordingsCommands(program: Command, io: CLIIO, getAuthClient: () => Promise<EventSearcher>, deps: RecordingsDeps = {}): void {
  const recordings = program.command('recordings').description('View session recordings.');
  recordings
    .command('ls')
    .description('List recorded sessions, newest first.')
    .option('--format <format>', 'text or json', 'text')
    .option('--since <duration>', 'how far back to look, e.g. 30m, 24h, 168h', '24h')
    .option('--limit <n>', 'list at most this many sessions', '50')
    .action(async (opts: { format: string; since: string; limit: string }) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw new BadParameterError(`--format must be "text" or "json", got "${opts.format}"`);
      const sinceMs = parseDuration(opts.since, '--since');
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new BadParameterError(`--limit must be a positive integer, got "${opts.limit}"`);
      const now = (deps.now ?? (() => new Date()))();
      const sessions = await listRecordedSessions(await getAuthClient(), { from: new Date(now.getTime() - sinceMs), to: now, limit });
      io.stdout.write(opts.format === 'json' ? `${JSON.stringify(sessions, null, 2)}\n` : formatRecordings(sessions));
    });
}

/** session.end events with a recording in [from, to], newest first, at most `limit`. */
export async function listRecordedSessions(client: EventSearcher, q: { from: Date; to: Date; limit: number }): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let startKey: string | undefined;
  do {
    const page = await client.searchEvents({
      from: q.from, to: new Date(q.to.getTime() + CLOCK_SKEW_MS), eventTypes: [EventTypes.sessionEnd],
      limit: PAGE, order: 'desc', ...(startKey && { startKey }),
    });
    for (const e of page.events) {
      if (e.session_recording !== 'off' && typeof e.sid === 'string' && out.length < q.limit) out.push(e);
    }
    startKey = page.lastKey || undefined;
  } while (startKey && out.length < q.limit);
  return out;
}

/** The text table of `tsh recordings ls`. */
export function formatRecordings(sessions: AuditEvent[]): string {
  const rows = sessions.map((e) => [
    e.sid ?? '',
    typeof e.proto === 'string' && e.proto ? e.proto : 'ssh',
    (Array.isArray(e.participants) && e.participants.length > 0 ? e.participants : [e.user ?? '']).join(', '),
    e.server_hostname ?? '',
    // RFC 3339 to the second, in UTC: unambiguous and sortable.
    `${e.time.slice(0, 19)}Z`,
  ]);
  return formatTable(['ID', 'Type', 'Participants', 'Hostname', 'Timestamp'], rows);
}
