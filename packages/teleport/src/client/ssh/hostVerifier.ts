/**
 * @module client/ssh/hostVerifier
 * How tsh decides to trust an SSH server, and the ssh2 options that go with it. There is no
 * trust-on-first-use: a server must present a host certificate signed by one of the cluster host CAs
 * saved at login, valid now, and either list one of the names tsh knows the server by (what the user
 * typed, the node's UUID, its hostname, `<name>.<cluster>`) or, for the proxy, carry the Proxy role.
 * Everything else is refused with the reason, which {@link sshConfig} reports through `onRejected`.
 */
import type { ConnectConfig } from 'ssh2';
import { systemClock, type Clock } from '@teleport-ts/api/clock';
import { TeleportError } from '@teleport-ts/api/errors';
import { CERT_SUFFIX, verifyCertificate } from '@teleport-ts/api/sshcert/certificate';
import { decodeHostSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { blobKeyType, sshFingerprint } from '@teleport-ts/api/sshcert/publicKey';
import { sshClientAuthConfig } from '../../sshutils/clientAuth.ts';

/** What a host must prove. */
export interface HostCheck {
  /** Public key blobs of the trusted host CAs. */
  hostCAKeys: Buffer[];
  /** Names the server is known by; the certificate must list one (unless `acceptRole` matches). */
  names: string[];
  /** Also accept a certificate of this system role whatever its principals ("Proxy" for the proxy). */
  acceptRole?: string;
  clock?: Clock;
}

/** Checks a host key blob; returns the refusal reason, or undefined when the host is trusted. */
export function checkHostKey(blob: Buffer, check: HostCheck): string | undefined {
  const shown = check.names[0] ?? 'the server';
  let type: string;
  try {
    type = blobKeyType(blob);
  } catch {
    return `${shown} sent a malformed host key`;
  }
  if (!type.endsWith(CERT_SUFFIX)) {
    return `${shown} presented a plain ${type} host key (${sshFingerprint(blob)}) instead of a certificate from the cluster's host CA: ` +
      'it is not a Teleport host of this cluster (or not joined yet); if the cluster was re-created, run \'tsh login\' again';
  }
  try {
    const cert = verifyCertificate(blob, { now: (check.clock ?? systemClock).now(), trustedCAKeys: check.hostCAKeys, certType: 'host' });
    if (check.names.some((n) => cert.principals.includes(n))) return undefined;
    if (check.acceptRole !== undefined) {
      const role = (() => {
        try {
          return decodeHostSSHIdentity(cert).role;
        } catch {
          return undefined;
        }
      })();
      if (role === check.acceptRole) return undefined;
    }
    return `${shown} presented a host certificate for ${cert.principals.join(', ') || 'no names'}, not for ${check.names.join(' or ')}`;
  } catch (err) {
    const why = err instanceof TeleportError ? err.message : String(err);
    return `${shown}: ${why}${/unknown certificate authority/.test(why) ? ' (not a host of this cluster; if the cluster was re-created, run \'tsh login\' again)' : ''}`;
  }
}

/** The user's SSH key and certificate. */
export interface SSHUserKey {
  privateKeyPEM: string;
  /** OpenSSH user certificate line. */
  certLine: string;
}

/** Inputs of {@link sshConfig}. */
export interface SSHConfigOptions extends HostCheck {
  key: SSHUserKey;
  /** SSH user name (the OS login on nodes). */
  login: string;
  /** Called with the reason when the host is refused, before ssh2 fails the handshake. */
  onRejected?: (reason: string) => void;
}

/** ssh2 ConnectConfig fields that log in with the user certificate and verify the host by {@link checkHostKey}. */
export function sshConfig(opts: SSHConfigOptions): Pick<ConnectConfig, 'username' | 'authHandler' | 'algorithms' | 'hostVerifier'> {
  const base = sshClientAuthConfig({
    privateKeyPEM: opts.key.privateKeyPEM, certLine: opts.key.certLine, username: opts.login,
    hostCAKeys: opts.hostCAKeys, hostname: opts.names[0] ?? '',
  });
  return {
    ...base,
    hostVerifier: (key: Buffer): boolean => {
      const reason = checkHostKey(key, opts);
      if (reason !== undefined) opts.onRejected?.(reason);
      return reason === undefined;
    },
  };
}
