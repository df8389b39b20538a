/**
 * @module proxy/ssh/userAuth
 * Authentication of one client connection at the proxy: only `publickey` with an OpenSSH user
 * certificate from the cluster's user CA, valid now, with proof of possession. The SSH username is
 * the login the client will use on the node, which enforces it; the proxy does not require it to be
 * a principal. A connection that ends without logging in produces one `auth` (T3007W) event with
 * the most telling refusal (a certificate's, rather than that of a plain key offered before it), so
 * a client that tries a plain key and then succeeds with its certificate leaves no failure behind.
 */
import type { AuthContext, Connection } from 'ssh2';
import type { Clock } from '@teleport-ts/api/clock';
import { verifyUserCertAuth, type UserCertAuthFailure } from '../../sshutils/userCertAuth.ts';
import type { Logger } from '../../utils/logger.ts';
import { proxyAuthFailureEvent, type AuditSink } from './audit.ts';

/** Refused attempts after which the client is disconnected (OpenSSH's MaxAuthTries is 6). */
export const MAX_AUTH_TRIES = 6;

/** Who logged in. */
export interface AuthenticatedUser {
  /** Teleport username (the certificate's key id). */
  user: string;
  /** The SSH username asked for: the login to use on the node. */
  login: string;
  /** Fingerprint of the certified key. */
  fingerprint: string;
}

/** Inputs of {@link authenticateConnection}. */
export interface ConnectionAuthOptions {
  /** The current user CA key blobs. */
  userCAKeys: () => Buffer[];
  clock: Clock;
  audit: AuditSink;
  logger: Logger;
  /** The client's IP (for source-address pinned certificates) and "ip:port" (for events). */
  remoteIP: string;
  remoteAddr: string;
  localAddr?: string;
}

/**
 * Installs the authentication handler on a new connection. `onAuthenticated` runs once, when a
 * certificate login is proven (before ssh2 emits "ready").
 */
export function authenticateConnection(conn: Connection, opts: ConnectionAuthOptions, onAuthenticated: (u: AuthenticatedUser) => void): void {
  const failures: UserCertAuthFailure[] = [];
  let authenticated = false;
  conn.on('authentication', (ctx: AuthContext) => {
    if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
    verifyUserCertAuth(ctx, {
      userCAKeys: opts.userCAKeys(), now: opts.clock.now(), login: ctx.username, requirePrincipal: false, remoteAddr: opts.remoteIP,
    }).then((res) => {
      if (res.ok) {
        if (res.proven && !authenticated) {
          authenticated = true;
          onAuthenticated({ user: res.identity.username, login: ctx.username, fingerprint: res.fingerprint });
        }
        return ctx.accept();
      }
      failures.push(res);
      opts.logger.debug({ login: ctx.username, code: res.code, remote: opts.remoteAddr }, `refused: ${res.reason}`);
      ctx.reject(['publickey']);
      if (failures.length >= MAX_AUTH_TRIES) conn.end();
    }, (err: unknown) => {
      opts.logger.warn({ err: (err as Error).message }, 'authentication check failed');
      ctx.reject(['publickey']);
    });
  });
  conn.once('close', () => {
    const worst = pickFailure(failures);
    if (authenticated || !worst) return;
    opts.audit(proxyAuthFailureEvent({
      user: worst.username ?? worst.login,
      login: worst.login,
      error: worst.reason,
      remoteAddr: opts.remoteAddr,
      ...(opts.localAddr && { localAddr: opts.localAddr }),
    }));
  });
}

/** The refusal to report: the last certificate refusal, else the last refusal of any kind. */
function pickFailure(failures: UserCertAuthFailure[]): UserCertAuthFailure | undefined {
  return failures.findLast((f) => f.code !== 'not_certificate') ?? failures.at(-1);
}
