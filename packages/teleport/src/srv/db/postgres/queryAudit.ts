/**
 * @module srv/db/postgres/queryAudit
 * Turns the messages a session exchanges into db.session.query events. Pure: it is fed parsed
 * messages and calls `emit`.
 *
 * - Simple protocol: one event per Query message (one statement string, possibly several statements).
 * - Extended protocol: Parse remembers statement name -> SQL, Bind remembers portal -> (SQL, rendered
 *   parameters), and each Execute yields one event with that SQL and those parameters.
 *
 * Choice: an event is emitted when the server has answered the statement, so it carries the outcome
 * (TDB02I, or TDB02W with the server's error message). Responses come back in request order, so a
 * FIFO of pending statements matches them: CommandComplete/EmptyQueryResponse/PortalSuspended
 * completes an Execute, ErrorResponse fails it (and the Executes the server then skips up to Sync),
 * ReadyForQuery completes a simple Query. Whatever is still pending when the session ends (or when
 * more than `maxPending` pile up) is emitted without an outcome, so nothing sent goes unaudited.
 */
import type { BackendMessage } from './backend.ts';
import type { FrontendMessage } from './frontend.ts';

/** One db.session.query event. */
export interface QueryEvent {
  statement: string;
  parameters?: string[];
  /** Undefined when the outcome is unknown (session ended first). */
  success?: boolean;
  error?: string;
}

type Pending =
  | { kind: 'query'; statement: string; error?: string }
  | { kind: 'exec'; statement: string; parameters: string[] }
  | { kind: 'sync' };

/** Per-session tracker of statements, portals and pending outcomes. */
export class QueryAuditTracker {
  private readonly statements = new Map<string, { sql: string; paramTypes: number[] }>();
  private readonly portals = new Map<string, { sql: string; parameters: string[] }>();
  private readonly pending: Pending[] = [];

  constructor(
    private readonly emit: (e: QueryEvent) => void,
    private readonly maxPending = 1000,
  ) {}

  /** A message the client sent (call before the bytes are forwarded). */
  onClient(msg: FrontendMessage): void {
    switch (msg.kind) {
      case 'query':
        this.push({ kind: 'query', statement: msg.sql });
        break;
      case 'parse':
        this.statements.set(msg.name, { sql: msg.sql, paramTypes: msg.paramTypes });
        break;
      case 'bind': {
        const stmt = this.statements.get(msg.statement);
        const parameters = msg.params.map((p, i) => {
          const format = msg.paramFormats.length === 1 ? msg.paramFormats[0] : msg.paramFormats[i];
          return renderParameter(p, format ?? 0, stmt?.paramTypes[i]);
        });
        // A statement prepared with SQL PREPARE is unknown here: name it.
        this.portals.set(msg.portal, { sql: stmt?.sql ?? `EXECUTE ${msg.statement}`, parameters });
        break;
      }
      case 'execute': {
        const portal = this.portals.get(msg.portal);
        this.push({ kind: 'exec', statement: portal?.sql ?? `<unknown portal "${msg.portal}">`, parameters: portal?.parameters ?? [] });
        break;
      }
      case 'close':
        if (msg.target === 'S') this.statements.delete(msg.name);
        else this.portals.delete(msg.name);
        break;
      case 'sync':
        this.push({ kind: 'sync' });
        break;
      default:
        break;
    }
  }

  /** A message the server sent. */
  onServer(msg: BackendMessage): void {
    const head = this.pending[0];
    switch (msg.kind) {
      case 'error':
        if (!head) return;
        if (head.kind === 'query') head.error ??= msg.fields.message;
        else if (head.kind === 'exec') {
          // After an error the server skips everything up to Sync: those Executes never ran.
          this.pending.shift();
          this.emit(execEvent(head, false, msg.fields.message));
          while (this.pending[0]?.kind === 'exec') {
            const skipped = this.pending.shift() as Pending & { kind: 'exec' };
            this.emit(execEvent(skipped, false, `not executed: an earlier message failed: ${msg.fields.message}`));
          }
        }
        return;
      case 'commandComplete':
      case 'emptyQueryResponse':
      case 'portalSuspended':
        if (head?.kind === 'exec') {
          this.pending.shift();
          this.emit(execEvent(head, true));
        }
        return;
      case 'readyForQuery':
        while (this.pending.length > 0) {
          const p = this.pending.shift() as Pending;
          if (p.kind === 'exec') this.emit(execEvent(p, undefined));
          else {
            if (p.kind === 'query') this.emit(queryEvent(p, p.error === undefined));
            return;
          }
        }
        return;
      default:
        return;
    }
  }

  /** Emits everything still pending without an outcome (the session is over). */
  flush(): void {
    for (const p of this.pending.splice(0)) {
      if (p.kind === 'query') this.emit(queryEvent(p, p.error === undefined ? undefined : false));
      else if (p.kind === 'exec') this.emit(execEvent(p, undefined));
    }
  }

  private push(p: Pending): void {
    this.pending.push(p);
    while (this.pending.length > this.maxPending) {
      const old = this.pending.shift() as Pending;
      if (old.kind === 'query') this.emit(queryEvent(old, old.error === undefined ? undefined : false));
      else if (old.kind === 'exec') this.emit(execEvent(old, undefined));
    }
  }
}

function queryEvent(p: { statement: string; error?: string }, success: boolean | undefined): QueryEvent {
  const e: QueryEvent = { statement: p.statement };
  if (success !== undefined) e.success = success;
  if (p.error !== undefined) e.error = p.error;
  return e;
}

function execEvent(p: { statement: string; parameters: string[] }, success: boolean | undefined, error?: string): QueryEvent {
  const e: QueryEvent = { statement: p.statement, parameters: p.parameters };
  if (success !== undefined) e.success = success;
  if (error !== undefined) e.error = error;
  return e;
}

/**
 * A Bind parameter as audit text: text format as is; binary format decoded for common types (bool,
 * int2/4/8, oid, float4/8, text-like, json/jsonb, uuid), otherwise PostgreSQL's bytea hex form
 * `\x0102...`; SQL NULL as `NULL`.
 */
export function renderParameter(value: Buffer | null, format: number, typeOid?: number): string {
  if (value === null) return 'NULL';
  if (format === 0) return value.toString('utf8');
  const hex = `\\x${value.toString('hex')}`;
  const n = value.length;
  switch (typeOid) {
    case 16: return n === 1 ? (value[0] ? 'true' : 'false') : hex;
    case 21: return n === 2 ? String(value.readInt16BE(0)) : hex;
    case 23: return n === 4 ? String(value.readInt32BE(0)) : hex;
    case 26: return n === 4 ? String(value.readUInt32BE(0)) : hex;
    case 20: return n === 8 ? value.readBigInt64BE(0).toString() : hex;
    case 700: return n === 4 ? String(value.readFloatBE(0)) : hex;
    case 701: return n === 8 ? String(value.readDoubleBE(0)) : hex;
    case 19: case 25: case 114: case 1042: case 1043: return value.toString('utf8');
    case 3802: return n >= 1 && value[0] === 1 ? value.subarray(1).toString('utf8') : hex;
    case 2950:
      return n === 16 ? value.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5') : hex;
    default: return hex;
  }
}
