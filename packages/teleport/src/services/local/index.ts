/**
 * @module services/local
 * The auth service's storage layer: one object per resource family, all over one backend. These classes
 * do no authorization; the auth layer in front of them checks RBAC first.
 */
import type { Backend } from '../../backend/backend.ts';
import { AccessService } from './access.ts';
import { ClusterConfigService } from './clusterConfig.ts';
import { ProvisioningService } from './provisioning.ts';
import { TrustService } from './trust.ts';
import { UserTokensService } from './userTokens.ts';
import { UsersService } from './users.ts';
import { PresenceService } from './presence.ts';
import { DatabasesService } from './databases.ts';
import { WebSessionsService } from './webSessions.ts';

export { AccessService } from './access.ts';
export { ClusterConfigService, defaultAuthPreference, defaultSessionRecordingConfig } from './clusterConfig.ts';
export { ProvisioningService } from './provisioning.ts';
export { TrustService } from './trust.ts';
export { UserTokensService, userTokenGoneMessage } from './userTokens.ts';
export type { UserTokenSecrets } from './userTokens.ts';
export { UsersService } from './users.ts';
export { PresenceService, NODES_PREFIX, SESSION_TRACKERS_PREFIX } from './presence.ts';
export { DatabasesService, DATABASES_PREFIX, DATABASE_SERVERS_PREFIX, splitDatabaseServerName } from './databases.ts';
export { WebSessionsService, WEB_SESSION_GONE } from './webSessions.ts';
export type { WebSessionRecord } from './webSessions.ts';
export type { LoginAttempt, MFADevice, TOTPDevice } from './users.ts';

/** Every local service, sharing one backend. */
export class LocalServices {
  /** Users, password hashes, MFA devices, login attempts. */
  readonly users: UsersService;
  /** Invite and password-reset tokens. */
  readonly userTokens: UserTokensService;
  /** Roles. */
  readonly access: AccessService;
  /** Join tokens. */
  readonly provisioning: ProvisioningService;
  /** Certificate authorities. */
  readonly trust: TrustService;
  /** Cluster name, auth preference, session recording config. */
  readonly clusterConfig: ClusterConfigService;
  /** Nodes and live sessions (records with a TTL). */
  readonly presence: PresenceService;
  /** Databases (db) and the database services' announcements (db_server, with a TTL). */
  readonly databases: DatabasesService;
  /** Web UI sessions (keys and certificates; records with the certificates' TTL). */
  readonly webSessions: WebSessionsService;

  constructor(readonly backend: Backend) {
    this.users = new UsersService(backend);
    this.userTokens = new UserTokensService(backend);
    this.presence = new PresenceService(backend);
    this.databases = new DatabasesService(backend);
    this.webSessions = new WebSessionsService(backend);
    this.access = new AccessService(backend);
    this.provisioning = new ProvisioningService(backend);
    this.trust = new TrustService(backend);
    this.clusterConfig = new ClusterConfigService(backend);
  }
}
