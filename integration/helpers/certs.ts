/**
 * @module integration/helpers/certs
 * Client certificates for mutual-TLS tests and API clients built from them: the local admin's
 * identity, real user certificates issued by the cluster, and deliberately bad ones (signed by a
 * foreign CA, or by the cluster's own user CA but already expired).
 */
import { AuthClient } from '../../packages/api/src/client/authClient.ts';
import { FakeClock, systemClock } from '../../packages/api/src/clock.ts';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '../../packages/api/src/keys.ts';
import { formatAuthorizedKey, sshPublicKeyBlob } from '../../packages/api/src/sshcert/publicKey.ts';
import type { Identity } from '../../packages/api/src/tlsca/identity.ts';
import { createTLSCA, issueTLSCert } from '../../packages/teleport/src/ca/tlsCA.ts';
import { loadIdentity } from '../../packages/teleport/src/service/identityStore.ts';
import type { TestCluster } from './cluster.ts';

/** A client certificate with its key and the CAs that verify the auth server. */
export interface ClientCredentials {
  certPEM: string;
  keyPEM: string;
  caCerts: string[];
}

/** An AuthClient for `addr` authenticating with `creds` (short timeout: tests expect fast failures). */
export function authClientFor(addr: string, creds: ClientCredentials): AuthClient {
  return new AuthClient({ addr, ...creds, timeoutMs: 10_000 });
}

/** The local admin identity tctl uses on the auth host. */
export async function adminCredentials(cluster: TestCluster): Promise<ClientCredentials> {
  const id = await loadIdentity(cluster.dataDir, 'admin');
  return { certPEM: id.certPEM, keyPEM: id.keyPEM, caCerts: id.tlsCACerts };
}

/** Certificates for `username` issued by the cluster (as `tctl auth sign` would), for a fresh key. */
export async function issuedUserCredentials(cluster: TestCluster, username: string, ttlMs = 3600_000): Promise<ClientCredentials> {
  const admin = authClientFor(cluster.authAddr, await adminCredentials(cluster));
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  const certs = await admin.generateUserCerts({
    username, ttlMs,
    sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(publicKey)),
    tlsPublicKey: publicKeyToPEM(publicKey),
  });
  return { certPEM: certs.tlsCert, keyPEM: privateKeyToPEM(privateKey), caCerts: certs.tlsCACerts };
}

function identity(username: string, roles: string[], expires: Date): Identity {
  return { username, groups: roles, principals: [username], expires };
}

/** A well-formed user certificate for `username` signed by a CA of the same name that the cluster never saw. */
export async function foreignCACredentials(cluster: TestCluster, username: string, roles: string[]): Promise<ClientCredentials> {
  const foreign = createTLSCA({ clusterName: cluster.auth.clusterName, caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  const notAfter = new Date(Date.now() + 3600_000);
  const certPEM = issueTLSCert({
    caCertPEM: foreign.certPEM, caKeyPEM: foreign.keyPEM, publicKey,
    identity: identity(username, roles, notAfter), notAfter, clock: systemClock, usage: 'client',
  });
  return { certPEM, keyPEM: privateKeyToPEM(privateKey), caCerts: (await adminCredentials(cluster)).caCerts };
}

/** A user certificate signed by the cluster's real user CA that expired an hour ago. */
export async function expiredCredentials(cluster: TestCluster, username: string, roles: string[]): Promise<ClientCredentials> {
  const signer = await cluster.auth.keyring.tlsSigner('user');
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  const notAfter = new Date(Date.now() - 3600_000);
  const certPEM = issueTLSCert({
    ...signer, publicKey,
    identity: identity(username, roles, notAfter), notAfter,
    clock: new FakeClock(Date.now() - 2 * 3600_000), usage: 'client',
  });
  return { certPEM, keyPEM: privateKeyToPEM(privateKey), caCerts: (await adminCredentials(cluster)).caCerts };
}
