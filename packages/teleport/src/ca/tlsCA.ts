/**
 * @module ca/tlsCA
 * The X.509 certificate authority: self-signed CA certificates (one per CA type: user, host, db) and leaf
 * certificates that carry a Teleport Identity in their Subject.
 *
 * Certificates are assembled with @peculiar/asn1-x509 and signed with node:crypto's synchronous `sign`,
 * rather than through @peculiar/x509's generator, which signs via WebCrypto and is therefore async; issuing
 * stays a plain function call for the auth service. All three key algorithms work for CA and leaf keys.
 */
// Keep this import first: the identity module loads 'reflect-metadata' before @peculiar/x509 needs it.
import { identityToName, parseCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';
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
import * as asn1X509 from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  createHash,
  createPublicKey,
  randomBytes,
  sign,
  X509Certificate as NodeX509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';

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

/** A signature algorithm identifier plus the matching node:crypto signing call. */
interface Signer {
  algorithm: asn1X509.AlgorithmIdentifier;
  sign(tbs: Buffer): Buffer;
}

const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

function signerFor(key: KeyObject): Signer {
  switch (keyAlgorithmOf(key)) {
    case 'ed25519':
      return { algorithm: new asn1X509.AlgorithmIdentifier({ algorithm: '1.3.101.112' }), sign: (tbs) => sign(null, tbs, key) };
    case 'ecdsa-p256':
      // node emits DER (r, s) by default, which is what X.509 wants for ecdsa-with-SHA256.
      return {
        algorithm: new asn1X509.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }),
        sign: (tbs) => sign('sha256', tbs, key),
      };
    case 'rsa-2048':
      // sha256WithRSAEncryption requires explicit NULL parameters (RFC 4055).
      return {
        algorithm: new asn1X509.AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: DER_NULL }),
        sign: (tbs) => sign('sha256', tbs, key),
      };
  }
}

function spkiDER(key: KeyObject): Buffer {
  return (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'der', type: 'spki' });
}

/** RFC 5280 key identifier (method 1): SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: asn1X509.SubjectPublicKeyInfo): string {
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest('hex');
}

/** A random positive 128-bit serial, minimally DER-encoded. */
function randomSerial(): ArrayBuffer {
  let bytes = randomBytes(16);
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  // Strip redundant leading zeros so the INTEGER stays minimal (DER).
  while (bytes.length > 1 && bytes[0] === 0 && ((bytes[1] ?? 0) & 0x80) === 0) bytes = bytes.subarray(1);
  if (bytes.length === 1 && bytes[0] === 0) bytes = Buffer.from([1]);
  return Uint8Array.from(bytes).buffer;
}

interface BuildParams {
  subject: asn1X509.Name;
  issuer: asn1X509.Name;
  spki: asn1X509.SubjectPublicKeyInfo;
  notBefore: Date;
  notAfter: Date;
  extensions: x509.Extension[];
  signer: Signer;
}

/** Assembles, signs and PEM-encodes a v3 certificate. */
function buildCertificate(p: BuildParams): string {
  if (p.notAfter.getTime() <= p.notBefore.getTime()) {
    throw new BadParameterError(`certificate would expire (${p.notAfter.toISOString()}) before it starts being valid`);
  }
  const tbs = new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: randomSerial(),
    signature: p.signer.algorithm,
    issuer: p.issuer,
    validity: new asn1X509.Validity({ notBefore: p.notBefore, notAfter: p.notAfter }),
    subject: p.subject,
    subjectPublicKeyInfo: p.spki,
    extensions: new asn1X509.Extensions(p.extensions.map((e) => AsnConvert.parse(e.rawData, asn1X509.Extension))),
  });
  const signature = p.signer.sign(Buffer.from(AsnConvert.serialize(tbs)));
  const cert = new asn1X509.Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: p.signer.algorithm,
    signatureValue: Uint8Array.from(signature).buffer,
  });
  return new NodeX509Certificate(Buffer.from(AsnConvert.serialize(cert))).toString();
}

function asnName(name: x509.Name): asn1X509.Name {
  return AsnConvert.parse(name.toArrayBuffer(), asn1X509.Name);
}

