/**
 * @module proxy/ssh/nodeHostCerts
 * The host certificates the proxy's forwarding server presents in place of a node, so that a
 * client checking the node's host certificate (OpenSSH with `@cert-authority`, tsh) accepts the
 * proxy terminating its connection. One key per proxy process, kept in memory only; one
 * certificate per node from auth (which takes the principals from the node record), cached until
 * it nears expiry or the node's hostname or address changes. Concurrent callers share a request.
 */
import type { EncryptedPrivateKey } from 'ssh2';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { Server } from '@teleport-ts/api/types/server';
import { sshServerHostKeys } from '../../sshutils/hostKeys.ts';
import { splitHostPort } from './nodeResolver.ts';

/** Lifetime asked for (auth caps it at 24 h). */
const CERT_TTL_MS = 12 * 3600_000;
/** Renew when less than this is left. */
const RENEW_BEFORE_MS = 3600_000;

interface Entry {
  /** Hostname and address the certificate was issued for. */
  names: string;
  expiresMs: number;
  hostKeys: Promise<EncryptedPrivateKey[]>;
}

/** Inputs of {@link NodeHostCerts}. */
export interface NodeHostCertsOptions {
  authClient: Pick<AuthClient, 'generateHostCerts'>;
  clock: Clock;
}

/** Per-node host keys for the forwarding server. */
export class NodeHostCerts {
  private readonly keyPEM: string;
  private readonly publicLine: string;
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly opts: NodeHostCertsOptions) {
    const key = generateKeyPair('ed25519').privateKey;
    this.keyPEM = privateKeyToPEM(key);
    this.publicLine = formatAuthorizedKey(sshPublicKeyBlob(key));
  }

  /** ssh2 Server `hostKeys` presenting a certificate for `node`; rejects when auth refuses one. */
  hostKeys(node: Server): Promise<EncryptedPrivateKey[]> {
    const id = node.metadata.name;
    const names = `${node.spec.hostname}\n${node.spec.addr}`;
    const cached = this.cache.get(id);
    if (cached && cached.names === names && cached.expiresMs - RENEW_BEFORE_MS > this.opts.clock.nowMs()) return cached.hostKeys;
    const entry: Entry = { names, expiresMs: Number.POSITIVE_INFINITY, hostKeys: Promise.resolve([]) };
    entry.hostKeys = this.issue(node).then(({ line, expiresMs }) => {
      entry.expiresMs = expiresMs;
      return sshServerHostKeys({ privateKeyPEM: this.keyPEM, hostCertLine: line });
    });
    entry.hostKeys.catch(() => {
      if (this.cache.get(id) === entry) this.cache.delete(id); // ask again next time
    });
    this.cache.set(id, entry);
    return entry.hostKeys;
  }

  private async issue(node: Server): Promise<{ line: string; expiresMs: number }> {
    const host = node.spec.addr ? splitHostPort(node.spec.addr).host : '';
    const certs = await this.opts.authClient.generateHostCerts({
      hostId: node.metadata.name, nodeName: node.spec.hostname, role: 'Node', sshPublicKey: this.publicLine, tlsPublicKey: '',
      ttlMs: CERT_TTL_MS, ...(host && { additionalPrincipals: [host] }),
    });
    const cert = decodeCertificate(parseCertificateLine(certs.sshCert));
    return { line: certs.sshCert, expiresMs: cert.validBefore * 1000 };
  }
}
