/**
 * @module service/join
 * Joining the cluster with a token, as an agent with no local auth service does on first start. The
 * token is a secret, so it is sent only to a server proven to be this cluster's auth:
 *
 * 1. Fetch the host CA certificates over TLS that verifies nothing (GetClusterCACerts is public).
 * 2. Check them against the CA pins (`--ca-pin`). Without pins, trust them on first use, loudly.
 * 3. Open TLS to auth that verifies its certificate against those CAs (and no others).
 * 4. Only over that verified connection: re-read the CA material and call RegisterUsingToken.
 *
 * Through a proxy the same TLS runs end to end inside the proxy's auth tunnel (see joinRoute.ts).
 */
import tls from 'node:tls';
import { ConnectionProblemError, TeleportError, TrustError, BadParameterError } from '@teleport-ts/api/errors';
import { AUTH_SERVER_NAME, type ClusterCACerts } from '@teleport-ts/api/client/authClient';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM, type KeyAlgorithm } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { caPin } from '@teleport-ts/api/tlsca/pin';
import type { LocalIdentity } from './identityStore.ts';
import { authClientFor, dialRoute, resolveRoutes, type JoinRoute } from './joinRoute.ts';
import type { Logger } from '../utils/logger.ts';

/** What joining needs. */
export interface JoinOptions {
  hostId: string;
  nodeName: string;
  /** System role to join as (Node, Proxy, Db, App, Kube, ...). */
  role: string;
  token: string;
  /** Expected pins of the cluster's host CA ("sha256:<hex>"); empty means trust on first use. */
  caPins: string[];
  authServers: string[];
  /** Join through this proxy's web port (wins over authServers). */
  proxyServer?: string;
  /** Accepted for symmetry with the config; the proxy's HTTPS is never what gets verified (see joinRoute.ts). */
  insecure?: boolean;
  algorithm: KeyAlgorithm;
  additionalPrincipals?: string[];
  dnsNames?: string[];
  logger: Logger;
  /** Per-call timeout of the join RPCs; default 15 s. */
  timeoutMs?: number;
}

const TOFU_WARNING =
  'joining without a CA pin: the cluster CA is trusted on first use, so anyone who can intercept this ' +
  'connection could pose as the cluster. Pass --ca-pin (printed by tctl tokens add and tctl status) to verify it';

const PIN = /^sha256:[0-9a-f]{64}$/;

function normalisePins(pins: string[]): string[] {
  return pins.map((p) => {
    const n = p.trim().toLowerCase();
    if (!PIN.test(n)) throw new BadParameterError(`malformed CA pin "${p}": expected "sha256:" followed by 64 hex digits, as 'tctl status' prints it`);
    return n;
  });
}

/**
 * The host CA certificates to trust: those matching a pin, or all of them when there are no pins.
 * Throws TrustError naming the pin seen and the pin expected.
 */
export function pinnedCAs(cas: ClusterCACerts, pins: string[], logger: Logger): string[] {
  if (cas.tlsCACerts.length === 0) throw new TrustError('the cluster sent no CA certificates: is this a Teleport auth server or proxy?');
  if (pins.length === 0) {
    logger.warn(TOFU_WARNING);
    return cas.tlsCACerts;
  }
  const wanted = new Set(normalisePins(pins));
  const matching = cas.tlsCACerts.filter((pem) => wanted.has(caPin(pem)));
  if (matching.length > 0) return matching;
  throw new TrustError(
    `the cluster's CA pin is ${cas.tlsCACerts.map(caPin).join(', ')} but --ca-pin says ${[...wanted].join(', ')}: ` +
      "check that you are joining the right cluster and use the pin printed by 'tctl status'",
  );
}

