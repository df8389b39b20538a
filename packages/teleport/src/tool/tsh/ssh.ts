/**
 * @module tool/tsh/ssh
 * `tsh ssh [-l login] [-p port] [-A] [-L/-R/-D spec] [-N] [-t] [user@]host|label=value [command]`.
 * One node: an interactive shell (raw terminal, window-size changes forwarded) or a command, with
 * the remote exit status as tsh's; forwards run alongside, or alone with -N until interrupted. A
 * label selector runs the command on every matching node with output prefixed by node name and the
 * worst exit status. Any failure to get there exits 255, as OpenSSH does.
 */
import type { Server as NetServer } from 'node:net';
import type { Command } from 'commander';
import type { Client } from 'ssh2';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import { startDynamicForward, startLocalForward, startRemoteForwards } from '../../client/ssh/forward.ts';
import { parseDynamicForward, parseLocalForward, parseRemoteForward, type DynamicForward, type StaticForward } from '../../client/ssh/forwardSpec.ts';
import { execOnMany } from '../../client/ssh/multiExec.ts';
import { matchNodes } from '../../client/ssh/nodes.ts';
import { NO_EXIT_STATUS, runSession } from '../../client/ssh/session.ts';
import { transportMessageOf } from '../../client/ssh/proxyClient.ts';
import { parseDestination, parsePort, type SSHTarget } from '../../client/ssh/target.ts';
import { checkLoginAllowed } from '../../client/ssh/userCert.ts';
import { ExitError } from '../common/cli.ts';
import { authClientFor, connectProxy, defaultLogin, loadClusterAccess, type ClusterAccess, type ClusterFlags } from './cluster.ts';
import type { TshContext } from './context.ts';
import { dialNode, openNode, type NodeConnection, type NodeLogin } from './nodeAccess.ts';
import { waitForInterrupt } from './interrupt.ts';

/** Moved to argv.ts (main.ts needs it without loading this module); re-exported for existing callers. */
export { protectRemoteCommand } from './argv.ts';

