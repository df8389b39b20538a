/**
 * @module proxy/certAuthorityCache
 * One watch-fed view of the cluster's certificate authorities for everything in the proxy that
 * checks certificates: SSH user logins and node host certificates (proxy/ssh/userCAKeys.ts), agents
 * on the reverse tunnel, and database clients' X.509 certificates (proxy/db/userTLSCAs.ts). Each
 * of those used to run its own watch stream to auth; they now share this one.
 */
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { Logger } from '../utils/logger.ts';
import { ResourceCache, type WatchSource } from './ssh/resourceCache.ts';

/** Which keys of a CA: the SSH public keys (authorized_keys lines) or the X.509 certificates (PEM). */
export type CAMaterial = 'ssh' | 'tls';

/** The cluster's CAs, kept current by a watch of cert_authority. */
export class CertAuthorityCache {
  private readonly cache: ResourceCache<CertAuthority>;
  private changes = 0;

  constructor(opts: { source: WatchSource; logger: Logger }) {
    this.cache = new ResourceCache<CertAuthority>({
      source: opts.source,
      kind: 'cert_authority',
      keyOf: (ca) => `${ca.spec.type}/${ca.metadata.name}`,
      logger: opts.logger,
      onChange: () => this.changes++,
    });
  }

  /** Settles once the first snapshot of CAs is loaded. */
  get ready(): Promise<void> {
    return this.cache.ready;
  }

  /** False until the first snapshot arrives (callers then trust their own identity's keys). */
  get hasSnapshot(): boolean {
    return this.cache.hasSnapshot;
  }

  /** Increases on every change, so views can cache what they derive until it moves. */
  get generation(): number {
    return this.changes;
  }

  /**
   * Active and additionally trusted keys (both generations during a rotation) of the `type` CA of
   * `clusterName`: authorized_keys lines for `ssh`, PEM certificates for `tls`.
   */
  trusted(type: string, clusterName: string, material: CAMaterial): string[] {
    const out: string[] = [];
    for (const ca of this.cache.values()) {
      if (ca.spec.type !== type || ca.spec.cluster_name !== clusterName) continue;
      for (const set of [ca.spec.active_keys, ca.spec.additional_trusted_keys]) {
        if (material === 'ssh') for (const k of set?.ssh ?? []) out.push(k.public_key);
        else for (const k of set?.tls ?? []) out.push(k.cert);
      }
    }
    return out;
  }

  /** Stops watching. */
  close(): Promise<void> {
    return this.cache.close();
  }
}
