/** @module termProtocol.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeServerMessage, encodeAuth, encodeConnect, encodeData, encodeResize, terminalSocketUrl,
} from './termProtocol.ts';

describe('terminal protocol', () => {
  it('encodes the auth and connect messages', () => {
    assert.deepEqual(JSON.parse(encodeAuth('tok')), { type: 'auth', token: 'tok' });
    assert.deepEqual(JSON.parse(encodeConnect({ login: 'root', node: 'n1', cols: 80.7, rows: 0 })),
      { type: 'connect', login: 'root', node: 'n1', cols: 80, rows: 1 });
  });
  it('adds sid and mode (peer by default) only when joining', () => {
    assert.deepEqual(JSON.parse(encodeConnect({ login: 'root', node: 'n1', sid: 's1', cols: 80, rows: 24 })),
      { type: 'connect', login: 'root', node: 'n1', cols: 80, rows: 24, sid: 's1', mode: 'peer' });
    assert.equal(JSON.parse(encodeConnect({ login: 'r', node: 'n', sid: 's', mode: 'observer', cols: 1, rows: 1 })).mode,
      'observer');
  });
  it('encodes data (any UTF-8, control characters included) and resize', () => {
    assert.deepEqual(JSON.parse(encodeData('ls -l\r\u0003é')), { type: 'data', data: 'ls -l\r\u0003é' });
    assert.deepEqual(JSON.parse(encodeResize(120, 40)), { type: 'resize', cols: 120, rows: 40 });
    assert.deepEqual(JSON.parse(encodeResize(Number.NaN, 5000)), { type: 'resize', cols: 1, rows: 1000 });
  });
  it('decodes server text frames and ignores unknown ones', () => {
    assert.deepEqual(decodeServerMessage('{"type":"session","sid":"abc"}'), { type: 'session', sid: 'abc' });
    assert.deepEqual(decodeServerMessage('{"type":"error","message":"denied"}'), { type: 'error', message: 'denied' });
    assert.deepEqual(decodeServerMessage('{"type":"exit","code":3}'), { type: 'exit', code: 3 });
    assert.equal(decodeServerMessage('{"type":"ping"}'), null);
    assert.equal(decodeServerMessage('not json'), null);
    assert.equal(decodeServerMessage('{"type":"session"}'), null);
  });
  it('derives the socket URL from the page origin', () => {
    assert.equal(terminalSocketUrl({ protocol: 'https:', host: 'p:3080' }, 'my cluster'),
      'wss://p:3080/v1/webapi/sites/my%20cluster/connect/ws');
    assert.equal(terminalSocketUrl({ protocol: 'http:', host: 'h' }, 'c'), 'ws://h/v1/webapi/sites/c/connect/ws');
  });
});
