/**
 * @module client/db/dbLogin
 * Getting a database certificate: a fresh ECDSA P-256 key (what libpq, mysql and JDBC drivers all
 * read), a `generateUserCerts` call for the logged-in user with RouteToDatabase, and checks that the
 * answer is for that key and that route. Also: which database users the user's roles allow (to
 * pick the one when there is exactly one, or to list them in the error), and the proxy's database
 * addresses as the web ping advertises them.
 */
import { X509Certificate } from 'node:crypto';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError, BadParameterError, TrustError } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import { identityFromCertificate, type Identity, type RouteToDatabase } from '@teleport-ts/api/tlsca/identity';
import type { Role } from '@teleport-ts/api/types/role';
import { parseTemplate } from '@teleport-ts/api/types/validate/template';
import type { DatabaseProtocol } from './dbProfile.ts';

/** What `tsh db login` asks for. */
export interface DatabaseCertRequest {
  db: string;
  protocol: DatabaseProtocol;
  dbUser?: string;
  dbName?: string;
  /** Lifetime; the caller passes what is left of the user's session so the db certificate never outlives it. */
  ttlMs?: number;
}

/** A database certificate and its key. */
export interface DatabaseCert {
  certPEM: string;
  keyPEM: string;
  route: RouteToDatabase;
  expires: Date;
}

/** Requests a database certificate for the caller (a user renews their own certificates). */
export async function issueDatabaseCert(auth: AuthClient, req: DatabaseCertRequest): Promise<DatabaseCert> {
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  const certs = await auth.generateUserCerts({
    sshPublicKey: '', // no SSH certificate for a database key
    tlsPublicKey: publicKeyToPEM(publicKey),
    ...(req.ttlMs && req.ttlMs > 0 && { ttlMs: Math.floor(req.ttlMs) }),
    dbService: req.db, dbProtocol: req.protocol, dbUser: req.dbUser ?? '', dbName: req.dbName ?? '',
  });
  if (!certs.tlsCert) throw new TrustError('the cluster returned no database certificate: is it a version with database access?');
  const cert = new X509Certificate(certs.tlsCert);
  if (!cert.publicKey.equals(publicKey)) throw new TrustError('the cluster returned a database certificate for another key: try again');
  const id = identityFromCertificate(cert);
  if (id.routeToDatabase?.serviceName !== req.db) {
    throw new TrustError(`the cluster returned a certificate without the route to database "${req.db}": is it a version with database access?`);
  }
  return { certPEM: certs.tlsCert, keyPEM: privateKeyToPEM(privateKey), route: id.routeToDatabase, expires: id.expires };
}

/** Expands a role value with the user's traits: literals and plain `{{internal.x}}`/`{{external.x}}`; other functions are skipped. */
function expand(value: string, traits: Record<string, string[]>): string[] {
  let t;
  try {
    t = parseTemplate(value);
  } catch {
    return [];
  }
  if (t.kind === 'literal') return [t.value];
  if (t.expr.type !== 'var') return [];
  const name = t.expr.name;
  return (traits[name] ?? []).filter((v) => v !== '').map((v) => `${t.prefix}${v}${t.suffix}`);
}

/**
 * The database users the roles allow (deny removes exact values; a denied '*' allows nothing);
 * '*' in the result means "any". Without role definitions (the user may not read roles), the
 * `db_users` trait is the best guess.
 */
export function allowedDbUsers(roles: readonly Role[] | undefined, id: Pick<Identity, 'traits'>): string[] {
  const traits = (id.traits ?? {}) as Record<string, string[]>;
  if (!roles) return [...new Set(traits.db_users ?? [])].sort();
  const allow = new Set(roles.flatMap((r) => (r.spec.allow?.db_users ?? []).flatMap((v) => expand(v, traits))));
  const deny = new Set(roles.flatMap((r) => (r.spec.deny?.db_users ?? []).flatMap((v) => expand(v, traits))));
  if (deny.has('*')) return [];
  return [...allow].filter((u) => !deny.has(u)).sort();
}

/** Reads the definitions of the user's roles; undefined when the user may not read them. */
export async function readOwnRoles(auth: AuthClient, names: readonly string[]): Promise<Role[] | undefined> {
  try {
    return await Promise.all(names.map((n) => auth.getResource<Role>('role', n)));
  } catch (err) {
    if (err instanceof AccessDeniedError) return undefined;
    throw err;
  }
}

/** Picks the database user: the flag, else the only one allowed; otherwise says which to choose from. */
export function chooseDbUser(db: string, flag: string | undefined, allowed: readonly string[], fromRoles: boolean): string {
  if (flag) return flag;
  const concrete = allowed.filter((u) => u !== '*');
  if (concrete.length === 1 && !allowed.includes('*')) return concrete[0] as string;
  const source = fromRoles ? 'your roles allow' : 'your db_users trait lists';
  if (concrete.length > 1) {
    throw new BadParameterError(`please choose a database user for "${db}" with --db-user: ${source} ${concrete.join(', ')}`);
  }
  if (allowed.includes('*')) throw new BadParameterError(`please choose a database user for "${db}" with --db-user: your roles allow any user`);
  throw new BadParameterError(`please choose a database user for "${db}" with --db-user${fromRoles ? ': your roles allow none, so ask an administrator for db_users' : ''}`);
}

/** The proxy's dedicated database listeners as the ping advertises them (read defensively). */
export interface ProxyDatabaseAddrs {
  postgres?: string;
  mysql?: string;
}

/** Turns a listen address ("0.0.0.0:3036", ":3036") into one a client can dial (the proxy's host). */
export function dialableAddr(addr: string, proxyHost: string): string | undefined {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) return undefined;
  const host = m[1] ?? m[2] ?? '';
  const usable = host && host !== '0.0.0.0' && host !== '::' ? host : proxyHost;
  return `${usable.includes(':') ? `[${usable}]` : usable}:${m[3]}`;
}

/** Reads `proxy.db.{postgres,mysql}_{public,listen}_addr` from a ping response (public first). */
export function proxyDatabaseAddrs(ping: unknown, proxyHost: string): ProxyDatabaseAddrs {
  const proxy = (ping as { proxy?: { db?: Record<string, unknown> } } | undefined)?.proxy;
  const db = proxy?.db ?? {};
  const pick = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = db[k];
      if (typeof v === 'string' && v) return dialableAddr(v, proxyHost);
    }
    return undefined;
  };
  const postgres = pick('postgres_public_addr', 'postgres_listen_addr');
  const mysql = pick('mysql_public_addr', 'mysql_listen_addr');
  return { ...(postgres && { postgres }), ...(mysql && { mysql }) };
}
