/**
 * @module service/authService
 * Starts the auth service: opens the backend and audit log, initialises cluster state on first start,
 * issues the auth server's own TLS certificate and the local admin identity (for tctl on this host),
 * and serves the API on its listen address.
 */
import path from 'node:path';
import type { Clock } from '@teleport-ts/api/clock';
import type { SecondFactor, RecordingMode, AuthPreference } from '@teleport-ts/api/types/clusterConfig';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { Backend } from '../backend/backend.ts';
import { MemoryBackend } from '../backend/memory.ts';
import { openSQLiteBackend } from '../backend/sqlite.ts';
import { FileAuditLog } from '../events/fileLog.ts';
import { FileRecordingStore } from '../events/fileRecordingStore.ts';
import { LocalServices } from '../services/local/index.ts';
import { AuthServer } from '../auth/authServer.ts';
import { initAuthState } from '../auth/init.ts';
import { keyAlgorithmsForSuite, type SignatureAlgorithmSuite } from '../config/serviceConfig.ts';
import { startAuthTLSServer, type AuthTLSServer } from '../auth/tlsServer.ts';
import { componentLogger, type Logger } from '../utils/logger.ts';
import { issueLocalIdentity } from './localIdentity.ts';
import { saveIdentity, type LocalIdentity } from './identityStore.ts';

/** Settings of the auth service. */
export interface AuthServiceOptions {
  dataDir: string;
  hostId: string;
  nodeName: string;
  clusterName: string;
  listenAddr: { host: string; port: number };
  storage: { type: string; path?: string };
  secondFactor?: SecondFactor;
  authType?: AuthPreference['spec']['type'];
  recordingMode?: RecordingMode;
  signatureAlgorithmSuite?: SignatureAlgorithmSuite;
  /** Extra names for the auth server certificate (public addresses). */
  publicAddrs?: string[];
  clock: Clock;
  logger: Logger;
  proxyPublicAddr: () => string;
}

/** A running auth service. */
export interface RunningAuthService {
  auth: AuthServer;
  server: AuthTLSServer;
  /** Identity of the auth server itself (role Auth). */
  identity: LocalIdentity;
  /** host:port clients in this process should dial. */
  dialAddr: string;
  close(): Promise<void>;
}

/** Opens the configured backend. */
export async function openBackend(storage: { type: string; path?: string }, dataDir: string, clock: Clock, logger: Logger): Promise<Backend> {
  switch (storage.type) {
    case 'memory':
      return new MemoryBackend({ clock });
    case 'sqlite':
    case 'dir':
      return openSQLiteBackend({ path: storage.path ?? path.join(dataDir, 'backend', 'sqlite.db'), clock, logger: componentLogger(logger, 'backend:sqlite') });
    default:
      throw new BadParameterError(`storage type "${storage.type}" is not supported yet: use "sqlite" (default) or "memory"`);
  }
}

/** Starts the auth service. */
export async function startAuthService(opts: AuthServiceOptions): Promise<RunningAuthService> {
  const logger = componentLogger(opts.logger, 'auth');
  const backend = await openBackend(opts.storage, opts.dataDir, opts.clock, opts.logger);
  const algorithms = keyAlgorithmsForSuite(opts.signatureAlgorithmSuite ?? 'balanced-v1');
  const services = new LocalServices(backend);
  const clusterName = await initAuthState({
    services,
    clusterName: opts.clusterName,
    clock: opts.clock,
    logger,
    algorithms,
    ...(opts.secondFactor && { secondFactor: opts.secondFactor }),
    ...(opts.authType && { authType: opts.authType }),
    ...(opts.recordingMode && { recordingMode: opts.recordingMode }),
  });
  const audit = await FileAuditLog.open({
    dir: path.join(opts.dataDir, 'log', 'events'),
    clusterName,
    clock: opts.clock,
    logger: componentLogger(opts.logger, 'audit'),
  });
  const recordings = await FileRecordingStore.open(path.join(opts.dataDir, 'log', 'records'));
  const auth = new AuthServer({ services, audit, recordings, clock: opts.clock, logger, clusterName, proxyPublicAddr: opts.proxyPublicAddr });
  const idOpts = { hostId: opts.hostId, nodeName: opts.nodeName, algorithm: algorithms.tls };
  const identity = await issueLocalIdentity(auth, { ...idOpts, role: 'Auth', dnsNames: opts.publicAddrs ?? [] });
  await saveIdentity(opts.dataDir, 'auth', identity);
  // The admin identity lets tctl on this host act as the cluster administrator; it is re-issued at
  // every start so a stale copy stops working once the CA rotates.
  await saveIdentity(opts.dataDir, 'admin', await issueLocalIdentity(auth, { ...idOpts, role: 'Admin' }));
  const server = await startAuthTLSServer({ auth, listenAddr: opts.listenAddr, certPEM: identity.certPEM, keyPEM: identity.keyPEM, logger });
  const host = server.address.host === '0.0.0.0' || server.address.host === '::' ? '127.0.0.1' : server.address.host;
  return {
    auth,
    server,
    identity,
    dialAddr: `${host.includes(':') ? `[${host}]` : host}:${server.address.port}`,
    async close() {
      await server.close();
      await recordings.close();
      await audit.close();
      await auth.close();
      await backend.close();
    },
  };
}
