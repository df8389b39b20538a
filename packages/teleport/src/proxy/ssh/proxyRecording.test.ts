/**
 * @module proxy/ssh/proxyRecording.test
 * Session recording mode "proxy" end to end with real OpenSSH on both sides: the `ssh` client jumps
 * through the proxy (`-J`) to a real sshd registered as node1, and the proxy terminates the SSH
 * connection with a host certificate for node1, logs in to the sshd as the user with a certificate
 * auth re-issued for it, and relays. Covers commands and exit codes, an interactive terminal driven
 * through node-pty whose recording reaches auth as valid asciicast, the session events, scp (SFTP),
 * port forwarding, agent forwarding, and the re-issue RPC's refusals over mutual TLS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { parseAsciicast } from '@teleport-ts/api/asciicast/index';
import { FakeClock } from '@teleport-ts/api/clock';
import { AccessDeniedError, TrustError } from '@teleport-ts/api/errors';
import { EventCodes } from '@teleport-ts/api/events/codes';
import { formatCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { newRole } from '@teleport-ts/api/types/validate/role';
import { issueUserSSHCert } from '../../ca/sshCertIssuer.ts';
import { addUser, newTestKeys } from '../../auth/testAuthServer.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { hasOpenSSH, makeCA, makeKey, type TestKey } from '../../sshutils/testkit.ts';
import type { Server } from '@teleport-ts/api/types/server';
import { freePort } from '../../testing/sshCluster.ts';
import { effectiveRecordingMode, proxyTerminates } from './recordingConfig.ts';
import { eventsWithCode, eventually, NODE_ID, NODE_NAME, runSSHWith, startProxyTestCluster, writeClientFiles, type ClientFiles, type ProxyTestCluster } from './testkit.ts';

const isRoot = process.getuid?.() === 0;

describe('proxy recording mode with OpenSSH', { skip: (!hasOpenSSH && 'OpenSSH is not installed') || (!isRoot && 'sshd tests log in as root') }, () => {
  let dir: string;
  let c: ProxyTestCluster;
  let alice: ClientFiles;
  let jump: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'proxy-rec-'));
    c = await startProxyTestCluster(dir, {
      recordingMode: 'proxy', proxyDataDir: join(dir, 'proxy-data'), sshdConfig: ['Subsystem sftp /usr/lib/openssh/sftp-server'],
    });
    await addUser(c.t, 'alice', ['access']);
    alice = await writeClientFiles(dir, 'alice', { ca: c.userCA, hostCA: c.hostCA });
    jump = `root@127.0.0.1:${c.proxy.address.port}`;
  });

  after(async () => {
    await c.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('ssh -J runs commands through the proxy, exit codes propagate, and exec is audited at the proxy', async () => {
    const ok = await runSSHWith(alice.config, ['-J', jump, `root@${NODE_NAME}`, 'echo hi']);
    assert.equal(ok.stdout, 'hi\n', `${ok.stderr}\n${c.sshd.log()}`);
    assert.equal(ok.code, 0);
    const failed = await runSSHWith(alice.config, ['-J', jump, `root@${NODE_NAME}`, 'echo oops >&2; exit 3']);
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /oops/);
    const ev = await eventually(() => eventsWithCode(c.t, EventCodes.execFailure).find((e) => e.command === 'echo oops >&2; exit 3'), 'an exec failure event');
    assert.equal(ev.exitCode, '3');
    assert.equal(ev.user, 'alice');
    assert.equal(ev.login, 'root');
    assert.equal(ev.server_id, NODE_ID);
    assert.equal(ev.proto, 'ssh');
    // The node was reached with a certificate auth re-issued for the proxy's key, on alice's behalf.
    // The proxy subsystem (tsh, ProxyCommand) is served the same way.
    const proxyCommand = `ssh -F ${alice.config} -T -p ${c.proxy.address.port} -s root@127.0.0.1 proxy:%h:%p@${c.t.auth.clusterName}`;
    const viaSubsystem = await runSSHWith(alice.config, ['-o', `ProxyCommand=${proxyCommand}`, `root@${NODE_NAME}`, 'echo sub']);
    assert.equal(viaSubsystem.stdout, 'sub\n', viaSubsystem.stderr);
    const reissued = c.t.audit.all().filter((e) => e.code === EventCodes.certificateCreate && e.user === 'alice');
    assert.ok(reissued.some((e) => (e.identity as { impersonator?: string }).impersonator === `proxy-host.${c.t.auth.clusterName}`));
  });

  test('a login the node refuses is refused to the client, with the reason', async () => {
    const key = makeKey('ed25519');
    const files = await writeClientFiles(dir, 'ghost', { ca: c.userCA, hostCA: c.hostCA });
    await writeFile(join(dir, 'ghost'), key.openssh, { mode: 0o600 });
    await writeFile(join(dir, 'ghost-cert.pub'), `${userCertFor(c, key, { logins: ['root', 'no-such-user-7'] })}\n`);
    const res = await runSSHWith(files.config, ['-J', jump, `no-such-user-7@${NODE_NAME}`, 'true']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /teleport: node 'node1' \([^)]+\): it refused login as "no-such-user-7"/);
    assert.equal(res.stdout, '');
  });

  test('an interactive session is recorded at the proxy and uploaded to auth', async () => {
    const term = pty.spawn('ssh', ['-tt', '-F', alice.config, '-J', jump, `root@${NODE_NAME}`], {
      name: 'xterm', cols: 100, rows: 30, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    });
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    try {
      await eventually(() => (/[#$] $/.test(screen) ? true : undefined), `a shell prompt (screen: ${JSON.stringify(screen)})`, 10_000);
      term.resize(120, 40);
      term.write('echo $((6*7))\r');
      await eventually(() => (/[\r\n]42\r\n/.test(screen) ? true : undefined), 'the answer on screen', 8_000);
      term.write('exit\r');
      assert.equal(await exited, 0);
    } finally {
      term.kill();
    }
    const start = await eventually(() => eventsWithCode(c.t, EventCodes.sessionStart).find((e) => e.interactive === true), 'session.start');
    assert.equal(start.session_recording, 'proxy');
    assert.deepEqual(start.participants, ['alice']);
    assert.equal(start.server_id, NODE_ID);
    assert.equal(start.server_hostname, NODE_NAME);
    assert.equal(start.login, 'root');
    assert.equal(start.proto, 'ssh');
    const sid = String(start.sid);
    const end = await eventually(() => eventsWithCode(c.t, EventCodes.sessionEnd).find((e) => e.sid === sid), 'session.end');
    assert.equal(end.session_recording, 'proxy');
    assert.equal(end.interactive, true);
    assert.deepEqual(end.participants, ['alice']);
    const data = await eventually(async () => {
      const meta = await c.t.auth.recordings.getMeta(sid).catch(() => undefined);
      return meta?.complete ? (await c.t.auth.recordings.read(sid, 0, 1 << 20)).data : undefined;
    }, 'the recording to be uploaded', 10_000);
    const cast = parseAsciicast(data);
    assert.equal(cast.header.version, 2);
    const output = cast.events.filter((e) => e.code === 'o').map((e) => e.data).join('');
    assert.match(output, /[\r\n]42\r\n/);
    assert.ok(cast.events.some((e) => e.code === 'r' && e.data === '120x40'), 'the window change is recorded');
    const meta = await c.t.auth.recordings.getMeta(sid);
    assert.deepEqual(meta.participants, ['alice']);
    // Once auth has it, the proxy's spool (<data dir>/log/upload) forgets it.
    await eventually(async () => ((await readdir(join(dir, 'proxy-data', 'log', 'upload'))).some((f) => f.startsWith(sid)) ? undefined : true), 'the spool to be emptied');
  });

  test('when recording cannot start, best_effort sessions go on unrecorded and strict ones are refused', async () => {
    await c.t.services.access.createRole(newRole('recorded', { options: { record_session: { ssh: 'strict' } }, allow: { logins: ['root'] } }));
    const key = makeKey('ed25519');
    const files = await writeClientFiles(dir, 'strict', { ca: c.userCA, hostCA: c.hostCA });
    await writeFile(join(dir, 'strict'), key.openssh, { mode: 0o600 });
    await writeFile(join(dir, 'strict-cert.pub'), `${userCertFor(c, key, { logins: ['root'], roles: ['recorded'] })}\n`);
    const spool = join(dir, 'proxy-data', 'log', 'upload');
    await rm(spool, { recursive: true, force: true });
    await writeFile(spool, 'not a directory'); // the spool cannot be created
    try {
      const bestEffort = await runSSHWith(alice.config, ['-tt', '-J', jump, `root@${NODE_NAME}`, 'echo unrecorded-$((6*7))']);
      assert.match(bestEffort.stdout, /unrecorded-42/, bestEffort.stderr);
      const start = await eventually(() => eventsWithCode(c.t, EventCodes.sessionStart).find((e) => String((e.initial_command as string[] | undefined)?.[0]).startsWith('echo unrecorded')), 'session.start');
      assert.equal(start.interactive, true);
      assert.equal(start.session_recording, 'off');
      const strict = await runSSHWith(files.config, ['-tt', '-J', jump, `root@${NODE_NAME}`, 'echo should-not-run']);
      assert.equal(strict.code, 1);
      assert.doesNotMatch(strict.stdout, /should-not-run/);
      assert.match(strict.stdout + strict.stderr, /session recording is required by your roles \(record_session: strict\) but could not start/);
    } finally {
      await rm(spool, { force: true });
    }
  });

  test('scp (SFTP) copies a file both ways intact', async () => {
    const payload = randomBytes(300_000);
    const local = join(dir, 'payload.bin');
    const remote = `/tmp/proxy-rec-${process.pid}.bin`;
    await writeFile(local, payload);
    try {
      const up = await runProcess('scp', ['-F', alice.config, '-J', jump, local, `root@${NODE_NAME}:${remote}`]);
      assert.equal(up.code, 0, up.stderr);
      assert.ok((await readFile(remote)).equals(payload));
      const back = join(dir, 'back.bin');
      const down = await runProcess('scp', ['-F', alice.config, '-J', jump, `root@${NODE_NAME}:${remote}`, back]);
      assert.equal(down.code, 0, down.stderr);
      assert.ok((await readFile(back)).equals(payload));
    } finally {
      await rm(remote, { force: true });
    }
    await eventually(() => eventsWithCode(c.t, EventCodes.subsystem).find((e) => e.name === 'sftp'), 'a subsystem event');
  });

  test('port forwarding (-W) and agent forwarding (-A) work when the certificate permits them', async () => {
    const key = makeKey('ed25519');
    const cert = userCertFor(c, key, { logins: ['root'], forwarding: true });
    const files = await writeClientFiles(dir, 'fwd', { ca: c.userCA, hostCA: c.hostCA });
    await writeFile(join(dir, 'fwd'), key.openssh, { mode: 0o600 });
    await writeFile(join(dir, 'fwd-cert.pub'), `${cert}\n`);
    const echo = await echoServer();
    try {
      const res = await runSSHWith(files.config, ['-J', jump, '-W', `127.0.0.1:${echo.port}`, `root@${NODE_NAME}`], 10_000, 'ping\n');
      assert.equal(res.stdout, 'echo: ping\n', res.stderr);
      // -R: a port on the node leads back through the client to the echo server.
      const port = await freePort(); // not a random guess: busy machines collide
      const remote = await runSSHWith(files.config, [
        '-o', 'ExitOnForwardFailure=yes', '-J', jump, '-R', `127.0.0.1:${port}:127.0.0.1:${echo.port}`, `root@${NODE_NAME}`,
        `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}; echo pong >&3; head -1 <&3'`,
      ]);
      assert.equal(remote.stdout, 'echo: pong\n', remote.stderr);
    } finally {
      echo.server.close();
    }
    const agentSock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
    try {
      await eventually(async () => ((await runProcess('ssh-add', ['-l'], { SSH_AUTH_SOCK: agentSock })).code !== 2 ? true : undefined), 'ssh-agent');
      const add = await runProcess('ssh-add', [join(dir, 'fwd')], { SSH_AUTH_SOCK: agentSock });
      assert.equal(add.code, 0, add.stderr);
      const res = await runProcess('ssh', ['-F', files.config, '-o', `IdentityAgent=${agentSock}`, '-A', '-J', jump, `root@${NODE_NAME}`, 'ssh-add -l'], { SSH_AUTH_SOCK: agentSock });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /ED25519/);
    } finally {
      agent.kill();
    }
  });

  test('the re-issue RPC is refused to other callers and for foreign or expired certificates', async () => {
    const nodeId = await issueLocalIdentity(c.t.auth, { hostId: 'some-node', nodeName: 'n', role: 'Node', algorithm: 'ed25519' });
    const asNode = new AuthClient({ addr: `127.0.0.1:${c.authServer.address.port}`, certPEM: nodeId.certPEM, keyPEM: nodeId.keyPEM, caCerts: nodeId.tlsCACerts });
    const request = (line: string) => ({ sshCert: line, sshPublicKey: newTestKeys().sshPublicKey, authData: Buffer.alloc(64), authSignature: Buffer.alloc(8), nodeId: NODE_ID });
    const key = makeKey('ed25519');
    const good = userCertFor(c, key, { logins: ['root'] });
    await assert.rejects(asNode.reissueUserCertForProxy(request(good)), AccessDeniedError);
    const proxy = c.proxyAuthClient();
    const foreign = formatCertificateLine(issueUserSSHCert({
      caPrivateKey: makeCA().key, publicKey: key.blob, username: 'alice', logins: ['root'], ttlMs: 3600_000, clock: c.t.clock,
      permitAgentForwarding: false, permitPortForwarding: false, roles: ['access'], traits: {},
    }));
    await assert.rejects(proxy.reissueUserCertForProxy(request(foreign)), TrustError);
    const expired = formatCertificateLine(issueUserSSHCert({
      caPrivateKey: c.userCA.key, publicKey: key.blob, username: 'alice', logins: ['root'], ttlMs: 60_000,
      clock: new FakeClock(c.t.clock.nowMs() - 3_600_000),
      permitAgentForwarding: false, permitPortForwarding: false, roles: ['access'], traits: {},
    }));
    await assert.rejects(proxy.reissueUserCertForProxy(request(expired)), (err: Error) => err instanceof TrustError && /expired/.test(err.message));
    // A valid certificate without the user's signature gets nothing either.
    await assert.rejects(proxy.reissueUserCertForProxy(request(good)), /authentication proof does not check out/);
  });
});

/** A certificate for alice from the cluster's user CA with the given logins and permissions. */
function userCertFor(c: ProxyTestCluster, key: TestKey, o: { logins: string[]; forwarding?: boolean; roles?: string[] }): string {
  return formatCertificateLine(issueUserSSHCert({
    caPrivateKey: c.userCA.key, publicKey: key.blob, username: 'alice', logins: o.logins, ttlMs: 3600_000, clock: c.t.clock,
    permitAgentForwarding: o.forwarding === true, permitPortForwarding: o.forwarding === true, roles: o.roles ?? ['access'], traits: {},
  }), 'alice');
}

