/**
 * @module webapi
 * JSON shapes of the proxy's web API (documented in docs/webapi.md). Paths and field names follow
 * upstream Teleport so existing scripts keep working. Byte fields are base64 strings, as Go's JSON
 * encoding of []byte produces, and `ttl` is a Go duration in nanoseconds.
 */

/** Paths served by the proxy. */
export const WebAPIPaths = {
  ping: '/v1/webapi/ping',
  /** GET + '/<token>': read an invite or reset token. */
  passwordToken: '/v1/webapi/users/password/token',
  sshCerts: '/v1/webapi/ssh/certs',
  /** The web UI's pages that invite and reset URLs open: /web/invite/<token>, /web/reset/<token>. */
  invitePage: '/web/invite',
  resetPage: '/web/reset',
  /** POST: log in to the web UI (sets the session cookie); DELETE: log out. */
  webSession: '/v1/webapi/sessions/web',
  /** GET: who the session's user is and what the UI may show them. */
  me: '/v1/webapi/me',
  /** Per cluster: '/v1/webapi/sites/<site>/nodes' and so on (see WebAPISitePaths). */
  sites: '/v1/webapi/sites',
  /** GET list, POST create; '/<name>' PUT (roles), DELETE; '/<name>/reset' POST. */
  users: '/v1/webapi/users',
  /** GET list; '/<name>' PUT (YAML), DELETE. */
  roles: '/v1/webapi/roles',
  /** GET list, POST create; '/<name>' DELETE. */
  tokens: '/v1/webapi/tokens',
} as const;

/** Paths under '/v1/webapi/sites/<site>' (site = the cluster name). */
export const WebAPISitePaths = {
  nodes: 'nodes',
  databases: 'databases',
  /** Active sessions (session trackers). */
  sessions: 'sessions',
  events: 'events/search',
  /** '/<sid>/stream': the asciicast v2 recording. */
  recordings: 'recordings',
  /** WebSocket terminal (proxy/web/terminal). */
  connect: 'connect/ws',
} as const;

/** Builds '/v1/webapi/sites/<site>/<path>'. */
export function sitePath(site: string, path: string): string {
  return `${WebAPIPaths.sites}/${encodeURIComponent(site)}/${path}`;
}

/** Header and cookie of web UI sessions. */
export const WebSessionCookie = '__Host-session';

/** POST /v1/webapi/sessions/web. */
export interface CreateWebSessionRequest {
  user: string;
  /** The password as a plain string. */
  pass: string;
  /** The current TOTP code, when the cluster requires one. */
  second_factor_token?: string;
}

/** The session's user as the UI shows it. */
export interface WebSessionUser {
  name: string;
  roles: string[];
}

/**
 * Response to POST /v1/webapi/sessions/web. The session id travels only in the HttpOnly cookie;
 * `token` is sent back in `Authorization: Bearer <token>` with every later call.
 */
export interface CreateWebSessionResponse {
  token: string;
  token_type: 'Bearer';
  /** Seconds until the session (and its certificates) expire. */
  expires_in: number;
  user: WebSessionUser;
}

/** What a list endpoint returns. `startKey` is present when there are more items: pass it back. */
export interface ListResponse<T> {
  items: T[];
  startKey?: string;
  /** Items matching the filters, over all pages. */
  totalCount?: number;
}

/** A label as the UI lists it. */
export interface WebLabel {
  name: string;
  value: string;
}

/** GET /v1/webapi/me. */
export interface MeResponse {
  user: string;
  roles: string[];
  /** OS logins the user may use on nodes (their roles' logins with traits applied). */
  logins: string[];
  /** The cluster's name (the `site` of /sites/<site>/... paths). */
  cluster: string;
  /** Seconds until the session expires. */
  expires_in: number;
  /** What the UI should offer: true when the user's roles allow it. */
  acl: {
    /** Create, update and delete users (and their invite/reset links). */
    users: boolean;
    /** Create, update and delete roles. */
    roles: boolean;
    /** Create, list and delete join tokens. */
    tokens: boolean;
    /** Search the audit log. */
    events: boolean;
    /** List and play session recordings. */
    recordings: boolean;
  };
}

/** An item of GET /sites/<site>/nodes. */
export interface WebNode {
  /** The node's UUID (what the terminal's `node` field takes, as does the hostname). */
  id: string;
  hostname: string;
  /** host:port of its SSH service ("" for nodes reached only through a tunnel). */
  addr: string;
  /** True when the node is reached through a reverse tunnel. */
  tunnel: boolean;
  /** "teleport" or "openssh". */
  sub_kind: string;
  /** Static and command labels, sorted by name. */
  labels: WebLabel[];
}

/** An item of GET /sites/<site>/databases. */
export interface WebDatabase {
  name: string;
  protocol: string;
  description: string;
  labels: WebLabel[];
}

/** An item of GET /sites/<site>/sessions: a live session. */
export interface WebActiveSession {
  sid: string;
  login: string;
  hostname: string;
  server_id: string;
  /** RFC 3339. */
  created: string;
  interactive: boolean;
  participants: Array<{ user: string; mode: 'peer' | 'observer' }>;
}

/** An item of GET /sites/<site>/recordings (from a session.end event). */
export interface WebRecording {
  sid: string;
  /** Who started the session. */
  user: string;
  participants: string[];
  login: string;
  hostname: string;
  server_id: string;
  /** RFC 3339. */
  started: string;
  ended: string;
  duration_ms: number;
  interactive: boolean;
}

