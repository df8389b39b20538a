/**
 * Table-driven tests for resource validation: every rule with its exact message, located by
 * file:line through parseResources, plus the defaults validation fills in.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources } from './parse.ts';
import { validateResource, newRole, newUser, newProvisionToken, newAuthPreference, newSessionRecordingConfig, newClusterName } from './validation.ts';
import { BadParameterError } from '../errors.ts';
import type { Role } from './role.ts';

/** Lines joined with newlines, so a case's line numbers are its array indexes + 1. */
const y = (...lines: string[]): string => `${lines.join('\n')}\n`;
const role = (...specLines: string[]): string =>
  y('kind: role', 'version: v7', 'metadata:', '  name: dev', 'spec:', ...specLines);

const errorCases: Array<{ name: string; file: string; want: string }> = [
  // role conditions
  { name: 'logins not a list', file: role('  allow:', '    logins: 5'),
    want: 'role.yaml:7: spec.allow.logins: expected a list of strings, got a number' },
  { name: 'login item not a string', file: role('  allow:', '    logins:', '    - root', '    - {a: 1}'),
    want: 'role.yaml:9: spec.allow.logins[1]: expected a string, got a map' },
  { name: 'empty login', file: role('  allow:', "    logins: ['']"),
    want: 'role.yaml:7: spec.allow.logins[0]: must not be empty' },
  { name: 'unknown condition field with hint', file: role('  allow:', '    login: [root]'),
    want: 'role.yaml:7: spec.allow.login: unknown field; did you mean "logins"?' },
  { name: 'labels value a number', file: role('  deny:', '    node_labels:', '      env: 1'),
    want: 'role.yaml:8: spec.deny.node_labels.env: expected a string or a list of strings, got a number' },
  { name: 'labels list item a bool', file: role('  allow:', '    db_labels:', '      env: [prod, true]'),
    want: 'role.yaml:8: spec.allow.db_labels.env[1]: expected a string, got a boolean' },
  { name: 'wildcard key with other value', file: role('  allow:', '    app_labels:', "      '*': prod"),
    want: "role.yaml:8: spec.allow.app_labels.*: the wildcard label name '*' only accepts the value '*' (matching every resource)" },
  { name: 'invalid regex label', file: role('  allow:', '    node_labels:', "      env: '^(prod$'"),
    want: 'role.yaml:8: spec.allow.node_labels.env: invalid regular expression "^(prod$": Invalid regular expression: /^(prod$/u: Unterminated group' },
  { name: 'selector not a map', file: role('  allow:', '    node_labels: [env]'),
    want: 'role.yaml:7: spec.allow.node_labels: expected a map, got a list' },
  { name: 'bad template namespace', file: role('  allow:', "    logins: ['{{foo.bar}}']"),
    want: 'role.yaml:7: spec.allow.logins[0]: invalid template "{{foo.bar}}": unknown function or namespace "foo.bar"; use internal.<trait>, external.<trait> or email.local, regexp.replace, strings.upper, strings.lower' },
  { name: 'unclosed template', file: role('  allow:', "    db_users: ['{{internal.db_users']"),
    want: 'role.yaml:7: spec.allow.db_users[0]: invalid template "{{internal.db_users": "{{" without a closing "}}"' },
  { name: 'unknown internal trait', file: role('  allow:', "    logins: ['{{internal.login}}']"),
    want: 'role.yaml:7: spec.allow.logins[0]: invalid template "{{internal.login}}": unsupported variable internal.login; internal traits are logins, windows_logins, kubernetes_groups, kubernetes_users, db_names, db_users, db_roles, aws_role_arns, azure_identities, gcp_service_accounts, jwt' },
  { name: 'rule verb unknown', file: role('  allow:', '    rules:', '    - resources: [role]', '      verbs: [list, frob]'),
    want: 'role.yaml:9: spec.allow.rules[0].verbs[1]: unknown verb "frob"; known verbs: list, read, readnosecrets, create, update, delete, use, *, rotate, impersonate, create_enroll_token, enroll' },
  { name: 'rule without resources', file: role('  allow:', '    rules:', '    - verbs: [list]'),
    want: 'role.yaml:8: spec.allow.rules[0].resources: list at least one resource kind (or "*")' },
  { name: 'rule without verbs', file: role('  allow:', '    rules:', '    - resources: [user]', '      verbs: []'),
    want: 'role.yaml:9: spec.allow.rules[0].verbs: list at least one verb (or "*")' },
  { name: 'rule where malformed', file: role('  allow:', '    rules:', '    - resources: [session]', '      verbs: [read]', '      where: contains(session.participants'),
    want: 'role.yaml:10: spec.allow.rules[0].where: invalid where clause "contains(session.participants": expected ")", got end of expression' },
  { name: 'rules not a list', file: role('  allow:', '    rules: {resources: [a]}'),
    want: 'role.yaml:7: spec.allow.rules: expected a list of rules, got a map' },
  // role options
  { name: 'ttl below minimum', file: role('  options:', '    max_session_ttl: 30s'),
    want: 'role.yaml:7: spec.options.max_session_ttl: must be at least 1m, got 30s' },
  { name: 'ttl unparseable', file: role('  options:', '    max_session_ttl: forever'),
    want: 'role.yaml:7: spec.options.max_session_ttl: invalid duration "forever": use a number with a unit, like 30m, 12h or 1h30m' },
  { name: 'ttl a number', file: role('  options:', '    max_session_ttl: 3600'),
    want: 'role.yaml:7: spec.options.max_session_ttl: expected a duration like "30m" or "12h", got a number' },
  { name: 'forward_agent not a bool', file: role('  options:', '    forward_agent: "yes"'),
    want: 'role.yaml:7: spec.options.forward_agent: expected true or false, got a string' },
  { name: 'record_session value', file: role('  options:', '    record_session:', '      default: always'),
    want: 'role.yaml:8: spec.options.record_session.default: expected one of "best_effort", "strict", got "always"' },
  { name: 'unknown option', file: role('  options:', '    max_session_tt: 1h'),
    want: 'role.yaml:7: spec.options.max_session_tt: unknown field; did you mean "max_session_ttl"?' },
  { name: 'max_connections negative', file: role('  options:', '    max_connections: -1'),
    want: 'role.yaml:7: spec.options.max_connections: expected a non-negative integer, got -1' },
  { name: 'spec unknown key', file: role('  allows: {}'),
    want: 'role.yaml:6: spec.allows: unknown field; did you mean "allow"?' },
  // envelope and metadata
  { name: 'unsupported role version', file: y('kind: role', 'version: v3', 'metadata: {name: a}'),
    want: 'role.yaml:2: version: role supports version v7, v6, v5, got "v3"' },
  { name: 'unknown top-level key', file: y('kind: user', 'metadata: {name: a}', 'spec: {roles: [a]}', 'status: ok'),
    want: 'role.yaml:4: status: unknown field; known fields: kind, sub_kind, version, metadata, spec' },
  { name: 'missing name', file: y('kind: user', 'metadata:', '  labels: {a: b}'),
    want: 'role.yaml:3: metadata: name is required' },
  { name: 'name with slash', file: y('kind: user', 'metadata:', '  name: a/b'),
    want: 'role.yaml:3: metadata.name: must not contain "/"' },
  { name: 'metadata label not a string', file: y('kind: user', 'metadata:', '  name: a', '  labels:', '    env: 3'),
    want: 'role.yaml:5: metadata.labels.env: expected a string, got a number' },
  { name: 'expires not RFC 3339', file: y('kind: user', 'metadata:', '  name: a', '  expires: tomorrow'),
    want: 'role.yaml:4: metadata.expires: expected an RFC 3339 time like "2026-01-02T15:04:05Z", got "tomorrow"' },
  { name: 'missing kind', file: y('metadata: {name: a}'),
    want: 'role.yaml:1: kind is required (e.g. kind: role)' },
  { name: 'unsupported kind', file: y('kind: widget', 'metadata: {name: a}'),
    want: 'role.yaml:1: kind: unsupported kind "widget"; supported kinds: role, user, token, cert_authority, cluster_name, cluster_auth_preference, session_recording_config, user_token, node, session_tracker, proxy, db, db_server' },
  { name: 'document not a map', file: y('- a', '- b'),
    want: 'role.yaml:1: expected a resource (a map with kind, version, metadata and spec), got a string' },
  // user
  { name: 'user role not a string', file: y('kind: user', 'metadata: {name: bob}', 'spec:', '  roles: [access, 7]'),
    want: 'role.yaml:4: spec.roles[1]: expected a string, got a number' },
  { name: 'user duplicate role', file: y('kind: user', 'metadata: {name: bob}', 'spec:', '  roles: [a, a]'),
    want: 'role.yaml:4: spec.roles: lists a role more than once' },
  { name: 'user traits value a string', file: y('kind: user', 'metadata: {name: bob}', 'spec:', '  roles: [a]', '  traits:', '    logins: root'),
    want: 'role.yaml:6: spec.traits.logins: expected a list of strings, got a string' },
  { name: 'user version', file: y('kind: user', 'version: v7', 'metadata: {name: bob}'),
    want: 'role.yaml:2: version: user supports version v2, got "v7"' },
  // token
  { name: 'token unknown system role', file: y('kind: token', 'metadata: {name: abc}', 'spec:', '  roles: [node, Frob]'),
    want: 'role.yaml:4: spec.roles[1]: unknown system role "Frob"; use one of Auth, Proxy, Node, Db, App, Kube, Bot, WindowsDesktop, Admin, Instance' },
  { name: 'token without roles', file: y('kind: token', 'metadata: {name: abc}', 'spec:', '  roles: []'),
    want: 'role.yaml:4: spec.roles: list at least one system role (Auth, Proxy, Node, Db, App, Kube, Bot, WindowsDesktop, Admin, Instance)' },
  { name: 'bot token without bot_name', file: y('kind: token', 'metadata: {name: abc}', 'spec:', '  roles: [Bot]'),
    want: 'role.yaml:4: spec.bot_name: required when roles include Bot' },
  { name: 'token join method', file: y('kind: token', 'metadata: {name: abc}', 'spec:', '  roles: [Node]', '  join_method: iam'),
    want: 'role.yaml:5: spec.join_method: unsupported join method "iam"; supported: token' },
  // cluster config
  { name: 'second factor enum', file: y('kind: cluster_auth_preference', 'spec:', '  second_factor: sms'),
    want: 'role.yaml:3: spec.second_factor: expected one of "off", "otp", "webauthn", "on", "optional", got "sms"' },
  { name: 'auth type enum', file: y('kind: cluster_auth_preference', 'spec:', '  type: ldap'),
    want: 'role.yaml:3: spec.type: expected one of "local", "github", "oidc", "saml", got "ldap"' },
  { name: 'singleton name', file: y('kind: cluster_auth_preference', 'metadata:', '  name: prefs'),
    want: 'role.yaml:3: metadata.name: must be "cluster-auth-preference" (there is only one of this kind)' },
  { name: 'recording mode enum', file: y('kind: session_recording_config', 'spec:', '  mode: everywhere'),
    want: 'role.yaml:3: spec.mode: expected one of "node", "proxy", "node-sync", "proxy-sync", "off", got "everywhere"' },
  { name: 'cluster_name needs id', file: y('kind: cluster_name', 'spec:', '  cluster_name: example.com'),
    want: 'role.yaml:3: spec.cluster_id: required field is missing' },
  // cert authority and user token
  { name: 'CA name mismatch', file: y('kind: cert_authority', 'metadata: {name: a}', 'spec:', '  type: user', '  cluster_name: b'),
    want: 'role.yaml:2: metadata.name: must equal spec.cluster_name "b"' },
  { name: 'CA type', file: y('kind: cert_authority', 'metadata: {name: a}', 'spec:', '  type: root', '  cluster_name: a'),
    want: 'role.yaml:4: spec.type: expected one of "user", "host", "db", "db_client", "openssh", "jwt", got "root"' },
  { name: 'user_token sub_kind', file: y('kind: user_token', 'metadata: {name: t}', 'spec: {user: bob, created: "2026-01-01T00:00:00Z"}'),
    want: 'role.yaml:1: sub_kind: required; one of invite, reset' },
  // presence
  { name: 'proxy needs hostname', file: y('kind: proxy', 'metadata: {name: p1}', 'spec:', '  addr: proxy.example.com:3024'),
    want: 'role.yaml:4: spec.hostname: required field is missing' },
  { name: 'proxy unknown field', file: y('kind: proxy', 'metadata: {name: p1}', 'spec:', '  hostname: p', '  tunnel: x'),
    want: 'role.yaml:5: spec.tunnel: unknown field; known fields: hostname, addr, public_addr, version' },
  // db
  { name: 'db uri without port', file: y('kind: db', 'version: v3', 'metadata:', '  name: pg', 'spec:', '  protocol: postgres', '  uri: postgres://db:5432'),
    want: 'role.yaml:7: spec.uri: "postgres://db:5432" is not host:port: write the database address like "db.example.com:5432" (no scheme or path)' },
  { name: 'db unknown protocol', file: y('kind: db', 'version: v3', 'metadata:', '  name: pg', 'spec:', '  protocol: mongodb', '  uri: db:27017'),
    want: 'role.yaml:6: spec.protocol: expected one of "postgres", "mysql", got "mongodb"' },
  { name: 'db missing protocol', file: y('kind: db', 'version: v3', 'metadata:', '  name: pg', 'spec:', '  uri: db:5432'),
    want: 'role.yaml:6: spec.protocol: required field is missing: use postgres or mysql' },
  { name: 'db bad tls mode', file: y('kind: db', 'version: v3', 'metadata:', '  name: pg', 'spec:', '  protocol: mysql', '  uri: db:3306', '  tls:', '    mode: verify'),
    want: 'role.yaml:9: spec.tls.mode: expected one of "verify-full", "verify-ca", "insecure", got "verify"' },
  { name: 'db ca_cert not PEM', file: y('kind: db', 'version: v3', 'metadata:', '  name: pg', 'spec:', '  protocol: mysql', '  uri: db:3306', '  tls:', '    ca_cert: abc'),
    want: 'role.yaml:9: spec.tls.ca_cert: expected a PEM certificate ("-----BEGIN CERTIFICATE-----")' },
];

