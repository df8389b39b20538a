/**
 * @module srv/ssh/sftp.test
 * File transfer through the sftp subsystem with the real OpenSSH `scp` (SFTP protocol by default
 * since OpenSSH 9) and `sftp`: files and directories both ways, checksums, ownership by the OS
 * user, the audit trail, and the role option that turns file copy off.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EventCodes } from '@teleport-ts/api/events/codes';
import { parsePasswdLine } from './osUser.ts';
import { parseSftpLogLine } from './sftp.ts';
import {
  addRole, addUserWithCert, canRunNodeTests, OSUsers, runProcess, startNodeTestEnv, type NodeTestEnv, type UserCreds,
} from './testkit.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('node service: sftp and scp', { skip: !canRunNodeTests && 'needs root and the OpenSSH client' }, () => {
  let env: NodeTestEnv;
  const users = new OSUsers();
  let login: string;
  let uid: number;
  let alice: UserCreds;
  let local: string;

  before(async () => {
    env = await startNodeTestEnv();
    login = users.create('sf');
    uid = Number((await readFile('/etc/passwd', 'utf8')).split('\n').map(parsePasswdLine).find((u) => u?.name === login)?.uid);
    await addRole(env, 'node-access', { allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
    alice = await addUserWithCert(env, 'alice', ['node-access'], [login]);
    local = path.join(env.dir, 'local');
    await mkdir(path.join(local, 'tree', 'sub'), { recursive: true });
  });
  after(async () => {
    await env?.close();
    users.cleanup();
  });

  const opts = (creds: UserCreds, e: NodeTestEnv = env): string[] => [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none',
    '-o', `IdentityFile=${creds.keyPath}`, '-o', `CertificateFile=${creds.certPath}`, '-o', `UserKnownHostsFile=${e.knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes', '-P', String(e.node.address.port),
  ];
  const remote = (p: string): string => `${login}@127.0.0.1:${p}`;
  const home = (p: string): string => path.join('/home', login, p);

  test('scp uploads and downloads a file, owned by the OS user', async () => {
    const data = randomBytes(1_500_000);
    await writeFile(path.join(local, 'big.bin'), data);
    const up = await runProcess('scp', [...opts(alice), path.join(local, 'big.bin'), remote('big.bin')]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(sha(await readFile(home('big.bin'))), sha(data));
    assert.equal((await stat(home('big.bin'))).uid, uid);
    const down = await runProcess('scp', [...opts(alice), remote('big.bin'), path.join(local, 'back.bin')]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(sha(await readFile(path.join(local, 'back.bin'))), sha(data));
    await env.waitEvent(EventCodes.subsystem, (e) => e.name === 'sftp' && e.user === 'alice');
    const upEv = await env.waitEvent(EventCodes.scpUpload, (e) => e.path === home('big.bin'));
    assert.equal(upEv.bytes, data.length);
    assert.equal(upEv.action, 'upload');
    await env.waitEvent(EventCodes.scpDownload, (e) => e.path === home('big.bin'));
  });

  test('scp -r copies a directory both ways', async () => {
    const files = { 'tree/a.txt': randomBytes(1000), 'tree/sub/b.bin': randomBytes(70_000) };
    for (const [p, d] of Object.entries(files)) await writeFile(path.join(local, p), d);
    const up = await runProcess('scp', [...opts(alice), '-r', path.join(local, 'tree'), remote('tree')]);
    assert.equal(up.code, 0, up.stderr);
    for (const [p, d] of Object.entries(files)) {
      assert.equal(sha(await readFile(home(p))), sha(d), p);
      assert.equal((await stat(home(p))).uid, uid, p);
    }
    assert.equal((await stat(home('tree/sub'))).uid, uid);
    const down = await runProcess('scp', [...opts(alice), '-r', remote('tree'), path.join(local, 'copy')]);
    assert.equal(down.code, 0, down.stderr);
    for (const [p, d] of Object.entries(files)) assert.equal(sha(await readFile(path.join(local, 'copy', p.slice(5)))), sha(d), p);
  });

  test('sftp puts and gets files and makes directories', async () => {
    const data = randomBytes(50_000);
    await writeFile(path.join(local, 's.bin'), data);
    const batch = path.join(env.dir, 'batch');
    await writeFile(batch, `mkdir box\nput ${path.join(local, 's.bin')} box/s.bin\nget box/s.bin ${path.join(local, 's-back.bin')}\nls box\n`);
    const res = await runProcess('sftp', [...opts(alice), '-b', batch, `${login}@127.0.0.1`]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(sha(await readFile(home('box/s.bin'))), sha(data));
    assert.equal((await stat(home('box'))).uid, uid);
    assert.equal(sha(await readFile(path.join(local, 's-back.bin'))), sha(data));
  });

  test('file copy is refused when a role turns it off', async () => {
    await addRole(env, 'no-copy', { options: { ssh_file_copy: false }, allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
    const bob = await addUserWithCert(env, 'bob', ['no-copy'], [login]);
    const res = await runProcess('scp', [...opts(bob), path.join(local, 'big.bin'), remote('nope.bin')]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /file copying \(scp\/sftp\) is disabled by your roles/);
    await env.waitEvent(EventCodes.subsystemFailure, (e) => e.user === 'bob');
  });

  test('says so when sftp-server is missing', async () => {
    const env2 = await startNodeTestEnv({ sftpServerPath: '/nonexistent/sftp-server' });
    try {
      await addRole(env2, 'node-access', { allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
      const creds = await addUserWithCert(env2, 'alice', ['node-access'], [login]);
      const res = await runProcess('scp', [...opts(creds, env2), path.join(local, 'big.bin'), remote('x.bin')]);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /sftp is not available on node1: \/nonexistent\/sftp-server is missing/);
      await env2.waitEvent(EventCodes.subsystemFailure, (e) => e.name === 'sftp');
    } finally {
      await env2.close();
    }
  });

  test('parses sftp-server close lines', () => {
    assert.deepEqual(parseSftpLogLine('close "/home/x/a b.txt" bytes read 0 written 12'), { path: '/home/x/a b.txt', read: 0, written: 12 });
    assert.equal(parseSftpLogLine('open "/x" flags READ mode 0666'), undefined);
  });
});
