/**
 * @module auth/dbCerts
 * Certificates from the cluster's **db CA** (Teleport's self-hosted database model):
 * - client certificates for the database service's own connections to a database, with CN = the
 *   database user (PostgreSQL `cert` auth maps CN to the role; MySQL/MariaDB check
 *   `REQUIRE SUBJECT '/CN=alice'` or `REQUIRE X509`), at most one hour long;
 * - server certificates for the databases themselves (`tctl auth sign --format=db`), with the
 *   database's host names and IPs as SANs, so the database service can verify them with the same CA.
 * Who may ask for which is decided in AuthWithRoles; this file only issues, and audits (cert.create).
 */
import { isIP } from 'node:net';
import { BadParameterError } from '@teleport-ts/api/errors';
import { publicKeyFromPEM } from '@teleport-ts/api/keys';
import { issueTLSCert } from '../ca/tlsCA.ts';
import { certCreateEvent } from '../events/newEvent.ts';
import type { IssuerDeps } from './certs.ts';

/** Longest client certificate the database service may get for its upstream connections. */
export const DB_CLIENT_CERT_MAX_TTL_MS = 60 * 60 * 1000;
/** Default lifetime of a database server certificate (tctl auth sign --format=db without --ttl). */
export const DB_SERVER_CERT_DEFAULT_TTL_MS = 12 * 60 * 60 * 1000;

/** A request for a certificate from the db CA. */
export interface DatabaseCertRequest {
  /** PEM (SPKI) public key to certify. */
  tlsPublicKey: string;
  /** Subject CN: the database user (client) or the database's main host name (server). */
  commonName: string;
  /** Host names / IPs for the SANs of a server certificate. */
  serverNames?: string[];
  ttlMs: number;
  usage: 'client' | 'server';
}

/** The issued certificate and the db CA certificates (PEM). */
export interface DatabaseCert {
  certPEM: string;
  caCerts: string[];
}

/** Issues a certificate from the db CA. `actor` is recorded in the audit event. */
export async function issueDatabaseCert(deps: IssuerDeps, req: DatabaseCertRequest, actor: string): Promise<DatabaseCert> {
  if (!req.tlsPublicKey) throw new BadParameterError('no public key given: send the PEM public key to certify');
  if (!req.commonName) throw new BadParameterError('a database certificate needs a common name (the database user, or the database host)');
  if (req.usage !== 'client' && req.usage !== 'server') throw new BadParameterError(`usage must be "client" or "server", got "${String(req.usage)}"`);
  if (!(req.ttlMs > 0)) throw new BadParameterError('a database certificate needs a positive TTL');
  const names = [...new Set((req.serverNames ?? []).map((n) => n.trim()).filter(Boolean))];
  if (req.usage === 'server' && names.length === 0) names.push(req.commonName);
  const notAfter = new Date(deps.clock.nowMs() + req.ttlMs);
  const certPEM = issueTLSCert({
    ...(await deps.keyring.tlsSigner('db')),
    publicKey: publicKeyFromPEM(req.tlsPublicKey),
    identity: { username: req.commonName, groups: [], expires: notAfter },
    notAfter,
    clock: deps.clock,
    usage: req.usage,
    dnsNames: names.filter((n) => isIP(n) === 0),
    ipAddresses: names.filter((n) => isIP(n) !== 0),
  });
  await deps.audit.emit({
    ...certCreateEvent({ identity: { user: req.commonName, roles: [], expires: notAfter, impersonator: actor }, certType: 'db' }),
    user: actor,
  });
  return { certPEM, caCerts: await deps.keyring.tlsCerts('db') };
}
