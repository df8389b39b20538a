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
  databaseSessionStartEvent, databaseSessionEndEvent, databaseSessionQueryEvent,
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

  it('database session events carry upstream codes and fields', () => {
    const info = { sid: 's1', user: 'alice', dbService: 'pg', dbProtocol: 'postgres', dbURI: 'db:5432', dbUser: 'app', dbName: 'orders', serverId: 'h1' };
    const ok = databaseSessionStartEvent({ ...info, success: true });
    assert.deepEqual([ok.event, ok.code, ok.success, 'error' in ok], ['db.session.start', 'TDB00I', true, false]);
    assert.deepEqual([ok.db_service, ok.db_protocol, ok.db_uri, ok.db_user, ok.db_name, ok.sid, ok.user, ok.server_id],
      ['pg', 'postgres', 'db:5432', 'app', 'orders', 's1', 'alice', 'h1']);
    const denied = databaseSessionStartEvent({ ...info, success: false, error: "access to db user 'app' denied by role dev" });
    assert.deepEqual([denied.code, denied.success, denied.error], ['TDB00W', false, "access to db user 'app' denied by role dev"]);
    assert.deepEqual([databaseSessionEndEvent(info).event, databaseSessionEndEvent(info).code], ['db.session.end', 'TDB01I']);
    const q = databaseSessionQueryEvent({ ...info, query: 'select $1', parameters: ['42'] });
    assert.deepEqual([q.event, q.code, q.db_query, q.db_query_parameters, q.success], ['db.session.query', 'TDB02I', 'select $1', ['42'], true]);
    const bad = databaseSessionQueryEvent({ ...info, query: 'selec', error: 'syntax error' });
    assert.deepEqual([bad.code, bad.success, bad.error, 'db_query_parameters' in bad], ['TDB02W', false, 'syntax error', false]);
  });
});
