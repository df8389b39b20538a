/**
 * @module proxy/ssh/server
 * The proxy's SSH listener (3023). It presents the proxy's host certificate, logs users in by
 * certificate only (userAuth), and forwards each authenticated client to a registered node through
 * a `direct-tcpip` channel (OpenSSH ProxyJump) or the `proxy:` subsystem (tsh, ProxyCommand). The
 * client's SSH session to the node runs end to end through that pipe; the node authenticates the
 * user again and enforces logins and RBAC. Nodes are found through a cache fed by the auth service's
 * watch stream; user CA keys likewise. Audit: `auth` T3007W for refused logins, `session.connect`
 * T2010I per forwarded connection. When the cluster records at the proxy (session_recording_config
 * mode proxy/proxy-sync) or the node is agentless (sub_kind openssh), the proxy terminates the
 * client's SSH itself and re-originates it to the node as the user, recording there (forwardServer).
 */
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { ClientInfo, Connection } from 'ssh2';
import type { Clock } from '@teleport-ts/api/clock';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { BadParameterError } from '@teleport-ts/api/errors';
import { sshServerHostKeys } from '../../sshutils/hostKeys.ts';
import { connectionSocket } from '../../sshutils/ssh2Internals.ts';
import type { LocalIdentity } from '../../service/identityStore.ts';
import { componentLogger, type Logger } from '../../utils/logger.ts';
import { auditSink } from './audit.ts';
import { nodeRouter, type ProxyConnection } from './context.ts';
import { handleDirectTcpip } from './directTcpip.ts';
import { dialNodeTCP, type NodeDialer } from './forward.ts';
import { NodeResolver } from './nodeResolver.ts';
import { SessionForwarder } from './forwardServer.ts';
import { handleSession } from './subsystem.ts';
import { UserCAKeys } from './userCAKeys.ts';
import { CertAuthorityCache } from '../certAuthorityCache.ts';
import { authenticateConnection } from './userAuth.ts';

/** Inputs of {@link startProxySSHServer}. */
export interface ProxySSHServerOptions {
  /** The proxy's identity: its key, SSH host certificate, user CA keys and cluster name. */
  identity: LocalIdentity;
  /** Client of the auth service, authenticated as the proxy (role Proxy). */
  authClient: AuthClient;
  listenAddr: { host: string; port: number };
  clusterName: string;
  clock: Clock;
  logger: Logger;
  /** How to reach a node; TCP to its spec.addr by default (a reverse tunnel can plug in here). */
  dialNode?: NodeDialer;
  /** The proxy's shared watch of the cluster's CAs; without it the listener watches them itself. */
  certAuthorities?: CertAuthorityCache;
  /**
   * The proxy's data directory: sessions it records (proxy recording mode) are spooled in
   * `<dataDir>/log/upload` until auth has them. Without it such sessions go unrecorded (refused
   * when a role says record_session: strict).
   */
  dataDir?: string;
  /** SSH keepalive towards clients: interval (default 5 min) and unanswered count (default 3). */
  keepAliveIntervalMs?: number;
  keepAliveCountMax?: number;
}

/** A running proxy SSH listener. */
export interface ProxySSHServer {
  /** The bound address (the real port when 0 was asked for). */
  address: { host: string; port: number };
  /** The proxy's node cache (exposed for diagnostics and tests). */
  nodes: NodeResolver;
  /** The part that terminates SSH in proxy recording mode (exposed for diagnostics and tests). */
  forwarder: SessionForwarder;
  /** The cluster's SSH host CA public key blobs as the listener knows them now (watched; for the web terminal). */
  hostCAKeys(): Buffer[];
  /** Stops listening, ends every client connection and forwarded pipe, and stops the watches. */
  close(): Promise<void>;
}

/** How long close() waits for clients to hang up before dropping their sockets. */
const CLOSE_GRACE_MS = 2_000;

