/**
 * @module tool/tctl/tokens
 * `tctl tokens add|ls|rm`: join tokens for agents. `add` prints the token and the exact
 * `teleport start` command, with the CA pin, to run on the new host.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { parseDuration } from '@teleport-ts/api/duration';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { ProvisionToken, SystemRole } from '@teleport-ts/api/types/token';
import { collectList, type CLIIO } from '../common/cli.ts';
import { formatTable } from '../common/table.ts';
import type { TctlContext } from './connect.ts';

/** Token types `--type` accepts, and the system role each grants. */
const TOKEN_TYPES: Record<string, SystemRole> = { node: 'Node', proxy: 'Proxy', db: 'Db', app: 'App', kube: 'Kube' };

/** Maps `--type` names (node, proxy, db, app, kube) to system roles. */
export function parseTokenTypes(types: string[]): SystemRole[] {
  return types.map((t) => {
    const role = TOKEN_TYPES[t.toLowerCase()];
    if (!role) throw new BadParameterError(`unknown token type "${t}": use ${Object.keys(TOKEN_TYPES).join(', ')}`);
    return role;
  });
}

function parseLabels(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const out: Record<string, string> = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new BadParameterError(`invalid label "${pair}": use key=value,key2=value2`);
    out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

/**
 * The `teleport start` command for a token, as `tctl tokens add` (joinInstructions) and the web UI's
 * token page print it: roles, token, every CA pin, and the address to join through.
 */
export function teleportStartCommand(o: { token: string; roles: SystemRole[]; caPins: string[]; addr: string }): string {
  return (
    `teleport start \\\n   --roles=${o.roles.map((r) => r.toLowerCase()).join(',')} \\\n   --token=${o.token} \\\n` +
    o.caPins.map((p) => `   --ca-pin=${p} \\\n`).join('') +
    `   --auth-server=${o.addr}`
  );
}

/**
 * What `tctl tokens add` prints, as upstream words it: the token, its lifetime in minutes, and the
 * `teleport start` command with the CA pins and the address to join through (the proxy's public web
 * address, which also reaches auth; auth's own address when no proxy is known).
 */
export function joinInstructions(o: { token: string; roles: SystemRole[]; ttlMs: number; caPins: string[]; addr: string }): string {
  const minutes = Math.floor(o.ttlMs / 60_000);
  return (
    `The invite token: ${o.token}\nThis token will expire in ${minutes} minutes.\n\n` +
    'Run this on the new node to join the cluster:\n\n' +
    `> ${teleportStartCommand(o)}\n\n` +
    'Please note:\n\n' +
    `  - This invitation token will expire in ${minutes} minutes\n` +
    `  - ${o.addr} must be reachable from the new node\n`
  );
}

/** Registers the token commands. */
export function registerTokenCommands(program: Command, io: CLIIO, connect: () => Promise<TctlContext>): void {
  const tokens = program.command('tokens').description('List or add join tokens for agents.');
  tokens
    .command('add')
    .description('Create a join token and print the command that joins a new agent with it.')
    .requiredOption('--type <types>', 'what the agent may become: node, db, app, kube, proxy (comma-separated)', collectList)
    .option('--ttl <duration>', 'token lifetime', '30m')
    .option('--value <token>', 'use this token value instead of a random one')
    .option('--labels <labels>', 'labels to apply to agents joining with this token, e.g. env=prod,team=a')
    .option('--max-uses <n>', 'how many agents may join with this token (default: until it expires)')
    .option('--format <format>', 'output format: text or json', 'text')
    .action(async (o: { type: string[]; ttl: string; value?: string; labels?: string; maxUses?: string; format: string }) => {
      const roles = parseTokenTypes(o.type);
      const ttlMs = parseDuration(o.ttl, '--ttl');
      const name = o.value ?? randomBytes(16).toString('hex');
      const maxUses = o.maxUses === undefined ? undefined : Number(o.maxUses);
      if (maxUses !== undefined && (!Number.isInteger(maxUses) || maxUses < 1)) throw new BadParameterError('--max-uses must be a positive integer');
      const labels = parseLabels(o.labels);
      const { client } = await connect();
      const expires = new Date(Date.now() + ttlMs).toISOString();
      const token: ProvisionToken = {
        kind: 'token',
        version: 'v2',
        metadata: { name, expires },
        spec: { roles, join_method: 'token', ...(labels && { suggested_labels: labels }), ...(maxUses && { max_uses: maxUses }) },
      };
      await client.createResource(token);
      const ping = await client.ping();
      if (o.format === 'json') {
        io.stdout.write(`${JSON.stringify({ token: name, roles, expires, ca_pins: ping.caPins, auth_server: ping.proxyPublicAddr || client.addr }, null, 2)}\n`);
        return;
      }
      io.stdout.write(joinInstructions({ token: name, roles, ttlMs, caPins: ping.caPins, addr: ping.proxyPublicAddr || client.addr }));
    });

  tokens
    .command('ls')
    .description('List join tokens.')
    .option('--format <format>', 'output format: text or json', 'text')
    .action(async (o: { format: string }) => {
      const { client } = await connect();
      const list = await client.listResources<ProvisionToken>('token');
      if (o.format === 'json') {
        io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        io.stdout.write('No active tokens found.\n');
        return;
      }
      io.stdout.write(
        formatTable(
          ['Token', 'Type', 'Labels', 'Expiry Time (UTC)'],
          list.map((t) => [
            t.metadata.name,
            t.spec.roles.join(','),
            Object.entries(t.spec.suggested_labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
            t.metadata.expires ? new Date(t.metadata.expires).toUTCString() : 'never',
          ]),
        ),
      );
    });

  tokens
    .command('rm <token>')
    .description('Delete a join token.')
    .action(async (name: string) => {
      const { client } = await connect();
      await client.deleteResource('token', name);
      io.stdout.write(`Token ${name} has been deleted\n`);
    });
}
