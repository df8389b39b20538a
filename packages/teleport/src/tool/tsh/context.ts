/**
 * @module tool/tsh/context
 * What every tsh command shares: the injected I/O and clock, the global flags (`--proxy`, `--user`,
 * `--insecure`, `-i`), and how those default from the environment (TELEPORT_PROXY, TELEPORT_USER,
 * TELEPORT_HOME) and the current profile, in upstream's order: flag, then environment, then profile.
 */
import { userInfo } from 'node:os';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { CLIIO } from '../common/cli.ts';
import { currentProfileName, loadProfile, tshHome, type Profile } from '../../client/profile.ts';
import { KeyStore } from '../../client/keyStore.ts';

/** Flags defined on the `tsh` program itself, accepted before or after the subcommand. */
export interface GlobalFlags {
  proxy?: string;
  user?: string;
  insecure?: boolean;
  identity?: string;
  debug?: boolean;
}

/** The environment a tsh command runs in. */
export interface TshContext {
  io: CLIIO;
  /** The client home directory (TELEPORT_HOME, default ~/.tsh). */
  home: string;
  keyStore: KeyStore;
  /** Current time; injected so tests can look at expired certificates. */
  now(): Date;
  /** Aborted to end long-running commands (`tsh ssh -N`, `tsh join`) from tests; SIGINT/SIGTERM otherwise. */
  signal?: AbortSignal;
  /** Run when the command ends (closing connections that would otherwise keep the process alive). */
  cleanups: Array<() => void>;
}

/** Builds the context for one run. */
export function newContext(io: CLIIO, now: () => Date = () => new Date(), signal?: AbortSignal): TshContext {
  const home = tshHome(io.env);
  return { io, home, keyStore: new KeyStore(home), now, cleanups: [], ...(signal && { signal }) };
}

/** The current profile, or undefined when nobody is logged in (or it cannot be read). */
export async function currentProfile(ctx: TshContext): Promise<Profile | undefined> {
  if (!(await currentProfileName(ctx.home))) return undefined;
  return loadProfile(ctx.home).catch(() => undefined);
}

/**
 * The proxy to talk to: `--proxy`, else TELEPORT_PROXY, else the current profile's. Throws with a
 * hint when there is none.
 */
export async function resolveProxy(ctx: TshContext, flag: string | undefined): Promise<string> {
  const fromEnv = ctx.io.env.TELEPORT_PROXY;
  const addr = flag || fromEnv || (await currentProfile(ctx))?.webProxyAddr;
  if (!addr) {
    throw new BadParameterError('no proxy address: pass --proxy=<host:port> (for example --proxy=teleport.example.com:3080) or set TELEPORT_PROXY');
  }
  return addr;
}

/**
 * The Teleport user to log in as: `--user`, else TELEPORT_USER, else the user of the profile for
 * this proxy (so re-logins keep the same user), else the local OS user.
 */
export function resolveUser(ctx: TshContext, flag: string | undefined, profile: Profile | undefined): string {
  const user = flag || ctx.io.env.TELEPORT_USER || profile?.user || osUser(ctx.io.env);
  if (!user) throw new BadParameterError('cannot tell which Teleport user to log in as: pass --user=<name> or set TELEPORT_USER');
  return user;
}

function osUser(env: CLIIO['env']): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the shell says.
    return env.USER ?? env.LOGNAME ?? '';
  }
}