describe('validation errors (file:line: field: message)', () => {
  for (const c of errorCases) {
    it(c.name, () => {
      assert.throws(() => parseResources(c.file, 'role.yaml'), (err: unknown) => {
        assert.ok(err instanceof BadParameterError, `not a BadParameterError: ${String(err)}`);
        assert.equal(err.message, c.want);
        return true;
      });
    });
  }
});

describe('validation accepts and fills defaults', () => {
  it('role: version v7 and upstream option defaults', () => {
    const [r] = parseResources(role('  allow:', '    logins: [root]'), 'r.yaml') as [Role];
    assert.equal(r.version, 'v7');
    assert.deepEqual(r.spec.options, {
      max_session_ttl: '30h0m0s', forward_agent: false, port_forwarding: true, ssh_file_copy: true,
      record_session: { default: 'best_effort', desktop: true }, cert_format: 'standard',
    });
    assert.deepEqual(r.spec.deny, {});
  });

  for (const version of ['v5', 'v6', 'v7']) {
    it(`role: accepts ${version}`, () => {
      const r = validateResource({ kind: 'role', version, metadata: { name: 'a' }, spec: {} });
      assert.equal(r.version, version);
    });
  }

  it('role: durations are normalised, ssh_port_forwarding replaces the port_forwarding default', () => {
    const r = newRole('a', { options: { max_session_ttl: '90m', ssh_port_forwarding: { remote: { enabled: false } } } });
    assert.equal(r.spec.options?.max_session_ttl, '1h30m0s');
    assert.equal(r.spec.options?.port_forwarding, undefined);
    assert.deepEqual(r.spec.options?.ssh_port_forwarding, { remote: { enabled: false } });
  });

  it('role: upstream-only fields are accepted and dropped', () => {
    const r = newRole('a', { allow: { namespaces: ['default'] } as never, options: { enhanced_recording: ['command'] } as never });
    assert.deepEqual(r.spec.allow, {});
    assert.equal((r.spec.options as Record<string, unknown>).enhanced_recording, undefined);
  });

  it('role: regex, glob and template label values pass', () => {
    const r = newRole('a', { allow: { node_labels: { env: ['^prod-[0-9]+$', 'dev-*'], team: '{{external.team}}' } } });
    assert.deepEqual(r.spec.allow?.node_labels, { env: ['^prod-[0-9]+$', 'dev-*'], team: '{{external.team}}' });
  });

  it('user: defaults and traits', () => {
    const u = newUser('bob', ['access'], { logins: ['bob', 'root'] });
    assert.deepEqual(u, { kind: 'user', version: 'v2', metadata: { name: 'bob' }, spec: { roles: ['access'], traits: { logins: ['bob', 'root'] } } });
  });

  it('token: system roles are case-insensitive and join_method defaults to token', () => {
    const t = newProvisionToken('abc', ['node' as never, 'Proxy'], '2026-01-01T00:30:00Z');
    assert.deepEqual(t.spec, { roles: ['Node', 'Proxy'], join_method: 'token' });
    assert.equal(t.metadata.expires, '2026-01-01T00:30:00Z');
  });

  it('singletons: names and defaults filled', () => {
    const ap = newAuthPreference();
    assert.equal(ap.metadata.name, 'cluster-auth-preference');
    assert.deepEqual(ap.spec, { type: 'local', second_factor: 'otp' });
    const rec = newSessionRecordingConfig();
    assert.deepEqual(rec.spec, { mode: 'node', proxy_checks_host_keys: true });
    const cn = newClusterName('example.com', 'id-1');
    assert.equal(cn.metadata.name, 'cluster-name');
  });

  it('without a document, errors name only the field', () => {
    assert.throws(() => validateResource({ kind: 'role', metadata: { name: 'a' }, spec: { allow: { logins: 1 } } }),
      { message: 'spec.allow.logins: expected a list of strings, got a number' });
  });

  it('returns copies that share nothing with the input', () => {
    const input = { kind: 'user', metadata: { name: 'a', labels: { x: 'y' } }, spec: { roles: ['r'] } };
    const out = validateResource(input);
    (out.metadata.labels as Record<string, string>).x = 'z';
    assert.equal(input.metadata.labels.x, 'y');
  });
});
