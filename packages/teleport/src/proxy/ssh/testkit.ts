/**
 * @module proxy/ssh/testkit
 * Test-only: a small cluster for the proxy SSH tests. A real auth API over mutual TLS (in-process,
 * fake clock set to now), the proxy SSH listener with an identity issued for role Proxy, a real
 * OpenSSH sshd registered as node "node1" (host certificate from the cluster host CA, user CA
 * trusted), and an OpenSSH client configuration file, because `ssh -J` passes only `-F` (not `-o`)
 * to the jump process it spawns. Everything listens on 127.0.0.1 and every process is stopped by pid.
 * Options set the cluster's session recording mode before the proxy starts, give the proxy a data
 * directory (its recording spool) and add sshd_config lines (e.g. the sftp subsystem).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import type { RecordingMode } from '@teleport-ts/api/types/clusterConfig';
import type { Server } from '@teleport-ts/api/types/server';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { startAuthTLSServer, type AuthTLSServer } from '../../auth/tlsServer.ts';
import { newTestAuthServer, TEST_CLUSTER, type TestAuth } from '../../auth/testAuthServer.ts';
import type { LocalIdentity } from '../../service/identityStore.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { hostCert, makeKey, startSshd, userCert, writePrivate, type RunResult, type TestCA, type TestKey, type TestSshd } from '../../sshutils/testkit.ts';
import { silentLogger } from '../../utils/logger.ts';
import { startProxySSHServer, type ProxySSHServer } from './server.ts';

/** UUID and hostname of the sshd node every test cluster registers. */
export const NODE_ID = '5d3c1c2e-0000-4000-8000-00000000a001';
export const NODE_NAME = 'node1';

/** A running test cluster. */
export interface ProxyTestCluster {
  t: TestAuth;
  authServer: AuthTLSServer;
  proxyIdentity: LocalIdentity;
  proxy: ProxySSHServer;
  sshd: TestSshd;
  userCA: TestCA;
  hostCA: TestCA;
  /** A client of the auth API as the proxy (for extra proxies). */
  proxyAuthClient(): AuthClient;
  /** Starts another proxy listener on 127.0.0.1:0 (closed by stop()). */
  startProxy(): Promise<ProxySSHServer>;
  stop(): Promise<void>;
}

async function caOf(t: TestAuth, type: 'user' | 'host'): Promise<TestCA> {
  const key = await t.auth.keyring.sshSigner(type);
  const blob = sshPublicKeyBlob(key);
  return { key, blob, line: formatAuthorizedKey(blob) };
}

/** A node resource for `addr`. */
export function nodeResource(name: string, hostname: string, addr: string, clock: FakeClock): Server {
  return { kind: 'node', version: 'v2', metadata: { name, expires: new Date(clock.nowMs() + 600_000).toISOString() }, spec: { addr, hostname } };
}

/** Options of {@link startProxyTestCluster}. */
export interface ProxyTestClusterOptions {
  /** session_recording_config mode, set before the proxy starts. */
  recordingMode?: RecordingMode;
  /** The proxy's data directory (recording spool). */
  proxyDataDir?: string;
  /** Extra sshd_config lines for the node. */
  sshdConfig?: string[];
}

