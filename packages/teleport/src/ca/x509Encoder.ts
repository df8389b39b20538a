/**
 * @module ca/x509Encoder
 * Writes X.509 v3 certificates (RFC 5280) as DER from their parts: the TBSCertificate, the extensions
 * the cluster's CAs use (basic constraints, key usage, extended key usage, key identifiers, subject
 * alternative names), Subjects from attribute lists, and the signed certificate around a signature
 * the caller computed. The bytes are identical to what @peculiar/asn1-x509 produced for the same
 * inputs (tlsCA's equivalence tests keep that path as the reference). Pure: no keys, no I/O.
 */
import { isIP } from 'node:net';
import { BadParameterError } from '@teleport-ts/api/errors';
import {
  booleanTrue, bitStringBytes, derNull, explicitTag, headerLength, implicitTag, namedBits, octetString, oid, sequence,
  TAG, tlv, unsignedInteger, writeHeader, x509Time,
} from './der.ts';

/** Signature algorithm identifiers (RFC 8410, RFC 5758, RFC 4055) by CA key algorithm. */
export const SIGNATURE_ALGORITHMS = {
  /** id-Ed25519, no parameters. */
  ed25519: sequence(oid('1.3.101.112')),
  /** ecdsa-with-SHA256, parameters absent. */
  'ecdsa-p256': sequence(oid('1.2.840.10045.4.3.2')),
  /** sha256WithRSAEncryption, with the explicit NULL parameters RFC 4055 requires. */
  'rsa-2048': sequence(oid('1.2.840.113549.1.1.11'), derNull()),
} as const;

/** One Subject attribute: its type (dotted OID) and value. */
export interface NameAttribute {
  oid: string;
  value: string;
}

/**
 * A Name with one attribute per RDN, in order (RFC 5280 4.1.2.4): SET { SEQUENCE { type, value } } each,
 * the value a PrintableString when `printable(value)` says so, else a UTF8String. Written into one buffer:
 * a Subject has a dozen or more RDNs, and nested concatenation was a visible cost per certificate.
 */
export function encodeName(attributes: readonly NameAttribute[], printable: (value: string) => boolean): Buffer {
  const types: Buffer[] = [];
  const values: Buffer[] = [];
  const tags: number[] = [];
  const atvLengths: number[] = [];
  let body = 0;
  for (const a of attributes) {
    const isPrintable = printable(a.value);
    const value = Buffer.from(a.value, isPrintable ? 'latin1' : 'utf8');
    const type = oid(a.oid);
    const atv = type.length + headerLength(value.length) + value.length;
    types.push(type);
    values.push(value);
    tags.push(isPrintable ? TAG.printableString : TAG.utf8String);
    atvLengths.push(atv);
    const set = headerLength(atv) + atv;
    body += headerLength(set) + set;
  }
  const out = Buffer.allocUnsafe(headerLength(body) + body);
  let at = writeHeader(out, 0, TAG.sequence, body);
  for (let i = 0; i < types.length; i++) {
    const type = types[i] as Buffer;
    const value = values[i] as Buffer;
    const atv = atvLengths[i] as number;
    at = writeHeader(out, at, TAG.set, headerLength(atv) + atv);
    at = writeHeader(out, at, TAG.sequence, atv);
    at += type.copy(out, at);
    at = writeHeader(out, at, tags[i] as number, value.length);
    at += value.copy(out, at);
  }
  return out;
}

/** One extension; `critical` is written only when true (DER omits a DEFAULT FALSE). */
function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), booleanTrue(), octetString(value)) : sequence(oid(id), octetString(value));
}

/** Key usage bits (RFC 5280 4.2.1.3). */
export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** basicConstraints (critical): CA:TRUE without a path length, or CA:FALSE (an empty SEQUENCE). */
export const basicConstraintsExtension = (ca: boolean): Buffer =>
  extension('2.5.29.19', true, ca ? sequence(booleanTrue()) : sequence());

/** keyUsage (critical) with the given bits. */
export const keyUsageExtension = (bits: readonly number[]): Buffer => extension('2.5.29.15', true, namedBits(bits));

const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

/** extKeyUsage (not critical): serverAuth and/or clientAuth, in that order. */
export function extendedKeyUsageExtension(usage: 'client' | 'server' | 'both'): Buffer {
  const ids: Buffer[] = [];
  if (usage !== 'client') ids.push(oid(EKU.serverAuth));
  if (usage !== 'server') ids.push(oid(EKU.clientAuth));
  return extension('2.5.29.37', false, sequence(...ids));
}

/** subjectKeyIdentifier (not critical). */
export const subjectKeyIdentifierExtension = (keyId: Buffer): Buffer => extension('2.5.29.14', false, octetString(keyId));

/** authorityKeyIdentifier (not critical) with only the keyIdentifier [0] field. */
export const authorityKeyIdentifierExtension = (keyId: Buffer): Buffer =>
  extension('2.5.29.35', false, sequence(tlv(implicitTag(0), keyId)));

/** The 4 or 16 bytes of a textual IPv4 or IPv6 address (dotted-quad tails of IPv6 included). */
export function ipAddressBytes(ip: string): Buffer {
  const family = ip.includes('%') ? 0 : isIP(ip);
  if (family === 4) return Buffer.from(ip.split('.').map(Number));
  if (family !== 6) throw new BadParameterError(`"${ip}" is not an IP address: put host names in dnsNames`);
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split('.').map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** subjectAltName (not critical): DNS names, then IP addresses; undefined when there are none. */
export function subjectAltNameExtension(dnsNames: readonly string[], ipAddresses: readonly string[]): Buffer | undefined {
  // Validate every IP before encoding anything, so a bad one is reported even after good ones.
  const ips = ipAddresses.map(ipAddressBytes);
  if (dnsNames.length === 0 && ips.length === 0) return undefined;
  const names = [...dnsNames.map((d) => tlv(implicitTag(2), Buffer.from(d, 'latin1'))), ...ips.map((b) => tlv(implicitTag(7), b))];
  return extension('2.5.29.17', false, sequence(...names));
}

/** The parts of a TBSCertificate, already encoded where the encoding is shared (names, SPKI, extensions). */
export interface TBSParts {
  /** Serial number magnitude (unsigned, big-endian). */
  serial: Buffer;
  /** An AlgorithmIdentifier from {@link SIGNATURE_ALGORITHMS}. */
  signatureAlgorithm: Buffer;
  /** Issuer Name (DER): the CA certificate's Subject, byte for byte. */
  issuer: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** Subject Name (DER). */
  subject: Buffer;
  /** SubjectPublicKeyInfo (DER). */
  spki: Buffer;
  /** Encoded Extension elements, in order. */
  extensions: readonly Buffer[];
}

const VERSION_V3 = tlv(explicitTag(0), tlv(TAG.integer, Buffer.of(2)));

/** TBSCertificate (RFC 5280 4.1) of a v3 certificate. */
export function encodeTBSCertificate(p: TBSParts): Buffer {
  return sequence(
    VERSION_V3,
    unsignedInteger(p.serial),
    p.signatureAlgorithm,
    p.issuer,
    sequence(x509Time(p.notBefore), x509Time(p.notAfter)),
    p.subject,
    p.spki,
    tlv(explicitTag(3), sequence(...p.extensions)),
  );
}

/** Certificate: the TBSCertificate, the signature algorithm again, and the signature as a BIT STRING. */
export function encodeCertificate(tbs: Buffer, signatureAlgorithm: Buffer, signature: Buffer): Buffer {
  return sequence(tbs, signatureAlgorithm, bitStringBytes(signature));
}
