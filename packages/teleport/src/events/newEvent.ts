/**
 * @module events/newEvent
 * Builders for the events the auth service emits, so each call site is one line with the right name
 * and code: `await audit.emit(userLoginEvent({ user, method: 'local', success: false, error }))`.
 * Field names follow upstream's JSON. Secrets never go into events: no token values, passwords or keys
 * (join and reset tokens are described by their roles, owner and expiry, never by name).
 * Session, exec, database and desktop events are built by their services from EventTypes/EventCodes.
 */
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { AuditEventInput } from '@teleport-ts/api/events/types';

/** How a user logged in: the local password/MFA flow or an SSO connector kind. */
export type LoginMethod = 'local' | 'github' | 'oidc' | 'saml';

/** user.login: T1000I/W for local logins, T1001I/W for SSO. */
export function userLoginEvent(a: {
  user: string;
  method: LoginMethod;
  success: boolean;
  /** Why it failed; shown to admins, so no secrets. */
  error?: string;
  remoteAddr?: string;
  /** Name of the MFA device used, if any. */
  mfaDevice?: string;
  /** A web UI login (CreateWebSession): the event carries `web: true`. */
  web?: boolean;
}): AuditEventInput {
  const local = a.method === 'local';
  const code = a.success
    ? (local ? EventCodes.userLocalLogin : EventCodes.userSSOLogin)
    : (local ? EventCodes.userLocalLoginFailure : EventCodes.userSSOLoginFailure);
  return {
    event: EventTypes.userLogin,
    code,
    user: a.user,
    method: a.method,
    success: a.success,
    error: a.error,
    'addr.remote': a.remoteAddr,
    mfa_device: a.mfaDevice,
    web: a.web ? true : undefined,
  };
}

/** Who did something to which named resource. `user` is always the actor. */
export interface ResourceChange {
  /** The acting user (or "system" for internal changes). */
  user: string;
  /** The resource's name. */
  name: string;
}

/** user.create (T1002I): `user` created user `name` with `roles`. */
export function userCreateEvent(a: ResourceChange & { roles: string[]; connector?: string }): AuditEventInput {
  return { event: EventTypes.userCreate, code: EventCodes.userCreate, user: a.user, name: a.name, roles: a.roles, connector: a.connector };
}

/** user.update (T1003I). */
export function userUpdateEvent(a: ResourceChange & { roles?: string[] }): AuditEventInput {
  return { event: EventTypes.userUpdate, code: EventCodes.userUpdate, user: a.user, name: a.name, roles: a.roles };
}

/** user.delete (T1004I). */
export function userDeleteEvent(a: ResourceChange): AuditEventInput {
  return { event: EventTypes.userDelete, code: EventCodes.userDelete, user: a.user, name: a.name };
}

/** user.password_change (T1005I): `user` changed their own password (or set it via a reset token). */
export function userPasswordChangeEvent(a: { user: string; remoteAddr?: string }): AuditEventInput {
  return { event: EventTypes.userPasswordChange, code: EventCodes.userPasswordChange, user: a.user, 'addr.remote': a.remoteAddr };
}

/** An MFA device, as events describe it. */
export interface MfaDeviceInfo {
  user: string;
  deviceName: string;
  deviceId?: string;
  /** "TOTP" or "WebAuthn". */
  deviceType: string;
}

/** mfa.add (T1006I). */
export function mfaAddEvent(a: MfaDeviceInfo): AuditEventInput {
  return { event: EventTypes.mfaAdd, code: EventCodes.mfaAdd, ...mfaFields(a) };
}

/** mfa.delete (T1007I). */
export function mfaDeleteEvent(a: MfaDeviceInfo): AuditEventInput {
  return { event: EventTypes.mfaDelete, code: EventCodes.mfaDelete, ...mfaFields(a) };
}

function mfaFields(a: MfaDeviceInfo): Record<string, unknown> {
  return { user: a.user, mfa_device_name: a.deviceName, mfa_device_uuid: a.deviceId, mfa_device_type: a.deviceType };
}

/** role.created (T9000I); also used for role updates, as upstream does. */
export function roleCreatedEvent(a: ResourceChange): AuditEventInput {
  return { event: EventTypes.roleCreated, code: EventCodes.roleCreated, user: a.user, name: a.name };
}

