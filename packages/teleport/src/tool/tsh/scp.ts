/**
 * @module tool/tsh/scp
 * `tsh scp [-r] [-P port] [-q] src... dst`: copies files to or from a node over SFTP, with OpenSSH's
 * operand syntax (`[user@]host:path`; an empty path is the login's home directory). One side must
 * be remote and all remote operands must name the same node. A progress bar is drawn on stderr when
 * it is a terminal.
 */
import type { Command } from 'commander';
import { BadParameterError } from '@teleport-ts/api/errors';
import { downloadFiles, openSFTP, uploadFiles, type TransferOptions } from '../../client/ssh/sftp.ts';
import { parsePort, parseSCPPath, type SCPPath } from '../../client/ssh/target.ts';
import { defaultLogin, loadClusterAccess, type ClusterFlags } from './cluster.ts';
import type { TshContext } from './context.ts';
import { openNode } from './nodeAccess.ts';
import { ProgressBar } from './progressBar.ts';

/** Flags of `tsh scp`. */
export interface SCPFlags extends ClusterFlags {
  recursive?: boolean;
  port?: string;
  quiet?: boolean;
}

type Remote = Extract<SCPPath, { kind: 'remote' }>;

/** What an scp command line asks for. */
export interface SCPPlan {
  direction: 'upload' | 'download';
  login?: string;
  host: string;
  sources: string[];
  dest: string;
}

/** Works out the direction and the node from the operands. */
export function planSCP(operands: string[]): SCPPlan {
  if (operands.length < 2) throw new BadParameterError('give at least one source and a destination: tsh scp [-r] src... dst');
  const paths = operands.map(parseSCPPath);
  const dst = paths[paths.length - 1] as SCPPath;
  const srcs = paths.slice(0, -1);
  const remoteSrcs = srcs.filter((p): p is Remote => p.kind === 'remote');
  if (dst.kind === 'remote') {
    if (remoteSrcs.length) throw new BadParameterError('copying from one node to another is not supported: copy through this machine');
    return { direction: 'upload', ...(dst.login && { login: dst.login }), host: dst.host, sources: srcs.map((p) => p.path), dest: dst.path };
  }
  if (remoteSrcs.length === 0) throw new BadParameterError('neither the sources nor the destination is on a node: use [user@]host:path for one side');
  if (remoteSrcs.length !== srcs.length) throw new BadParameterError('the sources must all be on the same node (or all local)');
  const first = remoteSrcs[0] as Remote;
  if (remoteSrcs.some((p) => p.host !== first.host || p.login !== first.login)) {
    throw new BadParameterError('the sources must all be on the same node, with the same login');
  }
  return { direction: 'download', ...(first.login && { login: first.login }), host: first.host, sources: remoteSrcs.map((p) => p.path), dest: dst.path };
}

/** Registers `tsh scp`. */
export function registerSCPCommand(program: Command, ctx: TshContext): void {
  program
    .command('scp')
    .description('Copy files to or from a node.')
    .argument('<paths...>', 'sources then destination; remote ones as [user@]host:path')
    .option('-r, --recursive', 'copy directories recursively')
    .option('-P, --port <port>', 'SSH port of the node')
    .option('-q, --quiet', 'no progress bar')
    .option('--cluster <name>', 'cluster of the node (default: the profile\'s)')
    .addHelpText('after', '\nExamples:\n  tsh scp ./app.tar.gz root@node1:/tmp/\n  tsh scp -r node1:logs ./logs\n')
    .action(async (operands: string[], _opts: unknown, cmd: Command) => scp(ctx, operands, cmd.optsWithGlobals<SCPFlags>()));
}

/** Runs `tsh scp`. */
export async function scp(ctx: TshContext, operands: string[], flags: SCPFlags): Promise<void> {
  const plan = planSCP(operands);
  const port = flags.port !== undefined ? parsePort(flags.port) : undefined;
  const access = await loadClusterAccess(ctx, flags);
  const node = await openNode(ctx, access, plan.host, { login: plan.login ?? defaultLogin(ctx), ...(port && { port }) });
  const bar = !flags.quiet && (ctx.io.stderr as { isTTY?: boolean }).isTTY ? new ProgressBar(ctx.io.stderr) : undefined;
  const opts: TransferOptions = {
    recursive: flags.recursive === true,
    ...(bar && { onProgress: (f: string, done: number, total: number) => bar.update(f, done, total), onFileDone: () => bar.finish() }),
  };
  try {
    const sftp = await openSFTP(node.conn);
    if (plan.direction === 'upload') await uploadFiles(sftp, plan.sources, plan.dest, opts);
    else await downloadFiles(sftp, plan.sources, plan.dest, opts);
    sftp.end();
  } finally {
    bar?.finish();
    node.close();
  }
}
