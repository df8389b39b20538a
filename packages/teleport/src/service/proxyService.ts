/**
 * @module service/proxyService
 * Starts the proxy service: the HTTPS web API on 3080, the SSH listener on 3023 and the reverse-tunnel
 * listener on 3024 (also reachable on 3080 by TLS ALPN `teleport-reversetunnel`), through which the
 * SSH listener reaches nodes behind NAT. The proxy reaches auth only through the API client,
 * authenticated with its own host identity (role Proxy).
 *
 * With tunnels enabled, database access runs too (proxy/db/): PostgreSQL and MySQL by TLS ALPN and
 * PostgreSQL SSLRequests on the web port, and the optional dedicated `postgres_listen_addr` /
 * `mysql_listen_addr` listeners. Database services are always reached over their reverse tunnel.
 */
import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import type { Clock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { DBProxySettings } from '@teleport-ts/api/webapi';
import { startWebServer, type WebServer } from '../proxy/web/webServer.ts';
import { TerminalServer } from '../proxy/web/terminal/terminalServer.ts';
import { webSessionsOf } from '../proxy/web/webSession.ts';
import { startDatabaseProxy, type DatabaseProxy } from '../proxy/db/dbProxy.ts';
import { DatabaseServerCache } from '../proxy/db/dbServers.ts';
import { UserTLSCAs } from '../proxy/db/userTLSCAs.ts';
import { auditSink } from '../proxy/ssh/audit.ts';
import { postgresProxyHandshake } from '../srv/db/postgres/proxyHandshake.ts';
import { mysqlProxyHandshake } from '../srv/db/mysql/proxyHandshake.ts';
import { startProxySSHServer } from '../proxy/ssh/server.ts';
import { loadOrCreateSelfSigned, type KeyPairPEM } from '../proxy/selfSignedCert.ts';
import { componentLogger, type Logger } from '../utils/logger.ts';
import { parseHostPort } from '../config/netAddr.ts';
import { UserCAKeys } from '../proxy/ssh/userCAKeys.ts';
import { CertAuthorityCache } from '../proxy/certAuthorityCache.ts';
import { tunnelNodeDialer } from '../reversetunnel/nodeDialer.ts';
import type { ProxyEndpoint } from '../reversetunnel/protocol.ts';
import { ReverseTunnelServer } from '../reversetunnel/server.ts';
import type { LocalIdentity } from './identityStore.ts';
import { startProxyPresence, type ProxyPresence } from './proxyPresence.ts';

/**
 * The address other hosts should dial for a listener without a configured public address: the bound
 * address, or the node name when bound to every interface (0.0.0.0 is nobody's address).
 */
function advertised(bound: { host: string; port: number }, opts: { nodeName: string }): string {
  const host = bound.host === '0.0.0.0' || bound.host === '::' ? opts.nodeName : bound.host;
  return `${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
}

/** The running proxy SSH listener. */
export type ProxySSHServer = Awaited<ReturnType<typeof startProxySSHServer>>;

/** Settings of the proxy service. */
export interface ProxyServiceOptions {
  dataDir: string;
  nodeName: string;
  identity: LocalIdentity;
  /** host:port of the auth service. */
  authAddr: string;
  webListenAddr: { host: string; port: number };
  /** SSH listener (3023) for tsh and OpenSSH clients; absent disables it. */
  sshListenAddr?: { host: string; port: number };
  /** Public host:port of the web listener; defaults to nodename:<bound port>. */
  publicAddr?: string;
  sshPublicAddr?: string;
  tunnelPublicAddr?: string;
  /** Reverse-tunnel listener (3024) for agents behind NAT; absent disables tunnels (and ALPN routing to them). */
  tunnelListenAddr?: { host: string; port: number };
  /**
   * Every live proxy's tunnel endpoint, announced to agents so they keep a tunnel to each (polled).
   * Default: the live proxy records (this proxy's own, announced here, and every other proxy's).
   */
  discoverProxies?: () => ProxyEndpoint[] | Promise<ProxyEndpoint[]>;
  httpsKeyPairs?: Array<{ keyFile: string; certFile: string }>;
  /** Dedicated PostgreSQL listener; absent: PostgreSQL on the web port only. Needs tunnels. */
  postgresListenAddr?: { host: string; port: number };
  /** Dedicated MySQL listener (3036 by convention); absent: MySQL by ALPN on the web port only. Needs tunnels. */
  mysqlListenAddr?: { host: string; port: number };
  /** host:port clients should use for the dedicated listeners; default: as bound (see advertised). */
  postgresPublicAddr?: string;
  mysqlPublicAddr?: string;
  clock: Clock;
  logger: Logger;
}

/** A running proxy service. */
export interface RunningProxyService {
  web: WebServer;
  /** The SSH listener, when enabled. */
  ssh?: ProxySSHServer;
  /** The reverse-tunnel server, when enabled. */
  tunnel?: ReverseTunnelServer;
  /** The bound tunnel listener address, when enabled. */
  tunnelAddr?: { host: string; port: number };
  /** Database access (with tunnels enabled). */
  db?: DatabaseProxy;
  /** Bound address of the dedicated PostgreSQL listener, when enabled. */
  postgresAddr?: { host: string; port: number };
  /** Bound address of the dedicated MySQL listener, when enabled. */
  mysqlAddr?: { host: string; port: number };
  authClient: AuthClient;
  /** host:port users should use for --proxy. */
  publicAddr: string;
  /** Stops the proxy. Graceful (the default) tells tunnel agents to reconnect elsewhere first. */
  close(opts?: { graceful?: boolean }): Promise<void>;
}

async function loadKeyPair(opts: ProxyServiceOptions, names: string[]): Promise<KeyPairPEM> {
  const pair = opts.httpsKeyPairs?.[0];
  if (!pair) return loadOrCreateSelfSigned(opts.dataDir, names, opts.clock);
  try {
    return { certPEM: await readFile(pair.certFile, 'utf8'), keyPEM: await readFile(pair.keyFile, 'utf8') };
  } catch (err) {
    throw new BadParameterError(`cannot read proxy_service.https_keypairs: ${(err as Error).message}`);
  }
}

/** Starts the proxy. */
export async function startProxyService(opts: ProxyServiceOptions): Promise<RunningProxyService> {
  const logger = componentLogger(opts.logger, 'proxy');
  const authClient = new AuthClient({
    addr: opts.authAddr,
    certPEM: opts.identity.certPEM,
    keyPEM: opts.identity.keyPEM,
    caCerts: opts.identity.tlsCACerts,
  });
  const publicHost = opts.publicAddr?.replace(/:\d+$/, '') ?? opts.nodeName;
  const keyPair = await loadKeyPair(opts, [publicHost, opts.nodeName]);
  let publicAddr = opts.publicAddr ?? '';
  // One watch of the cluster's CAs for the SSH listener, the tunnel and database access.
  const cas = new CertAuthorityCache({ source: authClient, logger });
  const tunnel = opts.tunnelListenAddr ? await startTunnel(opts, cas, logger) : undefined;
  // The SSH listener starts first so ping can advertise the port it really bound.
  const ssh = opts.sshListenAddr
    ? await startProxySSHServer({
        certAuthorities: cas,
        identity: opts.identity, authClient, listenAddr: opts.sshListenAddr, clusterName: opts.identity.clusterName,
        // Proxy recording mode spools recordings here before shipping them to auth.
        dataDir: opts.dataDir,
        ...(tunnel && { dialNode: tunnelNodeDialer(tunnel.server) }),
        clock: opts.clock, logger: componentLogger(opts.logger, 'proxy:ssh'),
      })
    : undefined;
  // Without a public address, advertise the bound listen address as upstream does: tsh replaces an
  // unspecified host (0.0.0.0) with the host it reached the web proxy at, and the nodename may not resolve.
  const sshListen = ssh && !opts.publicAddr ? `${ssh.address.host.includes(':') ? `[${ssh.address.host}]` : ssh.address.host}:${ssh.address.port}` : undefined;
  const sshPublicAddr = opts.sshPublicAddr ?? sshListen ?? `${publicHost}:${ssh?.address.port ?? 3023}`;
  const tunnelPublicAddr = opts.tunnelPublicAddr ?? (tunnel && advertised(tunnel.address, opts)) ?? `${publicHost}:3024`;
  const db = tunnel ? await startDatabaseAccess(opts, authClient, cas, tunnel.server, keyPair, logger) : undefined;
  const ctx = {
    authClient,
    clusterName: opts.identity.clusterName,
    get webPublicAddr() {
      return publicAddr;
    },
    sshPublicAddr,
    tunnelPublicAddr,
    ...(db && { dbSettings: dbSettings(db.proxy, opts) }),
    logger,
  };
  // The web terminal logs in to this proxy's own SSH listener with the user's web session
  // certificate, so nodes authorize, record and audit it exactly as a tsh session.
  const terminal = ssh && new TerminalServer({
    clusterName: opts.identity.clusterName,
    sessions: webSessionsOf(ctx),
    proxySSHAddr: () => ssh.address, hostCAKeys: () => ssh.hostCAKeys(), nodes: ssh.nodes,
    trackers: authClient,
    allowedOrigins: () => (publicAddr ? [`https://${publicAddr}`] : []),
    clock: opts.clock, logger: componentLogger(opts.logger, 'proxy:terminal'),
  });
  const web = await startWebServer({
    ctx, listenAddr: opts.webListenAddr, certPEM: keyPair.certPEM, keyPEM: keyPair.keyPEM,
    authAddr: parseHostPort(opts.authAddr, { defaultPort: 3025 }),
    ...(tunnel && { onTunnelConnection: (socket: TLSSocket) => tunnel.server.injectSocket(socket) }),
    ...(db && { database: db.proxy.webHandlers }),
    ...(terminal && { upgrades: [terminal] }),
  });
  if (!publicAddr) publicAddr = `${publicHost}:${web.address.port}`;
  let presence: ProxyPresence | undefined;
  if (tunnel) {
    presence = await startProxyPresence({
      authClient, clock: opts.clock, logger,
      self: { hostId: opts.identity.hostId, nodeName: opts.nodeName, tunnelAddr: tunnelPublicAddr, webAddr: opts.publicAddr ?? advertised(web.address, opts) },
    });
    tunnel.server.setDiscovery(opts.discoverProxies ?? presence.endpoints);
  }
  return {
    web,
    ...(ssh && { ssh }),
    ...(tunnel && { tunnel: tunnel.server, tunnelAddr: tunnel.address }),
    ...(db && { db: db.proxy }),
    ...(db?.proxy.postgresAddr && { postgresAddr: db.proxy.postgresAddr }),
    ...(db?.proxy.mysqlAddr && { mysqlAddr: db.proxy.mysqlAddr }),
    authClient,
    publicAddr,
    async close(closeOpts = {}) {
      // Agents first, so they hear "reconnect" before the listeners they would come back to go away.
      const graceful = closeOpts.graceful ?? true;
      await tunnel?.close(graceful);
      await Promise.all([web.close(), ssh?.close(), presence?.stop({ graceful }), db?.close()]);
      await cas.close();
    },
  };
}

