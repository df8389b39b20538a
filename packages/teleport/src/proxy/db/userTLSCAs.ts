/**
 * @module proxy/db/userTLSCAs
 * The user CA certificates (X.509) the proxy trusts for database clients: those of the cluster's
 * `user` CA, active and additionally trusted (both generations during a rotation), kept current by
 * watching cert_authority resources (proxy/ssh/resourceCache). Until the first snapshot arrives the
 * certificates from the proxy's own identity are used, so database logins work from the first second.
 */
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { Logger } from '../../utils/logger.ts';
import { ResourceCache, type WatchSource } from '../ssh/resourceCache.ts';

/** Inputs of {@link UserTLSCAs}. */
export interface UserTLSCAsOptions {
  source: WatchSource;
  clusterName: string;
  /** PEM certificates to trust before the first snapshot (LocalIdentity.userTLSCACerts). */
  initial: readonly string[];
  logger: Logger;
}

/** The current user CA certificates, for {@link newUserTLSUpgrade}'s `userCAs`. */
export class UserTLSCAs {
  private readonly cache: ResourceCache<CertAuthority>;
  private current: string[] | undefined;

  constructor(private readonly opts: UserTLSCAsOptions) {
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

  /** The trusted user CA certificates now (PEM). */
  certs(): string[] {
    if (!this.cache.hasSnapshot) return [...this.opts.initial];
    if (this.current) return this.current;
    const out: string[] = [];
    for (const ca of this.cache.values()) {
      if (ca.spec.type !== 'user' || ca.spec.cluster_name !== this.opts.clusterName) continue;
      for (const k of [...(ca.spec.active_keys.tls ?? []), ...(ca.spec.additional_trusted_keys?.tls ?? [])]) out.push(k.cert);
    }
    // An empty list would refuse everyone; keep the identity's certificates rather than lock users out.
    this.current = out.length > 0 ? out : [...this.opts.initial];
    return this.current;
  }

  /** Stops watching. */
  close(): Promise<void> {
    return this.cache.close();
  }
}
