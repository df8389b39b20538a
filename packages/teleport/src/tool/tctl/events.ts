/**
 * @module tool/tctl/events
 * `tctl events ls`: search the audit log by time range, event types, limit and order. (Upstream has no
 * such command; ours exists so the audit log is reachable without the web UI.)
 */
import type { Command } from 'commander';
import { parseDuration } from '@teleport-ts/api/duration';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import { collectList, type CLIIO } from '../common/cli.ts';
import { formatTable } from '../common/table.ts';
import type { TctlContext } from './connect.ts';

function parseTime(text: string, flag: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new BadParameterError(`${flag} "${text}" is not a time: use RFC 3339, e.g. 2026-11-21T10:00:00Z`);
  return d;
}

/** One-line summary of an event for the text table. */
export function summarize(e: AuditEvent): string {
  const parts: string[] = [];
  for (const k of ['user', 'name', 'login', 'error', 'addr.remote'] as const) {
    const v = e[k];
    if (v !== undefined && v !== '') parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  if (e.success === false) parts.push('success=false');
  return parts.join(' ');
}

/** Registers `tctl events`. */
export function registerEventCommands(program: Command, io: CLIIO, connect: () => Promise<TctlContext>): void {
  const events = program.command('events').description('Search the audit log.');
  events
    .command('ls')
    .description('List audit events, newest first by default.')
    .option('--since <duration>', 'events from this long ago until now', '24h')
    .option('--from <time>', 'start time (RFC 3339); overrides --since')
    .option('--to <time>', 'end time (RFC 3339), default now')
    .option('--types <list>', 'only these event types, e.g. user.login,user.create', collectList)
    .option('--limit <n>', 'at most this many events', '100')
    .option('--order <order>', 'asc or desc', 'desc')
    .option('--format <format>', 'text, json or jsonl', 'text')
    .action(async (o: { since: string; from?: string; to?: string; types?: string[]; limit: string; order: string; format: string }) => {
      const to = o.to ? parseTime(o.to, '--to') : new Date();
      const from = o.from ? parseTime(o.from, '--from') : new Date(to.getTime() - parseDuration(o.since, '--since'));
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new BadParameterError('--limit must be a positive integer');
      if (o.order !== 'asc' && o.order !== 'desc') throw new BadParameterError('--order must be asc or desc');
      const { client } = await connect();
      const { events: list } = await client.searchEvents({ from, to, limit, order: o.order, ...(o.types && { eventTypes: o.types }) });
      if (o.format === 'json') io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else if (o.format === 'jsonl') io.stdout.write(list.map((e) => `${JSON.stringify(e)}\n`).join(''));
      else if (o.format === 'text') {
        io.stdout.write(list.length === 0 ? 'No events found.\n'
          : formatTable(['Time', 'Event', 'Code', 'Details'], list.map((e) => [e.time, e.event, e.code, summarize(e)])));
      } else throw new BadParameterError(`unknown --format "${o.format}": use text, json or jsonl`);
    });
}
