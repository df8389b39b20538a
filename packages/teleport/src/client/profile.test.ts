/**
 * @module client/profile.test
 * Profiles in a temporary tsh home: upstream file names and YAML keys, current-profile handling,
 * permissions, and atomic replacement.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import {
  currentProfileName, listProfiles, loadProfile, proxyHostOf, removeProfile, saveProfile, tshHome, writeFileAtomic,
  type Profile,
} from './profile.ts';

const alice: Profile = {
  webProxyAddr: 'proxy.example.com:3080', sshProxyAddr: 'proxy.example.com:3023', user: 'alice', cluster: 'example.com',
};
const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('profiles', () => {
  let root: string;
  let home: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsh-profile-'));
    home = join(root, 'tsh'); // does not exist yet: saving creates it
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('finds the home from TELEPORT_HOME, else ~/.tsh', () => {
    assert.equal(tshHome({ TELEPORT_HOME: '/opt/tsh' }), '/opt/tsh');
    assert.equal(tshHome({}), join(homedir(), '.tsh'));
  });

  it('names profiles by proxy host', () => {
    assert.equal(proxyHostOf('proxy.example.com:3080'), 'proxy.example.com');
    assert.equal(proxyHostOf('https://proxy.example.com:443/web'), 'proxy.example.com');
    assert.equal(proxyHostOf('proxy.example.com'), 'proxy.example.com');
    assert.equal(proxyHostOf('[::1]:3080'), '::1');
    assert.equal(proxyHostOf('::1'), '::1');
  });

  it('saves <home>/<proxy-host>.yaml with upstream keys, 0600 in a 0700 home, and makes it current', async () => {
    const name = await saveProfile(home, { ...alice, insecure: true, tlsRoutingEnabled: true, dynamicForwardedPorts: [] });
    assert.equal(name, 'proxy.example.com');
    const path = join(home, 'proxy.example.com.yaml');
    assert.deepEqual(parse(await readFile(path, 'utf8')), {
      web_proxy_addr: 'proxy.example.com:3080', ssh_proxy_addr: 'proxy.example.com:3023', user: 'alice',
      cluster: 'example.com', tls_routing_enabled: true, insecure: true,
    });
    assert.equal(await mode(path), 0o600);
    assert.equal(await mode(home), 0o700);
    assert.equal(await readFile(join(home, 'current-profile'), 'utf8'), 'proxy.example.com\n');
    assert.equal(await currentProfileName(home), 'proxy.example.com');
  });

  it('loads the current profile or a named one, by host or host:port', async () => {
    await saveProfile(home, alice);
    await saveProfile(home, { ...alice, webProxyAddr: 'other.example.org:443', user: 'bob' }, { makeCurrent: false });
    assert.deepEqual(await loadProfile(home), alice);
    assert.equal((await loadProfile(home, 'other.example.org')).user, 'bob');
    assert.equal((await loadProfile(home, 'other.example.org:443')).user, 'bob');
    assert.deepEqual(await listProfiles(home), ['other.example.org', 'proxy.example.com']);
  });

  it('reads profiles written by upstream tsh, ignoring keys it does not know', async () => {
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'teleport.example.com.yaml'), [
      'web_proxy_addr: teleport.example.com:443', 'ssh_proxy_addr: teleport.example.com:3023', 'user: alice@example.com',
      'cluster: teleport.example.com', 'tls_routing_enabled: true', 'private_key_policy: none', 'auth_connector: github',
      'dynamic_forward_ports:', '  - "8080"', '',
    ].join('\n'));
    assert.deepEqual(await loadProfile(home, 'teleport.example.com'), {
      webProxyAddr: 'teleport.example.com:443', sshProxyAddr: 'teleport.example.com:3023', user: 'alice@example.com',
      cluster: 'teleport.example.com', tlsRoutingEnabled: true, authConnector: 'github', dynamicForwardedPorts: ['8080'],
    });
  });

  it('says "tsh login" when there is no profile, and rejects broken ones', async () => {
    await assert.rejects(loadProfile(home), (e: unknown) => e instanceof NotFoundError && /not logged in: run "tsh login/.test(e.message));
    await assert.rejects(loadProfile(home, 'nowhere.example.com'), NotFoundError);
    assert.equal(await currentProfileName(home), undefined);
    assert.deepEqual(await listProfiles(home), []);
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'bad.yaml'), 'web_proxy_addr: [unclosed');
    await assert.rejects(loadProfile(home, 'bad'), (e: unknown) => e instanceof BadParameterError && /not valid YAML/.test(e.message));
    await writeFile(join(home, 'nourl.yaml'), 'user: alice\n');
    await assert.rejects(loadProfile(home, 'nourl'), /no web_proxy_addr/);
    await writeFile(join(home, 'typed.yaml'), 'web_proxy_addr: p:3080\ninsecure: "yes"\n');
    await assert.rejects(loadProfile(home, 'typed'), /"insecure" has the wrong type/);
    await assert.rejects(saveProfile(home, { ...alice, webProxyAddr: '../../etc/passwd' }), BadParameterError);
    await assert.rejects(loadProfile(home, '..'), BadParameterError);
  });

  it('removes a profile, clearing current-profile only when it was current', async () => {
    await saveProfile(home, { ...alice, webProxyAddr: 'a.example.com:3080' });
    await saveProfile(home, { ...alice, webProxyAddr: 'b.example.com:3080' });
    await removeProfile(home, 'a.example.com');
    assert.equal(await currentProfileName(home), 'b.example.com');
    assert.deepEqual(await listProfiles(home), ['b.example.com']);
    await removeProfile(home, 'b.example.com:3080');
    assert.equal(await currentProfileName(home), undefined);
    assert.deepEqual(await listProfiles(home), []);
    await removeProfile(home, 'never.example.com'); // no error
  });

  it('replaces files atomically and leaves no temporary files, even when the rename fails', async () => {
    await mkdir(home, { recursive: true });
    const path = join(home, 'f');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two', 0o600);
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.equal(await mode(path), 0o600);
    // A directory cannot be replaced by a file: the write fails, the old content stays, nothing leaks.
    await mkdir(join(home, 'dir'));
    await writeFile(join(home, 'dir', 'keep'), 'x');
    await assert.rejects(writeFileAtomic(join(home, 'dir'), 'data'));
    assert.equal(await readFile(join(home, 'dir', 'keep'), 'utf8'), 'x');
    assert.deepEqual((await readdir(home)).sort(), ['dir', 'f']);
  });
});
