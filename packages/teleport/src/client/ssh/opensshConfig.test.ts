/**
 * @module client/ssh/opensshConfig.test
 * The `tsh config` block: its text, and what the real OpenSSH client makes of it (`ssh -G`): node
 * names under the cluster get the ProxyCommand, port 3022, the tsh key and certificate and the tsh
 * known_hosts; the proxy itself gets the key but no ProxyCommand; other hosts get nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatOpenSSHConfig, type OpenSSHConfigOptions } from './opensshConfig.ts';

const hasSSH = !spawnSync('ssh', ['-V'], { stdio: 'ignore' }).error;

const opts: OpenSSHConfigOptions = {
  proxyHost: 'proxy.example.com', webProxyAddr: 'proxy.example.com:3080', cluster: 'example.com',
  knownHostsPath: '/home/alice/.tsh/known_hosts',
  identityFile: '/home/alice/.tsh/keys/proxy.example.com/alice',
  certificateFile: '/home/alice/.tsh/keys/proxy.example.com/alice-ssh/example.com-cert.pub',
  tshPath: '/opt/teleport tools/tsh',
};

/** `ssh -G` output as a map of lowercase keyword -> values. */
function sshG(configPath: string, dest: string): Map<string, string[]> {
  const r = spawnSync('ssh', ['-G', '-F', configPath, dest], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const k = line.slice(0, sp);
    out.set(k, [...(out.get(k) ?? []), line.slice(sp + 1)]);
  }
  return out;
}

describe('tsh config (OpenSSH client configuration)', () => {
  it('prints the upstream-style block', () => {
    assert.equal(formatOpenSSHConfig(opts), [
      '# Begin generated Teleport configuration for proxy.example.com by tsh',
      '',
      '# Common flags for all example.com hosts',
      'Host *.example.com proxy.example.com',
      '    UserKnownHostsFile "/home/alice/.tsh/known_hosts"',
      '    IdentityFile "/home/alice/.tsh/keys/proxy.example.com/alice"',
      '    CertificateFile "/home/alice/.tsh/keys/proxy.example.com/alice-ssh/example.com-cert.pub"',
      '    HostKeyAlgorithms ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com',
      '',
      '# Flags for all example.com hosts except the proxy',
      'Host *.example.com !proxy.example.com',
      '    Port 3022',
      '    ProxyCommand "/opt/teleport tools/tsh" proxy ssh --cluster=example.com --proxy=proxy.example.com:3080 %r@%h:%p',
      '',
      '# End generated Teleport configuration',
      '',
    ].join('\n'));
  });

  it('passes a non-default TELEPORT_HOME to the ProxyCommand and refuses unquotable paths', () => {
    assert.match(formatOpenSSHConfig({ ...opts, teleportHome: '/tmp/h' }), /ProxyCommand env TELEPORT_HOME="\/tmp\/h" "\/opt\/teleport tools\/tsh" proxy ssh/);
    assert.throws(() => formatOpenSSHConfig({ ...opts, tshPath: '/a"b' }), /double quote/);
  });

  it('is understood by the real ssh client (ssh -G)', { skip: !hasSSH && 'OpenSSH is not installed' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsh-config-'));
    try {
      const path = join(dir, 'config');
      await writeFile(path, formatOpenSSHConfig(opts));
      const node = sshG(path, 'alice@node1.example.com');
      assert.deepEqual(node.get('user'), ['alice']);
      assert.deepEqual(node.get('hostname'), ['node1.example.com']);
      assert.deepEqual(node.get('port'), ['3022']);
      assert.deepEqual(node.get('proxycommand'), ['"/opt/teleport tools/tsh" proxy ssh --cluster=example.com --proxy=proxy.example.com:3080 %r@%h:%p']);
      assert.ok(node.get('identityfile')?.includes('/home/alice/.tsh/keys/proxy.example.com/alice'));
      assert.ok(node.get('certificatefile')?.includes('/home/alice/.tsh/keys/proxy.example.com/alice-ssh/example.com-cert.pub'));
      assert.deepEqual(node.get('userknownhostsfile'), ['/home/alice/.tsh/known_hosts']);
      assert.match(node.get('hostkeyalgorithms')?.[0] ?? '', /^ssh-ed25519-cert-v01@openssh\.com,/);

      const proxy = sshG(path, 'proxy.example.com');
      assert.equal(proxy.get('proxycommand'), undefined);
      assert.ok(proxy.get('certificatefile')?.some((f) => f.endsWith('example.com-cert.pub')));
      assert.deepEqual(proxy.get('port'), ['22']);

      const other = sshG(path, 'elsewhere.org');
      assert.equal(other.get('proxycommand'), undefined);
      assert.equal(other.get('certificatefile'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
