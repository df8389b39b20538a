/**
 * @module proxy/web/webApi.test
 * The web UI's session model and admin endpoints over real HTTPS against a real auth listener
 * (webApiTestkit): login with password and TOTP, wrong password, lockout, the cookie's attributes,
 * CSRF (cookie without the bearer token), expiry and logout; roles as YAML with validation errors
 * that name a line; join tokens and users managed by an editor and refused to a plain user.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { CreateWebJoinTokenResponse, CreateWebUserResponse, ListResponse, MeResponse, WebJoinToken, WebRole } from '@teleport-ts/api/webapi';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import { addUser } from '../../auth/testAuthServer.ts';
import { generateTOTP, newTOTPSecret } from '../../auth/totp.ts';
import { startWebAPIEnv, type Browser, type Reply, type WebAPIEnv } from './webApiTestkit.ts';

const PASSWORD = 'correct horse battery staple';
let env: WebAPIEnv;
let alice: Browser;
let ed: Browser;

before(async () => {
  env = await startWebAPIEnv();
  await addUser(env.t, 'alice', ['access'], { traits: { logins: ['alice', 'root'] }, password: PASSWORD });
  await addUser(env.t, 'ed', ['editor', 'access'], { traits: { logins: ['ed'] }, password: PASSWORD });
  alice = await env.login('alice', PASSWORD);
  ed = await env.login('ed', PASSWORD);
});

after(() => env.close());

function assertError(r: Reply, status: number, message?: string | RegExp): void {
  assert.equal(r.status, status, r.text);
  const err = r.json().error;
  assert.ok(err, r.text);
  if (typeof message === 'string') assert.equal(err.message, message);
  else if (message) assert.match(err.message, message);
}

describe('login and sessions', () => {
  it('logs in with a password: HttpOnly __Host- cookie, bearer token once, certificate TTL', async () => {
    const r = await env.request('POST', '/v1/webapi/sessions/web', { body: { user: 'alice', pass: PASSWORD } });
    assert.equal(r.status, 200, r.text);
    const cookie = r.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, /^__Host-session=[0-9a-f]{64}; Path=\/; Secure; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const body = r.json<{ token: string; token_type: string; expires_in: number; user: { name: string; roles: string[] } }>();
    assert.equal(body.token_type, 'Bearer');
    assert.match(body.token, /^[0-9a-f]{64}$/);
    assert.deepEqual(body.user, { name: 'alice', roles: ['access'] });
    assert.ok(Math.abs(body.expires_in - 12 * 3600) < 120, String(body.expires_in));
    assert.equal(Number(/Max-Age=(\d+)/.exec(cookie)?.[1]), body.expires_in);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.match(String(r.headers['content-security-policy']), /default-src 'self'.*connect-src 'self'.*object-src 'none'/);
    // The session id is not in the body, the token is not in the cookie.
    assert.ok(!r.text.includes(cookie.split(';')[0]?.split('=')[1] ?? 'x'));
    // Audited as a local web login.
    const events = env.t.audit.all().filter((e: AuditEvent) => e.event === 'user.login' && e.user === 'alice');
    assert.ok(events.every((e) => e.code === 'T1000I' && e.method === 'local' && e.web === true));

    const me = await env.request('GET', '/v1/webapi/me', { as: alice });
    assert.equal(me.status, 200, me.text);
    const m = me.json<MeResponse>();
    assert.equal(m.user, 'alice');
    assert.deepEqual(m.logins, ['alice', 'root']);
    assert.equal(m.cluster, 'example.com');
    assert.deepEqual(m.acl, { users: false, roles: false, tokens: false, events: true, recordings: true });
    const edMe = (await env.request('GET', '/v1/webapi/me', { as: ed })).json<MeResponse>();
    assert.deepEqual(edMe.acl, { users: true, roles: true, tokens: true, events: true, recordings: true });
  });

  it('asks for the TOTP code of a user with a device', async () => {
    await addUser(env.t, 'otto', ['access'], { password: PASSWORD });
    const secret = newTOTPSecret();
    await env.t.services.users.addTOTPDevice('otto', { id: randomUUID(), name: 'phone', secret, addedAt: new Date() });
    assertError(await env.request('POST', '/v1/webapi/sessions/web', { body: { user: 'otto', pass: PASSWORD } }), 403,
      'invalid username, password or second factor');
    const b = await env.login('otto', PASSWORD, generateTOTP(secret, env.t.clock.nowMs()));
    assert.equal(b.login.user.name, 'otto');
  });

  it('refuses a wrong password, then locks the account after 5 failures', async () => {
    await addUser(env.t, 'lucy', ['access'], { password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      const r = await env.request('POST', '/v1/webapi/sessions/web', { body: { user: 'lucy', pass: 'not the password' } });
      assertError(r, 403, 'invalid username, password or second factor');
      assert.equal(r.headers['set-cookie'], undefined);
    }
    assertError(await env.request('POST', '/v1/webapi/sessions/web', { body: { user: 'lucy', pass: PASSWORD } }), 403,
      /user 'lucy' is temporarily locked after too many failed login attempts/);
    assertError(await env.request('POST', '/v1/webapi/sessions/web', { body: { user: 'lucy' } }), 400, /missing "pass"/);
  });

  it('requires the bearer token with the cookie (CSRF) and the cookie itself', async () => {
    const csrf = 'missing or invalid bearer token (CSRF protection)';
    // What a cross-site form post or image load carries: the cookie, no header.
    assertError(await env.request('GET', '/v1/webapi/me', { headers: { cookie: alice.cookie } }), 403, csrf);
    assertError(await env.request('POST', '/v1/webapi/tokens', { headers: { cookie: ed.cookie }, body: { roles: ['node'] } }), 403, csrf);
    assertError(await env.request('GET', '/v1/webapi/me', { headers: { cookie: alice.cookie, authorization: `Bearer ${ed.token}` } }), 403, csrf);
    assertError(await env.request('GET', '/v1/webapi/me', { headers: { cookie: alice.cookie, authorization: 'Basic xyz' } }), 403, csrf);
    const expired = 'your web session expired: log in again';
    assertError(await env.request('GET', '/v1/webapi/me', { headers: { authorization: `Bearer ${alice.token}` } }), 401, expired);
    assertError(await env.request('GET', '/v1/webapi/me', { headers: { cookie: '__Host-session=0000', authorization: `Bearer ${alice.token}` } }), 401, expired);
  });

  it('answers 401 once the session expired with its certificate (role max_session_ttl)', async () => {
    await env.t.services.access.createRole(newRole('brief', { options: { max_session_ttl: '1m' }, allow: { logins: ['brief'] } }));
    await addUser(env.t, 'brief', ['brief'], { password: PASSWORD });
    const b = await env.login('brief', PASSWORD);
    assert.ok(b.login.expires_in <= 60);
    assert.equal((await env.request('GET', '/v1/webapi/me', { as: b })).status, 200);
    env.proxyClock.advance(61_000);
    assertError(await env.request('GET', '/v1/webapi/me', { as: b }), 401, 'your web session expired: log in again');
    assertError(await env.request('GET', '/v1/webapi/sites/example.com/nodes', { as: b }), 401);
  });

  it('logs out: the session is deleted and the cookie cleared', async () => {
    const b = await env.login('alice', PASSWORD);
    const r = await env.request('DELETE', '/v1/webapi/sessions/web', { as: b });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['set-cookie']?.[0] ?? '', /^__Host-session=; .*Max-Age=0/);
    assertError(await env.request('GET', '/v1/webapi/me', { as: b }), 401);
    const id = b.cookie.split('=')[1] ?? '';
    await assert.rejects(env.t.services.webSessions.getWebSession(id));
    // Other sessions of the same user live on.
    assert.equal((await env.request('GET', '/v1/webapi/me', { as: alice })).status, 200);
  });
});

describe('roles', () => {
  const yaml = (body: string) => `kind: role\nversion: v7\nmetadata:\n  name: web-dev\nspec:\n  allow:\n${body}`;

  it('saves a role from YAML and lists roles as YAML', async () => {
    const r = await env.request('PUT', '/v1/webapi/roles/web-dev', { as: ed, body: { yaml: yaml('    logins: [dev]\n    node_labels:\n      env: dev\n') } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json<WebRole>().yaml, /logins:\n\s*- dev/);
    const list = (await env.request('GET', '/v1/webapi/roles', { as: ed })).json<ListResponse<WebRole>>();
    const dev = list.items.find((x) => x.name === 'web-dev');
    assert.ok(dev && !dev.yaml.includes('revision'));
    assert.ok(list.items.some((x) => x.name === 'access'));
  });

  it('reports a validation error with its line and field', async () => {
    const r = await env.request('PUT', '/v1/webapi/roles/web-dev', { as: ed, body: { yaml: yaml('    logins: [dev]\n    node_lables: {env: dev}\n') } });
    assertError(r, 400, /^role\.yaml:8: spec\.allow\.node_lables: unknown field; did you mean "node_labels"\?/);
    assert.equal(r.json().error?.line, 8);
    assert.equal(r.json().error?.field, 'spec.allow.node_lables');
    const syntax = await env.request('PUT', '/v1/webapi/roles/web-dev', { as: ed, body: { yaml: yaml('    logins: [dev\n') } });
    assertError(syntax, 400, /invalid YAML/);
    assert.equal(typeof syntax.json().error?.line, 'number');
    assertError(await env.request('PUT', '/v1/webapi/roles/other', { as: ed, body: { yaml: yaml('    logins: [dev]\n') } }), 400, /URL names role "other"/);
  });

  it('is refused to a user without role rules', async () => {
    assertError(await env.request('PUT', '/v1/webapi/roles/web-dev', { as: alice, body: { yaml: yaml('    logins: [x]\n') } }), 403);
    assertError(await env.request('GET', '/v1/webapi/roles', { as: alice }), 403);
  });
});

describe('join tokens', () => {
  it('lets an editor create, list and revoke a token with the teleport start command', async () => {
    const r = await env.request('POST', '/v1/webapi/tokens', { as: ed, body: { roles: ['node'], ttl: '30m' } });
    assert.equal(r.status, 200, r.text);
    const tok = r.json<CreateWebJoinTokenResponse>();
    assert.deepEqual(tok.roles, ['Node']);
    const pins = await env.t.auth.caPins();
    assert.equal(tok.command,
      `teleport start \\\n   --roles=node \\\n   --token=${tok.token} \\\n${pins.map((p) => `   --ca-pin=${p} \\\n`).join('')}   --auth-server=proxy.example.com:3080`);
    assert.ok(Math.abs(Date.parse(tok.expires) - env.proxyClock.nowMs() - 30 * 60_000) < 5000);
    const list = (await env.request('GET', '/v1/webapi/tokens', { as: ed })).json<ListResponse<WebJoinToken>>();
    assert.ok(list.items.some((x) => x.name === tok.token && x.roles[0] === 'Node'));
    assert.equal((await env.request('DELETE', `/v1/webapi/tokens/${tok.token}`, { as: ed })).status, 200);
    const after = (await env.request('GET', '/v1/webapi/tokens', { as: ed })).json<ListResponse<WebJoinToken>>();
    assert.ok(!after.items.some((x) => x.name === tok.token));
    assertError(await env.request('POST', '/v1/webapi/tokens', { as: ed, body: { roles: ['bogus'] } }), 400, /unknown token type "bogus"/);
  });

  it('refuses a plain access user', async () => {
    assertError(await env.request('POST', '/v1/webapi/tokens', { as: alice, body: { roles: ['node'] } }), 403, /access denied/);
    assertError(await env.request('GET', '/v1/webapi/tokens', { as: alice }), 403, /access denied/);
  });
});

describe('users', () => {
  it('creates a user with an invite link, changes roles, resets and deletes', async () => {
    const r = await env.request('POST', '/v1/webapi/users', { as: ed, body: { name: 'newbie', roles: ['access'], traits: { logins: ['newbie'] } } });
    assert.equal(r.status, 200, r.text);
    const c = r.json<CreateWebUserResponse>();
    assert.match(c.invite_url, /^https:\/\/proxy\.example\.com:3080\/web\/invite\/[0-9a-f]{32}$/);
    assert.deepEqual(c.user, { name: 'newbie', roles: ['access'], traits: { logins: ['newbie'] } });
    const u = await env.request('PUT', '/v1/webapi/users/newbie', { as: ed, body: { roles: ['access', 'web-dev'] } });
    assert.deepEqual(u.json<{ roles: string[] }>().roles, ['access', 'web-dev']);
    const reset = await env.request('POST', '/v1/webapi/users/newbie/reset', { as: ed });
    assert.match(reset.json<{ reset_url: string }>().reset_url, /\/web\/reset\//);
    const list = await env.request('GET', '/v1/webapi/users', { as: ed });
    assert.ok(list.json<ListResponse<{ name: string }>>().items.some((x) => x.name === 'newbie'));
    assert.equal((await env.request('DELETE', '/v1/webapi/users/newbie', { as: ed })).status, 200);
    assertError(await env.request('DELETE', '/v1/webapi/users/newbie', { as: ed }), 404);
    assertError(await env.request('POST', '/v1/webapi/users', { as: alice, body: { name: 'x', roles: ['access'] } }), 403);
  });
});
