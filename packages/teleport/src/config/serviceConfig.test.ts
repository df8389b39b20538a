/**
 * @module config/serviceConfig.test
 * Defaults, file application, flags and loading of the runtime configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNotFound } from '@teleport-ts/api/errors';
import { parseFileConfig } from './fileConfig.ts';
import { starterConfig } from './configure.ts';
import {
  applyFileConfig, applyFlags, defaultServiceConfig, finalizeConfig, keyAlgorithmsForSuite, loadConfig, parseLabelsFlag,
} from './serviceConfig.ts';

const host = (): string => 'test-host';
const full = parseFileConfig(readFileSync(new URL('./testdata/full.yaml', import.meta.url), 'utf8'), 'full.yaml');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'teleport-config-'));
}

test('defaults: auth, proxy and ssh on, upstream ports, sqlite in the data dir', () => {
  const cfg = finalizeConfig(defaultServiceConfig(), { hostname: host });
  assert.equal(cfg.nodeName, 'test-host');
  assert.equal(cfg.auth.clusterName, 'test-host');
  assert.deepEqual([cfg.auth.enabled, cfg.proxy.enabled, cfg.ssh.enabled, cfg.db.enabled, cfg.app.enabled, cfg.kube.enabled],
    [true, true, true, false, false, false]);
  assert.equal(cfg.proxy.webListenAddr, '0.0.0.0:3080');
  assert.equal(cfg.proxy.sshListenAddr, '0.0.0.0:3023');
  assert.equal(cfg.proxy.tunnelListenAddr, '0.0.0.0:3024');
  assert.equal(cfg.auth.listenAddr, '0.0.0.0:3025');
  assert.equal(cfg.ssh.listenAddr, '0.0.0.0:3022');
  assert.equal(cfg.dataDir, '/var/lib/teleport');
  assert.deepEqual(cfg.storage, { type: 'sqlite', path: '/var/lib/teleport/backend/sqlite.db' });
  assert.deepEqual(cfg.authServers, ['127.0.0.1:3025']);
  assert.equal(cfg.log.severity, 'info');
});

test('applyFileConfig maps every key', () => {
  const cfg = applyFileConfig(defaultServiceConfig(), full);
  assert.equal(cfg.nodeName, 'node-1');
  assert.deepEqual(cfg.authServers, ['auth.example.com:3025']);
  assert.equal(cfg.joinToken, '/etc/teleport/token');
  assert.deepEqual(cfg.log, { output: 'stdout', severity: 'warn', format: 'json' });
  assert.deepEqual(cfg.storage, { type: 'sqlite', path: '/tmp/teleport-data/backend/sqlite.db' });
  assert.equal(cfg.auth.clusterName, 'example.com');
  assert.equal(cfg.auth.authentication.webauthn?.rpId, 'example.com');
  assert.equal(cfg.auth.proxyListenerMode, 'multiplex');
  assert.deepEqual(keyAlgorithmsForSuite(cfg.auth.signatureAlgorithmSuite), { ssh: 'rsa-2048', tls: 'rsa-2048' });
  assert.equal(cfg.proxy.webListenAddr, '0.0.0.0:443');
  assert.deepEqual(cfg.proxy.httpsKeyPairs, [{ keyFile: '/etc/teleport/key.pem', certFile: '/etc/teleport/cert.pem' }]);
  assert.equal(cfg.proxy.mysqlListenAddr, '0.0.0.0:3036');
  assert.deepEqual(cfg.ssh.commands[1], { name: 'load', command: ['cat', '/proc/loadavg'], periodMs: 3_600_000 });
  assert.equal(cfg.db.enabled, true);
  assert.deepEqual(cfg.db.databases[0]?.tls, { mode: 'verify-ca', caCertFile: '/etc/db-ca.pem', serverName: 'db.internal' });
  assert.equal(cfg.db.databases[1]?.tls.mode, 'verify-full');
  assert.deepEqual(cfg.app.apps[0]?.rewrite.headers, [{ name: 'X-Team', value: 'ops' }, { name: 'X-Empty', value: '' }]);
  assert.equal(cfg.kube.enabled, false);
  assert.equal(cfg.kube.kubeClusterName, 'kind');
});

test('a node-only file disables auth and proxy explicitly', () => {
  const fc = parseFileConfig('version: v3\nteleport:\n  proxy_server: proxy.example.com\n  auth_token: abc\n'
    + 'auth_service:\n  enabled: no\nproxy_service:\n  enabled: "no"\n', 'node.yaml');
  const cfg = finalizeConfig(applyFileConfig(defaultServiceConfig(), fc), { hostname: host });
  assert.equal(cfg.auth.enabled, false);
  assert.equal(cfg.proxy.enabled, false);
  assert.equal(cfg.ssh.enabled, true);
  assert.equal(cfg.proxyServer, 'proxy.example.com:3080');
  assert.deepEqual(cfg.authServers, []);
});

test('memory storage has no path', () => {
  const fc = parseFileConfig('version: v3\nteleport:\n  storage:\n    type: memory\n', 'f.yaml');
  assert.deepEqual(finalizeConfig(applyFileConfig(defaultServiceConfig(), fc), { hostname: host }).storage, { type: 'memory', path: '' });
});

test('--roles enables exactly the listed services', () => {
  const cfg = applyFlags(defaultServiceConfig(), { roles: 'node, db' });
  assert.deepEqual([cfg.auth.enabled, cfg.proxy.enabled, cfg.ssh.enabled, cfg.db.enabled, cfg.app.enabled, cfg.kube.enabled],
    [false, false, true, true, false, false]);
});

test('--roles rejects unknown role names', () => {
  assert.throws(() => applyFlags(defaultServiceConfig(), { roles: 'auth,ssh' }), /--roles: unknown role "ssh": use a comma-separated list of auth, proxy, node/);
  assert.throws(() => applyFlags(defaultServiceConfig(), { roles: ' , ' }), /--roles is empty/);
});

test('flags override the file', () => {
  const fromFile = applyFileConfig(defaultServiceConfig(), full);
  const cfg = applyFlags(fromFile, {
    dataDir: '/srv/tp', nodeName: 'n2', authServer: 'a1,a2:4025', token: 'tok', diagAddr: ':3001', insecure: true,
    caPin: 'sha256:' + 'ab'.repeat(32), labels: 'env=staging,x=y',
  });
  assert.equal(cfg.dataDir, '/srv/tp');
  assert.equal(cfg.nodeName, 'n2');
  assert.deepEqual(cfg.authServers, ['a1:3025', 'a2:4025']);
  assert.equal(cfg.joinToken, 'tok');
  assert.equal(cfg.diagAddr, '127.0.0.1:3001');
  assert.equal(cfg.insecure, true);
  assert.deepEqual(cfg.caPins, ['sha256:' + 'ab'.repeat(32)]);
  assert.deepEqual(cfg.ssh.labels, { env: 'staging', team: '42', x: 'y' });
  assert.equal(fromFile.dataDir, '/tmp/teleport-data', 'applyFlags must not modify its input');
});

test('bad flag values are clear errors', () => {
  assert.throws(() => applyFlags(defaultServiceConfig(), { authServer: 'host:abc' }), /^BadParameterError: --auth-server: invalid address "host:abc"/);
  assert.throws(() => applyFlags(defaultServiceConfig(), { caPin: 'md5:xx' }), /--ca-pin: "md5:xx" is not a CA pin/);
  assert.throws(() => applyFlags(defaultServiceConfig(), { labels: 'novalue' }), /--labels: "novalue" is not a label/);
  assert.throws(() => applyFlags(defaultServiceConfig(), { labels: 'a=[soon:date]' }), /--labels: a: invalid label period/);
});

test('--labels parses command labels with commas inside brackets', () => {
  assert.deepEqual(parseLabelsFlag('env=prod,arch=[1h:/bin/uname -m],csv=[30s:echo a,b]'), {
    labels: { env: 'prod' },
    commands: [
      { name: 'arch', command: ['/bin/uname', '-m'], periodMs: 3_600_000 },
      { name: 'csv', command: ['echo', 'a,b'], periodMs: 30_000 },
    ],
  });
});

test('finalize: relative storage paths live in the data dir; no services is an error', () => {
  const cfg = finalizeConfig(applyFlags(defaultServiceConfig(), { dataDir: '/d' }), { hostname: host });
  assert.equal(cfg.storage.path, '/d/backend/sqlite.db');
  const none = defaultServiceConfig();
  none.auth.enabled = none.proxy.enabled = none.ssh.enabled = false;
  assert.throws(() => finalizeConfig(none, { hostname: host }), /no services are enabled/);
});

test('finalize: agents must know where to join', () => {
  assert.throws(() => finalizeConfig(applyFlags(defaultServiceConfig(), { roles: 'node' }), { hostname: host }), /does not know which cluster to join/);
  assert.throws(() => finalizeConfig(applyFlags(defaultServiceConfig(), { roles: 'proxy' }), { hostname: host }), /the proxy needs an auth server/);
  const ok = finalizeConfig(applyFlags(defaultServiceConfig(), { roles: 'node', authServer: 'auth.local' }), { hostname: host });
  assert.deepEqual(ok.authServers, ['auth.local:3025']);
});

test('loadConfig without any file enables auth, proxy and ssh', async () => {
  const cfg = await loadConfig({ defaultConfigPath: join(tmp(), 'missing.yaml'), hostname: host });
  assert.equal(cfg.configPath, undefined);
  assert.ok(cfg.auth.enabled && cfg.proxy.enabled && cfg.ssh.enabled);
});

test('loadConfig reads the default path only when it exists', async () => {
  const dir = tmp();
  const path = join(dir, 'teleport.yaml');
  writeFileSync(path, starterConfig({ nodeName: 'from-file', dataDir: dir }));
  const cfg = await loadConfig({ defaultConfigPath: path, flags: { roles: 'auth' }, hostname: host });
  assert.equal(cfg.nodeName, 'from-file');
  assert.equal(cfg.configPath, path);
  assert.equal(cfg.storage.path, join(dir, 'backend/sqlite.db'));
  assert.equal(cfg.proxy.enabled, false);
});

test('loadConfig: an explicit -c path that does not exist is an error', async () => {
  const missing = join(tmp(), 'nope.yaml');
  await assert.rejects(loadConfig({ configPath: missing }), (err: Error) => isNotFound(err) && err.message.includes(missing));
});

test('loadConfig reads a join token from an absolute path, and reports parse errors with the path', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'token'), 'secret-token\n');
  const path = join(dir, 'node.yaml');
  writeFileSync(path, `version: v3\nteleport:\n  auth_token: ${join(dir, 'token')}\n  auth_server: a:3025\nauth_service: {enabled: no}\nproxy_service: {enabled: no}\n`);
  const cfg = await loadConfig({ configPath: path, hostname: host });
  assert.equal(cfg.joinToken, 'secret-token');
  writeFileSync(path, 'version: v3\nteleport:\n  nodname: x\n');
  await assert.rejects(loadConfig({ configPath: path }), new RegExp(`${path}:3: teleport.nodname: unknown key: did you mean "nodename"`));
  await assert.rejects(loadConfig({ configPath: path.replace('node.yaml', 'x.yaml') }), /does not exist/);
  await assert.rejects(loadConfig({ flags: { token: join(dir, 'missing-token') }, defaultConfigPath: join(dir, 'none') }), /could not read the join token/);
});
