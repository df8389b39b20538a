/**
 * @module proxy/ssh/userCAKeys
 * The user CA public keys the proxy trusts for SSH logins: those of the cluster's `user` CA (active
 * and additionally trusted, so both generations work during a rotation), kept current by watching
 * cert_authority resources. Until the first snapshot arrives, the keys in the proxy's own identity
 * are used, so logins work from the first second even when auth is slow to answer. The same cache
 * over the `host` CA gives the keys that node host certificates are checked against when the proxy
 * itself connects to nodes (proxy recording mode).
 */
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import type { Logger } from '../../utils/logger.ts';
import type { WatchSource } from './resourceCache.ts';
import { CertAuthorityCache } from '../certAuthorityCache.ts';

/** Inputs of {@link UserCAKeys}. */
export interface UserCAKeysOptions {
  /** A CA cache shared with the rest of the proxy (not closed here), or a source to watch alone. */
  cas: CertAuthorityCache | WatchSource;
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
  private readonly cas: CertAuthorityCache;
  private readonly ownsCache: boolean;
  private readonly initial: Buffer[];
  private current: { generation: number; keys: Buffer[] } | undefined;

  constructor(private readonly opts: UserCAKeysOptions) {
    this.initial = blobsOf(opts.initial, opts.logger);
    this.ownsCache = !(opts.cas instanceof CertAuthorityCache);
    this.cas = opts.cas instanceof CertAuthorityCache ? opts.cas : new CertAuthorityCache({ source: opts.cas, logger: opts.logger });
  }

  /** Settles once the first snapshot of CAs is loaded. */
  get ready(): Promise<void> {
    return this.cas.ready;
  }

  /** The trusted key blobs now. */
  keys(): Buffer[] {
    if (!this.cas.hasSnapshot) return this.initial;
    const generation = this.cas.generation;
    if (this.current?.generation !== generation) {
      const lines = this.cas.trusted(this.opts.caType ?? 'user', this.opts.clusterName, 'ssh');
      this.current = { generation, keys: blobsOf(lines, this.opts.logger) };
    }
    return this.current.keys;
  }

  /** Stops watching (a shared cache is left to its owner). */
  close(): Promise<void> {
    return this.ownsCache ? this.cas.close() : Promise.resolve();
  }
}
