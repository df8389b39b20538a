/**
 * @module sshutils/hostKeys
 * Host keys for an ssh2 Server that presents a Teleport host certificate. The certificate is offered
 * first (as "ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com" or, for RSA,
 * "rsa-sha2-512/256-cert-v01@openssh.com") and the plain key after it, so OpenSSH clients with an
 * `@cert-authority` line and tsh verify the certificate, while the client's preference order decides.
 * Needs patch 002 (the KEX signature names the plain algorithm).
 */
import type { EncryptedPrivateKey } from 'ssh2';
import { loadCertKey } from './certKey.ts';

/** Inputs of {@link sshServerHostKeys}. */
export interface SSHServerHostKeysOptions {
  /** The host's private key: PEM (PKCS#8, PKCS#1, SEC1) or an OpenSSH private key file. */
  privateKeyPEM: string;
  /** The host certificate line ("ssh-ed25519-cert-v01@openssh.com AAAA..."), issued for that key. */
  hostCertLine: string;
}

/**
 * The value for ssh2's `new Server({ hostKeys })`: the host certificate under each of its algorithms,
 * then the plain key. Each is wrapped as `{ key }` because ssh2's Server, despite @types/ssh2, only
 * accepts a parsed key in that form. Throws BadParameterError when the certificate is not a host
 * certificate or does not certify the private key.
 */
export function sshServerHostKeys(opts: SSHServerHostKeysOptions): EncryptedPrivateKey[] {
  const loaded = loadCertKey(opts.privateKeyPEM, opts.hostCertLine, 'host');
  return [...loaded.certified, loaded.plain].map((key) => ({ key }));
}
