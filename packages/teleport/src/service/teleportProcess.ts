/**
 * @module service/teleportProcess
 * One `teleport start` process: registers the enabled services with the supervisor in dependency
 * order (auth, then proxy, then agents), and exposes what tests and the CLI need (addresses, the
 * auth server for in-process bootstrap, shutdown).
 */
import type { Clock } from '@teleport-ts/api/clock';
import { systemClock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import { keyAlgorithmsForSuite, type ServiceConfig } from '../config/serviceConfig.ts';
import { parseHostPort } from '../config/netAddr.ts';
import { Supervisor, SupervisorEvents } from './supervisor.ts';
import { startAuthService, type RunningAuthService } from './authService.ts';
import { startProxyService, type RunningProxyService } from './proxyService.ts';
import { startNodeService } from './nodeService.ts';
import { connectToCluster, type ClusterConnection } from './connector.ts';
import { startDatabaseService } from './dbService.ts';
import { postgresEngine } from '../srv/db/postgres/engine.ts';
import { mysqlEngine } from '../srv/db/mysql/engine.ts';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import { readOrCreateHostUUID } from './identityStore.ts';
import { startDiagServer } from './diag.ts';
import { createMetricsRegistry } from '../utils/metrics.ts';
import { silentLogger, type Logger } from '../utils/logger.ts';

/** "host:port" -> "host" (also for "[v6]:port"). */
function hostOf(addr: string): string {
  return addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}

/**
 * Where the database service dials its reverse tunnel: the proxy it joined through (ALPN on the web
 * port), the proxy in this process, or a proxy from the cluster's proxy records.
 */
async function databaseTunnel(conn: ClusterConnection, proc: TeleportProcess): Promise<{ proxyAddr: string; alpn: boolean; insecureTLS?: boolean }> {
  // The web port's certificate need not verify: the SSH layer inside checks the proxy's host certificate.
  if (conn.via === 'proxy') return { proxyAddr: conn.addr, alpn: true, insecureTLS: true };
  const local = proc.proxy?.tunnelAddr;
  if (local) return { proxyAddr: `${local.host === '0.0.0.0' || local.host === '::' ? '127.0.0.1' : local.host}:${local.port}`, alpn: false };
  const proxies = (await conn.authClient.listResources('proxy')) as ProxyServer[];
  const addr = proxies.find((p) => p.spec.addr)?.spec.addr;
  if (!addr) {
    throw new BadParameterError('the database service needs a proxy to connect to, and the cluster has none: start a proxy, or set teleport.proxy_server');
  }
  return { proxyAddr: addr, alpn: false };
}

/** A running process. */
export interface TeleportProcess {
  config: ServiceConfig;
  supervisor: Supervisor;
  hostId: string;
  /** Present when the auth service runs here. */
  auth?: RunningAuthService;
  /** Present when the proxy runs here. */
  proxy?: RunningProxyService;
  /** host:port of the auth API, when local. */
  authAddr?: string;
  /** host:port of the web proxy, when local. */
  webAddr?: string;
  /** host:port of the SSH node service, when enabled. */
  nodeAddr?: string;
  /** host:port of the diagnostics server, when enabled. */
  diagAddr?: string;
  /** Stops every service. */
  close(opts?: { graceful?: boolean }): Promise<void>;
}

/** Starts every enabled service; resolves once all started (rejects if any failed). */
export async function startTeleport(cfg: ServiceConfig, opts: { clock?: Clock; logger?: Logger } = {}): Promise<TeleportProcess> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const supervisor = new Supervisor({ logger });
  const hostId = await readOrCreateHostUUID(cfg.dataDir);
  const proc: TeleportProcess = {
    config: cfg,
    supervisor,
    hostId,
    close: (o = {}) => supervisor.shutdown({ graceful: o.graceful ?? true, timeoutMs: 10_000 }),
  };
  const metrics = createMetricsRegistry();
  const webPort = parseHostPort(cfg.proxy.webListenAddr, { defaultPort: 3080 }).port;
  const publicWeb = cfg.proxy.publicAddrs[0] ?? `${cfg.nodeName}:${webPort}`;

  // Diagnostics first, so /healthz and /readyz answer while the other services start.
  if (cfg.diagAddr) {
    const diagAddr = cfg.diagAddr;
    supervisor.register('diag', async () => {
      const diag = await startDiagServer({ addr: diagAddr, supervisor, registry: metrics, logger });
      proc.diagAddr = `${diag.address.host}:${diag.address.port}`;
      return { close: () => diag.close() };
    });
  }

  if (cfg.auth.enabled) {
    supervisor.register('auth', async (ctx) => {
      const auth = await startAuthService({
        dataDir: cfg.dataDir,
        hostId,
        nodeName: cfg.nodeName,
        clusterName: cfg.auth.clusterName,
        listenAddr: parseHostPort(cfg.auth.listenAddr, { defaultPort: 3025 }),
        storage: cfg.storage,
        // Only what teleport.yaml sets explicitly overrides the stored cluster settings.
        ...(cfg.auth.fileSettings.secondFactor && { secondFactor: cfg.auth.fileSettings.secondFactor }),
        ...(cfg.auth.fileSettings.authType && { authType: cfg.auth.fileSettings.authType }),
        ...(cfg.auth.fileSettings.sessionRecording && { recordingMode: cfg.auth.fileSettings.sessionRecording }),
        signatureAlgorithmSuite: cfg.auth.signatureAlgorithmSuite,
        publicAddrs: cfg.auth.publicAddrs.map((a) => a.replace(/:\d+$/, '')),
        clock,
        logger: ctx.logger,
        // Invite URLs point at the proxy users reach; with port 0 in tests the bound port is used.
        proxyPublicAddr: () => proc.proxy?.publicAddr ?? publicWeb,
      });
      proc.auth = auth;
      proc.authAddr = auth.dialAddr;
      ctx.broadcast(SupervisorEvents.AuthReady, { addr: auth.dialAddr });
      return { close: () => auth.close() };
    });
  }

  if (cfg.proxy.enabled) {
    supervisor.register('proxy', async (ctx) => {
      const conn = await connectToCluster({
        cfg, hostId, role: 'Proxy', logger: ctx.logger,
        algorithm: keyAlgorithmsForSuite(cfg.auth.signatureAlgorithmSuite).tls,
        dnsNames: cfg.proxy.publicAddrs.map(hostOf),
        ...(proc.auth && { localAuth: proc.auth.auth, localAuthAddr: proc.auth.dialAddr }),
      });
      if (conn.via === 'proxy') {
        throw new BadParameterError(`a proxy must reach the auth service directly, but ${conn.addr} is a proxy: set teleport.auth_server (or --auth-server) to the auth service's address (port 3025)`);
      }
      const proxy = await startProxyService({
        dataDir: cfg.dataDir,
        nodeName: cfg.nodeName,
        identity: conn.identity,
        authAddr: conn.addr,
        webListenAddr: parseHostPort(cfg.proxy.webListenAddr, { defaultPort: 3080 }),
        sshListenAddr: parseHostPort(cfg.proxy.sshListenAddr, { defaultPort: 3023 }),
        tunnelListenAddr: parseHostPort(cfg.proxy.tunnelListenAddr, { defaultPort: 3024 }),
        ...(cfg.proxy.postgresListenAddr && { postgresListenAddr: parseHostPort(cfg.proxy.postgresListenAddr, { defaultPort: 5432 }) }),
        ...(cfg.proxy.mysqlListenAddr && { mysqlListenAddr: parseHostPort(cfg.proxy.mysqlListenAddr, { defaultPort: 3036 }) }),
        ...(cfg.proxy.publicAddrs[0] && { publicAddr: cfg.proxy.publicAddrs[0] }),
        ...(cfg.proxy.sshPublicAddrs[0] && { sshPublicAddr: cfg.proxy.sshPublicAddrs[0] }),
        ...(cfg.proxy.tunnelPublicAddrs[0] && { tunnelPublicAddr: cfg.proxy.tunnelPublicAddrs[0] }),
        httpsKeyPairs: cfg.proxy.httpsKeyPairs,
        clock,
        logger: ctx.logger,
      });
      proc.proxy = proxy;
      const host = proxy.web.address.host;
      const dialHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      proc.webAddr = `${dialHost}:${proxy.web.address.port}`;
      ctx.broadcast(SupervisorEvents.ProxyReady, { addr: proc.webAddr });
      return { close: (o) => proxy.close(o) };
    });
  }

  // Services that arrive with later features: say so once, clearly, instead of silently doing nothing.
  for (const [enabled, name] of [[cfg.app.enabled, 'app_service'], [cfg.kube.enabled, 'kubernetes_service']] as const) {
    if (enabled) logger.warn({ component: name }, `${name} is enabled but not implemented in this version yet; skipping it`);
  }
  if (cfg.ssh.enabled) {
    supervisor.register('node', async (ctx) => {
      const configuredListen = parseHostPort(cfg.ssh.listenAddr, { defaultPort: 3022 });
      const conn = await connectToCluster({
        cfg, hostId, role: 'Node', logger: ctx.logger,
        algorithm: keyAlgorithmsForSuite(cfg.auth.signatureAlgorithmSuite).ssh,
        additionalPrincipals: [...cfg.ssh.publicAddrs.map(hostOf), ...(configuredListen.host === '0.0.0.0' ? [] : [configuredListen.host])],
        ...(proc.auth && { localAuth: proc.auth.auth, localAuthAddr: proc.auth.dialAddr }),
      });
      // A node that reaches the cluster through a proxy is behind NAT as far as we know: it dials out
      // over a reverse tunnel and listens only when ssh_service.listen_addr says so.
      const tunnel = conn.via === 'proxy';
      const listen = !tunnel || cfg.ssh.listenAddrExplicit === true;
      const node = await startNodeService({
        dataDir: cfg.dataDir,
        hostId,
        nodeName: cfg.nodeName,
        identity: conn.identity,
        authClient: conn.authClient,
        ...(listen && { listenAddr: configuredListen }),
        ...(tunnel && { tunnel: { proxyAddr: conn.addr, alpn: true, insecureTLS: true } }),
        ...(cfg.ssh.publicAddrs[0] && { publicAddr: cfg.ssh.publicAddrs[0] }),
        labels: cfg.ssh.labels,
        commands: cfg.ssh.commands,
        clock,
        logger: ctx.logger,
      });
      if (node.address.port > 0) {
        proc.nodeAddr = `${node.address.host === '0.0.0.0' ? '127.0.0.1' : node.address.host}:${node.address.port}`;
      }
      ctx.broadcast(SupervisorEvents.NodeReady, { addr: proc.nodeAddr ?? `tunnel via ${conn.addr}` });
      return { close: (o) => node.close(o) };
    });
  }

  if (cfg.db.enabled) {
    supervisor.register('db', async (ctx) => {
      const conn = await connectToCluster({
        cfg, hostId, role: 'Db', logger: ctx.logger,
        algorithm: keyAlgorithmsForSuite(cfg.auth.signatureAlgorithmSuite).ssh,
        ...(proc.auth && { localAuth: proc.auth.auth, localAuthAddr: proc.auth.dialAddr }),
      });
      const db = await startDatabaseService({
        dataDir: cfg.dataDir,
        hostId,
        nodeName: cfg.nodeName,
        identity: conn.identity,
        authClient: conn.authClient,
        tunnel: await databaseTunnel(conn, proc),
        databases: cfg.db.databases,
        ...(cfg.db.resources && { resources: cfg.db.resources }),
        engines: { postgres: postgresEngine, mysql: mysqlEngine },
        clock,
        logger: ctx.logger,
      });
      return { close: (o) => db.close(o) };
    });
  }

  await supervisor.start();
  return proc;
}
