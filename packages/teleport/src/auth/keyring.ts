/**
 * @module auth/keyring
 * The auth server's view of its certificate authorities: loads them with private keys from the
 * backend, parses the keys once, and answers "which CA signed this certificate". Private keys stay
 * inside this object; nothing here is ever serialized to a caller or a log.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { NotFoundError } from '@teleport-ts/api/errors';
import { privateKeyFromPEM } from '@teleport-ts/api/keys';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import { withoutSecrets, type CAType, type CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { LocalServices } from '../services/local/index.ts';

/** A CA's usable signing material. */
export interface LoadedCA {
  resource: CertAuthority;
  sshPrivateKey?: KeyObject;
  sshPublicKey?: Buffer;
  tlsCertPEM?: string;
  tlsKeyPEM?: string;
  /** fingerprint256 of every trusted TLS certificate of this CA (active and additional). */
  tlsFingerprints: string[];
}

/** Loads and caches CAs. */
export class Keyring {
  private cache = new Map<CAType, LoadedCA>();

  constructor(
    private readonly services: LocalServices,
    private readonly clusterName: string,
  ) {}

  /** The CA of `type` with parsed signing keys. */
  async get(type: CAType): Promise<LoadedCA> {
    const cached = this.cache.get(type);
    if (cached) return cached;
    const ca = await this.services.trust.getCertAuthority(type, this.clusterName, true);
    const ssh = ca.spec.active_keys.ssh?.[0];
    const tls = ca.spec.active_keys.tls?.[0];
    const trustedTLS = [...(ca.spec.active_keys.tls ?? []), ...(ca.spec.additional_trusted_keys?.tls ?? [])];
    const loaded: LoadedCA = {
      resource: ca,
      tlsFingerprints: trustedTLS.map((k) => new X509Certificate(k.cert).fingerprint256),
      ...(ssh?.private_key && { sshPrivateKey: privateKeyFromPEM(ssh.private_key), sshPublicKey: parseAuthorizedKey(ssh.public_key).blob }),
      ...(tls?.key && { tlsCertPEM: tls.cert, tlsKeyPEM: tls.key }),
    };
    this.cache.set(type, loaded);
    return loaded;
  }

  /** The SSH signing key of a CA. */
  async sshSigner(type: CAType): Promise<KeyObject> {
    const ca = await this.get(type);
    if (!ca.sshPrivateKey) throw new NotFoundError(`the ${type} certificate authority has no SSH signing key`);
    return ca.sshPrivateKey;
  }

  /** The TLS CA certificate and key of a CA. */
  async tlsSigner(type: CAType): Promise<{ caCertPEM: string; caKeyPEM: string }> {
    const ca = await this.get(type);
    if (!ca.tlsCertPEM || !ca.tlsKeyPEM) throw new NotFoundError(`the ${type} certificate authority has no TLS signing key`);
    return { caCertPEM: ca.tlsCertPEM, caKeyPEM: ca.tlsKeyPEM };
  }

  /** All trusted TLS certificates of the given CA types (PEM). */
  async tlsCerts(...types: CAType[]): Promise<string[]> {
    const out: string[] = [];
    for (const t of types) {
      const ca = await this.get(t);
      for (const k of [...(ca.resource.spec.active_keys.tls ?? []), ...(ca.resource.spec.additional_trusted_keys?.tls ?? [])]) {
        out.push(k.cert);
      }
    }
    return out;
  }

  /** The public view of a CA (no private keys). */
  async publicCA(type: CAType): Promise<CertAuthority> {
    return withoutSecrets((await this.get(type)).resource);
  }

  /** Which of the user/host CAs issued a certificate, by the issuer's fingerprint256. */
  async tlsCATypeByFingerprint(fingerprint: string): Promise<CAType | undefined> {
    for (const t of ['host', 'user'] as const) {
      if ((await this.get(t)).tlsFingerprints.includes(fingerprint)) return t;
    }
    return undefined;
  }
}
