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
import type { AccessChecker } from '../services/rbac/accessChecker.ts';
import { accessCheckerFor } from './checkerCache.ts';
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

  /** Parsed peer certificates by TLS connection (dropped with the socket). */
  private readonly peers = new WeakMap<TLSSocket, { identity: Identity; issuerFingerprint: string }>();

  /** Authorizes a connection: the socket must have passed TLS client verification. */
  async fromSocket(socket: TLSSocket): Promise<AuthContext> {
    const { identity, issuerFingerprint } = this.peerOf(socket);
    const signer = await this.keyring.tlsCATypeByFingerprint(issuerFingerprint);
    if (signer === 'host') {
      const role = identity.systemRoles?.[0] ?? identity.groups[0];
      if (!role) throw new AccessDeniedError('host certificate names no system role');
      return { kind: 'builtin', role, name: identity.username, identity };
    }
    if (signer === 'user') return this.forUser(identity);
    throw new AccessDeniedError('client certificate is not signed by this cluster\'s user or host certificate authority');
  }

  /**
   * The verified peer certificate's identity and issuer, parsed once per TLS connection: a
   * connection's certificate cannot change, and parsing it on every RPC was the largest cost of a
   * cheap call (docs/benchmarks.md). What the identity is allowed to do is still decided per call.
   */
  private peerOf(socket: TLSSocket): { identity: Identity; issuerFingerprint: string } {
    const known = this.peers.get(socket);
    if (known) return known;
    const peer = socket.getPeerCertificate(true);
    // Presence first: without a certificate Node reports a misleading UNABLE_TO_GET_ISSUER_CERT.
    if (!peer?.raw || peer.raw.length === 0) {
      throw new AccessDeniedError('no client certificate presented: log in with tsh login or use an identity file');
    }
    if (!socket.authorized) throw new AccessDeniedError(refusedCertificateMessage(socket.authorizationError));
    // Frozen: every call of this connection shares it.
    const parsed = { identity: Object.freeze(identityFromCertificate(peer.raw)), issuerFingerprint: peer.issuerCertificate?.fingerprint256 ?? '' };
    this.peers.set(socket, parsed);
    return parsed;
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
    return { kind: 'user', name: identity.username, user, roles, checker: accessCheckerFor(roles, traits), identity };
  }
}

/** OpenSSL verification codes that mean "signed by a CA this cluster does not trust". */
const UNKNOWN_CA_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE',
]);

/** Why a presented client certificate failed verification, and what to do about it. */
function refusedCertificateMessage(code: Error | string | null | undefined): string {
  // Typed as Error by @types/node, but at runtime it is the OpenSSL code string.
  const reason = code ? String(code) : 'not verified';
  if (reason === 'CERT_HAS_EXPIRED') return `client certificate rejected: it has expired (${reason}); run 'tsh login' or issue a new identity file`;
  if (reason === 'CERT_NOT_YET_VALID') return `client certificate rejected: it is not valid yet (${reason}); check this machine's clock`;
  if (UNKNOWN_CA_CODES.has(reason)) {
    return `client certificate rejected: it was not issued by this cluster's certificate authorities (${reason}); log in to this cluster again`;
  }
  return `client certificate rejected: it could not be verified (${reason})`;
}
