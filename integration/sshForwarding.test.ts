/**
 * @module integration/sshForwarding.test
 * Forwarding through the whole cluster, with OpenSSH configured by `tsh config` and with `tsh ssh`:
 * -L and -R carry bytes both ways to a local TCP echo server, and -A lets `ssh-add -l` on the node
 * list the key of a test ssh-agent. A user whose only role sets `port_forwarding: false` and
 * `forward_agent: false` is refused each of them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, OPENSSH_OPTS, ProcessTracker, type RunningProcess } from './helpers/sshClients.ts';
import {
  canRunSSHTests, OSUsers, sshClientUser, startEchoServer, startSSHAgent, waitForEvent, type EchoServer, type SSHClientUser,
} from './helpers/sshEnv.ts';
import { freePorts } from './helpers/subprocess.ts';

/** Sends `payload` to 127.0.0.1:port and collects what comes back until that much arrived or the peer closed. */
function roundTrip(port: number, payload: Buffer, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const sock = connect({ host: '127.0.0.1', port });
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, ms);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= payload.length) done();
    });
    sock.on('close', done);
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return done(); // refused: the forward closed on us
      clearTimeout(timer);
      reject(err);
    });
    sock.write(payload);
  });
}

/** Waits until something accepts connections on 127.0.0.1:port (or `proc` exits). */
async function waitListening(port: number, proc: RunningProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the client exited before port ${port} opened:\n${proc.stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${ms} ms; client stderr:\n${proc.stderr()}`);
    await sleep(50);
  }
}

/** Waits until the echo server has no connections: closing the client's end closes the forwarded one. */
async function drained(echo: EchoServer, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (echo.open() > 0) {
    if (Date.now() > deadline) throw new Error(`${echo.open()} forwarded connection(s) to the echo server still open ${ms} ms after the client closed its end`);
    await sleep(25);
  }
}

/** Stops a forwarding-only client the way a user does (Ctrl-C) and returns its exit status. */
async function interrupt(proc: RunningProcess): Promise<number> {
  proc.child.kill('SIGINT');
  return proc.exited;
}

describe('port and agent forwarding: OpenSSH via tsh config and tsh ssh', { skip: !canRunSSHTests && 'needs root and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  const osUsers = new OSUsers();
  let login: string;
  let alice: SSHClientUser;
  let fred: SSHClientUser;
  let echo: EchoServer;
  let agent: { sock: string; fingerprint: string };
  const payload = Buffer.concat([randomBytes(100_000), Buffer.from('end-of-payload')]);

  before(async () => {
    cluster = await startTestCluster({ nodeName: 'node1', sshService: { labels: { env: 'dev' } }, secondFactor: 'off' });
    login = osUsers.create('fwd');
    const roleFile = join(cluster.root, 'no-forwarding.yaml');
    await writeFile(roleFile, [
      'kind: role', 'version: v7', 'metadata:', '  name: no-forwarding', 'spec:',
      '  allow:', "    logins: ['{{internal.logins}}']", "    node_labels: {'*': '*'}",
      '  options:', '    port_forwarding: false', '    forward_agent: false', '',
    ].join('\n'));
    const created = await cluster.tctl(['create', roleFile]);
    assert.equal(created.code, 0, describeResult(created));
    alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: [login] });
    fred = await sshClientUser(cluster, 'fred', { roles: ['no-forwarding'], logins: [login] });
    echo = await startEchoServer();
    const agentDir = join(cluster.root, 'agent');
    await mkdir(agentDir, { mode: 0o700 });
    agent = await startSSHAgent(procs, agentDir);
  });
  after(async () => {
    await procs.killAll();
    await echo?.close();
    await cluster?.close();
    osUsers.cleanup();
  });

  const opensshArgs = (u: SSHClientUser, args: string[]): string[] => ['-F', u.sshConfig, ...OPENSSH_OPTS, ...args];
  const host = (): string => `${login}@node1.${CLUSTER_NAME}`;

  test('-L carries bytes both ways (OpenSSH and tsh ssh -N)', async () => {
    const [viaSSH, viaTsh] = await freePorts(2) as [number, number];
    const ssh = procs.start('ssh', opensshArgs(alice, ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${viaSSH}:127.0.0.1:${echo.port}`, host()]), { env: clientEnv(alice.home) });
    await waitListening(viaSSH, ssh);
    assert.ok((await roundTrip(viaSSH, payload)).equals(payload), 'OpenSSH -L echoed the payload');
    await drained(echo);
    await ssh.kill();

    const tsh = procs.startTsh(['ssh', '-N', '-L', `${viaTsh}:127.0.0.1:${echo.port}`, `${login}@node1`], { env: clientEnv(alice.home) });
    await waitListening(viaTsh, tsh);
    assert.ok((await roundTrip(viaTsh, payload)).equals(payload), 'tsh ssh -L echoed the payload');
    await drained(echo);
    assert.equal(await interrupt(tsh), 0, tsh.stderr());
  });

  test('-R carries bytes both ways (OpenSSH and tsh ssh -N)', async () => {
    const [viaSSH, viaTsh] = await freePorts(2) as [number, number];
    // The node and the test share this machine: the node's listener is on 127.0.0.1 here too.
    const ssh = procs.start('ssh', opensshArgs(alice, ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${viaSSH}:127.0.0.1:${echo.port}`, host()]), { env: clientEnv(alice.home) });
    await waitListening(viaSSH, ssh);
    assert.ok((await roundTrip(viaSSH, payload)).equals(payload), 'OpenSSH -R echoed the payload');
    await drained(echo);
    await ssh.kill();

    const tsh = procs.startTsh(['ssh', '-N', '-R', `${viaTsh}:127.0.0.1:${echo.port}`, `${login}@node1`], { env: clientEnv(alice.home) });
    await waitListening(viaTsh, tsh);
    assert.ok((await roundTrip(viaTsh, payload)).equals(payload), 'tsh ssh -R echoed the payload');
    await drained(echo);
    assert.equal(await interrupt(tsh), 0, tsh.stderr());
  });

  test('-A forwards the local agent: ssh-add -l on the node lists its key (OpenSSH and tsh ssh)', async () => {
    const env = clientEnv(alice.home, { SSH_AUTH_SOCK: agent.sock });
    const viaSSH = await procs.run('ssh', opensshArgs(alice, ['-A', host(), 'ssh-add -l']), { env });
    assert.equal(viaSSH.code, 0, describeResult(viaSSH));
    assert.match(viaSSH.stdout, new RegExp(`${agent.fingerprint.replace(/[+/]/g, '\\$&')} agent-test-key \\(ED25519\\)`));

    const viaTsh = await procs.tsh(['ssh', '-A', `${login}@node1`, 'ssh-add -l'], { env });
    assert.equal(viaTsh.code, 0, describeResult(viaTsh));
    assert.match(viaTsh.stdout, /agent-test-key \(ED25519\)/);
    assert.ok(viaTsh.stdout.includes(agent.fingerprint), describeResult(viaTsh));

    // Without -A the node has no agent.
    const without = await procs.run('ssh', opensshArgs(alice, [host(), 'ssh-add -l']), { env });
    assert.equal(without.code, 2, describeResult(without));
  });

  test('a role with port_forwarding: false refuses -L and -R', async () => {
    const [lSSH, lTsh, rSSH, rTsh] = await freePorts(4) as [number, number, number, number];
    const env = clientEnv(fred.home);

    // -L: the local listener opens, but the node refuses every channel: the connection closes unanswered.
    const ssh = procs.start('ssh', opensshArgs(fred, ['-N', '-L', `${lSSH}:127.0.0.1:${echo.port}`, host()]), { env });
    await waitListening(lSSH, ssh);
    assert.equal((await roundTrip(lSSH, payload)).length, 0, 'nothing came back through a refused -L');
    await ssh.kill();
    // The node refuses the channel without a reason OpenSSH could show (see the audit event for it).
    assert.match(ssh.stderr(), /channel \d+: open failed/);

    const tsh = procs.startTsh(['ssh', '-N', '-L', `${lTsh}:127.0.0.1:${echo.port}`, `${login}@node1`], { env });
    await waitListening(lTsh, tsh);
    assert.equal((await roundTrip(lTsh, payload)).length, 0, 'nothing came back through a refused tsh -L');
    await interrupt(tsh);
    // As with OpenSSH the channel is refused without a reason (ssh2's reject() sends CONNECT_FAILED, ""),
    // so tsh cannot say that roles forbid it; the audit event below has the reason.
    assert.match(tsh.stderr(), new RegExp(`WARNING: -L ${lTsh}: the node cannot connect to 127\\.0\\.0\\.1:${echo.port}: .*Channel open failure`));

    // -R: the node will not listen.
    const sshR = await procs.run('ssh', opensshArgs(fred, ['-o', 'ExitOnForwardFailure=yes', '-R', `${rSSH}:127.0.0.1:${echo.port}`, host(), 'true']), { env });
    assert.equal(sshR.code, 255, describeResult(sshR));
    assert.match(sshR.stderr, /remote port forwarding failed for listen port/);
    const tshR = await procs.tsh(['ssh', '-R', `${rTsh}:127.0.0.1:${echo.port}`, `${login}@node1`, 'true'], { env });
    assert.equal(tshR.code, 255, describeResult(tshR));
    assert.match(tshR.stderr, /the node refused remote forwarding of port \d+ \(port forwarding may be disabled by your roles\)/);

    // Every refusal is audited with the reason.
    for (const [direction, addr] of [['local', `127.0.0.1:${echo.port}`], ['remote', `:${rSSH}`], ['remote', `:${rTsh}`]] as const) {
      const e = await waitForEvent(cluster, 'port', (ev) => ev.user === 'fred' && ev.direction === direction && String(ev.addr).endsWith(addr), `for fred's ${direction} forward to ${addr}`);
      assert.equal(e.code, 'T3003E');
      assert.match(String(e.error), new RegExp(`${direction} port forwarding is not allowed by your roles \\(no-forwarding\\)`));
    }
  });

  test('a role with forward_agent: false refuses -A', async () => {
    const env = clientEnv(fred.home, { SSH_AUTH_SOCK: agent.sock });
    const viaSSH = await procs.run('ssh', opensshArgs(fred, ['-A', host(), 'ssh-add -l']), { env });
    assert.equal(viaSSH.code, 2, `ssh-add finds no agent on the node: ${describeResult(viaSSH)}`);
    assert.doesNotMatch(viaSSH.stdout, /agent-test-key/);

    const viaTsh = await procs.tsh(['ssh', '-A', `${login}@node1`, 'ssh-add -l'], { env });
    assert.equal(viaTsh.code, 255, describeResult(viaTsh));
    assert.match(viaTsh.stderr, /agent forwarding/i);
    assert.doesNotMatch(viaTsh.stdout, /agent-test-key/);
  });
});
