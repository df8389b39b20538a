/**
 * @module config/serviceConfig
 * Builds the runtime `ServiceConfig`: built-in defaults, then teleport.yaml (`applyFileConfig`), then
 * command-line flags (`applyFlags`), then derived values and cross-checks (`finalizeConfig`).
 * `loadConfig` does all of it for `teleport start`.
 *
 * As upstream: auth, proxy and SSH are on unless the file says `enabled: no` (or --roles leaves them
 * out); db, app and kubernetes are off unless enabled. The cluster name defaults to the node name and
 * the node name to the host name.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { KeyAlgorithm } from '@teleport-ts/api/keys';
import {
  CLIENT_IDLE_TIMEOUT_MS, COMMAND_LABEL_PERIOD_MS, DEFAULT_AUTH_LISTEN_ADDR, DEFAULT_CONFIG_PATH, DEFAULT_DATA_DIR,
  DEFAULT_SSH_LISTEN_ADDR, DEFAULT_SSH_PROXY_LISTEN_ADDR, DEFAULT_TUNNEL_LISTEN_ADDR, DEFAULT_WEB_LISTEN_ADDR,
  SQLITE_RELATIVE_PATH,
} from './defaults.ts';
import { parseFileConfig } from './fileConfig.ts';
import type { FileConfig } from './fileConfigTypes.ts';
import { applyFlags, type StartFlags } from './flags.ts';
import { parseHostPort, formatHostPort } from './netAddr.ts';
import type { ServiceConfig, SignatureAlgorithmSuite } from './serviceConfigTypes.ts';

export type * from './serviceConfigTypes.ts';
export { SERVICE_ROLES } from './serviceConfigTypes.ts';
export { applyFlags, parseLabelsFlag, parseRoles, type StartFlags } from './flags.ts';

/** The configuration of a fresh install with no file and no flags (before `finalizeConfig`). */
export function defaultServiceConfig(): ServiceConfig {
  return {
    nodeName: '',
    dataDir: DEFAULT_DATA_DIR,
    authServers: [],
    joinMethod: 'token',
    caPins: [],
    insecure: false,
    log: { output: 'stderr', severity: 'info', format: 'text' },
    storage: { type: 'sqlite', path: SQLITE_RELATIVE_PATH },
    auth: {
      enabled: true,
      listenAddr: DEFAULT_AUTH_LISTEN_ADDR,
      clusterName: '',
      publicAddrs: [],
      authentication: { type: 'local', secondFactor: 'otp', localAuth: true },
      sessionRecording: 'node',
      proxyListenerMode: 'separate',
      signatureAlgorithmSuite: 'balanced-v1',
      clientIdleTimeoutMs: CLIENT_IDLE_TIMEOUT_MS,
      disconnectExpiredCert: false,
      fileSettings: {},
    },
    proxy: {
      enabled: true,
      webListenAddr: DEFAULT_WEB_LISTEN_ADDR,
      sshListenAddr: DEFAULT_SSH_PROXY_LISTEN_ADDR,
      tunnelListenAddr: DEFAULT_TUNNEL_LISTEN_ADDR,
      publicAddrs: [],
      sshPublicAddrs: [],
      tunnelPublicAddrs: [],
      httpsKeyPairs: [],
    },
    ssh: { enabled: true, listenAddr: DEFAULT_SSH_LISTEN_ADDR, publicAddrs: [], labels: {}, commands: [] },
    db: { enabled: false, databases: [] },
    app: { enabled: false, apps: [] },
    kube: { enabled: false, labels: {} },
  };
}

/** Key algorithms implied by a signature algorithm suite. */
export function keyAlgorithmsForSuite(suite: SignatureAlgorithmSuite): { ssh: KeyAlgorithm; tls: KeyAlgorithm } {
  return suite === 'legacy' ? { ssh: 'rsa-2048', tls: 'rsa-2048' } : { ssh: 'ed25519', tls: 'ecdsa-p256' };
}

function sqlitePath(path: string): string {
  // Upstream's `path` names the directory holding the database; a path ending in .db names the file.
  return /\.(db|sqlite3?)$/.test(path) ? path : `${path.replace(/\/+$/, '')}/sqlite.db`;
}

