/**
 * @module proxy/web/webSession.test
 * The session resolver without a network: cookie and bearer parsing, the constant-time token check,
 * the short cache (a logout elsewhere shows after it), expiry by the proxy's clock, one read for
 * concurrent first requests, and the bounded set of per-session clients (evicted ones are closed).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FakeClock } from '@teleport-ts/api/clock';
import type { AuthClient, WebSessionInfo } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError, NotFoundError, TrustError } from '@teleport-ts/api/errors';
import { WebSessionResolver, bearerToken, sessionCookie, sessionCookieHeader, tokenMatches } from './webSession.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

function setup(opts: { maxClients?: number } = {}) {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const sessions = new Map<string, WebSessionInfo>();
  let reads = 0;
  const closed: string[] = [];
  const add = (id: string, ttlMs = 3600_000) => sessions.set(id, {
    sessionId: id, user: `u-${id}`, roles: [], bearerTokenSHA256: sha(`tok-${id}`), created: new Date(clock.nowMs()),
    expires: new Date(clock.nowMs() + ttlMs), privateKeyPEM: '', sshCert: '', tlsCert: '', tlsCACerts: [], hostCAs: [],
  });
  const resolver = new WebSessionResolver({
    clock, cacheMs: 10_000, ...(opts.maxClients && { maxClients: opts.maxClients }),
    authClient: {
      addr: 'auth:3025',
      async getWebSession(id: string) {
        reads++;
        await new Promise((r) => setImmediate(r));
        const s = sessions.get(id);
        if (!s) throw new NotFoundError('gone');
        return s;
      },
    },
    newClient: (s) => ({ close: () => closed.push(s.sessionId) }) as unknown as AuthClient,
  });
  return { clock, sessions, add, resolver, closed, reads: () => reads };
}

describe('WebSessionResolver', () => {
  it('parses the cookie and the bearer header', () => {
    assert.equal(sessionCookie(req({ cookie: 'a=1; __Host-session=abc ; b=2' })), 'abc');
    assert.equal(sessionCookie(req({ cookie: 'session=abc' })), undefined);
    assert.equal(bearerToken(req({ authorization: 'Bearer xyz' })), 'xyz');
    assert.equal(bearerToken(req({ authorization: 'Basic xyz' })), undefined);
    assert.equal(sessionCookieHeader('abc', 59.9), '__Host-session=abc; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=59');
    assert.ok(tokenMatches('t', sha('t')));
    assert.ok(!tokenMatches('t', sha('u')));
    assert.ok(!tokenMatches('t', 'abcd'));
  });

  it('answers 401 without a cookie or session, 403 without the right token', async () => {
    const { add, resolver } = setup();
    add('s1');
    await assert.rejects(resolver.fromRequest(req({ authorization: 'Bearer tok-s1' })), TrustError);
    await assert.rejects(resolver.fromRequest(req({ cookie: '__Host-session=s1' })), AccessDeniedError);
    await assert.rejects(resolver.fromRequest(req({ cookie: '__Host-session=s1', authorization: 'Bearer tok-s2' })), AccessDeniedError);
    await assert.rejects(resolver.fromRequest(req({ cookie: '__Host-session=s2', authorization: 'Bearer tok-s2' })), TrustError);
    assert.equal((await resolver.fromRequest(req({ cookie: '__Host-session=s1', authorization: 'Bearer tok-s1' }))).user, 'u-s1');
  });

  it('caches briefly, reads once for concurrent requests, and expires by the clock', async () => {
    const { add, sessions, resolver, clock, reads, closed } = setup();
    add('s1', 60_000);
    await Promise.all([resolver.resolve('s1', 'tok-s1'), resolver.resolve('s1', 'tok-s1'), resolver.resolve('s1', 'tok-s1')]);
    assert.equal(reads(), 1);
    sessions.delete('s1'); // logged out through another proxy
    clock.advance(5_000);
    await resolver.resolve('s1', 'tok-s1'); // still cached
    clock.advance(6_000);
    await assert.rejects(resolver.resolve('s1', 'tok-s1'), TrustError);
    assert.deepEqual(closed, ['s1']);
    add('s2', 60_000);
    await resolver.resolve('s2', 'tok-s2');
    clock.advance(60_000);
    await assert.rejects(resolver.resolve('s2', 'tok-s2'), /your web session expired: log in again/);
  });

  it('keeps at most maxClients sessions and closes the least recently used', async () => {
    const { add, resolver, closed } = setup({ maxClients: 2 });
    for (const id of ['a', 'b', 'c']) add(id);
    const a = await resolver.resolve('a', 'tok-a');
    await resolver.resolve('b', 'tok-b');
    assert.equal(await resolver.resolve('a', 'tok-a'), a); // a is now the most recent
    await resolver.resolve('c', 'tok-c');
    assert.deepEqual(closed, ['b']);
    assert.equal(resolver.size, 2);
    resolver.close();
    assert.deepEqual(closed.sort(), ['a', 'b', 'c']);
  });
});

describe('WebSessionResolver.fromCookie (the terminal)', () => {
  it('takes the Cookie header and the token of the first message', async () => {
    const { add, resolver } = setup();
    add('s1');
    const c = await resolver.fromCookie('x=1; __Host-session=s1', 'tok-s1');
    assert.equal(c.user, 'u-s1');
    assert.equal(c.keyPEM, c.privateKeyPEM);
    await assert.rejects(resolver.fromCookie(undefined, 'tok-s1'), TrustError);
    await assert.rejects(resolver.fromCookie('__Host-session=s1', ''), AccessDeniedError);
    await assert.rejects(resolver.fromCookie('__Host-session=s1', 'tok-s2'), AccessDeniedError);
  });
});
