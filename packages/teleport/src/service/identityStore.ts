/**
 * @module service/identityStore
 * A service's own credentials in its data directory: `<data_dir>/host_uuid` and
 * `<data_dir>/identity/<name>.json` (key, X.509 and SSH certificates, trusted CA certificates).
 * Files are written atomically with mode 0600 in a 0700 directory; keys never go to logs.
 */
import { mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';

/** What a service needs to authenticate to the cluster. */
export interface LocalIdentity {
  /** Host UUID of the process. */
  hostId: string;
  /** System role (Auth, Proxy, Node, Admin...). */
  role: string;
  /** PKCS#8 PEM private key for both certificates. */
  keyPEM: string;
  /** X.509 certificate (PEM) from the host CA. */
  certPEM: string;
  /** OpenSSH host certificate line, when the service speaks SSH. */
  sshCert?: string;
  /** TLS CA certificates to trust for cluster servers (host CA). */
  tlsCACerts: string[];
  /** TLS CA certificates of the user CA (servers that accept users). */
  userTLSCACerts?: string[];
  /** authorized_keys lines of the host and user SSH CAs. */
  sshHostCAKeys?: string[];
  sshUserCAKeys?: string[];
  /** Cluster name. */
  clusterName: string;
}

/** Writes a file atomically with mode 0600. */
export async function writeSecretFile(file: string, data: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  await writeFile(tmp, data, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** Path of a stored identity. */
export function identityPath(dataDir: string, name: string): string {
  return path.join(dataDir, 'identity', `${name.toLowerCase()}.json`);
}

/** Saves an identity under `<data_dir>/identity/<name>.json`. */
export async function saveIdentity(dataDir: string, name: string, id: LocalIdentity): Promise<void> {
  await writeSecretFile(identityPath(dataDir, name), `${JSON.stringify(id, null, 2)}\n`);
}

/** Loads an identity; NotFoundError when absent. */
export async function loadIdentity(dataDir: string, name: string): Promise<LocalIdentity> {
  const file = identityPath(dataDir, name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no ${name} identity at ${file}`);
    if ((err as NodeJS.ErrnoException).code === 'EACCES') {
      throw new BadParameterError(`cannot read ${file}: permission denied (run as the user that runs teleport, e.g. with sudo)`);
    }
    throw err;
  }
  try {
    return JSON.parse(text) as LocalIdentity;
  } catch {
    throw new BadParameterError(`${file} is corrupted: delete it and restart teleport to get a new identity`);
  }
}

/** Reads `<data_dir>/host_uuid`, creating it on first start. */
export async function readOrCreateHostUUID(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'host_uuid');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (id) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = randomUUID();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${id}\n`, { mode: 0o600 });
  return id;
}
