/**
 * @module client/eventTypes
 * Audit query shapes used by the client. (The full event definitions live in ../events.)
 */

/** Query for SearchEvents. */
export interface AuthEventsQuery {
  from: Date;
  to: Date;
  eventTypes?: string[];
  limit?: number;
  order?: 'asc' | 'desc';
  startKey?: string;
}

/** One audit event as JSON. */
export type AuthEvent = Record<string, unknown> & { event: string; code: string; time: string };
