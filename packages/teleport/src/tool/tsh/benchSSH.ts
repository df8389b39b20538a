/**
 * @module tool/tsh/benchSSH
 * `tsh bench ssh [--interactive] [-l login] <[user@]host> <command...>`: every request is a new SSH
 * connection to the proxy, a new connection through it to the node (authenticated end to end with
 * the user's certificate, as `tsh ssh` does: tool/tsh/nodeAccess.ts), and one run of the command.
 * The login check, the node lookup and the proxy's SSH address are resolved once, before the load,
 * so requests measure connection setup and the session, not auth's node listing.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import { runBenchCommand } from '../../client/bench/sshRequest.ts';
import type { BenchResult } from '../../client/bench/runner.ts';
import { parseDestination, parsePort } from '../../client/ssh/target.ts';
import { checkLoginAllowed } from '../../client/ssh/userCert.ts';
import { connectProxy, defaultLogin, loadClusterAccess, sshProxyAddr } from './cluster.ts';
import type { TshContext } from './context.ts';
import { dialNode, findNode, type NodeLogin } from './nodeAccess.ts';
import { runAndReport, type BenchFlags } from './benchRun.ts';

/** Flags of `tsh bench ssh`. */
export interface BenchSSHFlags extends BenchFlags {
  login?: string;
  port?: string;
  interactive?: boolean;
}

/** Runs `tsh bench ssh`; resolves with the measurements after printing them. */
export async function benchSSH(ctx: TshContext, destination: string, command: string[], flags: BenchSSHFlags): Promise<BenchResult> {
  const dest = parseDestination(destination);
  if (dest.kind !== 'host') throw new BadParameterError(`tsh bench ssh needs one node, not the label selector "${destination}"`);
  const commandLine = command.join(' ');
  if (!commandLine.trim()) throw new BadParameterError('give a command to run, for example: tsh bench ssh root@node1 true');
  const login = dest.target.login ?? flags.login ?? defaultLogin(ctx);
  const port = flags.port !== undefined ? parsePort(flags.port) : dest.target.port;
  const how: NodeLogin = { login, ...(port && { port }) };
  const access = await loadClusterAccess(ctx, flags);
  checkLoginAllowed(access.cert, login, dest.target.host);
  const ref = await findNode(ctx, access, dest.target.host);
  access.sshProxyAddr = await sshProxyAddr(access);

  return runAndReport(ctx, flags, async () => {
    const proxy = await connectProxy(ctx, access, login);
    try {
      const conn = await dialNode(ctx, access, proxy, ref, how);
      try {
        await runBenchCommand(conn, commandLine, flags.interactive === true);
      } finally {
        conn.end();
      }
    } finally {
      proxy.close();
    }
  });
}
