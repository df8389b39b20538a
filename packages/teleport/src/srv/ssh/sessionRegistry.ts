/**
 * @module srv/ssh/sessionRegistry
 * The node's live sessions by id: where a joiner finds the session it names in TELEPORT_SESSION,
 * and what a graceful shutdown or a deleted user ends. Holds both interactive and exec sessions.
 */

/** What the registry needs of a session. */
export interface RegisteredSession {
  readonly id: string;
  /** Teleport user who started it. */
  readonly owner: string;
  /** OS login it runs as. */
  readonly login: string;
  /** Runs on a terminal (and can be joined). */
  readonly interactive: boolean;
  /** Ends the session, telling its participants why; resolves once it ended. */
  terminate(message: string): Promise<void>;
}

/** Live sessions of one node. */
export class SessionRegistry<S extends RegisteredSession = RegisteredSession> {
  private readonly sessions = new Map<string, S>();

  /** Adds a session (ids are UUIDs, so a clash is a bug). */
  add(session: S): void {
    if (this.sessions.has(session.id)) throw new Error(`session ${session.id} is already registered`);
    this.sessions.set(session.id, session);
  }

  /** Removes a session that ended. */
  remove(id: string): void {
    this.sessions.delete(id);
  }

  /** The session, if it is live. */
  get(id: string): S | undefined {
    return this.sessions.get(id);
  }

  /** Every live session. */
  all(): S[] {
    return [...this.sessions.values()];
  }

  /** Number of live sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Ends every session (optionally only those `filter` picks) with `message`. */
  async terminateAll(message: string, filter: (s: S) => boolean = () => true): Promise<void> {
    await Promise.allSettled(this.all().filter(filter).map((s) => s.terminate(message)));
  }
}
