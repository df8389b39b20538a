/**
 * @module service/tunnelNode.test
 * End to end: an in-process auth server, the proxy service with a reverse-tunnel listener, and SSH
 * node services started with **no listener**, dialling out to the proxy (plain TCP to the tunnel
 * port, and TLS ALPN on the web port). A user's SSH session goes client -> proxy SSH listener ->
 * tunnel -> node, with the node authenticating the user itself. The node records carry an empty
 * address and `use_tunnel: true`; once a node is gone the proxy says it is offline.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import { generateKeyPair } from '@teleport-ts/api/keys';
import { formatOpenSSHPrivateKey } from '@teleport-ts/api/sshcert/privateKey';
import { formatAuthorizedKey, parseAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { Server } from '@teleport-ts/api/types/server';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { AuthTLSServer } from '../auth/tlsServer.ts';
import { addUser, newTestAuthServer, TEST_CLUSTER, type TestAuth, startTestAuthTLS } from '../auth/testAuthServer.ts';
import { connectNode, ProxyClient, transportMessageOf } from '../client/ssh/proxyClient.ts';
import { silentLogger } from '../utils/logger.ts';
import { issueLocalIdentity } from './localIdentity.ts';
import { startNodeService, type NodeTunnelOptions, type RunningNodeService } from './nodeService.ts';
import { startProxyService, type RunningProxyService } from './proxyService.ts';

const isRoot = process.getuid?.() === 0;

async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function execOutput(conn: Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    conn.exec(command, (err, ch) => {
      if (err) return reject(err);
      let out = '';
      ch.on('data', (d: Buffer) => (out += d.toString()));
      ch.stderr.on('data', (d: Buffer) => (out += d.toString()));
      ch.on('close', () => resolve(out));
    });
  });
}

describe('SSH to a node that is reachable only through a reverse tunnel', { skip: !isRoot && 'sessions run as root' }, () => {
  let dir: string;
  let t: TestAuth;
  let auth: AuthTLSServer;
  let proxy: RunningProxyService;
  const nodes: RunningNodeService[] = [];
  let key: { privateKeyPEM: string; certLine: string };
  let hostCAKeys: Buffer[];

  const startNode = async (nodeName: string, tunnel: (p: RunningProxyService) => NodeTunnelOptions): Promise<{ hostId: string; node: RunningNodeService }> => {
    const hostId = `${nodeName}-${Math.random().toString(16).slice(2, 10)}`;
    const identity = await issueLocalIdentity(t.auth, { hostId, nodeName, role: 'Node', algorithm: 'ed25519' });
    const authClient = new AuthClient({ addr: `127.0.0.1:${auth.address.port}`, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts, timeoutMs: 10_000 });
    const node = await startNodeService({
      dataDir: join(dir, nodeName), hostId, nodeName, identity, authClient, tunnel: tunnel(proxy),
      labels: { env: 'nat' }, commands: [], clock: systemClock, logger: silentLogger, heartbeatIntervalMs: 500, trackerTiming: {},
    });
    nodes.push(node);
    return { hostId, node };
  };

  const ssh = async (target: string): Promise<string> => {
    const p = await ProxyClient.connect({ addr: `127.0.0.1:${proxy.ssh?.address.port ?? 0}`, key, login: 'root', hostCAKeys, cluster: TEST_CLUSTER });
    try {
      const conn = await connectNode(p, { node: target, port: 0, names: [target], display: target, login: 'root', key, hostCAKeys });
      try {
        return await execOutput(conn, 'echo hello from $(hostname -s >/dev/null; echo node)');
      } finally {
        conn.end();
      }
    } finally {
      p.close();
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunnel-node-'));
    t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
    auth = await startTestAuthTLS(t.auth);
    const proxyIdentity = await issueLocalIdentity(t.auth, { hostId: 'proxy-host', nodeName: 'localhost', role: 'Proxy', algorithm: 'ed25519' });
    proxy = await startProxyService({
      dataDir: join(dir, 'proxy'), nodeName: 'localhost', identity: proxyIdentity, authAddr: `127.0.0.1:${auth.address.port}`,
      webListenAddr: { host: '127.0.0.1', port: 0 }, sshListenAddr: { host: '127.0.0.1', port: 0 }, tunnelListenAddr: { host: '127.0.0.1', port: 0 },
      clock: systemClock, logger: silentLogger,
    });
    await t.services.access.upsertRole(newRole('node-access', { allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } }));
    await addUser(t, 'alice', ['node-access'], { traits: { logins: ['root'] } });
    const kp = generateKeyPair('ed25519');
    const certs = await t.auth.generateUserCerts(await t.services.users.getUser('alice'), {
      sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(kp.publicKey)), ttlMs: 3600_000,
    });
    key = { privateKeyPEM: formatOpenSSHPrivateKey(kp.privateKey), certLine: certs.sshCert };
    hostCAKeys = (proxyIdentity.sshHostCAKeys ?? []).map((l) => parseAuthorizedKey(l).blob);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close({ graceful: false })));
    await proxy?.close({ graceful: false });
    await auth?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('through the tunnel port: the session runs on the node; its record has no address and use_tunnel', async () => {
    const { hostId, node } = await startNode('natnode', (p) => ({ proxyAddr: `127.0.0.1:${p.tunnelAddr?.port ?? 0}`, alpn: false }));
    assert.deepEqual(node.address, { host: '', port: 0 });
    await node.tunnel?.waitForProxies(1);
    assert.deepEqual(node.tunnel?.connectedProxies(), ['proxy-host']);
    assert.ok(proxy.tunnel?.isConnected(hostId));
    const rec = await eventually(() => proxy.ssh?.nodes.nodes().find((n: Server) => n.metadata.name === hostId), 'the node record at the proxy');
    assert.equal(rec.spec.addr, '');
    assert.equal(rec.spec.use_tunnel, true);
    assert.equal(await ssh('natnode'), 'hello from node\n');
    assert.equal(await ssh(hostId), 'hello from node\n');

    // Gone from the tunnel (but the record still there): the proxy says why it cannot connect.
    await node.close({ graceful: false });
    await eventually(() => !proxy.tunnel?.isConnected(hostId), 'the tunnel to drop');
    await assert.rejects(ssh(hostId), /node natnode is offline or not connected to this proxy/);
  });

  test('through the web port by TLS ALPN', async () => {
    const { hostId, node } = await startNode('alpnnode', (p) => ({ proxyAddr: `127.0.0.1:${p.web.address.port}`, alpn: true, insecureTLS: true }));
    await node.tunnel?.waitForProxies(1);
    await eventually(() => proxy.ssh?.nodes.nodes().find((n: Server) => n.metadata.name === hostId), 'the node record at the proxy');
    assert.equal(await ssh('alpnnode'), 'hello from node\n');
  });

  test("the node sees the client's address, as the proxy saw it", async () => {
    await startNode('addrnode', (p) => ({ proxyAddr: `127.0.0.1:${p.tunnelAddr?.port ?? 0}`, alpn: false }));
    await eventually(() => proxy.ssh?.nodes.nodes().find((n: Server) => n.spec.hostname === 'addrnode'), 'the node record at the proxy');
    const p = await ProxyClient.connect({ addr: `127.0.0.1:${proxy.ssh?.address.port ?? 0}`, key, login: 'root', hostCAKeys, cluster: TEST_CLUSTER });
    try {
      const conn = await connectNode(p, { node: 'addrnode', port: 0, names: ['addrnode'], display: 'addrnode', login: 'root', key, hostCAKeys });
      const sshClient = (await execOutput(conn, 'echo $SSH_CLIENT')).trim().split(' ');
      conn.end();
      const local = p.client as unknown as { _sock?: { localPort?: number } };
      assert.equal(sshClient[0], '127.0.0.1');
      assert.equal(Number(sshClient[1]), local._sock?.localPort, 'the source port is the one the client connected from');
    } finally {
      p.close();
    }
  });

  test('a session whose tunnel dies ends, and the proxy says the tunnel was lost', async () => {
    const { node } = await startNode('lostnode', (p) => ({ proxyAddr: `127.0.0.1:${p.tunnelAddr?.port ?? 0}`, alpn: false }));
    await node.tunnel?.waitForProxies(1);
    await eventually(() => proxy.ssh?.nodes.nodes().find((n: Server) => n.spec.hostname === 'lostnode'), 'the node record at the proxy');
    const p = await ProxyClient.connect({ addr: `127.0.0.1:${proxy.ssh?.address.port ?? 0}`, key, login: 'root', hostCAKeys, cluster: TEST_CLUSTER });
    try {
      const conn = await connectNode(p, { node: 'lostnode', port: 0, names: ['lostnode'], display: 'lostnode', login: 'root', key, hostCAKeys });
      const ended = new Promise<void>((resolve) => conn.once('close', () => resolve()));
      const started = new Promise<void>((resolve, reject) => {
        conn.exec('echo started; sleep 30', (err, ch) => {
          if (err) return reject(err);
          ch.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
        });
      });
      await started;
      // The agent's side of the tunnel goes away (as when its host drops off the network).
      await node.tunnel?.close();
      await ended;
      assert.match(transportMessageOf(conn), /reverse tunnel to .* was lost/);
    } finally {
      p.close();
    }
  });
});