/** Returns a copy of `cfg` with a parsed teleport.yaml applied. */
export function applyFileConfig(cfg: ServiceConfig, fc: FileConfig): ServiceConfig {
  const out = structuredClone(cfg);
  const t = fc.teleport ?? {};
  if (t.nodename) out.nodeName = t.nodename;
  if (t.data_dir) out.dataDir = t.data_dir;
  if (t.auth_server) out.authServers = [t.auth_server];
  if (t.proxy_server) out.proxyServer = t.proxy_server;
  if (t.auth_token) out.joinToken = t.auth_token;
  if (t.join_params) [out.joinToken, out.joinMethod] = [t.join_params.token_name, t.join_params.method];
  if (t.ca_pin) out.caPins = t.ca_pin;
  if (t.log?.output) out.log.output = t.log.output;
  if (t.log?.severity) out.log.severity = t.log.severity;
  if (t.log?.format?.output) out.log.format = t.log.format.output;
  if (t.storage?.type === 'memory') out.storage = { type: 'memory', path: '' };
  if (t.storage?.path && out.storage.type === 'sqlite') out.storage.path = sqlitePath(t.storage.path);
  if (t.diag_addr) out.diagAddr = t.diag_addr;

  const a = fc.auth_service;
  if (a) {
    if (a.enabled !== undefined) out.auth.enabled = a.enabled;
    if (a.listen_addr) out.auth.listenAddr = a.listen_addr;
    if (a.public_addr) out.auth.publicAddrs = a.public_addr;
    if (a.cluster_name) out.auth.clusterName = a.cluster_name;
    const n = a.authentication;
    if (n?.type) out.auth.authentication.type = out.auth.fileSettings.authType = n.type;
    if (n?.second_factor) out.auth.authentication.secondFactor = out.auth.fileSettings.secondFactor = n.second_factor;
    if (n?.connector_name) out.auth.authentication.connectorName = n.connector_name;
    if (n?.local_auth !== undefined) out.auth.authentication.localAuth = n.local_auth;
    if (n?.webauthn) {
      out.auth.authentication.webauthn = {
        ...(n.webauthn.rp_id ? { rpId: n.webauthn.rp_id } : {}),
        attestationAllowedCAs: n.webauthn.attestation_allowed_cas ?? [],
        attestationDeniedCAs: n.webauthn.attestation_denied_cas ?? [],
      };
    }
    if (a.session_recording) out.auth.sessionRecording = out.auth.fileSettings.sessionRecording = a.session_recording;
    if (a.proxy_listener_mode) out.auth.proxyListenerMode = a.proxy_listener_mode;
    if (a.signature_algorithm_suite) out.auth.signatureAlgorithmSuite = a.signature_algorithm_suite;
    if (a.client_idle_timeout !== undefined) out.auth.clientIdleTimeoutMs = a.client_idle_timeout;
    if (a.disconnect_expired_cert !== undefined) out.auth.disconnectExpiredCert = a.disconnect_expired_cert;
  }

  const p = fc.proxy_service;
  if (p) {
    if (p.enabled !== undefined) out.proxy.enabled = p.enabled;
    if (p.web_listen_addr) out.proxy.webListenAddr = p.web_listen_addr;
    if (p.listen_addr) out.proxy.sshListenAddr = p.listen_addr;
    if (p.tunnel_listen_addr) out.proxy.tunnelListenAddr = p.tunnel_listen_addr;
    if (p.public_addr) out.proxy.publicAddrs = p.public_addr;
    if (p.ssh_public_addr) out.proxy.sshPublicAddrs = p.ssh_public_addr;
    if (p.tunnel_public_addr) out.proxy.tunnelPublicAddrs = p.tunnel_public_addr;
    if (p.https_keypairs) out.proxy.httpsKeyPairs = p.https_keypairs.map((k) => ({ keyFile: k.key_file, certFile: k.cert_file }));
    if (p.postgres_listen_addr) out.proxy.postgresListenAddr = p.postgres_listen_addr;
    if (p.mysql_listen_addr) out.proxy.mysqlListenAddr = p.mysql_listen_addr;
    if (p.kube_listen_addr) out.proxy.kubeListenAddr = p.kube_listen_addr;
  }

  const s = fc.ssh_service;
  if (s) {
    if (s.enabled !== undefined) out.ssh.enabled = s.enabled;
    if (s.listen_addr) {
      out.ssh.listenAddr = s.listen_addr;
      out.ssh.listenAddrExplicit = true;
    }
    if (s.public_addr) out.ssh.publicAddrs = s.public_addr;
    if (s.labels) out.ssh.labels = s.labels;
    if (s.commands) {
      out.ssh.commands = s.commands.map((c) => ({ name: c.name, command: c.command, periodMs: c.period ?? COMMAND_LABEL_PERIOD_MS }));
    }
  }

  if (fc.db_service) {
    if (fc.db_service.enabled !== undefined) out.db.enabled = fc.db_service.enabled;
    out.db.databases = (fc.db_service.databases ?? []).map((d) => ({
      name: d.name,
      description: d.description ?? '',
      protocol: d.protocol,
      uri: d.uri,
      labels: d.static_labels ?? {},
      tls: {
        mode: d.tls?.mode ?? 'verify-full',
        ...(d.tls?.ca_cert_file ? { caCertFile: d.tls.ca_cert_file } : {}),
        ...(d.tls?.server_name ? { serverName: d.tls.server_name } : {}),
      },
      ...(d.password_file && { passwordFile: d.password_file }),
      ...(d.password_env && { passwordEnv: d.password_env }),
    }));
    if (fc.db_service.resources) out.db.resources = fc.db_service.resources.map((r) => ({ labels: { ...r.labels } }));
  }

  if (fc.app_service) {
    if (fc.app_service.enabled !== undefined) out.app.enabled = fc.app_service.enabled;
    out.app.apps = (fc.app_service.apps ?? []).map((app) => ({
      name: app.name,
      description: app.description ?? '',
      uri: app.uri,
      ...(app.public_addr ? { publicAddr: app.public_addr } : {}),
      labels: app.labels ?? {},
      insecureSkipVerify: app.insecure_skip_verify ?? false,
      rewrite: {
        redirect: app.rewrite?.redirect ?? [],
        headers: (app.rewrite?.headers ?? []).map((h) => {
          const colon = h.indexOf(':');
          return { name: h.slice(0, colon).trim(), value: h.slice(colon + 1).trim() };
        }),
      },
    }));
  }

  const k = fc.kubernetes_service;
  if (k) {
    if (k.enabled !== undefined) out.kube.enabled = k.enabled;
    if (k.listen_addr) out.kube.listenAddr = k.listen_addr;
    if (k.kubeconfig_file) out.kube.kubeconfigFile = k.kubeconfig_file;
    if (k.kube_cluster_name) out.kube.kubeClusterName = k.kube_cluster_name;
    if (k.labels) out.kube.labels = k.labels;
  }
  return out;
}

