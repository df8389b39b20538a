/**
 * @module tool/tctl/auth
 * `tctl auth export` (CA public keys for sshd/known_hosts/TLS clients) and `tctl auth sign`
 * (credentials for a user — an identity file usable by `tsh -i` and OpenSSH — or for a host).
 */
import { writeFile, access, chmod } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseDuration } from '@teleport-ts/api/duration';
import { BadParameterError } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob, parseAuthorizedKey, sshFingerprint } from '@teleport-ts/api/sshcert/publicKey';
import { formatKnownHostsCALine, openSSHIdentityFiles, writeIdentityFile, privateKeyForOpenSSH, type IdentityMaterial } from '@teleport-ts/api/identityFile';
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { CLIIO } from '../common/cli.ts';
import type { TctlContext } from './connect.ts';

/** Export types accepted by --type. */
const EXPORT_TYPES = ['user', 'host', 'tls-user', 'tls-host', 'db', 'tls', 'openssh'] as const;

/** Renders CA public keys in the format each export type calls for. */
export function renderExport(cas: CertAuthority[], type: string | undefined, fingerprint?: string): string {
  const lines: string[] = [];
  const sshKeys = (ca: CertAuthority) => (ca.spec.active_keys.ssh ?? []).map((k) => k.public_key)
    .filter((k) => !fingerprint || sshFingerprint(parseAuthorizedKey(k).blob) === fingerprint);
  const tlsCerts = (ca: CertAuthority) => (ca.spec.active_keys.tls ?? []).map((k) => k.cert.trim() + '\n');
  for (const ca of cas) {
    const t = ca.spec.type;
    const cluster = ca.spec.cluster_name;
    if ((!type || type === 'host') && t === 'host') {
      for (const k of sshKeys(ca)) lines.push(`${formatKnownHostsCALine(cluster, k)}\n`);
    }
    if ((!type || type === 'user') && t === 'user') {
      // authorized_keys form for sshd's TrustedUserCAKeys / AuthorizedKeysFile.
      for (const k of sshKeys(ca)) lines.push(`cert-authority ${k.split(' ').slice(0, 2).join(' ')} clustername=${cluster}&type=user\n`);
    }
    if (type === 'openssh' && t === 'user') {
      for (const k of sshKeys(ca)) lines.push(`${k.split(' ').slice(0, 2).join(' ')}\n`);
    }
    if ((type === 'tls-host' || type === 'tls') && t === 'host') lines.push(...tlsCerts(ca));
    if (type === 'tls-user' && t === 'user') lines.push(...tlsCerts(ca));
    if (type === 'db' && t === 'db') lines.push(...tlsCerts(ca));
  }
  return lines.join('');
}

async function refuseOverwrite(paths: string[], overwrite: boolean): Promise<void> {
  if (overwrite) return;
  for (const p of paths) {
    const exists = await access(p).then(() => true, () => false);
    if (exists) throw new BadParameterError(`${p} already exists: pass --overwrite to replace it`);
  }
}

async function writeOutputs(files: Array<{ path: string; data: string; mode: number }>, overwrite: boolean, io: CLIIO): Promise<void> {
  await refuseOverwrite(files.map((f) => f.path), overwrite);
  for (const f of files) {
    await writeFile(f.path, f.data, { mode: f.mode });
    await chmod(f.path, f.mode);
  }
  io.stdout.write(`\nThe credentials have been written to ${files.map((f) => f.path).join(', ')}\n`);
}

/**
 * `tctl auth sign --format=db`: a key, a server certificate from the db CA with the given host names
 * and IPs as SANs (CN = the first), and the db CA certificate, which the database must trust for
 * client certificates (the database service connects with db CA client certificates). Upstream also
 * puts the host CA in <prefix>.cas; we write only the db CA, the one CA that signs database clients.
 */
async function signDatabaseServer(ctx: TctlContext, io: CLIIO, o: { hosts: string; ttlMs: number; out: string; overwrite: boolean }): Promise<void> {
  const hosts = o.hosts.split(',').map((h) => h.trim()).filter(Boolean);
  if (hosts.length === 0) throw new BadParameterError('--host names no host');
  // RSA for the widest database support (older MySQL builds accept only RSA server keys).
  const kp = generateKeyPair('rsa-2048');
  const r = await ctx.client.generateDatabaseCert({
    tlsPublicKey: publicKeyToPEM(kp.publicKey), commonName: hosts[0] as string, serverNames: hosts, ttlMs: o.ttlMs, usage: 'server',
  });
  await writeOutputs([
    { path: `${o.out}.key`, data: privateKeyToPEM(kp.privateKey), mode: 0o600 },
    { path: `${o.out}.crt`, data: r.certPEM, mode: 0o644 },
    { path: `${o.out}.cas`, data: r.caCerts.map((c) => c.trim() + '\n').join(''), mode: 0o644 },
  ], o.overwrite, io);
  io.stdout.write(`\nConfigure the database with ${o.out}.crt and ${o.out}.key as its server certificate and key, and trust\n` +
    `client certificates from ${o.out}.cas (docs/database-access.md, "Configuring the database").\n`);
}