/** Flags of `tsh ssh`. */
export interface SSHFlags extends ClusterFlags {
  login?: string;
  port?: string;
  forwardAgent?: boolean;
  localForward?: string[];
  remoteForward?: string[];
  dynamicForward?: string[];
  remoteExec?: boolean;
  tty?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Registers `tsh ssh`. */
export function registerSSHCommand(program: Command, ctx: TshContext): void {
  program
    .command('ssh')
    .description('Run a shell or a command on a node (or on every node matching labels).')
    .argument('<destination>', '[user@]host, a node ID, or label=value[,label=value] for every matching node')
    .argument('[command...]', 'command to run instead of a shell')
    .option('-l, --login <login>', 'remote login (default: user@ of the destination, then the local user name)')
    .option('-p, --port <port>', 'SSH port of the node (default: the port the node advertises, 3022)')
    .option('-A, --forward-agent', 'forward the local ssh-agent (SSH_AUTH_SOCK) to the node')
    .option('-L, --local-forward <spec>', 'forward a local port: [bind_address:]port:host:hostport (repeatable)', collect)
    .option('-R, --remote-forward <spec>', 'forward a node port here: [bind_address:]port:host:hostport (repeatable)', collect)
    .option('-D, --dynamic-forward <spec>', 'SOCKS5 proxy on a local port: [bind_address:]port (repeatable)', collect)
    .option('-N, --no-remote-exec', 'run no command or shell; only forward ports (until Ctrl-C)')
    .option('-t, --tty', 'allocate a terminal even when running a command')
    .option('--cluster <name>', 'cluster of the node (default: the profile\'s)')
    .addHelpText('after', '\nExamples:\n  tsh ssh root@node1\n  tsh ssh node1 uptime\n  tsh ssh -L 8080:localhost:80 -N node1\n  tsh ssh env=prod -- df -h\n')
    .action(async (destination: string, command: string[], _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<SSHFlags>();
      let code: number;
      try {
        code = await ssh(ctx, destination, command, flags);
      } catch (err) {
        ctx.io.stderr.write(`ERROR: ${(err as Error).message}\n`);
        if (flags.debug && err instanceof Error && err.stack) ctx.io.stderr.write(`${err.stack}\n`);
        throw new ExitError(255);
      }
      if (code !== 0) throw new ExitError(code);
    });
}

/** Runs `tsh ssh`; resolves with the exit status. */
export async function ssh(ctx: TshContext, destination: string, command: string[], flags: SSHFlags): Promise<number> {
  const dest = parseDestination(destination);
  const selector = dest.kind === 'labels' ? dest.labels : undefined;
  const target = dest.kind === 'host' ? dest.target : undefined;
  const port = flags.port !== undefined ? parsePort(flags.port) : target?.port;
  const login = (dest.kind === 'host' ? dest.target.login : dest.login) ?? flags.login ?? defaultLogin(ctx);
  const noExec = flags.remoteExec === false;
  const forwards = {
    local: (flags.localForward ?? []).map(parseLocalForward),
    remote: (flags.remoteForward ?? []).map(parseRemoteForward),
    dynamic: (flags.dynamicForward ?? []).map(parseDynamicForward),
  };
  if (noExec && command.length) throw new BadParameterError('-N runs no command: remove either -N or the command');
  let agentForward: string | undefined;
  if (flags.forwardAgent) {
    agentForward = ctx.io.env.SSH_AUTH_SOCK;
    if (!agentForward) throw new BadParameterError('-A needs a running ssh-agent, but SSH_AUTH_SOCK is not set');
  }
  const access = await loadClusterAccess(ctx, flags);
  const commandLine = command.join(' ');
  const how = { login, ...(port && { port }), ...(agentForward && { agentForward }) };
  const forwarding = forwards.local.length + forwards.remote.length + forwards.dynamic.length > 0;

  if (selector) {
    const shown = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
    const nodes = matchNodes(await authClientFor(ctx, access).listResources<Server>('node'), selector);
    if (nodes.length === 0) throw new NotFoundError(`no nodes match ${shown}; 'tsh ls' lists nodes and their labels`);
    checkLoginAllowed(access.cert, login, shown);
    if (nodes.length > 1 || commandLine) {
      if (!commandLine) throw new BadParameterError(`${nodes.length} nodes match ${shown}: give a command to run on all of them, or pick one ('tsh ls -v' shows them)`);
      if (noExec || forwarding) throw new BadParameterError('port forwarding needs a single node, not a label selector');
      return execAll(ctx, access, nodes, how, commandLine);
    }
    return session(ctx, await openNode(ctx, access, (nodes[0] as Server).metadata.name, how), commandLine, flags, forwards, noExec);
  }
  return session(ctx, await openNode(ctx, access, (target as SSHTarget).host, how), commandLine, flags, forwards, noExec);
}

async function execAll(ctx: TshContext, access: ClusterAccess, nodes: Server[], how: NodeLogin, command: string): Promise<number> {
  const proxy = await connectProxy(ctx, access, how.login);
  try {
    return await execOnMany(nodes.map((n) => ({
      name: n.spec.hostname,
      connect: (): Promise<Client> => dialNode(ctx, access, proxy, { typed: n.metadata.name, node: n }, how),
    })), command, ctx.io);
  } finally {
    proxy.close();
  }
}

interface Forwards {
  local: StaticForward[];
  remote: StaticForward[];
  dynamic: DynamicForward[];
}

async function session(ctx: TshContext, node: NodeConnection, command: string, flags: SSHFlags, fw: Forwards, noExec: boolean): Promise<number> {
  const listeners: NetServer[] = [];
  const warn = (m: string): void => void ctx.io.stderr.write(`WARNING: ${m}\n`);
  try {
    for (const f of fw.local) listeners.push(await startLocalForward(node.conn, f, warn));
    for (const f of fw.dynamic) listeners.push(await startDynamicForward(node.conn, f, warn));
    const bound = await startRemoteForwards(node.conn, fw.remote, warn);
    fw.remote.forEach((f, i) => {
      if (f.bindPort === 0) ctx.io.stderr.write(`Allocated port ${bound[i]} for remote forward to ${f.host}:${f.port}\n`);
    });
    if (noExec) {
      await waitForInterrupt(ctx, node.conn);
      return 0;
    }
    const interactive = !command && (ctx.io.stdin as { isTTY?: boolean }).isTTY === true;
    const code = await runSession(node.conn, ctx.io, { ...(command && { command }), pty: flags.tty === true || interactive });
    if (code === NO_EXIT_STATUS) {
      const nl = interactive ? '\r\n' : '';
      if (await node.proxy.lost()) {
        ctx.io.stderr.write(`${nl}ERROR: the connection to the proxy ${node.proxy.addr} was lost; the session ended. Run the command again once the proxy is back.\n`);
      } else {
        const said = transportMessageOf(node.conn);
        // A raw-mode terminal needs \r\n line ends.
        if (said) ctx.io.stderr.write(`${nl}${interactive ? said.replace(/\n/g, '\r\n') : said}${nl || '\n'}`);
      }
    }
    return code;
  } finally {
    for (const l of listeners) l.close();
    node.close();
  }
}
