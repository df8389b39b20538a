/**
 * @module srv/openssh/keys
 * The files an agentless OpenSSH node keeps under `<data_dir>/openssh/` (a 0700 directory):
 *
 * | file | mode | what |
 * |---|---|---|
 * | `ssh_host_teleport_key` | 0600 | the host private key, in OpenSSH's own format |
 * | `ssh_host_teleport_key-cert.pub` | 0644 | its host certificate from the cluster's host CA |
 * | `teleport_user_ca.pub` | 0644 | the cluster's user CA keys, one per line (TrustedUserCAKeys) |
 * | `sshd.conf` | 0644 | the snippet sshd_config includes (see sshdConfig.ts) |
 * | `host_uuid` | 0600 | the node's host UUID, kept so a second join updates the same node |
 *
 * The key is converted from the identity's PKCS#8 PEM: OpenSSH 9.2 refuses PKCS#8 Ed25519 host keys
 * ("invalid format"). Every file is written to a temporary name and renamed, so sshd never reads a
 * half-written key.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BadParameterError } from '@teleport-ts/api/errors';
import { privateKeyFromPEM } from '@teleport-ts/api/keys';
import { parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { formatOpenSSHPrivateKey } from '@teleport-ts/api/sshcert/privateKey';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import { renderSnippet } from './sshdConfig.ts';

/** Name of the directory under the data dir. */
export const OPENSSH_DIR = 'openssh';

/** Absolute paths of the files under `<data_dir>/openssh/`. */
export interface OpenSSHPaths {
  dir: string;
  hostKey: string;
  hostCert: string;
  userCA: string;
  snippet: string;
  hostUUID: string;
}

/** Where the files live for `dataDir` (resolved to absolute paths: sshd needs them). */
export function openSSHPaths(dataDir: string): OpenSSHPaths {
  const dir = join(resolve(dataDir), OPENSSH_DIR);
  return {
    dir,
    hostKey: join(dir, 'ssh_host_teleport_key'),
    hostCert: join(dir, 'ssh_host_teleport_key-cert.pub'),
    userCA: join(dir, 'teleport_user_ca.pub'),
    snippet: join(dir, 'sshd.conf'),
    hostUUID: join(dir, 'host_uuid'),
  };
}

/** What the node's credentials consist of (from the joined identity). */
export interface OpenSSHCredentials {
  /** PKCS#8 PEM private key. */
  keyPEM: string;
  /** OpenSSH host certificate line for that key. */
  sshCert: string;
  /** authorized_keys lines of the cluster's user CA. */
  userCAKeys: string[];
  /** Host keys sshd loads today, kept in the snippet before Teleport's (see renderSnippet). */
  keepHostKeys?: string[];
}

/** The host key in OpenSSH's private key format, which sshd accepts for every key type. */
export function opensshPrivateKey(keyPEM: string, comment = 'teleport'): string {
  const text = formatOpenSSHPrivateKey(privateKeyFromPEM(keyPEM), comment);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Checks the credentials and returns the CA file's text; BadParameterError names what is missing. */
function userCAText(creds: OpenSSHCredentials): string {
  if (!creds.sshCert) throw new BadParameterError('the cluster issued no SSH host certificate: join with a token of type node');
  parseCertificateLine(creds.sshCert);
  const lines = creds.userCAKeys.map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw new BadParameterError('the cluster sent no user CA keys: check that its user CA exists (tctl get cert_authorities)');
  for (const l of lines) parseAuthorizedKey(l);
  return `${lines.join('\n')}\n`;
}

/** Writes `data` to `file` through a temporary name, with `mode` applied even under a strict umask. */
async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${randomUUID().slice(0, 8)}`;
  try {
    await writeFile(tmp, data, { mode });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Creates the 0700 directory (tightening it if it exists). */
export async function ensureOpenSSHDir(paths: OpenSSHPaths): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await chmod(paths.dir, 0o700);
}

/** Writes the key (0600), certificate, user CA and snippet (0644) into `<data_dir>/openssh/`. */
export async function writeOpenSSHFiles(paths: OpenSSHPaths, creds: OpenSSHCredentials): Promise<void> {
  const ca = userCAText(creds);
  const key = opensshPrivateKey(creds.keyPEM);
  const snippet = renderSnippet({ hostKey: paths.hostKey, hostCert: paths.hostCert, userCA: paths.userCA, ...(creds.keepHostKeys && { keepHostKeys: creds.keepHostKeys }) });
  await ensureOpenSSHDir(paths);
  await writeAtomic(paths.hostKey, key, 0o600);
  await writeAtomic(paths.hostCert, `${creds.sshCert.trim()}\n`, 0o644);
  await writeAtomic(paths.userCA, ca, 0o644);
  await writeAtomic(paths.snippet, snippet, 0o644);
}
