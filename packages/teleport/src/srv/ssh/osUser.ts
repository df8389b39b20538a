/**
 * @module srv/ssh/osUser
 * The OS account behind an SSH login, and how to start a process as that account. Lookups give
 * what `getent passwd` gives (so NSS sources such as LDAP work, not only /etc/passwd): when
 * /etc/nsswitch.conf consults `files` first for passwd (the usual setup), an account found in
 * /etc/passwd is what getent would return, so the file is read (asynchronously) and getent runs only
 * for accounts it does not hold; otherwise every lookup runs getent. Spawning getent forks the
 * process synchronously on the event loop (a few ms per session on a busy node).
 *
 * When the node runs as root, processes go through `setpriv --reuid --regid --init-groups`, which
 * sets the user's supplementary groups too: node-pty's uid/gid options would leave root's groups in
 * place and child_process's would clear them. Without root, only the node's own account can be used.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { AccessDeniedError, NotFoundError } from '@teleport-ts/api/errors';

/** An OS account, as getent (or /etc/passwd) reports it. */
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

/** Where {@link lookupOSUser} looks; tests point these elsewhere. */
export interface OSUserSources {
  /** Default /etc/passwd. */
  passwdFile?: string;
  /** Default /etc/nsswitch.conf. */
  nsswitchFile?: string;
  /** Looks an account up through NSS; default `getent passwd <login>`. */
  getent?: (login: string) => Promise<OSUser | undefined>;
}

/**
 * Whether NSS answers passwd lookups from the files first, as glibc does with `passwd: files ...`:
 * then an account found in /etc/passwd is the one getent returns. Anything else (no such line,
 * `compat`, another source first, an action that continues after a success) means no.
 */
export function passwdFilesFirst(nsswitch: string): boolean {
  const line = nsswitch.split('\n').map((l) => l.replace(/#.*/, '').trim()).find((l) => /^passwd\s*:/.test(l));
  if (!line) return false;
  const [first, next] = line.replace(/^passwd\s*:/, '').trim().split(/\s+/);
  return first === 'files' && !(next?.startsWith('[') && /success\s*=\s*continue/i.test(next));
}

/** The first entry for `login` in passwd file text (as the files source returns it), else undefined. */
export function findInPasswd(text: string, login: string): OSUser | undefined {
  const prefix = `${login}:`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const user = parsePasswdLine(line);
    if (user?.name === login) return user;
  }
  return undefined;
}

/** `getent passwd <login>`; undefined when NSS has no such account. */
function getentPasswd(login: string): Promise<OSUser | undefined> {
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

/** A file's text, or undefined when it cannot be read. */
const readOptional = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

/** Looks `login` up; undefined when the account does not exist. */
export async function lookupOSUser(login: string, sources: OSUserSources = {}): Promise<OSUser | undefined> {
  if (!LOGIN_RE.test(login) || login.length > 64) return undefined;
  const getent = sources.getent ?? getentPasswd;
  const nsswitch = await readOptional(sources.nsswitchFile ?? '/etc/nsswitch.conf');
  if (nsswitch === undefined || !passwdFilesFirst(nsswitch)) return getent(login);
  const passwd = await readOptional(sources.passwdFile ?? '/etc/passwd');
  return (passwd !== undefined ? findInPasswd(passwd, login) : undefined) ?? getent(login);
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
