/**
 * @module service/nodeService
 * Starts the SSH node service (`ssh_service`, port 3022): the SSH server of srv/ssh with the node's
 * host certificate, its heartbeat (the `node` resource with static and command labels), the cache of
 * users, roles and the user CA kept fresh from auth, session recording uploads, and the audit
 * emitter. The node reaches auth only through the API client given to it (its own Node identity).
 * With `tunnel`, the node also dials out to the proxies (reverse tunnel, for nodes behind NAT) and
 * serves the SSH connections they send back through it; without `listenAddr` that is its only way in,
 * and its record says so (`addr: ''`, `use_tunnel: true`).
 */
import type { Duplex } from 'node:stream';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import { AgentPool } from '../reversetunnel/agentPool.ts';
import type { TransportHandler } from '../reversetunnel/agent.ts';
import { AccessCache } from '../srv/ssh/accessCache.ts';
import { joinHostPort, NodeAuditor } from '../srv/ssh/audit.ts';
import { AuthHandler } from '../srv/ssh/authHandler.ts';
import type { NodeContext } from '../srv/ssh/context.ts';
import { Heartbeat, HEARTBEAT_INTERVAL_MS } from '../srv/ssh/heartbeat.ts';
import { CommandLabels, type CommandLabelSpec } from '../srv/ssh/labels.ts';
import { SessionRecordings } from '../srv/ssh/recording.ts';
import { NodeSSHServer } from '../srv/ssh/server.ts';
import { SessionRegistry } from '../srv/ssh/sessionRegistry.ts';
import { defaultSftpServerPath } from '../srv/ssh/sftp.ts';
import type { TrackerTiming } from '../srv/ssh/tracker.ts';
import { sshServerHostKeys } from '../sshutils/hostKeys.ts';
import { componentLogger, type Logger } from '../utils/logger.ts';
import { VERSION } from '../version.ts';
import type { LocalIdentity } from './identityStore.ts';

/** Settings of the node service. */
export interface NodeServiceOptions {
  dataDir: string;
  hostId: string;
  nodeName: string;
  /** The node's identity (role Node): key, host certificate, CA keys. */
  identity: LocalIdentity;
  authClient: AuthClient;
  /** Where to accept SSH connections directly; absent with `tunnel` means tunnel-only. */
  listenAddr?: { host: string; port: number };
  /** Dial out to the proxy and take connections through the reverse tunnel. */
  tunnel?: NodeTunnelOptions;
  /** host:port the proxy should dial; defaults to the bound address (0.0.0.0 -> 127.0.0.1). */
  publicAddr?: string;
  labels: Record<string, string>;
  commands: CommandLabelSpec[];
  clock: Clock;
  logger: Logger;
  /** Heartbeat interval (default 60 s; tests use less). */
  heartbeatIntervalMs?: number;
  /** Session tracker TTL and refresh interval. */
  trackerTiming?: TrackerTiming;
  /** OpenSSH sftp-server to run for the sftp subsystem (default: found in the usual places). */
  sftpServerPath?: string;
  /** Longest a graceful close waits for recording uploads (default 10 s). */
  uploadDrainMs?: number;
}

/** How a node reaches the proxies' reverse-tunnel listener. */
export interface NodeTunnelOptions {
  /** host:port of the proxy's tunnel listener (3024), or of its web port (3080) with `alpn`. */
  proxyAddr: string;
  /** TLS with ALPN teleport-reversetunnel to the web port instead of plain TCP to 3024. */
  alpn: boolean;
  /** With `alpn`: skip checking the web certificate (the SSH layer still checks the proxy's host certificate). */
  insecureTLS?: boolean;
}