/** An item of GET /v1/webapi/users. */
export interface WebUser {
  name: string;
  roles: string[];
  traits: Record<string, string[]>;
  /** Present while the user is locked out after failed logins. */
  locked_until?: string;
}

/** POST /v1/webapi/users. */
export interface CreateWebUserRequest {
  name: string;
  roles: string[];
  traits?: Record<string, string[]>;
}

/** Response to POST /v1/webapi/users. */
export interface CreateWebUserResponse {
  user: WebUser;
  /** Where the new user sets a password and enrolls TOTP. */
  invite_url: string;
  /** RFC 3339 expiry of the invite. */
  expires: string;
}

/** Response to POST /v1/webapi/users/<name>/reset. */
export interface ResetWebUserResponse {
  reset_url: string;
  expires: string;
}

/** An item of GET /v1/webapi/roles, and the body of PUT /v1/webapi/roles/<name>. */
export interface WebRole {
  name: string;
  /** The role as `tctl get role/<name>` prints it. */
  yaml: string;
}

/** An item of GET /v1/webapi/tokens. */
export interface WebJoinToken {
  /** The token value (it is the secret that joins an agent). */
  name: string;
  /** System roles, e.g. ["Node"]. */
  roles: string[];
  /** RFC 3339, absent for tokens that do not expire. */
  expires?: string;
  labels: WebLabel[];
}

/** POST /v1/webapi/tokens. */
export interface CreateWebJoinTokenRequest {
  /** What the agent may become: node, proxy, db, app, kube (default ["node"]). */
  roles?: string[];
  /** Go duration, default "30m". */
  ttl?: string;
}

/** Response to POST /v1/webapi/tokens. */
export interface CreateWebJoinTokenResponse {
  token: string;
  roles: string[];
  expires: string;
  /** The exact `teleport start` command to run on the new host, as `tctl tokens add` prints it. */
  command: string;
}

/** GET /v1/webapi/ping. */
export interface PingResponse {
  auth: {
    type: string;
    second_factor: string;
    local?: { name: string };
  };
  proxy: {
    ssh: {
      listen_addr: string;
      tunnel_listen_addr?: string;
      public_addr?: string;
      ssh_public_addr?: string;
    };
    /**
     * Database access addresses (upstream's DBProxySettings). Without a dedicated listener clients
     * use the web address: PostgreSQL by SSLRequest or either protocol by TLS ALPN.
     */
    db?: DBProxySettings;
    tls_routing_enabled: boolean;
  };
  server_version: string;
  cluster_name: string;
  /** Extension: pin of the cluster's host CA ("sha256:<hex>"), so clients can check it out of band. */
  ca_pin?: string[];
}

/** Where database clients reach the proxy (ping's `proxy.db`). Listen addresses are host:port as bound. */
export interface DBProxySettings {
  postgres_listen_addr?: string;
  postgres_public_addr?: string;
  mysql_listen_addr?: string;
  mysql_public_addr?: string;
}

/** GET /v1/webapi/users/password/token/<token>. */
export interface PasswordTokenResponse {
  tokenId: string;
  user: string;
  /** Present when the cluster requires OTP: the secret to enroll. */
  otp_secret?: string;
  /** otpauth:// URI for authenticator apps (the same secret). */
  otp_uri?: string;
  /** RFC 3339 expiry of the token. */
  expires?: string;
  /** "invite" or "reset". */
  kind?: string;
}

/** PUT /v1/webapi/users/password/token. */
export interface ChangePasswordWithTokenRequest {
  token: string;
  /** base64 of the UTF-8 password (upstream sends []byte, which JSON-encodes as base64); required. */
  password: string;
  second_factor_token?: string;
}

/** Response of a completed invite or reset. */
export interface ChangePasswordWithTokenResponse {
  user: string;
}

/** POST /v1/webapi/ssh/certs. */
export interface CreateSSHCertRequest {
  user: string;
  password: string;
  otp_token?: string;
  /** base64 of an authorized_keys line ("ssh-ed25519 AAAA..."). */
  pub_key: string;
  /** base64 of a PEM SPKI public key for the X.509 certificate. */
  tls_pub_key?: string;
  /** Requested TTL in nanoseconds (Go duration); capped by roles. */
  ttl?: number;
}

/** Trusted CA material for one cluster. */
export interface TrustedCerts {
  domain_name: string;
  /** base64 of authorized_keys lines of the host CA. */
  auth_keys: string[];
  /** base64 of PEM certificates of the host CA. */
  tls_certs: string[];
}

/** Response to POST /v1/webapi/ssh/certs. */
export interface SSHLoginResponse {
  username: string;
  /** base64 of the OpenSSH certificate line. */
  cert: string;
  /** base64 of the PEM X.509 certificate. */
  tls_cert: string;
  /** Host CAs to trust for SSH (known_hosts) and TLS. */
  host_signers: TrustedCerts[];
  /** base64 PEM of the CA certificates that verify the proxy and auth TLS servers. */
  tls_ca_certs: string[];
}

/** Error body of every failed web API call. */
export interface WebAPIError {
  error: {
    code: string;
    message: string;
    /** For YAML validation errors (PUT /v1/webapi/roles/<name>): the line of the offending value. */
    line?: number;
    /** For YAML validation errors: the field path, e.g. "spec.allow.logins". */
    field?: string;
  };
}
