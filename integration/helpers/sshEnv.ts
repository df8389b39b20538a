/**
 * @module integration/helpers/sshEnv
 * What the SSH end-to-end tests set up around a cluster: throwaway OS accounts to log in as
 * (`useradd -m`, removed with `userdel -r`), Teleport users logged in with `tsh login` whose
 * `tsh config` output is saved for OpenSSH, a TCP echo server to forward to, a private ssh-agent
 * with one key, extra node services, and polling of the audit log (nodes emit asynchronously).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthClient } from '../../packages/api/src/client/authClient.ts';
import { systemClock } from '../../packages/api/src/clock.ts';
import type { AuditEvent } from '../../packages/api/src/events/types.ts';
import { issueLocalIdentity } from '../../packages/teleport/src/service/localIdentity.ts';
import { startNodeService, type RunningNodeService } from '../../packages/teleport/src/service/nodeService.ts';
import { silentLogger } from '../../packages/teleport/src/utils/logger.ts';
import { describeResult } from './cli.ts';
import type { TestCluster } from './cluster.ts';
import type { ProcessTracker } from './sshClients.ts';
import { createUser, tshLogin, type TestUser } from './users.ts';

/** True when the SSH suites can run here: root (for other logins) and the OpenSSH client tools. */
export const canRunSSHTests = process.getuid?.() === 0 && ['ssh', 'scp', 'sftp', 'ssh-agent', 'ssh-add', 'ssh-keygen', 'useradd']
  .every((t) => !spawnSync('which', [t], { stdio: 'ignore' }).status);

/** Throwaway OS accounts (bash shell, home directory). */
export class OSUsers {
  private readonly names: string[] = [];

  /** Creates `t<prefix><random>`. */
  create(prefix: string): string {
    const name = `t${prefix}${randomBytes(3).toString('hex')}`.slice(0, 30);
    const r = spawnSync('useradd', ['-m', '-s', '/bin/bash', name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`useradd ${name} failed: ${r.stderr}`);
    this.names.push(name);
    return name;
  }

  /** Removes the accounts and their homes (-f: even if a session of theirs is still ending). */
  cleanup(): void {
    for (const n of this.names.splice(0)) spawnSync('userdel', ['-r', '-f', n], { stdio: 'ignore' });
  }
}

/** A Teleport user logged in with tsh, with an OpenSSH config from `tsh config`. */
export interface SSHClientUser {
  user: TestUser;
  /** TELEPORT_HOME (and HOME) of this user's client. */
  home: string;
  /** The file `tsh config` printed, for `ssh -F`. */
  sshConfig: string;
}

/** `tctl users add` + invite + `tsh login` + `tsh config` > <home>/ssh_config. */
export async function sshClientUser(cluster: TestCluster, name: string, opts: { roles: string[]; logins: string[] }): Promise<SSHClientUser> {
  const user = await createUser(cluster, name, opts);
  const home = cluster.newHome();
  const login = await tshLogin(cluster, user, home);
  if (login.code !== 0) throw new Error(`tsh login ${name} failed: ${describeResult(login)}`);
  const config = await cluster.tsh(['config'], { env: { TELEPORT_HOME: home, HOME: home } });
  if (config.code !== 0) throw new Error(`tsh config failed: ${describeResult(config)}`);
  const sshConfig = join(home, 'ssh_config');
  await writeFile(sshConfig, config.stdout);
  return { user, home, sshConfig };
}

/**
 * A copy of `base` (a `tsh config` file) that offers another key and certificate to the node, while
 * the ProxyCommand still reaches the proxy with the base user's login. For tests of what the node
 * does with a certificate the proxy never sees (expired, foreign CA, deleted user).
 */
export async function sshConfigWithIdentity(base: string, out: string, keyPath: string, certPath: string): Promise<string> {
  const text = (await readFile(base, 'utf8'))
    .replace(/^(\s*IdentityFile ).*$/m, `$1"${keyPath}"`)
    .replace(/^(\s*CertificateFile ).*$/m, `$1"${certPath}"`)
    .replace(/^(\s*HostKeyAlgorithms .*)$/m, '$1\n    IdentitiesOnly yes');
  await writeFile(out, text);
  return out;
}

/** A TCP server on 127.0.0.1 that echoes every byte back. */
export interface EchoServer {
  port: number;
  /** Connections open now. */
  open(): number;
  /** Destroys open connections and stops listening. */
  close(): Promise<void>;
}

/** Starts an {@link EchoServer}. */
export async function startEchoServer(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.pipe(sock);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    open: () => sockets.size,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

/** An ssh-agent of our own (foreground, by pid) holding one fresh Ed25519 key. */
export async function startSSHAgent(tracker: ProcessTracker, dir: string): Promise<{ sock: string; fingerprint: string }> {
  const sock = join(dir, 'agent.sock');
  const key = join(dir, 'agent_key');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  tracker.start('ssh-agent', ['-D', '-a', sock], { env });
  const gen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'agent-test-key', '-f', key], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`ssh-keygen failed: ${gen.stderr}`);
  const fingerprint = spawnSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1] ?? '';
  for (let i = 0; ; i++) {
    const add = spawnSync('ssh-add', [key], { env: { ...env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
    if (add.status === 0) break;
    if (i > 100) throw new Error(`ssh-add failed: ${add.stderr}`);
    await sleep(20); // the agent is still creating its socket
  }
  return { sock, fingerprint };
}

/** Starts another node service against the cluster's auth (identity issued directly: agents cannot join by token yet). */
export async function startExtraNode(cluster: TestCluster, nodeName: string, labels: Record<string, string>): Promise<RunningNodeService> {
  const hostId = randomUUID();
  const identity = await issueLocalIdentity(cluster.auth, { hostId, nodeName, role: 'Node', algorithm: 'ed25519' });
  const authClient = new AuthClient({ addr: cluster.authAddr, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts });
  return startNodeService({
    dataDir: join(cluster.dataDir, `node-${nodeName}`), hostId, nodeName, identity, authClient,
    listenAddr: { host: '127.0.0.1', port: 0 }, labels, commands: [], clock: systemClock, logger: silentLogger,
  });
}

/** Polls the audit log until an event of `type` satisfies `pred`; returns it. */
export async function waitForEvent(
  cluster: TestCluster, type: string, pred: (e: AuditEvent) => boolean, what: string, ms = 10_000,
): Promise<AuditEvent> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = (await cluster.auditEvents(type)).find(pred);
    if (found) return found;
    if (Date.now() > deadline) {
      const seen = (await cluster.auditEvents(type)).map((e) => JSON.stringify(e)).join('\n');
      throw new Error(`no ${type} event ${what} within ${ms} ms; ${type} events seen:\n${seen}`);
    }
    await sleep(50);
  }
}

/** The hex sha256 of a file's contents. */
export async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}
