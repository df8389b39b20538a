/**
 * @module integration/helpers/agents
 * Agents that join a test cluster the way an operator would set them up: a join token from
 * `tctl tokens add`, a teleport.yaml naming the proxy (or auth) to join through, and `teleport start`
 * in-process from that file. Each agent gets its own data dir under the cluster's temp dir.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../packages/teleport/src/config/serviceConfig.ts';
import { startTeleport, type TeleportProcess } from '../../packages/teleport/src/service/teleportProcess.ts';
import { describeResult } from './cli.ts';
import type { TestCluster } from './cluster.ts';

/** A token and the CA pin printed by `tctl tokens add`. */
export interface JoinToken {
  token: string;
  caPin: string;
  /** The whole output, for assertions on the printed command. */
  output: string;
}

/** Runs `tctl tokens add --type=<type> [...extra]` and reads the token and CA pin from its output. */
export async function addJoinToken(cluster: TestCluster, type: string, extra: string[] = []): Promise<JoinToken> {
  const res = await cluster.tctl(['tokens', 'add', `--type=${type}`, ...extra]);
  if (res.code !== 0) throw new Error(`tctl tokens add failed: ${describeResult(res)}`);
  const token = /The invite token: (\S+)/.exec(res.stdout)?.[1];
  const caPin = /--ca-pin=(sha256:[0-9a-f]+)/.exec(res.stdout)?.[1];
  if (!token || !caPin) throw new Error(`cannot find the token and CA pin in:\n${res.stdout}`);
  return { token, caPin, output: res.stdout };
}

/** What an agent's teleport.yaml says. */
export interface AgentConfig {
  nodeName: string;
  /** Join through this proxy web address... */
  proxyServer?: string;
  /** ...or this auth server address. */
  authServer?: string;
  /** Omitted: the agent must already hold an identity in its data dir. */
  token?: string;
  caPin?: string;
  /** Runs ssh_service (without listen_addr unless given). */
  ssh?: { labels?: Record<string, string>; listenAddr?: string };
  /** Runs db_service with these databases (TLS verified against `caCertFile`). */
  db?: { databases: Array<{ name: string; protocol: 'postgres' | 'mysql'; uri: string; labels?: Record<string, string>; caCertFile: string; passwordEnv?: string }> };
  /** diag_addr (health and readiness), e.g. for a subprocess. */
  diagAddr?: string;
  /** Runs proxy_service on these addresses (default 127.0.0.1:0 each). */
  proxy?: { webAddr?: string; sshAddr?: string; tunnelAddr?: string };
}

/** Renders an agent's teleport.yaml. */
export function agentConfigYAML(dataDir: string, c: AgentConfig): string {
  const labels = Object.entries(c.ssh?.labels ?? {});
  return [
    'version: v3',
    'teleport:',
    `  nodename: ${c.nodeName}`,
    `  data_dir: ${dataDir}`,
    ...(c.proxyServer ? [`  proxy_server: ${c.proxyServer}`] : []),
    ...(c.authServer ? [`  auth_server: ${c.authServer}`] : []),
    ...(c.token ? ['  join_params:', `    token_name: ${c.token}`, '    method: token'] : []),
    ...(c.caPin ? [`  ca_pin: ${c.caPin}`] : []),
    ...(c.diagAddr ? [`  diag_addr: ${c.diagAddr}`] : []),
    '  log:',
    '    output: stderr',
    '    severity: error',
    'auth_service:',
    '  enabled: no',
    'proxy_service:',
    ...(c.proxy
      ? [
          '  enabled: yes',
          `  web_listen_addr: ${c.proxy.webAddr ?? '127.0.0.1:0'}`,
          `  listen_addr: ${c.proxy.sshAddr ?? '127.0.0.1:0'}`,
          `  tunnel_listen_addr: ${c.proxy.tunnelAddr ?? '127.0.0.1:0'}`,
        ]
      : ['  enabled: no']),
    'ssh_service:',
    ...(c.ssh
      ? [
          '  enabled: yes',
          ...(c.ssh.listenAddr ? [`  listen_addr: ${c.ssh.listenAddr}`] : []),
          ...(labels.length ? ['  labels:', ...labels.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
        ]
      : ['  enabled: no']),
    'db_service:',
    ...(c.db
      ? [
          '  enabled: yes',
          '  databases:',
          ...c.db.databases.flatMap((d) => [
            `  - name: ${d.name}`,
            `    protocol: ${d.protocol}`,
            `    uri: ${d.uri}`,
            ...(Object.keys(d.labels ?? {}).length ? ['    static_labels:', ...Object.entries(d.labels ?? {}).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)] : []),
            '    tls:',
            '      mode: verify-full',
            `      ca_cert_file: ${d.caCertFile}`,
            ...(d.passwordEnv ? [`    password_env: ${d.passwordEnv}`] : []),
          ]),
        ]
      : ['  enabled: no']),
    '',
  ].join('\n');
}

/** Writes `<cluster root>/<name>/teleport.yaml` and returns its path and the data dir. */
export async function writeAgentConfig(cluster: TestCluster, name: string, c: AgentConfig): Promise<{ configPath: string; dataDir: string }> {
  const dir = join(cluster.root, `agent-${name}`);
  const dataDir = join(dir, 'data');
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, 'teleport.yaml');
  await writeFile(configPath, agentConfigYAML(dataDir, c));
  return { configPath, dataDir };
}

/** Starts an agent in-process from its teleport.yaml (`teleport start -c <path>`). */
export async function startAgent(configPath: string): Promise<TeleportProcess> {
  return startTeleport(await loadConfig({ configPath }));
}

/** Polls `fn` until it returns a value (not undefined) or `ms` pass; then throws with `what`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000, stepMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
