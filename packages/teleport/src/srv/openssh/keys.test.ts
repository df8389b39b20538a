/**
 * @module srv/openssh/keys.test
 * The files under `<data_dir>/openssh/` (modes, formats the real `ssh-keygen` and `sshd -t` accept)
 * and the guarded sshd_config edit: a passing check installs the block once however often it runs,
 * a failing check (real `sshd -t` on a broken file, or a failing command) leaves the original
 * untouched and no candidate file behind.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadParameterError } from '@teleport-ts/api/errors';
import { privateKeyToPEM } from '@teleport-ts/api/keys';
import { hasOpenSSH, hostCert, makeCA, makeKey, withTempDir } from '../../sshutils/testkit.ts';
import { checkSSHDConfig, DEFAULT_CHECK_COMMAND } from './commands.ts';
import { openSSHPaths, writeOpenSSHFiles, type OpenSSHPaths } from './keys.ts';
import { addTeleportInclude, BLOCK_BEGIN } from './sshdConfig.ts';
import { installTeleportInclude } from './sshdConfigFile.ts';

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

/** Writes credentials like a joined identity's into `<dir>/data/openssh`. */
async function writeTestFiles(dir: string, alg: 'ed25519' | 'ecdsa-p256' | 'rsa-2048' = 'ed25519'): Promise<OpenSSHPaths> {
  const paths = openSSHPaths(join(dir, 'data'));
  const key = makeKey(alg);
  const ca = makeCA();
  await writeOpenSSHFiles(paths, { keyPEM: privateKeyToPEM(key.key), sshCert: hostCert(makeCA(), key), userCAKeys: [ca.line, makeCA().line, ''] });
  return paths;
}

/** A minimal sshd_config that `sshd -t` accepts once the Teleport snippet supplies a host key. */
const baseConfig = ['# test sshd', 'Port 2222', 'ListenAddress 127.0.0.1', 'PidFile none', 'UsePAM no', ''].join('\n');

