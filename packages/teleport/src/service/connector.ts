/**
 * @module service/connector
 * A service's credentials and its client of the auth API, wherever auth runs. With auth in the same
 * process the identity is issued in-process, as before. Otherwise the identity stored in
 * `<data_dir>/identity/<role>.json` is reused while it is valid for this host and cluster, and a new
 * one is obtained by joining with the token (service/join.ts) and saved. The auth client then reaches
 * auth the same way the join did: directly, or through the proxy's auth tunnel.
 */
import { X509Certificate } from 'node:crypto';
import { BadParameterError, isNotFound } from '@teleport-ts/api/errors';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { AuthClient as DirectAuthClient } from '@teleport-ts/api/client/authClient';
import type { KeyAlgorithm } from '@teleport-ts/api/keys';
import { caPin } from '@teleport-ts/api/tlsca/pin';
import type { AuthServer } from '../auth/authServer.ts';
import type { ServiceConfig } from '../config/serviceConfig.ts';
import { componentLogger, type Logger } from '../utils/logger.ts';
import { loadIdentity, saveIdentity, identityPath, type LocalIdentity } from './identityStore.ts';
import { issueLocalIdentity } from './localIdentity.ts';
import { joinClusterVia } from './join.ts';
import { authClientFor, resolveRoutes, type JoinRoute } from './joinRoute.ts';

/** A role an agent service runs as. */
export type AgentRole = 'Node' | 'Proxy' | 'Db' | 'App' | 'Kube' | 'WindowsDesktop' | 'Discovery';

/** What connectToCluster needs. */
export interface ConnectOptions {
  cfg: ServiceConfig;
  hostId: string;
  role: AgentRole;
  algorithm: KeyAlgorithm;
  additionalPrincipals?: string[];
  dnsNames?: string[];
  logger: Logger;
  /** The auth server when it runs in this process. */
  localAuth?: AuthServer;
  /** host:port of the in-process auth API (required with localAuth). */
  localAuthAddr?: string;
}

/** A connected service. */
export interface ClusterConnection {
  identity: LocalIdentity;
  authClient: AuthClient;
  /** How the identity was obtained and auth is reached. */
  via: 'local' | 'auth' | 'proxy';
  /** host:port auth is reached at: the auth server, or the proxy's web port when `via` is proxy. */
  addr: string;
}

const NOT_JOINED =
  "this node has not joined the cluster yet: start it with --token=<token from 'tctl tokens add'> and --auth-server=<proxy host:3080>";

/** Why a stored identity cannot be reused, or undefined when it can. */
export function staleReason(id: LocalIdentity, o: { hostId: string; role: string; caPins: string[]; nowMs: number }): string | undefined {
  if (id.role.toLowerCase() !== o.role.toLowerCase()) return `it is for role ${id.role}, not ${o.role}`;
  if (id.hostId !== o.hostId) return `it is for host ${id.hostId}, but this host is ${o.hostId} (host_uuid changed)`;
  let notAfter: number;
  try {
    notAfter = Date.parse(new X509Certificate(id.certPEM).validTo);
  } catch {
    return 'its certificate cannot be parsed';
  }
  if (!(notAfter > o.nowMs)) return `its certificate expired at ${new Date(notAfter).toISOString()}`;
  if (o.caPins.length > 0) {
    const pins = new Set(o.caPins.map((p) => p.trim().toLowerCase()));
    if (!id.tlsCACerts.some((pem) => pins.has(caPin(pem)))) return 'it belongs to a cluster whose CA does not match --ca-pin';
  }
  return undefined;
}

async function loadStored(dataDir: string, role: string): Promise<LocalIdentity | undefined> {
  try {
    return await loadIdentity(dataDir, role);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Where a rejoining or restarting agent reaches auth: probed, or guessed when nothing answers yet. */
async function routeFor(cfg: ServiceConfig, logger: Logger): Promise<JoinRoute> {
  const [first] = await resolveRoutes({ authServers: cfg.authServers, ...(cfg.proxyServer && { proxyServer: cfg.proxyServer }), logger });
  if (!first) throw new BadParameterError(NOT_JOINED);
  return { kind: first.kind, addr: first.addr };
}

function clientFor(route: JoinRoute, id: LocalIdentity): AuthClient {
  return authClientFor(route, { certPEM: id.certPEM, keyPEM: id.keyPEM, caCerts: id.tlsCACerts });
}

/** Gets this service's identity (issued locally, reused from disk, or by joining) and an auth client. */
export async function connectToCluster(opts: ConnectOptions): Promise<ClusterConnection> {
  const { cfg, role } = opts;
  const logger = componentLogger(opts.logger, 'connector');
  if (opts.localAuth) {
    if (!opts.localAuthAddr) throw new BadParameterError('connectToCluster: localAuthAddr is required with localAuth');
    const identity = await issueLocalIdentity(opts.localAuth, {
      hostId: opts.hostId, nodeName: cfg.nodeName, role, algorithm: opts.algorithm,
      ...(opts.dnsNames && { dnsNames: opts.dnsNames }),
      ...(opts.additionalPrincipals && { principals: opts.additionalPrincipals }),
    });
    const authClient = new DirectAuthClient({ addr: opts.localAuthAddr, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts });
    return { identity, authClient, via: 'local', addr: opts.localAuthAddr };
  }

  const stored = await loadStored(cfg.dataDir, role);
  const why = stored && staleReason(stored, { hostId: opts.hostId, role, caPins: cfg.caPins, nowMs: Date.now() });
  if (stored && !why) {
    const route = await routeFor(cfg, logger);
    logger.info({ role, via: route.kind, addr: route.addr }, 'using the stored identity');
    return { identity: stored, authClient: clientFor(route, stored), via: route.kind, addr: route.addr };
  }
  if (!cfg.joinToken) {
    if (!stored) throw new BadParameterError(NOT_JOINED);
    throw new BadParameterError(
      `the stored ${role} identity (${identityPath(cfg.dataDir, role)}) cannot be used: ${why}. ` +
        "Join again with --token=<token from 'tctl tokens add'>",
    );
  }
  if (why) logger.info({ role, reason: why }, 'the stored identity cannot be used; joining again with the token');
  const { identity, route } = await joinClusterVia({
    hostId: opts.hostId,
    nodeName: cfg.nodeName,
    role,
    token: cfg.joinToken,
    caPins: cfg.caPins,
    authServers: cfg.authServers,
    ...(cfg.proxyServer && { proxyServer: cfg.proxyServer }),
    insecure: cfg.insecure,
    algorithm: opts.algorithm,
    ...(opts.additionalPrincipals && { additionalPrincipals: opts.additionalPrincipals }),
    ...(opts.dnsNames && { dnsNames: opts.dnsNames }),
    logger,
  });
  await saveIdentity(cfg.dataDir, role, identity);
  return { identity, authClient: clientFor(route, identity), via: route.kind, addr: route.addr };
}
