/**
 * @module tool/tsh/loginResponse
 * Turns the proxy's answer to POST /v1/webapi/ssh/certs (base64 fields, see @teleport-ts/api/webapi)
 * into the certificates and CAs tsh stores, checking that they are for the key tsh just generated
 * so a misbehaving proxy cannot leave unusable or foreign credentials behind.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { TrustError } from '@teleport-ts/api/errors';
import type { PingResponse, SSHLoginResponse } from '@teleport-ts/api/webapi';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';

/** The decoded login answer. */
export interface LoginCertificates {
  username: string;
  /** OpenSSH certificate line. */
  sshCert: string;
  /** PEM X.509 certificate. */
  tlsCert: string;
  /** PEM CA certificates to trust for the cluster's TLS servers, deduplicated. */
  tlsCAs: string[];
  /** SSH host CA keys (authorized_keys form), per cluster. */
  hostCAKeys: Array<{ clusterName: string; authorizedKey: string }>;
}

const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

/** Decodes and checks a login response against the public key that was sent. */
export function decodeLoginResponse(resp: SSHLoginResponse, publicKey: KeyObject): LoginCertificates {
  const bad = (what: string): never => {
    throw new TrustError(`the proxy returned ${what}: is this a Teleport proxy of a compatible version?`);
  };
  if (typeof resp.cert !== 'string' || typeof resp.tls_cert !== 'string') bad('no certificates');
  const sshCert = unb64(resp.cert).trim();
  const tlsCert = unb64(resp.tls_cert);
  let sshKey: Buffer | undefined;
  let tlsKey: KeyObject | undefined;
  try {
    sshKey = decodeCertificate(parseCertificateLine(sshCert)).publicKey;
    tlsKey = new X509Certificate(tlsCert).publicKey;
  } catch {
    bad('certificates that cannot be parsed');
  }
  if (!sshKey?.equals(sshPublicKeyBlob(publicKey)) || !tlsKey?.equals(publicKey)) bad('certificates for a different key');
  const tlsCAs = new Set<string>();
  for (const pem of resp.tls_ca_certs ?? []) tlsCAs.add(normalizePEM(unb64(pem)));
  const hostCAKeys: LoginCertificates['hostCAKeys'] = [];
  for (const signer of resp.host_signers ?? []) {
    for (const key of signer.auth_keys ?? []) hostCAKeys.push({ clusterName: signer.domain_name, authorizedKey: unb64(key).trim() });
    for (const pem of signer.tls_certs ?? []) tlsCAs.add(normalizePEM(unb64(pem)));
  }
  if (tlsCAs.size === 0 || hostCAKeys.length === 0) bad('no cluster certificate authorities');
  return { username: resp.username, sshCert, tlsCert, tlsCAs: [...tlsCAs], hostCAKeys };
}

/**
 * The proxy's SSH address to save in the profile: its advertised public address, with an
 * unspecified or empty host replaced by the host tsh reached the proxy at.
 */
export function sshProxyAddrFrom(ping: PingResponse, proxyHost: string): string | undefined {
  const advertised = ping.proxy?.ssh?.ssh_public_addr || ping.proxy?.ssh?.listen_addr;
  if (!advertised) return undefined;
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(advertised);
  if (!m) return advertised;
  const host = m[1] ?? m[2] ?? '';
  if (host === '' || host === '0.0.0.0' || host === '::') {
    return `${proxyHost.includes(':') ? `[${proxyHost}]` : proxyHost}:${m[3]}`;
  }
  return advertised;
}

function normalizePEM(pem: string): string {
  const trimmed = pem.trim();
  return `${trimmed}\n`;
}
