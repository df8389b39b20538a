/**
 * @module service/proxyService
 * Starts the proxy service (first part: the HTTPS web API on 3080). The proxy reaches auth only through
 * the API client, authenticated with its own host identity (role Proxy).
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { BadParameterError } from '@teleport-ts/api/errors';
import { startWebServer, type WebServer } from '../proxy/web/webServer.ts';
import { startProxySSHServer } from '../proxy/ssh/server.ts';
import { loadOrCreateSelfSigned, type KeyPairPEM } from '../proxy/selfSignedCert.ts';
import { componentLogger, type Logger } from '../utils/logger.ts';
import { parseHostPort } from '../config/netAddr.ts';
import type { LocalIdentity } from './identityStore.ts';

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
  httpsKeyPairs?: Array<{ keyFile: string; certFile: string }>;
  clock: Clock;
  logger: Logger;
}

/** A running proxy service. */
export interface RunningProxyService {
  web: WebServer;
  /** The SSH listener, when enabled. */
  ssh?: ProxySSHServer;
  authClient: AuthClient;
  /** host:port users should use for --proxy. */
  publicAddr: string;
  close(): Promise<void>;
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
  // The SSH listener starts first so ping can advertise the port it really bound.
  const ssh = opts.sshListenAddr
    ? await startProxySSHServer({
        identity: opts.identity, authClient, listenAddr: opts.sshListenAddr, clusterName: opts.identity.clusterName,
        // Proxy recording mode spools recordings here before shipping them to auth.
        dataDir: opts.dataDir,
        clock: opts.clock, logger: componentLogger(opts.logger, 'proxy:ssh'),
      })
    : undefined;
  // Without a public address, advertise the bound listen address as upstream does: tsh replaces an
  // unspecified host (0.0.0.0) with the host it reached the web proxy at, and the nodename may not resolve.
  const sshListen = ssh && !opts.publicAddr ? `${ssh.address.host.includes(':') ? `[${ssh.address.host}]` : ssh.address.host}:${ssh.address.port}` : undefined;
  const sshPublicAddr = opts.sshPublicAddr ?? sshListen ?? `${publicHost}:${ssh?.address.port ?? 3023}`;
  const ctx = {
    authClient,
    clusterName: opts.identity.clusterName,
    get webPublicAddr() {
      return publicAddr;
    },
    sshPublicAddr,
    tunnelPublicAddr: opts.tunnelPublicAddr ?? `${publicHost}:3024`,
    logger,
  };
  const web = await startWebServer({
    ctx, listenAddr: opts.webListenAddr, certPEM: keyPair.certPEM, keyPEM: keyPair.keyPEM,
    authAddr: parseHostPort(opts.authAddr, { defaultPort: 3025 }),
  });
  if (!publicAddr) publicAddr = `${publicHost}:${web.address.port}`;
  return {
    web,
    ...(ssh && { ssh }),
    authClient,
    publicAddr,
    async close() {
      await Promise.all([web.close(), ssh?.close()]);
    },
  };
}
