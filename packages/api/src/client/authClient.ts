/**
 * @module client/authClient
 * Typed client of the auth service API over mutual TLS (gRPC). Services, tctl and tools use this and
 * nothing else to reach cluster state. Resources cross the wire as JSON and are returned as the typed
 * objects of packages/api/src/types. Unary calls go through the lean client of unaryClient.ts, the
 * streaming watch through Connect; both share one HTTP/2 connection and map errors the same way.
 */
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { AuthService } from '../gen/teleport/auth/v1/auth_pb.ts';
import { lazyDuplex } from './lazyDuplex.ts';
import { fromConnectError } from './errorMapping.ts';
import { createUnaryClient, type UnaryClient } from './unaryClient.ts';
import type { Resource } from '../types/resource.ts';
import type { CertAuthority } from '../types/certAuthority.ts';
import type { UserToken } from '../types/userToken.ts';
import type { AuthPreference } from '../types/clusterConfig.ts';
import type { AuditEvent, SearchEventsQuery } from '../events/types.ts';

/** The TLS server name every auth server certificate carries, so clients can dial by IP. */
export const AUTH_SERVER_NAME = 'teleport.cluster.local';

/** How to reach and authenticate to the auth service. */
export interface AuthClientConfig {
  /** host:port of the auth service. */
  addr: string;
  /**
   * Client certificate (PEM) signed by the cluster's user or host CA. Omitted only by an agent that has
   * not joined yet, which can then call nothing but getClusterCACerts and registerUsingToken.
   */
  certPEM?: string;
  /** Private key (PEM) of the client certificate. */
  keyPEM?: string;
  /** CA certificates that verify the auth server (the cluster's host TLS CA). */
  caCerts: string[];
  /**
   * Do not verify the auth server's certificate. Only for fetching the cluster's CA certificates to
   * check them against a CA pin before anything secret is sent (see service/join.ts).
   */
  insecureSkipVerify?: boolean;
  /** TLS server name to verify; defaults to AUTH_SERVER_NAME. */
  serverName?: string;
  /** Per-call timeout; default 30 s. */
  timeoutMs?: number;
  /**
   * Reach auth through something other than a direct TCP connection (e.g. the proxy's auth tunnel).
   * TLS with the client certificate still runs end to end inside the returned stream.
   */
  dial?: () => Promise<Duplex>;
}

/** Result of Ping. */
export interface PingResult {
  clusterName: string;
  serverVersion: string;
  caPins: string[];
  username: string;
  roles: string[];
  systemRoles: string[];
  authPreference: AuthPreference;
  /** host:port of the web proxy the cluster advertises ("" when unknown). */
  proxyPublicAddr: string;
}

/** The public halves of the cluster's CAs (GetClusterCACerts). */
export interface ClusterCACerts {
  clusterName: string;
  /** PEM certificates of the host CA; CA pins cover these. */
  tlsCACerts: string[];
  /** PEM certificates of the user CA. */
  userTLSCACerts: string[];
  /** authorized_keys lines of the host SSH CA. */
  sshHostCAKeys: string[];
  /** authorized_keys lines of the user SSH CA. */
  sshUserCAKeys: string[];
}

/** What a joining agent presents (RegisterUsingToken). */
export interface RegisterUsingTokenRequest {
  /** The join token (a secret). */
  token: string;
  hostId: string;
  nodeName: string;
  /** System role to join as (Node, Proxy, Db, App, Kube, WindowsDesktop, Discovery). */
  role: string;
  additionalPrincipals?: string[];
  dnsNames?: string[];
  /** authorized_keys line for the SSH host certificate. */
  sshPublicKey?: string;
  /** PEM SPKI for the X.509 certificate. */
  tlsPublicKey: string;
  /** The agent's address as a proxy saw it; auth honours it only from a proxy. */
  remoteAddr?: string;
}

/** Certificates issued by the auth service. */
export interface Certs {
  username: string;
  sshCert: string;
  tlsCert: string;
  hostCAs: CertAuthority[];
  tlsCACerts: string[];
}

/** Options for user certificates. */
export interface UserCertsRequest {
  username?: string;
  sshPublicKey: string;
  tlsPublicKey: string;
  ttlMs?: number;
  routeToCluster?: string;
  dbService?: string;
  dbProtocol?: string;
  dbUser?: string;
  dbName?: string;
}

