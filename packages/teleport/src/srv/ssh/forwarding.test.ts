/**
 * @module srv/ssh/forwarding.test
 * Port and agent forwarding with the real OpenSSH client: `-L` and `-W` (direct-tcpip) and `-R`
 * (tcpip-forward) carry bytes both ways to a TCP echo server, `-A` exposes the client's agent to
 * the session (ssh-add -l lists the key), and each is refused when the roles forbid it - including
 * a role edited after the certificate was issued.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { EventCodes } from '@teleport-ts/api/events/codes';
import {
  addRole, addUserWithCert, canRunNodeTests, eventually, OSUsers, runProcess, runSSH, sleep, sshArgs, startNodeTestEnv,
  type NodeTestEnv, type UserCreds,
} from './testkit.ts';

/** Sends `data` to host:port and resolves with everything read until `data.length` bytes came back. */
function echoRoundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let got = 0;
    sock.on('error', reject);
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= data.length) {
        sock.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    sock.write(data);
  });
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('node service: forwarding', { skip: !canRunNodeTests && 'needs root and the OpenSSH client' }, () => {
  let env: NodeTestEnv;
  const users = new OSUsers();
  const children: ChildProcess[] = [];
  let echo: net.Server;
  let echoPort: number;
  let login: string;
  let alice: UserCreds;
  let nobody: UserCreds;
  let sock: string;

  before(async () => {
    env = await startNodeTestEnv();
    login = users.create('fw');
    echo = net.createServer((s) => s.pipe(s).on('error', () => undefined));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
    const allow = { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } };
    await addRole(env, 'fwd', { options: { port_forwarding: true, forward_agent: true }, allow });
    await addRole(env, 'no-fwd', { options: { port_forwarding: false, forward_agent: false }, allow });
    alice = await addUserWithCert(env, 'alice', ['fwd'], [login]);
    nobody = await addUserWithCert(env, 'nobody', ['no-fwd'], [login]);
    sock = path.join(env.dir, 'agent.sock');
    children.push(spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' }));
    await eventually(async () => (await runProcess('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: sock } })).code === 1, 'ssh-agent to start');
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    echo?.close();
    await env?.close();
    users.cleanup();
  });

  /** Starts a long-running ssh, collecting stderr. */
  const background = (args: string[]): { child: ChildProcess; stderr: () => string } => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    return { child, stderr: () => err };
  };

  test('-L forwards a local port through the node to a TCP server', async () => {
    const port = await freePort();
    const { child } = background(sshArgs(env, alice, login, ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${port}:127.0.0.1:${echoPort}`]));
    const data = Buffer.from('hello through -L '.repeat(5000));
    const back = await eventually(() => echoRoundTrip(port, data).catch(() => undefined), 'the -L forward');
    assert.ok(back.equals(data));
    child.kill();
    await env.waitEvent(EventCodes.portForward, (e) => e.addr === `127.0.0.1:${echoPort}` && e.user === 'alice');
  });

  test('-W (stdio forwarding) carries bytes both ways', async () => {
    const res = await runSSH(sshArgs(env, alice, login, ['-W', `127.0.0.1:${echoPort}`]), { input: 'ping-pong' });
    assert.equal(res.stdout, 'ping-pong');
  });

  test('-R forwards a node port back to the client side', async () => {
    const { child, stderr } = background(sshArgs(env, alice, login, ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${echoPort}`]));
    const port = Number((await eventually(() => /Allocated port (\d+) for remote forward/.exec(stderr()), 'the -R allocation'))[1]);
    const data = Buffer.from('hello through -R '.repeat(5000));
    assert.ok((await echoRoundTrip(port, data)).equals(data));
    child.kill();
    await env.waitEvent(EventCodes.portForward, (e) => e.direction === 'remote' && e.user === 'alice');
  });

  test('-A forwards the agent into the session', async () => {
    const add = await runProcess('ssh-add', [alice.keyPath], { env: { SSH_AUTH_SOCK: sock } });
    assert.equal(add.code, 0, add.stderr);
    const res = await runSSH(sshArgs(env, alice, login, ['-o', `IdentityAgent=${sock}`, '-o', 'ForwardAgent=yes'], ['ssh-add -l; stat -c %U:%a "$(dirname "$SSH_AUTH_SOCK")"']));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /ED25519/);
    assert.match(res.stdout, new RegExp(`^${login}:700$`, 'm'));
  });

  test('each kind of forwarding is refused when the roles forbid it', async () => {
    const port = await freePort();
    const l = await runSSH(sshArgs(env, nobody, login, ['-W', `127.0.0.1:${echoPort}`]), { input: 'x' });
    assert.notEqual(l.code, 0);
    assert.match(l.stderr, /administratively prohibited|open failed/);
    await env.waitEvent(EventCodes.portForwardFailure, (e) => e.user === 'nobody' && e.direction === 'local');

    const r = await runSSH(sshArgs(env, nobody, login, ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${port}:127.0.0.1:${echoPort}`]));
    assert.equal(r.code, 255);
    assert.match(r.stderr, /remote port forwarding failed/);
    await env.waitEvent(EventCodes.portForwardFailure, (e) => e.user === 'nobody' && e.direction === 'remote');

    const a = await runSSH(sshArgs(env, nobody, login, ['-v', '-o', `IdentityAgent=${sock}`, '-o', 'ForwardAgent=yes'], ['echo "sock=$SSH_AUTH_SOCK"']));
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /Requesting authentication agent forwarding/);
    assert.equal(a.stdout, 'sock=\n');
  });

  test('a role edited after login refuses forwarding the certificate still permits', async () => {
    await addRole(env, 'fwd-edit', { options: { port_forwarding: true }, allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
    const carol = await addUserWithCert(env, 'carol', ['fwd-edit'], [login]);
    assert.equal((await runSSH(sshArgs(env, carol, login, ['-W', `127.0.0.1:${echoPort}`]), { input: 'ok' })).stdout, 'ok');
    await addRole(env, 'fwd-edit', { options: { port_forwarding: false }, allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
    await sleep(100);
    await eventually(async () => (await runSSH(sshArgs(env, carol, login, ['-W', `127.0.0.1:${echoPort}`]), { input: 'ok' })).code !== 0,
      'the edited role to refuse forwarding');
    const ev = await env.waitEvent(EventCodes.portForwardFailure, (e) => e.user === 'carol');
    assert.match(String(ev.error), /not allowed by your roles/);
  });
});
