/**
 * @module srv/db/identityCache
 * The Teleport identity of a user certificate, parsed once per certificate. Parsing the Subject with
 * @peculiar/x509 costs milliseconds, and the same certificate comes back on every connection of a
 * client (pgbench, a connection pool, a CLI run per query): the proxy's router and the database
 * service's check each parsed it again. Only the parse is cached, keyed by the exact PEM text: the
 * signature and validity checks still run on every connection. Callers get their own copy.
 */
import { identityFromCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';

/** Default number of certificates remembered. */
export const DEFAULT_IDENTITY_CACHE_SIZE = 1024;

/** identityFromCertificate over PEM text, with a bounded cache (least recently used goes first). */
export class IdentityCache {
  private readonly entries = new Map<string, Identity>();

  constructor(private readonly max = DEFAULT_IDENTITY_CACHE_SIZE) {}

  /** The identity in `pem` (a copy); throws what identityFromCertificate throws, and caches nothing then. */
  get(pem: string): Identity {
    let id = this.entries.get(pem);
    if (id) {
      // Most recently used goes to the end.
      this.entries.delete(pem);
    } else {
      id = identityFromCertificate(pem);
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(pem, id);
    return structuredClone(id);
  }

  /** Certificates remembered now. */
  get size(): number {
    return this.entries.size;
  }
}

/** The process-wide cache the proxy's router and the database service share. */
export const userCertIdentities = new IdentityCache();
