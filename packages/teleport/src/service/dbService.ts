/**
 * @module service/dbService
 * Starts the database service (`db_service`, `--roles=db`): reads the databases of teleport.yaml
 * (their CA files and, beyond upstream, their passwords), starts srv/db's DatabaseService (dynamic
 * `db` resources, `db_server` heartbeats) and dials out to the proxies over the reverse tunnel
 * (always, even next to a proxy in the same process), taking "db" transport channels.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { DatabaseConfig, DatabaseResourceSelector } from '../config/serviceConfigTypes.ts';
import { AgentPool } from '../reversetunnel/agentPool.ts';
import type { DatabaseProtocol, DatabaseTarget, Engine } from '../srv/db/common/engine.ts';
import { DatabaseService } from '../srv/db/service.ts';
import { servedFromConfig } from '../srv/db/targets.ts';
import { componentLogger, type Logger } from '../utils/logger.ts';
import type { LocalIdentity } from './identityStore.ts';

/** Settings of the database service. */
export interface DatabaseServiceStartOptions {
  dataDir: string;
  hostId: string;
  nodeName: string;
  /** The service's identity (role Db). */
  identity: LocalIdentity;
  authClient: AuthClient;
  /** How to reach the proxies' reverse-tunnel listener (3024, or the web port with ALPN). */
  tunnel: { proxyAddr: string; alpn: boolean; insecureTLS?: boolean };
  /** Databases from teleport.yaml. */
  databases: DatabaseConfig[];
  /** Serve only dynamic `db` resources matching one of these (absent: all of them). */
  resources?: DatabaseResourceSelector[];
  engines: Partial<Record<DatabaseProtocol, Engine>>;
  clock: Clock;
  logger: Logger;
  heartbeatIntervalMs?: number;
  /** Where password_env is read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** A running database service. */
export interface RunningDatabaseService {
  /** The databases served right now (static and dynamic). */
  databases(): DatabaseTarget[];
  /** The reverse-tunnel pool. */
  tunnel: AgentPool;
  /** Stops. Graceful (the default) deletes the db_server records; otherwise they expire. */
  close(opts?: { graceful?: boolean }): Promise<void>;
}

/** Starts the database service. */
export async function startDatabaseService(opts: DatabaseServiceStartOptions): Promise<RunningDatabaseService> {
  const logger = componentLogger(opts.logger, 'db');
  if (opts.identity.role !== 'Db') throw new BadParameterError(`the database service needs a Db identity, got ${opts.identity.role}`);
  const staticDatabases = [];
  for (const c of opts.databases) staticDatabases.push(await servedFromConfig(c, opts.env ?? process.env));
  const service = new DatabaseService({
    hostId: opts.hostId, nodeName: opts.nodeName, identity: opts.identity, authClient: opts.authClient, staticDatabases,
    ...(opts.resources && { resources: opts.resources }), engines: opts.engines, clock: opts.clock, logger,
    ...(opts.heartbeatIntervalMs !== undefined && { heartbeatIntervalMs: opts.heartbeatIntervalMs }),
  });
  await service.start();
  const pool = new AgentPool({
    proxyAddr: opts.tunnel.proxyAddr, alpn: opts.tunnel.alpn, ...(opts.tunnel.insecureTLS !== undefined && { insecureTLS: opts.tunnel.insecureTLS }),
    identity: opts.identity, clock: opts.clock, logger: opts.logger, handler: service.tunnelHandler(),
  });
  pool.start();
  logger.info({ databases: service.databases().map((d) => d.name), tunnel: opts.tunnel.proxyAddr }, 'database service started');

  let closing: Promise<void> | undefined;
  return {
    databases: () => service.databases(),
    tunnel: pool,
    close: (closeOpts = {}) => {
      closing ??= (async () => {
        await pool.close();
        await service.close({ graceful: closeOpts.graceful ?? true });
        logger.info('database service stopped');
      })();
      return closing;
    },
  };
}
