/**
 * @module client/keyStore.test
 * The key store in a temporary tsh home with real certificates: upstream layout and permissions,
 * known_hosts maintenance, logout, and detection of a half-written login.
 */
import { describe, it, before, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { NotFoundError, TrustError } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import { KeyStore, type ClientKey } from './keyStore.ts';
import { listProfiles, loadProfile, saveProfile } from './profile.ts';
import { issueFixtureCredentials, type FixtureCredentials } from './testFixtures.ts';

const hasSSHKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;

function clientKey(c: FixtureCredentials, over: Partial<ClientKey> = {}): ClientKey {
  return {
    proxyHost: 'proxy.example.com', user: 'alice', cluster: 'example.com',
    privateKeyPEM: c.privateKeyPEM, publicKeyLine: c.publicKeyLine, sshCert: c.sshCert, tlsCert: c.tlsCert,
    tlsCAs: [c.tlsCACert], hostCAKeys: [{ clusterName: 'example.com', authorizedKey: c.hostCAKey }], ...over,
  };
}

/** Every path under `dir` with its permission bits. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true })) {
    out[entry] = ((await stat(join(dir, entry))).mode & 0o777).toString(8);
  }
  return out;
}

describe('KeyStore', () => {
  let alice: FixtureCredentials;
  let other: FixtureCredentials;
  let home: string;
  let store: KeyStore;
  before(async () => {
    alice = await issueFixtureCredentials();
    other = await issueFixtureCredentials({ user: 'bob', keyAlgorithm: 'ecdsa-p256' });
  });
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'tsh-keys-'));
    store = new KeyStore(home);
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('writes the upstream ~/.tsh layout with private permissions and no temporary files', async () => {
    await store.saveKey(clientKey(alice));
    assert.deepEqual(await tree(home), {
      known_hosts: '600',
      keys: '700',
      'keys/proxy.example.com': '700',
      'keys/proxy.example.com/alice': '600',
      'keys/proxy.example.com/alice.pub': '600',
      'keys/proxy.example.com/alice.crt': '600',
      'keys/proxy.example.com/alice-ssh': '700',
      'keys/proxy.example.com/alice-ssh/example.com-cert.pub': '600',
      'keys/proxy.example.com/cas': '700',
      'keys/proxy.example.com/cas/example.com.pem': '600',
    });
    const keyPath = store.keyPath('proxy.example.com', 'alice');
    assert.equal(relative(home, keyPath), 'keys/proxy.example.com/alice');
    assert.match(await readFile(keyPath, 'utf8'), /^-----BEGIN OPENSSH PRIVATE KEY-----\n/, 'Ed25519 keys are stored for OpenSSH');
    assert.equal(await readFile(`${keyPath}-ssh/example.com-cert.pub`, 'utf8'), `${alice.sshCert}\n`);
    assert.equal(await readFile(join(home, 'known_hosts'), 'utf8'),
      `@cert-authority proxy.example.com,example.com,*.example.com ${alice.hostCAKey} type=host\n`);
  });

  it('stores a key and certificate OpenSSH can use (ssh -i keys/<proxy>/<user>)', { skip: !hasSSHKeygen && 'ssh-keygen not installed' }, async () => {
    await store.saveKey(clientKey(alice));
    const keyPath = store.keyPath('proxy.example.com', 'alice');
    assert.equal(execFileSync('ssh-keygen', ['-y', '-f', keyPath], { encoding: 'utf8' }).trim(), alice.publicKeyLine);
    const certPath = store.sshCertPath('proxy.example.com', 'alice', 'example.com');
    assert.match(execFileSync('ssh-keygen', ['-L', '-f', certPath], { encoding: 'utf8' }), /Principals: \n\s+alice\n\s+root/);
  });

  it('loads what it saved', async () => {
    await store.saveKey(clientKey(alice));
    const loaded = await store.loadKey('proxy.example.com', 'alice');
    const { privateKeyPEM: _a, ...rest } = loaded;
    const { privateKeyPEM: _b, ...expected } = clientKey(alice);
    assert.deepEqual(rest, { ...expected, tlsCert: alice.tlsCert });
    assert.match(loaded.privateKeyPEM, /OPENSSH PRIVATE KEY/);
  });

  it('keeps ECDSA keys as PEM', async () => {
    await store.saveKey(clientKey(other, { user: 'bob' }));
    assert.match(await readFile(store.keyPath('proxy.example.com', 'bob'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.equal((await store.loadKey('proxy.example.com', 'bob')).user, 'bob');
  });

  it('replaces a cluster\'s host CA lines in known_hosts and keeps every other line', async () => {
    const unrelated = ['host.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOTHER', '@cert-authority leaf.example.net,*.leaf.example.net ssh-ed25519 AAAALEAF type=host'];
    await writeFile(join(home, 'known_hosts'), `${unrelated.join('\n')}\n`);
    await store.saveKey(clientKey(alice));
    const rotated = [{ clusterName: 'example.com', authorizedKey: 'ssh-ed25519 AAAANEW1' }, { clusterName: 'example.com', authorizedKey: 'ssh-ed25519 AAAANEW2' }];
    await store.saveKey(clientKey(alice, { hostCAKeys: rotated }));
    await store.saveKey(clientKey(alice, { hostCAKeys: rotated })); // idempotent
    assert.deepEqual((await readFile(join(home, 'known_hosts'), 'utf8')).split('\n'), [
      ...unrelated,
      '@cert-authority proxy.example.com,example.com,*.example.com ssh-ed25519 AAAANEW1 type=host',
      '@cert-authority proxy.example.com,example.com,*.example.com ssh-ed25519 AAAANEW2 type=host',
      '',
    ]);
    assert.deepEqual((await store.loadKey('proxy.example.com', 'alice')).hostCAKeys, rotated);
  });

  it('logout removes one user\'s keys and profile and keeps other proxies and users', async () => {
    await store.saveKey(clientKey(alice));
    await store.saveKey(clientKey(other, { user: 'bob' }));
    await store.saveKey(clientKey(alice, { proxyHost: 'other.example.org' }));
    await saveProfile(home, { webProxyAddr: 'other.example.org:3080', user: 'alice', cluster: 'example.com' });
    await saveProfile(home, { webProxyAddr: 'proxy.example.com:3080', user: 'alice', cluster: 'example.com' });

    await store.deleteKey('proxy.example.com', 'alice');
    await assert.rejects(store.loadKey('proxy.example.com', 'alice'), NotFoundError);
    assert.equal((await store.loadKey('proxy.example.com', 'bob')).user, 'bob');
    assert.deepEqual(await listProfiles(home), ['other.example.org']);
    assert.deepEqual((await readdir(join(home, 'keys/proxy.example.com'))).sort(), ['bob', 'bob-ssh', 'bob.crt', 'bob.pub', 'cas']);

    await store.deleteKey('proxy.example.com', 'bob');
    assert.deepEqual(await readdir(join(home, 'keys')), ['other.example.org'], 'the last user takes the proxy directory along');
    await store.deleteKey('other.example.org');
    assert.deepEqual(await readdir(join(home, 'keys')), []);
    assert.deepEqual(await listProfiles(home), []);
    await assert.rejects(loadProfile(home), NotFoundError);
    assert.ok((await readFile(join(home, 'known_hosts'), 'utf8')).includes('@cert-authority'), 'host CA trust is kept');
  });

  it('refuses a key that does not match its certificates (an interrupted login)', async () => {
    await store.saveKey(clientKey(alice));
    const keyPath = store.keyPath('proxy.example.com', 'alice');
    await writeFile(keyPath, privateKeyToPEM(generateKeyPair('ed25519').privateKey));
    await assert.rejects(store.loadKey('proxy.example.com', 'alice'), (e: unknown) => e instanceof TrustError && /does not match alice\.pub/.test(e.message));
    // New key and public key but the old certificates: the certificate check catches it.
    await store.saveKey(clientKey(alice, { privateKeyPEM: other.privateKeyPEM, publicKeyLine: other.publicKeyLine }));
    await assert.rejects(store.loadKey('proxy.example.com', 'alice'), /issued for another key/);
  });

  it('picks the SSH certificate of the issuing cluster when several are saved', async () => {
    await store.saveKey(clientKey(alice));
    await writeFile(store.sshCertPath('proxy.example.com', 'alice', 'leaf.example.net'), `${alice.sshCert}\n`);
    assert.equal((await store.loadKey('proxy.example.com', 'alice')).cluster, 'example.com');
    assert.equal((await store.loadKey('proxy.example.com', 'alice', 'leaf.example.net')).cluster, 'leaf.example.net');
    await assert.rejects(store.loadKey('proxy.example.com', 'alice', 'nope'), /no SSH certificate for cluster nope/);
  });

  it('says how to log in when nothing is saved, and rejects path tricks', async () => {
    await assert.rejects(store.loadKey('proxy.example.com', 'alice'),
      (e: unknown) => e instanceof NotFoundError && /tsh login --proxy=proxy\.example\.com --user=alice/.test(e.message));
    assert.throws(() => store.keyPath('..', 'alice'), /invalid proxy host/);
    assert.throws(() => store.keyPath('proxy', 'a/b'), /invalid user name/);
  });
});
