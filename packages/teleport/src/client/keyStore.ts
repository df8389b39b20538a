/**
 * @module client/keyStore
 * The keys and certificates tsh keeps in its home directory, laid out like upstream's FSKeyStore:
 *
 * ```
 * <home>/known_hosts                                  @cert-authority lines for cluster host CAs
 * <home>/keys/<proxy>/<user>                          private key (OpenSSH format for Ed25519), 0600
 * <home>/keys/<proxy>/<user>.pub                      public key (authorized_keys line)
 * <home>/keys/<proxy>/<user>.crt                      X.509 user certificate
 * <home>/keys/<proxy>/<user>-ssh/<cluster>-cert.pub   OpenSSH user certificate
 * <home>/keys/<proxy>/cas/<cluster>.pem               cluster TLS CA certificates
 * ```
 *
 * Directories are 0700 and files 0600. Every file is replaced atomically (temp file + rename); the
 * private key is written last and {@link KeyStore.loadKey} checks that key and certificates belong
 * together, so a crash in the middle of a login is reported as "log in again", never used half-done.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BadParameterError, NotFoundError, TrustError } from '@teleport-ts/api/errors';
import {
  formatKnownHostsCALine, loadPrivateKey, parseKnownHostsCALine, privateKeyForOpenSSH,
} from '@teleport-ts/api/identityFile';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { parseAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { ensurePrivateDir, isENOENT, loadProfile, removeProfile, writeFileAtomic } from './profile.ts';

/** Everything a login leaves on disk for one user of one proxy. */
export interface ClientKey {
  /** Proxy host name (no port): the directory under keys/. */
  proxyHost: string;
  user: string;
  /** Cluster the certificates are for. */
  cluster: string;
  /** Private key; stored in OpenSSH format when Ed25519 so OpenSSH can use it. */
  privateKeyPEM: string;
  /** authorized_keys line of the public key. */
  publicKeyLine: string;
  /** OpenSSH user certificate line. */
  sshCert: string;
  /** PEM X.509 user certificate. */
  tlsCert: string;
  /** PEM certificates of the TLS CAs to trust. */
  tlsCAs: string[];
  /** SSH host CA keys to trust, per cluster. */
  hostCAKeys: Array<{ clusterName: string; authorizedKey: string }>;
}

/** File system key store rooted at the tsh home directory. */
export class KeyStore {
  /** @param home the tsh home directory (see tshHome()). */
  constructor(readonly home: string) {}

  /** Directory of one proxy's keys. */
  proxyDir(proxyHost: string): string {
    return join(this.home, 'keys', safeName(proxyHost, 'proxy host'));
  }

  /** Path of the user's private key; the SSH certificate sits in `<user>-ssh/`. */
  keyPath(proxyHost: string, user: string): string {
    return join(this.proxyDir(proxyHost), safeName(user, 'user name'));
  }

  /** Path of the OpenSSH certificate for a cluster. */
  sshCertPath(proxyHost: string, user: string, cluster: string): string {
    return join(`${this.keyPath(proxyHost, user)}-ssh`, `${safeName(cluster, 'cluster name')}-cert.pub`);
  }

  /** Path of the known_hosts file with the clusters' host CAs. */
  get knownHostsPath(): string {
    return join(this.home, 'known_hosts');
  }

