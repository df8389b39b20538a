/**
 * @module client/db/dbKeyStore
 * Database certificates in the tsh home, next to the user's key (upstream's layout; the per-database
 * key is upstream's since v15):
 *
 * ```
 * <home>/keys/<proxy>/<user>-db/<cluster>/<db>-x509.pem      database certificate (RouteToDatabase inside)
 * <home>/keys/<proxy>/<user>-db/<cluster>/<db>.key           its private key, PKCS#8 PEM (what libpq and mysql read)
 * <home>/keys/<proxy>/<user>-db/<cluster>/<db>-proxy-ca.pem  CAs that verify the proxy's certificate
 * <home>/keys/<proxy>/<user>-db/<cluster>/<db>.my.cnf        MySQL option file (MySQL databases)
 * ```
 *
 * The user's own key (`<proxy>/<user>`) is kept in OpenSSH format for ssh, which database clients
 * cannot read, so each database gets its own key. Files are 0600 in 0700 directories and replaced
 * atomically; the key is written before the certificate and {@link DbKeyStore.load} checks they
 * match, so an interrupted login says "log in again" instead of failing inside psql. `tsh logout`
 * removes the whole `<user>-db` directory (KeyStore.deleteKey).
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BadParameterError, TrustError } from '@teleport-ts/api/errors';
import { identityFromCertificate, type RouteToDatabase } from '@teleport-ts/api/tlsca/identity';
import { readOptional, safeName as safePathName, type KeyStore } from '../keyStore.ts';
import { ensurePrivateDir, writeFileAtomic } from '../profile.ts';

/** Where one database's files live. */
export interface DbCertPaths {
  dir: string;
  certPath: string;
  keyPath: string;
  proxyCAPath: string;
  optionFilePath: string;
}

/** Who the files belong to. */
export interface DbKeyOwner {
  proxyHost: string;
  user: string;
  cluster: string;
}

/** A saved database login. */
export interface DbCredentials {
  db: string;
  certPEM: string;
  keyPEM: string;
  /** PEM certificates that verify the proxy. */
  proxyCAs: string[];
  route: RouteToDatabase;
  expires: Date;
  paths: DbCertPaths;
}

const CERT_SUFFIX = '-x509.pem';

/** Database names become file names: as for every key store name, and no hidden files either. */
function safeName(name: string, what: string): string {
  if (name.startsWith('.')) throw new BadParameterError(`invalid ${what} "${name}"`);
  return safePathName(name, what);
}

/** Splits a PEM bundle into certificates. */
export function splitPEMCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

/** Database certificates under the user's key directory. */
export class DbKeyStore {
  constructor(private readonly keys: KeyStore) {}

  /** `<home>/keys/<proxy>/<user>-db/<cluster>`. */
  dir(o: DbKeyOwner): string {
    return join(`${this.keys.keyPath(o.proxyHost, o.user)}-db`, safeName(o.cluster, 'cluster name'));
  }

  /** Paths of one database's files. */
  paths(o: DbKeyOwner, db: string): DbCertPaths {
    const dir = this.dir(o);
    const base = join(dir, safeName(db, 'database name'));
    return { dir, certPath: `${base}${CERT_SUFFIX}`, keyPath: `${base}.key`, proxyCAPath: `${base}-proxy-ca.pem`, optionFilePath: `${base}.my.cnf` };
  }

  /** Saves a database login, replacing the previous one for this database. */
  async save(o: DbKeyOwner, db: string, creds: { certPEM: string; keyPEM: string; proxyCAs: string[] }): Promise<DbCertPaths> {
    const p = this.paths(o, db);
    await ensurePrivateDir(`${this.keys.keyPath(o.proxyHost, o.user)}-db`);
    await ensurePrivateDir(p.dir);
    await writeFileAtomic(p.proxyCAPath, creds.proxyCAs.join(''));
    await writeFileAtomic(p.keyPath, creds.keyPEM);
    await writeFileAtomic(p.certPath, creds.certPEM);
    return p;
  }

  /** Writes the MySQL option file of a database. */
  async saveOptionFile(o: DbKeyOwner, db: string, text: string): Promise<string> {
    const p = this.paths(o, db);
    await writeFileAtomic(p.optionFilePath, text);
    return p.optionFilePath;
  }

  /** Loads a database login; undefined when there is none. Throws TrustError for a torn one. */
  async load(o: DbKeyOwner, db: string): Promise<DbCredentials | undefined> {
    const p = this.paths(o, db);
    const [certPEM, keyPEM, caText] = await Promise.all([p.certPath, p.keyPath, p.proxyCAPath].map(readOptional));
    if (certPEM === undefined || keyPEM === undefined) return undefined;
    const cert = new X509Certificate(certPEM);
    if (!cert.publicKey.equals(createPublicKey(keyPEM))) {
      throw new TrustError(`the saved certificate of database "${db}" was issued for another key (an interrupted login?): run "tsh db login ${db}" again`);
    }
    const id = identityFromCertificate(cert);
    if (!id.routeToDatabase) throw new TrustError(`${p.certPath} is not a database certificate: run "tsh db login ${db}" again`);
    return { db, certPEM, keyPEM, proxyCAs: splitPEMCertificates(caText ?? ''), route: id.routeToDatabase, expires: id.expires, paths: p };
  }

  /** Names of the databases with a saved login, sorted. */
  async list(o: DbKeyOwner): Promise<string[]> {
    const entries = await readdir(this.dir(o)).catch(() => [] as string[]);
    return entries.filter((e) => e.endsWith(CERT_SUFFIX) && !e.startsWith('.')).map((e) => e.slice(0, -CERT_SUFFIX.length)).sort();
  }

  /** Removes one database's files, or every database's when `db` is omitted. True when something was removed. */
  async delete(o: DbKeyOwner, db?: string): Promise<boolean> {
    if (db === undefined) {
      const had = (await this.list(o)).length > 0;
      await rm(this.dir(o), { recursive: true, force: true });
      return had;
    }
    const p = this.paths(o, db);
    const had = (await readOptional(p.certPath)) !== undefined;
    for (const f of [p.certPath, p.keyPath, p.proxyCAPath, p.optionFilePath]) await rm(f, { force: true });
    return had;
  }
}
