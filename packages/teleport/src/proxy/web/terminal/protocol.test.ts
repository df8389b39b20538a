/**
 * @module proxy/web/terminal/protocol.test
 * The web terminal's message codec and the pure upgrade checks: every valid message shape, and bad
 * input refused with a message a browser can show.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '@teleport-ts/api/errors';
import { encodeServerMessage, MAX_DATA_LENGTH, parseClientMessage } from './protocol.ts';
import { originAllowed, terminalSite } from './upgrade.ts';
import { dialableAddr } from './nodeSession.ts';

const bad = (frame: string, message: RegExp): void =>
  assert.throws(() => parseClientMessage(frame), (err: unknown) => err instanceof BadParameterError && message.test(err.message));

describe('terminal protocol: client messages', () => {
  it('parses auth, connect, data and resize', () => {
    assert.deepEqual(parseClientMessage('{"type":"auth","token":"abc"}'), { type: 'auth', token: 'abc' });
    assert.deepEqual(parseClientMessage('{"type":"connect","login":"root","node":"node1","cols":80,"rows":24,"extra":1}'),
      { type: 'connect', login: 'root', node: 'node1', cols: 80, rows: 24 });
    assert.deepEqual(parseClientMessage(JSON.stringify({
      type: 'connect', login: 'ec2-user', node: '8d2b1f1e-3c5a-4b7e-9a1d-2f0c5e6a7b8c', sid: '0a1b2c3d-0000-4000-8000-000000000000', mode: 'peer', cols: 1, rows: 1000,
    })), { type: 'connect', login: 'ec2-user', node: '8d2b1f1e-3c5a-4b7e-9a1d-2f0c5e6a7b8c', sid: '0a1b2c3d-0000-4000-8000-000000000000', mode: 'peer', cols: 1, rows: 1000 });
    assert.deepEqual(parseClientMessage('{"type":"connect","login":"root","node":"[::1]:3022","cols":80,"rows":24}').type, 'connect');
    assert.deepEqual(parseClientMessage('{"type":"data","data":"ls -l\\r"}'), { type: 'data', data: 'ls -l\r' });
    assert.deepEqual(parseClientMessage('{"type":"data","data":""}'), { type: 'data', data: '' });
    assert.deepEqual(parseClientMessage('{"type":"resize","cols":120,"rows":40}'), { type: 'resize', cols: 120, rows: 40 });
  });

  it('refuses what is not a JSON object of a known type', () => {
    bad('not json', /must be JSON objects/);
    bad('[1,2]', /must be JSON objects/);
    bad('null', /must be JSON objects/);
    bad('"auth"', /must be JSON objects/);
    bad('{}', /unknown terminal message type null: expected auth, connect, data or resize/);
    bad('{"type":"exec","command":"id"}', /unknown terminal message type "exec"/);
    bad(`{"type":"${'x'.repeat(500)}"}`, /unknown terminal message type "x{40}":/);
  });

  it('refuses bad auth messages', () => {
    bad('{"type":"auth"}', /"token" must be the bearer token/);
    bad('{"type":"auth","token":""}', /"token" must be/);
    bad('{"type":"auth","token":42}', /"token" must be/);
    bad(JSON.stringify({ type: 'auth', token: 'a'.repeat(5000) }), /"token" must be/);
  });

  it('refuses bad connect messages', () => {
    const connect = (over: Record<string, unknown>): string => JSON.stringify({ type: 'connect', login: 'root', node: 'node1', cols: 80, rows: 24, ...over });
    bad(connect({ login: undefined }), /"login" is required/);
    bad(connect({ login: 'root user' }), /"login" is not a valid login/);
    bad(connect({ login: 'root@evil' }), /"login" is not a valid login/);
    bad(connect({ login: '-oProxyCommand=x' }), /"login" is not a valid login/);
    bad(connect({ node: '' }), /"node" is required/);
    bad(connect({ node: 'node1 ; rm' }), /"node" is not a valid node name/);
    bad(connect({ node: 'a/b' }), /"node" is not a valid node name/);
    bad(connect({ cols: 0 }), /"cols" must be a whole number from 1 to 1000/);
    bad(connect({ rows: 1001 }), /"rows" must be a whole number/);
    bad(connect({ cols: 80.5 }), /"cols" must be a whole number/);
    bad(connect({ rows: '24' }), /"rows" must be a whole number/);
    bad(connect({ sid: 'ab/../cd' }), /"sid" is not a valid session ID/);
    bad(connect({ sid: 'abc', mode: 'admin' }), /"mode" must be "peer" or "observer"/);
    bad(connect({ mode: 'observer' }), /"mode" applies only when joining/);
  });

  it('refuses bad data and resize messages', () => {
    bad('{"type":"data"}', /"data" must be a string/);
    bad('{"type":"data","data":["a"]}', /"data" must be a string/);
    bad(JSON.stringify({ type: 'data', data: 'x'.repeat(MAX_DATA_LENGTH + 1) }), /longer than 32768 characters/);
    bad('{"type":"resize","cols":-1,"rows":24}', /"cols" must be/);
    bad('{"type":"resize","cols":80}', /"rows" must be/);
  });

  it('encodes server messages as JSON text', () => {
    assert.equal(encodeServerMessage({ type: 'exit', code: 0 }), '{"type":"exit","code":0}');
    assert.equal(encodeServerMessage({ type: 'error', message: 'no "x"' }), '{"type":"error","message":"no \\"x\\""}');
    assert.deepEqual(JSON.parse(encodeServerMessage({ type: 'session', sid: 's1' })), { type: 'session', sid: 's1' });
  });
});

describe('terminal upgrade checks', () => {
  it('matches the terminal path and decodes the site', () => {
    assert.equal(terminalSite('/v1/webapi/sites/example.com/connect/ws'), 'example.com');
    assert.equal(terminalSite('/v1/webapi/sites/a%20b/connect/ws'), 'a b');
    assert.equal(terminalSite('/v1/webapi/sites//connect/ws'), undefined);
    assert.equal(terminalSite('/v1/webapi/sites/%E0%A4%A/connect/ws'), undefined);
    assert.equal(terminalSite('/v1/webapi/sites/a/b/connect/ws'), undefined);
    assert.equal(terminalSite('/v1/webapi/auth/tunnel'), undefined);
  });

  it('allows only the proxy\'s own origin', () => {
    assert.equal(originAllowed('https://proxy.example.com:3080', 'proxy.example.com:3080'), true);
    assert.equal(originAllowed('https://PROXY.example.com', 'proxy.example.com:443'), true);
    assert.equal(originAllowed('https://proxy.example.com', 'proxy.example.com'), true);
    assert.equal(originAllowed('https://evil.example.com', 'proxy.example.com'), false);
    assert.equal(originAllowed('https://proxy.example.com:3081', 'proxy.example.com:3080'), false);
    assert.equal(originAllowed('http://proxy.example.com:3080', 'proxy.example.com:3080'), false, 'plain http page');
    assert.equal(originAllowed('null', 'proxy.example.com'), false);
    assert.equal(originAllowed(undefined, 'proxy.example.com'), false);
    assert.equal(originAllowed('https://proxy.example.com', undefined), false);
    assert.equal(originAllowed('https://teleport.example.com', '10.0.0.1:3080', ['https://teleport.example.com']), true);
    assert.equal(originAllowed('https://evil.example.com', '10.0.0.1:3080', ['https://teleport.example.com']), false);
  });

  it('dials unspecified listen addresses on loopback', () => {
    assert.equal(dialableAddr({ host: '0.0.0.0', port: 3023 }), '127.0.0.1:3023');
    assert.equal(dialableAddr({ host: '::', port: 3023 }), '[::1]:3023');
    assert.equal(dialableAddr({ host: '10.1.2.3', port: 3023 }), '10.1.2.3:3023');
  });
});
