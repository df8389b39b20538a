/**
 * @module auth/authWithRoles
 * The one authorization layer: every API call passes through here with the caller's context, is
 * checked (system-role permissions for services, role rules for users), and only then reaches
 * AuthServer. Nothing else in the RPC path makes access decisions.
 */
import { AccessDeniedError, BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import type { DatabaseServer } from '@teleport-ts/api/types/database';
import type { Certs } from '@teleport-ts/api/client/authClient';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import { withoutSecrets } from '@teleport-ts/api/types/certAuthority';
import type { UserToken } from '@teleport-ts/api/types/userToken';
import type { AuditEventInput, SearchEventsQuery, SearchEventsResult } from '@teleport-ts/api/events/types';
import type { AuthServer } from './authServer.ts';
import type { AuthContext } from './authorizer.ts';
import { builtinAllowsOperation, builtinAllowsResource, isAdminRole, type SystemOperation } from './builtinRoles.ts';
import { canonicalKind } from './resources/index.ts';
import type { HostCertParams } from './certs.ts';
import { nodeHostCertRequest, type ReissueUserCertRequest } from './proxyCerts.ts';
import { watchResources, type ResourceEvent } from './watch.ts';
import { DB_CLIENT_CERT_MAX_TTL_MS, DB_SERVER_CERT_DEFAULT_TTL_MS, type DatabaseCert, type DatabaseCertRequest } from './dbCerts.ts';
import { checkDatabaseRoute } from './resources/databases.ts';
import { CERT_TTL_MS } from '../config/defaults.ts';
import type { NewWebSession } from './webSessions.ts';
import { WEB_SESSION_GONE, type WebSessionRecord } from '../services/local/index.ts';

/** Most events one EmitAuditEvent request may carry. */
export const MAX_AUDIT_EVENT_BATCH = 4096;

/** Authorizes and forwards calls for one caller. Every method is async, so a denial is a rejection, never a throw. */
export class AuthWithRoles {
  constructor(
    private readonly auth: AuthServer,
    readonly ctx: AuthContext,
  ) {}

  /** The caller's name for audit events. */
  get actor(): string {
    return this.ctx.name;
  }

  /** Throws unless the caller may use `verb` on `kind`. */
  checkResource(kind: string, verb: string): void {
    const k = canonicalKind(kind);
    // Unknown kinds get "unsupported kind" rather than an access denial that hides the typo.
    if (!['event', 'session', 'user_token'].includes(k)) this.auth.resources.handler(k);
    if (this.ctx.kind === 'builtin') {
      if (builtinAllowsResource(this.ctx.role, k, verb)) return;
      throw new AccessDeniedError(`access denied: system role ${this.ctx.role} may not ${verb} ${k}`);
    }
    this.ctx.checker.checkAccessToRule(k, verb);
  }

  /**
   * Throws unless the caller may read `kind`. Reads never return CA private keys, so for CAs the
   * `readnosecrets` verb (what the editor preset grants) is enough, as upstream.
   */
  private checkRead(kind: string, verb: 'read' | 'list'): void {
    const k = canonicalKind(kind);
    if (verb === 'read' && k === 'cert_authority' && this.ctx.kind === 'user' && this.ctx.checker.canAccessRule(k, 'readnosecrets')) return;
    this.checkResource(k, verb);
  }

  /** Throws unless the caller is a service allowed to perform `op`. */
  private checkOperation(op: SystemOperation): void {
    if (this.ctx.kind === 'builtin' && builtinAllowsOperation(this.ctx.role, op)) return;
    throw new AccessDeniedError(`access denied: ${this.describe()} may not perform ${op.replaceAll('_', ' ')}`);
  }

  private describe(): string {
    return this.ctx.kind === 'builtin' ? `system role ${this.ctx.role}` : `user '${this.ctx.name}'`;
  }

  /** The per-resource visibility check for users, for kinds that have one (nodes, sessions). */
  private userVisibility(kind: string): ((r: Resource) => boolean | Promise<boolean>) | undefined {
    if (this.ctx.kind !== 'user') return undefined;
    const visibleTo = this.auth.resources.handler(kind).visibleTo;
    const user = this.ctx;
    return visibleTo && ((r: Resource) => visibleTo(r, user));
  }

  /** Reads one resource. */
  async getResource(kind: string, name: string): Promise<Resource> {
    const visible = this.userVisibility(kind);
    if (!visible) {
      this.checkRead(kind, 'read');
      return sanitize(await this.auth.getResource(kind, name));
    }
    const r = await this.auth.getResource(kind, name);
    // Same answer as for a missing resource, so names of hidden ones do not leak.
    if (!(await visible(r))) throw new NotFoundError(`${canonicalKind(kind)} '${name}' not found`);
    return r;
  }

  /** Lists resources; users see only the nodes and sessions their roles give them access to. */
  async listResources(kind: string): Promise<Resource[]> {
    const visible = this.userVisibility(kind);
    if (!visible) {
      this.checkRead(kind, 'list');
      this.checkRead(kind, 'read');
      return (await this.auth.listResources(kind)).map(sanitize);
    }
    const all = await this.auth.listResources(kind);
    // Node checks are synchronous: awaiting only the checks that return a promise keeps a list of
    // thousands of nodes from queueing a promise per node.
    const keep = all.map(visible);
    const decided = keep.some((k) => typeof k !== 'boolean') ? await Promise.all(keep) : (keep as boolean[]);
    return all.filter((_, i) => decided[i]);
  }

  /** Creates a resource. */
  async createResource(resource: Resource): Promise<Resource> {
    this.checkResource(kindOf(resource), 'create');
    this.checkOwnership(resource);
    return sanitize(await this.auth.createResource(resource, this.actor));
  }

  /** Creates or replaces a resource: needs create and update. */
  async upsertResource(resource: Resource): Promise<Resource> {
    this.checkResource(kindOf(resource), 'create');
    this.checkResource(kindOf(resource), 'update');
    this.checkOwnership(resource);
    return sanitize(await this.auth.upsertResource(resource, this.actor));
  }

  /** Deletes a resource. */
  async deleteResource(kind: string, name: string): Promise<void> {
    this.checkResource(kind, 'delete');
    const k = canonicalKind(kind);
    if (this.isAgent() && (k === 'node' || k === 'proxy' || k === 'session_tracker' || k === 'db_server')) {
      this.checkOwnership(await this.auth.getResource(k, name));
    }
    await this.auth.deleteResource(kind, name, this.actor);
  }

  /** True for services other than admin/auth: they may only touch their own presence records. */
  private isAgent(): boolean {
    return this.ctx.kind === 'builtin' && !isAdminRole(this.ctx.role);
  }

  /** Host UUID of the calling service ("<uuid>.<cluster>" -> "<uuid>"). */
  private hostId(): string {
    const i = this.ctx.name.indexOf('.');
    return i < 0 ? this.ctx.name : this.ctx.name.slice(0, i);
  }

  /** An agent may write only its own node, proxy or db_server records and the sessions it runs. */
  private checkOwnership(resource: Resource): void {
    if (!this.isAgent()) return;
    const owner = resource.kind === 'node' || resource.kind === 'proxy' ? resource.metadata.name
      : resource.kind === 'session_tracker' ? (resource as SessionTracker).spec?.target_id
      : resource.kind === 'db_server' ? (resource as DatabaseServer).spec?.host_id
      : undefined;
    if (owner !== undefined && owner !== this.hostId()) {
      throw new AccessDeniedError(`access denied: ${this.describe()} host ${this.hostId()} may not write ${resource.kind} records of host ${owner}`);
    }
  }

  /** CAs without private keys: any authenticated caller may read the public halves it needs to trust. */
  async getCertAuthorities(type: string): Promise<CertAuthority[]> {
    const all = (await this.auth.services.trust.listCertAuthorities(undefined, false)).map(withoutSecrets);
    return type ? all.filter((ca) => ca.spec.type === type) : all;
  }

  /** Creates an invite or reset token (needs create on user_token, like upstream's editor role). */
  async createUserToken(req: { user: string; kind: 'invite' | 'reset'; ttlMs?: number }): Promise<UserToken> {
    if (req.kind !== 'invite' && req.kind !== 'reset') throw new BadParameterError('token kind must be "invite" or "reset"');
    this.checkResource('user_token', 'create');
    return this.auth.createUserToken({ ...req, createdBy: this.actor });
  }

  /** Reads a token with its OTP secret: proxies only. */
  async getUserToken(tokenId: string): ReturnType<AuthServer['getUserToken']> {
    this.checkOperation('user_token_read');
    return this.auth.getUserToken(tokenId);
  }

  /** Completes an invite or reset: proxies only. */
  async changePasswordWithToken(req: { tokenId: string; password: string; otpCode?: string; remoteAddr?: string }): Promise<string> {
    this.checkOperation('user_token_use');
    return this.auth.changePasswordWithToken(req);
  }

  /** Password login: proxies only (users reach it through the proxy's web API). */
  async authenticateSSHUser(req: Parameters<AuthServer['authenticateSSHUser']>[0]): Promise<Certs> {
    this.checkOperation('authenticate_user');
    return this.auth.authenticateSSHUser(req);
  }

  /** Web UI login on a user's behalf: proxies only, like authenticateSSHUser. */
  async createWebSession(req: Parameters<AuthServer['createWebSession']>[0]): Promise<NewWebSession> {
    this.checkOperation('authenticate_user');
    return this.auth.createWebSession(req);
  }

  /**
   * A web session with its private key: the Proxy system role only (not even Admin), because the
   * proxy is the one service that acts with it.
   */
  async getWebSession(id: string): Promise<WebSessionRecord> {
    if (this.ctx.kind !== 'builtin' || this.ctx.role !== 'Proxy') {
      throw new AccessDeniedError(`access denied: ${this.describe()} may not read web sessions (only the proxy may)`);
    }
    return this.auth.getWebSession(id);
  }

  /**
   * Ends a web session: its owner (the proxy calls with the session's own certificate at logout), or
   * the proxy on the owner's behalf. Another user's session reads as gone, so ids cannot be probed.
   */
  async deleteWebSession(id: string): Promise<void> {
    if (this.ctx.kind === 'builtin') {
      if (this.ctx.role !== 'Proxy' && !isAdminRole(this.ctx.role)) {
        throw new AccessDeniedError(`access denied: system role ${this.ctx.role} may not delete web sessions`);
      }
    } else if ((await this.auth.getWebSession(id)).user !== this.ctx.name) {
      throw new NotFoundError(WEB_SESSION_GONE);
    }
    await this.auth.deleteWebSession(id);
  }

  /**
   * User certificates. A user may renew their own, never beyond the expiry of the certificate they
   * call with (so a stolen certificate cannot be extended), and may route one to a database only if
   * they can see it; admins (system role Admin, i.e. tctl on the auth host) may issue for anyone.
   */
  async generateUserCerts(req: {
    username?: string; sshPublicKey?: string; tlsPublicKey?: string; ttlMs?: number;
    routeToDatabase?: { serviceName: string; protocol: string; username?: string; database?: string };
  }): Promise<Certs> {
    const target = req.username || this.ctx.name;
    if (this.ctx.kind === 'builtin') {
      if (!isAdminRole(this.ctx.role)) throw new AccessDeniedError(`access denied: system role ${this.ctx.role} may not issue user certificates`);
    } else if (target !== this.ctx.name) {
      this.ctx.checker.checkAccessToRule('user', 'impersonate');
    }
    const user = await this.auth.services.users.getUser(target);
    const { username: _ignored, ...rest } = req;
    if (this.ctx.kind === 'user' && target === this.ctx.name) {
      rest.ttlMs = this.capAtCurrentCert(rest.ttlMs);
      if (rest.routeToDatabase) rest.routeToDatabase = await checkDatabaseRoute(this.auth.services, this.ctx.checker, rest.routeToDatabase);
    }
    return this.auth.generateUserCerts(user, rest);
  }

  /** A renewal's TTL, capped at the caller's current certificate expiry. */
  private capAtCurrentCert(requestedMs: number | undefined): number {
    const wanted = requestedMs && requestedMs > 0 ? requestedMs : CERT_TTL_MS;
    const leftMs = this.ctx.identity.expires.getTime() - this.auth.clock.nowMs();
    if (leftMs < 1000) throw new AccessDeniedError("access denied: your certificate has expired; run 'tsh login' again");
    return Math.min(wanted, leftMs);
  }

  /**
   * A certificate from the db CA. The database service (system role Db) gets client certificates
   * for its upstream connections, at most one hour long and without SANs; admins get anything
   * (server certificates for `tctl auth sign --format=db`). Users may not.
   */
  async generateDatabaseCert(req: DatabaseCertRequest): Promise<DatabaseCert> {
    if (this.ctx.kind === 'builtin' && isAdminRole(this.ctx.role)) {
      const ttlMs = req.ttlMs > 0 ? req.ttlMs : DB_SERVER_CERT_DEFAULT_TTL_MS;
      return this.auth.generateDatabaseCert({ ...req, ttlMs }, this.actor);
    }
    this.checkOperation('db_certs');
    if (req.usage !== 'client') throw new AccessDeniedError(`access denied: ${this.describe()} may get only client certificates from the db CA`);
    if (req.serverNames?.length) throw new AccessDeniedError(`access denied: ${this.describe()} may not put server names in database certificates`);
    const ttlMs = Math.min(req.ttlMs > 0 ? req.ttlMs : DB_CLIENT_CERT_MAX_TTL_MS, DB_CLIENT_CERT_MAX_TTL_MS);
    return this.auth.generateDatabaseCert({ ...req, ttlMs }, this.actor);
  }

  /**
   * Host certificates: admins for any service. A proxy may get SSH host certificates only for
   * registered nodes, with principals taken from the node record (its forwarding server presents
   * them in proxy recording mode); see proxyCerts.
   */
  async generateHostCerts(p: HostCertParams): Promise<Certs> {
    const { impersonator: _ignored, ...req } = p;
    if (this.ctx.kind === 'builtin' && builtinAllowsOperation(this.ctx.role, 'host_certs')) return this.auth.generateHostCerts(req);
    this.checkOperation('node_host_certs');
    await this.checkProxyTerminates(req.hostId, 'present host certificates for nodes');
    return this.auth.generateHostCerts(await nodeHostCertRequest(this.auth.services, req, this.actor));
  }

  /**
   * A user certificate for a key the calling proxy holds, with the identity of a user whose SSH
   * connection it terminated: proxies only, and only while the cluster records at the proxy or for
   * agentless OpenSSH nodes, which cannot record themselves. The proof checks are in proxyCerts.
   */
  async reissueUserCertForProxy(req: ReissueUserCertRequest): Promise<Certs> {
    this.checkOperation('reissue_user_certs');
    await this.checkProxyTerminates(req.nodeId, "log in to nodes on a user's behalf");
    return this.auth.reissueUserCertForProxy(req, this.actor);
  }

  /**
   * Throws unless the proxy has reason to terminate SSH for node `nodeId`: the cluster records at
   * the proxy, or the node is an agentless OpenSSH node.
   */
  private async checkProxyTerminates(nodeId: string, what: string): Promise<void> {
    const mode = (await this.auth.services.clusterConfig.getSessionRecordingConfig()).spec.mode;
    if (mode === 'proxy' || mode === 'proxy-sync') return;
    const node = nodeId ? await this.auth.services.presence.getNode(nodeId).catch(() => undefined) : undefined;
    if (node?.sub_kind === 'openssh') return;
    throw new AccessDeniedError(
      `access denied: the proxy may ${what} only in proxy recording mode (the cluster records at "${mode}") or for agentless OpenSSH nodes`,
    );
  }

  /** Audit search: needs list+read on "event". */
  async searchEvents(q: SearchEventsQuery): Promise<SearchEventsResult> {
    this.checkResource('event', 'list');
    this.checkResource('event', 'read');
    return this.auth.audit.search(q);
  }

  /** Stores part of a session recording (nodes and proxies). */
  async uploadRecordingChunk(req: { sessionId: string; offset: number; data: Uint8Array; final: boolean; participants: string[] }): Promise<number> {
    this.checkOperation('upload_recordings');
    const size = await this.auth.recordings.append(req.sessionId, req.offset, req.data);
    if (req.offset === 0 || req.final) {
      await this.auth.recordings.setMeta({ sessionId: req.sessionId, participants: req.participants, complete: req.final });
    }
    return size;
  }

  /**
   * Reads part of a recording: services with full access, and users whose roles allow reading the
   * session (the access preset allows it only to the session's participants).
   */
  async getRecording(req: { sessionId: string; offset: number; limit: number }): Promise<{ data: Uint8Array; size: number; complete: boolean }> {
    const meta = await this.auth.recordings.getMeta(req.sessionId).catch(() => ({ participants: [] as string[], complete: false }));
    if (this.ctx.kind === 'builtin') {
      if (!isAdminRole(this.ctx.role)) throw new AccessDeniedError(`access denied: system role ${this.ctx.role} may not read recordings`);
    } else {
      this.ctx.checker.checkAccessToRule('session', 'read', {
        session: { participants: meta.participants },
        user: { metadata: { name: this.ctx.name } },
      });
    }
    const limit = Math.min(Math.max(req.limit || 1 << 20, 1), 4 << 20);
    const r = await this.auth.recordings.read(req.sessionId, req.offset, limit);
    return { ...r, complete: meta.complete };
  }

  /** Streams changes of kinds the caller may read (services only). */
  watchEvents(kinds: string[], signal: AbortSignal): AsyncGenerator<ResourceEvent> {
    this.checkOperation('watch');
    for (const k of kinds) this.checkResource(k, 'read');
    return watchResources(this.auth.services.backend, kinds.map(canonicalKind), signal);
  }

  /** Appends an event from a service; the service's identity is recorded with it. */
  async emitAuditEvent(event: Record<string, unknown>): Promise<void> {
    this.checkOperation('emit_events');
    await this.auth.audit.emit(this.serviceEvent(event));
  }

  /**
   * Appends events from a service in order, as one request (events/batchEmitter): every event is
   * checked before any is stored, so a refused batch stored nothing.
   */
  async emitAuditEvents(events: unknown[]): Promise<void> {
    this.checkOperation('emit_events');
    if (events.length > MAX_AUDIT_EVENT_BATCH) throw new BadParameterError(`at most ${MAX_AUDIT_EVENT_BATCH} audit events per request, got ${events.length}`);
    const checked = events.map((e) => this.serviceEvent(e));
    // Emitted in one tick, in order: the file log writes them with one write+fsync.
    await Promise.all(checked.map((e) => this.auth.audit.emit(e)));
  }

  /** A service's event as stored: uid, time and cluster_name are auth's, server_id the caller's unless given. */
  private serviceEvent(event: unknown): AuditEventInput {
    const e = event as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || Array.isArray(e) || typeof e.event !== 'string' || typeof e.code !== 'string') {
      throw new BadParameterError('audit event needs string "event" and "code" fields');
    }
    const { uid: _u, time: _t, cluster_name: _c, ...rest } = e;
    return { ...(rest as { event: string; code: string }), server_id: typeof rest.server_id === 'string' ? rest.server_id : this.ctx.name };
  }
}

function kindOf(resource: Resource): string {
  if (!resource || typeof resource.kind !== 'string') throw new BadParameterError('resource has no "kind" field');
  return resource.kind;
}

/** Strips secrets from anything leaving the API. */
function sanitize(r: Resource): Resource {
  return r.kind === 'cert_authority' ? withoutSecrets(r as CertAuthority) : r;
}