/** role.deleted (T9001I). */
export function roleDeletedEvent(a: ResourceChange): AuditEventInput {
  return { event: EventTypes.roleDeleted, code: EventCodes.roleDeleted, user: a.user, name: a.name };
}

/** The identity encoded in an issued certificate, as recorded by cert.create. */
export interface CertIdentitySummary {
  user: string;
  roles: string[];
  logins?: string[];
  expires?: Date;
  routeToCluster?: string;
  /** Set when an admin or bot issued the certificate on the user's behalf. */
  impersonator?: string;
}

/** cert.create (TC000I): a certificate was issued. */
export function certCreateEvent(a: { identity: CertIdentitySummary; certType?: 'user' | 'host' | 'bot' | 'db'; remoteAddr?: string }): AuditEventInput {
  const id = a.identity;
  return {
    event: EventTypes.certificateCreate,
    code: EventCodes.certificateCreate,
    cert_type: a.certType ?? 'user',
    identity: dropUndefined({
      user: id.user,
      roles: id.roles,
      logins: id.logins,
      expires: id.expires?.toISOString(),
      route_to_cluster: id.routeToCluster,
      impersonator: id.impersonator,
    }),
    'addr.remote': a.remoteAddr,
  };
}

/** reset_password_token.create (T6000I): `user` created a reset/invite token for user `name`. */
export function resetPasswordTokenCreateEvent(a: ResourceChange & { ttl: string; expires?: Date }): AuditEventInput {
  return {
    event: EventTypes.resetPasswordTokenCreate,
    code: EventCodes.resetPasswordTokenCreate,
    user: a.user,
    name: a.name,
    ttl: a.ttl,
    expires: a.expires?.toISOString(),
  };
}

/** join_token.create (TJT00I). The token value is a secret and is never recorded. */
export function joinTokenCreateEvent(a: { user: string; roles: string[]; joinMethod?: string; expires?: Date }): AuditEventInput {
  return {
    event: EventTypes.joinTokenCreate,
    code: EventCodes.joinTokenCreate,
    user: a.user,
    roles: a.roles,
    join_method: a.joinMethod ?? 'token',
    expires: a.expires?.toISOString(),
  };
}

/** join_token.delete (TJT01I, ours). The token value is never recorded. */
export function joinTokenDeleteEvent(a: { user: string; roles?: string[] }): AuditEventInput {
  return { event: EventTypes.joinTokenDelete, code: EventCodes.joinTokenDelete, user: a.user, roles: a.roles };
}

/**
 * Masks a secret key name the way upstream's backend.MaskKeyName does: the first 75% of its characters
 * become `*`, so the tail still tells tokens apart in the audit log.
 */
export function maskKeyName(name: string): string {
  const hidden = Math.floor(0.75 * name.length);
  return '*'.repeat(hidden) + name.slice(hidden);
}

/**
 * instance.join (TJ002I, or TJ002E on failure): an agent joined with a token, or tried to. The token
 * name is masked with maskKeyName; `error` says why a failed attempt was refused.
 */
export function instanceJoinEvent(a: {
  success: boolean;
  /** The token as presented (masked here). */
  tokenName: string;
  role: string;
  hostId: string;
  nodeName: string;
  method?: string;
  remoteAddr?: string;
  error?: string;
  tokenExpires?: Date;
}): AuditEventInput {
  return {
    event: EventTypes.instanceJoin,
    code: a.success ? EventCodes.instanceJoin : EventCodes.instanceJoinFailure,
    success: a.success,
    error: a.error,
    token_name: maskKeyName(a.tokenName),
    method: a.method ?? 'token',
    role: a.role,
    host_id: a.hostId,
    node_name: a.nodeName,
    'addr.remote': a.remoteAddr,
    token_expires: a.tokenExpires?.toISOString(),
  };
}

/** auth (T3007W): an authentication attempt failed (bad certificate, unknown user, ...). */
export function authAttemptFailureEvent(a: { user?: string; error: string; remoteAddr?: string; localAddr?: string }): AuditEventInput {
  return {
    event: EventTypes.authAttempt,
    code: EventCodes.authAttemptFailure,
    user: a.user,
    success: false,
    error: a.error,
    'addr.remote': a.remoteAddr,
    'addr.local': a.localAddr,
  };
}