/** Options for host certificates. */
export interface HostCertsRequest {
  hostId: string;
  nodeName: string;
  role: string;
  additionalPrincipals?: string[];
  dnsNames?: string[];
  sshPublicKey: string;
  tlsPublicKey: string;
  ttlMs?: number;
}

/** A certificate request to the cluster's db CA (GenerateDatabaseCert). */
export interface DatabaseCertRequest {
  /** PEM (SPKI) public key to certify. */
  tlsPublicKey: string;
  /** Subject CN: the database user (client certificates) or the database's host name (server). */
  commonName: string;
  /** Host names and IPs for a server certificate's SANs. */
  serverNames?: string[];
  /** Lifetime; the database service gets at most 1 h. */
  ttlMs: number;
  usage: 'client' | 'server';
}

/** A certificate from the db CA, and the db CA's certificates (PEM). */
export interface DatabaseCertResult {
  certPEM: string;
  caCerts: string[];
}

/** What the proxy presents to have a user's certificate re-issued for a key it holds. */
export interface ReissueUserCertForProxyRequest {
  /** The user's OpenSSH certificate line, as the client presented it. */
  sshCert: string;
  /** authorized_keys line of the proxy-generated key to certify. */
  sshPublicKey: string;
  /** The data the client signed when it authenticated to the proxy (session id + userauth request). */
  authData: Uint8Array;
  /** The client's SSH signature blob over authData. */
  authSignature: Uint8Array;
  /** UUID of the node the proxy connects to. */
  nodeId: string;
}

/** A change to a watched resource. */
export interface WatchEventResult {
  type: 'init' | 'put' | 'delete';
  kind: string;
  name: string;
  resource?: Resource;
}

/** A new web UI session (CreateWebSession). The bearer token exists only in this answer. */
export interface CreatedWebSession {
  /** The session id: the value of the `__Host-session` cookie. */
  sessionId: string;
  /** The bearer token the browser sends in `Authorization` (a secret). */
  bearerToken: string;
  /** When the session and its certificates expire. */
  expires: Date;
  user: string;
  roles: string[];
}

/** A web session as the proxy reads it (GetWebSession): what it needs to act as the user. */
export interface WebSessionInfo {
  sessionId: string;
  user: string;
  roles: string[];
  /** Hex SHA-256 of the bearer token. */
  bearerTokenSHA256: string;
  created: Date;
  expires: Date;
  /** PKCS#8 PEM private key of the certificates below. */
  privateKeyPEM: string;
  /** OpenSSH user certificate line. */
  sshCert: string;
  /** PEM X.509 user certificate (mutual TLS to auth). */
  tlsCert: string;
  /** PEM host TLS CA certificates (verify auth). */
  tlsCACerts: string[];
  /** Host CAs without private keys (verify nodes' host certificates). */
  hostCAs: CertAuthority[];
}

/** An invite/reset token as read by the proxy. */
export interface UserTokenInfo {
  token: UserToken;
  otpRequired: boolean;
  otpSecret?: string;
  otpURI?: string;
}

/** Client of the auth service. */
export class AuthClient {
  /** Unary calls (every method but the watch). */
  private readonly rpc: UnaryClient<typeof AuthService>;
  /** Streaming calls, through Connect. */
  private readonly streams: Client<typeof AuthService>;
  /** The one HTTP/2 connection (reopened on demand, closed after a minute idle), so close() can end it. */
  private readonly session: Http2SessionManager;
  /** host:port this client talks to. */
  readonly addr: string;

  constructor(config: AuthClientConfig) {
    this.addr = config.addr;
    const tlsOptions = {
      ...(config.certPEM !== undefined && { cert: config.certPEM }),
      ...(config.keyPEM !== undefined && { key: config.keyPEM }),
      ca: config.caCerts,
      rejectUnauthorized: !config.insecureSkipVerify,
      servername: config.serverName ?? AUTH_SERVER_NAME,
      minVersion: 'TLSv1.2' as const,
    };
    const dial = config.dial;
    const baseUrl = `https://${config.addr}`;
    this.session = new Http2SessionManager(baseUrl, { idleConnectionTimeoutMs: 60_000 }, {
      ...tlsOptions,
      ...(dial && { createConnection: () => tls.connect({ ...tlsOptions, socket: lazyDuplex(dial), ALPNProtocols: ['h2'] }) }),
    });
    const timeoutMs = config.timeoutMs ?? 30_000;
    this.rpc = createUnaryClient(AuthService, { session: this.session, defaultTimeoutMs: timeoutMs, mapError: (err) => fromConnectError(err, config.addr) });
    const transport = createGrpcTransport({ baseUrl, sessionManager: this.session, defaultTimeoutMs: timeoutMs });
    // Errors are mapped around each call rather than in an interceptor: Connect re-wraps whatever an
    // interceptor throws into a ConnectError, which would lose our error classes.
    this.streams = withErrorMapping(createClient(AuthService, transport), config.addr);
  }

