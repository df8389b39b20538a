/**
 * @module keys
 * Key pair generation and PEM handling shared by the CAs (server) and tsh (client). Algorithms follow
 * Teleport's defaults: Ed25519 for SSH, ECDSA P-256 for X.509; RSA-2048 for compatibility.
 */
import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { BadParameterError } from './errors.ts';

/** Supported key algorithms. */
export type KeyAlgorithm = 'ed25519' | 'ecdsa-p256' | 'rsa-2048';

/** All supported algorithm names, for validation and help text. */
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ed25519', 'ecdsa-p256', 'rsa-2048'];

/** A private key and its public half. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Generates a new key pair. */
export function generateKeyPair(algorithm: KeyAlgorithm): KeyPair {
  switch (algorithm) {
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    case 'ecdsa-p256':
      return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** Which algorithm a key uses. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'ed25519';
  if (type === 'rsa') return 'rsa-2048';
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  throw new BadParameterError(`unsupported key type ${type ?? 'unknown'}: use ed25519, ECDSA P-256 or RSA`);
}

/** Validates a user-supplied algorithm name. */
export function parseKeyAlgorithm(name: string): KeyAlgorithm {
  if ((KEY_ALGORITHMS as readonly string[]).includes(name)) return name as KeyAlgorithm;
  throw new BadParameterError(`unknown key algorithm "${name}": use one of ${KEY_ALGORITHMS.join(', ')}`);
}

/** PKCS#8 PEM of a private key. */
export function privateKeyToPEM(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** SPKI PEM of a public key. */
export function publicKeyToPEM(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** Parses a private key from PEM (PKCS#8, PKCS#1 or SEC1). */
export function privateKeyFromPEM(pem: string | Buffer): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new BadParameterError('could not parse the private key: expected a PEM "PRIVATE KEY" block', { cause: err });
  }
}

/** Parses a public key from SPKI PEM. */
export function publicKeyFromPEM(pem: string | Buffer): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new BadParameterError('could not parse the public key: expected a PEM "PUBLIC KEY" block', { cause: err });
  }
}
