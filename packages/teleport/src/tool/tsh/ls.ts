/**
 * @module tool/tsh/ls
 * `tsh ls [label=value,...] [-v] [--format=text|json|yaml]`: the nodes the user's roles let them
 * see (auth filters the list by RBAC), optionally narrowed by labels. Text output matches upstream:
 * "Node Name / Address / Labels", with "Node ID" added by -v; internal labels (teleport.internal/,
 * teleport.hidden/) are shown only with -v; nodes reached through a reverse tunnel show "⟵ Tunnel".
 */
import type { Command } from 'commander';
import { BadParameterError } from '@teleport-ts/api/errors';
import { formatResourcesJSON, formatResourcesYAML } from '@teleport-ts/api/types/format';
import { serverLabels, type Server } from '@teleport-ts/api/types/server';
import { matchNodes, sortNodes } from '../../client/ssh/nodes.ts';
import { parseLabelSelector } from '../../client/ssh/target.ts';
import { formatTable } from '../common/table.ts';
import { authClientFor, loadClusterAccess, type ClusterFlags } from './cluster.ts';
import type { TshContext } from './context.ts';

/** Output formats of the list commands. */
export type ListFormat = 'text' | 'json' | 'yaml';

/** Checks a --format value. */
export function parseListFormat(value: string | undefined): ListFormat {
  const f = value ?? 'text';
  if (f !== 'text' && f !== 'json' && f !== 'yaml') throw new BadParameterError(`unsupported --format "${f}": use text, json or yaml`);
  return f;
}

const HIDDEN_LABEL = /^teleport\.(internal|hidden)\//;

/** A node's labels as "k=v,k=v", sorted by key. */
export function formatLabels(labels: Record<string, string>, verbose: boolean): string {
  return Object.entries(labels)
    .filter(([k]) => verbose || !HIDDEN_LABEL.test(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Renders nodes in the chosen format. */
export function formatNodes(nodes: Server[], format: ListFormat, verbose: boolean): string {
  const sorted = sortNodes(nodes);
  if (format === 'json') return formatResourcesJSON(sorted);
  if (format === 'yaml') return sorted.length ? formatResourcesYAML(sorted) : '';
  const addr = (n: Server): string => (n.spec.use_tunnel ? '⟵ Tunnel' : n.spec.addr);
  if (verbose) {
    return formatTable(['Node Name', 'Node ID', 'Address', 'Labels'],
      sorted.map((n) => [n.spec.hostname, n.metadata.name, addr(n), formatLabels(serverLabels(n), true)]));
  }
  return formatTable(['Node Name', 'Address', 'Labels'], sorted.map((n) => [n.spec.hostname, addr(n), formatLabels(serverLabels(n), false)]));
}

/** Registers `tsh ls`. */
export function registerLsCommand(program: Command, ctx: TshContext): void {
  program
    .command('ls')
    .description('List the nodes you can access.')
    .argument('[labels]', 'only nodes with these labels: key=value[,key=value...]')
    .option('-v, --verbose', 'show node IDs and every label')
    .option('-f, --format <format>', 'text, json or yaml', 'text')
    .option('--cluster <name>', 'cluster to list (default: the profile\'s)')
    .action(async (labels: string | undefined, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ClusterFlags & { verbose?: boolean; format?: string }>();
      const format = parseListFormat(flags.format);
      const selector = labels ? parseLabelSelector(labels) : undefined;
      if (labels && !selector) throw new BadParameterError(`invalid label selector "${labels}": expected key=value[,key=value...]`);
      const access = await loadClusterAccess(ctx, flags);
      const nodes = await authClientFor(ctx, access).listResources<Server>('node');
      ctx.io.stdout.write(formatNodes(selector ? matchNodes(nodes, selector) : nodes, format, flags.verbose === true));
    });
}
