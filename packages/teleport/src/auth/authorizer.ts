/**
 * @module auth/authorizer
 * Turns the caller's verified client certificate into an authorization context. A certificate signed
 * by the host CA names a system role (a Teleport service); one signed by the user CA names a user,
 * whose current user record and roles are re-read here, so a deleted or locked user loses access at
 * once instead of when the certificate expires.
 */
import type { TLSSocket } from 'node:tls';
import { AccessDeniedError, isNotFound } from '@teleport-ts/api/errors';
import { identityFromCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';
import type { Role } from '@teleport-ts/api/types/role';
import type { User } from '@teleport-ts/api/types/user';
import type { Clock } from '@teleport-ts/api/clock';
import { AccessChecker } from '../services/rbac/accessChecker.ts';
import type { LocalServices } from '../services/local/index.ts';
import type { Keyring } from './keyring.ts';

/** A service (node, proxy, admin tool on the auth host) identified by a host certificate. */
export interface BuiltinContext {
  kind: 'builtin';
  role: string;
  /** Host identity, e.g. "<uuid>.<cluster>". */
  name: string;
  identity: Identity;
}

/** A person or bot identified by a user certificate. */
export interface UserContext {
  kind: 'user';
  name: string;
  user: User;
  roles: Role[];
  checker: AccessChecker;
  identity: Identity;
}

/** Who is calling. */
export type AuthContext = BuiltinContext | UserContext;

/** Builds contexts from TLS sockets. */
export class Authorizer {
  constructor(
    private readonly services: LocalServices,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
  ) {}

  /** Authorizes a connection: the socket must have passed TLS client verification. */
  async fromSocket(socket: TLSSocket): Promise<AuthContext> {
    if (!socket.authorized) {
      throw new AccessDeniedError(`client certificate rejected: ${String(socket.authorizationError ?? 'none presented')}`);
    }
    const peer = socket.getPeerCertificate(true);
    if (!peer?.raw) throw new AccessDeniedError('no client certificate presented: log in with tsh login or use an identity file');
    const issuer = peer.issuerCertificate;
    const issuerFingerprint = issuer?.fingerprint256 ?? '';
    const identity = identityFromCertificate(peer.raw);
    const signer = await this.keyring.tlsCATypeByFingerprint(issuerFingerprint);
    if (signer === 'host') {
      const role = identity.systemRoles?.[0] ?? identity.groups[0];
      if (!role) throw new AccessDeniedError('host certificate names no system role');
      return { kind: 'builtin', role, name: identity.username, identity };
    }
    if (signer === 'user') return this.forUser(identity);
    throw new AccessDeniedError('client certificate is not signed by this cluster\'s user or host certificate authority');
  }

  /** Context for a user identity (also used by the proxy's web sessions later). */
  async forUser(identity: Identity): Promise<UserContext> {
    let user: User;
    try {
      user = await this.services.users.getUser(identity.username);
    } catch (err) {
      if (isNotFound(err)) throw new AccessDeniedError(`user '${identity.username}' no longer exists`);
      throw err;
    }
    const lockExpires = user.spec.status?.lock_expires;
    if (user.spec.status?.is_locked && lockExpires && Date.parse(lockExpires) > this.clock.nowMs()) {
      throw new AccessDeniedError(`user '${identity.username}' is locked until ${lockExpires}`);
    }
    const roles: Role[] = [];
    for (const name of identity.groups) {
      try {
        roles.push(await this.services.access.getRole(name));
      } catch (err) {
        // A role deleted since the certificate was issued simply grants nothing now.
        if (!isNotFound(err)) throw err;
      }
    }
    const traits = identity.traits ?? user.spec.traits ?? {};
    return { kind: 'user', name: identity.username, user, roles, checker: new AccessChecker(roles, traits), identity };
  }
}