/** lock.created (TLK00I): `user` locked `target` (e.g. `{ user: "bob" }`). */
export function lockCreatedEvent(a: ResourceChange & { target: Record<string, string>; message?: string }): AuditEventInput {
  return { event: EventTypes.lockCreated, code: EventCodes.lockCreated, user: a.user, name: a.name, target: a.target, message: a.message };
}

/** lock.deleted (TLK01I). */
export function lockDeletedEvent(a: ResourceChange): AuditEventInput {
  return { event: EventTypes.lockDeleted, code: EventCodes.lockDeleted, user: a.user, name: a.name };
}

/** trusted_cluster.create (T7000I). */
export function trustedClusterCreateEvent(a: ResourceChange): AuditEventInput {
  return { event: EventTypes.trustedClusterCreate, code: EventCodes.trustedClusterCreate, user: a.user, name: a.name };
}

/** trusted_cluster.delete (T7001I). */
export function trustedClusterDeleteEvent(a: ResourceChange): AuditEventInput {
  return { event: EventTypes.trustedClusterDelete, code: EventCodes.trustedClusterDelete, user: a.user, name: a.name };
}

/** An SSO connector kind. */
export type ConnectorKind = 'github' | 'oidc' | 'saml';

const connectorEvents = {
  github: { created: [EventTypes.githubConnectorCreated, EventCodes.githubConnectorCreated], deleted: [EventTypes.githubConnectorDeleted, EventCodes.githubConnectorDeleted] },
  oidc: { created: [EventTypes.oidcConnectorCreated, EventCodes.oidcConnectorCreated], deleted: [EventTypes.oidcConnectorDeleted, EventCodes.oidcConnectorDeleted] },
  saml: { created: [EventTypes.samlConnectorCreated, EventCodes.samlConnectorCreated], deleted: [EventTypes.samlConnectorDeleted, EventCodes.samlConnectorDeleted] },
} as const;

/** github.created / oidc.created / saml.created (T8000I / T8100I / T8200I). */
export function connectorCreatedEvent(a: ResourceChange & { kind: ConnectorKind }): AuditEventInput {
  const [event, code] = connectorEvents[a.kind].created;
  return { event, code, user: a.user, name: a.name };
}

/** github.deleted / oidc.deleted / saml.deleted (T8001I / T8101I / T8201I). */
export function connectorDeletedEvent(a: ResourceChange & { kind: ConnectorKind }): AuditEventInput {
  const [event, code] = connectorEvents[a.kind].deleted;
  return { event, code, user: a.user, name: a.name };
}

/** access_request.create (T5000I): `user` asked for `roles`. */
export function accessRequestCreateEvent(a: { user: string; id: string; roles: string[]; state: string; reason?: string }): AuditEventInput {
  return { event: EventTypes.accessRequestCreate, code: EventCodes.accessRequestCreate, user: a.user, id: a.id, roles: a.roles, state: a.state, reason: a.reason };
}

/** access_request.update (T5001I): `user` moved request `id` to `state`. */
export function accessRequestUpdateEvent(a: { user: string; id: string; state: string; reason?: string }): AuditEventInput {
  return { event: EventTypes.accessRequestUpdate, code: EventCodes.accessRequestUpdate, user: a.user, id: a.id, state: a.state, reason: a.reason, updated_by: a.user };
}

/** access_request.review (T5002I): reviewer `user` proposed `proposedState` for request `id`. */
export function accessRequestReviewEvent(a: { user: string; id: string; proposedState: 'APPROVED' | 'DENIED'; reason?: string }): AuditEventInput {
  return { event: EventTypes.accessRequestReview, code: EventCodes.accessRequestReview, user: a.user, id: a.id, proposed_state: a.proposedState, reason: a.reason, reviewer: a.user };
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export { databaseSessionStartEvent, databaseSessionEndEvent, databaseSessionQueryEvent, type DatabaseSessionInfo } from './databaseEvents.ts';
