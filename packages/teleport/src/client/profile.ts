/**
 * @module client/profile
 * tsh profiles in the client home directory (TELEPORT_HOME, default ~/.tsh), laid out like upstream:
 *
 * ```
 * <home>/current-profile        name of the active profile (the proxy host)
 * <home>/<proxy-host>.yaml      one profile per proxy: web_proxy_addr, ssh_proxy_addr, user, cluster, ...
 * ```
 *
 * YAML keys are upstream's (api/profile), so a profile written by either implementation loads in the
 * other; `insecure` is our addition (upstream only has the --insecure flag). Also owns the small
 * file helpers (atomic write, private directories) that the key store shares.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, chmod, open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';

/** A tsh login profile: where the cluster is and who is logged in. */
export interface Profile {
  /** Proxy web address, "host:port". */
  webProxyAddr: string;
  /** Proxy SSH address, "host:port" (absent when TLS routing multiplexes SSH on the web port). */
  sshProxyAddr?: string;
  kubeProxyAddr?: string;
  postgresProxyAddr?: string;
  mysqlProxyAddr?: string;
  /** Teleport user name. */
  user: string;
  /** Cluster the user is working with (root cluster name after login). */
  cluster: string;
  /** Skip verification of the proxy's TLS certificate (set by `tsh login --insecure`). */
  insecure?: boolean;
  /** All protocols go through the web port by ALPN. */
  tlsRoutingEnabled?: boolean;
  /** Authentication connector used to log in ("local", a GitHub/OIDC/SAML connector name). */
  authConnector?: string;
  /** Local forwards to set up on `tsh ssh` ("[bind:]port:host:port"). */
  forwardedPorts?: string[];
  dynamicForwardedPorts?: string[];
}

/** Profile field ↔ YAML key, in the order upstream writes them. */
const KEYS: ReadonlyArray<readonly [keyof Profile, string, 'string' | 'boolean' | 'list']> = [
  ['webProxyAddr', 'web_proxy_addr', 'string'],
  ['sshProxyAddr', 'ssh_proxy_addr', 'string'],
  ['kubeProxyAddr', 'kube_proxy_addr', 'string'],
  ['postgresProxyAddr', 'postgres_proxy_addr', 'string'],
  ['mysqlProxyAddr', 'mysql_proxy_addr', 'string'],
  ['user', 'user', 'string'],
  ['cluster', 'cluster', 'string'],
  ['forwardedPorts', 'forward_ports', 'list'],
  ['dynamicForwardedPorts', 'dynamic_forward_ports', 'list'],
  ['tlsRoutingEnabled', 'tls_routing_enabled', 'boolean'],
  ['authConnector', 'auth_connector', 'string'],
  ['insecure', 'insecure', 'boolean'],
];

const CURRENT = 'current-profile';

/** The client home: TELEPORT_HOME when set, else ~/.tsh. */
export function tshHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TELEPORT_HOME || join(homedir(), '.tsh');
}

/** Host part of "host:port", "[v6]:port" or "https://host:port"; used as the profile name. */
export function proxyHostOf(addr: string): string {
  const bare = addr.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const v6 = /^\[([^\]]+)\]/.exec(bare);
  if (v6) return v6[1] as string;
  const colon = bare.lastIndexOf(':');
  return colon > 0 && bare.indexOf(':') === colon ? bare.slice(0, colon) : bare;
}

/** Profile names become file names: refuse anything that could escape the home directory. */
function checkName(name: string): string {
  if (!name || name !== basename(name) || name.startsWith('.') || /[\\/\0]/.test(name)) {
    throw new BadParameterError(`invalid profile name "${name}": expected a proxy host name`);
  }
  return name;
}

/** Path of a profile's YAML file. */
export function profilePath(home: string, name: string): string {
  return join(home, `${checkName(name)}.yaml`);
}

/** Serialises a profile to upstream-compatible YAML. */
export function profileToYAML(p: Profile): string {
  const doc: Record<string, unknown> = {};
  for (const [field, key, kind] of KEYS) {
    const v = p[field];
    if (v === undefined || v === '' || v === false || (kind === 'list' && (v as string[]).length === 0)) continue;
    doc[key] = v;
  }
  return stringify(doc);
}

