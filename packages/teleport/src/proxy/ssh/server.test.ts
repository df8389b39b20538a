/**
 * @module proxy/ssh/server.test
 * The proxy SSH listener against real OpenSSH on both sides: the `ssh` client jumps through the proxy
 * (`-J`, and a ProxyCommand that opens the `proxy:` subsystem with `ssh -s`) to a real sshd
 * registered as node "node1", by hostname, UUID and `<name>.<cluster>`; unknown nodes, foreign and
 * expired certificates and shell requests are refused with messages and events; the node cache
 * follows the watch stream; closing the proxy ends forwarded connections.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { FakeClock } from '@teleport-ts/api/clock';
import { EventCodes } from '@teleport-ts/api/events/codes';
import { TEST_CLUSTER } from '../../auth/testAuthServer.ts';
import { sshClientAuthConfig } from '../../sshutils/clientAuth.ts';
import { hasOpenSSH, makeCA, type TestKey } from '../../sshutils/testkit.ts';
import {
  eventsWithCode, eventually, NODE_ID, NODE_NAME, nodeResource, runSSHWith, startProxyTestCluster, writeClientFiles,
  type ClientFiles, type ProxyTestCluster,
} from './testkit.ts';
import { userCert } from '../../sshutils/testkit.ts';
import { silentLogger } from '../../utils/logger.ts';
import { UserCAKeys } from './userCAKeys.ts';

const isRoot = process.getuid?.() === 0;

describe('proxy SSH listener with OpenSSH', { skip: (!hasOpenSSH && 'OpenSSH is not installed') || (!isRoot && 'sshd tests log in as root') }, () => {
  let dir: string;
  let c: ProxyTestCluster;
  let alice: ClientFiles;
  let jump: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'proxy-ssh-'));
    c = await startProxyTestCluster(dir);
    alice = await writeClientFiles(dir, 'alice', { ca: c.userCA, hostCA: c.hostCA });
    jump = `root@127.0.0.1:${c.proxy.address.port}`;
  });

  after(async () => {
    await c.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('ssh -J runs a command on node1 by hostname, UUID and <name>.<cluster>', async () => {
    // The jump login need not be a principal: the node checks the login it is asked for.
    const jumps = [jump, jump, `ubuntu@127.0.0.1:${c.proxy.address.port}`];
    for (const [i, host] of [NODE_NAME, NODE_ID, `${NODE_NAME}.${TEST_CLUSTER}`].entries()) {
      const res = await runSSHWith(alice.config, ['-J', jumps[i] ?? jump, `root@${host}`, 'echo hi']);
      assert.equal(res.stdout, 'hi\n', `${host}: ${res.stderr}\n${c.sshd.log()}`);
      assert.equal(res.code, 0);
    }
    const connects = await eventually(() => {
      const evs = eventsWithCode(c.t, EventCodes.sessionConnect);
      return evs.length >= 3 ? evs : undefined;
    }, 'three session.connect events');
    const ev = connects[0];
    assert.equal(ev?.event, 'session.connect');
    assert.equal(ev?.user, 'alice');
    assert.equal(ev?.login, 'root');
    assert.equal(ev?.server_id, NODE_ID);
    assert.equal(ev?.server_addr, `127.0.0.1:${c.sshd.port}`);
    assert.match(String(ev?.['addr.remote']), /^127\.0\.0\.1:\d+$/);
  });

  test('bulk output comes through the pipe intact (flow control both ways)', async () => {
    const res = await runSSHWith(alice.config, ['-J', jump, `root@${NODE_NAME}`, 'head -c 8000000 /dev/zero | tr "\\0" x']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.length, 8_000_000);
    assert.ok(/^x+$/.test(res.stdout));
  });

  test('the user CA keys come from the watched cert_authority resources', async () => {
    const cas = new UserCAKeys({ cas: c.proxyAuthClient(), clusterName: TEST_CLUSTER, initial: [], logger: silentLogger });
    try {
      await cas.ready;
      assert.deepEqual(cas.keys(), [c.userCA.blob]);
    } finally {
      await cas.close();
    }
  });

  test('a ProxyCommand opening the proxy: subsystem with ssh -s reaches node1', async () => {
    const proxyCommand = `ssh -F ${alice.config} -T -p ${c.proxy.address.port} -s root@127.0.0.1 proxy:%h:%p@${TEST_CLUSTER}`;
    const res = await runSSHWith(alice.config, ['-o', `ProxyCommand=${proxyCommand}`, `root@${NODE_NAME}`, 'echo hi']);
    assert.equal(res.stdout, 'hi\n', `${res.stderr}\n${c.sshd.log()}`);
    assert.equal(res.code, 0);
  });

  test('an unknown node is refused with a clear message (direct-tcpip and subsystem)', async () => {
    const res = await runSSHWith(alice.config, ['-J', jump, 'root@db-7', 'true']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /node 'db-7' not found; 'tsh ls' lists nodes/);

    const viaSubsystem = await ssh2Subsystem(c, alice.key, `proxy:db-7:22@${TEST_CLUSTER}`);
    assert.equal(viaSubsystem.code, 1);
    assert.match(viaSubsystem.stderr, /ERROR: node 'db-7' not found; 'tsh ls' lists nodes/);
    const otherCluster = await ssh2Subsystem(c, alice.key, 'proxy:node1:22@elsewhere.com');
    assert.match(otherCluster.stderr, /cluster "elsewhere.com" is not served by this proxy/);
  });

  test('asking the proxy itself for a command says what to do instead', async () => {
    const res = await runSSHWith(alice.config, ['-p', String(c.proxy.address.port), 'root@127.0.0.1', 'echo hi']);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /this is the Teleport proxy.*tsh ssh <node>/);
  });

  test('certificates from a foreign CA or expired ones are refused with an auth (T3007W) event', async () => {
    const foreign = await writeClientFiles(dir, 'mallory', { ca: makeCA(), hostCA: c.hostCA });
    const expired = await writeClientFiles(dir, 'late', { ca: c.userCA, hostCA: c.hostCA, certClock: new FakeClock(Date.now() - 2 * 3_600_000), ttlMs: 3_600_000 });
    for (const [files, reason] of [[foreign, /unknown certificate authority/], [expired, /expired .* ago: run 'tsh login'/]] as const) {
      const before = eventsWithCode(c.t, EventCodes.authAttemptFailure).length;
      const res = await runSSHWith(files.config, ['-J', jump, `root@${NODE_NAME}`, 'echo hi']);
      assert.notEqual(res.code, 0);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /Permission denied \(publickey\)/);
      const ev = await eventually(() => eventsWithCode(c.t, EventCodes.authAttemptFailure)[before], 'an auth failure event');
      assert.equal(ev.event, 'auth');
      assert.equal(ev.user, 'alice');
      assert.equal(ev.success, false);
      assert.match(String(ev.error), reason);
      assert.match(String(ev['addr.remote']), /^127\.0\.0\.1:\d+$/);
    }
  });

  test('the node cache follows node records as they are added and removed', async () => {
    const id = '5d3c1c2e-0000-4000-8000-00000000b002';
    await c.t.services.presence.upsertNode(nodeResource(id, 'node2', `127.0.0.1:${c.sshd.port}`, c.t.clock));
    await eventually(() => (c.proxy.nodes.nodes().some((n) => n.metadata.name === id) ? true : undefined), 'node2 in the cache');
    // The sshd's host certificate names node1, so the client checks it under that name.
    const res = await runSSHWith(alice.config, ['-o', 'HostKeyAlias=node1', '-J', jump, 'root@node2', 'echo hi']);
    assert.equal(res.stdout, 'hi\n', res.stderr);
    await c.t.services.presence.deleteNode(id);
    await eventually(() => (c.proxy.nodes.nodes().some((n) => n.metadata.name === id) ? undefined : true), 'node2 gone from the cache');
    await assert.rejects(c.proxy.nodes.resolve({ host: 'node2', port: 22 }), /node 'node2' not found/);
  });

  test('closing the proxy ends forwarded connections', async () => {
    const proxy = await c.startProxy();
    const conn = await connectProxy(proxy.address.port, alice.key, c);
    const stream = await new Promise<ClientChannel>((resolve, reject) => conn.forwardOut('127.0.0.1', 0, NODE_NAME, 22, (err, ch) => (err ? reject(err) : resolve(ch))));
    const banner = await new Promise<string>((resolve) => stream.once('data', (d: Buffer) => resolve(d.toString())));
    assert.match(banner, /^SSH-2\.0-OpenSSH/, 'bytes from the node come through the pipe');
    const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    await proxy.close();
    await closed;
  });
});

/** An ssh2 client connected to the proxy as root with `key`'s certificate. */
function connectProxy(port: number, key: TestKey, c: ProxyTestCluster): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const conn = new ssh2.Client();
    conn.once('ready', () => resolve(conn));
    conn.once('error', reject);
    conn.connect({
      host: '127.0.0.1', port, readyTimeout: 10_000,
      ...sshClientAuthConfig({ privateKeyPEM: key.pem, certLine: userCert(c.userCA, key, { logins: ['root'] }), username: 'root', hostCAKeys: [c.hostCA.blob], hostname: '127.0.0.1' }),
    });
  });
}

/** Opens a subsystem on the main proxy and collects its stderr and exit code. */
async function ssh2Subsystem(c: ProxyTestCluster, key: TestKey, name: string): Promise<{ code: number | null; stderr: string }> {
  const conn = await connectProxy(c.proxy.address.port, key, c);
  try {
    return await new Promise((resolve, reject) => {
      conn.subsys(name, (err, stream) => {
        if (err) return reject(err);
        let stderr = '';
        let code: number | null = null;
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('exit', (status: number | null) => (code = status));
        stream.on('data', () => undefined);
        stream.on('close', () => resolve({ code, stderr }));
      });
    });
  } finally {
    conn.end();
  }
}
