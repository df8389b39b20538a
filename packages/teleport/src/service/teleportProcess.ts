/**
 * @module service/teleportProcess
 * One `teleport start` process: registers the enabled services with the supervisor in dependency
 * order (auth, then proxy, then agents), and exposes what tests and the CLI need (addresses, the
 * auth server for in-process bootstrap, shutdown).
 */
import type { Clock } from '@teleport-ts/api/clock';
import { systemClock } from '@teleport-ts/api/clock';
import { NotImplementedError } from '@teleport-ts/api/errors';
import { keyAlgorithmsForSuite, type ServiceConfig } from '../config/serviceConfig.ts';
import { parseHostPort } from '../config/netAddr.ts';
import { Supervisor, SupervisorEvents } from './supervisor.ts';
import { startAuthService, type RunningAuthService } from './authService.ts';
import { startProxyService, type RunningProxyService } from './proxyService.ts';
import { issueLocalIdentity } from './localIdentity.ts';
import { startNodeService } from './nodeService.ts';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { readOrCreateHostUUID } from './identityStore.ts';
import { startDiagServer } from './diag.ts';
import { createMetricsRegistry } from '../utils/metrics.ts';
import { silentLogger, type Logger } from '../utils/logger.ts';

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
      if (!proc.auth) {
        throw new NotImplementedError('a proxy without a local auth service must join the cluster with a token, which is not supported yet: run the proxy together with auth_service');
      }
      const algorithm = keyAlgorithmsForSuite(cfg.auth.signatureAlgorithmSuite).tls;
      const identity = await issueLocalIdentity(proc.auth.auth, {
        hostId, nodeName: cfg.nodeName, role: 'Proxy', algorithm,
        dnsNames: cfg.proxy.publicAddrs.map((a) => a.replace(/:\d+$/, '')),
      });
      const proxy = await startProxyService({
        dataDir: cfg.dataDir,
        nodeName: cfg.nodeName,
        identity,
        authAddr: proc.auth.dialAddr,
        webListenAddr: parseHostPort(cfg.proxy.webListenAddr, { defaultPort: 3080 }),
        sshListenAddr: parseHostPort(cfg.proxy.sshListenAddr, { defaultPort: 3023 }),
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
      return { close: () => proxy.close() };
    });
  }

  // Services that arrive with later features: say so once, clearly, instead of silently doing nothing.
  for (const [enabled, name] of [[cfg.db.enabled, 'db_service'], [cfg.app.enabled, 'app_service'], [cfg.kube.enabled, 'kubernetes_service']] as const) {
    if (enabled) logger.warn({ component: name }, `${name} is enabled but not implemented in this version yet; skipping it`);
  }
  if (cfg.ssh.enabled) {
    supervisor.register('node', async (ctx) => {
      if (!proc.auth) {
        throw new NotImplementedError('a node without a local auth service must join the cluster with a token, which is not supported yet: run it together with auth_service');
      }
      const algorithm = keyAlgorithmsForSuite(cfg.auth.signatureAlgorithmSuite).ssh;
      const listenAddr = parseHostPort(cfg.ssh.listenAddr, { defaultPort: 3022 });
      const identity = await issueLocalIdentity(proc.auth.auth, {
        hostId, nodeName: cfg.nodeName, role: 'Node', algorithm,
        principals: [...cfg.ssh.publicAddrs.map((a) => a.replace(/:\d+$/, '')), ...(listenAddr.host === '0.0.0.0' ? [] : [listenAddr.host])],
      });
      const authClient = new AuthClient({ addr: proc.auth.dialAddr, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts });
      const node = await startNodeService({
        dataDir: cfg.dataDir,
        hostId,
        nodeName: cfg.nodeName,
        identity,
        authClient,
        listenAddr,
        ...(cfg.ssh.publicAddrs[0] && { publicAddr: cfg.ssh.publicAddrs[0] }),
        labels: cfg.ssh.labels,
        commands: cfg.ssh.commands,
        clock,
        logger: ctx.logger,
      });
      proc.nodeAddr = `${node.address.host === '0.0.0.0' ? '127.0.0.1' : node.address.host}:${node.address.port}`;
      ctx.broadcast(SupervisorEvents.NodeReady, { addr: proc.nodeAddr });
      return { close: (o) => node.close(o) };
    });
  }

  await supervisor.start();
  return proc;
}
