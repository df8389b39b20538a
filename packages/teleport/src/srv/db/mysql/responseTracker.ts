/**
 * @module srv/db/mysql/responseTracker
 * Finds where each command's response starts and ends in the server's packet stream, without
 * buffering it, so the relay can tell which COM_STMT_PREPARE_OK belongs to which statement and whether
 * a statement failed (pure state machine; the relay feeds it every server frame).
 *
 * Responses, per the client/server protocol (EOF packets absent under CLIENT_DEPRECATE_EOF):
 * - result set (COM_QUERY, COM_STMT_EXECUTE, COM_PROCESS_INFO): OK | ERR | column count, column
 *   definitions, EOF, rows, EOF/ERR; an OK or final EOF with SERVER_MORE_RESULTS_EXISTS means another
 *   result follows; an EOF with SERVER_STATUS_CURSOR_EXISTS after the columns ends it (rows come by
 *   COM_STMT_FETCH).
 * - COM_STMT_PREPARE: ERR | PREPARE_OK, parameter definitions (+EOF), column definitions (+EOF).
 * - COM_FIELD_LIST, COM_STMT_FETCH: packets up to EOF or ERR.
 * - most others: one packet.
 */
import { MAX_FRAME_PAYLOAD, type Frame } from './packets.ts';
import { ServerStatus } from './handshake.ts';
import { isEOFOrTerminator, parseERR, parseOK, parseStmtPrepareOK, type ERRPacket, type StmtPrepareOK } from './messages.ts';

/** The shape of response a command gets. */
export type ResponseKind = 'resultset' | 'prepare' | 'untilEOF' | 'single';

/** What the first packet of a response said. */
export type ResponseStart<T> =
  | { tag: T; kind: 'ok' }
  | { tag: T; kind: 'error'; error: ERRPacket }
  | { tag: T; kind: 'prepared'; prepared: StmtPrepareOK };

type Phase =
  | { p: 'first' }
  | { p: 'columns'; left: number }
  | { p: 'columnsEOF' }
  | { p: 'rows' }
  | { p: 'params'; left: number; columns: number }
  | { p: 'paramsEOF'; columns: number }
  | { p: 'pcolumns'; left: number }
  | { p: 'pcolumnsEOF' }
  | { p: 'untilEOF' }
  | { p: 'done' };

interface Pending<T> {
  kind: ResponseKind;
  tag: T;
  phase: Phase;
  reported: boolean;
}

/** Status flags of an EOF or OK-terminator packet. */
function terminatorStatus(payload: Buffer, deprecateEof: boolean): number {
  if (!deprecateEof && payload.length >= 5) return payload.readUInt16LE(3);
  try {
    return parseOK(payload).status;
  } catch {
    return 0;
  }
}

/** Tracks server responses of pipelined or sequential commands, in order. */
export class ResponseTracker<T> {
  private readonly queue: Pending<T>[] = [];
  private continuation = false;

  constructor(private readonly deprecateEof: boolean) {}

  /** Registers a command the client sent (only commands that get a response). */
  expect(kind: ResponseKind, tag: T): void {
    this.queue.push({ kind, tag, phase: { p: 'first' }, reported: false });
  }

  /** Commands whose response has not ended. */
  get pending(): T[] {
    return this.queue.map((q) => q.tag);
  }

  /** Feeds one server frame; returns what it says when it starts a command's response. */
  onServerFrame(frame: Frame): ResponseStart<T> | undefined {
    const isContinuation = this.continuation;
    this.continuation = frame.payload.length === MAX_FRAME_PAYLOAD;
    if (isContinuation) return undefined;
    const cur = this.queue[0];
    if (!cur) return undefined; // unsolicited (e.g. an ERR before the server closes)
    const start = this.step(cur, frame.payload);
    if (cur.phase.p === 'done') this.queue.shift();
    if (start && !cur.reported) {
      cur.reported = true;
      return start;
    }
    return undefined;
  }

