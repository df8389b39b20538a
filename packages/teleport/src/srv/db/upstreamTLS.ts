/**
 * @module srv/db/upstreamTLS
 * TLS to the real database as a database user: a short-lived client certificate from the cluster's
 * db CA with CN = the database user (GenerateDatabaseCert, at most 1 h), cached per user until five
 * minutes before it expires, plus the server verification the database's `tls.mode` asks for:
 * verify-full (CA + host name: `tls.server_name` or the host of the uri), verify-ca (CA only) or
 * insecure (nothing). The CA is the database's own (`ca_cert`/`ca_cert_file`) or else the db CA,
 * which signs the server certificates `tctl auth sign --format=db` writes.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls, { type ConnectionOptions, type SecureContext } from 'node:tls';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import type { DatabaseTLS } from '@teleport-ts/api/types/database';

/** Lifetime asked for (auth caps the database service at one hour anyway). */
export const UPSTREAM_CERT_TTL_MS = 60 * 60 * 1000;
/** A cached certificate is replaced this long before it expires. */
export const UPSTREAM_CERT_REFRESH_MS = 5 * 60 * 1000;

export interface CachedCert {
  keyPEM: string;
  certPEM: string;
  caCerts: string[];
  /** When to stop using it (its expiry minus the refresh margin). */
  useUntilMs: number;
}

/** Client certificates per database user, fetched from auth and cached. */
export class UpstreamCertCache {
  private readonly certs = new Map<string, Promise<CachedCert>>();

  constructor(private readonly opts: { authClient: Pick<AuthClient, 'generateDatabaseCert'>; clock: Clock; ttlMs?: number }) {}

  /** A current certificate for `dbUser` (concurrent callers share one request). */
  async get(dbUser: string): Promise<CachedCert> {
    const now = this.opts.clock.nowMs();
    const cached = this.certs.get(dbUser);
    if (cached) {
      const c = await cached.catch(() => undefined);
      if (c && c.useUntilMs > this.opts.clock.nowMs()) return c;
      if (this.certs.get(dbUser) !== cached) return this.get(dbUser);
    }
    const ttlMs = this.opts.ttlMs ?? UPSTREAM_CERT_TTL_MS;
    const p = (async (): Promise<CachedCert> => {
      // ECDSA P-256: the db CA itself is ECDSA under the default suite, so databases already accept it.
      const kp = generateKeyPair('ecdsa-p256');
      const r = await this.opts.authClient.generateDatabaseCert({
        tlsPublicKey: publicKeyToPEM(kp.publicKey), commonName: dbUser, ttlMs, usage: 'client',
      });
      const notAfter = Date.parse(new X509Certificate(r.certPEM).validTo);
      return { keyPEM: privateKeyToPEM(kp.privateKey), certPEM: r.certPEM, caCerts: r.caCerts, useUntilMs: Math.min(notAfter, now + ttlMs) - UPSTREAM_CERT_REFRESH_MS };
    })();
    this.certs.set(dbUser, p);
    p.catch(() => {
      if (this.certs.get(dbUser) === p) this.certs.delete(dbUser);
    });
    return p;
  }
}

/** Splits "host:port" / "[v6]:port" into the host. */
export function uriHost(uri: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(uri) ?? /^([^:]+):\d+$/.exec(uri);
  return m?.[1] ?? uri;
}

/**
 * Secure contexts per cached certificate and CA list: building one parses the key, the certificate
 * and every CA certificate, milliseconds that every upstream connection paid again. A refreshed
 * certificate is a new object, so its contexts are built anew (and the old ones collected).
 */
const contexts = new WeakMap<CachedCert, Map<string, SecureContext>>();

function secureContextFor(cert: CachedCert, ca: string[]): SecureContext {
  let byCA = contexts.get(cert);
  if (!byCA) contexts.set(cert, (byCA = new Map()));
  const key = ca.join('\n');
  let ctx = byCA.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({ key: cert.keyPEM, cert: cert.certPEM, ca, minVersion: 'TLSv1.2' });
    byCA.set(key, ctx);
  }
  return ctx;
}

/**
 * Node TLS options for the upstream connection of `uri` with settings `t` and a client certificate.
 * tls.connect uses the `secureContext`, built once per certificate and CA list, and verifies the
 * server against its CAs; `key`, `cert` and `ca` say what is in it (tls.connect ignores them when a
 * secureContext is given).
 */
export function upstreamTLSOptions(uri: string, t: DatabaseTLS, cert: CachedCert): ConnectionOptions {
  const ca = t.ca_cert ? [t.ca_cert] : cert.caCerts;
  const base: ConnectionOptions = {
    key: cert.keyPEM,
    cert: cert.certPEM,
    ca,
    secureContext: secureContextFor(cert, ca),
    minVersion: 'TLSv1.2',
  };
  if (t.mode === 'insecure') return { ...base, rejectUnauthorized: false };
  if (t.mode === 'verify-ca') return { ...base, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  const name = t.server_name || uriHost(uri);
  return {
    ...base,
    rejectUnauthorized: true,
    // SNI must not be an IP address (RFC 6066); the identity check below still names it.
    ...(isIP(name) === 0 && { servername: name }),
    checkServerIdentity: (_host, peer) => tls.checkServerIdentity(name, peer),
  };
}
