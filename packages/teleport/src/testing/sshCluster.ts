/**
 * @module testing/sshCluster
 * Test-only: the tsh test cluster (auth, web proxy and the proxy's SSH listener) plus SSH node
 * services started from their module with identities issued by auth, all in-process on 127.0.0.1
 * port 0, for end-to-end tests of `tsh ssh`, `scp`, `ls`, `join` and OpenSSH through `tsh config`.
 * `login()` runs the real `tsh login` (second factor off) and checks that the profile points at the
 * SSH listener the proxy's ping advertised. Also small process helpers for those tests.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { systemClock } from '@teleport-ts/api/clock';
import type { Server } from '@teleport-ts/api/types/server';
import type { ProxySSHServer } from '../proxy/ssh/server.ts';
import { issueLocalIdentity } from '../service/localIdentity.ts';
import { startNodeService, type RunningNodeService } from '../service/nodeService.ts';
import { silentLogger } from '../utils/logger.ts';
import { runTsh } from '../tool/tsh/main.ts';
import { startTestCluster, tsh, type TestCluster, type TestUser } from './tshCluster.ts';

/** A node service started by the test cluster. */
export interface TestNode {
  hostId: string;
  nodeName: string;
  service: RunningNodeService;
}

/** The cluster with SSH. */
export interface SSHTestCluster {
  base: TestCluster;
  proxySSH: ProxySSHServer;
  /** "127.0.0.1:<port>" of the proxy's SSH listener. */
  sshProxyAddr: string;
  nodes: TestNode[];
  /** Starts a node service and waits until the proxy knows it. */
  startNode(nodeName: string, labels?: Record<string, string>): Promise<TestNode>;
  /** `tsh login` as `user` into `home` (second factor off). */
  login(user: TestUser, home: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts auth, the web proxy, the proxy SSH listener and no nodes yet. */
export async function startSSHTestCluster(): Promise<SSHTestCluster> {
  const base = await startTestCluster({ secondFactor: 'off' });
  const dataDir = await mkdtemp(join(tmpdir(), 'tsh-ssh-cluster-'));
  const authAddr = base.proc.authAddr ?? '';
  const clientFor = (id: { certPEM: string; keyPEM: string; tlsCACerts: string[] }): AuthClient =>
    new AuthClient({ addr: authAddr, certPEM: id.certPEM, keyPEM: id.keyPEM, caCerts: id.tlsCACerts, timeoutMs: 10_000 });
  const proxySSH = base.proc.proxy?.ssh;
  if (!proxySSH) throw new Error('the test cluster runs no proxy SSH listener');
  await proxySSH.nodes.ready;
  const sshProxyAddr = `127.0.0.1:${proxySSH.address.port}`;
  const nodes: TestNode[] = [];

  return {
    base, proxySSH, sshProxyAddr, nodes,
    async startNode(nodeName, labels = {}) {
      const hostId = randomUUID();
      const identity = await issueLocalIdentity(base.auth, { hostId, nodeName, role: 'Node', algorithm: 'ed25519' });
      const service = await startNodeService({
        dataDir: join(dataDir, nodeName), hostId, nodeName, identity, authClient: clientFor(identity),
        listenAddr: { host: '127.0.0.1', port: 0 }, labels, commands: [], clock: systemClock, logger: silentLogger,
        heartbeatIntervalMs: 1_000, trackerTiming: {},
      });
      const node = { hostId, nodeName, service };
      nodes.push(node);
      const deadline = Date.now() + 10_000;
      while (!proxySSH.nodes.nodes().some((n: Server) => n.metadata.name === hostId)) {
        if (Date.now() > deadline) throw new Error(`node ${nodeName} did not reach the proxy's node cache`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return node;
    },
    async login(user, home) {
      const res = await tsh(['login', `--proxy=${base.webAddr}`, `--user=${user.name}`, '--insecure'], { TELEPORT_HOME: home }, `${user.password}\n`);
      if (res.code !== 0) throw new Error(`tsh login failed: ${res.stderr}`);
      const profile = await readFile(join(home, `${base.webAddr.replace(/:\d+$/, '')}.yaml`), 'utf8');
      if (!profile.includes(`ssh_proxy_addr: ${sshProxyAddr}\n`)) throw new Error(`the profile does not point at ${sshProxyAddr}:\n${profile}`);
    },
    async close() {
      await Promise.all(nodes.map((n) => n.service.close({ graceful: false })));
      await base.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A free loopback port (for listeners that need a fixed port, like `tsh ssh -L`). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs a program (the tsh binary, OpenSSH) with extra environment; killed after `timeoutMs`. */
export function runProcess(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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

/** Runs tsh in-process with a stdin that stays open until the caller ends it. */
export function tshWithStreams(argv: string[], env: Record<string, string>): { code: Promise<number>; stdin: PassThrough; stdout(): string; stderr(): string } {
  const stdin = new PassThrough();
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  return { code: runTsh(argv, { stdin, stdout: out, stderr: err, env }), stdin, stdout: () => o, stderr: () => e };
}
