/**
 * @module ca/subjectPublicKey
 * The subject's public key of a certificate request: parsed from SPKI PEM, validated, and kept with
 * its canonical SubjectPublicKeyInfo DER for the certificate. OpenSSL 3's generic decoders and
 * encoders behind `createPublicKey(pem)` and `export({ type: 'spki' })` cost 60-140 us each, a large
 * share of issuing a certificate; a canonical SPKI of a supported key is read here directly, the key
 * is imported (and so validated, e.g. an EC point must be on the curve) through JWK, and anything
 * unusual falls back to the OpenSSL path, so what is accepted and what ends up in a certificate does
 * not change.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { BadParameterError } from '@teleport-ts/api/errors';
import { publicKeyFromPEM } from '@teleport-ts/api/keys';
import { bitStringBytes, derNull, fromSinglePEM, oid, readChildren, readElement, sequence, TAG, unsignedInteger } from './der.ts';

/** SPKI DER of keys this module created or exported, so it is computed at most once per key. */
const spkiByKey = new WeakMap<KeyObject, Buffer>();

const ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const P256_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const RSA_ALGORITHM = sequence(oid('1.2.840.113549.1.1.1'), derNull());

const b64u = (b: Buffer): string => b.toString('base64url');

/** The JWK of a canonical Ed25519, P-256 (uncompressed point) or RSA SPKI, or undefined for anything else. */
function jwkOfCanonicalSPKI(der: Buffer): JsonWebKey | undefined {
  if (der.length === 44 && der.subarray(0, 12).equals(ED25519_PREFIX)) return { kty: 'OKP', crv: 'Ed25519', x: b64u(der.subarray(12)) };
  if (der.length === 91 && der.subarray(0, 26).equals(P256_PREFIX) && der[26] === 0x04) {
    return { kty: 'EC', crv: 'P-256', x: b64u(der.subarray(27, 59)), y: b64u(der.subarray(59)) };
  }
  try {
    const top = readElement(der, 0, 'public key');
    if (top.tag !== TAG.sequence || top.end !== der.length) return undefined;
    const [alg, bits] = readChildren(der, top, 'public key');
    if (!alg || !bits || bits.tag !== TAG.bitString || der[bits.contentStart] !== 0) return undefined;
    if (!der.subarray(alg.start, alg.end).equals(RSA_ALGORITHM)) return undefined;
    const rsaKey = readElement(der, bits.contentStart + 1, 'public key');
    if (rsaKey.tag !== TAG.sequence || rsaKey.end !== bits.end) return undefined;
    const [n, e, extra] = readChildren(der, rsaKey, 'public key');
    if (!n || !e || extra || n.tag !== TAG.integer || e.tag !== TAG.integer) return undefined;
    const magnitude = (el: { contentStart: number; end: number }): Buffer => {
      const b = der.subarray(el.contentStart, el.end);
      return b.length > 1 && b[0] === 0 ? b.subarray(1) : b;
    };
    const jwk = { kty: 'RSA', n: b64u(magnitude(n)), e: b64u(magnitude(e)) };
    // Only the canonical encoding takes this path: re-encode and compare, so odd encodings (negative or
    // non-minimal integers) go to OpenSSL, which either refuses them or normalises them as before.
    const canonical = sequence(RSA_ALGORITHM, bitStringBytes(sequence(unsignedInteger(magnitude(n)), unsignedInteger(magnitude(e)))));
    return canonical.equals(der) ? jwk : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses an SPKI PEM ("PUBLIC KEY") public key, as `publicKeyFromPEM` does and with the same errors,
 * and remembers its SPKI DER for {@link spkiOf}.
 */
export function parseSubjectPublicKey(pem: string): KeyObject {
  const der = fromSinglePEM('PUBLIC KEY', pem);
  const jwk = der && jwkOfCanonicalSPKI(der);
  if (!der || !jwk) return publicKeyFromPEM(pem);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    throw new BadParameterError('could not parse the public key: expected a PEM "PUBLIC KEY" block', { cause: err });
  }
  spkiByKey.set(key, der);
  return key;
}

/** The SubjectPublicKeyInfo DER of a key (of its public half, for a private key); computed once per key. */
export function spkiOf(key: KeyObject): Buffer {
  const known = spkiByKey.get(key);
  if (known) return known;
  const spki = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'der', type: 'spki' });
  spkiByKey.set(key, spki);
  return spki;
}
