/**
 * @module tool/tsh/dbAccess
 * What the `tsh db` and `tsh proxy db` commands share: the logged-in profile and its database key
 * store, the database login itself (find the database, pick the db user, issue the certificate, pin
 * the proxy's certificate chain, remember the proxy's database listeners in the profile, write the
 * MySQL option file), "log in if needed" for connect/proxy, and the connection profile the
 * renderers in client/db/dbProfile.ts turn into env, config and command lines.
 */
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { databasesFromServers, findDatabase, type DatabaseInfo } from '../../client/db/databases.ts';
import { DbKeyStore, type DbCredentials, type DbKeyOwner } from '../../client/db/dbKeyStore.ts';
import { allowedDbUsers, chooseDbUser, issueDatabaseCert, proxyDatabaseAddrs, readOwnRoles } from '../../client/db/dbLogin.ts';
import { mysqlOptionFile, type DbConnectionProfile } from '../../client/db/dbProfile.ts';
import type { ProxyVerification } from '../../client/db/localProxy.ts';
import { fetchProxyChain } from '../../client/db/proxyTrust.ts';
import { saveProfile, type Profile } from '../../client/profile.ts';
import { WebClient } from '../../client/webClient.ts';
import { authClientFor, loadClusterAccess, type ClusterAccess, type ClusterFlags } from './cluster.ts';
import type { TshContext } from './context.ts';

/** Flags of the commands that log in to a database. */
export type DbFlags = ClusterFlags & { dbUser?: string; dbName?: string };

/** The logged-in user's database side. */
export interface DbSession {
  access: ClusterAccess;
  profile: Profile;
  owner: DbKeyOwner;
  store: DbKeyStore;
}

/** Loads the profile for database commands; identity files (-i) have no place to keep db certificates. */
export async function loadDbSession(ctx: TshContext, flags: ClusterFlags): Promise<DbSession> {
  if (flags.identity) {
    throw new BadParameterError('database commands keep certificates in the tsh profile: log in with "tsh login" instead of using -i');
  }
  const access = await loadClusterAccess(ctx, flags);
  const profile = access.creds.profile as Profile;
  return { access, profile, owner: { proxyHost: access.proxyHost, user: profile.user, cluster: access.cluster }, store: new DbKeyStore(ctx.keyStore) };
}

/** Lists the databases the user can see (deduplicated db_server records). */
export async function listDatabases(auth: AuthClient): Promise<DatabaseInfo[]> {
  return databasesFromServers(await auth.listResources('db_server'));
}

/** The database named on the command line, else the only one logged in to. */
export async function pickLoggedInDb(s: DbSession, name: string | undefined): Promise<string> {
  if (name) return name;
  const dbs = await s.store.list(s.owner);
  if (dbs.length === 1) return dbs[0] as string;
  if (dbs.length === 0) throw new NotFoundError('you are not logged in to any database: run "tsh db login <db>" ("tsh db ls" lists them)');
  throw new BadParameterError(`you are logged in to several databases (${dbs.join(', ')}): name one`);
}

/** Loads a database login or says how to get one. */
export async function requireDbLogin(s: DbSession, db: string): Promise<DbCredentials> {
  const creds = await s.store.load(s.owner, db);
  if (!creds) throw new NotFoundError(`you are not logged in to database "${db}": run "tsh db login ${db}"`);
  return creds;
}

