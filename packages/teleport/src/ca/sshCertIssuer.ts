/**
 * @module ca/sshCertIssuer
 * Decides what goes into the SSH certificates the cluster's user and host CAs sign: principals, key
 * id, validity window, OpenSSH permissions and Teleport's identity extensions (see
 * docs: teleport.md "Certificates"). Encoding and signing live in @teleport-ts/api/sshcert.
 */
import { isIP } from 'node:net';
import { randomUUID, type KeyObject } from 'node:crypto';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import { signCertificate } from '@teleport-ts/api/sshcert/certificate';
import {
  EXT_ACTIVE_REQUESTS, EXT_HOST_AUTHORITY, EXT_HOST_ROLE, EXT_LOGIN_IP, EXT_MFA_VERIFIED,
  EXT_PERMIT_AGENT_FORWARDING, EXT_PERMIT_PORT_FORWARDING, EXT_PERMIT_PTY, EXT_PERMIT_X11_FORWARDING,
  EXT_ROUTE_TO_CLUSTER, EXT_TELEPORT_ROLES, EXT_TELEPORT_TRAITS, OPT_SOURCE_ADDRESS,
} from '@teleport-ts/api/sshcert/identity';
import { CERT_BACKDATE_MS, HOST_CERT_TTL_MS } from '../config/defaults.ts';
import { randomPoolBytes } from './randomPool.ts';

/**
 * Principal added when a user has no logins. A certificate without principals is valid for every
 * login in OpenSSH, so (like upstream) we list one that can never be a real user name.
 */
export const NO_LOGIN_PREFIX = '-teleport-nologin-';

/** Everything the user CA needs to issue a user certificate. */
export interface UserSSHCertRequest {
  caPrivateKey: KeyObject;
  /** Subject public key blob (the user's key). */
  publicKey: Buffer;
  username: string;
  logins: string[];
  ttlMs: number;
  clock: Clock;
  permitAgentForwarding: boolean;
  permitPortForwarding: boolean;
  permitX11Forwarding?: boolean;
  roles: string[];
  traits: Record<string, string[]>;
  routeToCluster?: string;
  loginIP?: string;
  /** Pin the certificate to this IP or comma-separated list of IPs/CIDRs (bare IPs become /32 or /128). */
  sourceAddress?: string;
  mfaVerified?: string;
  activeRequests?: string[];
  serial?: bigint;
}

/** Everything the host CA needs to issue a host certificate. */
export interface HostSSHCertRequest {
  caPrivateKey: KeyObject;
  /** Subject public key blob (the host's key). */
  publicKey: Buffer;
  /** The host's UUID. */
  hostId: string;
  /** The host's name (DNS name or hostname), for OpenSSH clients that connect by name. */
  nodeName: string;
  clusterName: string;
  /** System role of the host, e.g. Node or Proxy. */
  role: string;
  extraPrincipals?: string[];
  /** Lifetime; defaults to HOST_CERT_TTL_MS (ten years). */
  ttlMs?: number;
  clock: Clock;
}

function validity(clock: Clock, ttlMs: number): { validAfter: number; validBefore: number } {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new BadParameterError(`certificate TTL must be positive, got ${ttlMs}ms`);
  const now = clock.nowMs();
  return { validAfter: Math.floor((now - CERT_BACKDATE_MS) / 1000), validBefore: Math.floor((now + ttlMs) / 1000) };
}

/** Normalizes "10.0.0.1, 10.1.0.0/16" to "10.0.0.1/32,10.1.0.0/16", rejecting anything that is not an IP. */
export function normalizeSourceAddress(list: string): string {
  const entries = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) throw new BadParameterError('source address is empty: give an IP address or CIDR');
  return entries
    .map((entry) => {
      const [ip = '', bits] = entry.split('/');
      const family = isIP(ip);
      const max = family === 4 ? 32 : 128;
      if (family === 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
        throw new BadParameterError(`invalid source address "${entry}": use an IP address or CIDR such as 10.0.0.0/8`);
      }
      return bits === undefined ? `${ip}/${max}` : entry;
    })
    .join(',');
}

/** Issues an SSH user certificate for a Teleport user and returns the certificate blob. */
export function issueUserSSHCert(opts: UserSSHCertRequest): Buffer {
  if (opts.username === '') throw new BadParameterError('cannot issue an SSH certificate without a username');
  let logins = [...new Set(opts.logins)];
  if (logins.length === 0) logins = [NO_LOGIN_PREFIX + randomUUID()];

  const extensions: Record<string, string> = {
    [EXT_PERMIT_PTY]: '',
    [EXT_TELEPORT_ROLES]: JSON.stringify({ roles: opts.roles }),
    [EXT_TELEPORT_TRAITS]: JSON.stringify(opts.traits),
  };
  if (opts.permitPortForwarding) extensions[EXT_PERMIT_PORT_FORWARDING] = '';
  if (opts.permitAgentForwarding) extensions[EXT_PERMIT_AGENT_FORWARDING] = '';
  if (opts.permitX11Forwarding) extensions[EXT_PERMIT_X11_FORWARDING] = '';
  if (opts.routeToCluster) extensions[EXT_ROUTE_TO_CLUSTER] = opts.routeToCluster;
  if (opts.loginIP) extensions[EXT_LOGIN_IP] = opts.loginIP;
  if (opts.mfaVerified) extensions[EXT_MFA_VERIFIED] = opts.mfaVerified;
  if (opts.activeRequests && opts.activeRequests.length > 0) {
    extensions[EXT_ACTIVE_REQUESTS] = JSON.stringify({ access_requests: opts.activeRequests });
  }
  const criticalOptions: Record<string, string> = {};
  if (opts.sourceAddress) criticalOptions[OPT_SOURCE_ADDRESS] = normalizeSourceAddress(opts.sourceAddress);

  return signCertificate(
    {
      type: 'user',
      nonce: randomPoolBytes(32),
      publicKey: opts.publicKey,
      serial: opts.serial ?? 0n,
      keyId: opts.username,
      principals: logins,
      ...validity(opts.clock, opts.ttlMs),
      criticalOptions,
      extensions,
    },
    opts.caPrivateKey,
  );
}

/** The principals of a host certificate, in upstream's order, without duplicates. */
export function hostPrincipals(hostId: string, nodeName: string, clusterName: string, extra: string[] = []): string[] {
  const names = [`${hostId}.${clusterName}`, hostId];
  if (nodeName) names.push(`${nodeName}.${clusterName}`, nodeName);
  // Loopback names let tools on the same machine connect (quickstart, local development).
  names.push('localhost', '127.0.0.1', '::1', ...extra);
  return [...new Set(names)];
}

/** Issues an SSH host certificate for a cluster member and returns the certificate blob. */
export function issueHostSSHCert(opts: HostSSHCertRequest): Buffer {
  for (const [name, value] of [['host id', opts.hostId], ['cluster name', opts.clusterName], ['role', opts.role]] as const) {
    if (value === '') throw new BadParameterError(`cannot issue an SSH host certificate without a ${name}`);
  }
  return signCertificate(
    {
      type: 'host',
      publicKey: opts.publicKey,
      serial: 0n,
      keyId: `${opts.hostId}.${opts.clusterName}`,
      principals: hostPrincipals(opts.hostId, opts.nodeName, opts.clusterName, opts.extraPrincipals),
      ...validity(opts.clock, opts.ttlMs ?? HOST_CERT_TTL_MS),
      criticalOptions: {},
      extensions: { [EXT_HOST_ROLE]: opts.role, [EXT_HOST_AUTHORITY]: opts.clusterName },
    },
    opts.caPrivateKey,
  );
}
