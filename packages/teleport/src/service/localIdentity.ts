/**
 * @module service/localIdentity
 * Issuing identities for services that run in the same process as auth (the auth server's own TLS
 * certificate, the in-process proxy, the admin identity tctl uses on the auth host). Agents on
 * other hosts get theirs by joining with a token instead.
 */
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM, type KeyAlgorithm } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { AuthServer } from '../auth/authServer.ts';
import type { LocalIdentity } from './identityStore.ts';

/** Issues a fresh identity for a system role directly from the auth server's CAs. */
export async function issueLocalIdentity(
  auth: AuthServer,
  opts: { hostId: string; nodeName: string; role: string; algorithm: KeyAlgorithm; dnsNames?: string[]; principals?: string[] },
): Promise<LocalIdentity> {
  const kp = generateKeyPair(opts.algorithm);
  const certs = await auth.generateHostCerts({
    hostId: opts.hostId,
    nodeName: opts.nodeName,
    role: opts.role,
    dnsNames: opts.dnsNames ?? [],
    additionalPrincipals: opts.principals ?? [],
    sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(kp.publicKey)),
    tlsPublicKey: publicKeyToPEM(kp.publicKey),
  });
  const userCA = await auth.keyring.publicCA('user');
  const hostCA = await auth.keyring.publicCA('host');
  return {
    hostId: opts.hostId,
    role: opts.role,
    keyPEM: privateKeyToPEM(kp.privateKey),
    certPEM: certs.tlsCert,
    sshCert: certs.sshCert,
    tlsCACerts: certs.tlsCACerts,
    userTLSCACerts: await auth.keyring.tlsCerts('user'),
    sshHostCAKeys: (hostCA.spec.active_keys.ssh ?? []).map((k) => k.public_key),
    sshUserCAKeys: (userCA.spec.active_keys.ssh ?? []).map((k) => k.public_key),
    clusterName: auth.clusterName,
  };
}