/** Starts the proxy's SSH listener. Throws BadParameterError when the identity has no SSH host certificate. */
export async function startProxySSHServer(opts: ProxySSHServerOptions): Promise<ProxySSHServer> {
  const { identity, clock } = opts;
  if (!identity.sshCert) {
    throw new BadParameterError('the proxy identity has no SSH host certificate: remove it from the data directory so the proxy re-issues it');
  }
  const logger = componentLogger(opts.logger, 'proxy:ssh');
  const audit = auditSink(opts.authClient, logger);
  const shutdown = new AbortController();
  // Every open node connection listens for shutdown (and stops listening when it closes); thousands may be open.
  setMaxListeners(0, shutdown.signal);
  const nodes = new NodeResolver({ source: opts.authClient, clusterName: opts.clusterName, clock, logger });
  const ownCAs = opts.certAuthorities ? undefined : new CertAuthorityCache({ source: opts.authClient, logger });
  const cas = opts.certAuthorities ?? (ownCAs as CertAuthorityCache);
  const userCAs = new UserCAKeys({ cas, clusterName: opts.clusterName, initial: identity.sshUserCAKeys ?? [], logger });
  const hostCAs = new UserCAKeys({ cas, clusterName: opts.clusterName, initial: identity.sshHostCAKeys ?? [], logger, caType: 'host' });
  const forwarder = new SessionForwarder({
    authClient: opts.authClient, userCAKeys: () => userCAs.keys(), hostCAKeys: () => hostCAs.keys(), clock, logger,
    ...(opts.dataDir !== undefined && { dataDir: opts.dataDir }),
  });
  const stopWatches = (): Promise<unknown> => Promise.all([nodes.close(), userCAs.close(), hostCAs.close(), ownCAs?.close(), forwarder.close()]);
  const route = nodeRouter(nodes, opts.dialNode ?? dialNodeTCP, shutdown.signal);
  const conns = new Map<Connection, Set<() => void>>();

  const server = new ssh2.Server({
    hostKeys: sshServerHostKeys({ privateKeyPEM: identity.keyPEM, hostCertLine: identity.sshCert }),
    ident: 'Teleport',
    keepaliveInterval: opts.keepAliveIntervalMs ?? 300_000,
    keepaliveCountMax: opts.keepAliveCountMax ?? 3,
  }, (conn: Connection, info: ClientInfo) => {
    // Go, and so upstream Teleport, disables Nagle on every TCP connection. With it on, the window
    // adjusts of an upload wait for the client's delayed ACKs (docs/benchmarks.md, Optimisations).
    connectionSocket(conn)?.setNoDelay?.(true);
    const pipes = new Set<() => void>();
    let connClosed = false;
    conns.set(conn, pipes);
    const remoteAddr = info.ip.includes(':') ? `[${info.ip}]:${info.port}` : `${info.ip}:${info.port}`;
    const connLog = logger.child({ remote: remoteAddr });
    conn.on('error', (err: Error) => connLog.debug({ err: err.message }, 'client connection error'));
    conn.once('close', () => {
      connClosed = true;
      conns.delete(conn);
      for (const teardown of [...pipes]) teardown();
    });
    authenticateConnection(conn, {
      userCAKeys: () => userCAs.keys(), clock, audit, logger: connLog, remoteIP: info.ip, remoteAddr,
    }, (who) => {
      connLog.info({ user: who.user, login: who.login }, 'client authenticated');
      const pc: ProxyConnection = {
        conn, who, remoteAddr, remoteIP: info.ip, proxyId: identity.hostId, logger: connLog, audit, route, forwarder,
        track: (teardown) => {
          // A pipe joined after the client left (it hung up while the node was being dialled).
          // Deferred so the caller has its unregister function before teardown calls it.
          if (connClosed) {
            queueMicrotask(teardown);
            return () => undefined;
          }
          pipes.add(teardown);
          return () => pipes.delete(teardown);
        },
      };
      conn.on('ready', () => {
        conn.on('tcpip', (accept, reject, req) => handleDirectTcpip(pc, accept, reject, req));
        conn.on('session', (accept, reject) => handleSession(pc, accept, reject, opts.clusterName));
        // Remote forwarding (ssh -R) and streamlocal have no meaning at the proxy.
        conn.on('request', (_accept, reject) => reject?.());
      });
    });
  });
  server.on('error', (err: Error) => logger.error({ err: err.message }, 'SSH listener error'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenAddr.port, opts.listenAddr.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    await stopWatches();
    throw err;
  });
  const bound = server.address() as AddressInfo;
  const address = { host: opts.listenAddr.host, port: bound.port };
  logger.info({ addr: `${address.host}:${address.port}` }, 'proxy SSH listener started');

  let closing: Promise<void> | undefined;
  return {
    address,
    nodes,
    forwarder,
    hostCAKeys: () => hostCAs.keys(),
    close() {
      closing ??= (async () => {
        shutdown.abort();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const [conn, pipes] of conns) {
          for (const teardown of [...pipes]) teardown();
          conn.end();
        }
        const timer = setTimeout(() => {
          for (const conn of conns.keys()) (conn as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
        }, CLOSE_GRACE_MS);
        await Promise.all([stopped, stopWatches()]);
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
