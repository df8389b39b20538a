/**
 * @module sshcert/certificate
 * OpenSSH certificates (PROTOCOL.certkeys, "-cert-v01@openssh.com") for Ed25519, ECDSA P-256 and RSA
 * subject and CA keys: encode and sign, decode, and verify (CA, signature, type, validity, principal).
 * Pure functions over bytes. Critical options and extensions are written sorted by name, flags with an
 * empty data field and valued entries as an inner string, matching OpenSSH and Go's x/crypto/ssh.
 *
 * Wire layout (after the key-type string):
 *   string nonce, <subject key fields>, uint64 serial, uint32 type, string key id,
 *   string principals, uint64 valid after, uint64 valid before, string critical options,
 *   string extensions, string reserved, string signature key, string signature
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { AccessDeniedError, BadParameterError, TrustError } from '../errors.ts';
import { SSHReader, SSHWriter } from './wire.ts';
import { blobKeyType, checkPublicKeyBlob, formatAuthorizedKey, parseAuthorizedKey, readPublicKeyFields, sshFingerprint, sshPublicKeyBlob } from './publicKey.ts';
import { signSSH, verifySSHSignature } from './signature.ts';

/** Suffix that turns a plain key type into its certificate type. */
export const CERT_SUFFIX = '-cert-v01@openssh.com';

/**
 * `validBefore` value meaning "never expires" (OpenSSH writes 0xffffffffffffffff). Any wire value
 * beyond Number.MAX_SAFE_INTEGER decodes to this, and encoding writes it back as the all-ones uint64.
 */
export const CERT_VALID_FOREVER = Number.MAX_SAFE_INTEGER;

const CERT_TYPE_CODE = { user: 1, host: 2 } as const;
const FOREVER_WIRE = (1n << 64n) - 1n;

/** A decoded OpenSSH certificate. Times are unix seconds. */
export interface SSHCertificate {
  /** 'user' certificates authenticate people; 'host' certificates authenticate servers. */
  type: 'user' | 'host';
  /** Certificate key type, e.g. "ssh-ed25519-cert-v01@openssh.com". */
  keyType: string;
  /** Random bytes that make the signed data unpredictable to the requester. */
  nonce: Buffer;
  /** Plain public key blob of the subject (what the certificate certifies). */
  publicKey: Buffer;
  /** Serial number chosen by the CA (0 when unused). */
  serial: bigint;
  /** Free-form identifier logged by sshd; Teleport puts the username or host id here. */
  keyId: string;
  /** Logins (user certs) or host names (host certs) the certificate is valid for. */
  principals: string[];
  /** Not valid before this time (unix seconds). */
  validAfter: number;
  /** Not valid from this time on (unix seconds); CERT_VALID_FOREVER means no expiry. */
  validBefore: number;
  /** Options the server must understand and enforce, e.g. source-address. Flags have the value ''. */
  criticalOptions: Record<string, string>;
  /** Optional features (permit-pty, teleport-roles, ...). Flags have the value ''. */
  extensions: Record<string, string>;
  /** Plain public key blob of the CA that signed the certificate. */
  signatureKey: Buffer;
  /** SSH signature blob over everything before it. */
  signature: Buffer;
}

/** What a caller provides to {@link signCertificate}; the nonce defaults to 32 random bytes. */
export type CertificateFields = Omit<SSHCertificate, 'keyType' | 'signatureKey' | 'signature' | 'nonce'> & { nonce?: Buffer };

/** Encodes name/value pairs sorted by name (byte order), the canonical order OpenSSH expects. */
function encodeTuples(tuples: Record<string, string>): Buffer {
  const w = new SSHWriter();
  // Each name is encoded once, not once per comparison.
  const names = Object.keys(tuples).map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }));
  names.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  for (const { name, bytes } of names) {
    const value = tuples[name] as string;
    w.string(bytes);
    if (value === '') {
      w.uint32(0);
    } else {
      // A valued entry's data is itself an SSH string.
      const v = Buffer.from(value, 'utf8');
      w.uint32(v.length + 4).string(v);
    }
  }
  return w.finish();
}

function decodeTuples(buf: Buffer, what: string): Record<string, string> {
  const r = new SSHReader(buf, `SSH certificate ${what}`);
  // A null-prototype map while reading, so a name like "__proto__" cannot alter the object.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  while (r.remaining > 0) {
    const name = r.utf8();
    const data = r.string();
    if (Object.hasOwn(out, name)) throw new BadParameterError(`SSH certificate lists the ${what} "${name}" twice`);
    let value = '';
    if (data.length > 0) {
      const inner = new SSHReader(data, `SSH certificate ${what} "${name}"`);
      value = inner.utf8();
      inner.done();
    }
    out[name] = value;
  }
  return { ...out };
}

