/**
 * @module integration/manyAgents.test
 * Presence at scale: 200 lightweight agents, each with its own host identity, its own mutual-TLS
 * client of the auth API and its own reverse tunnel to the proxy, heartbeat tunnel-only node
 * records. Every one of them becomes reachable through the proxy's tunnel server, `tsh ls` lists
 * all of them (served by auth's watch-fed presence cache), and a graceful stop of half of them
 * removes them at once.
 *
 * "Lightweight" means the agents run the real tunnel agent and heartbeat but answer transport
 * channels with a byte echo instead of a full SSH server; reaching a real node over a tunnel is
 * covered by agentsAnywhere.test.ts. Identities are issued in-process (as `teleport start` does next
 * to auth) rather than by 200 token joins, to keep the test about presence, not about joining.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuthClient } from '../packages/api/src/client/authClient.ts';
import { systemClock } from '../packages/api/src/clock.ts';
import { AgentPool } from '../packages/teleport/src/reversetunnel/agentPool.ts';
import { tunnelHandler } from '../packages/teleport/src/service/nodeService.ts';
import { issueLocalIdentity } from '../packages/teleport/src/service/localIdentity.ts';
import { Heartbeat } from '../packages/teleport/src/srv/ssh/heartbeat.ts';
import { silentLogger } from '../packages/teleport/src/utils/logger.ts';
import { eventually } from './helpers/agents.ts';
import { describeResult } from './helpers/cli.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { createUser, tshLogin } from './helpers/users.ts';

const AGENTS = 200;

interface LiteAgent {
  hostId: string;
  nodeName: string;
  pool: AgentPool;
  heartbeat: Heartbeat;
}

describe(`${AGENTS} lightweight agents on reverse tunnels`, () => {
  let cluster: TestCluster;
  const agents: LiteAgent[] = [];

  async function startLiteAgent(i: number, tunnelAddr: string): Promise<LiteAgent> {
    const hostId = randomUUID();
    const nodeName = `lite-${String(i).padStart(3, '0')}`;
    const identity = await issueLocalIdentity(cluster.auth, { hostId, nodeName, role: 'Node', algorithm: 'ed25519' });
    const authClient = new AuthClient({ addr: cluster.authAddr, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts, timeoutMs: 30_000 });
    const pool = new AgentPool({
      proxyAddr: tunnelAddr, alpn: false, identity, clock: systemClock, logger: silentLogger,
      // Echo whatever the proxy sends: enough to show the tunnel reaches this agent.
      handler: tunnelHandler(hostId, (stream) => stream.pipe(stream)),
    });
    pool.start();
    const heartbeat = new Heartbeat({
      authClient, clock: systemClock, logger: silentLogger,
      fields: () => ({ hostId, nodeName, addr: '', labels: { fleet: 'lite', shard: String(i % 4) }, cmdLabels: {}, version: 'test', useTunnel: true }),
    });
    await heartbeat.start();
    return { hostId, nodeName, pool, heartbeat };
  }

  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'off' });
  });
  after(async () => {
    await Promise.all(agents.map(async (a) => {
      await a.pool.close();
      await a.heartbeat.stop({ deleteRecord: false });
    }));
    await cluster?.close();
  });

  test('all connect, heartbeat, are listed by tsh ls and reachable through the tunnel', async (t) => {
    const proxy = cluster.proc.proxy;
    const tunnelPort = proxy?.tunnelAddr?.port;
    assert.ok(proxy?.tunnel && tunnelPort, 'the test cluster runs a tunnel listener');
    const tunnel = proxy.tunnel;
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    for (let i = 0; i < AGENTS; i += 20) {
      agents.push(...(await Promise.all(Array.from({ length: Math.min(20, AGENTS - i) }, (_, k) => startLiteAgent(i + k, `127.0.0.1:${tunnelPort}`)))));
    }
    await eventually('every agent to hold a tunnel', async () => (tunnel.connectedAgents().length >= AGENTS ? true : undefined), 60_000);
    t.diagnostic(`${AGENTS} agents connected and announced in ${Date.now() - started} ms; process RSS grew ${Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20)} MiB`);

    // Through the proxy's tunnel server to a sample of agents: bytes come back.
    for (const a of [agents[0], agents[AGENTS / 2], agents[AGENTS - 1]]) {
      assert.ok(a);
      const stream = await tunnel.dial(a.hostId, { type: 'node', target: a.hostId });
      const echoed = await new Promise<string>((resolve) => {
        stream.once('data', (d: Buffer) => resolve(d.toString()));
        stream.write(`ping ${a.nodeName}`);
      });
      stream.destroy();
      assert.equal(echoed, `ping ${a.nodeName}`);
    }

    // tsh ls over all of them (RBAC-filtered by auth from its presence cache).
    const user = await createUser(cluster, 'lister', { roles: ['access'], logins: ['nobody'] });
    const home = cluster.newHome();
    const login = await tshLogin(cluster, user, home);
    assert.equal(login.code, 0, describeResult(login));
    const lsStarted = Date.now();
    const ls = await cluster.tsh(['ls', 'fleet=lite', '--format=json'], { env: { TELEPORT_HOME: home, HOME: home } });
    t.diagnostic(`tsh ls over ${AGENTS} nodes took ${Date.now() - lsStarted} ms (in-process, including login profile load)`);
    assert.equal(ls.code, 0, describeResult(ls));
    const listed = JSON.parse(ls.stdout) as Array<{ spec: { hostname: string; use_tunnel?: boolean } }>;
    assert.equal(listed.length, AGENTS);
    assert.ok(listed.every((n) => n.spec.use_tunnel === true));

    // Half of them stop gracefully: their records go at once, their tunnels close.
    const leaving = agents.splice(0, AGENTS / 2);
    await Promise.all(leaving.map(async (a) => {
      await a.heartbeat.stop({ deleteRecord: true });
      await a.pool.close();
    }));
    const after = await cluster.tsh(['ls', 'fleet=lite', '--format=json'], { env: { TELEPORT_HOME: home, HOME: home } });
    assert.equal((JSON.parse(after.stdout) as unknown[]).length, AGENTS / 2);
    await eventually('the leavers\' tunnels to close', async () => (tunnel.connectedAgents().length === AGENTS / 2 ? true : undefined), 20_000);
  });
});
