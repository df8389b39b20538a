/**
 * @module srv/ssh/testkit
 * Test-only: an in-process cluster for the node service tests - a test auth server behind the real
 * mutual-TLS API on 127.0.0.1:0, and the node service on 127.0.0.1:0 talking to it with a Node
 * identity - plus throwaway OS users (`useradd -m`, removed with `userdel -r`), user certificates
 * issued by auth, and a runner for the real OpenSSH client trusting the host CA through an
 * `@cert-authority` known_hosts line. Every process started here is stopped by its pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import { generateKeyPair } from '@teleport-ts/api/keys';
import { formatOpenSSHPrivateKey } from '@teleport-ts/api/sshcert/privateKey';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { RoleSpec } from '@teleport-ts/api/types/role';
import { newRole } from '@teleport-ts/api/types/validate/role';
import { startAuthTLSServer, type AuthTLSServer } from '../../auth/tlsServer.ts';
import { addUser, newTestAuthServer, type TestAuth } from '../../auth/testAuthServer.ts';
import type { LocalIdentity } from '../../service/identityStore.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { startNodeService, type NodeServiceOptions, type RunningNodeService } from '../../service/nodeService.ts';
import { silentLogger } from '../../utils/logger.ts';

/** True when this process can create OS users and switch to them (tests run as root). */
export const canRunNodeTests = process.getuid?.() === 0 && !spawnSync('ssh', ['-V'], { stdio: 'ignore' }).error;

/** A running auth + node pair. */
export interface NodeTestEnv {
  t: TestAuth;
  auth: AuthTLSServer;
  identity: LocalIdentity;
  authClient: AuthClient;
  node: RunningNodeService;
  hostId: string;
  /** Scratch directory (data dir, keys, known_hosts). */
  dir: string;
  knownHosts: string;
  /** Audit events of a kind (by code), oldest first. */
  events(code?: string): AuditEvent[];
  /** Polls until `pred` holds for some event with `code` (default 5 s). */
  waitEvent(code: string, pred?: (e: AuditEvent) => boolean, timeoutMs?: number): Promise<AuditEvent>;
  close(): Promise<void>;
}

/** Options for startNodeTestEnv. */
export type NodeTestOptions = Partial<Pick<NodeServiceOptions, 'labels' | 'commands' | 'heartbeatIntervalMs' | 'trackerTiming' | 'nodeName' | 'sftpServerPath'>>;

