/**
 * @module config/fileConfig
 * Reads teleport.yaml (version v3). `parseFileConfig` checks every key against the schema below and
 * fails on the first problem with "file:line: field.path: what is wrong and how to fix it". Unknown keys
 * are rejected (with a "did you mean" for typos) because a misspelled key that is silently ignored is the
 * classic way to run a cluster with a setting you believe is on.
 */
import { parseYAMLDocuments, fieldError, type SourceDocument } from '@teleport-ts/api/yamlSource';
import { BadParameterError, NotImplementedError } from '@teleport-ts/api/errors';
import { DEFAULT_LISTEN_HOST, Ports } from './defaults.ts';
import { parseHostPort } from './netAddr.ts';
import { withKeyLocations } from './keyLocator.ts';
import { addr, bool, duration, labels, list, obj, oneOf, oneOrList, opt, refine, str, url, type Validator } from './validators.ts';
import type {
  AppFileConfig, AppsFileConfig, AuthFileConfig, CommandLabelFileConfig, DatabaseFileConfig, DatabasesFileConfig,
  FileConfig, KeyPairFileConfig, KubeFileConfig, LogFileConfig, ProxyFileConfig, SSHFileConfig, StorageFileConfig,
  TeleportSection,
} from './fileConfigTypes.ts';

export type * from './fileConfigTypes.ts';

/** The only configuration version this implementation reads. */
export const CONFIG_VERSION = 'v3';

const H = DEFAULT_LISTEN_HOST;
const on = opt(bool());

const caPin = refine(str('a CA pin like sha256:<64 hex digits>'), (v) =>
  /^sha256:[0-9a-f]{64}$/i.test(v) ? undefined : `"${v}" is not a CA pin: expected sha256:<64 hex digits>, as printed by "tctl status"`);

const hostPortWithPort = refine(str('host:port'), (v) => {
  try {
    parseHostPort(v, { defaultPort: -1 });
  } catch (err) {
    return (err as Error).message;
  }
  return /:\d+$/.test(v) ? undefined : `"${v}" has no port: use host:port, like localhost:5432`;
});

const logSchema = obj<LogFileConfig>({
  output: opt(str('stderr, stdout or a file path')),
  severity: opt(oneOf(['trace', 'debug', 'info', 'warn', 'error'] as const, { warning: 'warn', err: 'error' })),
  format: opt(obj({
    output: opt(oneOf(['text', 'json'] as const)),
    extra_fields: opt(list(oneOf(['timestamp', 'level', 'component', 'caller'] as const))),
  })),
});

const storageSchema = obj<StorageFileConfig>({
  type: opt(oneOf(['sqlite', 'memory', 'postgresql'] as const, { dir: 'sqlite', postgres: 'postgresql' })),
  path: opt(str('a directory path')),
  conn_string: opt(str('a PostgreSQL connection string')),
});

const teleportSchema = obj<TeleportSection>({
  nodename: opt(str('a host name')),
  data_dir: opt(str('a directory path')),
  join_params: opt(obj({ token_name: str('the join token'), method: oneOf(['token'] as const) })),
  auth_token: opt(str('a join token or the path of a file holding one')),
  auth_server: opt(addr(Ports.auth)),
  proxy_server: opt(addr(Ports.web)),
  ca_pin: opt(oneOrList(caPin)),
  log: opt(logSchema),
  storage: opt(storageSchema),
  diag_addr: opt(addr(Ports.diag, '127.0.0.1')),
});