/** Parses profile YAML; `source` names the file in error messages. */
export function profileFromYAML(text: string, source: string): Profile {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new BadParameterError(`profile ${source} is not valid YAML: delete it and run "tsh login" again`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null) {
    throw new BadParameterError(`profile ${source} is empty or malformed: delete it and run "tsh login" again`);
  }
  const raw = doc as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, key, kind] of KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (kind === 'string' && typeof v === 'string') out[field] = v;
    else if (kind === 'boolean' && typeof v === 'boolean') out[field] = v;
    else if (kind === 'list' && Array.isArray(v)) out[field] = v.map(String);
    else throw new BadParameterError(`profile ${source}: "${key}" has the wrong type`);
  }
  if (typeof out.webProxyAddr !== 'string') {
    throw new BadParameterError(`profile ${source} has no web_proxy_addr: run "tsh login --proxy=<host:port>" again`);
  }
  out.user ??= '';
  out.cluster ??= '';
  return out as unknown as Profile;
}

/**
 * Creates `dir` (and parents) as 0700. An existing directory is tightened to 0700 too unless
 * `tighten` is false (used for the home directory, which may be one the user chose and shares).
 */
export async function ensurePrivateDir(dir: string, tighten = true): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined || tighten) await chmod(dir, 0o700);
}

/**
 * Writes a file atomically: the data goes to a temporary file in the same directory, is flushed to
 * disk, and is renamed over the target, so a crash leaves either the old file or the new one.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode); // open's mode is filtered by the umask
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Options for {@link saveProfile}. */
export interface SaveProfileOptions {
  /** Make it the current profile (default true, as `tsh login` does). */
  makeCurrent?: boolean;
}

/** Saves a profile as `<home>/<proxy-host>.yaml` and by default makes it current. Returns its name. */
export async function saveProfile(home: string, profile: Profile, options: SaveProfileOptions = {}): Promise<string> {
  const name = checkName(proxyHostOf(profile.webProxyAddr));
  await ensurePrivateDir(home, false);
  await writeFileAtomic(profilePath(home, name), profileToYAML(profile), 0o600);
  if (options.makeCurrent ?? true) await writeFileAtomic(join(home, CURRENT), `${name}\n`, 0o600);
  return name;
}

/** Name of the current profile, or undefined when nobody is logged in. */
export async function currentProfileName(home: string): Promise<string | undefined> {
  try {
    const name = (await readFile(join(home, CURRENT), 'utf8')).trim();
    return name || undefined;
  } catch (err) {
    if (isENOENT(err)) return undefined;
    throw err;
  }
}

/**
 * Loads the profile for `proxyHost` (a host or "host:port"), or the current one. Throws
 * NotFoundError with a "tsh login" hint when there is none.
 */
export async function loadProfile(home: string, proxyHost?: string): Promise<Profile> {
  const name = proxyHost ? proxyHostOf(proxyHost) : await currentProfileName(home);
  if (!name) throw new NotFoundError('not logged in: run "tsh login --proxy=<host:port>"');
  const path = profilePath(home, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isENOENT(err)) throw new NotFoundError(`no profile for ${name}: run "tsh login --proxy=${name}"`, { cause: err });
    throw err;
  }
  return profileFromYAML(text, path);
}

/** Names of all saved profiles, sorted. */
export async function listProfiles(home: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(home);
  } catch (err) {
    if (isENOENT(err)) return [];
    throw err;
  }
  return entries.filter((e) => e.endsWith('.yaml') && !e.startsWith('.')).map((e) => e.slice(0, -'.yaml'.length)).sort();
}

/** Deletes a profile; clears current-profile when it pointed at it. Missing profiles are fine. */
export async function removeProfile(home: string, proxyHost: string): Promise<void> {
  const name = proxyHostOf(proxyHost);
  await rm(profilePath(home, name), { force: true });
  if ((await currentProfileName(home)) === name) await rm(join(home, CURRENT), { force: true });
}

/** True for "no such file or directory". */
export function isENOENT(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

