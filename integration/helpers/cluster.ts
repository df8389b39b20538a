/**
 * @module integration/helpers/cluster
 * A real cluster for integration tests: auth + proxy (and, when asked, the SSH node service) started
 * in-process from a teleport.yaml on port 0 (SQLite and the audit log in a temporary data dir), plus
 * `tctl` and `tsh` bound to it the way an administrator and a user would run them. Everything lives
 * under one temp dir that `close()` removes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '../../packages/api/src/events/types.ts';
import type { SecondFactor } from '../../packages/teleport/src/config/serviceConfig.ts';
import { loadConfig } from '../../packages/teleport/src/config/serviceConfig.ts';
import { startTeleport, type TeleportProcess } from '../../packages/teleport/src/service/teleportProcess.ts';
import type { AuthServer } from '../../packages/teleport/src/auth/authServer.ts';
import { runTctl } from '../../packages/teleport/src/tool/tctl/main.ts';
import { runTsh } from '../../packages/teleport/src/tool/tsh/main.ts';
import { runCLI, type CLIResult, type RunOptions } from './cli.ts';

/** Cluster name every test cluster uses. */
export const CLUSTER_NAME = 'integration.test';

/** Options of {@link startTestCluster}. */
export interface TestClusterOptions {
  /** cluster_auth_preference second factor; default "otp". */
  secondFactor?: SecondFactor;
  /** teleport.nodename (the SSH node's hostname when ssh_service runs); default "localhost". */
  nodeName?: string;
  /** Runs the SSH node service (on 127.0.0.1:0) with these static labels. */
  sshService?: { labels?: Record<string, string> };
  /** Runs the proxy's dedicated PostgreSQL and MySQL listeners. */
  dbListeners?: boolean;
}

/** A running test cluster. */
export interface TestCluster {
  proc: TeleportProcess;
  auth: AuthServer;
  /** Temp dir holding the config, data dir and client homes. */
  root: string;
  configPath: string;
  dataDir: string;
  /** "127.0.0.1:<port>" of the auth API. */
  authAddr: string;
  /** "127.0.0.1:<port>" of the proxy's web listener. */
  webAddr: string;
  /** Runs tctl as the local admin (`-c <config> --auth-server <addr>` prepended). */
  tctl(args: string[], opts?: RunOptions): Promise<CLIResult>;
  /** Runs tctl with nothing prepended (for `-i` identity files). */
  tctlRaw(args: string[], opts?: RunOptions): Promise<CLIResult>;
  /** Runs tsh; `opts.env` should carry TELEPORT_HOME (see {@link TestCluster.newHome}). */
  tsh(args: string[], opts?: RunOptions): Promise<CLIResult>;
  /** Path of a fresh (not yet created) client home directory under the cluster's temp dir. */
  newHome(): string;
  /** Audit events of the given types emitted since the cluster started. */
  auditEvents(...types: string[]): Promise<AuditEvent[]>;
  /** Stops the process and removes every file. */
  close(): Promise<void>;
}

/** The teleport.yaml used by test clusters (addresses on port 0 unless given). */
export function testConfigYAML(o: {
  dataDir: string;
  secondFactor?: string;
  authAddr?: string;
  webAddr?: string;
  sshProxyAddr?: string;
  /** Reverse tunnel listener (default 127.0.0.1:0). */
  tunnelAddr?: string;
  /** Runs the proxy's dedicated PostgreSQL and MySQL listeners on 127.0.0.1:0. */
  dbListeners?: boolean;
  diagAddr?: string;
  nodeName?: string;
  /** Enables ssh_service with these labels. */
  sshService?: { labels?: Record<string, string> };
}): string {
  const labels = Object.entries(o.sshService?.labels ?? {});
  return [
    'version: v3',
    'teleport:',
    `  nodename: ${o.nodeName ?? 'localhost'}`,
    `  data_dir: ${o.dataDir}`,
    ...(o.diagAddr ? [`  diag_addr: ${o.diagAddr}`] : []),
    '  log:',
    '    output: stderr',
    '    severity: error',
    'auth_service:',
    '  enabled: yes',
    `  listen_addr: ${o.authAddr ?? '127.0.0.1:0'}`,
    `  cluster_name: ${CLUSTER_NAME}`,
    '  authentication:',
    '    type: local',
    `    second_factor: ${o.secondFactor ?? 'otp'}`,
    'proxy_service:',
    '  enabled: yes',
    `  web_listen_addr: ${o.webAddr ?? '127.0.0.1:0'}`,
    `  listen_addr: ${o.sshProxyAddr ?? '127.0.0.1:0'}`,
    `  tunnel_listen_addr: ${o.tunnelAddr ?? '127.0.0.1:0'}`,
    ...(o.dbListeners ? ['  postgres_listen_addr: 127.0.0.1:0', '  mysql_listen_addr: 127.0.0.1:0'] : []),
    'ssh_service:',
    ...(o.sshService
      ? ['  enabled: yes', '  listen_addr: 127.0.0.1:0', ...(labels.length ? ['  labels:', ...labels.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : [])]
      : ['  enabled: no']),
    '',
  ].join('\n');
}

/** Starts auth + proxy from a teleport.yaml in a new temp dir. */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const root = await mkdtemp(join(tmpdir(), 'tp-integration-'));
  const dataDir = join(root, 'data');
  const configPath = join(root, 'teleport.yaml');
  let proc: TeleportProcess | undefined;
  try {
    await writeFile(configPath, testConfigYAML({
      dataDir,
      ...(opts.secondFactor && { secondFactor: opts.secondFactor }),
      ...(opts.nodeName && { nodeName: opts.nodeName }),
      ...(opts.sshService && { sshService: opts.sshService }),
      ...(opts.dbListeners && { dbListeners: true }),
    }));
    proc = await startTeleport(await loadConfig({ configPath }));
  } catch (err) {
    await proc?.close({ graceful: false });
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const running = proc;
  const auth = running.auth?.auth;
  const { authAddr, webAddr } = running;
  if (!auth || !authAddr || !webAddr) throw new Error('test cluster started without auth or proxy');
  const startedAt = new Date(Date.now() - 1000);
  let homes = 0;
  return {
    proc: running, auth, root, configPath, dataDir, authAddr, webAddr,
    tctl: (args, o) => runCLI(runTctl, ['-c', configPath, '--auth-server', authAddr, ...args], o),
    tctlRaw: (args, o) => runCLI(runTctl, args, o),
    tsh: (args, o) => runCLI(runTsh, args, o),
    newHome: () => join(root, `home-${++homes}`),
    async auditEvents(...types) {
      const { events } = await auth.audit.search({ from: startedAt, to: new Date(Date.now() + 60_000), eventTypes: types, limit: 10_000 });
      return events;
    },
    async close() {
      await running.close({ graceful: false });
      await rm(root, { recursive: true, force: true });
    },
  };
}