/** Starts auth (mTLS), the proxy SSH listener and an sshd node in `dir`. */
export async function startProxyTestCluster(dir: string, opts: ProxyTestClusterOptions = {}): Promise<ProxyTestCluster> {
  const t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
  if (opts.recordingMode) {
    await t.services.clusterConfig.setSessionRecordingConfig({
      kind: 'session_recording_config', version: 'v2', metadata: { name: 'session-recording-config' }, spec: { mode: opts.recordingMode },
    });
  }
  const own = await issueLocalIdentity(t.auth, { hostId: 'auth-host', nodeName: 'auth', role: 'Auth', algorithm: 'ecdsa-p256' });
  const authServer = await startAuthTLSServer({ auth: t.auth, listenAddr: { host: '127.0.0.1', port: 0 }, certPEM: own.certPEM, keyPEM: own.keyPEM, logger: silentLogger });
  const proxyIdentity = await issueLocalIdentity(t.auth, { hostId: 'proxy-host', nodeName: 'proxy', role: 'Proxy', algorithm: 'ed25519' });
  const userCA = await caOf(t, 'user');
  const hostCA = await caOf(t, 'host');
  const hostKey = makeKey('ed25519');
  const sshd = await startSshd(dir, { hostKey, hostCertLine: hostCert(hostCA, hostKey, NODE_ID), userCA, ...(opts.sshdConfig && { extraConfig: opts.sshdConfig }) });
  await t.services.presence.upsertNode(nodeResource(NODE_ID, NODE_NAME, `127.0.0.1:${sshd.port}`, t.clock));

  const clients: AuthClient[] = [];
  const proxies: ProxySSHServer[] = [];
  const proxyAuthClient = (): AuthClient => {
    const c = new AuthClient({ addr: `127.0.0.1:${authServer.address.port}`, certPEM: proxyIdentity.certPEM, keyPEM: proxyIdentity.keyPEM, caCerts: proxyIdentity.tlsCACerts, timeoutMs: 10_000 });
    clients.push(c);
    return c;
  };
  const startProxy = async (): Promise<ProxySSHServer> => {
    const p = await startProxySSHServer({
      identity: proxyIdentity, authClient: proxyAuthClient(), listenAddr: { host: '127.0.0.1', port: 0 },
      clusterName: TEST_CLUSTER, clock: t.clock, logger: silentLogger, ...(opts.proxyDataDir !== undefined && { dataDir: opts.proxyDataDir }),
    });
    proxies.push(p);
    await p.nodes.ready;
    return p;
  };
  const proxy = await startProxy();
  return {
    t, authServer, proxyIdentity, proxy, sshd, userCA, hostCA, proxyAuthClient, startProxy,
    async stop() {
      await Promise.all(proxies.map((p) => p.close()));
      await sshd.stop();
      await authServer.close();
    },
  };
}

/** A user key with a certificate, written as OpenSSH files, and an ssh_config that uses them. */
export interface ClientFiles {
  key: TestKey;
  /** Path of the ssh_config file (pass with -F). */
  config: string;
}

/**
 * Writes `<name>` (private key), `<name>-cert.pub`, a known_hosts with `@cert-authority * <host CA>`
 * and `<name>.config` into `dir`. The certificate is alice's with login root, from `ca` (the
 * cluster's user CA unless a test wants a foreign one), optionally issued in the past.
 */
export async function writeClientFiles(dir: string, name: string, opts: { ca: TestCA; hostCA: TestCA; certClock?: FakeClock; ttlMs?: number }): Promise<ClientFiles> {
  const key = makeKey('ed25519');
  const keyPath = await writePrivate(dir, name, key.openssh);
  await writeFile(`${keyPath}-cert.pub`, `${userCert(opts.ca, key, { logins: ['root'], ...(opts.certClock && { clock: opts.certClock }), ...(opts.ttlMs && { ttlMs: opts.ttlMs }) })}\n`);
  const knownHosts = join(dir, `${name}.known_hosts`);
  await writeFile(knownHosts, `@cert-authority * ${opts.hostCA.line}\n`);
  const config = join(dir, `${name}.config`);
  await writeFile(config, [
    'Host *', 'BatchMode yes', 'IdentitiesOnly yes', 'IdentityAgent none', `IdentityFile ${keyPath}`, `CertificateFile ${keyPath}-cert.pub`,
    `UserKnownHostsFile ${knownHosts}`, 'GlobalKnownHostsFile /dev/null', 'StrictHostKeyChecking yes', 'UpdateHostKeys no',
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'ConnectTimeout 10', '',
  ].map((l, i) => (i === 0 ? l : `  ${l}`)).join('\n'));
  return { key, config };
}

/** Runs the real OpenSSH client with `-F config`, writing `input` to its stdin; killed after `timeoutMs`. */
export function runSSHWith(config: string, args: string[], timeoutMs = 20_000, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn('ssh', ['-F', config, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(input);
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

/** Polls `check` every 25 ms until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Audit events with `code` recorded so far. */
export const eventsWithCode = (t: TestAuth, code: string): AuditEvent[] => t.audit.all().filter((e) => e.code === code);