/** An address to dial for a listen address: 0.0.0.0 and :: become loopback. */
export function dialAddrFor(listenAddr: string): string {
  const hp = parseHostPort(listenAddr, { defaultPort: 0 });
  if (hp.host === '0.0.0.0') hp.host = '127.0.0.1';
  if (hp.host === '::') hp.host = '::1';
  return formatHostPort(hp);
}

/** Fills derived values (node name, cluster name, local auth server, absolute paths) and checks the result. */
export function finalizeConfig(cfg: ServiceConfig, opts: { hostname?: () => string } = {}): ServiceConfig {
  const out = structuredClone(cfg);
  if (!out.nodeName) out.nodeName = (opts.hostname ?? hostname)();
  if (!out.auth.clusterName) out.auth.clusterName = out.nodeName;
  out.dataDir = resolve(out.dataDir);
  if (out.storage.type === 'sqlite') out.storage.path = resolve(out.dataDir, out.storage.path);
  if (out.auth.enabled && out.authServers.length === 0 && !out.proxyServer) out.authServers = [dialAddrFor(out.auth.listenAddr)];

  const enabled = [out.auth, out.proxy, out.ssh, out.db, out.app, out.kube].some((s) => s.enabled);
  if (!enabled) {
    throw new BadParameterError('no services are enabled: enable at least one of auth_service, proxy_service, ssh_service, db_service, app_service or kubernetes_service (or pass --roles)');
  }
  if (!out.auth.enabled) {
    if (out.proxy.enabled && out.authServers.length === 0) {
      throw new BadParameterError('the proxy needs an auth server: set teleport.auth_server in the config or pass --auth-server');
    }
    if (out.authServers.length === 0 && !out.proxyServer) {
      throw new BadParameterError('this agent does not know which cluster to join: set teleport.proxy_server or teleport.auth_server in the config, or pass --auth-server');
    }
  }
  return out;
}

/** Where `loadConfig` reads from, and how. */
export interface LoadConfigOptions {
  /** -c/--config; when given, the file must exist. */
  configPath?: string | undefined;
  flags?: StartFlags;
  /** Read when configPath is not given and the file exists (default /etc/teleport.yaml). */
  defaultConfigPath?: string;
  /** Host name source, for tests. */
  hostname?: () => string;
}

/**
 * Loads the configuration for `teleport start`: file (if any), flags, defaults. A join token that is an
 * absolute path is read from that file, like upstream.
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<ServiceConfig> {
  let path = opts.configPath;
  if (path !== undefined && !existsSync(path)) {
    throw new NotFoundError(`config file ${path} does not exist: check the -c path, or create one with "teleport configure -o ${path}"`);
  }
  if (path === undefined && existsSync(opts.defaultConfigPath ?? DEFAULT_CONFIG_PATH)) path = opts.defaultConfigPath ?? DEFAULT_CONFIG_PATH;
  let cfg = defaultServiceConfig();
  if (path !== undefined) {
    cfg = applyFileConfig(cfg, parseFileConfig(await readFile(path, 'utf8'), path));
    cfg.configPath = resolve(path);
  }
  cfg = applyFlags(cfg, opts.flags ?? {});
  if (cfg.joinToken && isAbsolute(cfg.joinToken)) {
    try {
      cfg.joinToken = (await readFile(cfg.joinToken, 'utf8')).trim();
    } catch (err) {
      throw new BadParameterError(`could not read the join token from ${cfg.joinToken}: check the path or pass the token itself`, { cause: err });
    }
  }
  return finalizeConfig(cfg, opts.hostname ? { hostname: opts.hostname } : {});
}
