/**
 * @module srv/db/postgres/cancelRegistry
 * Where a CancelRequest goes. PostgreSQL cancels a running query when a *new* connection sends the
 * BackendKeyData (process ID, secret key) of the session running it. The engine passes the server's
 * BackendKeyData to the client unchanged and remembers, process-wide, which database session it
 * belongs to; a later CancelRequest that reaches this database service for the same database is
 * forwarded to the database, but only for the user who owns the session. Unknown keys are ignored
 * silently, as PostgreSQL does.
 */
import type { ConnectionOptions } from 'node:tls';
import type { UpstreamAddress } from './upstream.ts';

/** A live session that can be cancelled. */
export interface CancelTarget {
  /** The database (DatabaseTarget.name) the session is for. */
  databaseName: string;
  addr: UpstreamAddress;
  /** TLS options to reach the database as the session's db user. */
  tls: () => Promise<ConnectionOptions>;
  dbUser: string;
  /** The Teleport user who owns the session. */
  username: string;
}

/** Sessions by (database, process ID, secret key). */
export class CancelRegistry {
  private readonly byKey = new Map<string, CancelTarget>();

  /** Remembers a session; returns the function that forgets it (call it when the session ends). */
  register(processId: number, secretKey: number, target: CancelTarget): () => void {
    const key = keyOf(target.databaseName, processId, secretKey);
    this.byKey.set(key, target);
    return () => {
      if (this.byKey.get(key) === target) this.byKey.delete(key);
    };
  }

  /** The session a CancelRequest for `databaseName` names, if any. */
  lookup(databaseName: string, processId: number, secretKey: number): CancelTarget | undefined {
    return this.byKey.get(keyOf(databaseName, processId, secretKey));
  }

  /** Number of sessions remembered (for tests and metrics). */
  get size(): number {
    return this.byKey.size;
  }
}

function keyOf(db: string, pid: number, secret: number): string {
  return `${db}\u0000${pid >>> 0}\u0000${secret >>> 0}`;
}

/** The registry shared by every PostgreSQL engine in this process. */
export const cancelRegistry = new CancelRegistry();
