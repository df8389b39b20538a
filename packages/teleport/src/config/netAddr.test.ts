/**
 * @module config/netAddr.test
 * host:port parsing as teleport.yaml and the CLI accept it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeAddr, parseHostPort } from './netAddr.ts';
import { suggestKey } from './validators.ts';

test('addresses: default port, default host, IPv6 and tcp:// prefix', () => {
  const d = { defaultPort: 3080, defaultHost: '0.0.0.0' };
  assert.equal(normalizeAddr('example.com', d), 'example.com:3080');
  assert.equal(normalizeAddr('example.com:443', d), 'example.com:443');
  assert.equal(normalizeAddr(':3023', d), '0.0.0.0:3023');
  assert.equal(normalizeAddr('tcp://10.0.0.1:3025', d), '10.0.0.1:3025');
  assert.equal(normalizeAddr('[::1]:3025', d), '[::1]:3025');
  assert.equal(normalizeAddr('[::]', d), '[::]:3080');
  assert.equal(normalizeAddr('::1', d), '[::1]:3080');
  assert.deepEqual(parseHostPort('127.0.0.1:0', d), { host: '127.0.0.1', port: 0 });
});

test('addresses: clear errors for bad input', () => {
  const d = { defaultPort: 3080 };
  assert.throws(() => parseHostPort('', d), /address is empty/);
  assert.throws(() => parseHostPort(':3080', d), /the host is missing/);
  assert.throws(() => parseHostPort('host:70000', d), /port must be a number/);
  assert.throws(() => parseHostPort('host:', d), /port must be a number/);
  assert.throws(() => parseHostPort('https://host', d), /without a scheme/);
  assert.throws(() => parseHostPort('ho st:1', d), /not a valid host name/);
  assert.throws(() => parseHostPort('[::1:3025', d), /missing "]"/);
  assert.throws(() => parseHostPort('[nope]:1', d), /not an IPv6 address/);
});

test('did-you-mean only suggests close keys', () => {
  const keys = ['web_listen_addr', 'listen_addr', 'public_addr', 'enabled'];
  assert.equal(suggestKey('web_listen_adr', keys), 'web_listen_addr');
  assert.equal(suggestKey('Enabled', keys), 'enabled');
  assert.equal(suggestKey('enable', keys), 'enabled');
  assert.equal(suggestKey('flavour', keys), undefined);
});
