/**
 * @module auth/authServer
 * The auth service's business logic, with no authorization of its own: it trusts its caller.
 * Only `AuthWithRoles` (the one authorization layer) and in-process bootstrap code call it.
 */
import type { Clock } from '@teleport-ts/api/clock';
import type { Certs } from '@teleport-ts/api/client/authClient';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { Role } from '@teleport-ts/api/types/role';
import type { User } from '@teleport-ts/api/types/user';
import type { UserToken } from '@teleport-ts/api/types/userToken';
import { BadParameterError, isNotFound } from '@teleport-ts/api/errors';
import { isIP } from 'node:net';
import { validateResource } from '@teleport-ts/api/types/validation';
import type { LocalServices } from '../services/local/index.ts';
import type { AuditLog } from '../events/auditLog.ts';
import type { RecordingStore } from '../events/recordingStore.ts';
import type { Logger } from '../utils/logger.ts';
import { Keyring } from './keyring.ts';
import { issueHostCerts, issueUserCerts, type HostCertParams } from './certs.ts';
import { issueDatabaseCert, type DatabaseCert, type DatabaseCertRequest } from './dbCerts.ts';
import { reissueUserCertForProxy, SingleUseGuard, type ReissueUserCertRequest } from './proxyCerts.ts';
import { authenticateLocalUser, type Credentials } from './login.ts';
import { changePasswordWithToken, createUserToken, getUserToken } from './userTokens.ts';
import { ResourceRegistry } from './resources/index.ts';
import { PresenceCache } from '../services/cache/presenceCache.ts';
import { registerUsingToken, type RegisterUsingTokenParams } from './join.ts';
import { createWebSession, type NewWebSession } from './webSessions.ts';
import type { WebSessionRecord } from '../services/local/index.ts';
import { caPin } from '@teleport-ts/api/tlsca/pin';

/** Construction parameters. */
export interface AuthServerOptions {
  services: LocalServices;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  clusterName: string;
  /** host:port users should open for invites; resolved lazily because proxies start later. */
  proxyPublicAddr: () => string;
  /** Where uploaded session recordings are kept. */
  recordings: RecordingStore;
}

/** The auth service's core. */
export class AuthServer {
  readonly services: LocalServices;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly clusterName: string;
  readonly keyring: Keyring;
  readonly resources: ResourceRegistry;
  readonly recordings: RecordingStore;
  /** Nodes and proxies in memory, fed by a backend watcher; node and proxy reads go through it. */
  readonly presenceCache: PresenceCache;
  private readonly proxyPublicAddr: () => string;
  /** Authentication proofs already used to re-issue a certificate for a proxy. */
  private readonly proxyReissueProofs: SingleUseGuard;
  /** CA pins of the host CA's current TLS certificates, by certificate PEM (see caPins). */
  private caPinsByPEM = new Map<string, string>();

  constructor(opts: AuthServerOptions) {
    this.services = opts.services;
    this.audit = opts.audit;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.clusterName = opts.clusterName;
    this.proxyPublicAddr = opts.proxyPublicAddr;
    this.recordings = opts.recordings;
    this.proxyReissueProofs = new SingleUseGuard(opts.clock);
    this.keyring = new Keyring(opts.services, opts.clusterName);
    this.presenceCache = new PresenceCache({ backend: opts.services.backend, fallback: opts.services.presence, clock: opts.clock, logger: opts.logger });
    this.presenceCache.start();
    this.resources = new ResourceRegistry({
      services: opts.services, audit: opts.audit, clock: opts.clock, keyring: this.keyring, clusterName: opts.clusterName,
      presenceReader: this.presenceCache,
    });
  }

  /** Stops background work (the presence cache's watcher); call before closing the backend. */
  async close(): Promise<void> {
    await this.presenceCache.close();
  }

  /** Pins of the host CA's TLS certificates, as `tctl status` and join commands print them. */
  async caPins(): Promise<string[]> {
    // A pin is a function of the certificate PEM alone, so it is computed once per PEM: parsing the
    // certificate cost ≈ 2 ms, on every Ping. Only the current certificates are kept (rotation drops
    // the old ones from the map).
    const pems = await this.keyring.tlsCerts('host');
    const known = this.caPinsByPEM;
    this.caPinsByPEM = new Map(pems.map((pem) => [pem, known.get(pem) ?? caPin(pem)]));
    return pems.map((pem) => this.caPinsByPEM.get(pem) as string);
  }

  /** Reads one resource. */
  getResource(kind: string, name: string): Promise<Resource> {
    return this.resources.handler(kind).get(name);
  }

  /** Lists resources of a kind. */
  listResources(kind: string): Promise<Resource[]> {
    return this.resources.handler(kind).list();
  }

  /** Validates and creates a resource. */
  async createResource(resource: unknown, actor: string): Promise<Resource> {
    const r = validateResource(resource);
    const h = this.resources.handler(r.kind);
    if (!h.create) return this.unsupported(r.kind, 'created');
    return h.create(r, actor);
  }

  /** Validates and creates or replaces a resource. */
  async upsertResource(resource: unknown, actor: string): Promise<Resource> {
    const r = validateResource(resource);
    const h = this.resources.handler(r.kind);
    if (!h.upsert) return this.unsupported(r.kind, 'updated');
    return h.upsert(r, actor);
  }