/** Handshakes with auth, verifying its certificate against `cas`; TrustError if it does not chain to them. */
export async function verifyAuthServer(route: JoinRoute, cas: string[], timeoutMs = 15_000): Promise<void> {
  const raw = await dialRoute(route);
  await new Promise<void>((resolve, reject) => {
    const socket = tls.connect({ socket: raw, ca: cas, servername: AUTH_SERVER_NAME, rejectUnauthorized: true, ALPNProtocols: ['h2'], minVersion: 'TLSv1.2' });
    const timer = setTimeout(() => socket.destroy(new ConnectionProblemError(`timed out verifying the auth server at ${route.addr}`)), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      raw.destroy();
      if (err instanceof TeleportError) return reject(err);
      reject(new TrustError(
        `the auth server at ${route.addr} presented a certificate that is not signed by the pinned cluster CA (${err.code ?? err.message}): ` +
          'someone may be intercepting the connection, or --auth-server points at another cluster',
      ));
    });
  });
}

/** Joins along one route; see the module comment for the order of steps. */
async function joinVia(route: JoinRoute, opts: JoinOptions): Promise<LocalIdentity> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const unverified = authClientFor(route, { caCerts: [], insecureSkipVerify: true, timeoutMs });
  const trusted = pinnedCAs(await unverified.getClusterCACerts(), opts.caPins, opts.logger);
  await verifyAuthServer(route, trusted, timeoutMs);

  const verified = authClientFor(route, { caCerts: trusted, timeoutMs });
  // Re-read over the verified connection: the pin covers the host CA only, not the user CA sent with it.
  const cas = await verified.getClusterCACerts();
  const keys = generateKeyPair(opts.algorithm);
  const certs = await verified.registerUsingToken({
    token: opts.token,
    hostId: opts.hostId,
    nodeName: opts.nodeName,
    role: opts.role,
    additionalPrincipals: opts.additionalPrincipals ?? [],
    dnsNames: opts.dnsNames ?? [],
    sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(keys.publicKey)),
    tlsPublicKey: publicKeyToPEM(keys.publicKey),
  });
  opts.logger.info({ via: route.kind, addr: route.addr, role: opts.role, cluster: cas.clusterName }, 'joined the cluster');
  return {
    hostId: opts.hostId,
    role: opts.role,
    keyPEM: privateKeyToPEM(keys.privateKey),
    certPEM: certs.tlsCert,
    sshCert: certs.sshCert,
    tlsCACerts: certs.tlsCACerts.length > 0 ? certs.tlsCACerts : cas.tlsCACerts,
    userTLSCACerts: cas.userTLSCACerts,
    sshHostCAKeys: cas.sshHostCAKeys,
    sshUserCAKeys: cas.sshUserCAKeys,
    clusterName: cas.clusterName,
  };
}

/**
 * Joins and says which route worked. Tries the candidate routes in order, moving on only when one
 * cannot be reached; a trust or token problem stops at once.
 */
export async function joinClusterVia(opts: JoinOptions): Promise<{ identity: LocalIdentity; route: JoinRoute }> {
  if (!opts.token) throw new BadParameterError("no join token: start with --token=<token from 'tctl tokens add'>");
  normalisePins(opts.caPins);
  const routes = await resolveRoutes({ authServers: opts.authServers, ...(opts.proxyServer && { proxyServer: opts.proxyServer }), logger: opts.logger });
  const failures: string[] = [];
  for (const route of routes) {
    try {
      return { identity: await joinVia(route, opts), route: { kind: route.kind, addr: route.addr } };
    } catch (err) {
      if (!(err instanceof ConnectionProblemError)) throw err;
      opts.logger.warn({ addr: route.addr, err: err.message }, 'cannot join through this address; trying the next');
      failures.push(err.message);
    }
  }
  throw new ConnectionProblemError(`cannot reach the cluster to join it: ${failures.join('; ')}`);
}

/** Joins the cluster with a token and returns the new identity (not yet saved). */
export async function joinCluster(opts: JoinOptions): Promise<LocalIdentity> {
  return (await joinClusterVia(opts)).identity;
}
