/**
 * @module integration/proxyRestart.test
 * A proxy that dies: `teleport start --roles=proxy` runs as its own process (joined to auth with a
 * proxy token), a node sits behind it on a reverse tunnel, and a user has a session open through it.
 * SIGKILL the proxy: the session ends with a clear message instead of hanging; start the proxy again
 * (it reuses the identity in its data dir): the node's tunnel comes back and new sessions work within
 * 10 seconds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TeleportProcess } from '../packages/teleport/src/service/teleportProcess.ts';
import { addJoinToken, eventually, startAgent, writeAgentConfig } from './helpers/agents.ts';
import { describeResult } from './helpers/cli.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, ProcessTracker } from './helpers/sshClients.ts';
import { canRunSSHTests, OSUsers, sshClientUser } from './helpers/sshEnv.ts';
import { freePorts, spawnBin, waitExit, waitForHTTP, type BinProcess } from './helpers/subprocess.ts';

describe('proxy killed with SIGKILL and restarted', { skip: !canRunSSHTests && 'needs root and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  const osUsers = new OSUsers();
  let node: TeleportProcess | undefined;
  let proxy: BinProcess | undefined;
  let configPath: string;
  let diagURL: string;
  let webAddr: string;

  async function startProxy(): Promise<BinProcess> {
    proxy = spawnBin('teleport', ['start', '-c', configPath]);
    await waitForHTTP(`${diagURL}/readyz`, proxy);
    return proxy;
  }

  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'off' });
    const [web, ssh, tunnel, diag] = await freePorts(4);
    webAddr = `127.0.0.1:${web}`;
    diagURL = `http://127.0.0.1:${diag}`;
    const proxyToken = await addJoinToken(cluster, 'proxy');
    ({ configPath } = await writeAgentConfig(cluster, 'proxy-k', {
      nodeName: 'proxy-k', authServer: cluster.authAddr, ...proxyToken, diagAddr: `127.0.0.1:${diag}`,
      proxy: { webAddr, sshAddr: `127.0.0.1:${ssh}`, tunnelAddr: `127.0.0.1:${tunnel}` },
    }));
    await startProxy();
    const nodeToken = await addJoinToken(cluster, 'node');
    const n = await writeAgentConfig(cluster, 'behind-k', { nodeName: 'behind-k', proxyServer: webAddr, ...nodeToken, ssh: {} });
    node = await startAgent(n.configPath);
  });
  after(async () => {
    await procs.killAll();
    await proxy?.kill();
    await node?.close({ graceful: false });
    await cluster?.close();
    osUsers.cleanup();
  });

  test('the open session ends cleanly, and new sessions work within 10 s of the restart', async (t) => {
    const login = osUsers.create('kill');
    const alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: [login] });
    const home = cluster.newHome();
    const loginRes = await cluster.tsh(['login', `--proxy=${webAddr}`, '--user=alice', '--insecure'], {
      stdin: `${alice.user.password}\n`, env: { TELEPORT_HOME: home, HOME: home },
    });
    assert.equal(loginRes.code, 0, describeResult(loginRes));
    const env = clientEnv(home);
    await eventually('ssh through the proxy', async () => {
      const r = await procs.tsh(['ssh', '-l', login, 'behind-k', 'true'], { env });
      return r.code === 0 ? r : undefined;
    });

    const session = procs.startTsh(['ssh', '-l', login, 'behind-k', 'echo started; sleep 60'], { env });
    await eventually('the session to start', async () => (session.stdout().includes('started') ? true : undefined));

    const running = proxy;
    assert.ok(running);
    running.child.kill('SIGKILL');
    await waitExit(running, 5000);

    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
    const code = await Promise.race([session.exited, timeout]);
    assert.notEqual(code, 'timeout', 'the session must end when its proxy dies, not hang');
    assert.notEqual(code, 0);
    assert.match(session.stderr(), /connection to the proxy .*(lost|closed)|proxy .*(closed|lost)/i, session.stderr());

    await startProxy();
    const ready = Date.now();
    const res = await eventually('a new session after the restart', async () => {
      const r = await procs.tsh(['ssh', '-l', login, 'behind-k', 'echo again'], { env, timeoutMs: 10_000 });
      return r.code === 0 ? r : undefined;
    }, 10_000, 100);
    assert.equal(res.stdout, 'again\n');
    const took = Date.now() - ready;
    t.diagnostic(`a new session worked ${took} ms after the restarted proxy was ready`);
    assert.ok(took < 10_000, `took ${took} ms`);
  });
});