const authSchema = obj<AuthFileConfig>({
  enabled: on,
  listen_addr: opt(addr(Ports.auth, H)),
  public_addr: opt(oneOrList(addr(Ports.auth))),
  cluster_name: opt(refine(str('the cluster name'), (v) =>
    /^[A-Za-z0-9._-]+$/.test(v) ? undefined : 'may contain only letters, digits, dots, dashes and underscores')),
  authentication: opt(obj({
    type: opt(oneOf(['local', 'github', 'oidc', 'saml'] as const)),
    second_factor: opt(oneOf(['off', 'otp', 'webauthn', 'on', 'optional'] as const)),
    webauthn: opt(obj({
      rp_id: opt(str('the relying party id (the proxy host name)')),
      attestation_allowed_cas: opt(list(str('a PEM file path or PEM text'))),
      attestation_denied_cas: opt(list(str('a PEM file path or PEM text'))),
    })),
    connector_name: opt(str('a connector name')),
    local_auth: on,
  })),
  session_recording: opt(oneOf(['node', 'proxy', 'node-sync', 'proxy-sync', 'off'] as const)),
  proxy_listener_mode: opt(oneOf(['separate', 'multiplex'] as const)),
  signature_algorithm_suite: opt(oneOf(['balanced-v1', 'legacy'] as const)),
  client_idle_timeout: opt(duration()),
  disconnect_expired_cert: on,
});

const keyPairSchema = obj<KeyPairFileConfig>({ key_file: str('a PEM key file path'), cert_file: str('a PEM certificate file path') });

const proxySchema = obj<ProxyFileConfig>({
  enabled: on,
  web_listen_addr: opt(addr(Ports.web, H)),
  listen_addr: opt(addr(Ports.sshProxy, H)),
  tunnel_listen_addr: opt(addr(Ports.tunnel, H)),
  public_addr: opt(oneOrList(addr(Ports.web))),
  ssh_public_addr: opt(oneOrList(addr(Ports.sshProxy))),
  tunnel_public_addr: opt(oneOrList(addr(Ports.tunnel))),
  https_keypairs: opt(list(keyPairSchema, 'a list of {key_file, cert_file}')),
  postgres_listen_addr: opt(addr(Ports.postgres, H)),
  mysql_listen_addr: opt(addr(Ports.mysql, H)),
  kube_listen_addr: opt(addr(Ports.kube, H)),
});

const commandSchema = obj<CommandLabelFileConfig>({
  name: refine(str('a label name'), (v) => (/^[A-Za-z0-9/._:*-]+$/.test(v) ? undefined : 'label names may contain only letters, digits and / . _ : * -')),
  command: list(str('a command argument'), 'a list like [uname, -p]'),
  period: opt(refine(duration(), (ms) => (ms >= 1000 ? undefined : 'must be at least 1s'))),
});

const sshSchema = obj<SSHFileConfig>({
  enabled: on,
  listen_addr: opt(addr(Ports.ssh, H)),
  public_addr: opt(oneOrList(addr(Ports.ssh))),
  labels: opt(labels()),
  commands: opt(list(commandSchema, 'a list of {name, command, period}')),
});

const databaseSchema = obj<DatabaseFileConfig>({
  name: str('the database name'),
  description: opt(str('a description')),
  protocol: oneOf(['postgres', 'mysql'] as const),
  uri: hostPortWithPort,
  static_labels: opt(labels()),
  tls: opt(obj({
    mode: opt(oneOf(['verify-full', 'verify-ca', 'insecure'] as const)),
    ca_cert_file: opt(str('a PEM file path')),
    server_name: opt(str('a host name')),
  })),
  password_file: opt(refine(str('an absolute file path'), (v) =>
    v.startsWith('/') ? undefined : `"${v}" is not an absolute path: give the full path of the password file, like /etc/teleport/db-password`)),
  password_env: opt(refine(str('an environment variable name'), (v) =>
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : `"${v}" is not an environment variable name: use letters, digits and _`)),
});

const headerLine = refine(str('a header like "X-Name: value"'), (v) =>
  /^[A-Za-z0-9-]+:\s*.*$/.test(v) ? undefined : `"${v}" is not a header: write it as "Name: value"`);

const appSchema = obj<AppFileConfig>({
  name: str('the application name'),
  description: opt(str('a description')),
  uri: url(['http', 'https', 'tcp']),
  public_addr: opt(str('a host name')),
  labels: opt(labels()),
  insecure_skip_verify: on,
  rewrite: opt(obj({ redirect: opt(list(str('a host name'))), headers: opt(list(headerLine)) })),
});

