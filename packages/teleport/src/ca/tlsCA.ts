/**
 * @module ca/tlsCA
 * The X.509 certificate authority: self-signed CA certificates (one per CA type: user, host, db) and leaf
 * certificates that carry a Teleport Identity in their Subject.
 *
 * Certificates are written as DER from a template (ca/x509Encoder.ts) and signed once with node:crypto's
 * synchronous `sign`, so issuing stays a plain, cheap function call for the auth service: the ASN.1
 * object model of @peculiar/x509 serialised and re-parsed every part and dominated issuance
 * (docs/benchmarks.md). @peculiar/x509 is still used to read (and check) a CA certificate once when it
 * is first used. All three key algorithms work for CA and leaf keys.
 */
// Keep this import first: the identity module loads 'reflect-metadata' before @peculiar/x509 needs it.
import { identityAttributes, isPrintableString, parseCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { Clock } from '@teleport-ts/api/clock';
import {
  generateKeyPair,
  keyAlgorithmOf,
  privateKeyFromPEM,
  privateKeyToPEM,
  type KeyAlgorithm,
} from '@teleport-ts/api/keys';
import * as x509 from '@peculiar/x509';
import { createHash, sign, type KeyObject } from 'node:crypto';
import { randomPoolBytes } from './randomPool.ts';
import { readChildren, readElement, TAG, toPEM } from './der.ts';
import { spkiOf } from './subjectPublicKey.ts';
import {
  authorityKeyIdentifierExtension, basicConstraintsExtension, encodeCertificate, encodeName, encodeTBSCertificate,
  extendedKeyUsageExtension, KEY_USAGE, keyUsageExtension, SIGNATURE_ALGORITHMS, subjectAltNameExtension,
  subjectKeyIdentifierExtension,
} from './x509Encoder.ts';

/** Default lifetime of a CA certificate: ten years. */
export const DEFAULT_CA_TTL_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** Certificates start one minute in the past to tolerate clock skew between hosts. */
const BACKDATE_MS = 60 * 1000;

/** A CA certificate and its private key, both PEM. */
export interface TLSCAKeyPair {
  certPEM: string;
  keyPEM: string;
}

/** Options for createTLSCA. */
export interface CreateTLSCAOptions {
  clusterName: string;
  /** CA type (user, host, db, ...); recorded as the Subject OU so CAs of one cluster are told apart. */
  caType: string;
  algorithm: KeyAlgorithm;
  clock: Clock;
  /** Lifetime; default DEFAULT_CA_TTL_MS. */
  ttlMs?: number;
}

/** Options for issueTLSCert. */
export interface IssueTLSCertOptions {
  caCertPEM: string;
  caKeyPEM: string;
  /** The subject's public key (a private KeyObject is accepted; only its public half is used). */
  publicKey: KeyObject;
  /** Encoded into the Subject; `identity.expires` is ignored in favour of `notAfter`. */
  identity: Identity;
  notAfter: Date;
  clock: Clock;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Extended key usage; default 'both'. */
  usage?: 'client' | 'server' | 'both';
}

/** A CA key's signature AlgorithmIdentifier and the matching node:crypto signing call. */
interface Signer {
  algorithm: Buffer;
  sign(tbs: Buffer): Buffer;
}

function signerFor(key: KeyObject): Signer {
  const alg = keyAlgorithmOf(key);
  // node emits DER (r, s) for ECDSA by default, which is what X.509 wants for ecdsa-with-SHA256.
  const digest = alg === 'ed25519' ? null : 'sha256';
  return { algorithm: SIGNATURE_ALGORITHMS[alg], sign: (tbs) => sign(digest, tbs, key) };
}

/** RFC 5280 key identifier (method 1): SHA-1 of the subjectPublicKey bits of an SPKI. */
function keyIdentifier(spki: Buffer): Buffer {
  const top = readElement(spki, 0, 'public key');
  const bits = readChildren(spki, top, 'public key')[1];
  if (!bits || bits.tag !== TAG.bitString) throw new BadParameterError('malformed public key: no subjectPublicKey bit string');
  return createHash('sha1').update(spki.subarray(bits.contentStart + 1, bits.end)).digest();
}

/** A random positive 128-bit serial (magnitude bytes; the encoder keeps the INTEGER minimal). */
function randomSerial(): Buffer {
  const bytes = randomPoolBytes(16);
  // All-zero would encode 0, which RFC 5280 forbids.
  return bytes.some((b) => b !== 0) ? bytes : Buffer.of(1);
}

interface BuildParams {
  subject: Buffer;
  issuer: Buffer;
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
  signer: Signer;
}

/** Assembles, signs and PEM-encodes a v3 certificate. */
function buildCertificate(p: BuildParams): string {
  if (p.notAfter.getTime() <= p.notBefore.getTime()) {
    throw new BadParameterError(`certificate would expire (${p.notAfter.toISOString()}) before it starts being valid`);
  }
  const tbs = encodeTBSCertificate({
    serial: randomSerial(),
    signatureAlgorithm: p.signer.algorithm,
    issuer: p.issuer,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    subject: p.subject,
    spki: p.spki,
    extensions: p.extensions,
  });
  return toPEM('CERTIFICATE', encodeCertificate(tbs, p.signer.algorithm, p.signer.sign(tbs)));
}

/** Creates a self-signed CA certificate and key for one CA type of a cluster. */
export function createTLSCA(opts: CreateTLSCAOptions): TLSCAKeyPair {
  if (!opts.clusterName) throw new BadParameterError('a CA needs a cluster name');
  if (!opts.caType) throw new BadParameterError('a CA needs a type (user, host, db, ...)');
  const { privateKey, publicKey } = generateKeyPair(opts.algorithm);
  const spki = spkiOf(publicKey);
  const name = encodeName(
    [{ oid: '2.5.4.3', value: opts.clusterName }, { oid: '2.5.4.10', value: opts.clusterName }, { oid: '2.5.4.11', value: opts.caType }],
    () => false,
  );
  const now = opts.clock.nowMs();
  const certPEM = buildCertificate({
    subject: name,
    issuer: name,
    spki,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (opts.ttlMs ?? DEFAULT_CA_TTL_MS)),
    extensions: [
      basicConstraintsExtension(true),
      keyUsageExtension([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]),
      subjectKeyIdentifierExtension(keyIdentifier(spki)),
    ],
    signer: signerFor(privateKey),
  });
  return { certPEM, keyPEM: privateKeyToPEM(privateKey) };
}