  /**
   * Closes the connection now (calls still running fail). The client stays usable: the next call
   * opens a new connection. Without close(), an idle connection closes by itself after a minute.
   */
  close(): void {
    this.session.abort();
  }

  /** Cluster facts and the caller's identity. */
  async ping(): Promise<PingResult> {
    const r = await this.rpc.ping({});
    return {
      clusterName: r.clusterName,
      serverVersion: r.serverVersion,
      caPins: r.caPins,
      username: r.username,
      roles: r.roles,
      systemRoles: r.systemRoles,
      authPreference: JSON.parse(r.authPreferenceJson) as AuthPreference,
      proxyPublicAddr: r.proxyPublicAddr,
    };
  }

  /** The public halves of the cluster's CAs; needs no client certificate. */
  async getClusterCACerts(): Promise<ClusterCACerts> {
    const r = await this.rpc.getClusterCACerts({});
    return {
      clusterName: r.clusterName,
      tlsCACerts: r.tlsCaCerts,
      userTLSCACerts: r.userTlsCaCerts,
      sshHostCAKeys: r.sshHostCaKeys,
      sshUserCAKeys: r.sshUserCaKeys,
    };
  }

  /**
   * Joins the cluster with a token: host certificates for the given keys. Needs no client certificate,
   * but must only be called over a connection that verified the server against pinned CAs.
   */
  async registerUsingToken(req: RegisterUsingTokenRequest): Promise<Certs> {
    const r = await this.rpc.registerUsingToken({
      token: req.token,
      hostId: req.hostId,
      nodeName: req.nodeName,
      role: req.role,
      additionalPrincipals: req.additionalPrincipals ?? [],
      dnsNames: req.dnsNames ?? [],
      sshPublicKey: req.sshPublicKey ?? '',
      tlsPublicKey: req.tlsPublicKey,
      remoteAddr: req.remoteAddr ?? '',
    });
    return certsFrom(r);
  }

  /** Reads one resource. */
  async getResource<T extends Resource>(kind: string, name: string, withSecrets = false): Promise<T> {
    const r = await this.rpc.getResource({ kind, name, withSecrets });
    return JSON.parse(r.resourceJson) as T;
  }

  /** Lists resources of a kind. */
  async listResources<T extends Resource>(kind: string, withSecrets = false): Promise<T[]> {
    const r = await this.rpc.listResources({ kind, withSecrets });
    return r.resourcesJson.map((j) => JSON.parse(j) as T);
  }

  /** Creates a resource; AlreadyExistsError if present. */
  async createResource<T extends Resource>(resource: T): Promise<T> {
    const r = await this.rpc.createResource({ resourceJson: JSON.stringify(resource) });
    return JSON.parse(r.resourceJson) as T;
  }

  /** Creates or replaces a resource. */
  async upsertResource<T extends Resource>(resource: T): Promise<T> {
    const r = await this.rpc.upsertResource({ resourceJson: JSON.stringify(resource) });
    return JSON.parse(r.resourceJson) as T;
  }

  /** Deletes a resource. */
  async deleteResource(kind: string, name: string): Promise<void> {
    await this.rpc.deleteResource({ kind, name });
  }

  /** Creates an invite or reset token. */
  async createUserToken(req: { user: string; kind: 'invite' | 'reset'; ttlMs?: number }): Promise<UserToken> {
    const r = await this.rpc.createUserToken({ user: req.user, kind: req.kind, ttlMs: BigInt(req.ttlMs ?? 0) });
    return JSON.parse(r.tokenJson) as UserToken;
  }

  /** Reads an invite or reset token (proxy only). */
  async getUserToken(tokenId: string): Promise<UserTokenInfo> {
    const r = await this.rpc.getUserToken({ tokenId });
    return {
      token: JSON.parse(r.tokenJson) as UserToken,
      otpRequired: r.otpRequired,
      ...(r.otpSecret && { otpSecret: r.otpSecret }),
      ...(r.otpUri && { otpURI: r.otpUri }),
    };
  }

