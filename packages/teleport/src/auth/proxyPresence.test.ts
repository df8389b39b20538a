/**
 * @module auth/proxyPresence.test
 * Proxy records through the authorization layer: a proxy writes and deletes only its own record,
 * other services cannot write one, every service and user may read them (upstream's implicit
 * rule) unless a role denies it, the "proxies" alias works, and the watch stream carries them.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError, NotFoundError } from '@teleport-ts/api/errors';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import { newRole } from '@teleport-ts/api/types/validate/role';
import { AuthWithRoles } from './authWithRoles.ts';
import { addUser, asUser, builtinContext, newTestAuthServer, type TestAuth } from './testAuthServer.ts';

let t: TestAuth;

function proxy(name: string): ProxyServer {
  return {
    kind: 'proxy', version: 'v2',
    metadata: { name, expires: new Date(t.clock.nowMs() + 600_000).toISOString() },
    spec: { hostname: `proxy-${name}`, addr: `${name}.example.com:3024`, public_addr: `${name}.example.com:3080`, version: '1.0.0' },
  };
}

const as = (role: string, hostId = 'host-uuid'): AuthWithRoles => new AuthWithRoles(t.auth, builtinContext(role, hostId));

before(async () => {
  t = await newTestAuthServer();
  await t.services.access.createRole(newRole('no-proxies', {
    allow: { logins: ['x'], node_labels: { '*': '*' } },
    deny: { rules: [{ resources: ['proxy'], verbs: ['read'] }] },
  }));
  await addUser(t, 'alice', ['access']);
  await addUser(t, 'aud', ['auditor']);
  await addUser(t, 'hidden', ['access', 'no-proxies']);
});

describe('proxy records', () => {
  it('a proxy writes and deletes only its own record', async () => {
    const p1 = as('Proxy', 'p1');
    const stored = await p1.upsertResource(proxy('p1'));
    assert.equal((stored as ProxyServer).spec.addr, 'p1.example.com:3024');
    await assert.rejects(p1.upsertResource(proxy('p2')), AccessDeniedError);
    await as('Proxy', 'p2').upsertResource(proxy('p2'));
    await assert.rejects(p1.deleteResource('proxy', 'p2'), AccessDeniedError);
    await as('Proxy', 'p2').deleteResource('proxy', 'p2');
    await assert.rejects(t.auth.getResource('proxy', 'p2'), NotFoundError);
  });

  it('other services may read proxies but not write them', async () => {
    await assert.rejects(as('Node', 'p3').upsertResource(proxy('p3')), AccessDeniedError);
    for (const role of ['Node', 'Proxy', 'Db', 'App', 'Kube', 'Admin']) {
      assert.deepEqual((await as(role).listResources('proxy')).map((p) => p.metadata.name), ['p1'], role);
    }
    assert.equal((await as('Admin').listResources('proxies')).length, 1, 'the plural alias, as in tctl get proxies');
    assert.equal((await as('Admin').getResource('proxy', 'p1')).kind, 'proxy');
  });

  it('users read proxies unless a role denies it', async () => {
    for (const name of ['alice', 'aud']) {
      const u = await asUser(t, name);
      assert.deepEqual((await u.listResources('proxies')).map((p) => p.metadata.name), ['p1'], name);
      assert.equal((await u.getResource('proxy', 'p1')).metadata.name, 'p1');
      await assert.rejects(u.upsertResource(proxy('p9')), AccessDeniedError);
    }
    const hidden = await asUser(t, 'hidden');
    assert.deepEqual(await hidden.listResources('proxy'), []);
    await assert.rejects(hidden.getResource('proxy', 'p1'), NotFoundError);
  });

  it('rejects invalid proxy documents', async () => {
    const bad = { ...proxy('p1'), spec: { addr: 'x:1' } } as unknown as ProxyServer;
    await assert.rejects(as('Proxy', 'p1').upsertResource(bad), /spec\.hostname/);
  });

  it('streams proxy changes to watchers', async () => {
    const abort = new AbortController();
    const stream = as('Node', 'n1').watchEvents(['proxy'], abort.signal);
    assert.equal((await stream.next()).value?.type, 'init');
    await as('Proxy', 'p5').upsertResource(proxy('p5'));
    const ev = (await stream.next()).value;
    assert.equal(ev?.type, 'put');
    assert.equal(ev?.kind, 'proxy');
    assert.equal(ev?.name, 'p5');
    abort.abort();
    await stream.return(undefined);
  });
});
