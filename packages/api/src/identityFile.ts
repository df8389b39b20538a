/**
 * @module identityFile
 * The identity file written by `tctl auth sign --format=file` and `tsh login --out`, and read by
 * `tsh -i` / `tctl -i`. The layout matches upstream Teleport (api/identityfile) so files move
 * between the two implementations. It is a plain concatenation, each part ending in a newline:
 *
 * ```
 * -----BEGIN OPENSSH PRIVATE KEY-----      private key: OpenSSH format for Ed25519 (the only form
 * ...                                      OpenSSH reads for it), PKCS#8 PEM for ECDSA and RSA
 * -----END OPENSSH PRIVATE KEY-----
 * ssh-ed25519-cert-v01@openssh.com AAAA... SSH user certificate (one authorized_keys-style line)
 * -----BEGIN CERTIFICATE-----              X.509 user certificate
 * -----END CERTIFICATE-----
 * @cert-authority cluster,*.cluster ssh-ed25519 AAAA... type=host     host CA, one line per key
 * -----BEGIN CERTIFICATE-----              TLS CA certificates, one block per CA
 * -----END CERTIFICATE-----
 * ```
 *
 * Because it starts with the private key, `ssh -i <file>` works as is. Parsing, like upstream, keys
 * on line prefixes and ignores anything else; unlike upstream it tells the user certificate from the
 * CA certificates by the X.509 CA flag rather than by position, so a file without a user certificate
 * still parses correctly. Pure functions over strings: callers do the file I/O.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { BadParameterError } from './errors.ts';
import { formatOpenSSHPrivateKey, parseOpenSSHPrivateKey } from './sshcert/privateKey.ts';

/** The parts of an identity: the key, its certificates and the CAs to trust. */
export interface IdentityMaterial {
  /** PEM private key (PKCS#8, PKCS#1, SEC1 or "OPENSSH PRIVATE KEY"). */
  privateKeyPEM: string;
  /** The OpenSSH user certificate line ("ssh-ed25519-cert-v01@openssh.com AAAA..."). */
  sshCert?: string;
  /** PEM X.509 user certificate. */
  tlsCert?: string;
  /** PEM certificates of the cluster CAs that sign the proxy's and auth's TLS certificates. */
  tlsCACerts: string[];
  /** Host CA public keys to trust for SSH, per cluster (authorized_keys lines without options). */
  sshCAKeys: Array<{ clusterName: string; authorizedKey: string }>;
}

/** Options for {@link writeIdentityFile}. */
export interface WriteIdentityOptions {
  /** Proxy host to add to every `@cert-authority` host pattern, as tsh does. */
  proxyHost?: string;
}

/** One file to write for a multi-file output format. */
export interface OutputFile {
  path: string;
  data: string;
  /** File mode: 0o600 for private keys. */
  mode: number;
}

/** A parsed `@cert-authority` known_hosts line. */
export interface KnownHostsCALine {
  /** Host patterns, as written ("proxy.example.com", "example.com", "*.example.com"). */
  hosts: string[];
  /** The cluster the CA belongs to: the name behind the "*.<cluster>" pattern. */
  clusterName: string;
  /** "<type> <base64>" of the CA key. */
  authorizedKey: string;
  /** Trailing comment, e.g. "type=host". */
  comment: string;
}

const SSH_CERT_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-nistp\d+|sk-[a-z0-9-@.]+)-cert-v01@openssh\.com$/;
const PRIVATE_KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY']);
const NOT_AN_IDENTITY =
  'expected a private key followed by certificates, as written by "tctl auth sign --format=file" or "tsh login --out"';

/**
 * Formats a host CA as a known_hosts line the way upstream's MarshalKnownHost does:
 * `@cert-authority [proxyHost,]cluster,*.cluster <key> type=host`.
 */
export function formatKnownHostsCALine(clusterName: string, authorizedKey: string, proxyHost?: string): string {
  if (!clusterName) throw new BadParameterError('a known_hosts CA line needs a cluster name');
  const key = authorizedKey.trim().split(/\s+/).slice(0, 2).join(' ');
  if (!key.includes(' ')) throw new BadParameterError(`invalid CA public key "${authorizedKey}": expected "<type> <base64>"`);
  const hosts = [clusterName, `*.${clusterName}`];
  if (proxyHost && proxyHost !== clusterName) hosts.unshift(proxyHost);
  return `@cert-authority ${hosts.join(',')} ${key} type=host`;
}

/** Parses an `@cert-authority` known_hosts line; returns undefined for any other line. */
export function parseKnownHostsCALine(line: string): KnownHostsCALine | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== '@cert-authority' || fields.length < 4) return undefined;
  const hosts = (fields[1] as string).split(',');
  const wildcard = hosts.find((h) => h.startsWith('*.'));
  const clusterName = wildcard ? wildcard.slice(2) : (hosts[0] as string);
  return { hosts, clusterName, authorizedKey: `${fields[2]} ${fields[3]}`, comment: fields.slice(4).join(' ') };
}

/** True when `token` names an OpenSSH certificate key type ("ssh-ed25519-cert-v01@openssh.com"). */
export function isSSHCertType(token: string): boolean {
  return SSH_CERT_TYPE.test(token);
}

/**
 * Re-encodes a private key the way identity files and ~/.tsh store it: OpenSSH format for Ed25519
 * (OpenSSH cannot read PKCS#8 Ed25519 keys), PEM (unchanged) for the others.
 */
