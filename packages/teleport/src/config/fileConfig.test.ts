/**
 * @module config/fileConfig.test
 * teleport.yaml parsing: the starter and full configs parse; every error names file, line and field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isErrorCode } from '@teleport-ts/api/errors';
import { parseFileConfig } from './fileConfig.ts';
import { starterConfig } from './configure.ts';

const FILE = 'teleport.yaml';
const fullText = readFileSync(new URL('./testdata/full.yaml', import.meta.url), 'utf8');

/** Asserts that parsing `text` fails with a message containing "teleport.yaml:<line>: <field>: " and `more`. */
function assertConfigError(text: string, line: number, field: string, more?: RegExp, code = 'bad_parameter'): void {
  assert.throws(() => parseFileConfig(text, FILE), (err: Error) => {
    assert.ok(isErrorCode(err, code as 'bad_parameter'), `wrong kind: ${err.name}: ${err.message}`);
    const prefix = field ? `${FILE}:${line}: ${field}: ` : `${FILE}:${line}: `;
    assert.ok(err.message.startsWith(prefix), `expected "${prefix}..." got: ${err.message}`);
    if (more) assert.match(err.message, more);
    return true;
  });
}

test('the starter config parses cleanly', () => {
  const cfg = parseFileConfig(starterConfig({ nodeName: 'host-1', clusterName: 'example.com' }), FILE);
  assert.equal(cfg.version, 'v3');
  assert.equal(cfg.teleport?.nodename, 'host-1');
  assert.equal(cfg.auth_service?.cluster_name, 'example.com');
  assert.equal(cfg.proxy_service?.public_addr?.[0], 'example.com:3080');
  assert.equal(cfg.proxy_service?.web_listen_addr, '0.0.0.0:3080');
  assert.equal(cfg.ssh_service?.commands?.[0]?.period, 60_000);
  assert.equal(cfg.auth_service?.enabled, true);
});

test('the starter config quotes odd values so they survive', () => {
  const cfg = parseFileConfig(starterConfig({ nodeName: 'yes', clusterName: 'c', dataDir: '/data dir/#x', publicAddr: '[::1]:3080' }), FILE);
  assert.equal(cfg.teleport?.nodename, 'yes');
  assert.equal(cfg.teleport?.data_dir, '/data dir/#x');
  assert.deepEqual(cfg.proxy_service?.public_addr, ['[::1]:3080']);
});

test('a config with every key parses and is normalised', () => {
  const cfg = parseFileConfig(fullText, 'full.yaml');
  const t = cfg.teleport;
  assert.equal(t?.auth_server, 'auth.example.com:3025');
  assert.equal(t?.ca_pin?.length, 1);
  assert.equal(t?.log?.severity, 'warn');
  assert.deepEqual(t?.log?.format, { output: 'json', extra_fields: ['timestamp', 'level', 'component', 'caller'] });
  assert.deepEqual(t?.storage, { type: 'sqlite', path: '/tmp/teleport-data/backend' });
  assert.equal(t?.diag_addr, '127.0.0.1:3000');
  const a = cfg.auth_service;
  assert.deepEqual(a?.public_addr, ['auth.example.com:3025', 'auth2.example.com:3025']);
  assert.equal(a?.authentication?.second_factor, 'optional');
  assert.equal(a?.authentication?.webauthn?.rp_id, 'example.com');
  assert.equal(a?.client_idle_timeout, 20 * 60_000);
  assert.equal(a?.disconnect_expired_cert, true);
  assert.equal(a?.signature_algorithm_suite, 'legacy');
  const p = cfg.proxy_service;
  assert.equal(p?.enabled, true);
  assert.equal(p?.listen_addr, '0.0.0.0:3023');
  assert.equal(p?.tunnel_listen_addr, '[::]:3024');
  assert.deepEqual(p?.public_addr, ['teleport.example.com:443']);
  assert.deepEqual(p?.ssh_public_addr, ['ssh.example.com:3023']);
  assert.equal(p?.postgres_listen_addr, '0.0.0.0:5432');
  assert.deepEqual(p?.https_keypairs, [{ key_file: '/etc/teleport/key.pem', cert_file: '/etc/teleport/cert.pem' }]);
  const s = cfg.ssh_service;
  assert.equal(s?.enabled, true);
  assert.deepEqual(s?.labels, { env: 'prod', team: '42' });
  assert.deepEqual(s?.commands?.[0], { name: 'arch', command: ['uname', '-m'], period: 90 * 60_000 });
  assert.equal(s?.commands?.[1]?.period, undefined);
  assert.equal(cfg.db_service?.databases?.[1]?.uri, '[::1]:3306');
  assert.equal(cfg.app_service?.apps?.[0]?.rewrite?.headers?.[0], 'X-Team: ops');
  assert.equal(cfg.kubernetes_service?.enabled, false);
  assert.equal(cfg.kubernetes_service?.listen_addr, '0.0.0.0:3027');
});

