/**
 * @module client/ssh/target.test
 * Destination, label selector, scp operand and forwarding spec parsing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '@teleport-ts/api/errors';
import { labelsMatch, parseDestination, parseLabelSelector, parseSCPPath, parseSSHTarget, stripClusterSuffix, joinHostPort } from './target.ts';
import { parseDynamicForward, parseLocalForward, parseRemoteForward } from './forwardSpec.ts';

describe('parseSSHTarget', () => {
  it('reads [user@]host[:port], IPv6 in brackets', () => {
    assert.deepEqual(parseSSHTarget('node1'), { host: 'node1' });
    assert.deepEqual(parseSSHTarget('root@node1'), { login: 'root', host: 'node1' });
    assert.deepEqual(parseSSHTarget('root@node1:3022'), { login: 'root', host: 'node1', port: 3022 });
    assert.deepEqual(parseSSHTarget('alice@example.com@node1'), { login: 'alice@example.com', host: 'node1' });
    assert.deepEqual(parseSSHTarget('[::1]:22'), { host: '::1', port: 22 });
    assert.deepEqual(parseSSHTarget('u@::1'), { login: 'u', host: '::1' });
    assert.deepEqual(parseSSHTarget('5d3c1c2e-0000-4000-8000-00000000a001'), { host: '5d3c1c2e-0000-4000-8000-00000000a001' });
  });
  it('refuses empty logins, hosts and bad ports', () => {
    for (const bad of ['@node1', 'root@', 'node1:0', 'node1:70000', 'node1:x', 'a/b']) {
      assert.throws(() => parseSSHTarget(bad), BadParameterError, bad);
    }
  });
  it('formats host:port with brackets for IPv6', () => {
    assert.equal(joinHostPort('::1', 22), '[::1]:22');
    assert.equal(joinHostPort('node1', 3022), 'node1:3022');
  });
});

describe('label selectors', () => {
  it('parses key=value lists and tells hosts apart', () => {
    assert.equal(parseLabelSelector('node1'), undefined);
    assert.deepEqual(parseLabelSelector('env=prod'), { env: 'prod' });
    assert.deepEqual(parseLabelSelector('env=prod, os=linux'), { env: 'prod', os: 'linux' });
    assert.deepEqual(parseLabelSelector('k='), { k: '' });
    assert.throws(() => parseLabelSelector('=x'), BadParameterError);
  });
  it('reads destinations: a host, or labels with an optional login', () => {
    assert.deepEqual(parseDestination('root@node1:22'), { kind: 'host', target: { login: 'root', host: 'node1', port: 22 } });
    assert.deepEqual(parseDestination('env=prod,os=linux'), { kind: 'labels', labels: { env: 'prod', os: 'linux' } });
    assert.deepEqual(parseDestination('root@env=prod'), { kind: 'labels', login: 'root', labels: { env: 'prod' } });
    assert.deepEqual(parseDestination('owner=a@b.c'), { kind: 'labels', labels: { owner: 'a@b.c' } });
    assert.throws(() => parseDestination('@env=prod'), /empty login/);
  });
  it('matches when every selector label is equal', () => {
    assert.equal(labelsMatch({ env: 'prod', os: 'linux' }, { env: 'prod' }), true);
    assert.equal(labelsMatch({ env: 'prod' }, { env: 'prod', os: 'linux' }), false);
    assert.equal(labelsMatch({ env: 'staging' }, { env: 'prod' }), false);
  });
});

describe('parseSCPPath', () => {
  it('reads remote operands like OpenSSH', () => {
    assert.deepEqual(parseSCPPath('node1:/tmp/x'), { kind: 'remote', host: 'node1', path: '/tmp/x' });
    assert.deepEqual(parseSCPPath('root@node1:'), { kind: 'remote', login: 'root', host: 'node1', path: '' });
    assert.deepEqual(parseSCPPath('root@[::1]:f'), { kind: 'remote', login: 'root', host: '::1', path: 'f' });
    assert.deepEqual(parseSCPPath('node1:a:b'), { kind: 'remote', host: 'node1', path: 'a:b' });
  });
  it('treats paths with a slash before the colon, or none, as local', () => {
    for (const p of ['file.txt', './a:b', '/abs/a:b', 'dir/a:b', '../x:y']) assert.deepEqual(parseSCPPath(p), { kind: 'local', path: p }, p);
  });
});

describe('stripClusterSuffix', () => {
  it('removes ".<cluster>" only as a suffix of a longer name', () => {
    assert.equal(stripClusterSuffix('node1.example.com', 'example.com'), 'node1');
    assert.equal(stripClusterSuffix('example.com', 'example.com'), 'example.com');
    assert.equal(stripClusterSuffix('node1', 'example.com'), 'node1');
    assert.equal(stripClusterSuffix('node1.other.com', 'example.com'), 'node1.other.com');
  });
});

describe('forwarding specs', () => {
  it('parses -L and -R with optional bind addresses', () => {
    assert.deepEqual(parseLocalForward('8080:localhost:80'), { bindAddr: '127.0.0.1', bindPort: 8080, host: 'localhost', port: 80 });
    assert.deepEqual(parseLocalForward('0.0.0.0:8080:db:5432'), { bindAddr: '0.0.0.0', bindPort: 8080, host: 'db', port: 5432 });
    assert.deepEqual(parseLocalForward('*:8080:db:5432'), { bindAddr: '', bindPort: 8080, host: 'db', port: 5432 });
    assert.deepEqual(parseLocalForward('[::1]:8080:[fe80::1]:22'), { bindAddr: '::1', bindPort: 8080, host: 'fe80::1', port: 22 });
    assert.deepEqual(parseRemoteForward('0:localhost:3000'), { bindAddr: '127.0.0.1', bindPort: 0, host: 'localhost', port: 3000 });
  });
  it('parses -D', () => {
    assert.deepEqual(parseDynamicForward('1080'), { bindAddr: '127.0.0.1', bindPort: 1080 });
    assert.deepEqual(parseDynamicForward('0.0.0.0:1080'), { bindAddr: '0.0.0.0', bindPort: 1080 });
  });
  it('refuses malformed specs with the flag in the message', () => {
    assert.throws(() => parseLocalForward('8080'), /invalid -L 8080: expected \[bind_address:\]port:host:hostport/);
    assert.throws(() => parseLocalForward('0:h:80'), /port in -L/);
    assert.throws(() => parseLocalForward('8080::80'), /invalid -L/);
    assert.throws(() => parseRemoteForward('a:b:c:d:e'), /invalid -R/);
    assert.throws(() => parseDynamicForward('a:b:c'), /invalid -D/);
    assert.throws(() => parseDynamicForward('x'), /port in -D x/);
    assert.throws(() => parseLocalForward('[::1:8080:h:80'), /unbalanced/);
  });
});