/** Starts the reverse-tunnel server on opts.tunnelListenAddr, checking agents against the live host CA keys. */
async function startTunnel(opts: ProxyServiceOptions, cas: CertAuthorityCache, logger: Logger): Promise<{
  server: ReverseTunnelServer; address: { host: string; port: number }; close(graceful: boolean): Promise<void>;
}> {
  const listen = opts.tunnelListenAddr ?? { host: '0.0.0.0', port: 3024 };
  const hostCAs = new UserCAKeys({
    cas, clusterName: opts.identity.clusterName, initial: opts.identity.sshHostCAKeys ?? [], caType: 'host',
    logger: componentLogger(opts.logger, 'proxy:tunnel'),
  });
  const server = new ReverseTunnelServer({ identity: opts.identity, hostCAKeys: () => hostCAs.keys(), clock: opts.clock, logger: opts.logger });
  let address;
  try {
    address = await server.listen(listen.host, listen.port);
  } catch (err) {
    await Promise.all([server.close({ graceful: false }), hostCAs.close()]);
    throw err;
  }
  logger.debug({ addr: `${address.host}:${address.port}` }, 'reverse tunnel server ready');
  return {
    server, address,
    close: async (graceful) => {
      await Promise.all([server.close({ graceful }), hostCAs.close()]);
    },
  };
}

