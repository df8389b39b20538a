/**
 * @module srv/ssh/osUser
 * The OS account behind an SSH login: looked up with `getent passwd` (so NSS sources such as LDAP
 * work, not only /etc/passwd), and how to start a process as that account. When the node runs as
 * root, processes go through `setpriv --reuid --regid --init-groups`, which sets the user's
 * supplementary groups too: node-pty's uid/gid options would leave root's groups in place and
 * child_process's would clear them. Without root, only the node's own account can be used.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { AccessDeniedError, NotFoundError } from '@teleport-ts/api/errors';

/** An OS account, as getent reports it. */
export interface OSUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** A command line to start as an OS user: run `file args`, with `uid`/`gid` when set. */
export interface UserCommand {
  file: string;
  args: string[];
  uid?: number;
  gid?: number;
}

/** Where setpriv (util-linux) lives on the distributions we support. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** POSIX-ish login names; anything else is refused before reaching getent. */
const LOGIN_RE = /^[a-z_][a-z0-9_.-]*\$?$/i;

/** Parses one passwd line ("name:x:uid:gid:gecos:home:shell"). */
export function parsePasswdLine(line: string): OSUser | undefined {
  const f = line.trim().split(':');
  if (f.length < 7) return undefined;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  return { name: f[0] ?? '', uid, gid, home: f[5] || '/', shell: f[6] || '/bin/sh' };
}

/** Looks `login` up; undefined when the account does not exist. */
export function lookupOSUser(login: string): Promise<OSUser | undefined> {
  if (!LOGIN_RE.test(login) || login.length > 64) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    execFile('getent', ['passwd', login], { timeout: 10_000 }, (err, stdout) => {
      // getent exits 2 when the key is not found.
      if (err && (err as { code?: unknown }).code === 2) return resolve(undefined);
      if (err) return reject(err);
      const user = parsePasswdLine(stdout.split('\n')[0] ?? '');
      resolve(user && user.name === login ? user : undefined);
    });
  });
}

/** Like lookupOSUser, but a missing account is a NotFoundError that says which node. */
export async function requireOSUser(login: string, nodeName: string): Promise<OSUser> {
  const user = await lookupOSUser(login);
  if (!user) {
    throw new NotFoundError(`login '${login}' does not exist on ${nodeName}: ask an administrator to create the OS user or pick another login`);
  }
  return user;
}

/**
 * How to start `argv` as `user`. Throws AccessDeniedError when the node is not root and `user` is
 * not the account it runs as.
 */
export function userCommand(user: OSUser, argv: string[]): UserCommand {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty command');
  const me = process.getuid?.() ?? -1;
  if (me === user.uid) return { file, args };
  if (me !== 0) {
    throw new AccessDeniedError(`this node runs as ${userInfo().username} (uid ${me}) and cannot start processes as '${user.name}': run teleport as root`);
  }
  if (SETPRIV) {
    return { file: SETPRIV, args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', file, ...args] };
  }
  // No setpriv: fall back to setuid/setgid by the spawner (supplementary groups are not set).
  return { file, args, uid: user.uid, gid: user.gid };
}

/** The default PATH sshd gives a session (Debian's). */
export function defaultPath(user: OSUser): string {
  return user.uid === 0
    ? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    : '/usr/local/bin:/usr/bin:/bin:/usr/games';
}