/** Starts auth (mTLS API) and a node service, both on 127.0.0.1:0. */
export async function startNodeTestEnv(opts: NodeTestOptions = {}): Promise<NodeTestEnv> {
  const dir = await mkdtemp(path.join(tmpdir(), 'node-test-'));
  const t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
  const own = await issueLocalIdentity(t.auth, { hostId: 'auth-host', nodeName: 'auth', role: 'Auth', algorithm: 'ecdsa-p256' });
  const auth = await startAuthTLSServer({ auth: t.auth, listenAddr: { host: '127.0.0.1', port: 0 }, certPEM: own.certPEM, keyPEM: own.keyPEM, logger: silentLogger });
  const hostId = `node-${randomBytes(4).toString('hex')}`;
  const nodeName = opts.nodeName ?? 'node1';
  const identity = await issueLocalIdentity(t.auth, { hostId, nodeName, role: 'Node', algorithm: 'ed25519' });
  const authClient = new AuthClient({
    addr: `127.0.0.1:${auth.address.port}`, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts, timeoutMs: 10_000,
  });
  const node = await startNodeService({
    dataDir: path.join(dir, 'data'), hostId, nodeName, identity, authClient, listenAddr: { host: '127.0.0.1', port: 0 },
    labels: opts.labels ?? { env: 'test' }, commands: opts.commands ?? [], clock: systemClock, logger: silentLogger,
    ...(opts.heartbeatIntervalMs !== undefined && { heartbeatIntervalMs: opts.heartbeatIntervalMs }),
    trackerTiming: opts.trackerTiming ?? { refreshMs: 500, ttlMs: 60_000 },
    ...(opts.sftpServerPath !== undefined && { sftpServerPath: opts.sftpServerPath }),
  });
  const knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, (identity.sshHostCAKeys ?? []).map((k) => `@cert-authority * ${k}\n`).join(''));
  const events = (code?: string): AuditEvent[] => t.audit.all().filter((e) => code === undefined || e.code === code);
  return {
    t, auth, identity, authClient, node, hostId, dir, knownHosts, events,
    waitEvent: async (code, pred = () => true, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const e = events(code).find(pred);
        if (e) return e;
        if (Date.now() > deadline) throw new Error(`no ${code} event matched; have: ${JSON.stringify(events(code))}`);
        await sleep(25);
      }
    },
    close: async () => {
      await node.close({ graceful: true });
      await auth.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Sleeps `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (default 5 s). */
export async function eventually<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Throwaway OS users, removed by cleanup(). */
export class OSUsers {
  private readonly names: string[] = [];

  /** Creates `t<prefix><random>` with a home directory and bash as the shell. */
  create(prefix: string): string {
    const name = `t${prefix}${randomBytes(3).toString('hex')}`.slice(0, 30);
    const r = spawnSync('useradd', ['-m', '-s', '/bin/bash', name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`useradd ${name} failed: ${r.stderr}`);
    this.names.push(name);
    return name;
  }

  /** Removes every user created (and their homes). */
  cleanup(): void {
    for (const n of this.names.splice(0)) {
      spawnSync('pkill', ['-KILL', '-u', n], { stdio: 'ignore' }); // leftovers of a failed test, by user
      spawnSync('userdel', ['-r', n], { stdio: 'ignore' });
    }
  }
}

/** A user's key and certificate files for the OpenSSH client. */
export interface UserCreds {
  keyPath: string;
  certPath: string;
  keyPEM: string;
  certLine: string;
}

/** Creates a role. */
export async function addRole(env: NodeTestEnv, name: string, spec: RoleSpec): Promise<void> {
  await env.t.services.access.upsertRole(newRole(name, spec));
}

/** Creates a Teleport user with `roles` and logins trait, and issues their certificates. */
export async function addUserWithCert(env: NodeTestEnv, name: string, roles: string[], logins: string[]): Promise<UserCreds> {
  await addUser(env.t, name, roles, { traits: { logins } });
  return issueCert(env, name);
}

let credSeq = 0;

/** Issues a fresh SSH certificate for an existing user, as auth would at `tsh login`. */
export async function issueCert(env: NodeTestEnv, name: string): Promise<UserCreds> {
  const kp = generateKeyPair('ed25519');
  const user = await env.t.services.users.getUser(name);
  const certs = await env.t.auth.generateUserCerts(user, { sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(kp.publicKey)), ttlMs: 3600_000 });
  const base = path.join(env.dir, `${name}-${++credSeq}`);
  const keyPEM = formatOpenSSHPrivateKey(kp.privateKey);
  await writeFile(base, keyPEM, { mode: 0o600 });
  await writeFile(`${base}-cert.pub`, `${certs.sshCert}\n`);
  return { keyPath: base, certPath: `${base}-cert.pub`, keyPEM, certLine: certs.sshCert };
}

/** The outcome of an OpenSSH client run. */
export interface SSHResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * OpenSSH client arguments for `login@node` with `creds` (no config files, no agent, strict host
 * checks): `options`, the host, then `command`.
 */
export function sshArgs(env: NodeTestEnv, creds: UserCreds, login: string, options: string[] = [], command: string[] = []): string[] {
  // OpenSSH keeps the first value of an option: let `options` choose the agent.
  const agent = options.some((o) => o.startsWith('IdentityAgent=')) ? [] : ['-o', 'IdentityAgent=none'];
  return [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', ...agent,
    '-o', `IdentityFile=${creds.keyPath}`, '-o', `CertificateFile=${creds.certPath}`,
    '-o', `UserKnownHostsFile=${env.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'UpdateHostKeys=no', '-o', 'ConnectTimeout=10', '-p', String(env.node.address.port), '-l', login, ...options, '127.0.0.1', ...command,
  ];
}

/** Runs `ssh <args>` (with optional stdin) and collects its output. */
export function runSSH(args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<SSHResult> {
  return runProcess('ssh', args, opts);
}

/** Runs a client program and collects its output, killing it after a timeout. */
export function runProcess(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<SSHResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.env && { env: opts.env }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
