/**
 * @module srv/ssh/accessCache
 * What the node needs from auth to authorize a login, read fresh and kept fresh: users, roles and
 * the user CA's public keys. Users and roles are read from auth on first use and then kept in
 * step by a watch stream (`role`, `user`, `cert_authority`), so an edited role or a deleted user
 * takes effect at the next connection without waiting for certificates to expire.
 *
 * The cache is trusted only while the watch stream is live: before its `init` and after it drops,
 * every lookup goes to auth. A read that raced with a watch event for the same name is not
 * cached (the event is newer). A user deletion is announced to listeners so the server can end
 * that user's connections.
 */
import type { AuthClient, WatchEventResult } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError, errorMessage, isNotFound } from '@teleport-ts/api/errors';
import type { UserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { Role } from '@teleport-ts/api/types/role';
import type { User } from '@teleport-ts/api/types/user';
import { AccessChecker } from '../../services/rbac/accessChecker.ts';
import { runWatchLoop } from '../../services/watchLoop.ts';
import type { Logger } from '../../utils/logger.ts';

/** Inputs of AccessCache. */
export interface AccessCacheOptions {
  authClient: Pick<AuthClient, 'getResource' | 'watchEvents' | 'getCertAuthorities'>;
  clusterName: string;
  /** authorized_keys lines of the user CA, trusted until auth says otherwise. */
  userCAKeys: string[];
  logger: Logger;
  /** Longest wait between watch reconnects (default 10 s). */
  maxBackoffMs?: number;
}

type Kind = 'user' | 'role';

/** Users, roles and user CA keys, kept fresh from auth. */
export class AccessCache {
  private caKeys: Buffer[];
  private readonly values = new Map<string, User | Role | null>();
  private readonly versions = new Map<string, number>();
  private live = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly deletedListeners: Array<(user: string) => void> = [];
  private firstInit!: () => void;
  /** Resolves once the watch stream delivered its first `init`. */
  readonly ready: Promise<void> = new Promise((resolve) => (this.firstInit = resolve));

  constructor(private readonly opts: AccessCacheOptions) {
    this.caKeys = parseKeys(opts.userCAKeys);
  }

  /** Starts the watch stream (reconnecting with backoff until close). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops the watch stream. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  /** Public key blobs of the trusted user CA keys. */
  userCAKeys(): Buffer[] {
    return this.caKeys;
  }

  /** Calls `fn` with the name of each user deleted while the stream is live. */
  onUserDeleted(fn: (user: string) => void): void {
    this.deletedListeners.push(fn);
  }

  /** The user, or undefined when auth does not know them. */
  getUser(name: string): Promise<User | undefined> {
    return this.get<User>('user', name);
  }

  /** The role, or undefined when it does not exist. */
  getRole(name: string): Promise<Role | undefined> {
    return this.get<Role>('role', name);
  }

  /**
   * An AccessChecker for the certificate's user, from the roles the certificate names (as issued,
   * so access requests keep working) read fresh from auth and the certificate's traits. Throws
   * AccessDeniedError when the user was deleted or one of the roles no longer exists (failing
   * closed: a missing role might have been the one that denied).
   */
  async checkerFor(identity: UserSSHIdentity): Promise<AccessChecker> {
    const user = await this.getUser(identity.username);
    if (!user) {
      throw new AccessDeniedError(`user '${identity.username}' no longer exists in the cluster; the certificate is no longer honoured`);
    }
    const roles = await Promise.all(identity.roles.map(async (name) => {
      const role = await this.getRole(name);
      if (!role) throw new AccessDeniedError(`role '${name}' of user '${identity.username}' no longer exists: run 'tsh login' again`);
      return role;
    }));
    return new AccessChecker(roles, identity.traits);
  }

  private async get<T extends User | Role>(kind: Kind, name: string): Promise<T | undefined> {
    const key = `${kind}/${name}`;
    if (this.live && this.values.has(key)) return (this.values.get(key) as T | null) ?? undefined;
    const version = this.versions.get(key) ?? 0;
    const wasLive = this.live;
    let value: T | null;
    try {
      value = await this.opts.authClient.getResource<T>(kind, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      value = null;
    }
    if (wasLive && this.live && (this.versions.get(key) ?? 0) === version) this.values.set(key, value);
    return value ?? undefined;
  }

  private async run(): Promise<void> {
    await runWatchLoop({
      source: this.opts.authClient, kinds: ['role', 'user', 'cert_authority'], signal: this.stop.signal,
      minDelayMs: 250, maxDelayMs: this.opts.maxBackoffMs ?? 10_000,
      onEvent: (e) => this.apply(e),
      onDown: ({ failed, err }) => {
        if (failed) this.opts.logger.warn({ err: errorMessage(err) }, 'watch of roles, users and CAs failed; reading from auth until it is back');
        this.live = false;
        this.values.clear();
      },
    });
  }

  private async apply(e: WatchEventResult): Promise<void> {
    if (e.type === 'init') {
      this.values.clear();
      await this.refreshCAKeys().catch((err: unknown) => this.opts.logger.warn({ err: errorMessage(err) }, 'could not read the user CA'));
      this.live = true;
      this.firstInit();
      return;
    }
    if (e.kind === 'cert_authority') {
      if (e.type === 'put' && e.resource) this.takeCA(e.resource as CertAuthority);
      return;
    }
    if (e.kind !== 'user' && e.kind !== 'role') return;
    const key = `${e.kind}/${e.name}`;
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
    this.values.set(key, e.type === 'put' && e.resource ? (e.resource as User | Role) : null);
    if (e.kind === 'user' && e.type === 'delete') {
      for (const fn of this.deletedListeners) fn(e.name);
    }
  }

  private async refreshCAKeys(): Promise<void> {
    for (const ca of await this.opts.authClient.getCertAuthorities('user')) this.takeCA(ca);
  }

  private takeCA(ca: CertAuthority): void {
    if (ca.spec.type !== 'user' || ca.spec.cluster_name !== this.opts.clusterName) return;
    const lines = [...(ca.spec.active_keys.ssh ?? []), ...(ca.spec.additional_trusted_keys?.ssh ?? [])].map((k) => k.public_key);
    const keys = parseKeys(lines, this.opts.logger);
    if (keys.length > 0) this.caKeys = keys;
  }
}

function parseKeys(lines: string[], logger?: Logger): Buffer[] {
  const out: Buffer[] = [];
  for (const line of lines) {
    try {
      out.push(parseAuthorizedKey(line).blob);
    } catch (err) {
      logger?.warn({ err: errorMessage(err) }, 'ignoring a malformed user CA key');
    }
  }
  return out;
}