const fileConfigSchema: Validator<FileConfig> = obj<FileConfig>({
  version: oneOf([CONFIG_VERSION] as const),
  teleport: opt(teleportSchema),
  auth_service: opt(authSchema),
  proxy_service: opt(proxySchema),
  ssh_service: opt(sshSchema),
  db_service: opt(obj<DatabasesFileConfig>({
    enabled: on,
    databases: opt(list(databaseSchema, 'a list of databases')),
    resources: opt(list(obj({ labels: labels() }), 'a list of {labels: {name: value}} selectors of db resources')),
  })),
  app_service: opt(obj<AppsFileConfig>({ enabled: on, apps: opt(list(appSchema, 'a list of applications')) })),
  kubernetes_service: opt(obj<KubeFileConfig>({
    enabled: on,
    listen_addr: opt(addr(Ports.kube, H)),
    kubeconfig_file: opt(str('a kubeconfig file path')),
    kube_cluster_name: opt(str('a cluster name')),
    labels: opt(labels()),
  })),
});

function checkVersion(doc: SourceDocument, root: Record<string, unknown>): void {
  const version = root['version'];
  if (version === undefined || version === null) {
    throw fieldError(doc, ['version'], `missing: add "version: ${CONFIG_VERSION}" at the top of the file`);
  }
  if (String(version) !== CONFIG_VERSION) {
    throw fieldError(doc, ['version'], `version "${String(version)}" is not supported: this teleport reads only "version: ${CONFIG_VERSION}" files (run "teleport configure" for an example)`);
  }
}

/** Rules that involve more than one key. */
function checkCombinations(doc: SourceDocument, cfg: FileConfig): void {
  const t = cfg.teleport;
  if (t?.auth_server && t.proxy_server) {
    throw fieldError(doc, ['teleport', 'proxy_server'], 'set either auth_server or proxy_server, not both: agents join through one of them');
  }
  if (t?.auth_token && t.join_params) {
    throw fieldError(doc, ['teleport', 'join_params'], 'set either auth_token or join_params, not both');
  }
  if (t?.storage?.type === 'postgresql') {
    const located = fieldError(doc, ['teleport', 'storage', 'type'], 'the postgresql backend is not implemented yet: use "sqlite" (the default) or "memory"');
    throw new NotImplementedError(located.message);
  }
  const names = new Set<string>();
  for (const [i, db] of (cfg.db_service?.databases ?? []).entries()) {
    if (names.has(db.name)) throw fieldError(doc, ['db_service', 'databases', i, 'name'], `database "${db.name}" is listed twice`);
    if (db.password_file && db.password_env) {
      throw fieldError(doc, ['db_service', 'databases', i, 'password_env'], 'set either password_file or password_env, not both');
    }
    names.add(db.name);
  }
  names.clear();
  for (const [i, app] of (cfg.app_service?.apps ?? []).entries()) {
    if (names.has(app.name)) throw fieldError(doc, ['app_service', 'apps', i, 'name'], `application "${app.name}" is listed twice`);
    names.add(app.name);
  }
}

/**
 * Parses and validates a teleport.yaml. Throws BadParameterError ("file:line: field: message") on any
 * problem, NotImplementedError for recognised but unsupported settings.
 */
export function parseFileConfig(text: string, filename: string): FileConfig {
  const docs = parseYAMLDocuments(text, filename);
  const first = docs[0];
  if (!first) throw new BadParameterError(`${filename}: the file is empty: run "teleport configure" to print a starter configuration`);
  if (docs.length > 1) throw new BadParameterError(`${filename}: expected one YAML document, found ${docs.length}: remove the extra "---" sections`);
  const doc = withKeyLocations(first, text, filename);
  const root = doc.value;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw fieldError(doc, [], `expected a map of settings starting with "version: ${CONFIG_VERSION}"`);
  }
  checkVersion(doc, root as Record<string, unknown>);
  const cfg = fileConfigSchema(root, [], doc);
  checkCombinations(doc, cfg);
  return cfg;
}
