/**
 * @module proxy/web/webApiResources.test
 * The web UI's read endpoints over real HTTPS against a real auth listener (webApiTestkit): 1,000
 * node heartbeats written by an admin client, paged by the proxy with search and label selectors,
 * filtered by the user's roles (a user who may see only env=dev nodes); databases; live sessions;
 * audit search; recordings listed from session.end events and streamed, each only to those whose
 * roles allow it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from '@teleport-ts/api/types/server';
import type { DatabaseServer } from '@teleport-ts/api/types/database';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import { newRole } from '@teleport-ts/api/types/validate/role';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import type { ListResponse, WebActiveSession, WebDatabase, WebNode, WebRecording } from '@teleport-ts/api/webapi';
import { addUser } from '../../auth/testAuthServer.ts';
import { startWebAPIEnv, type Browser, type WebAPIEnv } from './webApiTestkit.ts';

const PASSWORD = 'correct horse battery staple';
const NODES = 1000;
let env: WebAPIEnv;
let alice: Browser;
let dora: Browser;
let aud: Browser;

const pad = (i: number) => String(i).padStart(4, '0');

function node(i: number): Server {
  return {
    kind: 'node', version: 'v2',
    metadata: {
      name: `00000000-0000-4000-8000-00000000${pad(i)}`,
      labels: { env: i % 4 === 0 ? 'dev' : 'prod', team: i % 2 ? 'a' : 'b' },
      expires: new Date(Date.now() + 600_000).toISOString(),
    },
    spec: { addr: `10.0.${Math.floor(i / 250)}.${i % 250}:3022`, hostname: `node-${pad(i)}`, ...(i === 7 && { use_tunnel: true }) },
  };
}

before(async () => {
  env = await startWebAPIEnv();
  await env.t.services.access.createRole(newRole('dev', { allow: { logins: ['dev'], node_labels: { env: 'dev' }, rules: [{ resources: ['event'], verbs: ['list', 'read'] }] } }));
  await addUser(env.t, 'alice', ['access'], { traits: { logins: ['alice'] }, password: PASSWORD });
  await addUser(env.t, 'dora', ['dev'], { password: PASSWORD });
  await addUser(env.t, 'aud', ['auditor'], { password: PASSWORD });
  // Heartbeats through the auth API, as agents send them (the admin may write any node).
  for (let i = 0; i < NODES; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => env.admin.upsertResource(node(i + j))));
  }
  // Auth serves nodes from its watch-fed cache: wait until it has them all.
  for (let tries = 0; (await env.admin.listResources('node')).length < NODES; tries++) {
    if (tries > 100) throw new Error('presence cache never saw every node');
    await new Promise((r) => setTimeout(r, 50));
  }
  [alice, dora, aud] = [await env.login('alice', PASSWORD), await env.login('dora', PASSWORD), await env.login('aud', PASSWORD)];
});

after(() => env.close());

async function get<T>(b: Browser, path: string): Promise<T> {
  const r = await env.request('GET', path, { as: b });
  assert.equal(r.status, 200, r.text);
  return r.json<T>();
}

const nodes = (b: Browser, qs: string) => get<ListResponse<WebNode>>(b, `/v1/webapi/sites/example.com/nodes?${qs}`);

describe('nodes', () => {
  it('pages through 1,000 nodes in hostname order without gaps or repeats', async () => {
    const seen: string[] = [];
    let startKey: string | undefined;
    let pages = 0;
    const started = Date.now();
    do {
      const page = await nodes(alice, `limit=300${startKey ? `&startKey=${encodeURIComponent(startKey)}` : ''}`);
      assert.equal(page.totalCount, NODES);
      seen.push(...page.items.map((n) => n.hostname));
      startKey = page.startKey;
      pages++;
    } while (startKey);
    assert.equal(pages, 4);
    assert.deepEqual(seen, Array.from({ length: NODES }, (_, i) => `node-${pad(i)}`));
    assert.ok(Date.now() - started < 5000, `4 pages took ${Date.now() - started} ms`);
    const first = (await nodes(alice, 'limit=10')).items[7];
    assert.deepEqual(first, {
      id: '00000000-0000-4000-8000-000000000007', hostname: 'node-0007', addr: '10.0.0.7:3022', tunnel: true, sub_kind: 'teleport',
      labels: [{ name: 'env', value: 'prod' }, { name: 'team', value: 'a' }],
    });
  });

  it('filters by label selector and search words', async () => {
    const dev = await nodes(alice, 'query=env%3Ddev&limit=1000');
    assert.equal(dev.totalCount, 250);
    assert.ok(dev.items.every((n) => n.labels.some((l) => l.name === 'env' && l.value === 'dev')));
    assert.equal((await nodes(alice, `query=${encodeURIComponent('env=dev, team=b')}`)).totalCount, 250);
    assert.equal((await nodes(alice, `query=${encodeURIComponent('env=dev,team=a')}`)).totalCount, 0);
    const one = await nodes(alice, 'search=NODE-0999');
    assert.deepEqual(one.items.map((n) => n.hostname), ['node-0999']);
    assert.equal((await nodes(alice, 'search=10.0.3.')).totalCount, 250);
    assert.equal((await nodes(alice, 'search=team%3Da%20node-00')).totalCount, 50);
    assert.equal((await env.request('GET', '/v1/webapi/sites/example.com/nodes?query=nonsense', { as: alice })).status, 400);
    assert.equal((await env.request('GET', '/v1/webapi/sites/example.com/nodes?limit=0', { as: alice })).status, 400);
    assert.equal((await env.request('GET', '/v1/webapi/sites/other.example.com/nodes', { as: alice })).status, 404);
  });

  it("shows a user only the nodes their roles allow (env=dev)", async () => {
    const page = await nodes(dora, 'limit=1000');
    assert.equal(page.totalCount, 250);
    assert.ok(page.items.every((n) => n.labels.some((l) => l.name === 'env' && l.value === 'dev')));
    assert.equal((await nodes(dora, 'query=env%3Dprod')).totalCount, 0);
    assert.equal((await nodes(aud, 'limit=10')).totalCount, 0);
  });
});

describe('databases and live sessions', () => {
  it('lists databases once each, with labels', async () => {
    const db = (host: string): DatabaseServer => ({
      kind: 'db_server', version: 'v3', metadata: { name: 'pg', expires: new Date(Date.now() + 600_000).toISOString() },
      spec: {
        host_id: host, hostname: host, version: '1',
        database: { kind: 'db', version: 'v3', metadata: { name: 'pg', description: 'main', labels: { env: 'dev' } }, spec: { protocol: 'postgres', uri: 'localhost:5432' } },
      },
    });
    await env.t.services.databases.upsertDatabaseServer(db('h1'));
    await env.t.services.databases.upsertDatabaseServer(db('h2'));
    const list = await get<ListResponse<WebDatabase>>(alice, '/v1/webapi/sites/example.com/databases');
    assert.deepEqual(list.items, [{ name: 'pg', protocol: 'postgres', description: 'main', labels: [{ name: 'env', value: 'dev' }] }]);
    assert.equal((await get<ListResponse<WebDatabase>>(alice, '/v1/webapi/sites/example.com/databases?query=env%3Dprod')).totalCount, 0);
  });

  it('lists the live sessions a user may join', async () => {
    const tracker: SessionTracker = {
      kind: 'session_tracker', version: 'v1', metadata: { name: 'sid-1', expires: new Date(Date.now() + 600_000).toISOString() },
      spec: {
        session_id: 'sid-1', kind: 'ssh', state: 'running', created: new Date().toISOString(), target_id: node(4).metadata.name,
        hostname: 'node-0004', address: '10.0.0.4:3022', login: 'alice', host_user: 'alice', cluster_name: 'example.com',
        participants: [{ user: 'alice', mode: 'peer', joined: new Date().toISOString() }], interactive: true,
      },
    };
    await env.admin.upsertResource(tracker);
    const list = await get<ListResponse<WebActiveSession>>(alice, '/v1/webapi/sites/example.com/sessions');
    assert.deepEqual(list.items.map((s) => [s.sid, s.login, s.hostname, s.server_id, s.participants]), [
      ['sid-1', 'alice', 'node-0004', node(4).metadata.name, [{ user: 'alice', mode: 'peer' }]],
    ]);
  });
});

describe('audit log and recordings', () => {
  async function sessionEnd(sid: string, user: string, minutesAgo: number): Promise<void> {
    const stop = new Date(Date.now() - minutesAgo * 60_000);
    await env.t.audit.emit({
      event: EventTypes.sessionEnd, code: EventCodes.sessionEnd, sid, user, login: 'root', participants: [user], interactive: true,
      server_id: 'n1', server_hostname: 'node-0001', session_recording: 'node',
      session_start: new Date(stop.getTime() - 5000).toISOString(), session_stop: stop.toISOString(), duration_ms: 5000,
    });
    await env.t.auth.recordings.append(sid, 0, Buffer.from(`{"version":2,"width":80,"height":24}\n[0.1,"o","hi ${sid}\\r\\n"]\n`));
    await env.t.auth.recordings.setMeta({ sessionId: sid, participants: [user], complete: true });
  }

  before(async () => {
    await sessionEnd('rec-alice', 'alice', 3);
    await sessionEnd('rec-dora', 'dora', 2);
  });

  it('searches events by type, newest first, with paging', async () => {
    const logins = await get<ListResponse<AuditEvent>>(aud, '/v1/webapi/sites/example.com/events/search?types=user.login&limit=2');
    assert.equal(logins.items.length, 2);
    assert.ok(logins.items.every((e) => e.event === 'user.login' && e.web === true));
    assert.ok(logins.items[0] && logins.items[1] && logins.items[0].time >= logins.items[1].time);
    assert.ok(logins.startKey);
    const next = await get<ListResponse<AuditEvent>>(aud, `/v1/webapi/sites/example.com/events/search?types=user.login&limit=2&startKey=${encodeURIComponent(logins.startKey ?? '')}`);
    assert.ok(next.items.length >= 1 && next.items.every((e) => !logins.items.some((x) => x.uid === e.uid)));
    const ends = await get<ListResponse<AuditEvent>>(aud, '/v1/webapi/sites/example.com/events/search?types=session.end');
    assert.deepEqual(ends.items.map((e) => e.sid), ['rec-dora', 'rec-alice']);
    assert.equal((await env.request('GET', '/v1/webapi/sites/example.com/events/search?from=yesterday', { as: aud })).status, 400);
  });

  it('lists recordings to those who may play them, and streams one', async () => {
    const all = await get<ListResponse<WebRecording>>(aud, '/v1/webapi/sites/example.com/recordings');
    assert.deepEqual(all.items.map((r) => r.sid), ['rec-dora', 'rec-alice']);
    assert.deepEqual({ ...all.items[1], started: '', ended: '' }, {
      sid: 'rec-alice', user: 'alice', participants: ['alice'], login: 'root', hostname: 'node-0001', server_id: 'n1',
      started: '', ended: '', duration_ms: 5000, interactive: true,
    });
    // The access preset may play only sessions it took part in.
    const mine = await get<ListResponse<WebRecording>>(alice, '/v1/webapi/sites/example.com/recordings');
    assert.deepEqual(mine.items.map((r) => r.sid), ['rec-alice']);

    const stream = await env.request('GET', '/v1/webapi/sites/example.com/recordings/rec-alice/stream', { as: alice });
    assert.equal(stream.status, 200, stream.text);
    assert.match(String(stream.headers['content-type']), /^application\/x-asciicast/);
    assert.equal(stream.text, '{"version":2,"width":80,"height":24}\n[0.1,"o","hi rec-alice\\r\\n"]\n');
    const denied = await env.request('GET', '/v1/webapi/sites/example.com/recordings/rec-dora/stream', { as: alice });
    assert.equal(denied.status, 403, denied.text);
    assert.equal((await env.request('GET', '/v1/webapi/sites/example.com/recordings/nope/stream', { as: aud })).status, 404);
  });
});