/** ping's `proxy.db`: the dedicated listeners as clients should dial them. */
function dbSettings(db: DatabaseProxy, opts: ProxyServiceOptions): DBProxySettings {
  const out: DBProxySettings = {};
  if (db.postgresAddr) out.postgres_listen_addr = advertised(db.postgresAddr, opts);
  if (opts.postgresPublicAddr) out.postgres_public_addr = opts.postgresPublicAddr;
  if (db.mysqlAddr) out.mysql_listen_addr = advertised(db.mysqlAddr, opts);
  if (opts.mysqlPublicAddr) out.mysql_public_addr = opts.mysqlPublicAddr;
  return out;
}

/**
 * Starts database access: the user CA certificates and db_server records (both watched), and the
 * database proxy with its listeners. The web certificate is the server certificate of every
 * database TLS upgrade.
 */
async function startDatabaseAccess(
  opts: ProxyServiceOptions, authClient: AuthClient, cas: CertAuthorityCache, tunnel: ReverseTunnelServer, keyPair: KeyPairPEM, logger: Logger,
): Promise<{ proxy: DatabaseProxy; close(): Promise<void> }> {
  const dbLogger = componentLogger(opts.logger, 'proxy:db');
  const userCAs = new UserTLSCAs({ cas, clusterName: opts.identity.clusterName, initial: opts.identity.userTLSCACerts ?? [], logger: dbLogger });
  const servers = new DatabaseServerCache({ source: authClient, clock: opts.clock, logger: dbLogger });
  let proxy: DatabaseProxy;
  try {
    proxy = await startDatabaseProxy({
      certPEM: keyPair.certPEM, keyPEM: keyPair.keyPEM, userCAs: () => userCAs.certs(), tunnel, servers,
      audit: auditSink(authClient, logger), postgresHandshake: postgresProxyHandshake, mysqlHandshake: mysqlProxyHandshake,
      ...(opts.postgresListenAddr && { postgresListenAddr: opts.postgresListenAddr }),
      ...(opts.mysqlListenAddr && { mysqlListenAddr: opts.mysqlListenAddr }),
      clock: opts.clock, logger: dbLogger,
    });
  } catch (err) {
    await Promise.all([userCAs.close(), servers.close()]);
    throw err;
  }
  return {
    proxy,
    close: async () => {
      await Promise.all([proxy.close(), userCAs.close(), servers.close()]);
    },
  };
}