  private step(cur: Pending<T>, payload: Buffer): ResponseStart<T> | undefined {
    const first = payload[0];
    const ph = cur.phase;
    const tag = cur.tag;
    if (first === 0xff && ph.p !== 'columns' && ph.p !== 'params' && ph.p !== 'pcolumns') {
      cur.phase = { p: 'done' };
      return { tag, kind: 'error', error: parseERR(payload) };
    }
    switch (ph.p) {
      case 'first':
        return this.first(cur, payload);
      case 'columns':
        cur.phase = ph.left > 1 ? { p: 'columns', left: ph.left - 1 } : this.deprecateEof ? { p: 'rows' } : { p: 'columnsEOF' };
        return undefined;
      case 'columnsEOF':
        cur.phase = terminatorStatus(payload, false) & ServerStatus.CURSOR_EXISTS ? { p: 'done' } : { p: 'rows' };
        return undefined;
      case 'rows':
        if (isEOFOrTerminator(payload)) {
          const more = terminatorStatus(payload, this.deprecateEof) & ServerStatus.MORE_RESULTS_EXISTS;
          cur.phase = more && cur.kind === 'resultset' ? { p: 'first' } : { p: 'done' };
        }
        return undefined;
      case 'params':
        if (ph.left > 1) cur.phase = { p: 'params', left: ph.left - 1, columns: ph.columns };
        else if (!this.deprecateEof) cur.phase = { p: 'paramsEOF', columns: ph.columns };
        else cur.phase = ph.columns > 0 ? { p: 'pcolumns', left: ph.columns } : { p: 'done' };
        return undefined;
      case 'paramsEOF':
        cur.phase = ph.columns > 0 ? { p: 'pcolumns', left: ph.columns } : { p: 'done' };
        return undefined;
      case 'pcolumns':
        cur.phase = ph.left > 1 ? { p: 'pcolumns', left: ph.left - 1 } : this.deprecateEof ? { p: 'done' } : { p: 'pcolumnsEOF' };
        return undefined;
      case 'pcolumnsEOF':
      case 'done':
        cur.phase = { p: 'done' };
        return undefined;
      case 'untilEOF':
        if (isEOFOrTerminator(payload)) cur.phase = { p: 'done' };
        return undefined;
    }
  }

  private first(cur: Pending<T>, payload: Buffer): ResponseStart<T> | undefined {
    const tag = cur.tag;
    const first = payload[0];
    switch (cur.kind) {
      case 'single':
        cur.phase = { p: 'done' };
        return { tag, kind: 'ok' };
      case 'untilEOF':
        cur.phase = isEOFOrTerminator(payload) ? { p: 'done' } : { p: 'untilEOF' };
        return { tag, kind: 'ok' };
      case 'prepare': {
        const prepared = parseStmtPrepareOK(payload);
        if (prepared.numParams > 0) cur.phase = { p: 'params', left: prepared.numParams, columns: prepared.numColumns };
        else if (prepared.numColumns > 0) cur.phase = { p: 'pcolumns', left: prepared.numColumns };
        else cur.phase = { p: 'done' };
        return { tag, kind: 'prepared', prepared };
      }
      case 'resultset': {
        if (first === 0x00) {
          cur.phase = parseOK(payload).status & ServerStatus.MORE_RESULTS_EXISTS ? { p: 'first' } : { p: 'done' };
        } else if (first === 0xfb) {
          // LOCAL INFILE request: the proxy never lets clients negotiate CLIENT_LOCAL_FILES.
          cur.phase = { p: 'done' };
        } else {
          const count = first === undefined ? 0 : first < 0xfb ? first : first === 0xfc ? payload.readUInt16LE(1) : payload.readUIntLE(1, 3);
          cur.phase = count > 0 ? { p: 'columns', left: count } : { p: 'done' };
        }
        return { tag, kind: 'ok' };
      }
    }
  }
}
