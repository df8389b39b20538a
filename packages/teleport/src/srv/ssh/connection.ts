/**
 * @module srv/ssh/connection
 * One client connection to the node, from the first publickey attempt to the socket closing:
 * authentication (AuthHandler), then the channels and global requests an authenticated user may
 * open - sessions, local forwards (direct-tcpip), remote forwards (tcpip-forward). A connection
 * that does not authenticate in time, or fails too often, is dropped with a reason.
 */
import type { ClientInfo, Connection } from 'ssh2';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import { errorMessage } from '@teleport-ts/api/errors';
import { joinHostPort } from './audit.ts';
import type { AuthorizedUser } from './authHandler.ts';
import { connFields, type ConnContext, type NodeContext } from './context.ts';
import { handleDirectTcpip, RemoteForwards } from './forwarding.ts';
import { handleSessionChannel } from './sessionChannel.ts';
import { connectionSocket, disconnectWithMessage, DisconnectReason } from '../../sshutils/ssh2Internals.ts';

/** Time allowed from connecting to being authenticated. */
export const AUTH_TIMEOUT_MS = 60_000;
/** Refused publickey attempts before the connection is dropped (sshd's MaxAuthTries is 6). */
export const MAX_AUTH_FAILURES = 10;

const stripV4Mapped = (ip: string): string => ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/** A client connection to the node. */
export class NodeConnection {
  private ctx: ConnContext | undefined;
  private forwards: RemoteForwards | undefined;
  private closed = false;
  private readonly remoteIP: string;
  private readonly remoteAddr: string;
  private readonly localAddr: string;
  private readonly localIP: string;
  private readonly localPort: number;

  constructor(private readonly node: NodeContext, readonly conn: Connection, private readonly info: ClientInfo, onClose: () => void) {
    const sock = connectionSocket(conn);
    this.remoteIP = stripV4Mapped(info.ip ?? '');
    this.localIP = stripV4Mapped(sock?.localAddress ?? '');
    this.localPort = sock?.localPort ?? 0;
    this.remoteAddr = joinHostPort(this.remoteIP, info.port);
    this.localAddr = joinHostPort(this.localIP, this.localPort);
    const authTimer = setTimeout(() => this.disconnect('authentication timed out', DisconnectReason.byApplication), AUTH_TIMEOUT_MS);
    authTimer.unref();
    let failures = 0;
    let audited = false;
    let plainKey: { login: string; reason: string } | undefined;
    const src = { remoteIP: this.remoteIP, remoteAddr: this.remoteAddr, localAddr: this.localAddr };
    conn.on('error', (err) => node.logger.debug({ err: errorMessage(err), remote: this.remoteAddr }, 'SSH connection error'));
    conn.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      node.authHandler.decide(ctx, conn, src).then((d) => {
        if (d.kind === 'accept') {
          this.ready(d.user);
          return ctx.accept();
        }
        if (d.kind === 'query') return ctx.accept();
        if (d.plainKey === undefined) audited = true;
        else plainKey ??= { login: ctx.username, reason: d.plainKey };
        ctx.reject(['publickey']);
        if (++failures >= MAX_AUTH_FAILURES) this.disconnect('too many authentication failures', DisconnectReason.noMoreAuthMethods);
      }, (err: unknown) => {
        node.logger.warn({ err: errorMessage(err), remote: this.remoteAddr }, 'SSH authentication failed unexpectedly');
        ctx.reject(['publickey']);
      });
    });
    conn.on('ready', () => clearTimeout(authTimer));
    conn.on('close', () => {
      // Only plain keys were offered and nothing else was refused: that is why the login failed.
      if (!this.ctx && !audited && plainKey) node.authHandler.refused(src, plainKey.login, undefined, plainKey.reason);
      this.closed = true;
      clearTimeout(authTimer);
      this.forwards?.close();
      onClose();
    });
  }

  /** The authenticated Teleport user, once there is one. */
  get username(): string | undefined {
    return this.ctx?.user.identity.username;
  }

  /** Ends the connection with a reason the client prints; audited as client.disconnect. */
  disconnect(reason: string, code: number = DisconnectReason.byApplication): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ctx) {
      this.node.auditor.emit({ event: EventTypes.clientDisconnect, code: EventCodes.clientDisconnect, ...connFields(this.ctx), reason });
    }
    try {
      disconnectWithMessage(this.conn, `teleport: ${reason}`, code);
    } catch {
      this.conn.end();
    }
  }

  /** Disconnects at `when` (roles with disconnect_expired_cert). */
  private disconnectAt(when: Date, reason: string): void {
    const ms = when.getTime() - this.node.clock.nowMs();
    if (ms > 2 ** 31 - 1) return; // beyond setTimeout's range (~24 days): certificates are shorter-lived
    const timer = setTimeout(() => this.disconnect(reason), Math.max(ms, 0));
    timer.unref();
    this.conn.once('close', () => clearTimeout(timer));
  }

  /** Authenticated: wire up what the user may open. */
  private ready(user: AuthorizedUser): void {
    const c: ConnContext = {
      node: this.node, conn: this.conn, user,
      endpoints: { remoteIP: this.remoteIP, remotePort: this.info.port, localIP: this.localIP, localPort: this.localPort },
      remoteAddr: this.remoteAddr, localAddr: this.localAddr,
      logger: this.node.logger.child({ user: user.identity.username, login: user.login, remote: this.remoteAddr }),
    };
    this.ctx = c;
    this.forwards = new RemoteForwards(c);
    const forwards = this.forwards;
    c.logger.info({ fingerprint: user.fingerprint }, 'SSH login');
    if (user.checker.disconnectExpiredCert()) this.disconnectAt(user.identity.validBefore, 'your certificate expired: run \'tsh login\' again');
    this.conn.on('session', (accept) => handleSessionChannel(c, accept));
    this.conn.on('tcpip', (accept, reject, info) => handleDirectTcpip(c, accept, reject, info));
    this.conn.on('request', (accept, reject, name, info) => {
      if (name === 'tcpip-forward' || name === 'cancel-tcpip-forward') forwards.handle(name, info, accept, reject);
      else reject?.();
    });
  }
}
