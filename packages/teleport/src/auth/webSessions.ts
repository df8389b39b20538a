/**
 * @module auth/webSessions
 * Web UI sessions. Login is the same password + OTP check with lockout as `tsh login`
 * (auth/login.ts, audited as user.login with `web: true`); then auth generates the session's key
 * pair itself (the browser never holds a private key), issues the user's SSH and X.509
 * certificates for it with the normal TTL rules, and stores the session until the certificates
 * expire. The proxy later reads the session to act as the user with those certificates.
 *
 * Two secrets name a session: the id (the `__Host-session` cookie) and the bearer token (the
 * `Authorization` header, which a cross-site request cannot carry). The token is returned once, at
 * creation; only its SHA-256 is stored. Neither is ever logged.
 */
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import type { Clock } from '@teleport-ts/api/clock';
import type { Certs } from '@teleport-ts/api/client/authClient';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { User } from '@teleport-ts/api/types/user';
import type { AuditLog } from '../events/auditLog.ts';
import type { LocalServices, WebSessionRecord } from '../services/local/index.ts';
import { authenticateLocalUser, type Credentials } from './login.ts';

/** What creating a web session needs from the auth server. */
export interface WebSessionDeps {
  services: LocalServices;
  audit: AuditLog;
  clock: Clock;
  /** Issues user certificates with the normal rules (AuthServer.generateUserCerts). */
  generateUserCerts(user: User, req: { sshPublicKey: string; tlsPublicKey: string; loginIP?: string }): Promise<Certs>;
}

/** A new session and its bearer token, which exists nowhere else. */
export interface NewWebSession {
  session: WebSessionRecord;
  bearerToken: string;
}

/** Hex SHA-256 of a bearer token: what is stored and compared. */
export function hashBearerToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Checks the credentials (lockout applies) and creates a session with fresh certificates. */
export async function createWebSession(
  deps: WebSessionDeps,
  cred: Omit<Credentials, 'web'> & { loginIP?: string },
): Promise<NewWebSession> {
  const user = await authenticateLocalUser(deps, { ...cred, web: true });
  // Ed25519 for both certificates, as tsh uses: ssh2 and node:tls accept it.
  const { privateKey, publicKey } = generateKeyPair('ed25519');
  const certs = await deps.generateUserCerts(user, {
    sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(publicKey)),
    tlsPublicKey: publicKeyToPEM(publicKey),
    ...(cred.loginIP && { loginIP: cred.loginIP }),
  });
  const bearerToken = randomBytes(32).toString('hex');
  const session: WebSessionRecord = {
    id: randomBytes(32).toString('hex'),
    user: user.metadata.name,
    roles: [...user.spec.roles],
    bearerTokenSHA256: hashBearerToken(bearerToken),
    created: deps.clock.nowMs(),
    // The X.509 notAfter (whole seconds): the session never outlives the certificate it acts with.
    expires: Date.parse(new X509Certificate(certs.tlsCert).validTo),
    privateKeyPEM: privateKeyToPEM(privateKey),
    sshCert: certs.sshCert,
    tlsCert: certs.tlsCert,
    tlsCACerts: certs.tlsCACerts,
    hostCAsJSON: certs.hostCAs.map((ca) => JSON.stringify(ca)),
  };
  await deps.services.webSessions.createWebSession(session);
  return { session, bearerToken };
}
