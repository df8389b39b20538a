/**
 * @module proxy/ssh/target.test
 * Parsing of the proxy subsystem name in the forms tsh and OpenSSH ProxyCommands send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '@teleport-ts/api/errors';
import { isProxySubsystem, parseProxySubsystem } from './target.ts';

test('proxy:<host>:<port>@<cluster> and its shorter forms', () => {
  assert.deepEqual(parseProxySubsystem('proxy:node1:22@example.com'), { host: 'node1', port: 22, cluster: 'example.com' });
  assert.deepEqual(parseProxySubsystem('proxy:node1:3022'), { host: 'node1', port: 3022 });
  assert.deepEqual(parseProxySubsystem('proxy:node1'), { host: 'node1', port: 0 });
  assert.deepEqual(parseProxySubsystem('proxy:node1:@example.com'), { host: 'node1', port: 0, cluster: 'example.com' });
  assert.deepEqual(parseProxySubsystem('proxy:[::1]:22@c'), { host: '::1', port: 22, cluster: 'c' });
  assert.deepEqual(parseProxySubsystem('proxy:5d3c1c2e-0000-4000-8000-00000000a001.example.com:0@example.com'), {
    host: '5d3c1c2e-0000-4000-8000-00000000a001.example.com', port: 0, cluster: 'example.com',
  });
});

test('malformed names are refused with the expected form', () => {
  assert.ok(isProxySubsystem('proxy:x') && !isProxySubsystem('sftp'));
  for (const bad of ['proxy:@example.com', 'proxy:', 'proxy:a:b:c', 'proxy:h:99999', 'proxy:h:x', 'sftp']) {
    assert.throws(() => parseProxySubsystem(bad), BadParameterError, bad);
  }
  assert.throws(() => parseProxySubsystem('proxy:@example.com'), /names no host/);
});