export function privateKeyForOpenSSH(privateKeyPEM: string): string {
  if (privateKeyPEM.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) return ensureNewline(privateKeyPEM);
  const key = loadPrivateKey(privateKeyPEM);
  return ensureNewline(key.asymmetricKeyType === 'ed25519' ? formatOpenSSHPrivateKey(key) : privateKeyPEM);
}

/** Parses the private key of an identity in any of the accepted encodings. */
export function loadPrivateKey(privateKeyPEM: string): KeyObject {
  try {
    if (privateKeyPEM.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) return parseOpenSSHPrivateKey(privateKeyPEM);
    return createPrivateKey(privateKeyPEM);
  } catch (err) {
    throw new BadParameterError(
      'could not parse the private key: expected a PEM or OpenSSH private key (ed25519, ECDSA P-256 or RSA)', { cause: err });
  }
}

/** Serialises an identity in the "file" format (see the module comment for the layout). */
export function writeIdentityFile(id: IdentityMaterial, options: WriteIdentityOptions = {}): string {
  const parts = [privateKeyForOpenSSH(id.privateKeyPEM)];
  if (id.sshCert) parts.push(ensureNewline(id.sshCert.trim()));
  if (id.tlsCert) parts.push(ensureNewline(id.tlsCert.trim()));
  for (const ca of id.sshCAKeys) {
    parts.push(`${formatKnownHostsCALine(ca.clusterName, ca.authorizedKey, options.proxyHost)}\n`);
  }
  for (const pem of id.tlsCACerts) parts.push(ensureNewline(pem.trim()));
  return parts.join('');
}

/**
 * Parses an identity file. Throws BadParameterError, saying what is missing, for text that is not
 * an identity file or a damaged one.
 */
export function parseIdentityFile(text: string): IdentityMaterial {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  let privateKeyPEM: string | undefined;
  let sshCert: string | undefined;
  const certs: string[] = [];
  const sshCAKeys: IdentityMaterial['sshCAKeys'] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('-----BEGIN ')) {
      const label = line.slice('-----BEGIN '.length).replace(/-+$/, '');
      const end = `-----END ${label}-----`;
      const start = i;
      while (i < lines.length && lines[i] !== end) i++;
      if (i === lines.length) throw new BadParameterError(`invalid identity file: the PEM block "${label}" has no END line`);
      const block = `${lines.slice(start, i + 1).join('\n')}\n`;
      if (PRIVATE_KEY_LABELS.has(label)) {
        if (privateKeyPEM) throw new BadParameterError('invalid identity file: it holds more than one private key');
        privateKeyPEM = block;
      } else if (label === 'CERTIFICATE') {
        certs.push(block);
      }
      continue;
    }
    const first = line.split(/\s+/)[0] ?? '';
    if (isSSHCertType(first)) {
      sshCert = line;
    } else if (first === '@cert-authority') {
      const ca = parseKnownHostsCALine(line);
      if (!ca) throw new BadParameterError(`invalid identity file: malformed @cert-authority line "${line}"`);
      sshCAKeys.push({ clusterName: ca.clusterName, authorizedKey: ca.authorizedKey });
    }
  }
  if (!privateKeyPEM) {
    const what = certs.length || sshCert ? 'it has certificates but no private key' : 'it holds no private key or certificates';
    throw new BadParameterError(`not an identity file: ${what}; ${NOT_AN_IDENTITY}`);
  }
  loadPrivateKey(privateKeyPEM);
  const { tlsCert, tlsCACerts } = splitCertificates(certs);
  if (!sshCert && !tlsCert) {
    throw new BadParameterError(`not an identity file: it has a private key but no SSH or TLS user certificate; ${NOT_AN_IDENTITY}`);
  }
  const id: IdentityMaterial = { privateKeyPEM, tlsCACerts, sshCAKeys };
  if (sshCert) id.sshCert = sshCert;
  if (tlsCert) id.tlsCert = tlsCert;
  return id;
}

/**
 * Files for `--format=openssh`: the private key at `outputPath` (0600) and the certificate at
 * `<outputPath>-cert.pub`, where `ssh -i <outputPath>` looks for it.
 */
export function openSSHIdentityFiles(outputPath: string, id: IdentityMaterial): OutputFile[] {
  if (!id.sshCert) throw new BadParameterError('the openssh format needs an SSH certificate; none was issued');
  return [
    { path: outputPath, data: privateKeyForOpenSSH(id.privateKeyPEM), mode: 0o600 },
    { path: `${outputPath}-cert.pub`, data: ensureNewline(id.sshCert.trim()), mode: 0o644 },
  ];
}

/** Separates the user certificate from CA certificates by the basic-constraints CA flag. */
function splitCertificates(certs: string[]): { tlsCert?: string; tlsCACerts: string[] } {
  let tlsCert: string | undefined;
  const tlsCACerts: string[] = [];
  for (const pem of certs) {
    let isCA: boolean;
    try {
      isCA = new X509Certificate(pem).ca;
    } catch (err) {
      throw new BadParameterError('invalid identity file: a CERTIFICATE block is not a valid X.509 certificate', { cause: err });
    }
    if (isCA || tlsCert) tlsCACerts.push(pem);
    else tlsCert = pem;
  }
  return tlsCert ? { tlsCert, tlsCACerts } : { tlsCACerts };
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}
