/**
 * @module sshutils/testkit
 * Test-only helpers for the sshutils tests: throwaway CAs, keys and certificates issued by our real
 * issuers, an ssh2 Server wired with sshServerHostKeys + verifyUserCertAuth that runs `exec` requests
 * with `sh -c`, and runners for the real OpenSSH `ssh` client and `sshd`. Every server listens on
 * 127.0.0.1 and every process started here is stopped by its pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import ssh2 from 'ssh2';
import type { Connection, ConnectConfig, EncryptedPrivateKey } from 'ssh2';
import { FakeClock, systemClock, type Clock } from '@teleport-ts/api/clock';
import { generateKeyPair, privateKeyToPEM, type KeyAlgorithm } from '@teleport-ts/api/keys';
import { formatCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { formatOpenSSHPrivateKey } from '@teleport-ts/api/sshcert/privateKey';
import { issueHostSSHCert, issueUserSSHCert } from '../ca/sshCertIssuer.ts';
import { verifyUserCertAuth, type UserCertAuthResult } from './userCertAuth.ts';

/** True when the OpenSSH client and server binaries are installed; real-OpenSSH tests skip otherwise. */
export const hasOpenSSH = !spawnSync('ssh', ['-V'], { stdio: 'ignore' }).error && existsSync('/usr/sbin/sshd');

/** A CA key pair with its public blob and authorized_keys line. */
export interface TestCA {
  key: KeyObject;
  blob: Buffer;
  line: string;
}

/** A fresh CA of the given algorithm. */
export function makeCA(alg: KeyAlgorithm = 'ed25519'): TestCA {
  const key = generateKeyPair(alg).privateKey;
  const blob = sshPublicKeyBlob(key);
  return { key, blob, line: formatAuthorizedKey(blob) };
}

/** A subject key with its PKCS#8 PEM and OpenSSH private key file text. */
export interface TestKey {
  key: KeyObject;
  pem: string;
  openssh: string;
  blob: Buffer;
}

/** A fresh subject key. */
export function makeKey(alg: KeyAlgorithm = 'ed25519'): TestKey {
  const key = generateKeyPair(alg).privateKey;
  return { key, pem: privateKeyToPEM(key), openssh: formatOpenSSHPrivateKey(key), blob: sshPublicKeyBlob(key) };
}

/** A user certificate line for `subject`, issued by `ca` through the real issuer. */
export function userCert(ca: TestCA, subject: TestKey, opts: { logins?: string[]; ttlMs?: number; clock?: Clock; sourceAddress?: string } = {}): string {
  const blob = issueUserSSHCert({
    caPrivateKey: ca.key, publicKey: subject.blob, username: 'alice', logins: opts.logins ?? ['root', 'alice'],
    ttlMs: opts.ttlMs ?? 3600_000, clock: opts.clock ?? systemClock, permitAgentForwarding: false,
    permitPortForwarding: false, roles: ['access'], traits: {}, ...(opts.sourceAddress && { sourceAddress: opts.sourceAddress }),
  });
  return formatCertificateLine(blob, 'alice');
}

/** A host certificate line for `subject` (principals include 127.0.0.1 and localhost). */
export function hostCert(ca: TestCA, subject: TestKey, hostId = 'node-uuid-1'): string {
  const blob = issueHostSSHCert({
    caPrivateKey: ca.key, publicKey: subject.blob, hostId, nodeName: 'node1', clusterName: 'example.com',
    role: 'Node', clock: systemClock,
  });
  return formatCertificateLine(blob, hostId);
}

/** A clock `ms` in the past, for issuing already-expired certificates. */
export const clockAgo = (ms: number): Clock => new FakeClock(Date.now() - ms);

/** A throwaway directory, removed after `fn`. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sshutils-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a file with mode 0600 (OpenSSH refuses readable private keys) and returns its path. */
export async function writePrivate(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
  return path;
}

/** A running ssh2 test server. */
export interface TestSSH2Server {
  port: number;
  /** Every verifyUserCertAuth outcome, in order. */
  results: UserCertAuthResult[];
  /** The publickey algorithm of each attempt (ctx.key.algo), in the same order. */
  algos: string[];
  close(): Promise<void>;
}

