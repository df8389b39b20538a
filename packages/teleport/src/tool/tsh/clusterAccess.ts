/**
 * @module tool/tsh/clusterAccess
 * The light half of {@link module:tool/tsh/cluster}: the user's credentials with a local expiry
 * check, the cluster and proxy addresses, and the SSH connection to the proxy. It loads neither the
 * auth API client nor X.509 (only when the credentials do not name their cluster), so `tsh proxy
 * ssh`, which OpenSSH starts for every connection, starts quickly. cluster.ts re-exports all of it.
 */
import { userInfo } from 'node:os';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError, ConnectionProblemError } from '@teleport-ts/api/errors';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import { proxyHostOf } from '../../client/profile.ts';
import type { SSHUserKey } from '../../client/ssh/hostVerifier.ts';
import { ProxyClient } from '../../client/ssh/proxyClient.ts';
import { checkNotExpired, type UserCertInfo } from '../../client/ssh/userCert.ts';
import type { GlobalFlags, TshContext } from './context.ts';
import { loadActiveCredentials, type ActiveCredentials } from './credentials.ts';
import { sshProxyAddrFrom } from './loginResponse.ts';

/** Everything needed to talk to the cluster as the logged-in user. */
export interface ClusterAccess {
  creds: ActiveCredentials;
  /** The SSH key and certificate. */
  key: SSHUserKey;
  /** Public key blobs of every trusted host CA. */
  hostCAKeys: Buffer[];
  cluster: string;
  /** Proxy web address, host:port. */
  webProxyAddr: string;
  proxyHost: string;
  insecure: boolean;
  cert: UserCertInfo;
  /** Proxy SSH address from the profile, when saved at login. */
  sshProxyAddr?: string;
}

/** Flags of the commands that connect: the globals plus `--cluster`. */
export type ClusterFlags = GlobalFlags & { cluster?: string };

/**
 * Loads the credentials (profile or `-i`) and checks them locally: an SSH certificate must be
 * present and unexpired. Throws "not logged in: run 'tsh login --proxy=...'" without a profile.
 */
export async function loadClusterAccess(ctx: TshContext, flags: ClusterFlags): Promise<ClusterAccess> {
  const proxyFlag = flags.proxy || ctx.io.env.TELEPORT_PROXY;
  const creds = await loadActiveCredentials(ctx, { ...(flags.identity && { identity: flags.identity }), ...(proxyFlag && { proxy: proxyFlag }) });
  const webProxyAddr = creds.profile?.webProxyAddr ?? proxyFlag;
  if (!webProxyAddr) throw new BadParameterError('with -i, give the proxy address too: --proxy=<host:port> (or set TELEPORT_PROXY)');
  if (!creds.sshCert) throw new BadParameterError(`${creds.identityFile ?? 'the credentials'} hold no SSH certificate: log in again with 'tsh login'`);
  const relogin = creds.identityFile ? 'tctl auth sign' : `tsh login --proxy=${webProxyAddr}`;
  const cert = checkNotExpired(creds.sshCert, ctx.now(), relogin);
  const cluster = flags.cluster || ctx.io.env.TELEPORT_CLUSTER || creds.profile?.cluster || (await clusterOfIdentity(creds));
  return {
    creds, cert, cluster, webProxyAddr, proxyHost: proxyHostOf(webProxyAddr),
    key: { privateKeyPEM: creds.privateKeyPEM, certLine: creds.sshCert },
    hostCAKeys: creds.hostCAKeys.map((ca) => parseAuthorizedKey(ca.authorizedKey).blob),
    insecure: flags.insecure === true || creds.profile?.insecure === true,
    ...(creds.profile?.sshProxyAddr && { sshProxyAddr: creds.profile.sshProxyAddr }),
  };
}

async function clusterOfIdentity(creds: ActiveCredentials): Promise<string> {
  if (creds.tlsCert) {
    const { identityFromCertificate } = await import('@teleport-ts/api/tlsca/identity');
    const fromCert = identityFromCertificate(creds.tlsCert).teleportCluster;
    if (fromCert) return fromCert;
  }
  const fromCA = creds.hostCAKeys[0]?.clusterName;
  if (fromCA) return fromCA;
  throw new BadParameterError('cannot tell which cluster the credentials are for: pass --cluster=<name>');
}

/** The proxy's SSH address: from the profile, else asked from the proxy's ping endpoint. */
export async function sshProxyAddr(access: ClusterAccess): Promise<string> {
  if (access.sshProxyAddr) return access.sshProxyAddr;
  const { WebClient } = await import('../../client/webClient.ts');
  const ping = await new WebClient({ proxyAddr: access.webProxyAddr, insecure: access.insecure }).ping();
  const addr = sshProxyAddrFrom(ping, access.proxyHost);
  if (!addr) throw new ConnectionProblemError(`the proxy at ${access.webProxyAddr} does not advertise an SSH listener`);
  return addr;
}

/** Connects to the proxy's SSH listener as `login`. */
export async function connectProxy(ctx: TshContext, access: ClusterAccess, login: string): Promise<ProxyClient> {
  const addr = await sshProxyAddr(access);
  return ProxyClient.connect({
    addr, key: access.key, login, hostCAKeys: access.hostCAKeys, cluster: access.cluster, clock: clockOf(ctx),
  });
}

/** The OS login used when none is given: the local user name, as OpenSSH does. */
export function defaultLogin(ctx: TshContext): string {
  try {
    return userInfo().username;
  } catch {
    return ctx.io.env.USER ?? ctx.io.env.LOGNAME ?? 'root';
  }
}

/** The context's clock as a Clock. */
export function clockOf(ctx: TshContext): Clock {
  return { now: () => ctx.now(), nowMs: () => ctx.now().getTime() };
}
