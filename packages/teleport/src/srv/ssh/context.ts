/**
 * @module srv/ssh/context
 * What the node's SSH handlers share: the node's identity and address, its collaborators (auth
 * client, auditor, authorizer, session registry, recordings), and the per-connection facts a
 * channel handler needs (who, from where, as which OS user).
 */
import type { Connection } from 'ssh2';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import type { Logger } from '../../utils/logger.ts';
import type { NodeAuditor } from './audit.ts';
import type { AuthHandler, AuthorizedUser } from './authHandler.ts';
import type { EndpointPair } from './env.ts';
import type { SessionRecordings } from './recording.ts';
import type { RegisteredSession, SessionRegistry } from './sessionRegistry.ts';
import type { TrackerTiming } from './tracker.ts';

/** Node-wide state shared by every connection. */
export interface NodeContext {
  hostId: string;
  nodeName: string;
  clusterName: string;
  /** host:port the node is reachable at. */
  addr(): string;
  /** Static and command labels. */
  labels(): Record<string, string>;
  clock: Clock;
  logger: Logger;
  authClient: Pick<AuthClient, 'upsertResource' | 'deleteResource'>;
  auditor: NodeAuditor;
  authHandler: AuthHandler;
  registry: SessionRegistry<RegisteredSession>;
  recordings: SessionRecordings;
  trackerTiming: TrackerTiming;
  /** Path of OpenSSH's sftp-server. */
  sftpServerPath: string;
}

/** One authenticated connection. */
export interface ConnContext {
  node: NodeContext;
  conn: Connection;
  user: AuthorizedUser;
  endpoints: EndpointPair;
  /** "ip:port" of the client and of the node side, for audit events. */
  remoteAddr: string;
  localAddr: string;
  logger: Logger;
}

/** The audit fields every event of a connection carries. */
export function connFields(c: ConnContext): { user: string; login: string; 'addr.remote': string; 'addr.local': string } {
  return { user: c.user.identity.username, login: c.user.login, 'addr.remote': c.remoteAddr, 'addr.local': c.localAddr };
}