  /** Deletes a resource. */
  async deleteResource(kind: string, name: string, actor: string): Promise<void> {
    const h = this.resources.handler(kind);
    if (!h.delete) return this.unsupported(kind, 'deleted');
    await h.delete(name, actor);
  }

  private unsupported(kind: string, what: string): never {
    throw new BadParameterError(`${kind} resources cannot be ${what} through the API`);
  }

  /** Current roles of a user, skipping roles deleted since assignment. */
  async rolesOf(user: User): Promise<Role[]> {
    const out: Role[] = [];
    for (const name of user.spec.roles) {
      try {
        out.push(await this.services.access.getRole(name));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }

  /** Password (+ OTP) login followed by certificate issuance. */
  async authenticateSSHUser(
    cred: Credentials & { sshPublicKey: string; tlsPublicKey: string; ttlMs?: number },
  ): Promise<Certs> {
    const user = await authenticateLocalUser(this, cred);
    return this.generateUserCerts(user, {
      sshPublicKey: cred.sshPublicKey,
      tlsPublicKey: cred.tlsPublicKey,
      ...(cred.ttlMs !== undefined && { ttlMs: cred.ttlMs }),
      ...(cred.remoteAddr && { loginIP: stripPort(cred.remoteAddr) }),
    });
  }

  /** Web UI login: password (+ OTP) with lockout, then a session with auth-generated keys and certificates (auth/webSessions.ts). */
  createWebSession(cred: Credentials): Promise<NewWebSession> {
    return createWebSession(
      { services: this.services, audit: this.audit, clock: this.clock, generateUserCerts: (user, req) => this.generateUserCerts(user, req) },
      { ...cred, ...(cred.remoteAddr && { loginIP: stripPort(cred.remoteAddr) }) },
    );
  }

  /** Reads a web session with its key and certificates. */
  getWebSession(id: string): Promise<WebSessionRecord> {
    return this.services.webSessions.getWebSession(id);
  }

  /** Deletes a web session (logout). */
  deleteWebSession(id: string): Promise<void> {
    return this.services.webSessions.deleteWebSession(id);
  }

  /** Issues user certificates for an already authenticated user. */
  async generateUserCerts(
    user: User,
    req: { sshPublicKey?: string; tlsPublicKey?: string; ttlMs?: number; loginIP?: string; routeToDatabase?: { serviceName: string; protocol: string; username?: string; database?: string } },
  ): Promise<Certs> {
    return issueUserCerts(this, { user, roles: await this.rolesOf(user), ...req });
  }

  /** Issues host certificates. */
  generateHostCerts(p: HostCertParams): Promise<Certs> {
    return issueHostCerts(this, p);
  }

  /** Issues a certificate from the db CA (auth/dbCerts.ts); `actor` is audited. */
  generateDatabaseCert(req: DatabaseCertRequest, actor: string): Promise<DatabaseCert> {
    return issueDatabaseCert(this.issuerDeps(), req, actor);
  }

  /** Joins an agent with a token: host certificates for the role the token allows (auth/join.ts). */
  registerUsingToken(req: RegisterUsingTokenParams): Promise<Certs> {
    return registerUsingToken({ services: this.services, clock: this.clock, audit: this.audit, generateHostCerts: (p) => this.generateHostCerts(p) }, req);
  }

  /** host:port of the web proxy users and agents reach (what invite URLs and join commands name). */
  proxyPublicAddress(): string {
    return this.proxyPublicAddr();
  }

  /** Re-issues a connected user's SSH certificate for a key the proxy holds (proxy recording mode). */
  reissueUserCertForProxy(req: ReissueUserCertRequest, impersonator: string): Promise<Certs> {
    return reissueUserCertForProxy({ ...this.issuerDeps(), services: this.services, replay: this.proxyReissueProofs }, req, impersonator);
  }

  private issuerDeps() {
    return { keyring: this.keyring, clock: this.clock, clusterName: this.clusterName, audit: this.audit };
  }

  /** Creates an invite or reset token. */
  createUserToken(req: { user: string; kind: 'invite' | 'reset'; ttlMs?: number; createdBy?: string }): Promise<UserToken> {
    return createUserToken(this.tokenDeps(), req);
  }

  /** Reads an invite or reset token. */
  getUserToken(tokenId: string): ReturnType<typeof getUserToken> {
    return getUserToken(this.tokenDeps(), tokenId);
  }

  /** Completes an invite or reset. */
  changePasswordWithToken(req: { tokenId: string; password: string; otpCode?: string; remoteAddr?: string }): Promise<string> {
    return changePasswordWithToken(this.tokenDeps(), req);
  }

  private tokenDeps() {
    return { services: this.services, audit: this.audit, clock: this.clock, clusterName: this.clusterName, proxyPublicAddr: this.proxyPublicAddr };
  }
}

/** "1.2.3.4:5678" or "[::1]:5678" -> the bare IP. */
function stripPort(addr: string): string {
  if (isIP(addr)) return addr;
  const i = addr.lastIndexOf(':');
  return (i > 0 ? addr.slice(0, i) : addr).replace(/^\[|\]$/g, '');
}
