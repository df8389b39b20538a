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
  /** The plain HTML page users open from an invite URL: /web/invite/<token>. */
  invitePage: '/web/invite',
  resetPage: '/web/reset',
} as const;

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
  error: { code: string; message: string };
}