  /** Completes an invite or reset (proxy only). */
  async changePasswordWithToken(req: { tokenId: string; password: string; otpCode?: string; remoteAddr?: string }): Promise<string> {
    const r = await this.rpc.changePasswordWithToken({
      tokenId: req.tokenId,
      password: req.password,
      otpCode: req.otpCode ?? '',
      remoteAddr: req.remoteAddr ?? '',
    });
    return r.user;
  }

  /** Password (+ OTP) login that returns certificates (proxy only). */
  async authenticateSSHUser(req: {
    user: string; password: string; otpCode?: string; sshPublicKey: string; tlsPublicKey: string; ttlMs?: number; remoteAddr?: string;
  }): Promise<Certs> {
    const r = await this.rpc.authenticateSSHUser({
      user: req.user,
      password: req.password,
      otpCode: req.otpCode ?? '',
      sshPublicKey: req.sshPublicKey,
      tlsPublicKey: req.tlsPublicKey,
      ttlMs: BigInt(req.ttlMs ?? 0),
      remoteAddr: req.remoteAddr ?? '',
    });
    return certsFrom(r);
  }

  /** Web UI login on a user's behalf (proxy only): password (+ OTP) with lockout; auth keeps the keys. */
  async createWebSession(req: { user: string; password: string; otpCode?: string; remoteAddr?: string }): Promise<CreatedWebSession> {
    const r = await this.rpc.createWebSession({
      user: req.user, password: req.password, otpCode: req.otpCode ?? '', remoteAddr: req.remoteAddr ?? '',
    });
    return { sessionId: r.sessionId, bearerToken: r.bearerToken, expires: new Date(Number(r.expiresMs)), user: r.user, roles: r.roles };
  }

  /** Reads a web session with its key and certificates (proxy only); NotFoundError when expired or unknown. */
  async getWebSession(sessionId: string): Promise<WebSessionInfo> {
    const r = await this.rpc.getWebSession({ sessionId });
    return {
      sessionId: r.sessionId, user: r.user, roles: r.roles, bearerTokenSHA256: r.bearerTokenSha256,
      created: new Date(Number(r.createdMs)), expires: new Date(Number(r.expiresMs)), privateKeyPEM: r.privateKeyPem,
      sshCert: r.sshCert, tlsCert: r.tlsCert, tlsCACerts: r.tlsCaCerts,
      hostCAs: r.hostCasJson.map((j) => JSON.parse(j) as CertAuthority),
    };
  }

  /** Ends a web session: the session's own user, or a proxy on the user's behalf. */
  async deleteWebSession(sessionId: string): Promise<void> {
    await this.rpc.deleteWebSession({ sessionId });
  }

  /** Issues user certificates for the caller or (admins) another user. */
  async generateUserCerts(req: UserCertsRequest): Promise<Certs> {
    const r = await this.rpc.generateUserCerts({
      username: req.username ?? '',
      sshPublicKey: req.sshPublicKey,
      tlsPublicKey: req.tlsPublicKey,
      ttlMs: BigInt(req.ttlMs ?? 0),
      routeToCluster: req.routeToCluster ?? '',
      dbService: req.dbService ?? '',
      dbProtocol: req.dbProtocol ?? '',
      dbUser: req.dbUser ?? '',
      dbName: req.dbName ?? '',
    });
    return certsFrom(r);
  }

  /** Issues host certificates. */
  async generateHostCerts(req: HostCertsRequest): Promise<Certs> {
    const r = await this.rpc.generateHostCerts({
      hostId: req.hostId,
      nodeName: req.nodeName,
      role: req.role,
      additionalPrincipals: req.additionalPrincipals ?? [],
      dnsNames: req.dnsNames ?? [],
      sshPublicKey: req.sshPublicKey,
      tlsPublicKey: req.tlsPublicKey,
      ttlMs: BigInt(req.ttlMs ?? 0),
    });
    return certsFrom(r);
  }

  /**
   * Proxy only: a certificate with the user's identity for a key the proxy generated, so that it can
   * log in to a node on the user's behalf (proxy recording mode, agentless OpenSSH nodes).
   */
  async reissueUserCertForProxy(req: ReissueUserCertForProxyRequest): Promise<Certs> {
    const r = await this.rpc.reissueUserCertForProxy({
      sshCert: req.sshCert, sshPublicKey: req.sshPublicKey, authData: req.authData, authSignature: req.authSignature, nodeId: req.nodeId,
    });
    return certsFrom(r);
  }

