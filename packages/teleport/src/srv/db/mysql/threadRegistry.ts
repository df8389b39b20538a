/**
 * @module srv/db/mysql/threadRegistry
 * Where a `KILL [QUERY|CONNECTION] <id>` goes. The mysql/mariadb CLI answers Ctrl-C by opening a
 * *second* connection and sending `KILL QUERY <id>` with the connection id of the first one's
 * greeting, which came from Teleport (the proxy's or the engine's greeting), not from the database:
 * the database's own thread id for the session is another number. Each engine session therefore
 * remembers, process-wide, (database name, our connection id) -> (upstream thread id, Teleport user)
 * and the relay rewrites a KILL of one of its own user's sessions to the upstream thread id. A KILL of
 * another Teleport user's session is refused (ER_KILL_DENIED_ERROR); unknown ids pass through.
 */
import { randomInt } from 'node:crypto';

/** A live session a KILL can name. */
export interface ThreadTarget {
  /** The database server's thread id of the session (its current upstream connection). */
  upstreamThreadId: number;
  /** The Teleport user who owns the session (identity.username). */
  username: string;
}

/** A registration: update it when the upstream connection changes, forget it when the session ends. */
export interface ThreadRegistration {
  /** Points the registration at a new upstream thread (after COM_CHANGE_USER). */
  setUpstreamThreadId(id: number): void;
  /** Removes the registration (idempotent). */
  forget(): void;
}

/** Range of the engine's own greeting ids (31 bits: some clients read the id as a signed int). */
const ENGINE_ID_MIN = 0x40000000;
const ENGINE_ID_MAX = 0x7fffffff;

/**
 * Sessions by (database name, connection id from Teleport's greeting). Several proxies in front of
 * one database service each number their greetings, so one key can name several live sessions: they
 * are all kept, and a KILL prefers the session of the user who sends it.
 */
export class ThreadRegistry {
  private readonly byKey = new Map<string, ThreadTarget[]>();
  private readonly ids = new Map<number, number>();

  /** Next id {@link allocateId} hands out (a counter from a random start, so ids differ across restarts). */
  private next = randomInt(ENGINE_ID_MIN, ENGINE_ID_MAX);

  /**
   * A connection id for a greeting the engine sends itself: unique among the ids this process handed
   * out (a counter) and not used by a session registered now. The ids are in [2^30, 2^31), far above
   * the thread ids a database hands out, so `KILL <id>` with an id read from SHOW PROCESSLIST is
   * never mistaken for one of ours.
   */
  allocateId(): number {
    for (;;) {
      const id = this.next;
      this.next = this.next >= ENGINE_ID_MAX ? ENGINE_ID_MIN : this.next + 1;
      if (!this.ids.has(id)) return id;
    }
  }

  /** Remembers a session of `databaseName` known to the client as `connectionId`. */
  register(databaseName: string, connectionId: number, target: ThreadTarget): ThreadRegistration {
    const key = keyOf(databaseName, connectionId);
    const entry: ThreadTarget = { ...target };
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), entry]);
    this.ids.set(connectionId, (this.ids.get(connectionId) ?? 0) + 1);
    let live = true;
    return {
      setUpstreamThreadId: (id) => {
        entry.upstreamThreadId = id;
      },
      forget: () => {
        if (!live) return;
        live = false;
        const rest = (this.byKey.get(key) ?? []).filter((e) => e !== entry);
        if (rest.length > 0) this.byKey.set(key, rest);
        else this.byKey.delete(key);
        const n = (this.ids.get(connectionId) ?? 1) - 1;
        if (n <= 0) this.ids.delete(connectionId);
        else this.ids.set(connectionId, n);
      },
    };
  }

  /**
   * The session of `databaseName` that the client knows as `connectionId`: the newest one owned by
   * `username` when given and there is one, else the newest one.
   */
  lookup(databaseName: string, connectionId: number, username?: string): ThreadTarget | undefined {
    const all = this.byKey.get(keyOf(databaseName, connectionId)) ?? [];
    const own = username === undefined ? undefined : all.filter((e) => e.username === username).pop();
    const t = own ?? all[all.length - 1];
    return t ? { ...t } : undefined;
  }

  /** Number of sessions remembered (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const list of this.byKey.values()) n += list.length;
    return n;
  }
}

function keyOf(db: string, id: number): string {
  return `${db}\u0000${id >>> 0}`;
}

/** The registry shared by every MySQL engine in this process. */
export const mysqlThreadRegistry = new ThreadRegistry();

/** A parsed KILL statement. */
export interface KillStatement {
  /** 'QUERY ', 'CONNECTION ' or '' as the statement should be rewritten (normalized case). */
  modifier: '' | 'QUERY ' | 'CONNECTION ';
  id: number;
}

const KILL_RE = /^\s*KILL\s+(QUERY\s+|CONNECTION\s+)?(\d+)\s*;?\s*$/i;

/** Parses `KILL [QUERY|CONNECTION] <id>` (what the CLI sends on Ctrl-C); undefined for anything else. */
export function parseKillStatement(sql: string): KillStatement | undefined {
  const m = KILL_RE.exec(sql);
  if (!m || m[2] === undefined) return undefined;
  const id = Number(m[2]);
  if (!Number.isSafeInteger(id)) return undefined;
  const kind = (m[1] ?? '').trim().toUpperCase();
  return { modifier: kind === 'QUERY' ? 'QUERY ' : kind === 'CONNECTION' ? 'CONNECTION ' : '', id };
}

/** The statement sent upstream for a translated KILL. */
export function killStatement(k: KillStatement, upstreamThreadId: number): string {
  return `KILL ${k.modifier}${upstreamThreadId}`;
}

/** What the relay does with a client's COM_QUERY, as far as KILL is concerned. */
export type KillDecision =
  | { action: 'pass' }
  | { action: 'rewrite'; statement: string; upstreamThreadId: number }
  | { action: 'deny'; id: number };

/**
 * Decides a COM_QUERY for the session of `username` on `databaseName`: a KILL naming one of that
 * user's sessions by Teleport's connection id is rewritten to the upstream thread id, one naming
 * another user's session is denied, anything else (other statements, unknown ids) passes unchanged.
 */
export function decideKill(registry: ThreadRegistry, databaseName: string, username: string, sql: string): KillDecision {
  const k = parseKillStatement(sql);
  if (!k) return { action: 'pass' };
  const t = registry.lookup(databaseName, k.id, username);
  if (!t) return { action: 'pass' };
  if (t.username !== username) return { action: 'deny', id: k.id };
  return { action: 'rewrite', statement: killStatement(k, t.upstreamThreadId), upstreamThreadId: t.upstreamThreadId };
}