test('an empty section is accepted', () => {
  const cfg = parseFileConfig('version: v3\nauth_service:\nteleport:\n  nodename: x\n', FILE);
  assert.equal(cfg.auth_service, undefined);
});

test('missing version suggests version: v3', () => {
  assertConfigError('teleport:\n  nodename: a\n', 1, 'version', /add "version: v3"/);
});

test('an old version is rejected with a pointer to v3', () => {
  assertConfigError('version: v2\nteleport:\n  nodename: a\n', 1, 'version', /"v2" is not supported.*version: v3/);
});

test('an unknown key is named with its line and a did-you-mean', () => {
  const text = 'version: v3\nproxy_service:\n  enabled: yes\n  web_listen_adr:\n    - 1\n';
  assertConfigError(text, 4, 'proxy_service.web_listen_adr', /unknown key: did you mean "web_listen_addr"\?/);
});

test('an unknown key with no near match lists the valid keys', () => {
  assertConfigError('version: v3\nteleport:\n  flavour: vanilla\n', 3, 'teleport.flavour', /valid keys here are nodename, data_dir/);
});

test('an unknown top-level section is rejected', () => {
  assertConfigError('version: v3\nwindows_desktop_service:\n  enabled: yes\n', 2, 'windows_desktop_service', /unknown key/);
});

test('a v1 key gets a did-you-mean towards the v3 spelling', () => {
  assertConfigError('version: v3\nteleport:\n  auth_servers: [a:3025]\n', 3, 'teleport.auth_servers', /did you mean "auth_server"/);
});

test('a wrong type names the expected type', () => {
  assertConfigError('version: v3\nteleport:\n  nodename: [a, b]\n', 3, 'teleport.nodename', /expected a host name, got a list/);
  assertConfigError('version: v3\nssh_service:\n  labels: [a]\n', 3, 'ssh_service.labels', /expected a map of labels/);
  assertConfigError('version: v3\nssh_service:\n  commands:\n    - name: x\n      command: uname\n', 5,
    'ssh_service.commands[0].command', /expected a list like \[uname, -p\]/);
});

test('a bad enabled flag is rejected', () => {
  assertConfigError('version: v3\nauth_service:\n  enabled: maybe\n', 3, 'auth_service.enabled', /expected yes\/no or true\/false/);
});

test('a bad enum value lists the allowed values', () => {
  assertConfigError('version: v3\nauth_service:\n  authentication:\n    second_factor: sms\n', 4,
    'auth_service.authentication.second_factor', /"sms" is not valid: use one of "off", "otp"/);
});

test('bad addresses are rejected', () => {
  assertConfigError('version: v3\nproxy_service:\n  web_listen_addr: 0.0.0.0:99999\n', 3, 'proxy_service.web_listen_addr', /port must be a number/);
  assertConfigError('version: v3\nteleport:\n  auth_server: "bad host:3025"\n', 3, 'teleport.auth_server', /not a valid host name/);
  assertConfigError('version: v3\nteleport:\n  proxy_server: https://example.com:443\n', 3, 'teleport.proxy_server', /without a scheme/);
  assertConfigError('version: v3\ndb_service:\n  databases:\n    - name: a\n      protocol: postgres\n      uri: localhost\n', 6,
    'db_service.databases[0].uri', /has no port/);
});

