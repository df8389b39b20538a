/**
 * @module srv/ssh/authHandler
 * Decides every `publickey` attempt on the node: the certificate must be a user certificate of
 * this cluster's user CA, valid now, listing the login as a principal (sshutils' verifyUserCertAuth),
 * and - once the client proved it holds the key - the user must still exist, their roles (read
 * fresh from auth) must allow the login on this node's labels (deny wins), and the login must be
 * an account on this host. Refusals are audited (`auth`, T3007W) and explained to the client in
 * an SSH_MSG_USERAUTH_BANNER.
 */
import type { Connection, PublicKeyAuthContext } from 'ssh2';
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage } from '@teleport-ts/api/errors';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { UserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import type { AccessChecker, ServerTarget } from '../../services/rbac/accessChecker.ts';
import { verifyUserCertAuth } from '../../sshutils/userCertAuth.ts';
import type { Logger } from '../../utils/logger.ts';
import type { AccessCache } from './accessCache.ts';
import type { NodeAuditor } from './audit.ts';
import { requireOSUser, type OSUser } from './osUser.ts';
import { sendAuthBanner } from '../../sshutils/ssh2Internals.ts';

/** A user allowed in: who they are, as which login, and what their roles let them do. */
export interface AuthorizedUser {
  identity: UserSSHIdentity;
  login: string;
  checker: AccessChecker;
  osUser: OSUser;
  /** Fingerprint of the certified key. */
  fingerprint: string;
}

/** Inputs of AuthHandler. */
export interface AuthHandlerOptions {
  cache: AccessCache;
  clock: Clock;
  auditor: NodeAuditor;
  /** This node as RBAC sees it (labels change with command labels). */
  target: () => ServerTarget;
  nodeName: string;
  logger: Logger;
}

/** Where an attempt came from. */
export interface AttemptSource {
  remoteIP: string;
  remoteAddr: string;
  localAddr: string;
}

/**
 * The outcome of one attempt. A refused plain key (`plainKey` set) is neither audited nor
 * explained yet: clients offer every key they have and the certificate may come next, so the
 * caller reports it only if the connection ends without logging in.
 */
export type AuthDecision =
  | { kind: 'accept'; user: AuthorizedUser }
  | { kind: 'query' }
  | { kind: 'reject'; plainKey?: string };

/** Authenticates and authorizes SSH logins on the node. */
export class AuthHandler {
  constructor(private readonly opts: AuthHandlerOptions) {}

  /**
   * Decides one publickey attempt: `query` means "acceptable, now sign" (accept without logging
   * in), `accept` means authenticated and authorized, `reject` was audited and explained (except
   * plain keys, see AuthDecision).
   */
  async decide(ctx: PublicKeyAuthContext, conn: Connection, src: AttemptSource): Promise<AuthDecision> {
    const login = ctx.username;
    const res = await verifyUserCertAuth(ctx, {
      userCAKeys: this.opts.cache.userCAKeys(), now: this.opts.clock.now(), login, remoteAddr: src.remoteIP,
    });
    if (!res.ok) {
      if (res.code === 'not_certificate') return { kind: 'reject', plainKey: res.reason };
      this.refused(src, login, res.username, res.reason);
      sendAuthBanner(conn, `teleport: ${res.reason}`);
      return { kind: 'reject' };
    }
    if (!res.proven) return { kind: 'query' };
    try {
      const { checker, osUser } = await this.authorize(res.identity, login);
      return { kind: 'accept', user: { identity: res.identity, login, checker, osUser, fingerprint: res.fingerprint } };
    } catch (err) {
      const reason = errorMessage(err);
      this.refused(src, login, res.identity.username, reason);
      sendAuthBanner(conn, `teleport: ${reason}`);
      return { kind: 'reject' };
    }
  }

  /**
   * Checks that the certificate's user may use `login` on this node now: the user exists, their
   * roles allow it for the node's current labels, and the OS account exists. Used at login and
   * when joining another user's session. Throws AccessDeniedError / NotFoundError.
   */
  async authorize(identity: UserSSHIdentity, login: string): Promise<{ checker: AccessChecker; osUser: OSUser }> {
    const checker = await this.opts.cache.checkerFor(identity);
    checker.checkAccessToServer(login, this.opts.target());
    const osUser = await requireOSUser(login, this.opts.nodeName);
    return { checker, osUser };
  }

  /** Logs and audits a refused login (`auth`, T3007W). */
  refused(src: AttemptSource, login: string, user: string | undefined, reason: string): void {
    this.opts.logger.info({ login, user, remote: src.remoteAddr, reason }, 'SSH login refused');
    this.opts.auditor.emit({
      event: EventTypes.authAttempt,
      code: EventCodes.authAttemptFailure,
      ...(user !== undefined && { user }),
      login,
      success: false,
      error: reason,
      'addr.remote': src.remoteAddr,
      'addr.local': src.localAddr,
    });
  }
}
