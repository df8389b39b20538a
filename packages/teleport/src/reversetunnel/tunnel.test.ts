/**
 * @module reversetunnel/tunnel.test
 * Reverse tunnels over real ssh2 on 127.0.0.1 with identities issued by an in-process auth server:
 * bytes both ways through a transport channel, refusals (foreign CA either way, a certificate without
 * the claimed host id, a node certificate posing as a proxy), graceful proxy shutdown and abrupt
 * socket loss followed by reconnection (backoff capped), two proxies advertising each other, the
 * ALPN path through the web server, and backoff arithmetic.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { systemClock } from '@teleport-ts/api/clock';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import { newTestAuthServer, type TestAuth } from '../auth/testAuthServer.ts';
import type { LocalIdentity } from '../service/identityStore.ts';
import { issueLocalIdentity } from '../service/localIdentity.ts';
import { createSelfSigned } from '../proxy/selfSignedCert.ts';
import { startWebServer } from '../proxy/web/webServer.ts';
import { silentLogger } from '../utils/logger.ts';
import { TunnelAgent, type TransportHandler } from './agent.ts';
import { AgentPool, backoffDelay } from './agentPool.ts';
import type { ProxyEndpoint } from './protocol.ts';
import { ReverseTunnelServer } from './server.ts';

const logger = silentLogger;
const clock = systemClock;

/** A handler that greets with the target, then echoes. */
const echo: TransportHandler = (req) => {
  if (req.target === 'nowhere') throw new ConnectionProblemError('no such target here');
  return (stream) => {
    stream.write(`hello ${req.type}:${req.target}\n`);
    stream.pipe(stream);
  };
};

function readUntil(stream: NodeJS.ReadableStream, want: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`got only ${JSON.stringify(got)}`)), ms);
    stream.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes(want)) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

