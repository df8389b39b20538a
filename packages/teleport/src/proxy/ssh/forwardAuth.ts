/**
 * @module proxy/ssh/forwardAuth
 * Authentication at the forwarding server (the proxy terminating a client's SSH connection to a
 * node): `publickey` with an OpenSSH user certificate from the cluster's user CA that lists the
 * requested login, with proof of possession - as sshd with TrustedUserCAKeys would. Only once the
 * client proved it holds the key does the proxy log in to the node on its behalf (`login`), and
 * only if that succeeds is the client let in: a node that refuses the login refuses the client,
 * with the reason in a userauth banner. The proven attempt's signature travels to auth, which
 * re-issues the user's certificate for the proxy's key only against it.
 */
import type { AuthContext, Connection, PublicKeyAuthContext } from 'ssh2';
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage } from '@teleport-ts/api/errors';
import { formatCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import type { UserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { verifyUserCertAuth } from '../../sshutils/userCertAuth.ts';
import type { Logger } from '../../utils/logger.ts';
import { proxyAuthFailureEvent, type AuditSink } from './audit.ts';
import { sendAuthBanner } from '../../sshutils/ssh2Internals.ts';
import { MAX_AUTH_TRIES } from './userAuth.ts';

/** A client's proven login at the forwarding server. */
export interface LoginProof {
  /** Teleport username. */
  user: string;
  /** The OS login asked for on the node. */
  login: string;
  identity: UserSSHIdentity;
  /** The certificate line the client presented. */
  certLine: string;
  /** What the client signed (session id + userauth request) and its signature. */
  authData: Buffer;
  signature: Buffer;
}

/** Inputs of {@link authenticateForwarded}. */
export interface ForwardAuthOptions {
  userCAKeys: () => Buffer[];
  clock: Clock;
  audit: AuditSink;
  logger: Logger;
  /** The client's IP (source-address) and "ip:port" (events). */
  remoteIP: string;
  remoteAddr: string;
  /** Logs in to the node for the client; rejects with a message for the user. Called at most once. */
  login: (proof: LoginProof) => Promise<void>;
}

/** Installs the authentication handler on a forwarding-server connection. */
export function authenticateForwarded(conn: Connection, opts: ForwardAuthOptions): void {
  const failures: Array<{ user: string; login: string; error: string }> = [];
  let state: 'open' | 'logging-in' | 'done' = 'open';
  const refuse = (ctx: AuthContext, f: { user: string; login: string; error: string }): void => {
    failures.push(f);
    ctx.reject(['publickey']);
    if (failures.length >= MAX_AUTH_TRIES) conn.end();
  };
  conn.on('authentication', (ctx: AuthContext) => {
    if (ctx.method !== 'publickey' || state !== 'open') return ctx.reject(['publickey']);
    const pk = ctx as PublicKeyAuthContext;
    verifyUserCertAuth(pk, { userCAKeys: opts.userCAKeys(), now: opts.clock.now(), login: ctx.username, remoteAddr: opts.remoteIP }).then(async (res) => {
      if (!res.ok) {
        opts.logger.debug({ login: ctx.username, code: res.code }, `refused: ${res.reason}`);
        return refuse(ctx, { user: res.username ?? ctx.username, login: ctx.username, error: res.reason });
      }
      if (!res.proven || !pk.signature || !pk.blob) return ctx.accept();
      state = 'logging-in';
      try {
        await opts.login({
          user: res.identity.username, login: ctx.username, identity: res.identity, certLine: formatCertificateLine(pk.key.data, res.identity.username),
          authData: pk.blob, signature: pk.signature,
        });
      } catch (err) {
        const message = errorMessage(err);
        opts.logger.info({ user: res.identity.username, login: ctx.username }, `node login refused: ${message}`);
        sendAuthBanner(conn, `teleport: ${message}`);
        failures.push({ user: res.identity.username, login: ctx.username, error: message });
        ctx.reject([]);
        conn.end();
        return;
      }
      state = 'done';
      ctx.accept();
    }).catch((err: unknown) => {
      opts.logger.warn({ err: errorMessage(err) }, 'authentication check failed');
      ctx.reject(['publickey']);
    });
  });
  conn.once('close', () => {
    const worst = failures.at(-1);
    if (state === 'done' || !worst) return;
    opts.audit(proxyAuthFailureEvent({ ...worst, remoteAddr: opts.remoteAddr }));
  });
}
