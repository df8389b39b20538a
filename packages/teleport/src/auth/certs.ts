/**
 * @module auth/certs
 * Issuing certificates: user SSH + X.509 pairs (contents per the reference: logins as principals,
 * TTL capped by roles, permit-* from roles, roles/traits embedded) and host certificates for
 * services. Every issuance is audited (cert.create).
 */
import { randomUUID } from 'node:crypto';
import { BadParameterError } from '@teleport-ts/api/errors';
import { parseSubjectPublicKey } from '../ca/subjectPublicKey.ts';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import { formatCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import type { Identity } from '@teleport-ts/api/tlsca/identity';
import type { Certs } from '@teleport-ts/api/client/authClient';
import type { Role } from '@teleport-ts/api/types/role';
import type { User } from '@teleport-ts/api/types/user';
import type { Clock } from '@teleport-ts/api/clock';
import { issueUserSSHCert, issueHostSSHCert } from '../ca/sshCertIssuer.ts';
import { CERT_TTL_MS, HOST_CERT_TTL_MS } from '../config/defaults.ts';
import { issueTLSCert } from '../ca/tlsCA.ts';
import { accessCheckerFor } from './checkerCache.ts';
import type { AuditLog } from '../events/auditLog.ts';
import type { Keyring } from './keyring.ts';
import { certCreateEvent } from '../events/newEvent.ts';
import { isIP } from 'node:net';

/** Server name on every host TLS certificate so clients can dial servers by IP. */
export const CLUSTER_LOCAL_DNS = 'teleport.cluster.local';

/** Dependencies of the issuers. */
export interface IssuerDeps {
  keyring: Keyring;
  clock: Clock;
  clusterName: string;
  audit: AuditLog;
}

/** A user certificate request after authentication and authorization. */
export interface UserCertParams {
  user: User;
  roles: Role[];
  sshPublicKey?: string;
  tlsPublicKey?: string;
  ttlMs?: number;
  loginIP?: string;
  routeToDatabase?: Identity['routeToDatabase'];
}

/** Issues the SSH and X.509 certificates of a user. */
export async function issueUserCerts(deps: IssuerDeps, p: UserCertParams): Promise<Certs> {
  if (!p.sshPublicKey && !p.tlsPublicKey) throw new BadParameterError('no public key given: send an SSH and/or TLS public key to sign');
  const traits = p.user.spec.traits ?? {};
  const checker = accessCheckerFor(p.roles, traits);
  const ttlMs = checker.adjustSessionTTL(p.ttlMs && p.ttlMs > 0 ? p.ttlMs : CERT_TTL_MS);
  let logins = checker.allowedLogins();
  // An SSH certificate with no principals is valid for every login in OpenSSH: never issue one.
  if (logins.length === 0) logins = [`-teleport-nologin-${randomUUID()}`];
  const username = p.user.metadata.name;
  const roleNames = p.roles.map((r) => r.metadata.name);
  const now = deps.clock.nowMs();
  const out: Certs = { username, sshCert: '', tlsCert: '', hostCAs: [], tlsCACerts: [] };

  if (p.sshPublicKey) {
    const blob = parseAuthorizedKey(p.sshPublicKey).blob;
    const cert = issueUserSSHCert({
      caPrivateKey: await deps.keyring.sshSigner('user'),
      publicKey: blob,
      username,
      logins,
      ttlMs,
      clock: deps.clock,
      permitAgentForwarding: checker.canForwardAgents(),
      permitPortForwarding: checker.canPortForward(),
      permitX11Forwarding: checker.canX11Forward(),
      roles: roleNames,
      traits,
      routeToCluster: deps.clusterName,
      ...(p.loginIP && { loginIP: p.loginIP }),
    });
    out.sshCert = formatCertificateLine(cert, username);
  }
  if (p.tlsPublicKey) {
    const identity: Identity = {
      username,
      groups: roleNames,
      principals: logins,
      traits,
      routeToCluster: deps.clusterName,
      teleportCluster: deps.clusterName,
      expires: new Date(now + ttlMs),
      ...(p.loginIP && { loginIP: p.loginIP }),
      ...(p.routeToDatabase && { routeToDatabase: p.routeToDatabase }),
    };
    const signer = await deps.keyring.tlsSigner('user');
    out.tlsCert = issueTLSCert({
      ...signer,
      publicKey: parseSubjectPublicKey(p.tlsPublicKey),
      identity,
      notAfter: identity.expires,
      clock: deps.clock,
      usage: 'client',
    });
  }
  out.hostCAs = [await deps.keyring.publicCA('host')];
  out.tlsCACerts = await deps.keyring.tlsCerts('host');
  await deps.audit.emit({
    ...certCreateEvent({ identity: { user: username, roles: roleNames, logins, expires: new Date(now + ttlMs), routeToCluster: deps.clusterName } }),
    user: username,
  });
  return out;
}

/** A host certificate request. */
export interface HostCertParams {
  hostId: string;
  nodeName: string;
  role: string;
  additionalPrincipals?: string[];
  dnsNames?: string[];
  sshPublicKey?: string;
  tlsPublicKey?: string;
  ttlMs?: number;
  /** The service that asked on the host's behalf (the proxy, for a node's forwarding certificate), for the audit event. */
  impersonator?: string;
}

/** Issues SSH and X.509 host certificates for a service. */
export async function issueHostCerts(deps: IssuerDeps, p: HostCertParams): Promise<Certs> {
  if (!p.hostId) throw new BadParameterError('host id is required');
  const ttlMs = p.ttlMs && p.ttlMs > 0 ? p.ttlMs : HOST_CERT_TTL_MS;
  const fqdn = `${p.hostId}.${deps.clusterName}`;
  const out: Certs = { username: fqdn, sshCert: '', tlsCert: '', hostCAs: [], tlsCACerts: [] };
  if (p.sshPublicKey) {
    const cert = issueHostSSHCert({
      caPrivateKey: await deps.keyring.sshSigner('host'),
      publicKey: parseAuthorizedKey(p.sshPublicKey).blob,
      hostId: p.hostId,
      nodeName: p.nodeName,
      clusterName: deps.clusterName,
      role: p.role,
      extraPrincipals: p.additionalPrincipals ?? [],
      ttlMs,
      clock: deps.clock,
    });
    out.sshCert = formatCertificateLine(cert, fqdn);
  }
  if (p.tlsPublicKey) {
    const dns = new Set([CLUSTER_LOCAL_DNS, `*.${CLUSTER_LOCAL_DNS}`, fqdn, p.hostId, p.nodeName, 'localhost', ...(p.dnsNames ?? [])]);
    const ips = ['127.0.0.1', '::1', ...(p.additionalPrincipals ?? []).filter((a) => isIP(a) !== 0)];
    const names = [...dns].filter((n) => n && isIP(n) === 0);
    out.tlsCert = issueTLSCert({
      ...(await deps.keyring.tlsSigner('host')),
      publicKey: parseSubjectPublicKey(p.tlsPublicKey),
      identity: { username: fqdn, groups: [p.role], systemRoles: [p.role], teleportCluster: deps.clusterName, expires: new Date(deps.clock.nowMs() + ttlMs) },
      notAfter: new Date(deps.clock.nowMs() + ttlMs),
      clock: deps.clock,
      dnsNames: names,
      ipAddresses: ips,
      usage: 'both',
    });
  }
  out.hostCAs = [await deps.keyring.publicCA('host')];
  out.tlsCACerts = await deps.keyring.tlsCerts('host');
  await deps.audit.emit(certCreateEvent({ identity: { user: fqdn, roles: [p.role], ...(p.impersonator && { impersonator: p.impersonator }) }, certType: 'host' }));
  return out;
}