async function eventually<T>(fn: () => T | undefined | false, what: string, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('reverse tunnel', () => {
  let t: TestAuth;
  let foreign: TestAuth;
  let proxyA: LocalIdentity;
  let proxyB: LocalIdentity;
  let node: LocalIdentity;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  const startServer = async (identity: LocalIdentity, port = 0, discover?: () => ProxyEndpoint[]): Promise<{ srv: ReverseTunnelServer; addr: string }> => {
    const srv = new ReverseTunnelServer({ identity, clock, logger, ...(discover && { discoverProxies: discover, discoverIntervalMs: 100 }) });
    const bound = await srv.listen('127.0.0.1', port);
    cleanups.push(() => srv.close({ graceful: false }));
    return { srv, addr: `127.0.0.1:${bound.port}` };
  };
  const pool = (addr: string, identity = node, alpn = false): AgentPool => {
    const p = new AgentPool({ proxyAddr: addr, alpn, insecureTLS: true, identity, handler: echo, clock, logger });
    cleanups.push(() => p.close());
    p.start();
    return p;
  };
  const agentError = async (addr: string, identity: LocalIdentity, extra: { expectedProxyId?: string } = {}): Promise<Error> => {
    const a = new TunnelAgent({ addr, alpn: false, identity, handler: echo, clock, logger, connectTimeoutMs: 5000, ...extra });
    return a.start().then(() => {
      a.close();
      throw new Error('the agent connected');
    }, (err: Error) => err);
  };

  before(async () => {
    t = await newTestAuthServer({ secondFactor: 'off' });
    foreign = await newTestAuthServer({ secondFactor: 'off' });
    proxyA = await issueLocalIdentity(t.auth, { hostId: 'proxy-a', nodeName: 'proxy-a', role: 'Proxy', algorithm: 'ed25519' });
    proxyB = await issueLocalIdentity(t.auth, { hostId: 'proxy-b', nodeName: 'proxy-b', role: 'Proxy', algorithm: 'ecdsa-p256' });
    node = await issueLocalIdentity(t.auth, { hostId: 'node-1', nodeName: 'node1', role: 'Node', algorithm: 'ed25519' });
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('an agent connects and the proxy dials through it; bytes flow both ways', async () => {
    const { srv, addr } = await startServer(proxyA);
    const p = pool(addr);
    await p.waitForProxies(1);
    assert.deepEqual(p.connectedProxies(), ['proxy-a']);
    await eventually(() => srv.isConnected('node-1'), 'the agent on the server');
    assert.deepEqual(srv.connectedAgents().map((a) => [a.hostId, a.role]), [['node-1', 'Node']]);

    const stream = await srv.dial('node-1', { type: 'node', target: 'node-1' });
    const greeting = readUntil(stream, 'ping-pong');
    stream.write('ping-pong');
    assert.equal(await greeting, 'hello node:node-1\nping-pong');
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    let received = 0;
    const allBack = new Promise<void>((resolve) => stream.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= big.length) resolve();
    }));
    stream.write(big);
    await allBack;
    stream.destroy();

    await assert.rejects(srv.dial('node-1', { type: 'node', target: 'nowhere' }), /could not connect to node nowhere: no such target here/);
    await assert.rejects(srv.dial('node-2', { type: 'node', target: 'node-2' }), /node node-2 is not connected to this proxy/);
    await p.close();
    await eventually(() => !srv.isConnected('node-1'), 'the agent to leave');
  });

  test('the proxy refuses an agent certificate from a foreign CA, and one without the claimed host id', async () => {
    const { srv, addr } = await startServer(proxyA);
    const stranger = await issueLocalIdentity(foreign.auth, { hostId: 'node-1', nodeName: 'node1', role: 'Node', algorithm: 'ed25519' });
    // The stranger trusts our host CA, so only the proxy's check can refuse it.
    const err = await agentError(addr, { ...stranger, sshHostCAKeys: node.sshHostCAKeys ?? [] });
    assert.match(err.message, /refused this agent's host certificate/);
    const impostor = await agentError(addr, { ...node, hostId: 'node-2' });
    assert.match(impostor.message, /refused this agent's host certificate/);
    // Extra principals a joining host asked for do not make it another host: the key id decides.
    const widened = await issueLocalIdentity(t.auth, { hostId: 'node-w', nodeName: 'nw', role: 'Node', algorithm: 'ed25519', principals: ['node-1.example.com'] });
    assert.match((await agentError(addr, { ...widened, hostId: 'node-1' })).message, /refused this agent's host certificate/);
    assert.equal(srv.connectedAgents().length, 0);
  });

  test('the agent refuses a proxy with a foreign host certificate, a node posing as proxy, or the wrong proxy', async () => {
    const strangerProxy = await issueLocalIdentity(foreign.auth, { hostId: 'proxy-a', nodeName: 'proxy-a', role: 'Proxy', algorithm: 'ed25519' });
    const { addr } = await startServer({ ...strangerProxy, sshHostCAKeys: node.sshHostCAKeys ?? [] });
    assert.match((await agentError(addr, node)).message, /refusing the proxy at .*: .*unknown certificate authority/);
    const posing = await startServer(await issueLocalIdentity(t.auth, { hostId: 'node-9', nodeName: 'n9', role: 'Node', algorithm: 'ed25519' }));
    assert.match((await agentError(posing.addr, node)).message, /for a Node, not a Proxy/);
    const real = await startServer(proxyA);
    assert.match((await agentError(real.addr, node, { expectedProxyId: 'proxy-b' })).message, /'proxy-b\.example\.com' is not a principal/);
  });

  test('graceful close tells the agent to reconnect; it comes back when a proxy returns on the same port', async () => {
    const first = await startServer(proxyA);
    const port = Number(first.addr.split(':')[1]);
    const p = pool(first.addr);
    await p.waitForProxies(1);
    await first.srv.close({ graceful: true });
    await eventually(() => p.connectedProxies().length === 0, 'the tunnel to drop');
    const again = await startServer(proxyA, port);
    await p.waitForProxies(1, 8000);
    await eventually(() => again.srv.isConnected('node-1'), 'the agent on the new server');
    await p.close();
  });

  test('after abrupt socket loss the pool redials with backoff capped at about 3 s', async () => {
    const first = await startServer(proxyA);
    const port = Number(first.addr.split(':')[1]);
    const p = pool(first.addr);
    await p.waitForProxies(1);
    await first.srv.close({ graceful: false });
    await eventually(() => p.connectedProxies().length === 0, 'the tunnel to drop');
    // Let several retries fail so the backoff reaches its cap.
    await new Promise((r) => setTimeout(r, 3500));
    const back = await startServer(proxyA, port);
    const started = Date.now();
    await p.waitForProxies(1, 6000);
    assert.ok(Date.now() - started < 4500, `reconnected after ${Date.now() - started} ms`);
    await eventually(() => back.srv.isConnected('node-1'), 'the agent on the new server');
    await p.close();
  });

  test('a frozen peer (no FIN, no answers) is noticed by SSH keepalive on both ends', async () => {
    const srv = new ReverseTunnelServer({ identity: proxyA, clock, logger, keepAliveIntervalMs: 200, keepAliveCountMax: 2 });
    const bound = await srv.listen('127.0.0.1', 0);
    cleanups.push(() => srv.close({ graceful: false }));
    // A relay that can stop forwarding without closing anything, as a frozen host or dead NAT would.
    let frozen = false;
    const relay = net.createServer((down) => {
      const up = net.connect(bound.port, '127.0.0.1');
      down.on('data', (d: Buffer) => void (frozen || up.write(d)));
      up.on('data', (d: Buffer) => void (frozen || down.write(d)));
      down.on('error', () => undefined);
      up.on('error', () => undefined);
      cleanups.push(() => void (down.destroy(), up.destroy()));
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => relay.close(() => r())));
    const p = new AgentPool({
      proxyAddr: `127.0.0.1:${(relay.address() as net.AddressInfo).port}`, alpn: false, identity: node, handler: echo, clock, logger,
      keepAliveIntervalMs: 200, keepAliveCountMax: 2,
    });
    cleanups.push(() => p.close());
    p.start();
    await p.waitForProxies(1);
    await eventually(() => srv.isConnected('node-1'), 'the agent on the server');
    frozen = true;
    const started = Date.now();
    await eventually(() => p.connectedProxies().length === 0 && !srv.isConnected('node-1'), 'both ends to give up', 5000);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    await p.close();
  });

  test('two proxies that advertise each other each get a tunnel', async () => {
    const endpoints: ProxyEndpoint[] = [];
    const a = await startServer(proxyA, 0, () => endpoints);
    const b = await startServer(proxyB, 0, () => endpoints);
    endpoints.push({ host_id: 'proxy-a', addr: a.addr }, { host_id: 'proxy-b', addr: b.addr });
    const p = pool(a.addr);
    await p.waitForProxies(2);
    assert.deepEqual(p.connectedProxies(), ['proxy-a', 'proxy-b']);
    await eventually(() => a.srv.isConnected('node-1') && b.srv.isConnected('node-1'), 'the agent on both');
    const s = await b.srv.dial('node-1', { type: 'node', target: 'via-b' });
    assert.match(await readUntil(s, '\n'), /hello node:via-b/);
    s.destroy();
    // Proxy B leaves for good: it drops out of the list and is not redialled.
    endpoints.splice(1, 1);
    await new Promise((r) => setTimeout(r, 300));
    await b.srv.close({ graceful: true });
    await eventually(() => p.connectedProxies().join() === 'proxy-a', 'only proxy-a');
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(p.connectedProxies(), ['proxy-a']);
    await p.close();
  });

  test('agents reach the tunnel through the web port by ALPN; HTTP there is unchanged', async () => {
    const srv = new ReverseTunnelServer({ identity: proxyA, clock, logger });
    cleanups.push(() => srv.close({ graceful: false }));
    const pair = await createSelfSigned(['localhost'], clock);
    const web = await startWebServer({
      ctx: {
        authClient: undefined as never, clusterName: 'example.com', webPublicAddr: 'localhost:3080',
        sshPublicAddr: 'localhost:3023', tunnelPublicAddr: 'localhost:3024', logger,
      },
      listenAddr: { host: '127.0.0.1', port: 0 }, ...pair, onTunnelConnection: (s) => srv.injectSocket(s),
    });
    cleanups.push(() => web.close());
    const webAddr = `127.0.0.1:${web.address.port}`;
    const p = pool(webAddr, node, true);
    await p.waitForProxies(1);
    const s = await srv.dial('node-1', { type: 'node', target: 'alpn' });
    assert.match(await readUntil(s, '\n'), /hello node:alpn/);
    s.destroy();
    const get = (ALPNProtocols?: string[]): Promise<{ status: number; body: string; alpn: string | false | null }> => new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: web.address.port, path: '/healthz', rejectUnauthorized: false, agent: false, ...(ALPNProtocols && { ALPNProtocols }) }, (res) => {
        let body = '';
        const alpn = (res.socket as TLSSocket).alpnProtocol;
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, alpn }));
      }).on('error', reject);
    });
    for (const [offer, negotiated] of [[undefined, false], [['http/1.1'], 'http/1.1'], [['h2', 'http/1.1'], 'http/1.1']] as const) {
      const health = await get(offer ? [...offer] : undefined);
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
      assert.equal(health.alpn, negotiated);
    }
    // A plain-TCP agent pointed at a web server without the tunnel gets a clear error.
    const plainWeb = await startWebServer({
      ctx: { authClient: undefined as never, clusterName: 'example.com', webPublicAddr: 'x', sshPublicAddr: 'x', tunnelPublicAddr: 'x', logger },
      listenAddr: { host: '127.0.0.1', port: 0 }, ...pair,
    });
    cleanups.push(() => plainWeb.close());
    const a = new TunnelAgent({ addr: `127.0.0.1:${plainWeb.address.port}`, alpn: true, insecureTLS: true, identity: node, handler: echo, clock, logger });
    await assert.rejects(a.start(), /did not accept ALPN teleport-reversetunnel/);
    await p.close();
  });

  test('backoff: full jitter under an exponential ceiling capped at 3 s', () => {
    const opts = { baseMs: 200, maxMs: 3000 };
    assert.equal(backoffDelay(0, opts, () => 0.999999), 199);
    assert.equal(backoffDelay(2, opts, () => 0.5), 400);
    assert.equal(backoffDelay(10, opts, () => 0.999999), 2999);
    assert.equal(backoffDelay(1000, opts, () => 0.5), 1500);
    assert.equal(backoffDelay(5, opts, () => 0), 0);
  });
});
