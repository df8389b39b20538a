/**
 * @module tool/tsh/logout
 * `tsh logout`: deletes saved keys and profiles. With `--proxy` and `--user`, one user at one proxy;
 * with `--proxy` alone, every user at that proxy; with neither, everything under keys/ and every
 * profile. Only the flags count here (not TELEPORT_PROXY / TELEPORT_USER), so an exported variable
 * never narrows a "log out everything" by surprise. known_hosts is kept: trusting a cluster's host
 * CA outlives a session, as upstream.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BadParameterError } from '@teleport-ts/api/errors';
import { listProfiles, proxyHostOf, removeProfile } from '../../client/profile.ts';
import { ExitError } from '../common/cli.ts';
import type { GlobalFlags, TshContext } from './context.ts';

/** Registers `tsh logout`. */
export function registerLogoutCommand(program: Command, ctx: TshContext): void {
  program
    .command('logout')
    .description('Delete a cluster certificate (all of them without --proxy and --user).')
    .addHelpText('after', [
      '',
      'Examples:',
      '  tsh logout                                      # every user at every proxy',
      '  tsh logout --proxy=teleport.example.com --user=alice',
      '',
    ].join('\n'))
    .action(async (_opts: unknown, cmd: Command) => logout(ctx, cmd.optsWithGlobals<GlobalFlags>()));
}

/** Runs a logout; see the module comment. */
export async function logout(ctx: TshContext, flags: GlobalFlags): Promise<void> {
  const proxyHost = flags.proxy ? proxyHostOf(flags.proxy) : undefined;
  if (proxyHost && flags.user) {
    const keyFiles = await readdir(ctx.keyStore.proxyDir(proxyHost)).catch(() => [] as string[]);
    if (!keyFiles.includes(flags.user)) {
      ctx.io.stdout.write(`User ${flags.user} already logged out from ${proxyHost}.\n`);
      throw new ExitError(1);
    }
    await ctx.keyStore.deleteKey(proxyHost, flags.user);
    ctx.io.stdout.write(`Logged out ${flags.user} from ${proxyHost}.\n`);
    return;
  }
  if (proxyHost) {
    await ctx.keyStore.deleteKey(proxyHost);
    await removeProfile(ctx.home, proxyHost);
    ctx.io.stdout.write(`Logged out all users from ${proxyHost}.\n`);
    return;
  }
  if (flags.user) {
    throw new BadParameterError(`to log out ${flags.user}, also pass --proxy=<host:port> (or pass neither flag to log out all users from all proxies)`);
  }
  const keysDir = join(ctx.home, 'keys');
  for (const host of await readdir(keysDir).catch(() => [] as string[])) await ctx.keyStore.deleteKey(host);
  await rm(keysDir, { recursive: true, force: true });
  for (const name of await listProfiles(ctx.home)) await removeProfile(ctx.home, name);
  await rm(join(ctx.home, 'current-profile'), { force: true });
  ctx.io.stdout.write('Logged out all users from all proxies.\n');
}