describe('writeOpenSSHFiles', () => {
  test('writes the key 0600, the public files 0644, in a 0700 directory', () => withTempDir(async (dir) => {
    const paths = await writeTestFiles(dir);
    assert.equal(await mode(paths.dir), 0o700);
    assert.equal(await mode(paths.hostKey), 0o600);
    for (const p of [paths.hostCert, paths.userCA, paths.snippet]) assert.equal(await mode(p), 0o644);
    assert.match(await readFile(paths.hostKey, 'utf8'), /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assert.equal((await readFile(paths.userCA, 'utf8')).trim().split('\n').length, 2, 'one CA key per line, blanks dropped');
    assert.match(await readFile(paths.snippet, 'utf8'), new RegExp(`^HostKey ${paths.hostKey}$`, 'm'));
    assert.deepEqual((await readdir(paths.dir)).sort(), ['ssh_host_teleport_key', 'ssh_host_teleport_key-cert.pub', 'sshd.conf', 'teleport_user_ca.pub']);
  }));

  test('refuses credentials without a host certificate or user CA keys', () => withTempDir(async (dir) => {
    const paths = openSSHPaths(dir);
    const keyPEM = makeKey().pem;
    await assert.rejects(writeOpenSSHFiles(paths, { keyPEM, sshCert: '', userCAKeys: [makeCA().line] }), /no SSH host certificate/);
    await assert.rejects(writeOpenSSHFiles(paths, { keyPEM, sshCert: hostCert(makeCA(), makeKey()), userCAKeys: [] }), /no user CA keys/);
  }));

  test('ssh-keygen reads every key type back', { skip: !hasOpenSSH && 'OpenSSH is not installed' }, () => withTempDir(async (dir) => {
    for (const alg of ['ed25519', 'ecdsa-p256', 'rsa-2048'] as const) {
      const paths = await writeTestFiles(join(dir, alg), alg);
      const r = spawnSync('ssh-keygen', ['-y', '-f', paths.hostKey], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const cert = spawnSync('ssh-keygen', ['-L', '-f', paths.hostCert], { encoding: 'utf8' });
      assert.match(cert.stdout, /Type: .*host certificate/);
    }
  }));
});

describe('installTeleportInclude', { skip: !hasOpenSSH && 'OpenSSH is not installed' }, () => {
  const realCheck = (p: string): Promise<void> => checkSSHDConfig(DEFAULT_CHECK_COMMAND, p);

  test('sshd -t accepts the result; a second run changes nothing; the file keeps its mode', () => withTempDir(async (dir) => {
    const paths = await writeTestFiles(dir);
    const config = join(dir, 'sshd_config');
    await writeFile(config, baseConfig, { mode: 0o640 });
    const first = await installTeleportInclude({ configPath: config, snippetPath: paths.snippet, check: realCheck });
    assert.equal(first.changed, true);
    const text = await readFile(config, 'utf8');
    assert.ok(text.startsWith(`${BLOCK_BEGIN}\nInclude ${paths.snippet}\n`));
    assert.ok(text.endsWith(baseConfig));
    assert.equal(await mode(config), 0o640);
    const second = await installTeleportInclude({ configPath: config, snippetPath: paths.snippet, check: realCheck });
    assert.equal(second.changed, false);
    assert.equal(await readFile(config, 'utf8'), text);
    assert.deepEqual((await readdir(dir)).sort(), ['data', 'sshd_config'], 'no candidate files left behind');
  }));

  test("Debian's default sshd_config with the block passes sshd -t", () => withTempDir(async (dir) => {
    const paths = await writeTestFiles(dir);
    const config = join(dir, 'sshd_config');
    const debian = await readFile(new URL('./testdata/debian_sshd_config', import.meta.url), 'utf8');
    await writeFile(config, debian);
    assert.equal((await installTeleportInclude({ configPath: config, snippetPath: paths.snippet, check: realCheck })).changed, true);
    assert.equal(await readFile(config, 'utf8'), addTeleportInclude(debian, paths.snippet).text);
  }));

  test('a failing check leaves the original untouched', () => withTempDir(async (dir) => {
    const paths = await writeTestFiles(dir);
    const config = join(dir, 'sshd_config');
    const broken = `${baseConfig}NoSuchKeyword yes\n`;
    await writeFile(config, broken);
    await assert.rejects(installTeleportInclude({ configPath: config, snippetPath: paths.snippet, check: realCheck }),
      (e: Error) => e instanceof BadParameterError && /does not pass the check: .*sshd -t -f .* exited with 255:\n.*NoSuchKeyword/s.test(e.message));
    await assert.rejects(installTeleportInclude({ configPath: config, snippetPath: paths.snippet, check: (p) => checkSSHDConfig('false %s', p) }), /"false .*" exited with 1/);
    await assert.rejects(installTeleportInclude({ configPath: config, snippetPath: paths.snippet, check: (p) => checkSSHDConfig('/no/such/sshd -t -f %s', p) }), /could not run .*ENOENT/);
    assert.equal(await readFile(config, 'utf8'), broken);
    assert.deepEqual((await readdir(dir)).sort(), ['data', 'sshd_config']);
  }));

  test('a symlinked sshd_config is edited where it points; a missing one is named', () => withTempDir(async (dir) => {
    const paths = await writeTestFiles(dir);
    const real = join(dir, 'real_sshd_config');
    await writeFile(real, baseConfig);
    await symlink(real, join(dir, 'sshd_config'));
    await installTeleportInclude({ configPath: join(dir, 'sshd_config'), snippetPath: paths.snippet, check: realCheck });
    assert.ok((await readFile(real, 'utf8')).startsWith(BLOCK_BEGIN));
    await assert.rejects(installTeleportInclude({ configPath: join(dir, 'nope'), snippetPath: paths.snippet, check: realCheck }), /does not exist: pass the right file with --openssh-config/);
  }));

  test('a check template without %s is refused', async () => {
    await assert.rejects(checkSSHDConfig('sshd -t', '/x'), /has no %s/);
  });
});
