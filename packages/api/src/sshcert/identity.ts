/**
 * @module sshcert/identity
 * What Teleport puts into SSH certificates, read back: the names of Teleport's certificate extensions
 * and critical options, and decoders from a verified certificate to the user or host identity it carries.
 * Shared by the issuer (server) and by clients and agents that inspect certificates. The JSON formats
 * follow upstream Teleport so certificates stay interchangeable.
 */
import { BadParameterError } from '../errors.ts';
import type { SSHCertificate } from './certificate.ts';

/** OpenSSH's standard extensions. */
export const EXT_PERMIT_PTY = 'permit-pty';
/** Allows `ssh -L/-R` port forwarding. */
export const EXT_PERMIT_PORT_FORWARDING = 'permit-port-forwarding';
/** Allows `ssh -A` agent forwarding. */
export const EXT_PERMIT_AGENT_FORWARDING = 'permit-agent-forwarding';
/** Allows `ssh -X` X11 forwarding (the capital X is OpenSSH's spelling). */
export const EXT_PERMIT_X11_FORWARDING = 'permit-X11-forwarding';
/** Teleport roles as JSON `{"roles":[...]}`. */
export const EXT_TELEPORT_ROLES = 'teleport-roles';
/** Teleport traits as JSON `{"name":["value",...]}`. */
export const EXT_TELEPORT_TRAITS = 'teleport-traits';
/** The (leaf) cluster the user's connections are routed to. */
export const EXT_ROUTE_TO_CLUSTER = 'teleport-route-to-cluster';
/** The client IP seen at login. */
export const EXT_LOGIN_IP = 'login-ip';
/** The MFA device id used when the certificate was issued for a per-session MFA check. */
export const EXT_MFA_VERIFIED = 'mfa-verified';
/** Access requests in effect, as JSON `{"access_requests":[...]}`. */
export const EXT_ACTIVE_REQUESTS = 'teleport-active-requests';
/** Host certificates: the system role of the host (Node, Proxy, ...). */
export const EXT_HOST_ROLE = 'x-teleport-role';
/** Host certificates: the cluster that issued the certificate. */
export const EXT_HOST_AUTHORITY = 'x-teleport-authority';
/** Critical option pinning the certificate to client addresses (comma-separated CIDRs). */
export const OPT_SOURCE_ADDRESS = 'source-address';

/** The Teleport user identity carried by an SSH user certificate. */
export interface UserSSHIdentity {
  /** Teleport username (the key id). */
  username: string;
  /** OS logins the user may use (the principals). */
  logins: string[];
  roles: string[];
  traits: Record<string, string[]>;
  routeToCluster?: string;
  loginIP?: string;
  mfaVerified?: string;
  activeRequests?: string[];
  sourceAddress?: string;
  validAfter: Date;
  validBefore: Date;
  permitPTY: boolean;
  permitAgentForwarding: boolean;
  permitPortForwarding: boolean;
  permitX11Forwarding: boolean;
}

/** The Teleport host identity carried by an SSH host certificate. */
export interface HostSSHIdentity {
  /** The key id, `<hostId>.<cluster>`. */
  hostId: string;
  /** Cluster that issued the certificate (x-teleport-authority). */
  clusterName: string;
  /** System role of the host (x-teleport-role). */
  role: string;
  principals: string[];
  validBefore: Date;
}

function parseJSON(cert: SSHCertificate, name: string): unknown {
  const raw = cert.extensions[name];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new BadParameterError(`SSH certificate extension ${name} is not valid JSON`, { cause: err });
  }
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Reads a JSON object field that must be a string array (absent means empty). */
function stringListField(cert: SSHCertificate, ext: string, field: string): string[] | undefined {
  const parsed = parseJSON(cert, ext);
  if (parsed === undefined) return undefined;
  const list = parsed === null || typeof parsed !== 'object' ? undefined : (parsed as Record<string, unknown>)[field];
  if (list === undefined || list === null) return [];
  if (!isStringArray(list)) throw new BadParameterError(`SSH certificate extension ${ext} must hold {"${field}": [strings]}`);
  return list;
}

function parseTraits(cert: SSHCertificate): Record<string, string[]> {
  const parsed = parseJSON(cert, EXT_TELEPORT_TRAITS);
  if (parsed === undefined || parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadParameterError(`SSH certificate extension ${EXT_TELEPORT_TRAITS} must be a JSON object`);
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    // Upstream writes null for a trait with no values.
    if (v === null) out[k] = [];
    else if (isStringArray(v)) out[k] = v;
    else throw new BadParameterError(`SSH certificate trait "${k}" must be a list of strings`);
  }
  return out;
}

/** Seconds to Date, with CERT_VALID_FOREVER mapping to a far-future Date rather than an invalid one. */
const toDate = (seconds: number): Date => new Date(Math.min(seconds * 1000, 8.64e15));

/**
 * Decodes the Teleport user identity from an SSH user certificate. Call it on a certificate that
 * {@link verifyCertificate} accepted: this function checks formats, not trust.
 */
export function decodeUserSSHIdentity(cert: SSHCertificate): UserSSHIdentity {
  if (cert.type !== 'user') throw new BadParameterError(`expected an SSH user certificate, got a ${cert.type} certificate`);
  const ext = cert.extensions;
  const id: UserSSHIdentity = {
    username: cert.keyId,
    logins: [...cert.principals],
    roles: stringListField(cert, EXT_TELEPORT_ROLES, 'roles') ?? [],
    traits: parseTraits(cert),
    validAfter: toDate(cert.validAfter),
    validBefore: toDate(cert.validBefore),
    permitPTY: Object.hasOwn(ext, EXT_PERMIT_PTY),
    permitAgentForwarding: Object.hasOwn(ext, EXT_PERMIT_AGENT_FORWARDING),
    permitPortForwarding: Object.hasOwn(ext, EXT_PERMIT_PORT_FORWARDING),
    permitX11Forwarding: Object.hasOwn(ext, EXT_PERMIT_X11_FORWARDING),
  };
  const route = ext[EXT_ROUTE_TO_CLUSTER];
  if (route !== undefined) id.routeToCluster = route;
  const loginIP = ext[EXT_LOGIN_IP];
  if (loginIP !== undefined) id.loginIP = loginIP;
  const mfa = ext[EXT_MFA_VERIFIED];
  if (mfa !== undefined) id.mfaVerified = mfa;
  const requests = stringListField(cert, EXT_ACTIVE_REQUESTS, 'access_requests');
  if (requests !== undefined) id.activeRequests = requests;
  const source = cert.criticalOptions[OPT_SOURCE_ADDRESS];
  if (source !== undefined) id.sourceAddress = source;
  return id;
}

/** Decodes the Teleport host identity from an SSH host certificate (checks formats, not trust). */
export function decodeHostSSHIdentity(cert: SSHCertificate): HostSSHIdentity {
  if (cert.type !== 'host') throw new BadParameterError(`expected an SSH host certificate, got a ${cert.type} certificate`);
  const role = cert.extensions[EXT_HOST_ROLE];
  const clusterName = cert.extensions[EXT_HOST_AUTHORITY];
  if (role === undefined || clusterName === undefined) {
    throw new BadParameterError(`SSH host certificate "${cert.keyId}" was not issued by Teleport: it lacks ${EXT_HOST_ROLE}/${EXT_HOST_AUTHORITY}`);
  }
  return { hostId: cert.keyId, clusterName, role, principals: [...cert.principals], validBefore: toDate(cert.validBefore) };
}
