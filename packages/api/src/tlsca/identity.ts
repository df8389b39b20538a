/**
 * @module tlsca/identity
 * The identity carried by a Teleport X.509 certificate and its encoding in the certificate Subject
 * (see the "Certificates" section of the reference): CN = username, O = roles, OU = usage, L = logins,
 * STREET = route-to-cluster, POSTALCODE = traits JSON, and Teleport's 1.3.9999.* attributes for the rest.
 *
 * Every value gets its own RDN, so the order of multi-valued fields (roles, logins, ...) survives a round
 * trip; inside one multi-valued RDN, DER's SET OF ordering would shuffle them. Values are passed to
 * @peculiar/x509 as explicit string objects: its plain-string path unquotes and unescapes text, which would
 * corrupt traits JSON. Client-safe: imports no server code.
 */
import 'reflect-metadata'; // must precede @peculiar/x509 (it resolves algorithms through tsyringe)
import * as x509 from '@peculiar/x509';
import type { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { BadParameterError } from '../errors.ts';
import type { Traits } from '../types/user.ts';
import { NAME_OIDS, TELEPORT_OIDS } from './oids.ts';

/** Route to an application, for app access certificates. */
export interface RouteToApp {
  sessionId: string;
  publicAddr: string;
  clusterName: string;
  name: string;
}

/** Route to a database, for database access certificates. */
export interface RouteToDatabase {
  serviceName: string;
  protocol: string;
  username?: string;
  database?: string;
}

/** Who a certificate speaks for and what it is routed to. */
export interface Identity {
  /** Username (or host ID for service certificates): CN. */
  username: string;
  /** Roles: O, one value each. */
  groups: string[];
  /** Usage restrictions: OU. */
  usage?: string[];
  /** Allowed logins: L. */
  principals?: string[];
  /** Cluster to route to: STREET. */
  routeToCluster?: string;
  /** Traits: POSTALCODE, as JSON. */
  traits?: Traits;
  kubernetesUsers?: string[];
  kubernetesGroups?: string[];
  kubernetesCluster?: string;
  routeToApp?: RouteToApp;
  /** Cluster that issued the certificate. */
  teleportCluster?: string;
  /** MFA device ID that verified this session. */
  mfaVerified?: string;
  loginIP?: string;
  routeToDatabase?: RouteToDatabase;
  activeRequests?: string[];
  /** System roles of a service certificate (Node, Proxy, ...). */
  systemRoles?: string[];
  botName?: string;
  /** Certificate expiry (notAfter). Not encoded in the Subject: the issuer sets notAfter. */
  expires: Date;
}

/** Anything identityFromCertificate accepts: PEM text, DER bytes, or a parsed certificate. */
export type CertificateInput = string | Buffer | Uint8Array | x509.X509Certificate | NodeX509Certificate;

/** Whether a value may be written as a PrintableString (else it is a UTF8String). */
export function isPrintableString(value: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
}

/** One attribute of an identity's Subject, in Subject order. */
export interface IdentityAttribute {
  oid: string;
  value: string;
}

/**
 * The Subject attributes of an identity, one RDN each, in the order they are written. Both
 * {@link identityToName} and the auth server's DER certificate encoder build the Subject from this
 * list, so the two cannot drift apart.
 */
export function identityAttributes(id: Identity): IdentityAttribute[] {
  if (!id.username) throw new BadParameterError('identity has no username: every certificate needs a CN');
  const out: IdentityAttribute[] = [];
  const add = (oid: string, values: readonly string[] | string | undefined): void => {
    const list = typeof values === 'string' ? [values] : (values ?? []);
    // Empty values carry no information and some decoders refuse empty strings: leave them out.
    for (const value of list) if (value !== '') out.push({ oid, value });
  };
  add(NAME_OIDS.commonName, id.username);
  add(NAME_OIDS.organization, id.groups);
  add(NAME_OIDS.organizationalUnit, id.usage);
  add(NAME_OIDS.locality, id.principals);
  add(NAME_OIDS.streetAddress, id.routeToCluster);
  if (id.traits && Object.keys(id.traits).length > 0) add(NAME_OIDS.postalCode, JSON.stringify(id.traits));
  add(TELEPORT_OIDS.kubeUsers, id.kubernetesUsers);
  add(TELEPORT_OIDS.kubeGroups, id.kubernetesGroups);
  add(TELEPORT_OIDS.kubeCluster, id.kubernetesCluster);
  if (id.routeToApp) {
    add(TELEPORT_OIDS.appSessionId, id.routeToApp.sessionId);
    add(TELEPORT_OIDS.appPublicAddr, id.routeToApp.publicAddr);
    add(TELEPORT_OIDS.appClusterName, id.routeToApp.clusterName);
    add(TELEPORT_OIDS.appName, id.routeToApp.name);
  }
  add(TELEPORT_OIDS.teleportCluster, id.teleportCluster);
  add(TELEPORT_OIDS.mfaVerified, id.mfaVerified);
  add(TELEPORT_OIDS.loginIP, id.loginIP);
  if (id.routeToDatabase) {
    add(TELEPORT_OIDS.dbServiceName, id.routeToDatabase.serviceName);
    add(TELEPORT_OIDS.dbProtocol, id.routeToDatabase.protocol);
    add(TELEPORT_OIDS.dbUsername, id.routeToDatabase.username);
    add(TELEPORT_OIDS.dbName, id.routeToDatabase.database);
  }
  add(TELEPORT_OIDS.activeRequests, id.activeRequests);
  add(TELEPORT_OIDS.systemRoles, id.systemRoles);
  add(TELEPORT_OIDS.botName, id.botName);
  return out;
}

/** Builds the certificate Subject for an identity. */
export function identityToName(id: Identity): x509.Name {
  return new x509.Name(
    identityAttributes(id).map(({ oid, value }) => ({ [oid]: [isPrintableString(value) ? { printableString: value } : { utf8String: value }] })),
  );
}

/** Parses any accepted certificate form into a @peculiar/x509 certificate. */
export function parseCertificate(cert: CertificateInput): x509.X509Certificate {
  if (cert instanceof x509.X509Certificate) return cert;
  try {
    if (typeof cert === 'string') return new x509.X509Certificate(cert);
    if (cert instanceof Uint8Array) return new x509.X509Certificate(Uint8Array.from(cert));
    return new x509.X509Certificate(cert.raw);
  } catch (err) {
    throw new BadParameterError('could not parse the X.509 certificate: expected PEM "CERTIFICATE" or DER bytes', {
      cause: err,
    });
  }
}

function parseTraits(json: string): Traits {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new BadParameterError('certificate traits (POSTALCODE) are not valid JSON', { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadParameterError('certificate traits (POSTALCODE) must be a JSON object of string lists');
  }
  const traits: Traits = {};
  for (const [key, values] of Object.entries(parsed)) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
      throw new BadParameterError(`certificate trait "${key}" must be a list of strings`);
    }
    traits[key] = values as string[];
  }
  return traits;
}

