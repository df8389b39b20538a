/**
 * @module tool/tctl/users
 * `tctl users add|ls|rm|reset|update`: local user management. `add` creates the user and prints an
 * invite URL; the user sets a password (and enrolls TOTP) on the proxy.
 */
import type { Command } from 'commander';
import { parseDuration } from '@teleport-ts/api/duration';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { User, Traits } from '@teleport-ts/api/types/user';
import { collectList, type CLIIO } from '../common/cli.ts';
import { formatTable } from '../common/table.ts';
import type { TctlContext } from './connect.ts';

/** Options that set traits, shared by add and update. */
interface TraitOptions {
  logins?: string[];
  dbUsers?: string[];
  dbNames?: string[];
  kubernetesGroups?: string[];
  kubernetesUsers?: string[];
  windowsLogins?: string[];
}

function traitsFrom(o: TraitOptions, base: Traits = {}): Traits {
  const t: Traits = { ...base };
  const set = (name: string, v: string[] | undefined) => {
    if (v) t[name] = v;
  };
  set('logins', o.logins);
  set('db_users', o.dbUsers);
  set('db_names', o.dbNames);
  set('kubernetes_groups', o.kubernetesGroups);
  set('kubernetes_users', o.kubernetesUsers);
  set('windows_logins', o.windowsLogins);
  return t;
}

function inviteMessage(user: string, url: string, ttlMs: number, kind: 'invite' | 'reset'): string {
  const hours = ttlMs / 3600_000;
  const ttl = hours >= 1 ? `${hours}h` : `${ttlMs / 60_000}m`;
  const what = kind === 'invite'
    ? `User "${user}" has been created but requires a password. Share this URL with the user to complete user setup, link is valid for ${ttl}:`
    : `User "${user}" has been reset. Share this URL with the user to complete password reset, link is valid for ${ttl}:`;
  const host = new URL(url).host;
  return `${what}\n${url}\n\nNOTE: Make sure ${host} points at a Teleport proxy which users can access.\n`;
}

/** Registers the users commands. */
export function registerUserCommands(program: Command, io: CLIIO, connect: () => Promise<TctlContext>): void {
  const users = program.command('users').description('Manage user accounts.');
  const traitOpts = (c: Command) =>
    c
      .option('--logins <list>', 'OS logins the user may use (comma-separated); sets the "logins" trait', collectList)
      .option('--db-users <list>', 'database users (the "db_users" trait)', collectList)
      .option('--db-names <list>', 'database names (the "db_names" trait)', collectList)
      .option('--kubernetes-groups <list>', 'Kubernetes groups (the "kubernetes_groups" trait)', collectList)
      .option('--kubernetes-users <list>', 'Kubernetes users (the "kubernetes_users" trait)', collectList)
      .option('--windows-logins <list>', 'Windows logins (the "windows_logins" trait)', collectList);

  traitOpts(users.command('add <user>').description('Create a user and print an invite URL.'))
    .requiredOption('--roles <list>', 'roles to assign (comma-separated), e.g. access,editor', collectList)
    .option('--ttl <duration>', 'how long the invite link is valid (default 1h, max 48h)', '1h')
    .action(async (name: string, o: TraitOptions & { roles: string[]; ttl: string }) => {
      const ttlMs = parseDuration(o.ttl, '--ttl');
      const { client } = await connect();
      const user: User = { kind: 'user', version: 'v2', metadata: { name }, spec: { roles: o.roles, traits: traitsFrom(o) } };
      await client.createResource(user);
      const token = await client.createUserToken({ user: name, kind: 'invite', ttlMs });
      io.stdout.write(inviteMessage(name, token.spec.url, ttlMs, 'invite'));
    });

  users
    .command('ls')
    .description('List users.')
    .option('--format <format>', 'output format: text, json or yaml', 'text')
    .action(async (o: { format: string }) => {
      const { client } = await connect();
      const list = await client.listResources<User>('user');
      if (o.format === 'json') io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else if (o.format === 'yaml') io.stdout.write((await import('@teleport-ts/api/types/format')).formatResourcesYAML(list));
      else io.stdout.write(formatTable(['User', 'Roles'], list.map((u) => [u.metadata.name, u.spec.roles.join(',')])));
    });

  users
    .command('rm <users...>')
    .description('Delete users (comma- or space-separated).')
    .action(async (names: string[]) => {
      const { client } = await connect();
      for (const name of names.flatMap((n) => n.split(',')).filter(Boolean)) {
        await client.deleteResource('user', name);
        io.stdout.write(`User "${name}" has been deleted\n`);
      }
    });

  users
    .command('reset <user>')
    .description('Reset a user\'s password and second factors; prints a reset URL.')
    .option('--ttl <duration>', 'how long the reset link is valid (default 8h, max 24h)', '8h')
    .action(async (name: string, o: { ttl: string }) => {
      const ttlMs = parseDuration(o.ttl, '--ttl');
      const { client } = await connect();
      const token = await client.createUserToken({ user: name, kind: 'reset', ttlMs });
      io.stdout.write(inviteMessage(name, token.spec.url, ttlMs, 'reset'));
    });

  const update = users.command('update <user>').description('Change a user\'s roles or traits.')
    .option('--set-roles <list>', 'replace the user\'s roles', collectList)
    .option('--set-logins <list>', 'replace the "logins" trait', collectList)
    .option('--set-db-users <list>', 'replace the "db_users" trait', collectList)
    .option('--set-db-names <list>', 'replace the "db_names" trait', collectList)
    .option('--set-kubernetes-groups <list>', 'replace the "kubernetes_groups" trait', collectList)
    .option('--set-kubernetes-users <list>', 'replace the "kubernetes_users" trait', collectList)
    .option('--set-windows-logins <list>', 'replace the "windows_logins" trait', collectList);
  update.action(async (name: string, o: Record<string, string[] | undefined>) => {
    const changes: TraitOptions = {
      ...(o.setLogins && { logins: o.setLogins }),
      ...(o.setDbUsers && { dbUsers: o.setDbUsers }),
      ...(o.setDbNames && { dbNames: o.setDbNames }),
      ...(o.setKubernetesGroups && { kubernetesGroups: o.setKubernetesGroups }),
      ...(o.setKubernetesUsers && { kubernetesUsers: o.setKubernetesUsers }),
      ...(o.setWindowsLogins && { windowsLogins: o.setWindowsLogins }),
    };
    if (!o.setRoles && Object.keys(changes).length === 0) {
      throw new BadParameterError('nothing to update: pass --set-roles or one of the --set-<trait> flags');
    }
    const { client } = await connect();
    const user = await client.getResource<User>('user', name);
    if (o.setRoles) user.spec.roles = o.setRoles;
    user.spec.traits = traitsFrom(changes, user.spec.traits ?? {});
    await client.upsertResource(user);
    io.stdout.write(`User ${name} has been updated:\n  roles: ${user.spec.roles.join(',')}\n`);
  });
}
