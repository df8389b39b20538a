/**
 * @module srv/ssh/audit
 * The node's audit emitter: stamps every event with the node's identity (server_id,
 * server_hostname, server_addr, server_labels) and sends them to auth in order. Emitting never
 * throws into the SSH handlers: a failure is logged (auth also records the caller's identity).
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { errorMessage } from '@teleport-ts/api/errors';
import type { AuditEventFields } from '@teleport-ts/api/events/types';
import type { Logger } from '../../utils/logger.ts';

/** Inputs of NodeAuditor. */
export interface NodeAuditorOptions {
  authClient: Pick<AuthClient, 'emitAuditEvent'>;
  serverId: string;
  hostname: string;
  /** host:port the node is reachable at (known after listening). */
  addr: () => string;
  /** Current labels (static and command labels). */
  labels: () => Record<string, string>;
  logger: Logger;
}

/** Where the connection came from and arrived, as audit fields. */
export interface ConnectionFields {
  'addr.remote': string;
  'addr.local': string;
}

/** Sends the node's audit events. */
export class NodeAuditor {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: NodeAuditorOptions) {}

  /** Queues `event` with the node's fields added; events reach auth in emit order. */
  emit(event: AuditEventFields): void {
    const full: AuditEventFields = {
      ...event,
      server_id: this.opts.serverId,
      server_hostname: this.opts.hostname,
      server_addr: this.opts.addr(),
      server_labels: this.opts.labels(),
      ...(event.proto === undefined && { proto: 'ssh' }),
    };
    this.chain = this.chain.then(
      () => this.opts.authClient.emitAuditEvent(full),
    ).catch((err: unknown) => {
      this.opts.logger.warn({ event: event.event, code: event.code, err: errorMessage(err) }, 'could not send audit event');
    });
  }

  /** Resolves when every queued event was sent (or failed). */
  flush(): Promise<void> {
    return this.chain;
  }
}

/** "host:port", with IPv6 hosts bracketed. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
