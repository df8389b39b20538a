/**
 * @module srv/db/service
 * The database service (`db_service`): it serves the databases of teleport.yaml plus the dynamic
 * `db` resources (watched; optionally only those matching `db_service.resources`), announces each
 * with a `db_server` heartbeat (deleted on a graceful stop, or as soon as a dynamic db goes away),
 * and takes the proxy's "db" transport channels from the reverse tunnel: an unknown database is
 * refused in the dial reply, anything else is served by srv/db/session. The user CA it checks
 * client certificates against is kept fresh by a watch of cert_authority.
 */
import type { Duplex } from 'node:stream';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { Database, DatabaseServer } from '@teleport-ts/api/types/database';
import type { DatabaseResourceSelector } from '../../config/serviceConfigTypes.ts';
import { AuditBatchEmitter, authClientSenders } from '../../events/batchEmitter.ts';
import { ResourceCache } from '../../proxy/ssh/resourceCache.ts';
import type { TransportHandler } from '../../reversetunnel/agent.ts';
import { presenceExpiry, ResourceHeartbeat } from '../../services/resourceHeartbeat.ts';
import type { LocalIdentity } from '../../service/identityStore.ts';
import type { Logger } from '../../utils/logger.ts';
import { VERSION } from '../../version.ts';
import type { DatabaseProtocol, DatabaseTarget, Engine } from './common/engine.ts';
import { serveDatabaseConnection } from './session.ts';
import { selectedBy, servedFromResource, type ServedDatabase } from './targets.ts';
import { UpstreamCertCache } from './upstreamTLS.ts';

/** Inputs of {@link DatabaseService}. */
export interface DatabaseServiceOptions {
  hostId: string;
  nodeName: string;
  /** The service's identity (role Db). */
  identity: LocalIdentity;
  authClient: AuthClient;
  /** Databases from teleport.yaml, already read (srv/db/targets servedFromConfig). */
  staticDatabases: ServedDatabase[];
  /** Serve dynamic `db` resources (default true). */
  dynamic?: boolean;
  /** Only dynamic dbs matching one of these (absent: all). */
  resources?: DatabaseResourceSelector[];
  engines: Partial<Record<DatabaseProtocol, Engine>>;
  clock: Clock;
  logger: Logger;
  heartbeatIntervalMs?: number;
}

interface Entry {
  served: ServedDatabase;
  heartbeat: ResourceHeartbeat<DatabaseServer>;
  json: string;
}

/** The databases one service serves, their heartbeats and the tunnel handler. */
export class DatabaseService {
  private readonly entries = new Map<string, Entry>();
  private readonly sessions = new Set<Duplex>();
  /** Sessions being served (their audit ends with db.session.end). */
  private readonly running = new Set<Promise<void>>();
  /** Every session's audit events, batched and in order (events/batchEmitter). */
  private readonly emitter: AuditBatchEmitter;
  private readonly dbCache: ResourceCache<Database> | undefined;
  private readonly caCache: ResourceCache<CertAuthority>;
  private readonly certs: UpstreamCertCache;
  private readonly log: Logger;
  private closed = false;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(private readonly opts: DatabaseServiceOptions) {
    this.log = opts.logger;
    this.certs = new UpstreamCertCache({ authClient: opts.authClient, clock: opts.clock });
    this.emitter = new AuditBatchEmitter({ ...authClientSenders(opts.authClient), logger: opts.logger });
    this.caCache = new ResourceCache<CertAuthority>({
      source: opts.authClient, kind: 'cert_authority', logger: opts.logger,
      keyOf: (ca) => `${ca.spec.type}/${ca.spec.cluster_name}`,
    });
    if (opts.dynamic ?? true) {
      this.dbCache = new ResourceCache<Database>({
        source: opts.authClient, kind: 'db', logger: opts.logger, onChange: () => void this.reconcile(),
      });
    }
  }

  /** Starts the heartbeats of the static databases and waits (up to 5 s) for the dynamic ones. */
  async start(): Promise<void> {
    await this.reconcile();
    await Promise.race([
      Promise.all([this.dbCache?.ready, this.caCache.ready]),
      new Promise((r) => setTimeout(r, 5_000).unref()),
    ]);
    await this.reconciling;
  }

  /** Databases served right now. */
  databases(): DatabaseTarget[] {
    return [...this.entries.values()].map((e) => ({ ...e.served.target, labels: { ...e.served.target.labels } }));
  }

  /** The current user CA certificates (watched; the identity's until the first snapshot). */
  userCAs(): string[] {
    if (!this.caCache.hasSnapshot) return this.opts.identity.userTLSCACerts ?? [];
    return this.caCache.values()
      .filter((ca) => ca.spec.type === 'user' && ca.spec.cluster_name === this.opts.identity.clusterName)
      .flatMap((ca) => [...(ca.spec.active_keys.tls ?? []), ...(ca.spec.additional_trusted_keys?.tls ?? [])].map((k) => k.cert));
  }

