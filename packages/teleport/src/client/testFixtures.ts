/**
 * @module client/testFixtures
 * Test-only: real user credentials (SSH certificate + X.509 certificate from throwaway CAs) as a login
 * would return them, for the key store, identity file and status tests. Client tests cannot use the
 * server's CA, so this signs with the public sshcert/tlsca encoders and @peculiar/x509 directly.
 */
import 'reflect-metadata'; // must precede @peculiar/x509
import * as x509 from '@peculiar/x509';
import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { generateKeyPair, privateKeyToPEM, type KeyAlgorithm } from '@teleport-ts/api/keys';
import { formatCertificateLine, signCertificate } from '@teleport-ts/api/sshcert/certificate';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { identityToName, type Identity } from '@teleport-ts/api/tlsca/identity';

/** What to put in the certificates. */
export interface FixtureOptions {
  user?: string;
  cluster?: string;
  roles?: string[];
  logins?: string[];
  notBefore?: Date;
  notAfter?: Date;
  keyAlgorithm?: KeyAlgorithm;
  extensions?: Record<string, string>;
  kubernetesGroups?: string[];
}

/** Credentials as tsh holds them after a login. */
export interface FixtureCredentials {
  privateKey: KeyObject;
  /** PKCS#8 PEM. */
  privateKeyPEM: string;
  publicKeyLine: string;
  sshCert: string;
  tlsCert: string;
  tlsCACert: string;
  /** authorized_keys form of the SSH host CA. */
  hostCAKey: string;
}

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const subtle = webcrypto as unknown as Crypto; // node's webcrypto is the standard Crypto; the DOM type lives in lib.dom

/** Issues fresh credentials; defaults: alice @ example.com, roles access+editor, 2026-01-01 for 12h. */
export async function issueFixtureCredentials(o: FixtureOptions = {}): Promise<FixtureCredentials> {
  const user = o.user ?? 'alice';
  const cluster = o.cluster ?? 'example.com';
  const roles = o.roles ?? ['access', 'editor'];
  const logins = o.logins ?? ['alice', 'root'];
  const notBefore = o.notBefore ?? new Date(Date.UTC(2026, 0, 1));
  const notAfter = o.notAfter ?? new Date(notBefore.getTime() + 12 * 3600_000);
  const userKey = generateKeyPair(o.keyAlgorithm ?? 'ed25519');
  const userCA = generateKeyPair('ed25519');
  const hostCA = generateKeyPair('ed25519');
  const blob = sshPublicKeyBlob(userKey.publicKey);

  const sshBlob = signCertificate({
    type: 'user', publicKey: blob, serial: 1n, keyId: user, principals: logins,
    validAfter: Math.floor(notBefore.getTime() / 1000), validBefore: Math.floor(notAfter.getTime() / 1000),
    criticalOptions: {},
    extensions: o.extensions ?? {
      'permit-pty': '', 'permit-port-forwarding': '', 'permit-agent-forwarding': '',
      'teleport-roles': JSON.stringify({ version: 'v1', roles }),
      'teleport-traits': JSON.stringify({ logins }),
      'teleport-route-to-cluster': cluster,
    },
  }, userCA.privateKey);

  const caKeys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${cluster},O=${cluster}`, keys: caKeys, notBefore, notAfter: new Date(notAfter.getTime() + 86400_000),
    signingAlgorithm: alg, extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  }, subtle);
  const id: Identity = {
    username: user, groups: roles, principals: logins, teleportCluster: cluster, traits: { logins }, expires: notAfter,
    ...(o.kubernetesGroups ? { kubernetesGroups: o.kubernetesGroups } : {}),
  };
  const spki = userKey.publicKey.export({ format: 'der', type: 'spki' });
  const tlsCert = await x509.X509CertificateGenerator.create({
    subject: identityToName(id), issuer: caCert.subject, notBefore, notAfter, signingAlgorithm: alg,
    publicKey: new Uint8Array(spki), signingKey: caKeys.privateKey,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  }, subtle);

  return {
    privateKey: userKey.privateKey,
    privateKeyPEM: privateKeyToPEM(userKey.privateKey),
    publicKeyLine: formatAuthorizedKey(blob).trim(),
    sshCert: formatCertificateLine(sshBlob).trim(),
    tlsCert: `${tlsCert.toString('pem')}\n`,
    tlsCACert: `${caCert.toString('pem')}\n`,
    hostCAKey: formatAuthorizedKey(sshPublicKeyBlob(createPublicKey(hostCA.privateKey))).trim(),
  };
}