/** Registers the auth commands. */
export function registerAuthCommands(program: Command, io: CLIIO, connect: () => Promise<TctlContext>): void {
  const auth = program.command('auth').description('Operations with the cluster\'s certificate authorities.');
  auth
    .command('export')
    .description('Export CA public keys: --type=host (known_hosts), user (authorized_keys), openssh (TrustedUserCAKeys), tls-host, tls-user, db (PEM).')
    .option('--type <type>', `one of ${EXPORT_TYPES.join(', ')}; default: SSH host and user CAs`)
    .option('--fingerprint <fp>', 'only the SSH key with this SHA256 fingerprint')
    .action(async (o: { type?: string; fingerprint?: string }) => {
      if (o.type && !(EXPORT_TYPES as readonly string[]).includes(o.type)) {
        throw new BadParameterError(`unknown --type "${o.type}": use one of ${EXPORT_TYPES.join(', ')}`);
      }
      const { client } = await connect();
      io.stdout.write(renderExport(await client.getCertAuthorities(), o.type, o.fingerprint));
    });

  auth
    .command('sign')
    .description('Issue credentials for a user (--user) or a host (--host) and write them to -o.')
    .option('--user <user>', 'issue a user certificate for this user')
    .option('--host <names>', 'issue a host certificate with these comma-separated principals')
    .option('--format <format>', 'file (identity file for tsh -i and ssh -i), openssh (key + key-cert.pub), tls (.key/.crt/.cas) or db (a database server\'s .key/.crt/.cas, with --host)', 'file')
    .option('--ttl <duration>', 'certificate lifetime', '12h')
    .requiredOption('-o, --out <path>', 'output path (prefix for multi-file formats)')
    .option('--overwrite', 'replace existing files')
    .action(async (o: { user?: string; host?: string; format: string; ttl: string; out: string; overwrite?: boolean }) => {
      if (!!o.user === !!o.host) throw new BadParameterError('pass exactly one of --user or --host');
      if (!['file', 'openssh', 'tls', 'db'].includes(o.format)) throw new BadParameterError(`unknown --format "${o.format}": use file, openssh, tls or db`);
      const ttlMs = parseDuration(o.ttl, '--ttl');
      if (o.format === 'db') {
        if (!o.host) throw new BadParameterError('--format=db needs --host=<database host name[,more names or IPs]>, the names clients and the database service use to reach the database');
        await signDatabaseServer(await connect(), io, { hosts: o.host, ttlMs, out: o.out, overwrite: o.overwrite === true });
        return;
      }
      const { client } = await connect();
      // ECDSA P-256 works for both halves: OpenSSH and TLS 1.2/1.3 clients all accept it.
      const kp = generateKeyPair('ecdsa-p256');
      const sshPublicKey = formatAuthorizedKey(sshPublicKeyBlob(kp.publicKey));
      const tlsPublicKey = publicKeyToPEM(kp.publicKey);
      const certs = o.user
        ? await client.generateUserCerts({ username: o.user, sshPublicKey, tlsPublicKey, ttlMs })
        : await client.generateHostCerts({
            hostId: (o.host as string).split(',')[0] as string,
            nodeName: (o.host as string).split(',')[0] as string,
            role: 'Node',
            additionalPrincipals: (o.host as string).split(','),
            sshPublicKey,
            tlsPublicKey,
            ttlMs,
          });
      const material: IdentityMaterial = {
        privateKeyPEM: privateKeyToPEM(kp.privateKey),
        sshCert: certs.sshCert,
        tlsCert: certs.tlsCert,
        tlsCACerts: certs.tlsCACerts,
        sshCAKeys: certs.hostCAs.flatMap((ca) => (ca.spec.active_keys.ssh ?? []).map((k) => ({ clusterName: ca.spec.cluster_name, authorizedKey: k.public_key }))),
      };
      if (o.format === 'file') {
        await writeOutputs([{ path: o.out, data: writeIdentityFile(material), mode: 0o600 }], o.overwrite === true, io);
      } else if (o.format === 'openssh') {
        await writeOutputs(openSSHIdentityFiles(o.out, material), o.overwrite === true, io);
      } else {
        await writeOutputs([
          { path: `${o.out}.key`, data: privateKeyForOpenSSH(material.privateKeyPEM), mode: 0o600 },
          { path: `${o.out}.crt`, data: certs.tlsCert, mode: 0o644 },
          { path: `${o.out}.cas`, data: certs.tlsCACerts.join(''), mode: 0o644 },
        ], o.overwrite === true, io);
      }
    });
}
