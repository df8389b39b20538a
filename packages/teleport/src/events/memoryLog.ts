/**
 * @module events/memoryLog
 * An audit log held in memory: for tests, and for components that buffer events before handing them
 * to the real log. Nothing survives a restart, so it must never be the cluster's audit log.
 */
import type { Clock } from '@teleport-ts/api/clock';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import type { AuditEvent, AuditEventInput, SearchEventsQuery, SearchEventsResult } from '@teleport-ts/api/events/types';
import { completeEvent, matchesQuery, normalizeQuery, toPage, type AuditLog, type EventKey } from './auditLog.ts';

/** Options for MemoryAuditLog. */
export interface MemoryAuditLogOptions {
  clusterName: string;
  clock: Clock;
}

/** An AuditLog that keeps events in an array. */
export class MemoryAuditLog implements AuditLog {
  private readonly stored: { key: EventKey; event: AuditEvent }[] = [];
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: MemoryAuditLogOptions) {}

  async emit(input: AuditEventInput): Promise<AuditEvent> {
    if (this.closed) throw new ConnectionProblemError('audit log is closed');
    const event = completeEvent(input, this.opts.clock, this.opts.clusterName);
    // Copies on the way in and out so callers cannot change what was recorded.
    this.stored.push({ key: { t: Date.parse(event.time), seq: this.seq++ }, event: structuredClone(event) });
    return structuredClone(event);
  }

  async search(query: SearchEventsQuery): Promise<SearchEventsResult> {
    const q = normalizeQuery(query);
    const candidates = this.stored
      .filter((s) => matchesQuery(q, s.key, s.event.event))
      .map((s) => ({ key: s.key, event: structuredClone(s.event) }));
    return toPage(q, candidates);
  }

  /** Every event in emit order (copies); for tests and for draining a buffer. */
  all(): AuditEvent[] {
    return this.stored.map((s) => structuredClone(s.event));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
