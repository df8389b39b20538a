/**
 * @module tool/tsh/cluster
 * What the commands that reach into the cluster share: the user's credentials with a local expiry
 * check, the cluster and proxy addresses (from the profile, or from `--proxy` with `-i`), an auth
 * client through the proxy's auth tunnel (auth filters what it returns by the user's roles), and
 * the SSH connection to the proxy. The parts that need no auth client live in clusterAccess.ts
 * (re-exported here), so commands that only reach the proxy's SSH listener load less.
 */
import type { Command } from 'commander';
import type { Duplex } from 'node:stream';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { BadParameterError } from '@teleport-ts/api/errors';
import { loadPrivateKey } from '@teleport-ts/api/identityFile';
import { privateKeyToPEM } from '@teleport-ts/api/keys';
import { dialAuthThroughProxy } from '../../client/authTunnel.ts';
import type { TshContext } from './context.ts';
import { loadClusterAccess, type ClusterAccess, type ClusterFlags } from './clusterAccess.ts';

export { clockOf, connectProxy, defaultLogin, loadClusterAccess, sshProxyAddr, type ClusterAccess, type ClusterFlags } from './clusterAccess.ts';

/**
 * An auth API client that acts as the user, through the proxy's auth tunnel. Its connections are
 * closed when the command ends (an idle HTTP/2 connection would keep tsh running for a minute).
 */
export function authClientFor(ctx: TshContext, access: ClusterAccess): AuthClient {
  if (!access.creds.tlsCert) throw new BadParameterError('the credentials hold no TLS certificate: log in again with \'tsh login\'');
  const dialOpts = { proxyAddr: access.webProxyAddr, insecure: access.insecure };
  const sockets = new Set<Duplex>();
  ctx.cleanups.push(() => {
    for (const s of sockets) s.destroy();
  });
  return new AuthClient({
    addr: access.webProxyAddr, certPEM: access.creds.tlsCert,
    keyPEM: privateKeyToPEM(loadPrivateKey(access.creds.privateKeyPEM)), caCerts: access.creds.tlsCAs,
    dial: async () => {
      const sock = await dialAuthThroughProxy(dialOpts);
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
      return sock;
    },
  });
}

/** `getAuthClient` for commands registered by other modules (play, recordings): reads the global flags at call time. */
export function authClientGetter(ctx: TshContext, program: Command): () => Promise<AuthClient> {
  return async () => authClientFor(ctx, await loadClusterAccess(ctx, program.opts<ClusterFlags>()));
}
