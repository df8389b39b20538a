/**
 * @module auth/resources/handler
 * The shape of a per-kind resource handler. The generic resource RPCs (get/list/create/upsert/delete)
 * dispatch to one handler per kind, so each kind's storage, validation and audit events live in one
 * small file.
 */
import type { Resource } from '@teleport-ts/api/types/resource';
import type { Clock } from '@teleport-ts/api/clock';
import type { LocalServices } from '../../services/local/index.ts';
import type { AuditLog } from '../../events/auditLog.ts';
import type { Keyring } from '../keyring.ts';
import type { AccessChecker } from '../../services/rbac/accessChecker.ts';
import type { PresenceReader } from '../../services/cache/presenceCache.ts';

/** What handlers may use. */
export interface HandlerDeps {
  services: LocalServices;
  audit: AuditLog;
  clock: Clock;
  keyring: Keyring;
  clusterName: string;
  /** Where node and proxy reads go (auth's presence cache); absent: straight to `services.presence`. */
  presenceReader?: PresenceReader;
}

/** The name of whoever makes a change, for audit events. */
export type Actor = string;

/** Operations for one resource kind; absent operations are refused as not supported. */
export interface ResourceHandler {
  kind: string;
  get(name: string): Promise<Resource>;
  list(): Promise<Resource[]>;
  create?(resource: Resource, actor: Actor): Promise<Resource>;
  upsert?(resource: Resource, actor: Actor): Promise<Resource>;
  delete?(name: string, actor: Actor): Promise<void>;
  /**
   * For kinds users reach through RBAC on the resource itself (nodes, sessions) rather than through
   * rules: whether this user may see this resource. Absent means rules alone decide.
   */
  visibleTo?(resource: Resource, user: { name: string; checker: AccessChecker }): boolean | Promise<boolean>;
}
