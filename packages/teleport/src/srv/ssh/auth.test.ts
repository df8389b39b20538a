/**
 * @module srv/ssh/auth.test
 * Who gets in: logins outside the certificate's principals, logins the roles deny on this node's
 * labels, OS accounts that do not exist, users deleted after their certificate was issued, and role
 * edits that must apply to the next connection. Each refusal is explained to the OpenSSH client
 * (auth banner) and audited as `auth` T3007W.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EventCodes } from '@teleport-ts/api/events/codes';
import {
  addRole, addUserWithCert, canRunNodeTests, eventually, OSUsers, runSSH, sshArgs, startNodeTestEnv, type NodeTestEnv, type UserCreds,
} from './testkit.ts';

describe('node service: authentication and authorization', { skip: !canRunNodeTests && 'needs root and the OpenSSH client' }, () => {
  let env: NodeTestEnv;
  const users = new OSUsers();
  let login: string;
  let other: string;

  before(async () => {
    env = await startNodeTestEnv({ labels: { env: 'prod', team: 'core' } });
    login = users.create('au');
    other = users.create('ot');
    await addRole(env, 'node-access', { allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
    await addRole(env, 'no-prod', { deny: { logins: ['*'], node_labels: { env: 'prod' } } });
  });
  after(async () => {
    await env?.close();
    users.cleanup();
  });

  const ssh = (creds: UserCreds, as: string, command = 'echo in') => runSSH(sshArgs(env, creds, as, [], [command]));

  test('refuses a login that is not a principal of the certificate, and audits it', async () => {
    const creds = await addUserWithCert(env, 'pat', ['node-access'], [login]);
    const res = await ssh(creds, other);
    assert.equal(res.code, 255);
    assert.match(res.stderr, new RegExp(`teleport: .*login '${other}' is not a principal`));
    assert.match(res.stderr, /Permission denied \(publickey\)/);
    const ev = await env.waitEvent(EventCodes.authAttemptFailure, (e) => e.login === other);
    assert.equal(ev.event, 'auth');
    assert.equal(ev.user, 'pat');
    assert.equal(ev.success, false);
    assert.match(String(ev.error), /not a principal/);
    assert.match(String(ev['addr.remote']), /^127\.0\.0\.1:\d+$/);
    assert.equal(ev.server_id, env.hostId);
  });

  test('refuses plain keys, auditing the attempt once the client gives up', async () => {
    const creds = await addUserWithCert(env, 'plain', ['node-access'], [login]);
    const keyPath = path.join(env.dir, 'plain-only');
    await writeFile(keyPath, creds.keyPEM, { mode: 0o600 });
    const res = await ssh({ ...creds, keyPath, certPath: `${keyPath}-missing-cert.pub` }, login);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /Permission denied \(publickey\)/);
    const ev = await env.waitEvent(EventCodes.authAttemptFailure, (e) => /plain ssh-ed25519 key/.test(String(e.error)));
    assert.equal(ev.login, login);
    // A certificate login that also offers plain keys is not reported as a failure.
    const before = env.events(EventCodes.authAttemptFailure).length;
    assert.equal((await ssh(creds, login)).code, 0);
    assert.equal(env.events(EventCodes.authAttemptFailure).length, before);
  });

  test('refuses a login denied by a role on the node labels, with the reason', async () => {
    const creds = await addUserWithCert(env, 'dan', ['node-access', 'no-prod'], [login]);
    const res = await ssh(creds, login);
    assert.equal(res.code, 255);
    assert.match(res.stderr, new RegExp(`teleport: access denied to ${login}@node1: .*no-prod`));
    const ev = await env.waitEvent(EventCodes.authAttemptFailure, (e) => e.user === 'dan');
    assert.match(String(ev.error), /access denied/);
  });

  test('says so when the OS account does not exist', async () => {
    await addRole(env, 'ghost-login', { allow: { logins: ['nosuchuser9'], node_labels: { '*': '*' } } });
    const creds = await addUserWithCert(env, 'gus', ['ghost-login'], []);
    const res = await ssh(creds, 'nosuchuser9');
    assert.equal(res.code, 255);
    assert.match(res.stderr, /login 'nosuchuser9' does not exist on node1/);
  });

  test('refuses a deleted user whose certificate is still valid, and ends their sessions', async () => {
    const creds = await addUserWithCert(env, 'del', ['node-access'], [login]);
    assert.equal((await ssh(creds, login)).code, 0);
    // A session that is running when the user is deleted is ended.
    const running = spawn('ssh', sshArgs(env, creds, login, [], ['echo started; sleep 30']), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    running.stdout.on('data', (d: Buffer) => (out += d.toString()));
    running.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => running.on('close', (code) => resolve(code)));
    await eventually(() => out.includes('started'), 'the session to start');
    await env.t.services.users.deleteUser('del');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<string>((r) => (timer = setTimeout(() => r('still running'), 8000)))]);
    clearTimeout(timer);
    if (code === 'still running') running.kill('SIGKILL');
    assert.notEqual(code, 'still running', 'the session of the deleted user was ended');
    assert.match(err, /user 'del' was deleted/);
    await env.waitEvent(EventCodes.clientDisconnect, (e) => e.user === 'del');
    const res = await ssh(creds, login);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /user 'del' no longer exists/);
  });

  test('applies a role edit to the next connection', async () => {
    await addRole(env, 'editable', { allow: { logins: ['{{internal.logins}}'], node_labels: { team: 'core' } } });
    const creds = await addUserWithCert(env, 'eve', ['editable'], [login]);
    assert.equal((await ssh(creds, login)).code, 0);
    await addRole(env, 'editable', { allow: { logins: ['{{internal.logins}}'], node_labels: { team: 'other' } } });
    const res = await eventually(async () => {
      const r = await ssh(creds, login);
      return r.code === 255 ? r : undefined;
    }, 'the edited role to refuse the login');
    assert.match(res.stderr, /access denied/);
    await addRole(env, 'editable', { allow: { logins: ['{{internal.logins}}'], node_labels: { team: 'core' } } });
    await eventually(async () => (await ssh(creds, login)).code === 0, 'the restored role to allow the login again');
  });
});
