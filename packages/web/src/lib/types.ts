/**
 * @module types
 * JSON shapes of the web API as the UI reads them (see docs/webapi.md).
 */
import type { Label } from './labels.ts';

/** A page of a list endpoint. */
export interface ListResponse<T> {
  items: T[];
  startKey?: string;
  totalCount?: number;
}

/** GET /v1/webapi/ping (the fields the UI uses). */
export interface Ping {
  cluster_name: string;
  server_version?: string;
  auth?: { type?: string; second_factor?: string };
}

/** POST /v1/webapi/sessions/web. */
export interface LoginResponse {
  token: string;
  token_type: string;
  expires_in: number;
  user: { name: string; roles: string[] };
}

/** What the signed-in user may see in the UI. */
export interface Acl {
  users: boolean;
  roles: boolean;
  tokens: boolean;
  events: boolean;
  recordings: boolean;
}

/** GET /v1/webapi/me. */
export interface Me {
  user: string;
  roles: string[];
  logins: string[];
  acl: Acl;
}

/** GET /v1/webapi/users/password/token/:token. */
export interface PasswordToken {
  tokenId: string;
  user: string;
  kind?: string;
  expires?: string;
  otp_secret?: string;
  otp_uri?: string;
}

/** A server (SSH node). */
export interface NodeItem {
  id: string;
  hostname: string;
  addr: string;
  tunnel: boolean;
  labels: Label[];
}

/** A database. */
export interface DatabaseItem {
  name: string;
  protocol: string;
  description: string;
  labels: Label[];
}

/** An active session (session tracker). */
export interface ActiveSession {
  sid: string;
  login: string;
  hostname: string;
  server_id: string;
  created: string;
  participants: { user: string; mode: string }[];
}

/** A finished session with a recording. */
export interface RecordingItem {
  sid: string;
  user: string;
  login: string;
  hostname: string;
  duration_ms: number;
  started: string;
  ended: string;
  interactive: boolean;
}

/** An audit event: free-form JSON with a few common fields. */
export interface AuditEvent {
  event?: string;
  time?: string;
  uid?: string;
  user?: string;
  [key: string]: unknown;
}

/** A user, as listed. */
export interface UserItem {
  name: string;
  roles: string[];
  [key: string]: unknown;
}

/** A role and its YAML. */
export interface RoleItem {
  name: string;
  yaml: string;
}

/** A join token. */
export interface TokenItem {
  name: string;
  roles: string[];
  expires?: string;
}

/** POST /v1/webapi/tokens. */
export interface CreatedToken {
  token: string;
  expires?: string;
  command: string;
}
