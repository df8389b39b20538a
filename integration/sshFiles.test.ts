/**
 * @module integration/sshFiles.test
 * File transfer through the whole cluster: OpenSSH `scp` (SFTP and, with -O, the legacy scp
 * protocol) and `sftp` configured by `tsh config`, and `tsh scp`, each upload and download a file
 * and a directory tree (-r). Contents are compared by sha256; uploads land on the node owned by the
 * login they were made as.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describeResult, type CLIResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, OPENSSH_OPTS, ProcessTracker } from './helpers/sshClients.ts';
import { canRunSSHTests, OSUsers, sha256, sshClientUser, type SSHClientUser } from './helpers/sshEnv.ts';

/** Relative path -> sha256 of every file under `dir` (directories recursed, empty ones listed with ''). */
async function treeDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    if (entries.length === 0) out[`${relative(dir, d)}/`] = '';
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(dir, p)] = await sha256(p);
    }
  };
  await walk(dir);
  return out;
}

describe('file transfer: scp and sftp via tsh config, tsh scp', { skip: !canRunSSHTests && 'needs root and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  const osUsers = new OSUsers();
  let login: string;
  let remoteHome: string;
  let alice: SSHClientUser;
  let env: Record<string, string>;
  let local: string;
  let blob: string;
  let tree: string;

  before(async () => {
    cluster = await startTestCluster({ nodeName: 'node1', sshService: { labels: { env: 'dev' } }, secondFactor: 'off' });
    login = osUsers.create('fil');
    remoteHome = `/home/${login}`;
    alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: [login] });
    env = clientEnv(alice.home);
    local = join(cluster.root, 'files');
    // A file larger than one SFTP packet and a tree with a nested, an empty and a binary file.
    blob = join(local, 'blob.bin');
    tree = join(local, 'tree');
    await mkdir(join(tree, 'sub', 'deeper'), { recursive: true });
    await mkdir(join(tree, 'empty-dir'));
    await writeFile(blob, randomBytes(300_000));
    await writeFile(join(tree, 'a.txt'), 'alpha\n');
    await writeFile(join(tree, 'sub', 'b.bin'), randomBytes(70_000));
    await writeFile(join(tree, 'sub', 'deeper', 'empty'), '');
  });
  after(async () => {
    await procs.killAll();
    await cluster?.close();
    osUsers.cleanup();
  });

  const host = (): string => `${login}@node1.${CLUSTER_NAME}`;
  const openssh = (tool: 'scp' | 'sftp', args: string[]): Promise<CLIResult> =>
    procs.run(tool, ['-F', alice.sshConfig, ...OPENSSH_OPTS, ...args], { env });

  /** Asserts that `remote` (a path on the node) has the same contents as `src` and belongs to the login. */
  async function assertUploaded(src: string, remote: string): Promise<void> {
    if ((await stat(src)).isDirectory()) assert.deepEqual(await treeDigest(remote), await treeDigest(src));
    else assert.equal(await sha256(remote), await sha256(src));
    const { uid } = await stat(remote);
    const { uid: loginUid } = await stat(remoteHome);
    assert.equal(uid, loginUid, `${remote} is owned by ${login}`);
  }

  for (const [name, extra] of [['scp', []], ['scp -O (legacy protocol)', ['-O']]] as const) {
    test(`OpenSSH ${name}: a file and a directory, up and down`, async () => {
      const tag = extra.length ? 'legacy' : 'sftp';
      const up = await openssh('scp', [...extra, blob, `${host()}:scp-${tag}.bin`]);
      assert.equal(up.code, 0, describeResult(up));
      await assertUploaded(blob, join(remoteHome, `scp-${tag}.bin`));
      const upDir = await openssh('scp', [...extra, '-r', tree, `${host()}:scp-${tag}-tree`]);
      assert.equal(upDir.code, 0, describeResult(upDir));
      await assertUploaded(tree, join(remoteHome, `scp-${tag}-tree`));

      const down = join(local, `down-scp-${tag}.bin`);
      const get = await openssh('scp', [...extra, `${host()}:scp-${tag}.bin`, down]);
      assert.equal(get.code, 0, describeResult(get));
      assert.equal(await sha256(down), await sha256(blob));
      const downDir = join(local, `down-scp-${tag}-tree`);
      const getDir = await openssh('scp', [...extra, '-r', `${host()}:scp-${tag}-tree`, downDir]);
      assert.equal(getDir.code, 0, describeResult(getDir));
      assert.deepEqual(await treeDigest(downDir), await treeDigest(tree));
    });
  }

  test('OpenSSH sftp: put and get a file and a directory', async () => {
    const downFile = join(local, 'down-sftp.bin');
    const downDir = join(local, 'down-sftp-tree');
    const batch = [
      `put ${blob} sftp.bin`,
      `put -r ${tree} sftp-tree`,
      `get sftp.bin ${downFile}`,
      `get -r sftp-tree ${downDir}`,
    ].join('\n');
    await writeFile(join(local, 'batch'), `${batch}\n`);
    const r = await openssh('sftp', ['-b', join(local, 'batch'), host()]);
    assert.equal(r.code, 0, describeResult(r));
    await assertUploaded(blob, join(remoteHome, 'sftp.bin'));
    await assertUploaded(tree, join(remoteHome, 'sftp-tree'));
    assert.equal(await sha256(downFile), await sha256(blob));
    assert.deepEqual(await treeDigest(downDir), await treeDigest(tree));
  });

  test('tsh scp: a file and a directory (-r), up and down', async () => {
    const up = await procs.tsh(['scp', blob, `${login}@node1:tsh.bin`], { env });
    assert.equal(up.code, 0, describeResult(up));
    await assertUploaded(blob, join(remoteHome, 'tsh.bin'));
    const upDir = await procs.tsh(['scp', '-r', tree, `${login}@node1:tsh-tree`], { env });
    assert.equal(upDir.code, 0, describeResult(upDir));
    await assertUploaded(tree, join(remoteHome, 'tsh-tree'));

    const down = join(local, 'down-tsh.bin');
    const get = await procs.tsh(['scp', `${login}@node1:tsh.bin`, down], { env });
    assert.equal(get.code, 0, describeResult(get));
    assert.equal(await sha256(down), await sha256(blob));
    const downDir = join(local, 'down-tsh-tree');
    const getDir = await procs.tsh(['scp', '-r', `${login}@node1:${remoteHome}/tsh-tree`, downDir], { env });
    assert.equal(getDir.code, 0, describeResult(getDir));
    assert.deepEqual(await treeDigest(downDir), await treeDigest(tree));
  });
});
