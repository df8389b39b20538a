/**
 * @module sshutils/clientAuth
 * ssh2 Client options for connecting the Teleport way: authenticate with the user's certificate and
 * accept the server only if it presents a host certificate signed by the cluster's host CA (there is
 * no known_hosts: a plain host key is refused with a reason). Needs patches 003 (the userauth
 * signature names the plain algorithm) and 004 (ssh2 accepts and checks certificate host keys).
 */
import type { ConnectConfig, PublicKeyAuthMethod, ServerHostKeyAlgorithm } from 'ssh2';
import { systemClock, type Clock } from '@teleport-ts/api/clock';
import { loadCertKey, RSA_CERT_ALGORITHMS } from './certKey.ts';
import { verifyHostCert } from './userCertAuth.ts';

/**
 * Host key algorithms offered, certificates first. Plain algorithms are still offered so that a host
 * without a certificate is reported as such by hostVerifier rather than as "no matching host key
 * format"; hostVerifier never accepts them.
 */
export const CLIENT_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  ...RSA_CERT_ALGORITHMS,
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

/** Inputs of {@link sshClientAuthConfig}. */
export interface SSHClientAuthOptions {
  /** The user's private key: PEM (PKCS#8, PKCS#1, SEC1) or an OpenSSH private key file. */
  privateKeyPEM: string;
  /** The user certificate line ("ssh-ed25519-cert-v01@openssh.com AAAA..."), issued for that key. */
  certLine: string;
  /**
   * The kind of certificate in `certLine`: "user" (the default) or "host" (a Teleport agent logging in
   * to the proxy's reverse-tunnel listener with its host certificate).
   */
  certType?: 'user' | 'host';
  /** The OS login to ask for; it must be a principal of the certificate. */
  username: string;
  /** Public key blobs of the trusted host CAs (all active keys during a rotation). */
  hostCAKeys: Buffer[];
  /** The name dialled (host name, IP or host UUID); the host certificate must list it. */
  hostname: string;
  /** Told why a host was refused, before ssh2 fails the handshake with a generic error. */
  onHostRejected?: (reason: string) => void;
  /** Source of "now" for the host certificate's validity window; the system clock by default. */
  clock?: Clock;
}

/** The ssh2 ConnectConfig fields {@link sshClientAuthConfig} sets. */
export type SSHClientAuthConfig = Required<Pick<ConnectConfig, 'username' | 'authHandler' | 'algorithms'>> & {
  hostVerifier: (key: Buffer) => boolean;
};

/**
 * ssh2 Client options that authenticate with the user certificate and verify the host certificate.
 * Spread them into the config with `host`, `port` or `sock`; do not set `hostHash` (hostVerifier
 * needs the raw key) nor `privateKey`. Throws BadParameterError when the certificate is not of
 * `certType` (a user certificate by default) or does not belong to the private key.
 *
 * ```ts
 * const conn = new Client();
 * conn.connect({ host, port, ...sshClientAuthConfig({ privateKeyPEM, certLine, username: 'root',
 *   hostCAKeys, hostname: host, onHostRejected: (r) => log.warn(r) }) });
 * ```
 */
export function sshClientAuthConfig(opts: SSHClientAuthOptions): SSHClientAuthConfig {
  const loaded = loadCertKey(opts.privateKeyPEM, opts.certLine, opts.certType ?? 'user');
  const clock = opts.clock ?? systemClock;
  // One attempt per algorithm (RSA certificates: rsa-sha2-512, then rsa-sha2-256).
  const authHandler: PublicKeyAuthMethod[] = loaded.certified.map((key) => ({ type: 'publickey', username: opts.username, key }));
  return {
    username: opts.username,
    authHandler,
    // The certificate algorithm names exist only in the patched ssh2, not in @types/ssh2's union.
    algorithms: { serverHostKey: [...CLIENT_HOST_KEY_ALGORITHMS] as ServerHostKeyAlgorithm[] },
    hostVerifier: (key: Buffer): boolean => {
      const res = verifyHostCert(key, { hostCAKeys: opts.hostCAKeys, hostname: opts.hostname, now: clock.now() });
      if (!res.ok) opts.onHostRejected?.(res.reason);
      return res.ok;
    },
  };
}
