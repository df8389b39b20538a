/**
 * @module proxy/ssh/userCAKeys
 * The user CA public keys the proxy trusts for SSH logins: those of the cluster's `user` CA (active
 * and additionally trusted, so both generations work during a rotation), kept current by watching
 * cert_authority resources. Until the first snapshot arrives, the keys in the proxy's own identity
 * are used, so logins work from the first second even when auth is slow to answer. The same cache
 * over the `host` CA gives the keys that node host certificates are checked against when the proxy
 * itself connects to nodes (proxy recording mode).
 */
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import type { Logger } from '../../utils/logger.ts';
import { ResourceCache, type WatchSource } from './resourceCache.ts';

/** Inputs of {@link UserCAKeys}. */
export interface UserCAKeysOptions {
  source: WatchSource;
  clusterName: string;
  /** authorized_keys lines to trust before the first snapshot (LocalIdentity.sshUserCAKeys). */
  initial: readonly string[];
  logger: Logger;
  /** Which CA's keys: "user" (the default) or "host". */
  caType?: 'user' | 'host';
}

/** Parses authorized_keys lines into key blobs, skipping (and logging) any that do not parse. */
function blobsOf(lines: readonly string[], logger: Logger): Buffer[] {
  const out: Buffer[] = [];
  for (const line of lines) {
    try {
      out.push(parseAuthorizedKey(line).blob);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'ignoring a user CA key that does not parse');
    }
  }
  return out;
}

/** The current user (or host) CA key blobs, for verifyUserCertAuth (or verifyHostCert). */
export class UserCAKeys {
  private readonly cache: ResourceCache<CertAuthority>;
  private readonly initial: Buffer[];
  private current: Buffer[] | undefined;

  constructor(private readonly opts: UserCAKeysOptions) {
    this.initial = blobsOf(opts.initial, opts.logger);
    this.cache = new ResourceCache<CertAuthority>({
      source: opts.source,
      kind: 'cert_authority',
      keyOf: (ca) => `${ca.spec.type}/${ca.metadata.name}`,
      logger: opts.logger,
      onChange: () => (this.current = undefined),
    });
  }

  /** Settles once the first snapshot of CAs is loaded. */
  get ready(): Promise<void> {
    return this.cache.ready;
  }

  /** The trusted key blobs now. */
  keys(): Buffer[] {
    if (!this.cache.hasSnapshot) return this.initial;
    if (this.current) return this.current;
    const lines: string[] = [];
    for (const ca of this.cache.values()) {
      if (ca.spec.type !== (this.opts.caType ?? 'user') || ca.spec.cluster_name !== this.opts.clusterName) continue;
      for (const k of [...(ca.spec.active_keys.ssh ?? []), ...(ca.spec.additional_trusted_keys?.ssh ?? [])]) lines.push(k.public_key);
    }
    this.current = blobsOf(lines, this.opts.logger);
    return this.current;
  }

  /** Stops watching. */
  close(): Promise<void> {
    return this.cache.close();
  }
}
