/**
 * @module integration/agentsAnywhere.test
 * Agents that only reach the proxy: a node joins with a token through the proxy's web port (CA pin
 * checked), opens no listening port, and is reached over its reverse tunnel by `tsh ssh` and
 * OpenSSH; it reuses its stored identity on restart; spent, expired and mis-pinned joins fail with
 * clear errors and audit events; a graceful stop removes the node at once; and with two proxies on
 * one auth, a node joined through proxy A is reachable through proxy B.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from '../packages/api/src/types/server.ts';
import type { TeleportProcess } from '../packages/teleport/src/service/teleportProcess.ts';
import { addJoinToken, eventually, startAgent, writeAgentConfig } from './helpers/agents.ts';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, OPENSSH_OPTS, ProcessTracker } from './helpers/sshClients.ts';
import { canRunSSHTests, OSUsers, sshClientUser, type SSHClientUser } from './helpers/sshEnv.ts';

describe('agents anywhere: nodes behind NAT, joined through the proxy', { skip: !canRunSSHTests && 'needs root and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  const osUsers = new OSUsers();
  const agents: TeleportProcess[] = [];
  let login: string;
  let alice: SSHClientUser;
  let env: Record<string, string>;
  let tunnelNode: TeleportProcess;

  const nodeRecord = (name: string) => cluster.auth.services.presence.listNodes().then((ns) => ns.find((n: Server) => n.spec.hostname === name));
  const tshSSH = (args: string[]) => procs.tsh(['ssh', ...args], { env });

  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'off' });
    login = osUsers.create('tun');
    alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: [login] });
    env = clientEnv(alice.home);
    const { token, caPin } = await addJoinToken(cluster, 'node');
    const cfg = await writeAgentConfig(cluster, 'tunnel-node', {
      nodeName: 'tunnel-node', proxyServer: cluster.webAddr, token, caPin, ssh: { labels: { env: 'nat' } },
    });
    tunnelNode = await startAgent(cfg.configPath);
    agents.push(tunnelNode);
  });
  after(async () => {
    await procs.killAll();
    await Promise.all(agents.map((a) => a.close({ graceful: false })));
    await cluster?.close();
    osUsers.cleanup();
  });

  test('the node opens no port, heartbeats as a tunnel node, and tsh ls lists it', async () => {
    assert.equal(tunnelNode.nodeAddr, undefined, 'a node joined through the proxy without listen_addr must not listen');
    const record = await eventually('the node record', () => nodeRecord('tunnel-node'));
    assert.equal(record.spec.addr, '');
    assert.equal(record.spec.use_tunnel, true);
    const ls = await procs.tsh(['ls'], { env });
    assert.equal(ls.code, 0, describeResult(ls));
    assert.match(ls.stdout, /tunnel-node\s+⟵ Tunnel\s+env=nat/);
  });

  test('tsh ssh and OpenSSH reach it over the reverse tunnel', async () => {
    const viaTsh = await tshSSH(['-l', login, 'tunnel-node', 'echo hi from $(whoami); exit 4']);
    assert.equal(viaTsh.code, 4, describeResult(viaTsh));
    assert.equal(viaTsh.stdout, `hi from ${login}\n`);

    const viaOpenSSH = await procs.run('ssh', ['-F', alice.sshConfig, ...OPENSSH_OPTS, `${login}@tunnel-node.${CLUSTER_NAME}`, 'echo openssh'], { env });
    assert.equal(viaOpenSSH.code, 0, describeResult(viaOpenSSH));
    assert.equal(viaOpenSSH.stdout, 'openssh\n');
  });

  test('a restarted node reuses the identity in its data dir (no token needed)', async () => {
    const cfg = await writeAgentConfig(cluster, 'reuse-node', { nodeName: 'reuse-node', proxyServer: cluster.webAddr, ...(await addJoinToken(cluster, 'node')), ssh: {} });
    const first = await startAgent(cfg.configPath);
    await first.close({ graceful: true });
    const again = await writeAgentConfig(cluster, 'reuse-node', { nodeName: 'reuse-node', proxyServer: cluster.webAddr, ssh: {} });
    const second = await startAgent(again.configPath);
    agents.push(second);
    assert.equal(second.hostId, first.hostId);
    const r = await eventually('ssh to the restarted node', async () => {
      const res = await tshSSH(['-l', login, 'reuse-node', 'echo back']);
      return res.code === 0 ? res : undefined;
    });
    assert.equal(r.stdout, 'back\n');
  });

  test('a graceful stop removes the node from tsh ls at once', async () => {
    const cfg = await writeAgentConfig(cluster, 'short-lived', { nodeName: 'short-lived', proxyServer: cluster.webAddr, ...(await addJoinToken(cluster, 'node')), ssh: {} });
    const p = await startAgent(cfg.configPath);
    await eventually('the node record', () => nodeRecord('short-lived'));
    await p.close({ graceful: true });
    assert.equal(await nodeRecord('short-lived'), undefined);
    const ls = await procs.tsh(['ls'], { env });
    assert.doesNotMatch(ls.stdout, /short-lived/);
  });

  test('a spent single-use token, an expired token and a wrong CA pin are refused clearly and audited', async () => {
    const once = await addJoinToken(cluster, 'node', ['--max-uses=1']);
    const a = await writeAgentConfig(cluster, 'once-a', { nodeName: 'once-a', proxyServer: cluster.webAddr, ...once, ssh: {} });
    agents.push(await startAgent(a.configPath));
    const b = await writeAgentConfig(cluster, 'once-b', { nodeName: 'once-b', proxyServer: cluster.webAddr, ...once, ssh: {} });
    await assert.rejects(startAgent(b.configPath), /already (been )?used/i);

    const short = await addJoinToken(cluster, 'node', ['--ttl=1s']);
    await new Promise((r) => setTimeout(r, 1500));
    const c = await writeAgentConfig(cluster, 'late', { nodeName: 'late', proxyServer: cluster.webAddr, ...short, ssh: {} });
    await assert.rejects(startAgent(c.configPath), /expired/i);

    const pinned = await addJoinToken(cluster, 'node');
    const wrongPin = `sha256:${'0'.repeat(64)}`;
    const d = await writeAgentConfig(cluster, 'mispinned', { nodeName: 'mispinned', proxyServer: cluster.webAddr, token: pinned.token, caPin: wrongPin, ssh: {} });
    await assert.rejects(startAgent(d.configPath), /pin/i);
    // The pin is checked before the token is revealed, so the token still works.
    const e = await writeAgentConfig(cluster, 'pinned', { nodeName: 'pinned', proxyServer: cluster.webAddr, ...pinned, ssh: {} });
    agents.push(await startAgent(e.configPath));

    const joins = await cluster.auditEvents('instance.join');
    assert.ok(joins.some((ev) => ev.success === false && /used/i.test(String(ev.error ?? ''))), 'a failed join of the spent token is audited');
    assert.ok(joins.some((ev) => ev.success === false && /expired/i.test(String(ev.error ?? ''))), 'a failed join of the expired token is audited');
    assert.ok(joins.some((ev) => ev.success !== false), 'successful joins are audited');
    for (const ev of joins) assert.ok(!JSON.stringify(ev).includes(once.token), 'the token is never written to the audit log in clear');
  });
});

describe('two proxies on one auth', { skip: !canRunSSHTests && 'needs root and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  const osUsers = new OSUsers();
  const agents: TeleportProcess[] = [];

  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'off' });
  });
  after(async () => {
    await procs.killAll();
    await Promise.all(agents.map((a) => a.close({ graceful: false })));
    await cluster?.close();
    osUsers.cleanup();
  });

  test('a node joined through proxy A is reachable through proxy B', async () => {
    const proxyToken = await addJoinToken(cluster, 'proxy');
    const b = await writeAgentConfig(cluster, 'proxy-b', { nodeName: 'proxy-b', authServer: cluster.authAddr, ...proxyToken, proxy: {} });
    const proxyB = await startAgent(b.configPath);
    agents.push(proxyB);
    assert.ok(proxyB.webAddr);

    const nodeToken = await addJoinToken(cluster, 'node');
    const n = await writeAgentConfig(cluster, 'behind-a', { nodeName: 'behind-a', proxyServer: cluster.webAddr, ...nodeToken, ssh: {} });
    agents.push(await startAgent(n.configPath));

    const login = osUsers.create('twop');
    const alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: [login] });
    const home = cluster.newHome();
    const viaB = await cluster.tsh(['login', `--proxy=${proxyB.webAddr}`, '--user=alice', '--insecure'], {
      stdin: `${alice.user.password}\n`, env: { TELEPORT_HOME: home, HOME: home },
    });
    assert.equal(viaB.code, 0, describeResult(viaB));
    const res = await eventually('ssh through proxy B', async () => {
      const r = await procs.tsh(['ssh', '-l', login, 'behind-a', 'echo via b'], { env: clientEnv(home) });
      return r.code === 0 ? r : undefined;
    });
    assert.equal(res.stdout, 'via b\n');
  });
});