test('bad durations are rejected', () => {
  assertConfigError('version: v3\nssh_service:\n  commands:\n    - name: a\n      command: [date]\n      period: 5 minutes\n', 6,
    'ssh_service.commands[0].period', /invalid duration "5 minutes"/);
  assertConfigError('version: v3\nauth_service:\n  client_idle_timeout: forever\n', 3, 'auth_service.client_idle_timeout', /invalid duration/);
});

test('a missing required field is reported on its parent', () => {
  assertConfigError('version: v3\napp_service:\n  apps:\n    - name: a\n', 4, 'app_service.apps[0].uri', /is required/);
});

test('a bad CA pin is rejected', () => {
  assertConfigError('version: v3\nteleport:\n  ca_pin: sha256:abc\n', 3, 'teleport.ca_pin', /not a CA pin/);
});

test('malformed YAML names file, line and column', () => {
  assert.throws(() => parseFileConfig('version: v3\nteleport:\n  nodename: [a\n', FILE), /^BadParameterError: teleport\.yaml:\d+:\d+: invalid YAML/);
  assert.throws(() => parseFileConfig('version: v3\nteleport:\n  nodename: a\n  nodename: b\n', FILE), /teleport\.yaml:4:\d+: invalid YAML/);
});

test('empty files and multi-document files are rejected', () => {
  assert.throws(() => parseFileConfig('', FILE), /teleport\.yaml: the file is empty/);
  assert.throws(() => parseFileConfig('version: v3\n---\nversion: v3\n', FILE), /teleport\.yaml: expected one YAML document/);
  assertConfigError('- a\n- b\n', 1, '', /expected a map of settings/);
});

test('postgresql storage is recognised but not implemented', () => {
  assertConfigError('version: v3\nteleport:\n  storage:\n    type: postgresql\n    conn_string: postgres://x\n', 4, 'teleport.storage.type',
    /not implemented yet/, 'not_implemented');
});

test('conflicting keys are rejected', () => {
  assertConfigError('version: v3\nteleport:\n  auth_server: a:3025\n  proxy_server: p:3080\n', 4, 'teleport.proxy_server', /either auth_server or proxy_server/);
  assertConfigError('version: v3\napp_service:\n  apps:\n    - {name: a, uri: "http://x"}\n    - {name: a, uri: "http://y"}\n', 5,
    'app_service.apps[1].name', /listed twice/);
});

test('db_service: password_file / password_env (beyond upstream) and resources selectors', () => {
  const db = (extra: string): string =>
    `version: v3\ndb_service:\n  databases:\n    - name: a\n      protocol: postgres\n      uri: localhost:5432\n${extra}`;
  const cfg = parseFileConfig(db('      password_file: /etc/teleport/pg-pass\n') + '  resources:\n    - labels: {env: dev}\n', FILE);
  assert.equal(cfg.db_service?.databases?.[0]?.password_file, '/etc/teleport/pg-pass');
  assert.deepEqual(cfg.db_service?.resources, [{ labels: { env: 'dev' } }]);
  assert.equal(parseFileConfig(db('      password_env: PG_PASS\n'), FILE).db_service?.databases?.[0]?.password_env, 'PG_PASS');
  assertConfigError(db('      password_file: pg-pass\n'), 7, 'db_service.databases[0].password_file', /not an absolute path/);
  assertConfigError(db('      password_env: PG-PASS\n'), 7, 'db_service.databases[0].password_env', /not an environment variable name/);
  assertConfigError(db('      password_file: /p\n      password_env: P\n'), 8, 'db_service.databases[0].password_env', /either password_file or password_env, not both/);
});
