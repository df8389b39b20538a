/**
 * @module events/newEvent.test
 * The event builders pick the right name and code and never carry secrets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import {
  certCreateEvent,
  connectorCreatedEvent,
  connectorDeletedEvent,
  instanceJoinEvent,
  joinTokenCreateEvent,
  maskKeyName,
  resetPasswordTokenCreateEvent,
  userLoginEvent,
} from './newEvent.ts';

describe('event codes', () => {
  it('are unique and shaped like upstream codes', () => {
    const codes = Object.values(EventCodes);
    assert.equal(new Set(codes).size, codes.length);
    for (const c of codes) assert.match(c, /^T[0-9A-Z]{4}[IWE]$/);
    assert.equal(EventTypes.userLogin, 'user.login');
    assert.equal(EventCodes.certificateCreate, 'TC000I');
  });
});

describe('event builders', () => {
  it('instanceJoinEvent masks the token as upstream does and picks TJ002I/TJ002E', () => {
    assert.equal(maskKeyName('abcdefgh'), '******gh');
    assert.equal(maskKeyName('abc'), '**c');
    assert.equal(maskKeyName(''), '');
    const ok = instanceJoinEvent({ success: true, tokenName: 'abcdefgh', role: 'Node', hostId: 'h', nodeName: 'n' });
    assert.deepEqual([ok.event, ok.code, ok.token_name, ok.method], ['instance.join', 'TJ002I', '******gh', 'token']);
    assert.equal(instanceJoinEvent({ success: false, tokenName: 'x', role: 'Node', hostId: 'h', nodeName: 'n', error: 'expired' }).code, 'TJ002E');
  });

  it('userLoginEvent picks local or SSO, success or failure codes', () => {
    const code = (method: 'local' | 'github', success: boolean): string => userLoginEvent({ user: 'a', method, success }).code;
    assert.equal(code('local', true), 'T1000I');
    assert.equal(code('local', false), 'T1000W');
    assert.equal(code('github', true), 'T1001I');
    assert.equal(code('github', false), 'T1001W');
    const e = userLoginEvent({ user: 'a', method: 'local', success: false, error: 'invalid credentials', remoteAddr: '1.2.3.4:5' });
    assert.equal(e.event, 'user.login');
    assert.equal(e.error, 'invalid credentials');
    assert.equal(e['addr.remote'], '1.2.3.4:5');
  });

  it('connector events map each kind to its own name and code', () => {
    assert.deepEqual(
      (['github', 'oidc', 'saml'] as const).map((kind) => [connectorCreatedEvent({ user: 'u', name: 'n', kind }).code, connectorDeletedEvent({ user: 'u', name: 'n', kind }).code]),
      [['T8000I', 'T8001I'], ['T8100I', 'T8101I'], ['T8200I', 'T8201I']],
    );
    assert.equal(connectorCreatedEvent({ user: 'u', name: 'n', kind: 'saml' }).event, 'saml.created');
  });

  it('certCreateEvent records the identity without undefined fields', () => {
    const e = certCreateEvent({ identity: { user: 'alice', roles: ['access'], logins: ['root'], expires: new Date(Date.UTC(2026, 0, 1, 12)) } });
    assert.equal(e.code, 'TC000I');
    assert.equal(e.cert_type, 'user');
    assert.deepEqual(e.identity, { user: 'alice', roles: ['access'], logins: ['root'], expires: '2026-01-01T12:00:00.000Z' });
  });

  it('token events never include the token value', () => {
    const join = joinTokenCreateEvent({ user: 'admin', roles: ['Node'] });
    assert.equal(join.code, 'TJT00I');
    assert.equal(join.join_method, 'token');
    assert.equal('name' in join, false);
    const reset = resetPasswordTokenCreateEvent({ user: 'admin', name: 'bob', ttl: '8h' });
    assert.equal(reset.code, 'T6000I');
    assert.equal(reset.name, 'bob', 'name is the user the token is for, not the token');
  });
});
