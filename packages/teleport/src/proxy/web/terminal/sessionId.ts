/**
 * @module proxy/web/terminal/sessionId
 * Learning the id of a session a web terminal started, so the browser can offer it to others to join.
 * The node picks the id and tells the client nothing over SSH, but it publishes a session_tracker
 * right away. The terminal lists the trackers of (node, login, user) before opening the shell, then
 * polls for the one that appears afterwards and that no other terminal of this proxy has claimed.
 * This is exact unless the same user starts two sessions with the same login on the same node at the
 * same instant from elsewhere (tsh, another proxy); then the two may be told apart wrongly.
 */
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import type { TerminalTrackerSource } from './types.ts';

/** Who started the session, where. */
export interface SessionOwner {
  /** Host UUID of the node. */
  nodeId: string;
  login: string;
  user: string;
}

/** Session ids handed to a terminal of this process, released when it ends. */
const claimed = new Set<string>();

function matching(list: SessionTracker[], o: SessionOwner): string[] {
  return list
    .filter((t) => t.spec.target_id === o.nodeId && t.spec.login === o.login && t.spec.host_user === o.user && t.spec.interactive)
    .sort((a, b) => Date.parse(a.spec.created) - Date.parse(b.spec.created))
    .map((t) => t.metadata.name);
}

/** A watcher for one new session: {@link SessionIdWatcher.before} then, once the shell is open, {@link SessionIdWatcher.find}. */
export class SessionIdWatcher {
  private known = new Set<string>();
  private mine: string | undefined;

  constructor(private readonly source: TerminalTrackerSource, private readonly owner: SessionOwner) {}

  /** Remembers the sessions that already exist (call before opening the shell). Never throws. */
  async before(): Promise<void> {
    try {
      this.known = new Set(matching(await this.source.listResources('session_tracker'), this.owner));
    } catch {
      // Without the list every matching session counts as new; find() still skips claimed ones.
    }
  }

  /**
   * Polls for the new session's id; undefined when none appears within `timeoutMs` or `signal`
   * aborts. Errors of the source count as "not yet".
   */
  async find(opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {}): Promise<string | undefined> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    while (!opts.signal?.aborted) {
      try {
        const sid = matching(await this.source.listResources('session_tracker'), this.owner)
          .find((id) => !this.known.has(id) && !claimed.has(id));
        if (sid !== undefined) {
          claimed.add(sid);
          this.mine = sid;
          return sid;
        }
      } catch {
        // auth briefly away: try again
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
    }
    return undefined;
  }

  /** Releases the claimed id (the terminal ended). */
  release(): void {
    if (this.mine !== undefined) claimed.delete(this.mine);
    this.mine = undefined;
  }
}