/** Starts an ssh2 Server on 127.0.0.1:0 that authenticates by user certificate and runs exec requests. */
export async function startSSH2Server(opts: { hostKeys: EncryptedPrivateKey[]; userCAKeys: Buffer[] }): Promise<TestSSH2Server> {
  const results: UserCertAuthResult[] = [];
  const algos: string[] = [];
  const conns = new Set<Connection>();
  const server = new ssh2.Server({ hostKeys: opts.hostKeys }, (client) => {
    conns.add(client);
    client.on('close', () => conns.delete(client));
    client.on('error', () => undefined); // refused clients disconnect abruptly; nothing to do
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      void verifyUserCertAuth(ctx, { userCAKeys: opts.userCAKeys, now: new Date(), login: ctx.username, remoteAddr: '127.0.0.1' }).then((res) => {
        results.push(res);
        algos.push(ctx.key.algo);
        if (res.ok) ctx.accept();
        else ctx.reject(['publickey']);
      });
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          const child = spawn('sh', ['-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'] });
          child.stdout.pipe(stream, { end: false });
          child.stderr.pipe(stream.stderr, { end: false });
          stream.pipe(child.stdin);
          child.on('close', (code) => {
            stream.exit(code ?? 1);
            stream.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('ssh2 server has no TCP address');
  return {
    port: address.port,
    results,
    algos,
    close: () => new Promise<void>((resolve) => {
      for (const c of conns) c.end();
      server.close(() => resolve());
    }),
  };
}

/** The outcome of one command run by a client. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real OpenSSH client with a per-test configuration (no ~/.ssh, no agent) and a timeout. */
export function runSSH(args: string[], timeoutMs = 20_000): Promise<RunResult> {
  const base = [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none',
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'UpdateHostKeys=no',
    '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no', '-o', 'ConnectTimeout=10',
  ];
  return runProcess('ssh', [...base, ...args], timeoutMs);
}

function runProcess(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A free loopback port (sshd refuses `Port 0`, so we pick one and let startSshd retry on a clash). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Live child pids of `pid` (Linux /proc; empty elsewhere). */
function childrenOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** A running sshd. */
export interface TestSshd {
  port: number;
  /** Everything sshd logged so far (it runs with -e). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `/usr/sbin/sshd -D -e` on 127.0.0.1 with a host certificate and trusted user CA: logins are
 * allowed when the certificate lists the OS user as a principal (sshd's default without
 * AuthorizedPrincipalsFile). Tests run as root, hence PermitRootLogin. `extraConfig` adds sshd_config
 * lines (e.g. `Subsystem sftp /usr/lib/openssh/sftp-server`).
 */
export async function startSshd(dir: string, opts: { hostKey: TestKey; hostCertLine: string; userCA: TestCA; extraConfig?: string[] }): Promise<TestSshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const hostKeyPath = await writePrivate(dir, 'ssh_host_key', opts.hostKey.openssh);
  await writeFile(`${hostKeyPath}-cert.pub`, `${opts.hostCertLine}\n`);
  await writeFile(join(dir, 'user_ca.pub'), `${opts.userCA.line}\n`);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    await writeFile(config, [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKeyPath}`, `HostCertificate ${hostKeyPath}-cert.pub`,
      `TrustedUserCAKeys ${join(dir, 'user_ca.pub')}`, 'AuthorizedKeysFile none', 'PermitRootLogin yes',
      'PidFile none', 'UsePAM no', 'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
      'LogLevel VERBOSE', ...(opts.extraConfig ?? []), '',
    ].join('\n'));
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      child.stderr.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('Server listening on')) { clearTimeout(timer); resolve(true); }
      });
      child.on('exit', () => { clearTimeout(timer); resolve(false); });
    });
    const stop = async (): Promise<void> => {
      // Let per-connection children finish first: orphaned, they would stay zombies under this
      // machine's init, which does not reap them.
      for (let i = 0; i < 50 && child.pid !== undefined && childrenOf(child.pid).length > 0; i++) await sleep(100);
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    };
    if (ready) return { port, log: () => log, stop };
    await stop();
    if (attempt >= 2 || !log.includes('Address already in use')) throw new Error(`sshd did not start:\n${log}`);
  }
}

/** Connects an ssh2 Client, runs `command` and resolves with its output and exit code (or the error). */
export function ssh2Exec(config: ConnectConfig, command: string): Promise<RunResult & { error?: Error }> {
  return new Promise((resolve) => {
    const conn = new ssh2.Client();
    let stdout = '';
    let stderr = '';
    let done = false;
    const finish = (r: RunResult & { error?: Error }): void => {
      if (done) return;
      done = true;
      conn.end();
      resolve(r);
    };
    conn.on('error', (error) => finish({ code: null, stdout, stderr, error }));
    conn.on('ready', () => {
      conn.exec(command, (err, stream) => {
        if (err) return finish({ code: null, stdout, stderr, error: err });
        let code: number | null = null;
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('close', () => finish({ code, stdout, stderr }));
      });
    });
    conn.connect({ readyTimeout: 15_000, ...config });
  });
}
