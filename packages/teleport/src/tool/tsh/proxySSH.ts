/**
 * @module tool/tsh/proxySSH
 * `tsh proxy ssh [--cluster] user@host:port`: connects to the proxy as the user and joins stdin and
 * stdout to the node's SSH port through the proxy. It is what `tsh config`'s ProxyCommand runs, so
 * OpenSSH does the SSH session itself (and verifies the node against ~/.tsh/known_hosts); the host
 * may carry the ".<cluster>" suffix OpenSSH dialed, which is stripped.
 */
import type { Command } from 'commander';
import { DEFAULT_NODE_PORT, parseSSHTarget, stripClusterSuffix } from '../../client/ssh/target.ts';
import { ExitError } from '../common/cli.ts';
import { connectProxy, defaultLogin, loadClusterAccess, type ClusterFlags } from './clusterAccess.ts';
import type { TshContext } from './context.ts';

/** Registers `tsh proxy ssh`. */
export function registerProxyCommands(program: Command, ctx: TshContext): void {
  const proxy = program.command('proxy').description('Run local proxies to cluster resources.');
  proxy
    .command('ssh')
    .description('Pipe stdin/stdout to a node\'s SSH port through the proxy (an OpenSSH ProxyCommand).')
    .argument('<destination>', '[user@]host[:port]')
    .option('--cluster <name>', 'cluster of the node (default: the profile\'s)')
    .action(async (destination: string, _opts: unknown, cmd: Command) => proxySSH(ctx, destination, cmd.optsWithGlobals<ClusterFlags>()));
}

/** Runs `tsh proxy ssh`: resolves when either side closes. */
export async function proxySSH(ctx: TshContext, destination: string, flags: ClusterFlags): Promise<void> {
  const target = parseSSHTarget(destination);
  const access = await loadClusterAccess(ctx, flags);
  const host = stripClusterSuffix(target.host, access.cluster);
  const proxy = await connectProxy(ctx, access, target.login ?? defaultLogin(ctx));
  try {
    const { stream, message, exitStatus } = await proxy.dialNode(host, target.port ?? DEFAULT_NODE_PORT);
    await new Promise<void>((resolve) => {
      ctx.io.stdin.pipe(stream);
      stream.pipe(ctx.io.stdout, { end: false });
      stream.on('close', () => resolve());
      stream.on('error', () => resolve());
    });
    ctx.io.stdin.unpipe(stream);
    if (ctx.io.stdin === process.stdin) process.stdin.pause();
    const said = message().trim();
    if (said) ctx.io.stderr.write(`${said}\n`);
    const status = exitStatus();
    if (status) throw new ExitError(status);
  } finally {
    proxy.close();
  }
}