/** Runs a program, optionally with extra environment, and collects its output. */
function runProcess(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A TCP server on 127.0.0.1 that answers each line with "echo: <line>" and then closes. */
async function echoServer(): Promise<{ server: NetServer; port: number }> {
  const server = createServer((sock) => {
    sock.once('data', (d: Buffer) => sock.end(`echo: ${d.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return { server, port: addr.port };
}

describe('when the proxy terminates SSH', () => {
  const node = (subKind?: string): Server => ({ kind: 'node', version: 'v2', ...(subKind && { sub_kind: subKind }), metadata: { name: 'n' }, spec: { addr: 'h:22', hostname: 'h' } });
  test('in proxy modes, and always for agentless OpenSSH nodes, whose node modes become proxy modes', () => {
    assert.equal(proxyTerminates('node', node()), false);
    assert.equal(proxyTerminates('off', node()), false);
    assert.equal(proxyTerminates('proxy', node()), true);
    assert.equal(proxyTerminates('proxy-sync', node()), true);
    assert.equal(proxyTerminates('node', node('openssh')), true);
    assert.equal(effectiveRecordingMode('node', node('openssh')), 'proxy');
    assert.equal(effectiveRecordingMode('node-sync', node('openssh')), 'proxy-sync');
    assert.equal(effectiveRecordingMode('off', node('openssh')), 'off');
    assert.equal(effectiveRecordingMode('node', node()), 'node');
  });
});
