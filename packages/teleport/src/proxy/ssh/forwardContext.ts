/**
 * @module proxy/ssh/forwardContext
 * What the forwarding server's channel handlers know about one terminated connection: the client
 * side (an ssh2 server connection inside the proxy), the node side (an ssh2 client logged in as the
 * user), who the user is, how sessions are recorded, and the fields every audit event about the
 * connection carries. Events go out in order (session.start before exec before session.end).
 */
import type { Client, Connection } from 'ssh2';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { errorMessage } from '@teleport-ts/api/errors';
import type { AuditEventInput } from '@teleport-ts/api/events/types';
import type { Clock } from '@teleport-ts/api/clock';
import type { UserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import type { RecordingMode } from '@teleport-ts/api/types/clusterConfig';
import type { Server } from '@teleport-ts/api/types/server';
import type { RecordingDecision } from '../../srv/recording/mode.ts';
import type { Logger } from '../../utils/logger.ts';
import type { AuditSink } from './audit.ts';
import type { ProxyRecordings } from './recordings.ts';

/** A client connection the proxy terminated, and its login on the node. */
export interface ForwardedConnection {
  /** The client's connection to the forwarding server. */
  conn: Connection;
  /** The proxy's connection to the node, as the user. */
  nodeClient: Client;
  node: Server;
  user: string;
  login: string;
  identity: UserSSHIdentity;
  /** The recording mode that applies to this node (OpenSSH nodes: node modes become proxy modes). */
  mode: RecordingMode;
  /** The decision for interactive sessions (cluster mode and the roles' record_session). */
  decision: RecordingDecision;
  recordings: ProxyRecordings;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  /** Fields every event about this connection carries. */
  fields: Record<string, unknown>;
  /** True once a session asked for agent forwarding (the node may then open agent channels). */
  agentRequested: boolean;
}

/** The audit fields of a forwarded connection. */
export function forwardedFields(a: { user: string; login: string; node: Server; remoteAddr: string; proxyId: string }): Record<string, unknown> {
  return {
    user: a.user, login: a.login, server_id: a.node.metadata.name, server_hostname: a.node.spec.hostname, server_addr: a.node.spec.addr,
    ...(a.node.sub_kind && { server_sub_kind: a.node.sub_kind }), 'addr.remote': a.remoteAddr, proto: 'ssh', proxy_id: a.proxyId,
  };
}

/** An AuditSink that delivers events to auth one after another, in emit order; failures are logged. */
export function orderedAuditSink(authClient: Pick<AuthClient, 'emitAuditEvent'>, logger: Logger): AuditSink {
  let chain: Promise<void> = Promise.resolve();
  return (event: AuditEventInput) => {
    chain = chain.then(() => authClient.emitAuditEvent(event)).catch((err: unknown) => {
      logger.warn({ event: event.event, code: event.code, err: errorMessage(err) }, 'could not emit audit event');
    });
  };
}