  /** What the agent pool does with the proxy's transport channels. */
  tunnelHandler(): TransportHandler {
    return (req) => {
      if (req.type !== 'db') throw new BadParameterError(`this agent serves database (db) connections, not ${req.type}`);
      const entry = this.entries.get(req.target);
      if (!entry || this.closed) throw new NotFoundError(`database "${req.target}" is not served by ${this.opts.nodeName} (${this.opts.hostId})`);
      return (stream) => {
        this.sessions.add(stream);
        stream.once('close', () => this.sessions.delete(stream));
        const served = serveDatabaseConnection({
          authClient: this.opts.authClient, clock: this.opts.clock, logger: this.log, hostId: this.opts.hostId,
          nodeName: this.opts.nodeName, userCAs: () => this.userCAs(), certs: this.certs, engines: this.opts.engines,
          emitter: this.emitter,
        }, stream, entry.served, req.client_addr ?? '');
        this.running.add(served);
        void served.finally(() => this.running.delete(served));
      };
    };
  }

  /**
   * Stops serving. Graceful: delete the db_server records; otherwise let them expire. Open sessions
   * are closed, and their last audit events (up to db.session.end) sent before this resolves
   * (waiting at most `auditFlushTimeoutMs`, default 5 s, for the sessions to wind down).
   */
  async close(opts: { graceful?: boolean; auditFlushTimeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dbCache?.close();
    await this.caCache.close();
    await this.reconciling;
    for (const s of this.sessions) s.destroy();
    await Promise.all([...this.entries.values()].map((e) => e.heartbeat.stop({ deleteRecord: opts.graceful ?? true })));
    this.entries.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, opts.auditFlushTimeoutMs ?? 5_000);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    await this.emitter.close();
  }

  /** Audit emitter counters (events sent, requests used). */
  auditStats(): { events: number; requests: number } {
    return this.emitter.stats();
  }

  /** Brings the served set in line with the static list and the dynamic cache; one pass at a time. */
  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.reconcileOnce()).catch((err: unknown) => {
      this.log.warn({ err: (err as Error).message }, 'could not update the served databases');
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.closed) return;
    const want = new Map<string, ServedDatabase>();
    for (const s of this.opts.staticDatabases) want.set(s.target.name, s);
    for (const db of this.dbCache?.values() ?? []) {
      if (!selectedBy(this.opts.resources, db)) continue;
      if (want.has(db.metadata.name)) {
        this.log.warn({ db: db.metadata.name }, 'a db resource has the name of a database from teleport.yaml; serving the teleport.yaml one');
        continue;
      }
      want.set(db.metadata.name, servedFromResource(db));
    }
    for (const [name, entry] of this.entries) {
      if (want.has(name)) continue;
      this.entries.delete(name);
      await entry.heartbeat.stop({ deleteRecord: true });
      this.log.info({ db: name }, 'stopped serving a database');
    }
    for (const [name, served] of want) {
      const json = JSON.stringify(served.resource);
      const old = this.entries.get(name);
      if (old?.json === json) continue;
      if (old) {
        old.served = served;
        old.json = json;
        await old.heartbeat.announce();
        continue;
      }
      const entry: Entry = { served, json, heartbeat: undefined as unknown as ResourceHeartbeat<DatabaseServer> };
      entry.heartbeat = this.newHeartbeat(() => entry.served);
      this.entries.set(name, entry);
      await entry.heartbeat.start();
      this.log.info({ db: name, protocol: served.target.protocol, uri: served.target.uri, static: served.static }, 'serving a database');
    }
  }

  private newHeartbeat(served: () => ServedDatabase): ResourceHeartbeat<DatabaseServer> {
    const { authClient, hostId } = this.opts;
    return new ResourceHeartbeat<DatabaseServer>({
      // db_servers are addressed "<host_id>/<name>"; the heartbeat deletes by metadata.name.
      authClient: {
        upsertResource: (r) => authClient.upsertResource(r),
        deleteResource: (kind, name) => authClient.deleteResource(kind, `${hostId}/${name}`),
      },
      clock: this.opts.clock,
      logger: this.log,
      ...(this.opts.heartbeatIntervalMs !== undefined && { intervalMs: this.opts.heartbeatIntervalMs }),
      record: (nowMs) => {
        const s = served();
        return {
          kind: 'db_server', version: 'v3',
          metadata: { name: s.target.name, expires: presenceExpiry(nowMs) },
          spec: { host_id: hostId, hostname: this.opts.nodeName, version: VERSION, database: s.resource },
        };
      },
    });
  }
}
