/**
 * @module proxy/selfSignedCert
 * The proxy's HTTPS certificate when `https_keypairs` is not configured: a self-signed ECDSA P-256
 * certificate generated on first start and kept in the data dir (webproxy_cert.pem /
 * webproxy_key.pem, upstream's names), so clients that pinned it keep working after a restart.
 */
import 'reflect-metadata';
import { webcrypto, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import type { Clock } from '@teleport-ts/api/clock';
import { writeSecretFile } from '../service/identityStore.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A certificate and key in PEM. */
export interface KeyPairPEM {
  certPEM: string;
  keyPEM: string;
}

/** Loads the stored self-signed pair, or creates one valid for `names`. */
export async function loadOrCreateSelfSigned(dataDir: string, names: string[], clock: Clock): Promise<KeyPairPEM> {
  const certFile = path.join(dataDir, 'webproxy_cert.pem');
  const keyFile = path.join(dataDir, 'webproxy_key.pem');
  try {
    return { certPEM: await readFile(certFile, 'utf8'), keyPEM: await readFile(keyFile, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pair = await createSelfSigned(names, clock);
  await writeSecretFile(keyFile, pair.keyPEM);
  await writeSecretFile(certFile, pair.certPEM);
  return pair;
}

/** Creates a self-signed server certificate for the given DNS names and IPs (1 year). */
export async function createSelfSigned(names: string[], clock: Clock): Promise<KeyPairPEM> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const unique = [...new Set(['localhost', '127.0.0.1', '::1', ...names].filter(Boolean))];
  const now = clock.nowMs();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: `CN=${unique.find((n) => !isIP(n)) ?? 'localhost'}, O=Teleport`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(unique.map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n }))),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPEM = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { certPEM: cert.toString('pem') + '\n', keyPEM };
}
