/**
 * @module srv/ssh/exec.test
 * Commands on the node through the real OpenSSH client: output, exit codes and signals, stdin,
 * the session environment, the OS user the command runs as, and the audit trail (session.start,
 * exec, session.end). Also the ssh2 client with sshutils' certificate config.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { EventCodes } from '@teleport-ts/api/events/codes';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import ssh2 from 'ssh2';
import { sshClientAuthConfig } from '../../sshutils/clientAuth.ts';
import { ssh2Exec } from '../../sshutils/testkit.ts';
import {
  addRole, addUserWithCert, canRunNodeTests, eventually, OSUsers, runSSH, sshArgs, startNodeTestEnv, type NodeTestEnv, type UserCreds,
} from './testkit.ts';

describe('node service: exec', { skip: !canRunNodeTests && 'needs root and the OpenSSH client' }, () => {
  let env: NodeTestEnv;
  const users = new OSUsers();
  let login: string;
  let alice: UserCreds;

  before(async () => {
    env = await startNodeTestEnv();
    login = users.create('ex');
    await addRole(env, 'node-access', { allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
    alice = await addUserWithCert(env, 'alice', ['node-access'], [login]);
  });
  after(async () => {
    await env?.close();
    users.cleanup();
  });

  const ssh = (command: string, opts: { input?: string | Buffer; extra?: string[] } = {}) =>
    runSSH(sshArgs(env, alice, login, opts.extra, [command]), opts);

  test('runs the command as the OS user and returns its output and exit code', async () => {
    const res = await ssh('id -un; pwd; echo err >&2; exit 3');
    assert.equal(res.code, 3, res.stderr);
    assert.equal(res.stdout, `${login}\n/home/${login}\n`);
    assert.match(res.stderr, /^err$/m);
  });

  test('propagates an exit signal', async () => {
    // OpenSSH reports a remote signal only in its debug output, and exits 255.
    const res = await ssh('kill -TERM $$', { extra: ['-v'] });
    assert.equal(res.code, 255);
    assert.match(res.stderr, /rtype exit-signal/);
    assert.doesNotMatch(res.stderr, /rtype exit-status/);
  });

  test('pipes stdin through and reaches EOF', async () => {
    const data = randomBytes(300_000);
    const res = await runSSH(sshArgs(env, alice, login, [], ['sha256sum']), { input: data });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
  });

  test('sets a login environment and accepts allow-listed client env only', async () => {
    const res = await runSSH(sshArgs(env, alice, login, [
      '-o', 'SetEnv=LANG=C.UTF-8 LC_FOO=bar EVIL=1 LD_PRELOAD=/x'], ['env']));
    assert.equal(res.code, 0, res.stderr);
    const vars = Object.fromEntries(res.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars.HOME, `/home/${login}`);
    assert.equal(vars.USER, login);
    assert.equal(vars.LOGNAME, login);
    assert.equal(vars.SHELL, '/bin/bash');
    assert.match(vars.PATH ?? '', /\/usr\/bin/);
    assert.match(vars.SSH_CONNECTION ?? '', /^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/);
    assert.equal(vars.SSH_TELEPORT_USER, 'alice');
    assert.equal(vars.SSH_TELEPORT_HOST_UUID, env.hostId);
    assert.equal(vars.LANG, 'C.UTF-8');
    assert.equal(vars.LC_FOO, 'bar');
    assert.equal(vars.EVIL, undefined);
    assert.equal(vars.LD_PRELOAD, undefined);
    assert.match(vars.TELEPORT_SESSION ?? '', /^[0-9a-f-]{36}$/);
  });

  test('audits session.start, exec with the exit code, and session.end', async () => {
    const res = await ssh('echo audited; exit 4');
    assert.equal(res.code, 4);
    const exec = await env.waitEvent(EventCodes.execFailure, (e) => e.command === 'echo audited; exit 4');
    assert.equal(exec.user, 'alice');
    assert.equal(exec.login, login);
    assert.equal(exec.exitCode, '4');
    assert.equal(exec.server_id, env.hostId);
    const start = await env.waitEvent(EventCodes.sessionStart, (e) => e.sid === exec.sid);
    assert.equal(start.interactive, false);
    assert.deepEqual(start.server_labels, { env: 'test' });
    const end = await env.waitEvent(EventCodes.sessionEnd, (e) => e.sid === exec.sid);
    assert.deepEqual(end.participants, ['alice']);
    assert.ok(end.session_start && end.session_stop);
    const ok = await ssh('true');
    assert.equal(ok.code, 0);
    await env.waitEvent(EventCodes.exec, (e) => e.command === 'true' && e.exitCode === '0');
  });

  test('a command with a terminal (ssh -tt, no local tty: 0x0) runs on a PTY and is recorded', async () => {
    const res = await ssh('tty; stty size; exit 4', { extra: ['-tt'] });
    assert.equal(res.code, 4, res.stderr);
    assert.match(res.stdout, /^\/dev\/pts\/\d+\r\n24 80\r\n$/);
    const start = await env.waitEvent(EventCodes.sessionStart, (e) => e.interactive === true);
    assert.equal(start.size, '80x24');
    assert.equal(start.session_recording, 'node');
    await eventually(async () => (await env.t.auth.recordings.getMeta(start.sid as string).catch(() => undefined))?.complete, 'the recording');
  });

  test('serves connections handed over by injectSocket (as a reverse tunnel would)', async () => {
    const relay = net.createServer((sock) => env.node.injectSocket(sock));
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const port = (relay.address() as net.AddressInfo).port;
      const args = sshArgs(env, alice, login, [], ['echo injected']).map((a) => (a === String(env.node.address.port) ? String(port) : a));
      const res = await runSSH(args);
      assert.equal(res.stdout, 'injected\n', res.stderr);
    } finally {
      relay.close();
    }
  });

  const ssh2Config = () => ({
    host: '127.0.0.1', port: env.node.address.port, readyTimeout: 10_000,
    ...sshClientAuthConfig({
      privateKeyPEM: alice.keyPEM, certLine: alice.certLine, username: login, hostname: '127.0.0.1',
      hostCAKeys: (env.identity.sshHostCAKeys ?? []).map((l) => parseAuthorizedKey(l).blob),
    }),
  });

  test('delivers a client signal to the command and reports the exit signal', async () => {
    const conn = new ssh2.Client();
    const exit = await new Promise<unknown[]>((resolve, reject) => {
      conn.on('error', reject).on('ready', () => {
        conn.exec('echo ready; sleep 30', (err, stream) => {
          if (err) return reject(err);
          stream.on('data', (d: Buffer) => d.toString().includes('ready') && stream.signal('INT'));
          stream.on('exit', (...args: unknown[]) => resolve(args));
        });
      }).connect(ssh2Config());
    });
    conn.end();
    assert.deepEqual(exit.slice(0, 2), [null, 'SIGINT']); // ssh2 prefixes the wire name ("INT")
  });

  test('the ssh2 client logs in with the certificate and verifies the host certificate', async () => {
    const res = await ssh2Exec(ssh2Config(), 'echo via-ssh2; exit 7');
    assert.equal(res.error, undefined);
    assert.equal(res.stdout, 'via-ssh2\n');
    assert.equal(res.code, 7);
  });
});
