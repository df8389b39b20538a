/**
 * @module proxy/ssh/audit
 * The audit events the proxy's SSH listener emits: `auth` (T3007W) when a client fails to
 * authenticate and `session.connect` (T2010I) when a connection to a node is established through
 * the proxy. Events go to the auth service in the background: a slow or unreachable auth service
 * never holds up a connection, and a lost event is logged.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { AuditEventInput } from '@teleport-ts/api/events/types';
import type { Server } from '@teleport-ts/api/types/server';
import { authAttemptFailureEvent } from '../../events/newEvent.ts';
import type { Logger } from '../../utils/logger.ts';

/** Emits events without waiting for them. */
export type AuditSink = (event: AuditEventInput) => void;

/** An AuditSink over the auth client; failures are logged, never thrown. */
export function auditSink(authClient: Pick<AuthClient, 'emitAuditEvent'>, logger: Logger): AuditSink {
  return (event) => {
    authClient.emitAuditEvent(event).catch((err: unknown) => {
      logger.warn({ event: event.event, code: event.code, err: (err as Error).message }, 'could not emit audit event');
    });
  };
}

/** auth (T3007W) for a refused SSH login at the proxy. */
export function proxyAuthFailureEvent(a: { user: string; login: string; error: string; remoteAddr: string; localAddr?: string }): AuditEventInput {
  return {
    ...authAttemptFailureEvent({ user: a.user, error: a.error, remoteAddr: a.remoteAddr, ...(a.localAddr && { localAddr: a.localAddr }) }),
    login: a.login,
    proto: 'ssh',
  };
}

/**
 * session.connect (T2010I): `user` (logging in to the node as `login`) reached `node` through the
 * proxy. The server_* fields describe the node that was reached; `proxy_id` names this proxy.
 */
export function sessionConnectEvent(a: {
  user: string;
  login: string;
  node: Server;
  remoteAddr: string;
  proxyId: string;
  /** How the client asked: "direct-tcpip" (OpenSSH -J) or "proxy-subsystem" (tsh, ProxyCommand). */
  via: 'direct-tcpip' | 'proxy-subsystem';
}): AuditEventInput {
  return {
    event: EventTypes.sessionConnect,
    code: EventCodes.sessionConnect,
    user: a.user,
    login: a.login,
    server_id: a.node.metadata.name,
    server_hostname: a.node.spec.hostname,
    server_addr: a.node.spec.addr,
    'addr.remote': a.remoteAddr,
    proto: 'ssh',
    proxy_id: a.proxyId,
    via: a.via,
  };
}
