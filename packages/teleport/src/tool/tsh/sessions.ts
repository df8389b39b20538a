/**
 * @module tool/tsh/sessions
 * `tsh sessions ls [--format]` lists the live sessions the user may see (session trackers, filtered
 * by auth), and `tsh join [--mode observer|peer] <session-id>` attaches to one: it finds the node and
 * login in the tracker, opens an SSH session there with TELEPORT_SESSION and
 * TELEPORT_PARTICIPANT_MODE set, and requests a shell (with a PTY on a terminal). Observers only
 * watch: their keystrokes are not sent, and Ctrl-C or Ctrl-D leaves.
 */
import type { Command } from 'commander';
import { BadParameterError, isNotFound, NotFoundError } from '@teleport-ts/api/errors';
import { formatResourcesJSON, formatResourcesYAML } from '@teleport-ts/api/types/format';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import { runSession } from '../../client/ssh/session.ts';
import { parseSSHTarget } from '../../client/ssh/target.ts';
import { ExitError } from '../common/cli.ts';
import { formatTable } from '../common/table.ts';
import { authClientFor, connectProxy, loadClusterAccess, type ClusterFlags } from './cluster.ts';
import type { TshContext } from './context.ts';
import { dialNode } from './nodeAccess.ts';
import { parseListFormat, type ListFormat } from './ls.ts';

/** Renders live sessions. */
export function formatSessions(sessions: SessionTracker[], format: ListFormat): string {
  const sorted = [...sessions].sort((a, b) => a.spec.created.localeCompare(b.spec.created) || a.metadata.name.localeCompare(b.metadata.name));
  if (format === 'json') return formatResourcesJSON(sorted);
  if (format === 'yaml') return sorted.length ? formatResourcesYAML(sorted) : '';
  return formatTable(['ID', 'Kind', 'User', 'Login', 'Hostname', 'Address', 'Participants', 'Created', 'Command'], sorted.map((s) => [
    s.metadata.name, s.spec.kind, s.spec.host_user, s.spec.login, s.spec.hostname, s.spec.address,
    s.spec.participants.map((p) => (p.mode === 'peer' ? p.user : `${p.user} (${p.mode})`)).join(', '),
    s.spec.created.replace(/\.\d+Z$/, 'Z'), s.spec.interactive ? '' : (s.spec.command ?? ''),
  ]));
}

/** Registers `tsh sessions ls` and `tsh join`. */
export function registerSessionCommands(program: Command, ctx: TshContext): void {
  program
    .command('sessions')
    .description('Work with live sessions.')
    .command('ls')
    .description('List the active sessions you can see.')
    .option('-f, --format <format>', 'text, json or yaml', 'text')
    .option('--cluster <name>', 'cluster (default: the profile\'s)')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ClusterFlags & { format?: string }>();
      const format = parseListFormat(flags.format);
      const all = await authClientFor(ctx, await loadClusterAccess(ctx, flags)).listResources<SessionTracker>('session_tracker');
      ctx.io.stdout.write(formatSessions(all.filter((s) => s.spec.state !== 'terminated'), format));
    });

  program
    .command('join')
    .description('Join a live session (see "tsh sessions ls").')
    .argument('<session-id>', 'ID of the session')
    .option('-m, --mode <mode>', 'observer (watch only) or peer (type too)', 'observer')
    .option('--cluster <name>', 'cluster (default: the profile\'s)')
    .action(async (sid: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ClusterFlags & { mode: string }>();
      const code = await join(ctx, sid, flags);
      if (code !== 0) throw new ExitError(code);
    });
}

/** Runs `tsh join`; resolves with the session's exit status as seen by this participant. */
export async function join(ctx: TshContext, sid: string, flags: ClusterFlags & { mode: string }): Promise<number> {
  const mode = flags.mode;
  if (mode !== 'observer' && mode !== 'peer') throw new BadParameterError(`--mode must be "observer" or "peer", got "${mode}"`);
  const access = await loadClusterAccess(ctx, flags);
  let tracker: SessionTracker;
  try {
    tracker = await authClientFor(ctx, access).getResource<SessionTracker>('session_tracker', sid);
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`session ${sid} not found or already over; 'tsh sessions ls' lists active sessions`, { cause: err });
    throw err;
  }
  const { login, target_id: nodeId, hostname, address } = tracker.spec;
  const port = address ? parseSSHTarget(address).port : undefined;
  const proxy = await connectProxy(ctx, access, login);
  try {
    const conn = await dialNode(ctx, access, proxy, { typed: nodeId || hostname, ...(hostname && { node: nodeStub(nodeId, hostname, address) }) }, {
      login, ...(port && { port }),
    });
    try {
      const tty = (ctx.io.stdin as { isTTY?: boolean }).isTTY === true;
      return await runSession(conn, ctx.io, {
        pty: tty, noStdin: mode === 'observer', ...(ctx.signal && { signal: ctx.signal }),
        env: { TELEPORT_SESSION: sid, TELEPORT_PARTICIPANT_MODE: mode },
        onStart: () => void ctx.io.stderr.write(`Joined session ${sid} on ${hostname || nodeId} as ${mode}${mode === 'observer' && tty ? ' (Ctrl-C to leave)' : ''}.${tty ? '\r' : ''}\n`),
      });
    } finally {
      conn.end();
    }
  } finally {
    proxy.close();
  }
}

/** The node as far as the tracker describes it (enough to dial it and check its certificate). */
function nodeStub(id: string, hostname: string, addr: string): NonNullable<Parameters<typeof dialNode>[3]['node']> {
  return { kind: 'node', version: 'v2', metadata: { name: id || hostname }, spec: { hostname, addr } };
}
