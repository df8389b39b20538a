/**
 * @module sshutils/certKey
 * Turns our keys and OpenSSH certificates into the key objects ssh2 works with. ssh2 has no certificate
 * support of its own: a "certified key" here is ssh2's parsed private key with two things overridden,
 * `type` (the certificate algorithm it is offered under, e.g. "ssh-ed25519-cert-v01@openssh.com") and
 * `getPublicSSH()` (the certificate blob instead of the plain key). Signing still uses the private key.
 * The patches in /patches make ssh2 put the plain algorithm name on signatures made with such keys.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { BadParameterError } from '@teleport-ts/api/errors';
import { CERT_SUFFIX, decodeCertificate, parseCertificateLine, type SSHCertificate } from '@teleport-ts/api/sshcert/certificate';
import { SSH_RSA, sshFingerprint, sshKeyType, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { formatOpenSSHPrivateKey, parseOpenSSHPrivateKey } from '@teleport-ts/api/sshcert/privateKey';

/**
 * RSA certificate algorithms in preference order. "ssh-rsa-cert-v01@openssh.com" (SHA-1) is never
 * offered: OpenSSH 8.8+ refuses it.
 */
export const RSA_CERT_ALGORITHMS = ['rsa-sha2-512-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com'] as const;

/** Hash used for each RSA certificate algorithm (ssh2 would otherwise sign RSA with SHA-1). */
const RSA_CERT_HASH: Record<string, string> = {
  'rsa-sha2-512-cert-v01@openssh.com': 'sha512',
  'rsa-sha2-256-cert-v01@openssh.com': 'sha256',
};

/** Parses a private key given as PEM (PKCS#8, PKCS#1, SEC1) or as an OpenSSH private key file. */
export function loadPrivateKey(text: string): KeyObject {
  if (text.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) return parseOpenSSHPrivateKey(text);
  try {
    return createPrivateKey(text);
  } catch (err) {
    throw new BadParameterError('could not parse the SSH private key: expected PEM or an OpenSSH private key file', { cause: err });
  }
}

/** ssh2's parsed form of a private key (ssh2 cannot read PKCS#8, so it is handed an OpenSSH key file). */
export function ssh2PrivateKey(key: KeyObject): ParsedKey {
  const parsed = ssh2.utils.parseKey(formatOpenSSHPrivateKey(key)) as ParsedKey | ParsedKey[] | Error;
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first === undefined || first instanceof Error) {
    throw new BadParameterError(`ssh2 could not load the ${sshKeyType(key)} private key`, { cause: first });
  }
  return first;
}

/** The algorithm names a certificate of `certKeyType` is offered under, preferred first. */
export function certificateAlgorithms(certKeyType: string): string[] {
  return certKeyType === SSH_RSA + CERT_SUFFIX ? [...RSA_CERT_ALGORITHMS] : [certKeyType];
}

/**
 * A key object that ssh2 offers under the certificate algorithm `algo` with `certBlob` as its public
 * key, and that signs with `key`. For RSA algorithms the hash follows the algorithm name, because
 * ssh2 passes no hash for key types it does not know.
 */
export function certifiedKey(key: ParsedKey, algo: string, certBlob: Buffer): ParsedKey {
  const rsaHash = RSA_CERT_HASH[algo];
  // Object.create keeps ssh2's private symbols (PEMs, hash) reachable through the prototype, so the
  // object still passes ssh2's own "is this a parsed key" test.
  const derived = Object.create(key, {
    type: { value: algo, enumerable: true },
    getPublicSSH: { value: (): Buffer => certBlob },
    ...(rsaHash && {
      sign: { value: (data: Buffer | string, hash?: string): Buffer => key.sign(data, hash ?? rsaHash) },
    }),
  }) as ParsedKey;
  return derived;
}

/** A private key, its certificate, and the ssh2 key objects that present them. */
export interface LoadedCertKey {
  /** The private key as node:crypto holds it. */
  privateKey: KeyObject;
  /** ssh2's parsed private key, offering the plain public key. */
  plain: ParsedKey;
  /** The certificate blob. */
  certBlob: Buffer;
  /** The decoded certificate (not verified: it is our own). */
  cert: SSHCertificate;
  /** One ssh2 key object per algorithm the certificate is offered under, preferred first. */
  certified: ParsedKey[];
}

/**
 * Loads a private key and the certificate issued for it, checking that the certificate certifies this
 * key and is of the expected type (a mismatch would only surface later as a baffling auth failure).
 */
export function loadCertKey(privateKeyPEM: string, certLine: string, certType: 'user' | 'host'): LoadedCertKey {
  const privateKey = loadPrivateKey(privateKeyPEM);
  const certBlob = parseCertificateLine(certLine);
  const cert = decodeCertificate(certBlob);
  if (cert.type !== certType) {
    throw new BadParameterError(`expected an SSH ${certType} certificate but got a ${cert.type} certificate (key id "${cert.keyId}")`);
  }
  const publicBlob = sshPublicKeyBlob(privateKey);
  if (!cert.publicKey.equals(publicBlob)) {
    throw new BadParameterError(
      `the SSH ${certType} certificate "${cert.keyId}" certifies key ${sshFingerprint(cert.publicKey)}, ` +
        `not this private key (${sshFingerprint(publicBlob)}): the key and certificate files do not belong together`,
    );
  }
  const plain = ssh2PrivateKey(privateKey);
  const certified = certificateAlgorithms(cert.keyType).map((algo) => certifiedKey(plain, algo, certBlob));
  return { privateKey, plain, certBlob, cert, certified };
}