  /** Saves a key after login, replacing what was there for this proxy, user and cluster. */
  async saveKey(key: ClientKey): Promise<void> {
    const keyPath = this.keyPath(key.proxyHost, key.user);
    const casDir = join(this.proxyDir(key.proxyHost), 'cas');
    await ensurePrivateDir(this.home, false);
    await ensurePrivateDir(join(this.home, 'keys'));
    await ensurePrivateDir(this.proxyDir(key.proxyHost));
    await ensurePrivateDir(`${keyPath}-ssh`);
    await ensurePrivateDir(casDir);
    await writeFileAtomic(this.sshCertPath(key.proxyHost, key.user, key.cluster), line(key.sshCert));
    await writeFileAtomic(`${keyPath}.crt`, line(key.tlsCert));
    await writeFileAtomic(join(casDir, `${safeName(key.cluster, 'cluster name')}.pem`), key.tlsCAs.map(line).join(''));
    await writeFileAtomic(`${keyPath}.pub`, line(key.publicKeyLine));
    // The private key goes last: until it is renamed into place the old key (if any) no longer matches
    // the new certificates, which loadKey reports instead of using.
    await writeFileAtomic(keyPath, privateKeyForOpenSSH(key.privateKeyPEM));
    await this.addKnownHosts(key.proxyHost, key.hostCAKeys);
  }

  /**
   * Loads a saved key. `cluster` picks the SSH certificate when several clusters were logged into;
   * by default the only one, or the cluster that issued the TLS certificate.
   */
  async loadKey(proxyHost: string, user: string, cluster?: string): Promise<ClientKey> {
    const keyPath = this.keyPath(proxyHost, user);
    const notLoggedIn = `no credentials for ${user} at ${proxyHost}: run "tsh login --proxy=${proxyHost} --user=${user}"`;
    const [privateKeyPEM, publicKeyLine, tlsCert] = await Promise.all(
      [keyPath, `${keyPath}.pub`, `${keyPath}.crt`].map((p) => readOptional(p)),
    );
    if (privateKeyPEM === undefined || publicKeyLine === undefined || tlsCert === undefined) throw new NotFoundError(notLoggedIn);
    const chosen = cluster ?? (await this.defaultCluster(keyPath, tlsCert));
    if (!chosen) throw new NotFoundError(notLoggedIn);
    const sshCert = await readOptional(this.sshCertPath(proxyHost, user, chosen));
    if (sshCert === undefined) throw new NotFoundError(`no SSH certificate for cluster ${chosen}: run "tsh login --proxy=${proxyHost}"`);
    const key: ClientKey = {
      proxyHost, user, cluster: chosen,
      privateKeyPEM, publicKeyLine: publicKeyLine.trim(), sshCert: sshCert.trim(), tlsCert,
      tlsCAs: await this.loadTLSCAs(proxyHost),
      hostCAKeys: (await this.readKnownHosts()).filter((ca) => ca.hosts.includes(proxyHost) || ca.clusterName === chosen)
        .map(({ clusterName, authorizedKey }) => ({ clusterName, authorizedKey })),
    };
    checkKeyMatches(key);
    return key;
  }

  /**
   * Deletes the keys of `user` at `proxyHost` (every user when omitted) and the matching profile, as
   * `tsh logout` does. Other proxies' files are kept, and so is known_hosts (trust in a host CA
   * outlives a session, as upstream).
   */
  async deleteKey(proxyHost: string, user?: string): Promise<void> {
    const dir = this.proxyDir(proxyHost);
    if (user === undefined) {
      await rm(dir, { recursive: true, force: true });
    } else {
      const keyPath = this.keyPath(proxyHost, user);
      for (const suffix of ['', '.pub', '.crt', '-ssh', '-db', '-app', '-kube']) {
        await rm(`${keyPath}${suffix}`, { recursive: true, force: true });
      }
      const left = (await readdir(dir).catch(() => [] as string[])).filter((e) => e !== 'cas');
      if (left.length === 0) await rm(dir, { recursive: true, force: true });
    }
    const profile = await loadProfile(this.home, proxyHost).catch(() => undefined);
    if (profile && (user === undefined || profile.user === user)) await removeProfile(this.home, proxyHost);
  }

