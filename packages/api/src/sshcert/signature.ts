/**
 * @module sshcert/signature
 * SSH signature blobs (`string algorithm, string signature`) made and checked with node:crypto.
 * Ed25519 signs raw data; ECDSA P-256 uses SHA-256 with r and s as two mpints (RFC 5656 section 3.1.2);
 * RSA signs with rsa-sha2-512 (RFC 8332) and SHA-1 "ssh-rsa" signatures are refused unless asked for.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { BadParameterError } from '../errors.ts';
import { SSHReader, SSHWriter } from './wire.ts';
import { SSH_ECDSA_P256, SSH_ED25519, SSH_RSA, blobKeyType, publicKeyFromBlob, sshKeyType } from './publicKey.ts';

/** Size of a P-256 scalar; r and s are padded to it for node's IEEE P1363 format. */
const P256_SCALAR = 32;

/** Hash used by each RSA signature algorithm name. */
const RSA_HASHES: Record<string, string> = { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256', 'ssh-rsa': 'sha1' };

/** Signs `data` and returns the SSH signature blob. RSA keys always sign with rsa-sha2-512. */
export function signSSH(privateKey: KeyObject, data: Buffer): Buffer {
  if (privateKey.type !== 'private') throw new BadParameterError('signing needs a private key, got a public one');
  const type = sshKeyType(privateKey);
  const w = new SSHWriter();
  if (type === SSH_ED25519) return w.string(SSH_ED25519).string(sign(null, data, privateKey)).finish();
  if (type === SSH_ECDSA_P256) {
    const rs = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const inner = new SSHWriter().mpint(rs.subarray(0, P256_SCALAR)).mpint(rs.subarray(P256_SCALAR)).finish();
    return w.string(SSH_ECDSA_P256).string(inner).finish();
  }
  return w.string('rsa-sha2-512').string(sign('sha512', data, privateKey)).finish();
}

/** The algorithm name at the start of a signature blob, e.g. "rsa-sha2-256". */
export function signatureAlgorithm(signatureBlob: Buffer): string {
  return new SSHReader(signatureBlob, 'SSH signature').utf8();
}

/** Options for {@link verifySSHSignature}. */
export interface VerifySSHSignatureOptions {
  /** Accept legacy "ssh-rsa" (SHA-1) signatures. Off by default: SHA-1 is broken and OpenSSH 8.8+ refuses it. */
  allowSHA1?: boolean;
}

/**
 * Checks an SSH signature blob over `data` against a public key blob. Returns false for a signature
 * that does not verify or whose algorithm does not belong to the key; throws BadParameterError for
 * malformed input.
 */
export function verifySSHSignature(
  publicKeyBlob: Buffer,
  signatureBlob: Buffer,
  data: Buffer,
  opts: VerifySSHSignatureOptions = {},
): boolean {
  const keyType = blobKeyType(publicKeyBlob);
  const r = new SSHReader(signatureBlob, 'SSH signature');
  const algo = r.utf8();
  const sig = r.string();
  r.done();
  const key = publicKeyFromBlob(publicKeyBlob);
  if (keyType === SSH_ED25519) {
    return algo === SSH_ED25519 && sig.length === 64 && verify(null, data, key, sig);
  }
  if (keyType === SSH_ECDSA_P256) {
    if (algo !== SSH_ECDSA_P256) return false;
    const rs = new SSHReader(sig, 'ECDSA signature');
    const rBytes = rs.mpint();
    const sBytes = rs.mpint();
    rs.done();
    if (rBytes.length > P256_SCALAR || sBytes.length > P256_SCALAR) return false;
    const p1363 = Buffer.concat([padTo(rBytes, P256_SCALAR), padTo(sBytes, P256_SCALAR)]);
    return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, p1363);
  }
  if (keyType === SSH_RSA) {
    const hash = RSA_HASHES[algo];
    if (!hash || (algo === 'ssh-rsa' && !opts.allowSHA1)) return false;
    return verify(hash, data, key, sig);
  }
  return false;
}

function padTo(bytes: Buffer, len: number): Buffer {
  return Buffer.concat([Buffer.alloc(len - bytes.length), bytes]);
}
