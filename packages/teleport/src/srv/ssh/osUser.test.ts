/**
 * @module srv/ssh/osUser.test
 * OS account lookups: /etc/passwd answers when NSS reads the files first, getent otherwise and for
 * accounts the file does not hold, and both agree on this machine's accounts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findInPasswd, lookupOSUser, parsePasswdLine, passwdFilesFirst, type OSUser } from './osUser.ts';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'alice:x:1001:1001:Alice,,,:/home/alice:/bin/zsh',
  'alice2:x:1002:1002::/home/alice2:',
  'alice:x:2001:2001:shadowed duplicate:/nowhere:/bin/false',
  '',
].join('\n');

/** `getent passwd <login>` run synchronously; undefined when the account does not exist (exit 2). */
function getentUser(login: string): OSUser | undefined {
  const r = spawnSync('getent', ['passwd', login], { encoding: 'utf8' });
  if (r.status === 2) return undefined;
  if (r.status !== 0) throw new Error(`getent passwd ${login} exited ${r.status}: ${r.stderr}`);
  return parsePasswdLine(r.stdout.split('\n')[0] ?? '');
}

/** A getent stand-in that records what it was asked. */
function fakeGetent(answers: Record<string, OSUser> = {}): { calls: string[]; getent: (login: string) => Promise<OSUser | undefined> } {
  const calls: string[] = [];
  return { calls, getent: async (login) => (calls.push(login), answers[login]) };
}

describe('passwdFilesFirst', () => {
  it('is true only when passwd lookups start with the files', () => {
    assert.equal(passwdFilesFirst('passwd:         files systemd\ngroup: files\n'), true);
    assert.equal(passwdFilesFirst('# passwd: ldap\npasswd: files [NOTFOUND=return] ldap # comment\n'), true);
    assert.equal(passwdFilesFirst('passwd: ldap files\n'), false);
    assert.equal(passwdFilesFirst('passwd: compat\n'), false);
    assert.equal(passwdFilesFirst('passwd: files [SUCCESS=continue] ldap\n'), false);
    assert.equal(passwdFilesFirst('group: files\n'), false);
    assert.equal(passwdFilesFirst(''), false);
  });
});

describe('findInPasswd', () => {
  it('returns the first exact match, as the files source does', () => {
    assert.deepEqual(findInPasswd(PASSWD, 'alice'), { name: 'alice', uid: 1001, gid: 1001, home: '/home/alice', shell: '/bin/zsh' });
    assert.deepEqual(findInPasswd(PASSWD, 'alice2'), { name: 'alice2', uid: 1002, gid: 1002, home: '/home/alice2', shell: '/bin/sh' });
    assert.equal(findInPasswd(PASSWD, 'ali'), undefined);
    assert.equal(findInPasswd(PASSWD, 'bob'), undefined);
  });
});

describe('lookupOSUser', () => {
  it('answers from /etc/passwd when NSS reads the files first, and asks getent for the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osuser-'));
    try {
      const passwdFile = join(dir, 'passwd');
      const nsswitchFile = join(dir, 'nsswitch.conf');
      await writeFile(passwdFile, PASSWD);
      await writeFile(nsswitchFile, 'passwd: files ldap\n');
      const ldapUser = { name: 'carol', uid: 5000, gid: 5000, home: '/home/carol', shell: '/bin/bash' };
      const fake = fakeGetent({ carol: ldapUser });
      const sources = { passwdFile, nsswitchFile, getent: fake.getent };
      assert.equal((await lookupOSUser('alice', sources))?.uid, 1001);
      assert.deepEqual(fake.calls, [], 'an account in the file needs no getent');
      assert.deepEqual(await lookupOSUser('carol', sources), ldapUser);
      assert.equal(await lookupOSUser('nobody-here', sources), undefined);
      assert.deepEqual(fake.calls, ['carol', 'nobody-here']);
      // Bad names never reach either source.
      assert.equal(await lookupOSUser('../etc', sources), undefined);
      assert.equal(await lookupOSUser('-rf', sources), undefined);
      assert.deepEqual(fake.calls, ['carol', 'nobody-here']);

      // Another source first, or no nsswitch.conf: getent decides, even for accounts in the file.
      for (const nss of ['passwd: ldap files\n', undefined]) {
        if (nss === undefined) await rm(nsswitchFile);
        else await writeFile(nsswitchFile, nss);
        const ldapFirst = fakeGetent({ alice: { ...ldapUser, name: 'alice' } });
        assert.equal((await lookupOSUser('alice', { passwdFile, nsswitchFile, getent: ldapFirst.getent }))?.uid, 5000);
        assert.deepEqual(ldapFirst.calls, ['alice']);
      }
      // An unreadable passwd file falls back to getent.
      await writeFile(nsswitchFile, 'passwd: files\n');
      const noFile = fakeGetent();
      assert.equal(await lookupOSUser('alice', { passwdFile: join(dir, 'missing'), nsswitchFile, getent: noFile.getent }), undefined);
      assert.deepEqual(noFile.calls, ['alice']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('agrees with getent for every account on this machine', async () => {
    const logins = (await readFile('/etc/passwd', 'utf8')).split('\n').map(parsePasswdLine).filter((u) => u !== undefined).map((u) => u.name);
    let compared = 0;
    for (const login of [...new Set(logins)].filter((l) => /^[a-z_][a-z0-9_.-]*\$?$/i.test(l))) {
      // Other test files add and remove throwaway accounts while this runs (useradd/userdel), so an
      // account is compared only when getent gives the same answer before and after our lookup.
      const before = getentUser(login);
      const ours = await lookupOSUser(login);
      const after = getentUser(login);
      if (!isDeepStrictEqual(before, after)) continue;
      assert.deepEqual(ours, before, login);
      compared++;
    }
    assert.ok(compared > 0, 'at least root is compared');
    assert.equal(await lookupOSUser('no-such-user-osuser-test'), undefined);
  });
});
