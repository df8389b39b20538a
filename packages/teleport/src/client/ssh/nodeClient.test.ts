/**
 * @module client/ssh/nodeClient.test
 * The SSH client library end to end against the real proxy SSH listener (proxy/ssh) and real
 * OpenSSH sshd nodes: commands and shells through the proxy subsystem and direct-tcpip, exit
 * statuses, host and user certificate refusals with their messages, SFTP transfers checked by
 * checksum, the three kinds of port forwarding, and running one command on several nodes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { Client } from 'ssh2';
import { AccessDeniedError, NotFoundError, TrustError } from '@teleport-ts/api/errors';
import { systemClock } from '@teleport-ts/api/clock';
import { formatCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { formatAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import { TEST_CLUSTER } from '../../auth/testAuthServer.ts';
import { issueUserSSHCert } from '../../ca/sshCertIssuer.ts';
import { eventually, NODE_ID, startProxyTestCluster, type ProxyTestCluster } from '../../proxy/ssh/testkit.ts';
import { hasOpenSSH, hostCert, makeCA, makeKey, startSshd, userCert, writePrivate, type TestSshd } from '../../sshutils/testkit.ts';
import { startDynamicForward, startLocalForward, startRemoteForwards } from './forward.ts';
import { execOnMany } from './multiExec.ts';
import { connectNode, ProxyClient, type DialMethod } from './proxyClient.ts';
import { runSession } from './session.ts';
import { downloadFiles, openSFTP, uploadFiles } from './sftp.ts';

const FILES_ID = '5d3c1c2e-0000-4000-8000-00000000f11e';
const isRoot = process.getuid?.() === 0;
let dir: string;
let c: ProxyTestCluster;
let files: TestSshd;
let echo: NetServer;
let echoPort: number;
const key = makeKey('ed25519');
let certLine: string;
const opened: Array<() => void> = [];

async function proxy(opts: { login?: string; cert?: string; hostCAKeys?: Buffer[] } = {}): Promise<ProxyClient> {
  const p = await ProxyClient.connect({
    addr: `127.0.0.1:${c.proxy.address.port}`, key: { privateKeyPEM: key.pem, certLine: opts.cert ?? certLine },
    login: opts.login ?? 'root', hostCAKeys: opts.hostCAKeys ?? [c.hostCA.blob], cluster: TEST_CLUSTER,
  });
  opened.push(() => p.close());
  return p;
}

async function node(opts: { name?: string; names?: string[]; login?: string; cert?: string; method?: DialMethod } = {}): Promise<Client> {
  const name = opts.name ?? 'node1';
  const login = opts.login ?? 'root';
  const p = await proxy({ login, ...(opts.cert && { cert: opts.cert }) });
  const conn = await connectNode(p, {
    node: name, port: name === 'node1' ? c.sshd.port : files.port, names: opts.names ?? [name, NODE_ID, FILES_ID], display: name, login,
    key: { privateKeyPEM: key.pem, certLine: opts.cert ?? certLine }, hostCAKeys: [c.hostCA.blob], ...(opts.method && { method: opts.method }),
  });
  opened.push(() => conn.end());
  return conn;
}

function capture(stdin = ''): { io: { stdin: Readable; stdout: PassThrough; stderr: PassThrough }; out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdin: Readable.from(stdin ? [stdin] : []), stdout, stderr }, out: () => o, err: () => e };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('SSH client library through the proxy to OpenSSH nodes', { skip: (!hasOpenSSH && 'OpenSSH is not installed') || (!isRoot && 'sshd tests log in as root') }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'client-ssh-'));
    c = await startProxyTestCluster(dir);
    // Like a role with port and agent forwarding allowed (testkit's userCert permits neither).
    certLine = formatCertificateLine(issueUserSSHCert({
      caPrivateKey: c.userCA.key, publicKey: key.blob, username: 'alice', logins: ['root'], ttlMs: 3600_000, clock: systemClock,
      permitAgentForwarding: true, permitPortForwarding: true, roles: ['access'], traits: {},
    }), 'alice');
    await mkdir(join(dir, 'files'));
    const hostKey = makeKey('ed25519');
    files = await startSshd(join(dir, 'files'), {
      hostKey, hostCertLine: hostCert(c.hostCA, hostKey, FILES_ID), userCA: c.userCA,
      extraConfig: ['Subsystem sftp /usr/lib/openssh/sftp-server', 'AllowTcpForwarding yes'],
    });
    await c.t.services.presence.upsertNode({
      kind: 'node', version: 'v2', metadata: { name: FILES_ID, labels: { env: 'test' }, expires: new Date(Date.now() + 600_000).toISOString() },
      spec: { hostname: 'files', addr: `127.0.0.1:${files.port}` },
    });
    await eventually(() => (c.proxy.nodes.nodes().some((n) => n.metadata.name === FILES_ID) ? true : undefined), 'the files node in the proxy cache');
    echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as AddressInfo).port;
  });
  after(async () => {
    for (const close of opened) close();
    echo?.close();
    await files?.stop();
    await c?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a command through the proxy subsystem: stdout, stderr and the exit status', async () => {
    const conn = await node();
    const cap = capture();
    const code = await runSession(conn, cap.io, { command: 'echo out; echo err >&2; exit 3', pty: false });
    assert.equal(code, 3);
    assert.equal(cap.out(), 'out\n');
    assert.equal(cap.err(), 'err\n');
  });

  it('also connects over direct-tcpip, and runs a shell fed from stdin', async () => {
    const conn = await node({ method: 'direct-tcpip' });
    const cap = capture('echo from-shell\nexit 4\n');
    assert.equal(await runSession(conn, cap.io, { pty: false }), 4);
    assert.equal(cap.out(), 'from-shell\n');
  });

  it('refuses a node whose host certificate does not name it', async () => {
    await assert.rejects(node({ names: ['other-node'] }), (err: Error) => {
      assert.ok(err instanceof TrustError, String(err));
      assert.match(err.message, /^refusing to connect to node1: other-node presented a host certificate for .*5d3c1c2e.*, not for other-node$/);
      return true;
    });
  });

  it('refuses a proxy whose certificate is from another CA', async () => {
    await assert.rejects(proxy({ hostCAKeys: [makeCA().blob] }), (err: Error) => {
      assert.ok(err instanceof TrustError, String(err));
      assert.match(err.message, /refusing to connect to proxy 127\.0\.0\.1:\d+: .*unknown certificate authority .*run 'tsh login' again/);
      return true;
    });
  });

  it('reports a login the node refuses as "access denied to login@node"', async () => {
    const aliceOnly = userCert(c.userCA, key, { logins: ['alice'] });
    await assert.rejects(node({ cert: aliceOnly, login: 'root' }), (err: Error) => {
      assert.ok(err instanceof AccessDeniedError, String(err));
      assert.match(err.message, /^access denied to root@node1: /);
      return true;
    });
  });

  it('passes on the proxy\'s reason when it cannot reach the node', async () => {
    const p = await proxy();
    await assert.rejects(connectNode(p, {
      node: 'db-7', port: 3022, names: ['db-7'], display: 'db-7', login: 'root', key: { privateKeyPEM: key.pem, certLine }, hostCAKeys: [c.hostCA.blob],
    }), (err: Error) => {
      // The proxy's message already says what to do, so it is passed on as is, as a NotFoundError.
      assert.ok(err instanceof NotFoundError, String(err));
      assert.equal(err.message, "node 'db-7' not found; 'tsh ls' lists nodes");
      return true;
    });
  });

  it('uploads and downloads files and directories over SFTP with identical contents and modes', async () => {
    const conn = await node({ name: 'files' });
    const sftp = await openSFTP(conn);
    const local = join(dir, 'up');
    await mkdir(join(local, 'tree', 'sub'), { recursive: true });
    const big = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(join(local, 'big.bin'), big, { mode: 0o640 });
    await writeFile(join(local, 'tree', 'a.txt'), 'a\n');
    await writeFile(join(local, 'tree', 'sub', 'b.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const remote = join(dir, 'remote');
    await mkdir(remote);
    const progress: number[] = [];
    await uploadFiles(sftp, [join(local, 'big.bin'), join(local, 'tree')], remote, {
      recursive: true, onProgress: (f, done) => void (f === 'big.bin' && progress.push(done)),
    });
    assert.equal(sha(await readFile(join(remote, 'big.bin'))), sha(big));
    assert.equal((await stat(join(remote, 'big.bin'))).mode & 0o777, 0o640);
    assert.equal(await readFile(join(remote, 'tree', 'sub', 'b.sh'), 'utf8'), '#!/bin/sh\n');
    assert.equal((await stat(join(remote, 'tree', 'sub', 'b.sh'))).mode & 0o777, 0o755);
    assert.equal(progress.at(-1), big.length);

    const down = join(dir, 'down');
    await downloadFiles(sftp, [join(remote, 'tree')], down, { recursive: true });
    assert.equal(await readFile(join(down, 'a.txt'), 'utf8'), 'a\n');
    assert.equal((await stat(join(down, 'sub', 'b.sh'))).mode & 0o777, 0o755);
    await downloadFiles(sftp, [join(remote, 'big.bin')], join(dir, 'copy.bin'), { recursive: false });
    assert.equal(sha(await readFile(join(dir, 'copy.bin'))), sha(big));

    await assert.rejects(uploadFiles(sftp, [join(local, 'tree')], remote, { recursive: false }), /tree is a directory: use -r to copy directories/);
    await assert.rejects(downloadFiles(sftp, ['/nonexistent/file'], down, { recursive: false }), /\/nonexistent\/file: no such file or directory on the node/);
    await assert.rejects(uploadFiles(sftp, [join(local, 'big.bin'), join(local, 'tree')], join(remote, 'big.bin'), { recursive: true }), /is not a directory on the node/);
    sftp.end();
  });

  it('forwards ports: -L, -D (SOCKS5) and -R', async () => {
    const conn = await node({ name: 'files' });
    const warnings: string[] = [];
    const warn = (m: string): void => void warnings.push(m);
    const roundTrip = (port: number, preamble?: Buffer, replyLen = 0): Promise<string> => new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        if (preamble) s.write(preamble);
        s.end('ping');
      });
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
      s.on('end', () => resolve(got.subarray(replyLen).toString()));
      s.on('error', reject);
    });

    const local = await startLocalForward(conn, { bindAddr: '127.0.0.1', bindPort: 0, host: '127.0.0.1', port: echoPort }, warn);
    assert.equal(await roundTrip((local.address() as AddressInfo).port), 'ping');
    local.close();

    const socks = await startDynamicForward(conn, { bindAddr: '127.0.0.1', bindPort: 0 }, warn);
    const port = Buffer.alloc(2);
    port.writeUInt16BE(echoPort);
    const hello = Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1]), port]);
    assert.equal(await roundTrip((socks.address() as AddressInfo).port, hello, 2 + 10), 'ping');
    socks.close();

    const [bound] = await startRemoteForwards(conn, [{ bindAddr: '127.0.0.1', bindPort: 0, host: '127.0.0.1', port: echoPort }], warn);
    assert.ok(bound && bound > 0);
    assert.equal(await roundTrip(bound), 'ping');
    assert.deepEqual(warnings, []);
  });

  it('forwards the local ssh-agent with -A', async () => {
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await eventually(() => (existsSync(sock) ? true : undefined), 'the ssh-agent socket');
      const agentKey = makeKey('ed25519');
      const keyPath = await writePrivate(dir, 'agent_key', agentKey.openssh);
      assert.equal(spawnSync('ssh-add', [keyPath], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' }).status, 0);
      const p = await proxy();
      const conn = await connectNode(p, {
        node: 'files', port: files.port, names: [FILES_ID], display: 'files', login: 'root', key: { privateKeyPEM: key.pem, certLine },
        hostCAKeys: [c.hostCA.blob], agentForward: sock,
      });
      opened.push(() => conn.end());
      const cap = capture();
      assert.equal(await runSession(conn, cap.io, { command: 'ssh-add -L', pty: false }), 0, cap.err());
      assert.equal(cap.out().split(' ').slice(0, 2).join(' '), formatAuthorizedKey(agentKey.blob));
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('runs one command on several nodes with prefixed output and the worst exit status', async () => {
    const cap = capture();
    const code = await execOnMany([
      { name: 'node1', connect: () => node() },
      { name: 'files', connect: () => node({ name: 'files' }) },
      { name: 'ghost', connect: () => Promise.reject(new Error('node is offline')) },
    ], 'echo one; printf two', cap.io);
    assert.equal(code, 255);
    const lines = cap.out().split('\n').filter(Boolean).sort();
    assert.deepEqual(lines, ['[files] one', '[files] two', '[node1] one', '[node1] two']);
    assert.equal(cap.err(), '[ghost] ERROR: node is offline\n');
    const ok = capture();
    assert.equal(await execOnMany([{ name: 'node1', connect: () => node() }, { name: 'files', connect: () => node({ name: 'files' }) }], 'exit 2', ok.io), 2);
  });
});
