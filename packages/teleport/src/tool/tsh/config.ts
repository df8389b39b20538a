/**
 * @module tool/tsh/config
 * `tsh config`: prints the OpenSSH client configuration for the current profile (see
 * client/ssh/opensshConfig), to append to ~/.ssh/config, after which `ssh user@node.<cluster>`,
 * `scp` and `sftp` go through the proxy with the tsh login.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadProfile, proxyHostOf } from '../../client/profile.ts';
import { formatOpenSSHConfig } from '../../client/ssh/opensshConfig.ts';
import type { ClusterFlags } from './cluster.ts';
import type { TshContext } from './context.ts';

/** Absolute path of the tsh executable (bin/tsh.js runs on its own through its shebang). */
export function tshExecutablePath(): string {
  return fileURLToPath(new URL('../../../bin/tsh.js', import.meta.url));
}

/** Registers `tsh config`. */
export function registerConfigCommand(program: Command, ctx: TshContext): void {
  program
    .command('config')
    .description('Print an OpenSSH client configuration for the current profile (append it to ~/.ssh/config).')
    .option('--cluster <name>', 'cluster to configure (default: the profile\'s)')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ClusterFlags>();
      const profile = await loadProfile(ctx.home, flags.proxy || ctx.io.env.TELEPORT_PROXY);
      const proxyHost = proxyHostOf(profile.webProxyAddr);
      const cluster = flags.cluster || ctx.io.env.TELEPORT_CLUSTER || profile.cluster;
      const home = resolve(ctx.home);
      ctx.io.stdout.write(formatOpenSSHConfig({
        proxyHost, webProxyAddr: profile.webProxyAddr, cluster,
        knownHostsPath: resolve(ctx.keyStore.knownHostsPath),
        identityFile: resolve(ctx.keyStore.keyPath(proxyHost, profile.user)),
        certificateFile: resolve(ctx.keyStore.sshCertPath(proxyHost, profile.user, cluster)),
        tshPath: tshExecutablePath(),
        ...(home !== join(homedir(), '.tsh') && { teleportHome: home }),
      }));
    });
}