/** Reads the identity out of a certificate's Subject; `expires` is the certificate's notAfter. */
export function identityFromCertificate(cert: CertificateInput): Identity {
  const parsed = parseCertificate(cert);
  const name = parsed.subjectName;
  const all = (oid: string): string[] => name.getField(oid);
  const many = (oid: string): string[] | undefined => {
    const values = all(oid);
    return values.length > 0 ? values : undefined;
  };
  const one = (oid: string): string | undefined => all(oid)[0];

  const username = one(NAME_OIDS.commonName);
  if (!username) throw new BadParameterError('certificate subject has no common name: it does not carry a Teleport identity');
  const id: Identity = { username, groups: all(NAME_OIDS.organization), expires: parsed.notAfter };
  const set = <K extends keyof Identity>(key: K, value: Identity[K] | undefined): void => {
    if (value !== undefined) id[key] = value;
  };
  set('usage', many(NAME_OIDS.organizationalUnit));
  set('principals', many(NAME_OIDS.locality));
  set('routeToCluster', one(NAME_OIDS.streetAddress));
  const traits = one(NAME_OIDS.postalCode);
  if (traits !== undefined) id.traits = parseTraits(traits);
  set('kubernetesUsers', many(TELEPORT_OIDS.kubeUsers));
  set('kubernetesGroups', many(TELEPORT_OIDS.kubeGroups));
  set('kubernetesCluster', one(TELEPORT_OIDS.kubeCluster));
  const app = [TELEPORT_OIDS.appSessionId, TELEPORT_OIDS.appPublicAddr, TELEPORT_OIDS.appClusterName, TELEPORT_OIDS.appName]
    .map((oid) => one(oid));
  if (app.some((v) => v !== undefined)) {
    const [sessionId = '', publicAddr = '', clusterName = '', appName = ''] = app;
    id.routeToApp = { sessionId, publicAddr, clusterName, name: appName };
  }
  set('teleportCluster', one(TELEPORT_OIDS.teleportCluster));
  set('mfaVerified', one(TELEPORT_OIDS.mfaVerified));
  set('loginIP', one(TELEPORT_OIDS.loginIP));
  const serviceName = one(TELEPORT_OIDS.dbServiceName);
  const protocol = one(TELEPORT_OIDS.dbProtocol);
  const dbUser = one(TELEPORT_OIDS.dbUsername);
  const dbName = one(TELEPORT_OIDS.dbName);
  if ([serviceName, protocol, dbUser, dbName].some((v) => v !== undefined)) {
    const db: RouteToDatabase = { serviceName: serviceName ?? '', protocol: protocol ?? '' };
    if (dbUser !== undefined) db.username = dbUser;
    if (dbName !== undefined) db.database = dbName;
    id.routeToDatabase = db;
  }
  set('activeRequests', many(TELEPORT_OIDS.activeRequests));
  set('systemRoles', many(TELEPORT_OIDS.systemRoles));
  set('botName', one(TELEPORT_OIDS.botName));
  return id;
}