/** Creates a self-signed CA certificate and key for one CA type of a cluster. */
export function createTLSCA(opts: CreateTLSCAOptions): TLSCAKeyPair {
  if (!opts.clusterName) throw new BadParameterError('a CA needs a cluster name');
  if (!opts.caType) throw new BadParameterError('a CA needs a type (user, host, db, ...)');
  const { privateKey, publicKey } = generateKeyPair(opts.algorithm);
  const spki = AsnConvert.parse(spkiDER(publicKey), asn1X509.SubjectPublicKeyInfo);
  const name = asnName(
    new x509.Name([
      { '2.5.4.3': [{ utf8String: opts.clusterName }] },
      { '2.5.4.10': [{ utf8String: opts.clusterName }] },
      { '2.5.4.11': [{ utf8String: opts.caType }] },
    ]),
  );
  const now = opts.clock.nowMs();
  const certPEM = buildCertificate({
    subject: name,
    issuer: name,
    spki,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (opts.ttlMs ?? DEFAULT_CA_TTL_MS)),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectKeyIdentifierExtension(keyIdentifier(spki)),
    ],
    signer: signerFor(privateKey),
  });
  return { certPEM, keyPEM: privateKeyToPEM(privateKey) };
}

/** Loads the CA certificate and key and checks that they belong together and form a CA. */
/**
 * Parsed CAs by their PEM text. Parsing and checking the CA certificate and key was 37% of issuing
 * a certificate (docs/benchmarks.md); a CA's PEM never changes, and rotation brings new PEM text.
 */
const loadedCAs = new Map<string, { cert: x509.X509Certificate; key: KeyObject }>();
const MAX_LOADED_CAS = 32;

function loadCA(certPEM: string, keyPEM: string): { cert: x509.X509Certificate; key: KeyObject } {
  const cacheKey = `${certPEM}\n${keyPEM}`;
  const cached = loadedCAs.get(cacheKey);
  if (cached) return cached;
  const loaded = parseCA(certPEM, keyPEM);
  if (loadedCAs.size >= MAX_LOADED_CAS) loadedCAs.delete(loadedCAs.keys().next().value as string);
  loadedCAs.set(cacheKey, loaded);
  return loaded;
}

function parseCA(certPEM: string, keyPEM: string): { cert: x509.X509Certificate; key: KeyObject } {
  const cert = parseCertificate(certPEM);
  const key = privateKeyFromPEM(keyPEM);
  if (!spkiDER(key).equals(Buffer.from(cert.publicKey.rawData))) {
    throw new BadParameterError('the CA private key does not match the CA certificate');
  }
  if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new BadParameterError(`certificate "${cert.subject}" is not a CA certificate (basicConstraints CA:TRUE missing)`);
  }
  return { cert, key };
}

function subjectAltNames(dnsNames: string[], ipAddresses: string[]): x509.JsonGeneralNames {
  for (const ip of ipAddresses) {
    if (isIP(ip) === 0) throw new BadParameterError(`"${ip}" is not an IP address: put host names in dnsNames`);
  }
  return [
    ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
}

/** Issues a leaf certificate for `identity`, signed by the given CA; returns its PEM. */
export function issueTLSCert(opts: IssueTLSCertOptions): string {
  const ca = loadCA(opts.caCertPEM, opts.caKeyPEM);
  const caAsn = AsnConvert.parse(ca.cert.rawData, asn1X509.Certificate);
  const caSpki = caAsn.tbsCertificate.subjectPublicKeyInfo;
  const authorityKeyId = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? keyIdentifier(caSpki);

  const leafKeyIsRSA = keyAlgorithmOf(opts.publicKey) === 'rsa-2048';
  // RSA key exchange needs keyEncipherment; for EC/Ed25519 keys it would be meaningless.
  const keyUsage = x509.KeyUsageFlags.digitalSignature | (leafKeyIsRSA ? x509.KeyUsageFlags.keyEncipherment : 0);
  const usage = opts.usage ?? 'both';
  const ekus: string[] = [];
  if (usage !== 'client') ekus.push(x509.ExtendedKeyUsage.serverAuth);
  if (usage !== 'server') ekus.push(x509.ExtendedKeyUsage.clientAuth);

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(ekus),
    new x509.AuthorityKeyIdentifierExtension(authorityKeyId),
  ];
  const sans = subjectAltNames(opts.dnsNames ?? [], opts.ipAddresses ?? []);
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));

  return buildCertificate({
    subject: asnName(identityToName(opts.identity)),
    issuer: caAsn.tbsCertificate.subject,
    spki: AsnConvert.parse(spkiDER(opts.publicKey), asn1X509.SubjectPublicKeyInfo),
    notBefore: new Date(opts.clock.nowMs() - BACKDATE_MS),
    notAfter: opts.notAfter,
    extensions,
    signer: signerFor(ca.key),
  });
}