function encodeTime(seconds: number, what: string): bigint {
  if (seconds >= CERT_VALID_FOREVER) return FOREVER_WIRE;
  if (!Number.isInteger(seconds) || seconds < 0) throw new BadParameterError(`SSH certificate ${what} must be whole unix seconds, got ${seconds}`);
  return BigInt(seconds);
}

const decodeTime = (v: bigint): number => (v > BigInt(CERT_VALID_FOREVER) ? CERT_VALID_FOREVER : Number(v));

/** The signed part of a certificate: every field up to and including the signature key. */
function encodeSignedPart(c: Omit<SSHCertificate, 'signature'>): Buffer {
  const subjectType = blobKeyType(c.publicKey);
  if (c.keyType !== subjectType + CERT_SUFFIX) {
    throw new BadParameterError(`SSH certificate type ${c.keyType} does not match its ${subjectType} key`);
  }
  // The subject key's fields follow the nonce without the key's own type string.
  const keyReader = new SSHReader(c.publicKey, 'SSH public key');
  keyReader.string();
  const principals = new SSHWriter();
  for (const p of c.principals) principals.string(p);
  return new SSHWriter()
    .string(c.keyType)
    .string(c.nonce)
    .raw(keyReader.rest())
    .uint64(c.serial)
    .uint32(CERT_TYPE_CODE[c.type])
    .string(c.keyId)
    .string(principals.finish())
    .uint64(encodeTime(c.validAfter, 'valid-after'))
    .uint64(encodeTime(c.validBefore, 'valid-before'))
    .string(encodeTuples(c.criticalOptions))
    .string(encodeTuples(c.extensions))
    .string('') // reserved
    .string(c.signatureKey)
    .finish();
}

/** Re-encodes a certificate object into its wire blob (canonical order for options and extensions). */
export function encodeCertificate(cert: SSHCertificate): Buffer {
  return new SSHWriter().raw(encodeSignedPart(cert)).string(cert.signature).finish();
}

/**
 * Public key blobs of CA keys, by key object: deriving one exports the private key as JWK, for every
 * certificate signed. KeyObjects are immutable, and the blobs only ever get copied into certificates.
 */
const caKeyBlobs = new WeakMap<KeyObject, Buffer>();

function caKeyBlob(caPrivateKey: KeyObject): Buffer {
  let blob = caKeyBlobs.get(caPrivateKey);
  if (!blob) {
    blob = sshPublicKeyBlob(caPrivateKey);
    caKeyBlobs.set(caPrivateKey, blob);
  }
  return blob;
}

/** Builds and signs a certificate with the CA's private key and returns the certificate blob. */
export function signCertificate(fields: CertificateFields, caPrivateKey: KeyObject): Buffer {
  checkPublicKeyBlob(fields.publicKey); // refuse to certify a malformed or unsupported key
  const unsigned = {
    ...fields,
    keyType: blobKeyType(fields.publicKey) + CERT_SUFFIX,
    nonce: fields.nonce ?? randomBytes(32),
    signatureKey: caKeyBlob(caPrivateKey),
  };
  const signed = encodeSignedPart(unsigned);
  return new SSHWriter().raw(signed).string(signSSH(caPrivateKey, signed)).finish();
}

/** The bytes the CA signature covers: the blob up to (not including) the signature string. */
export function certificateSignedData(blob: Buffer): Buffer {
  const sigLen = decodeCertificate(blob).signature.length;
  return blob.subarray(0, blob.length - 4 - sigLen);
}

/** Decodes a certificate blob. Checks structure only: use {@link verifyCertificate} before trusting it. */
export function decodeCertificate(blob: Buffer): SSHCertificate {
  const r = new SSHReader(blob, 'SSH certificate');
  const keyType = r.utf8();
  if (!keyType.endsWith(CERT_SUFFIX)) throw new BadParameterError(`"${keyType}" is not an OpenSSH certificate type`);
  const nonce = r.string();
  const publicKey = readPublicKeyFields(r, keyType.slice(0, -CERT_SUFFIX.length));
  const serial = r.uint64();
  const typeCode = r.uint32();
  if (typeCode !== 1 && typeCode !== 2) throw new BadParameterError(`SSH certificate has unknown type ${typeCode}`);
  const keyId = r.utf8();
  const pr = new SSHReader(r.string(), 'SSH certificate principals');
  const principals: string[] = [];
  while (pr.remaining > 0) principals.push(pr.utf8());
  const validAfter = decodeTime(r.uint64());
  const validBefore = decodeTime(r.uint64());
  const criticalOptions = decodeTuples(r.string(), 'critical option');
  const extensions = decodeTuples(r.string(), 'extension');
  r.string(); // reserved: ignored, as OpenSSH does
  const signatureKey = r.string();
  const signature = r.string();
  r.done();
  return {
    type: typeCode === 1 ? 'user' : 'host',
    keyType, nonce, publicKey, serial, keyId, principals, validAfter, validBefore,
    criticalOptions, extensions, signatureKey, signature,
  };
}

