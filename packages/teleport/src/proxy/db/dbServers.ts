/**
 * @module proxy/db/dbServers
 * Which database services serve a database: a watch-fed copy of every `db_server` record
 * (proxy/ssh/resourceCache, named "<host_id>/<database name>"), filtered by the injected clock so
 * an expired heartbeat stops counting at once. Until the watch has delivered its first snapshot
 * (auth slow or still starting), lookups read the records from auth directly.
 */
import type { Clock } from '@teleport-ts/api/clock';
import { databaseServerKey, type DatabaseServer } from '@teleport-ts/api/types/database';
import type { Logger } from '../../utils/logger.ts';
import { ResourceCache, type WatchSource } from '../ssh/resourceCache.ts';

/** Something that lists the live db_server records of a database. */
export interface DatabaseServerSource {
  /** The unexpired records serving database `name`, in no particular order. */
  serversFor(name: string): Promise<DatabaseServer[]>;
}

/** Inputs of {@link DatabaseServerCache}. */
export interface DatabaseServerCacheOptions {
  source: WatchSource;
  clock: Clock;
  logger: Logger;
}

/** The watch-fed {@link DatabaseServerSource} of the proxy. */
export class DatabaseServerCache implements DatabaseServerSource {
  private readonly cache: ResourceCache<DatabaseServer>;

  constructor(private readonly opts: DatabaseServerCacheOptions) {
    this.cache = new ResourceCache<DatabaseServer>({ source: opts.source, kind: 'db_server', keyOf: databaseServerKey, logger: opts.logger });
  }

  /** Settles once the first snapshot is loaded. */
  get ready(): Promise<void> {
    return this.cache.ready;
  }

  async serversFor(name: string): Promise<DatabaseServer[]> {
    const all = this.cache.hasSnapshot ? this.cache.values() : await this.opts.source.listResources<DatabaseServer>('db_server');
    const now = this.opts.clock.now().getTime();
    return all.filter((s) => s.metadata.name === name && !(s.metadata.expires && Date.parse(s.metadata.expires) <= now));
  }

  /** Stops watching. */
  close(): Promise<void> {
    return this.cache.close();
  }
}