  /**
   * A certificate from the db CA: client certificates for the database service (role Db), server
   * certificates for databases for admins (`tctl auth sign --format=db`).
   */
  async generateDatabaseCert(req: DatabaseCertRequest): Promise<DatabaseCertResult> {
    const r = await this.rpc.generateDatabaseCert({
      tlsPublicKey: req.tlsPublicKey,
      commonName: req.commonName,
      serverNames: req.serverNames ?? [],
      ttlMs: BigInt(Math.round(req.ttlMs)),
      usage: req.usage,
    });
    return { certPEM: r.cert, caCerts: r.caCerts };
  }

  /** Lists CAs (public parts only). */
  async getCertAuthorities(type = ''): Promise<CertAuthority[]> {
    const r = await this.rpc.getCertAuthorities({ type });
    return r.casJson.map((j) => JSON.parse(j) as CertAuthority);
  }

  /** Searches the audit log. */
  async searchEvents(q: SearchEventsQuery): Promise<{ events: AuditEvent[]; lastKey: string }> {
    const r = await this.rpc.searchEvents({
      fromMs: BigInt(q.from.getTime()),
      toMs: BigInt(q.to.getTime()),
      eventTypes: q.eventTypes ?? [],
      limit: q.limit ?? 0,
      order: q.order ?? 'asc',
      startKey: q.startKey ?? '',
    });
    return { events: r.eventsJson.map((j) => JSON.parse(j) as AuditEvent), lastKey: r.lastKey };
  }

  /** Uploads part of a session recording at a byte offset; returns the stored size. */
  async uploadRecordingChunk(req: { sessionId: string; offset: number; data: Uint8Array; final?: boolean; participants?: string[] }): Promise<number> {
    const r = await this.rpc.uploadRecordingChunk({
      sessionId: req.sessionId, offset: BigInt(req.offset), data: req.data, final: req.final ?? false, participants: req.participants ?? [],
    });
    return Number(r.size);
  }

  /** Reads part of a session recording. */
  async getRecording(req: { sessionId: string; offset?: number; limit?: number }): Promise<{ data: Uint8Array; size: number; complete: boolean }> {
    const r = await this.rpc.getRecording({ sessionId: req.sessionId, offset: BigInt(req.offset ?? 0), limit: req.limit ?? 0 });
    return { data: r.data, size: Number(r.size), complete: r.complete };
  }

  /**
   * Streams changes of resources of `kinds` (services only); the first event has type "init". The
   * stream lasts until `signal` aborts or the connection fails: the client's per-call timeout does
   * not apply to it (`timeoutMs: 0` is "no deadline" to Connect).
   */
  async *watchEvents(kinds: string[], signal?: AbortSignal): AsyncGenerator<WatchEventResult> {
    for await (const e of this.streams.watchEvents({ kinds }, { timeoutMs: 0, ...(signal && { signal }) })) {
      yield { type: e.type as WatchEventResult['type'], kind: e.kind, name: e.name, ...(e.resourceJson && { resource: JSON.parse(e.resourceJson) as Resource }) };
    }
  }

  /** Appends an audit event (services only). */
  async emitAuditEvent(event: Record<string, unknown>): Promise<void> {
    await this.rpc.emitAuditEvent({ eventJson: JSON.stringify(event) });
  }
}

function certsFrom(r: { username: string; sshCert: string; tlsCert: string; hostCasJson: string[]; tlsCaCerts: string[] }): Certs {
  return {
    username: r.username,
    sshCert: r.sshCert,
    tlsCert: r.tlsCert,
    hostCAs: r.hostCasJson.map((j) => JSON.parse(j) as CertAuthority),
    tlsCACerts: r.tlsCaCerts,
  };
}

/** Wraps every method of a Connect client so failures (of calls and of streams) surface as TeleportErrors. */
function withErrorMapping<T extends object>(client: T, addr: string): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
          return mapStreamErrors(result as AsyncIterable<unknown>, addr);
        }
        return Promise.resolve(result).catch((err: unknown) => {
          throw fromConnectError(err, addr);
        });
      };
    },
  });
}

async function* mapStreamErrors<T>(stream: AsyncIterable<T>, addr: string): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (err) {
    throw fromConnectError(err, addr);
  }
}