  /** Adds host CA lines to known_hosts, replacing older lines of the same clusters for this proxy. */
  async addKnownHosts(proxyHost: string, cas: ClientKey['hostCAKeys']): Promise<void> {
    if (cas.length === 0) return;
    const existing = (await readOptional(this.knownHostsPath)) ?? '';
    const clusters = new Set(cas.map((ca) => ca.clusterName));
    const kept = existing.split('\n').filter((l) => l.trim() !== '').filter((l) => {
      const ca = parseKnownHostsCALine(l);
      if (!ca || !clusters.has(ca.clusterName)) return true;
      // Lines of the same cluster reached through another proxy belong to that proxy's login.
      return !ca.hosts.includes(proxyHost) && ca.hosts.some((h) => h !== ca.clusterName && h !== `*.${ca.clusterName}`);
    });
    const added = cas.map((ca) => formatKnownHostsCALine(ca.clusterName, ca.authorizedKey, proxyHost));
    const lines = [...new Set([...kept, ...added])];
    await writeFileAtomic(this.knownHostsPath, `${lines.join('\n')}\n`);
  }

  /** The parsed @cert-authority lines of known_hosts. */
  async readKnownHosts(): Promise<Array<NonNullable<ReturnType<typeof parseKnownHostsCALine>>>> {
    const text = (await readOptional(this.knownHostsPath)) ?? '';
    return text.split('\n').map(parseKnownHostsCALine).filter((ca) => ca !== undefined);
  }

  /** Every TLS CA certificate saved for the proxy (all clusters), deduplicated. */
  async loadTLSCAs(proxyHost: string): Promise<string[]> {
    const casDir = join(this.proxyDir(proxyHost), 'cas');
    const files = (await readdir(casDir).catch(() => [] as string[])).filter((f) => f.endsWith('.pem')).sort();
    const out = new Set<string>();
    for (const f of files) {
      const text = await readFile(join(casDir, f), 'utf8');
      for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) out.add(`${m[0]}\n`);
    }
    return [...out];
  }

  private async defaultCluster(keyPath: string, tlsCert: string): Promise<string | undefined> {
    const certs = (await readdir(`${keyPath}-ssh`).catch(() => [] as string[]))
      .filter((f) => f.endsWith('-cert.pub')).map((f) => f.slice(0, -'-cert.pub'.length));
    if (certs.length <= 1) return certs[0];
    // Loaded here, not at the top: it pulls in @peculiar/x509, which every tsh start would pay for.
    const { identityFromCertificate } = await import('@teleport-ts/api/tlsca/identity');
    const issuer = identityFromCertificate(tlsCert).teleportCluster;
    if (issuer && certs.includes(issuer)) return issuer;
    throw new BadParameterError(`certificates for several clusters (${certs.join(', ')}) are saved: pick one with --cluster`);
  }
}

/** Throws TrustError when the private key does not belong to the saved public key or certificate. */
function checkKeyMatches(key: ClientKey): void {
  const publicKey = createPublicKey(loadPrivateKey(key.privateKeyPEM));
  const relogin = `run "tsh login --proxy=${key.proxyHost}" again`;
  const blob = sshPublicKeyBlob(publicKey);
  if (!parseAuthorizedKey(key.publicKeyLine).blob.equals(blob)) {
    throw new TrustError(`the saved private key does not match ${key.user}.pub (an interrupted login?): ${relogin}`);
  }
  if (!decodeCertificate(parseCertificateLine(key.sshCert)).publicKey.equals(blob)) {
    throw new TrustError(`the saved SSH certificate was issued for another key (an interrupted login?): ${relogin}`);
  }
  if (!new X509Certificate(key.tlsCert).publicKey.equals(publicKey)) {
    throw new TrustError(`the saved TLS certificate was issued for another key (an interrupted login?): ${relogin}`);
  }
}

/** Names become path components: refuse separators and dot names. */
export function safeName(name: string, what: string): string {
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new BadParameterError(`invalid ${what} "${name}"`);
  }
  return name;
}

/** A file's text, or undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isENOENT(err)) return undefined;
    throw err;
  }
}

function line(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}
