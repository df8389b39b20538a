/**
 * @module tool/tsh/credentials
 * Where a tsh command's certificates come from: an identity file given with `-i` (no profile
 * needed), or the key saved by `tsh login` for the active profile. Commands that connect to the
 * cluster use {@link loadActiveCredentials}; `tsh status` uses it for `-i` and lists profiles itself.
 */
import { readFile } from 'node:fs/promises';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import { parseIdentityFile } from '@teleport-ts/api/identityFile';
import { isENOENT, loadProfile, proxyHostOf, type Profile } from '../../client/profile.ts';
import type { TshContext } from './context.ts';

/** A key and its certificates, ready to authenticate with. */
export interface ActiveCredentials {
  /** PEM private key as stored (OpenSSH format for Ed25519, PEM otherwise). */
  privateKeyPEM: string;
  sshCert?: string;
  tlsCert?: string;
  /** PEM CA certificates that verify the cluster's TLS servers. */
  tlsCAs: string[];
  /** SSH host CAs to trust, per cluster. */
  hostCAKeys: Array<{ clusterName: string; authorizedKey: string }>;
  /** The profile they belong to; absent for an identity file. */
  profile?: Profile;
  /** Path of the identity file they were read from, with `-i`. */
  identityFile?: string;
}

/** Reads an identity file (`tsh -i`), with messages that name the file. */
export async function loadIdentityCredentials(path: string): Promise<ActiveCredentials> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isENOENT(err)) throw new NotFoundError(`identity file ${path} does not exist: check the path given to -i`, { cause: err });
    throw err;
  }
  let id;
  try {
    id = parseIdentityFile(text);
  } catch (err) {
    throw new BadParameterError(`cannot use identity file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return {
    privateKeyPEM: id.privateKeyPEM,
    ...(id.sshCert && { sshCert: id.sshCert }),
    ...(id.tlsCert && { tlsCert: id.tlsCert }),
    tlsCAs: id.tlsCACerts,
    hostCAKeys: id.sshCAKeys,
    identityFile: path,
  };
}

/**
 * The credentials a command should use: the identity file when `identity` is set, else the key of
 * the profile for `proxy` (or the current profile). Throws NotFoundError with a "tsh login" hint.
 */
export async function loadActiveCredentials(ctx: TshContext, opts: { identity?: string; proxy?: string }): Promise<ActiveCredentials> {
  if (opts.identity) return loadIdentityCredentials(opts.identity);
  const profile = await loadProfile(ctx.home, opts.proxy);
  const key = await ctx.keyStore.loadKey(proxyHostOf(profile.webProxyAddr), profile.user, profile.cluster || undefined);
  return {
    privateKeyPEM: key.privateKeyPEM,
    sshCert: key.sshCert,
    tlsCert: key.tlsCert,
    tlsCAs: key.tlsCAs,
    hostCAKeys: key.hostCAKeys,
    profile,
  };
}
