/**
 * @module client/status
 * What `tsh status` shows: who the saved (or identity-file) certificates speak for and until when,
 * read from the certificates themselves rather than the profile, printed in upstream's layout:
 *
 * ```
 * > Profile URL:        https://proxy.example.com:3080
 *   Logged in as:       alice
 *   Cluster:            example.com
 *   Roles:              access, editor
 *   Logins:             alice, root
 *   Kubernetes:         disabled
 *   Valid until:        2026-11-21 17:00:00 +0000 UTC [valid for 11h59m0s]
 *   Extensions:         permit-agent-forwarding, permit-port-forwarding, permit-pty
 * ```
 * Times are printed in UTC so output does not depend on the machine's zone.
 */
import { formatDuration } from '@teleport-ts/api/duration';
import { BadParameterError } from '@teleport-ts/api/errors';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { decodeUserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';

/** Certificates to describe (a saved key or an identity file). */
export interface CredentialMaterial {
  /** OpenSSH user certificate line. */
  sshCert?: string;
  /** PEM X.509 user certificate. */
  tlsCert?: string;
}

/** What the certificates grant. */
export interface StatusInfo {
  username: string;
  /** Cluster the certificates were issued by (or are routed to); '' when the certificates do not say. */
  cluster: string;
  roles: string[];
  /** OS logins, without Teleport's internal placeholder principals. */
  logins: string[];
  traits: Record<string, string[]>;
  kubernetesUsers: string[];
  kubernetesGroups: string[];
  activeRequests: string[];
  /** Expiry of the SSH certificate (of the TLS certificate when there is no SSH one). */
  validUntil: Date;
  expired: boolean;
  /** OpenSSH permissions (permit-*), sorted; Teleport's own extensions are left out. */
  extensions: string[];
}

/** One block of `tsh status` output. */
export interface ProfileStatus {
  /** "https://host:port" of the proxy; shown as Profile URL. */
  profileURL?: string;
  /** Path of the identity file when status comes from `tsh -i`. */
  identityFile?: string;
  /** Marked with "> " (the current profile). */
  active?: boolean;
  info: StatusInfo;
}

/** Principals Teleport adds so a certificate is never empty or for internal joins; not real logins. */
const isInternalLogin = (login: string): boolean => login.startsWith('-teleport-');

/** Reads user, roles, logins, cluster and validity from an SSH and/or TLS user certificate. */
export function describeCredentials(material: CredentialMaterial, now: Date = new Date()): StatusInfo {
  if (!material.sshCert && !material.tlsCert) {
    throw new BadParameterError('no certificates to describe: run "tsh login"');
  }
  const sshCert = material.sshCert ? decodeCertificate(parseCertificateLine(material.sshCert)) : undefined;
  const ssh = sshCert ? decodeUserSSHIdentity(sshCert) : undefined;
  const tls = material.tlsCert ? identityFromCertificate(material.tlsCert) : undefined;
  // One of the two is present (checked above).
  const validUntil = ssh?.validBefore ?? (tls as NonNullable<typeof tls>).expires;
  return {
    username: ssh?.username ?? tls?.username ?? '',
    cluster: ssh?.routeToCluster ?? tls?.routeToCluster ?? tls?.teleportCluster ?? '',
    roles: ssh?.roles ?? tls?.groups ?? [],
    logins: (ssh?.logins ?? tls?.principals ?? []).filter((l) => !isInternalLogin(l)),
    traits: ssh?.traits ?? tls?.traits ?? {},
    kubernetesUsers: tls?.kubernetesUsers ?? [],
    kubernetesGroups: tls?.kubernetesGroups ?? [],
    activeRequests: ssh?.activeRequests ?? tls?.activeRequests ?? [],
    validUntil,
    expired: validUntil.getTime() <= now.getTime(),
    extensions: Object.keys(sshCert?.extensions ?? {}).filter(isOpenSSHPermission).sort(),
  };
}

/** OpenSSH's own extensions, the ones worth showing a user. */
function isOpenSSHPermission(ext: string): boolean {
  return ext.startsWith('permit-') || ext === 'no-touch-required';
}

/** Go's default time format in UTC: "2026-11-21 17:00:00 +0000 UTC". */
export function formatGoTimeUTC(t: Date): string {
  const iso = t.toISOString(); // 2026-11-21T17:00:00.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/** "[valid for 11h59m0s]", "[valid for <1m]" or "[EXPIRED]", rounded to the minute as upstream. */
export function validityNote(validUntil: Date, now: Date): string {
  const left = validUntil.getTime() - now.getTime();
  if (left <= 0) return 'EXPIRED';
  if (left < 60_000) return 'valid for <1m';
  return `valid for ${formatDuration(Math.round(left / 60_000) * 60_000)}`;
}

const row = (label: string, value: string): string => `  ${`${label}:`.padEnd(20)}${value}\n`;

/** Formats one profile or identity file the way `tsh status` prints it. */
export function formatStatus(p: ProfileStatus, now: Date): string {
  const { info } = p;
  const lines: string[] = [];
  const first = p.profileURL !== undefined ? row('Profile URL', p.profileURL) : row('Identity file', p.identityFile ?? '');
  lines.push(`${p.active ? '>' : ' '}${first.slice(1)}`);
  if (p.identityFile !== undefined && p.profileURL !== undefined) lines.push(row('Identity file', p.identityFile));
  lines.push(row('Logged in as', info.username));
  if (info.activeRequests.length > 0) lines.push(row('Active requests', info.activeRequests.join(', ')));
  if (info.cluster) lines.push(row('Cluster', info.cluster));
  lines.push(row('Roles', info.roles.join(', ')));
  if (info.logins.length > 0) lines.push(row('Logins', info.logins.join(', ')));
  if (info.kubernetesUsers.length > 0 || info.kubernetesGroups.length > 0) {
    lines.push(row('Kubernetes', 'enabled'));
    if (info.kubernetesUsers.length > 0) lines.push(row('Kubernetes users', info.kubernetesUsers.join(', ')));
    if (info.kubernetesGroups.length > 0) lines.push(row('Kubernetes groups', info.kubernetesGroups.join(', ')));
  } else {
    lines.push(row('Kubernetes', 'disabled'));
  }
  const expired = info.validUntil.getTime() <= now.getTime();
  lines.push(row('Valid until', `${formatGoTimeUTC(info.validUntil)} [${expired ? 'EXPIRED' : validityNote(info.validUntil, now)}]`));
  lines.push(row('Extensions', info.extensions.join(', ')));
  return lines.join('');
}

/**
 * Formats the whole `tsh status` output: the active profile first, then the others separated by
 * blank lines; "Not logged in." when there is nothing.
 */
export function formatStatusList(profiles: ProfileStatus[], now: Date): string {
  if (profiles.length === 0) return 'Not logged in.\n';
  const ordered = [...profiles.filter((p) => p.active), ...profiles.filter((p) => !p.active)];
  return ordered.map((p) => formatStatus(p, now)).join('\n');
}