/** Runs `tsh db login`: see the module comment. Returns the saved credentials. */
export async function dbLogin(ctx: TshContext, s: DbSession, dbName: string, flags: DbFlags): Promise<DbCredentials> {
  const auth = authClientFor(ctx, s.access);
  const db = findDatabase(await listDatabases(auth), dbName);
  const tlsCert = s.access.creds.tlsCert as string;
  const identity = identityFromCertificate(tlsCert);
  let dbUser = flags.dbUser;
  if (!dbUser) {
    const roles = await readOwnRoles(auth, identity.groups);
    dbUser = chooseDbUser(db.name, undefined, allowedDbUsers(roles, identity), roles !== undefined);
  }
  const cert = await issueDatabaseCert(auth, {
    db: db.name, protocol: db.protocol, dbUser, ...(flags.dbName && { dbName: flags.dbName }),
    ttlMs: identity.expires.getTime() - ctx.now().getTime(),
  });

  const insecure = flags.insecure === true || s.profile.insecure === true;
  const ping = await new WebClient({ proxyAddr: s.access.webProxyAddr, insecure }).ping();
  const addrs = proxyDatabaseAddrs(ping, s.access.proxyHost);
  const { postgresProxyAddr: _p, mysqlProxyAddr: _m, ...rest } = s.profile;
  s.profile = { ...rest, ...(addrs.postgres && { postgresProxyAddr: addrs.postgres }), ...(addrs.mysql && { mysqlProxyAddr: addrs.mysql }) };
  await saveProfile(ctx.home, s.profile, { makeCurrent: false });

  // The proxy presents its web certificate on every database route (proxy/db/tlsUpgrade.ts), so its
  // chain, completed with its root, is what clients verify the proxy with.
  const proxyCAs = await fetchProxyChain(s.access.webProxyAddr, insecure);
  await s.store.save(s.owner, db.name, { certPEM: cert.certPEM, keyPEM: cert.keyPEM, proxyCAs });
  const saved = await requireDbLogin(s, db.name);
  if (db.protocol === 'mysql') {
    await s.store.saveOptionFile(s.owner, db.name, mysqlOptionFile(connectionProfile(s, saved),
      `Written by tsh db login for database "${db.name}" (${s.owner.user} at ${s.owner.proxyHost}); rewritten at every login.`));
  }
  return saved;
}

/** True when `creds` can be used as they are for the requested db user and name. */
export function loginFits(creds: DbCredentials | undefined, now: Date, flags: DbFlags): boolean {
  if (!creds || creds.expires.getTime() <= now.getTime() + 60_000) return false;
  if (flags.dbUser && flags.dbUser !== creds.route.username) return false;
  if (flags.dbName && flags.dbName !== (creds.route.database ?? '')) return false;
  return true;
}

/**
 * The login `tsh db connect` and `tsh proxy db` use: the saved one when it is still valid and for
 * the same db user and name, else a new login (keeping the saved user/name unless flags change them).
 */
export async function ensureDbLogin(ctx: TshContext, s: DbSession, db: string, flags: DbFlags): Promise<DbCredentials> {
  const saved = await s.store.load(s.owner, db).catch(() => undefined);
  if (saved && loginFits(saved, ctx.now(), flags)) return saved;
  const keep = saved?.route;
  return dbLogin(ctx, s, db, {
    ...flags,
    ...(!flags.dbUser && keep?.username && { dbUser: keep.username }),
    ...(!flags.dbName && !flags.dbUser && keep?.database && { dbName: keep.database }),
  });
}

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
}

/** Where and how a client connects to a logged-in database (see client/db/dbProfile.ts). */
export function connectionProfile(s: DbSession, creds: DbCredentials): DbConnectionProfile {
  const protocol = creds.route.protocol === 'mysql' ? 'mysql' : 'postgres';
  // PostgreSQL works on the web port too (the proxy sniffs the SSLRequest); MySQL needs its listener.
  const addr = protocol === 'postgres' ? (s.profile.postgresProxyAddr ?? s.access.webProxyAddr) : s.profile.mysqlProxyAddr;
  return {
    name: creds.db,
    protocol,
    ...(addr && splitAddr(addr)),
    ...(creds.route.username && { user: creds.route.username }),
    ...(creds.route.database && { database: creds.route.database }),
    caPath: creds.paths.proxyCAPath,
    certPath: creds.paths.certPath,
    keyPath: creds.paths.keyPath,
    sslMode: s.profile.insecure ? 'verify-ca' : 'verify-full',
    ...(protocol === 'mysql' && { optionFilePath: creds.paths.optionFilePath }),
  };
}

/** How the local proxy checks the proxy: --insecure now, pinned chain for an insecure profile, else fully. */
export function proxyVerification(s: DbSession, flags: ClusterFlags): ProxyVerification {
  if (flags.insecure) return 'none';
  return s.profile.insecure ? 'ca' : 'full';
}