/** "45s", "5m", "2h5m", "3d4h": the largest unit and the next one, for error messages. */
function humanDuration(seconds: number): string {
  const units: [string, number][] = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  const total = Math.max(0, Math.round(seconds));
  const found = units.findIndex(([, size]) => total >= size);
  const i = found < 0 ? units.length - 1 : found;
  const [big, bigSize] = units[i] as [string, number];
  let out = `${Math.floor(total / bigSize)}${big}`;
  const next = units[i + 1];
  if (next && Math.floor((total % bigSize) / next[1]) > 0) out += `${Math.floor((total % bigSize) / next[1])}${next[0]}`;
  return out;
}

/** What {@link verifyCertificate} checks besides the signature. */
export interface VerifyCertificateOptions {
  /** The time to check the validity window against. */
  now: Date;
  /** CA public key blobs to accept. When omitted the caller must check `signatureKey` itself. */
  trustedCAKeys?: Buffer[];
  /** A login (user certs) or host name (host certs) the certificate must list. */
  principal?: string;
  /** The kind of certificate expected. */
  certType?: 'user' | 'host';
}

/**
 * Verifies a certificate and returns it decoded. Trust problems (unknown CA, bad signature, outside
 * the validity window) throw TrustError; a valid certificate used for the wrong purpose (wrong type
 * or principal) throws AccessDeniedError; a malformed blob throws BadParameterError. Pass the blob
 * when you have it: a certificate object is re-encoded canonically before its signature is checked.
 * A certificate without principals is refused when a principal is asked for (OpenSSH would treat it
 * as valid for everyone; we never issue such certificates and will not accept them).
 */
export function verifyCertificate(input: SSHCertificate | Buffer, opts: VerifyCertificateOptions): SSHCertificate {
  const blob = Buffer.isBuffer(input) ? input : encodeCertificate(input);
  const cert = decodeCertificate(blob);
  const kind = cert.type === 'host' ? 'SSH host certificate' : 'SSH certificate';

  if (opts.trustedCAKeys && !opts.trustedCAKeys.some((k) => k.equals(cert.signatureKey))) {
    throw new TrustError(`${kind} is signed by an unknown certificate authority (${sshFingerprint(cert.signatureKey)})`);
  }
  if (blobKeyType(cert.signatureKey).endsWith(CERT_SUFFIX)) throw new TrustError(`${kind} is signed by a certificate, not a CA key`);
  if (!verifySSHSignature(cert.signatureKey, cert.signature, certificateSignedData(blob))) {
    throw new TrustError(`${kind} has an invalid signature: it was modified or not signed by the CA it names`);
  }

  if (opts.certType && cert.type !== opts.certType) {
    throw new AccessDeniedError(`expected an SSH ${opts.certType} certificate but got a ${cert.type} certificate (key id "${cert.keyId}")`);
  }

  const now = Math.floor(opts.now.getTime() / 1000);
  if (now < cert.validAfter) {
    throw new TrustError(
      `${kind} is not valid for another ${humanDuration(cert.validAfter - now)}: ` +
        "check that this machine's clock agrees with the auth server's",
    );
  }
  if (now >= cert.validBefore) {
    const ago = humanDuration(now - cert.validBefore);
    throw new TrustError(
      cert.type === 'user'
        ? `${kind} expired ${ago} ago: run 'tsh login'`
        : `${kind} expired ${ago} ago: restart the host's Teleport service or re-join it to renew the certificate`,
    );
  }

  if (opts.principal !== undefined && !cert.principals.includes(opts.principal)) {
    const what = cert.type === 'user' ? 'login' : 'host';
    const listed = cert.principals.length > 0 ? cert.principals.join(', ') : 'none';
    throw new AccessDeniedError(`${what} '${opts.principal}' is not a principal of the certificate (principals: ${listed})`);
  }
  return cert;
}

/** The one-line form of a certificate ("ssh-ed25519-cert-v01@openssh.com AAAA... comment"), as in *-cert.pub. */
export function formatCertificateLine(blob: Buffer, comment?: string): string {
  if (!blobKeyType(blob).endsWith(CERT_SUFFIX)) throw new BadParameterError('not an OpenSSH certificate blob');
  return formatAuthorizedKey(blob, comment);
}

/** Parses a certificate line (a *-cert.pub file) into the certificate blob, checking it decodes. */
export function parseCertificateLine(line: string): Buffer {
  const { type, blob } = parseAuthorizedKey(line);
  if (!type.endsWith(CERT_SUFFIX)) throw new BadParameterError(`expected an OpenSSH certificate, got a plain ${type} key`);
  decodeCertificate(blob);
  return blob;
}
