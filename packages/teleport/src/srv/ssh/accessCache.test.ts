/**
 * @module srv/ssh/accessCache.test
 * The node's cache of users, roles and user CA keys against a scripted auth client: reads go to
 * auth until the watch is live, are served from the cache afterwards, follow put/delete events,
 * announce deleted users, pick up rotated CA keys, and fail closed for missing users and roles.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WatchEventResult } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError, NotFoundError } from '@teleport-ts/api/errors';
import { generateKeyPair } from '@teleport-ts/api/keys';
import type { UserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { Resource } from '@teleport-ts/api/types/resource';
import { newRole } from '@teleport-ts/api/types/validate/role';
import { newUser } from '@teleport-ts/api/types/validate/user';
import { silentLogger } from '../../utils/logger.ts';
import { AccessCache } from './accessCache.ts';
import { eventually } from './testkit.ts';

/** A fake auth: a resource map, a read counter, and a watch stream the test pushes events into. */
class FakeAuth {
  readonly store = new Map<string, Resource>();
  reads = 0;
  cas: CertAuthority[] = [];
  private push: ((e: WatchEventResult) => void) | undefined;
  private readonly queue: WatchEventResult[] = [];

  getResource = async <T extends Resource>(kind: string, name: string): Promise<T> => {
    this.reads++;
    const r = this.store.get(`${kind}/${name}`);
    if (!r) throw new NotFoundError(`${kind} ${name} not found`);
    return r as T;
  };

  getCertAuthorities = async (): Promise<CertAuthority[]> => this.cas;

  watchEvents = async function* (this: FakeAuth, _kinds: string[], signal?: AbortSignal): AsyncGenerator<WatchEventResult> {
    while (!signal?.aborted) {
      const next = this.queue.shift() ?? await new Promise<WatchEventResult | undefined>((resolve) => {
        this.push = resolve;
        signal?.addEventListener('abort', () => resolve(undefined), { once: true });
      });
      if (!next) return;
      yield next;
    }
  };

  emit(e: WatchEventResult): void {
    const p = this.push;
    this.push = undefined;
    if (p) p(e);
    else this.queue.push(e);
  }
}

const identity = (username: string, roles: string[]): UserSSHIdentity => ({
  username, logins: ['root'], roles, traits: {}, validAfter: new Date(0), validBefore: new Date(8.64e15),
  permitPTY: true, permitAgentForwarding: false, permitPortForwarding: false, permitX11Forwarding: false,
});

const caLine = (): string => formatAuthorizedKey(sshPublicKeyBlob(generateKeyPair('ed25519').publicKey));

describe('AccessCache', () => {
  test('reads through until live, then serves and follows watch events', async () => {
    const auth = new FakeAuth();
    auth.store.set('user/alice', newUser('alice', ['dev']));
    auth.store.set('role/dev', newRole('dev', { allow: { logins: ['root'], node_labels: { '*': '*' } } }));
    const cache = new AccessCache({ authClient: auth, clusterName: 'c', userCAKeys: [caLine()], logger: silentLogger });
    await cache.checkerFor(identity('alice', ['dev']));
    await cache.checkerFor(identity('alice', ['dev']));
    assert.equal(auth.reads, 4, 'not cached before the watch is live');

    cache.start();
    auth.emit({ type: 'init', kind: '', name: '' });
    await cache.ready;
    auth.reads = 0;
    await cache.checkerFor(identity('alice', ['dev']));
    await cache.checkerFor(identity('alice', ['dev']));
    assert.equal(auth.reads, 2, 'cached once live');

    // A role edit arrives as an event and applies without a read.
    auth.emit({ type: 'put', kind: 'role', name: 'dev', resource: newRole('dev', { deny: { logins: ['root'], node_labels: { '*': '*' } } }) });
    await eventually(async () => {
      const c = await cache.checkerFor(identity('alice', ['dev']));
      return !c.canAccessServer('root', { name: 'n', labels: {} });
    }, 'the edited role');
    assert.equal(auth.reads, 2);

    const deleted: string[] = [];
    cache.onUserDeleted((u) => deleted.push(u));
    auth.emit({ type: 'delete', kind: 'user', name: 'alice' });
    await eventually(() => deleted.includes('alice'), 'the deletion');
    await assert.rejects(cache.checkerFor(identity('alice', ['dev'])), (e: unknown) => e instanceof AccessDeniedError && /no longer exists/.test(e.message));
    await cache.close();
  });

  test('fails closed when a role of the certificate is gone', async () => {
    const auth = new FakeAuth();
    auth.store.set('user/bob', newUser('bob', ['dev', 'gone']));
    auth.store.set('role/dev', newRole('dev', {}));
    const cache = new AccessCache({ authClient: auth, clusterName: 'c', userCAKeys: [], logger: silentLogger });
    await assert.rejects(cache.checkerFor(identity('bob', ['dev', 'gone'])), /role 'gone' of user 'bob' no longer exists/);
  });

  test('takes the user CA keys of its cluster from the watch, including rotation keys', async () => {
    const auth = new FakeAuth();
    const first = caLine();
    const cache = new AccessCache({ authClient: auth, clusterName: 'c', userCAKeys: [first], logger: silentLogger });
    assert.equal(cache.userCAKeys().length, 1);
    const [a, b, other] = [caLine(), caLine(), caLine()];
    auth.cas = [{ kind: 'cert_authority', version: 'v2', metadata: { name: 'c' }, spec: { type: 'user', cluster_name: 'c', active_keys: { ssh: [{ public_key: a }] } } }];
    cache.start();
    auth.emit({ type: 'init', kind: '', name: '' });
    await cache.ready;
    assert.deepEqual(cache.userCAKeys().map((k) => formatAuthorizedKey(k)), [a]);
    const rotated: CertAuthority = {
      kind: 'cert_authority', version: 'v2', metadata: { name: 'c' },
      spec: { type: 'user', cluster_name: 'c', active_keys: { ssh: [{ public_key: b }] }, additional_trusted_keys: { ssh: [{ public_key: a }] } },
    };
    auth.emit({ type: 'put', kind: 'cert_authority', name: 'user/c', resource: rotated });
    auth.emit({ type: 'put', kind: 'cert_authority', name: 'host/c', resource: { ...rotated, spec: { ...rotated.spec, type: 'host', active_keys: { ssh: [{ public_key: other }] } } } });
    await eventually(() => cache.userCAKeys().length === 2, 'the rotated keys');
    assert.deepEqual(cache.userCAKeys().map((k) => formatAuthorizedKey(k)), [b, a]);
    await cache.close();
  });
});
