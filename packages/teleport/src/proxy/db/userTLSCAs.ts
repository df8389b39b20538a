/**
 * @module proxy/db/userTLSCAs
 * The user CA certificates (X.509) the proxy trusts for database clients: those of the cluster's
 * `user` CA, active and additionally trusted (both generations during a rotation), kept current by
 * watching cert_authority resources (proxy/ssh/resourceCache). Until the first snapshot arrives the
 * certificates from the proxy's own identity are used, so database logins work from the first second.
 */
import type { Logger } from '../../utils/logger.ts';
import type { WatchSource } from '../ssh/resourceCache.ts';
import { CertAuthorityCache } from '../certAuthorityCache.ts';

/** Inputs of {@link UserTLSCAs}. */
export interface UserTLSCAsOptions {
  /** A CA cache shared with the rest of the proxy (not closed here), or a source to watch alone. */
  cas: CertAuthorityCache | WatchSource;
  clusterName: string;
  /** PEM certificates to trust before the first snapshot (LocalIdentity.userTLSCACerts). */
  initial: readonly string[];
  logger: Logger;
}

/** The current user CA certificates, for {@link newUserTLSUpgrade}'s `userCAs`. */
export class UserTLSCAs {
  private readonly cas: CertAuthorityCache;
  private readonly ownsCache: boolean;
  private current: { generation: number; certs: string[] } | undefined;

  constructor(private readonly opts: UserTLSCAsOptions) {
    this.ownsCache = !(opts.cas instanceof CertAuthorityCache);
    this.cas = opts.cas instanceof CertAuthorityCache ? opts.cas : new CertAuthorityCache({ source: opts.cas, logger: opts.logger });
  }

  /** Settles once the first snapshot of CAs is loaded. */
  get ready(): Promise<void> {
    return this.cas.ready;
  }

  /** The trusted user CA certificates now (PEM). */
  certs(): string[] {
    if (!this.cas.hasSnapshot) return [...this.opts.initial];
    const generation = this.cas.generation;
    if (this.current?.generation !== generation) {
      const out = this.cas.trusted('user', this.opts.clusterName, 'tls');
      // An empty list would refuse everyone; keep the identity's certificates rather than lock users out.
      this.current = { generation, certs: out.length > 0 ? out : [...this.opts.initial] };
    }
    return this.current.certs;
  }

  /** Stops watching (a shared cache is left to its owner). */
  close(): Promise<void> {
    return this.ownsCache ? this.cas.close() : Promise.resolve();
  }
}
