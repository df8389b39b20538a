/**
 * @module events/codes
 * Audit event names (`event`) and codes (`code`) as upstream Teleport spells them, so exported logs
 * and SIEM rules written for upstream keep working. A code's last letter is its severity: I = info,
 * W = warning (a denied or failed attempt), E = error. Names shared by several codes (user.login,
 * exec, db.session.start, ...) tell outcomes apart only by code.
 */

/** Every audit event name the cluster emits. */
export const EventTypes = {
  userLogin: 'user.login',
  userCreate: 'user.create',
  userUpdate: 'user.update',
  userDelete: 'user.delete',
  userPasswordChange: 'user.password_change',
  mfaAdd: 'mfa.add',
  mfaDelete: 'mfa.delete',

  sessionStart: 'session.start',
  sessionJoin: 'session.join',
  /** Upstream names the terminal resize event just "resize". */
  sessionResize: 'resize',
  sessionLeave: 'session.leave',
  sessionEnd: 'session.end',
  sessionUpload: 'session.upload',
  sessionConnect: 'session.connect',

  appSessionStart: 'app.session.start',
  appSessionChunk: 'app.session.chunk',
  appSessionRequest: 'app.session.request',
  appSessionEnd: 'app.session.end',

  subsystem: 'subsystem',
  exec: 'exec',
  portForward: 'port',
  /** One name for both directions; the code (and an `action` field) says download or upload. */
  scp: 'scp',
  clientDisconnect: 'client.disconnect',
  /** A failed authentication attempt (bad certificate, unknown user). */
  authAttempt: 'auth',
  kubeRequest: 'kube.request',

  accessRequestCreate: 'access_request.create',
  accessRequestUpdate: 'access_request.update',
  accessRequestReview: 'access_request.review',

  resetPasswordTokenCreate: 'reset_password_token.create',
  trustedClusterCreate: 'trusted_cluster.create',
  trustedClusterDelete: 'trusted_cluster.delete',

  githubConnectorCreated: 'github.created',
  githubConnectorDeleted: 'github.deleted',
  oidcConnectorCreated: 'oidc.created',
  oidcConnectorDeleted: 'oidc.deleted',
  samlConnectorCreated: 'saml.created',
  samlConnectorDeleted: 'saml.deleted',

  roleCreated: 'role.created',
  roleDeleted: 'role.deleted',
  lockCreated: 'lock.created',
  lockDeleted: 'lock.deleted',
  certificateCreate: 'cert.create',

  databaseSessionStart: 'db.session.start',
  databaseSessionEnd: 'db.session.end',
  databaseSessionQuery: 'db.session.query',

  desktopSessionStart: 'windows.desktop.session.start',
  desktopSessionEnd: 'windows.desktop.session.end',

  /** Upstream's provision-token creation event. */
  joinTokenCreate: 'join_token.create',
  /** Ours: upstream emits no event when a join token is deleted. */
  joinTokenDelete: 'join_token.delete',
  /** An agent joined (or failed to join) the cluster; upstream's InstanceJoinEvent. */
  instanceJoin: 'instance.join',
} as const;

/** An audit event name. */
export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

/** Every audit event code the cluster emits. */
export const EventCodes = {
  userLocalLogin: 'T1000I',
  userLocalLoginFailure: 'T1000W',
  userSSOLogin: 'T1001I',
  userSSOLoginFailure: 'T1001W',
  userCreate: 'T1002I',
  userUpdate: 'T1003I',
  userDelete: 'T1004I',
  userPasswordChange: 'T1005I',
  mfaAdd: 'T1006I',
  mfaDelete: 'T1007I',

  sessionStart: 'T2000I',
  sessionJoin: 'T2001I',
  sessionResize: 'T2002I',
  sessionLeave: 'T2003I',
  sessionEnd: 'T2004I',
  sessionUpload: 'T2005I',
  appSessionStart: 'T2007I',
  appSessionChunk: 'T2008I',
  appSessionRequest: 'T2009I',
  sessionConnect: 'T2010I',
  appSessionEnd: 'T2011I',

  subsystem: 'T3001I',
  subsystemFailure: 'T3001E',
  exec: 'T3002I',
  execFailure: 'T3002E',
  portForward: 'T3003I',
  portForwardFailure: 'T3003E',
  scpDownload: 'T3004I',
  scpDownloadFailure: 'T3004E',
  scpUpload: 'T3005I',
  scpUploadFailure: 'T3005E',
  clientDisconnect: 'T3006I',
  authAttemptFailure: 'T3007W',
  kubeRequest: 'T3009I',

  accessRequestCreate: 'T5000I',
  accessRequestUpdate: 'T5001I',
  accessRequestReview: 'T5002I',

  resetPasswordTokenCreate: 'T6000I',
  trustedClusterCreate: 'T7000I',
  trustedClusterDelete: 'T7001I',

  githubConnectorCreated: 'T8000I',
  githubConnectorDeleted: 'T8001I',
  oidcConnectorCreated: 'T8100I',
  oidcConnectorDeleted: 'T8101I',
  samlConnectorCreated: 'T8200I',
  samlConnectorDeleted: 'T8201I',

  roleCreated: 'T9000I',
  roleDeleted: 'T9001I',
  lockCreated: 'TLK00I',
  lockDeleted: 'TLK01I',
  certificateCreate: 'TC000I',

  databaseSessionStart: 'TDB00I',
  databaseSessionStartFailure: 'TDB00W',
  databaseSessionEnd: 'TDB01I',
  databaseSessionQuery: 'TDB02I',
  databaseSessionQueryFailure: 'TDB02W',

  desktopSessionStart: 'TDP00I',
  desktopSessionEnd: 'TDP01I',

  /** Upstream's provision-token creation code. */
  joinTokenCreate: 'TJT00I',
  /** Ours (upstream has no delete event); chosen next to the create code. */
  joinTokenDelete: 'TJT01I',
  /** Upstream's InstanceJoinCode / InstanceJoinFailureCode. */
  instanceJoin: 'TJ002I',
  instanceJoinFailure: 'TJ002E',
} as const;

/** An audit event code. */
export type EventCode = (typeof EventCodes)[keyof typeof EventCodes];