/** A CA ready to sign: its key, and the parts of its certificate every leaf repeats. */
interface LoadedCA {
  signer: Signer;
  /** The CA certificate's Subject DER, byte for byte: the leaves' Issuer. */
  subject: Buffer;
  authorityKeyIdExtension: Buffer;
}

/**
 * Loaded CAs by their PEM text. Parsing and checking the CA certificate and key was 37% of issuing a
 * certificate (docs/benchmarks.md); a CA's PEM never changes, and rotation brings new PEM text.
 */
const loadedCAs = new Map<string, Map<string, LoadedCA>>();
const MAX_LOADED_CAS = 32;

function loadCA(certPEM: string, keyPEM: string): LoadedCA {
  // Two levels rather than one concatenated key: the keyring passes the same string objects every
  // time, whose hashes V8 keeps, so a lookup does not rehash a kilobyte of PEM per certificate.
  const cached = loadedCAs.get(certPEM)?.get(keyPEM);
  if (cached) return cached;
  const loaded = parseCA(certPEM, keyPEM);
  if (loadedCAs.size >= MAX_LOADED_CAS) loadedCAs.delete(loadedCAs.keys().next().value as string);
  const byKey = loadedCAs.get(certPEM) ?? new Map<string, LoadedCA>();
  if (byKey.size >= MAX_LOADED_CAS) byKey.clear();
  byKey.set(keyPEM, loaded);
  loadedCAs.set(certPEM, byKey);
  return loaded;
}

/** Loads the CA certificate and key and checks that they belong together and form a CA. */
function parseCA(certPEM: string, keyPEM: string): LoadedCA {
  const cert = parseCertificate(certPEM);
  const key = privateKeyFromPEM(keyPEM);
  if (!spkiOf(key).equals(Buffer.from(cert.publicKey.rawData))) {
    throw new BadParameterError('the CA private key does not match the CA certificate');
  }
  if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new BadParameterError(`certificate "${cert.subject}" is not a CA certificate (basicConstraints CA:TRUE missing)`);
  }
  const der = Buffer.from(cert.rawData);
  const what = 'CA certificate';
  const [tbs] = readChildren(der, readElement(der, 0, what), what);
  if (!tbs) throw new BadParameterError('malformed CA certificate: no TBSCertificate');
  // version [0] (always present in our v3 CAs, optional in general), serial, signature, issuer, validity, subject.
  const fields = readChildren(der, tbs, what);
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject || subject.tag !== TAG.sequence) throw new BadParameterError('malformed CA certificate: no subject name');
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return {
    signer: signerFor(key),
    subject: der.subarray(subject.start, subject.end),
    authorityKeyIdExtension: authorityKeyIdentifierExtension(ski ? Buffer.from(ski, 'hex') : keyIdentifier(spkiOf(key))),
  };
}

/** Issues a leaf certificate for `identity`, signed by the given CA; returns its PEM. */
export function issueTLSCert(opts: IssueTLSCertOptions): string {
  const ca = loadCA(opts.caCertPEM, opts.caKeyPEM);
  // RSA key exchange needs keyEncipherment; for EC/Ed25519 keys it would be meaningless.
  const leafKeyIsRSA = keyAlgorithmOf(opts.publicKey) === 'rsa-2048';
  const extensions = [
    basicConstraintsExtension(false),
    keyUsageExtension(leafKeyIsRSA ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment] : [KEY_USAGE.digitalSignature]),
    extendedKeyUsageExtension(opts.usage ?? 'both'),
    ca.authorityKeyIdExtension,
  ];
  const san = subjectAltNameExtension(opts.dnsNames ?? [], opts.ipAddresses ?? []);
  if (san) extensions.push(san);

  return buildCertificate({
    subject: identitySubject(opts.identity),
    issuer: ca.subject,
    spki: spkiOf(opts.publicKey),
    notBefore: new Date(opts.clock.nowMs() - BACKDATE_MS),
    notAfter: opts.notAfter,
    extensions,
    signer: ca.signer,
  });
}

/** The Subject DER of an identity (the layout of @teleport-ts/api/tlsca/identity). */
export function identitySubject(identity: Identity): Buffer {
  return encodeName(identityAttributes(identity), isPrintableString);
}
