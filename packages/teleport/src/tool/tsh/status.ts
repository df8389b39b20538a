/**
 * @module tool/tsh/status
 * `tsh status`: the active profile (marked "> ") and the other saved profiles, described from the
 * saved certificates; with `-i`, the identity file instead. Like upstream, nobody logged in is
 * "ERROR: Not logged in." with exit code 1, and an expired active profile is printed with
 * [EXPIRED] followed by "ERROR: Active profile expired." and exit code 1, so scripts can test
 * `tsh status` to decide whether to log in.
 */
import type { Command } from 'commander';
import { isNotFound, NotFoundError } from '@teleport-ts/api/errors';
import { describeCredentials, formatStatus, formatStatusList, formatGoTimeUTC, type ProfileStatus } from '../../client/status.ts';
import { currentProfileName, listProfiles, loadProfile, proxyHostOf } from '../../client/profile.ts';
import { ExitError } from '../common/cli.ts';
import type { GlobalFlags, TshContext } from './context.ts';
import { loadIdentityCredentials } from './credentials.ts';

/** Registers `tsh status`. */
export function registerStatusCommand(program: Command, ctx: TshContext): void {
  program
    .command('status')
    .description('Display the list of proxy servers and retrieved certificates.')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      if (flags.identity) return statusFromIdentity(ctx, flags.identity);
      return statusFromProfiles(ctx, flags.proxy || ctx.io.env.TELEPORT_PROXY);
    });
}

/** `tsh -i <file> status`: describes the identity file's certificates. */
async function statusFromIdentity(ctx: TshContext, path: string): Promise<void> {
  const creds = await loadIdentityCredentials(path);
  const now = ctx.now();
  const info = describeCredentials(creds, now);
  ctx.io.stdout.write(formatStatus({ identityFile: path, active: true, info }, now));
  if (info.expired) {
    ctx.io.stderr.write(`ERROR: the certificates in identity file ${path} expired at ${formatGoTimeUTC(info.validUntil)}: ` +
      'issue a new one with "tctl auth sign" or "tsh login --out"\n');
    throw new ExitError(1);
  }
}

/** Prints every profile with usable credentials; `activeProxy` picks the active one (default: current). */
async function statusFromProfiles(ctx: TshContext, activeProxy: string | undefined): Promise<void> {
  const activeName = activeProxy ? proxyHostOf(activeProxy) : await currentProfileName(ctx.home);
  const statuses = await collectProfileStatuses(ctx, activeName);
  if (statuses.length === 0) throw new NotFoundError('Not logged in.');
  const now = ctx.now();
  ctx.io.stdout.write(formatStatusList(statuses, now));
  const active = statuses.find((s) => s.active);
  if (active?.info.expired) {
    ctx.io.stderr.write(`ERROR: Active profile expired. Run "tsh login --proxy=${(active.profileURL ?? '').replace(/^https:\/\//, '')}" to log in again.\n`);
    throw new ExitError(1);
  }
}

/**
 * Describes each saved profile whose key is present. A profile without keys (logged out, or a
 * half-finished login) is skipped; a damaged one is skipped with a warning on stderr.
 */
export async function collectProfileStatuses(ctx: TshContext, activeName: string | undefined): Promise<ProfileStatus[]> {
  const out: ProfileStatus[] = [];
  const now = ctx.now();
  for (const name of await listProfiles(ctx.home)) {
    try {
      const profile = await loadProfile(ctx.home, name);
      const proxyHost = proxyHostOf(profile.webProxyAddr);
      const key = await ctx.keyStore.loadKey(proxyHost, profile.user, profile.cluster || undefined);
      out.push({
        profileURL: `https://${profile.webProxyAddr}`,
        active: name === activeName,
        info: describeCredentials(key, now),
      });
    } catch (err) {
      if (!isNotFound(err)) ctx.io.stderr.write(`WARNING: skipping profile ${name}: ${(err as Error).message}\n`);
    }
  }
  return out;
}