/** A running node service. */
export interface RunningNodeService {
  /** The bound SSH listener address; `{ host: '', port: 0 }` for a tunnel-only node. */
  address: { host: string; port: number };
  /** The reverse-tunnel pool, when the node dials out to the proxies. */
  tunnel?: AgentPool;
  /**
   * Stops the service. Graceful (the default): stop accepting, end sessions with a message,
   * finish recording uploads, delete the node record and session trackers. Otherwise drop
   * everything at once and let records expire.
   */
  close(opts?: { graceful?: boolean }): Promise<void>;
  /** Serves an SSH connection that arrived another way (e.g. a reverse-tunnel channel from the proxy). */
  injectSocket(stream: Duplex): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Starts the SSH node service. */
export async function startNodeService(opts: NodeServiceOptions): Promise<RunningNodeService> {
  const logger = componentLogger(opts.logger, 'node');
  const { identity, authClient, clock } = opts;
  if (!identity.sshCert) throw new BadParameterError('the node identity has no SSH host certificate: join the cluster again');
  if (!opts.listenAddr && !opts.tunnel) {
    throw new BadParameterError('the SSH node service needs a listen address (ssh_service.listen_addr) or a reverse tunnel to a proxy');
  }
  const hostKeys = sshServerHostKeys({ privateKeyPEM: identity.keyPEM, hostCertLine: identity.sshCert });

  let addr = '';
  let started = false;
  const heartbeat: Heartbeat = new Heartbeat({
    authClient, clock, logger, intervalMs: opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
    fields: () => ({
      hostId: opts.hostId, nodeName: opts.nodeName, addr, labels: opts.labels, cmdLabels: commandLabels.cmdLabels(), version: VERSION,
      ...(opts.tunnel && { useTunnel: true }),
    }),
  });
  const commandLabels = new CommandLabels(opts.commands, { logger, onChange: () => void (started && heartbeat.announce()) });
  const labels = (): Record<string, string> => ({ ...opts.labels, ...commandLabels.values() });
  const cache = new AccessCache({ authClient, clusterName: identity.clusterName, userCAKeys: identity.sshUserCAKeys ?? [], logger });
  const auditor = new NodeAuditor({ authClient, serverId: opts.hostId, hostname: opts.nodeName, addr: () => addr, labels, logger });
  const authHandler = new AuthHandler({
    cache, clock, auditor, nodeName: opts.nodeName, logger,
    target: () => ({ name: opts.hostId, hostname: opts.nodeName, labels: labels() }),
  });
  const registry = new SessionRegistry();
  const recordings = new SessionRecordings({ authClient, dataDir: opts.dataDir, clock, logger });
  const node: NodeContext = {
    hostId: opts.hostId, nodeName: opts.nodeName, clusterName: identity.clusterName, addr: () => addr, labels, clock, logger,
    authClient, auditor, authHandler, registry, recordings, trackerTiming: opts.trackerTiming ?? {},
    sftpServerPath: opts.sftpServerPath ?? defaultSftpServerPath(),
  };
  const server = new NodeSSHServer({ node, hostKeys });

  cache.start();
  cache.onUserDeleted((user) => {
    const reason = `user '${user}' was deleted`;
    void registry.terminateAll(reason, (s) => s.owner === user);
    const n = server.disconnectUser(user, reason);
    if (n > 0) logger.info({ user, connections: n }, 'disconnected a deleted user');
  });
  let bound = { address: '', port: 0 };
  if (opts.listenAddr) {
    try {
      bound = await server.listen(opts.listenAddr.host, opts.listenAddr.port);
    } catch (err) {
      await cache.close();
      throw err;
    }
    const host = bound.address === '0.0.0.0' || bound.address === '::' ? '127.0.0.1' : bound.address;
    addr = opts.publicAddr ?? joinHostPort(host, bound.port);
  }
  const pool = opts.tunnel && new AgentPool({
    proxyAddr: opts.tunnel.proxyAddr, alpn: opts.tunnel.alpn, ...(opts.tunnel.insecureTLS !== undefined && { insecureTLS: opts.tunnel.insecureTLS }),
    identity, clock, logger, handler: tunnelHandler(opts.hostId, (stream) => server.injectSocket(stream)),
  });
  pool?.start();

  // First values of command labels and a live cache make the first heartbeat and logins accurate;
  // neither may hold the service up for long.
  await Promise.race([Promise.all([commandLabels.start(), cache.ready]), sleep(5000)]);
  started = true;
  await heartbeat.start();
  recordings.resumePending();
  logger.info({
    addr, ...(opts.listenAddr && { listen: joinHostPort(bound.address, bound.port) }), ...(opts.tunnel && { tunnel: opts.tunnel.proxyAddr }),
  }, 'SSH node service started');

  let closing: Promise<void> | undefined;
  return {
    address: { host: bound.address, port: bound.port },
    ...(pool && { tunnel: pool }),
    injectSocket: (stream) => server.injectSocket(stream),
    close: (closeOpts = {}) => {
      closing ??= (async () => {
        const graceful = closeOpts.graceful ?? true;
        commandLabels.stop();
        await server.close({ graceful, message: `the node ${opts.nodeName} is shutting down` });
        await pool?.close();
        await heartbeat.stop({ deleteRecord: graceful });
        await recordings.close(graceful ? opts.uploadDrainMs ?? 10_000 : 0);
        await cache.close();
        await auditor.flush();
        logger.info('SSH node service stopped');
      })();
      return closing;
    },
  };
}

/**
 * What the node does with the proxy's transport channels: SSH connections for this node go to its
 * SSH server as if they had arrived on the listener; anything else is refused with a reason.
 */
export function tunnelHandler(hostId: string, serve: (stream: Duplex) => void): TransportHandler {
  return (req) => {
    if (req.type !== 'node') throw new BadParameterError(`this agent serves SSH (node) connections, not ${req.type}`);
    if (req.target !== hostId) throw new NotFoundError(`this is node ${hostId}, not ${req.target}`);
    return (stream) => {
      const m = req.client_addr ? /^\[?([^\]]*?)\]?:(\d+)$/.exec(req.client_addr) : null;
      // ssh2 reads the peer address from the socket it serves; give it the client's, as the proxy saw it.
      if (m) Object.assign(stream, { remoteAddress: m[1], remotePort: Number(m[2]) });
      serve(stream);
    };
  };
}
