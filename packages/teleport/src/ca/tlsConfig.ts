/**
 * @module ca/tlsConfig
 * Mutual-TLS settings shared by every service that accepts or makes certificate-authenticated connections,
 * and the one way to read who is on the other end.
 *
 * Security trap (see dependencies.md): a bare `new tls.TLSSocket(raw, {isServer: true, requestCert: true,
 * rejectUnauthorized: true})` accepts a client certificate from an unknown CA. Build servers with
 * `tls.createServer` / `http2.createSecureServer` and these options; to upgrade an already-accepted socket,
 * hand it to such a server with `server.emit('connection', socket)`. Either way, take the peer's identity
 * only through `peerIdentity`, which insists on `socket.authorized`.
 */
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { BadParameterError, TrustError } from '@teleport-ts/api/errors';
import { identityFromCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';

/** Options for mtlsServerOptions. */
export interface MTLSServerConfig {
  certPEM: string;
  keyPEM: string;
  /** PEM CA certificates whose leaves may connect (each entry may be a bundle). */
  trustedCAs: string[];
  /** Refuse the handshake without a valid client certificate; default true. */
  requireClientCert?: boolean;
}

/** Server options for tls.createServer, https.createServer and http2.createSecureServer. */
export type MTLSServerOptions = SecureContextOptions & {
  cert: string;
  key: string;
  ca: string[];
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: 'TLSv1.2';
};

/** Options for mtlsClientOptions. */
export interface MTLSClientConfig {
  certPEM: string;
  keyPEM: string;
  /** PEM CA certificates that may sign the server's certificate. */
  trustedCAs: string[];
  /** SNI name, also checked against the server certificate's SANs. */
  serverName?: string;
}

/** Client options for tls.connect, https.request and http2.connect. */
export type MTLSClientOptions = SecureContextOptions & {
  cert: string;
  key: string;
  ca: string[];
  rejectUnauthorized: true;
  minVersion: 'TLSv1.2';
  servername?: string;
};

function checkCAs(trustedCAs: string[]): string[] {
  // An explicit CA list replaces Node's public root store; an empty one would mean "trust nothing" at best.
  if (trustedCAs.length === 0 || trustedCAs.some((pem) => !pem.includes('-----BEGIN CERTIFICATE-----'))) {
    throw new BadParameterError('mutual TLS needs at least one PEM CA certificate in trustedCAs');
  }
  return [...trustedCAs];
}

/**
 * Server-side mutual TLS: present `certPEM`, ask every client for a certificate and (by default) refuse
 * the handshake unless it chains to one of `trustedCAs`.
 */
export function mtlsServerOptions(opts: MTLSServerConfig): MTLSServerOptions {
  return {
    cert: opts.certPEM,
    key: opts.keyPEM,
    ca: checkCAs(opts.trustedCAs),
    requestCert: true,
    // With false, unauthorized clients still connect; peerIdentity then refuses them.
    rejectUnauthorized: opts.requireClientCert ?? true,
    minVersion: 'TLSv1.2',
  };
}

/** Client-side mutual TLS: present `certPEM` and trust only servers whose certificate chains to `trustedCAs`. */
export function mtlsClientOptions(opts: MTLSClientConfig): MTLSClientOptions {
  const options: MTLSClientOptions = {
    cert: opts.certPEM,
    key: opts.keyPEM,
    ca: checkCAs(opts.trustedCAs),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
  if (opts.serverName !== undefined) options.servername = opts.serverName;
  return options;
}

/** OpenSSL verification codes that mean "signed by a CA we do not trust". */
const UNKNOWN_CA = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

const NO_CERT = 'the peer presented no certificate: a certificate issued by this cluster is required (run tsh login)';

function unverifiedMessage(code: Error | string | null | undefined): string {
  // Node types authorizationError as Error, but at runtime it is the OpenSSL code string (or null).
  const reason = code ? String(code) : '';
  if (!reason) {
    // A certificate that was never checked: typically a bare `new tls.TLSSocket` (see the module comment).
    return "the peer's certificate was not verified during the TLS handshake; the server must use tls.createServer options";
  }
  if (reason === 'CERT_HAS_EXPIRED') return `the peer's certificate has expired (${reason}): run tsh login to get a new one`;
  if (UNKNOWN_CA.has(reason)) {
    return `the peer's certificate was not issued by a CA this cluster trusts (${reason}): log in to this cluster again`;
  }
  return `the peer's certificate could not be verified (${reason})`;
}

/**
 * The identity of the verified peer of a TLS socket. Throws TrustError unless the handshake verified the
 * peer's chain (`socket.authorized`) and the peer actually presented a certificate.
 */
export function peerIdentity(socket: TLSSocket): Identity {
  // getPeerCertificate returns {} when there is none. Check it first: Node then reports a misleading
  // UNABLE_TO_GET_ISSUER_CERT as the authorization error.
  const cert = socket.getPeerCertificate();
  const hasCert = Boolean(cert?.raw && cert.raw.length > 0);
  if (!hasCert) throw new TrustError(NO_CERT);
  if (!socket.authorized) throw new TrustError(unverifiedMessage(socket.authorizationError));
  try {
    return identityFromCertificate(cert.raw);
  } catch (err) {
    throw new TrustError('the peer certificate does not carry a Teleport identity', { cause: err });
  }
}
