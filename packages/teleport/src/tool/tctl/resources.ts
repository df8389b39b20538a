/**
 * @module tool/tctl/resources
 * Generic resource commands: `tctl get`, `create [-f]`, `rm`, `edit`. Files are validated completely
 * before anything is written, so a bad document in a multi-document file creates nothing.
 */
import { readFile, writeFile, mkdtemp, rm as rmFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { BadParameterError, isAlreadyExists } from '@teleport-ts/api/errors';
import { parseResources } from '@teleport-ts/api/types/parse';
import { formatResourcesJSON, formatResourcesYAML } from '@teleport-ts/api/types/format';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { User } from '@teleport-ts/api/types/user';
import type { Role } from '@teleport-ts/api/types/role';
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import type { Database, DatabaseServer } from '@teleport-ts/api/types/database';
import type { CLIIO } from '../common/cli.ts';
import { formatTable } from '../common/table.ts';
import type { TctlContext } from './connect.ts';

/** Splits "kind/name" (name may itself contain '/', e.g. cert_authority/host/example.com). */
export function parseRef(ref: string): { kind: string; name: string } {
  const i = ref.indexOf('/');
  if (i < 0) return { kind: ref, name: '' };
  return { kind: ref.slice(0, i), name: ref.slice(i + 1) };
}

/** Renders resources in the chosen format. */
export function renderResources(list: Resource[], format: string): string {
  switch (format) {
    case 'yaml':
      return formatResourcesYAML(list);
    case 'json':
      return formatResourcesJSON(list);
    case 'text':
      return renderText(list);
    default:
      throw new BadParameterError(`unknown format "${format}": use yaml, json or text`);
  }
}

function renderText(list: Resource[]): string {
  const kind = list[0]?.kind;
  if (kind === 'user') return formatTable(['User', 'Roles'], (list as User[]).map((u) => [u.metadata.name, u.spec.roles.join(',')]));
  if (kind === 'role') {
    return formatTable(['Role', 'Allowed to login as', 'Node Labels'], (list as Role[]).map((r) => [
      r.metadata.name,
      (r.spec.allow?.logins ?? []).join(','),
      Object.entries(r.spec.allow?.node_labels ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`).join(','),
    ]));
  }
  if (kind === 'token') {
    return formatTable(['Token', 'Type', 'Expiry Time (UTC)'], (list as ProvisionToken[]).map((t) => [t.metadata.name, t.spec.roles.join(','), t.metadata.expires ?? 'never']));
  }
  if (kind === 'proxy') {
    return formatTable(['Host', 'Hostname', 'Tunnel Address', 'Public Address', 'Version'], (list as ProxyServer[]).map((p) => [
      p.metadata.name, p.spec.hostname, p.spec.addr, p.spec.public_addr ?? '', p.spec.version ?? '',
    ]));
  }
  const labels = (l: Record<string, string> | undefined): string => Object.entries(l ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  if (kind === 'db') {
    return formatTable(['Name', 'Protocol', 'URI', 'Labels'], (list as Database[]).map((d) => [
      d.metadata.name, d.spec.protocol, d.spec.uri, labels(d.metadata.labels),
    ]));
  }
  if (kind === 'db_server') {
    return formatTable(['Host', 'Name', 'Protocol', 'URI', 'Labels', 'Version'], (list as DatabaseServer[]).map((s) => [
      s.spec.hostname, s.metadata.name, s.spec.database.spec.protocol, s.spec.database.spec.uri, labels(s.spec.database.metadata.labels), s.spec.version,
    ]));
  }
  return formatTable(['Kind', 'Name'], list.map((r) => [r.kind, r.metadata.name]));
}

async function writeAll(ctx: TctlContext, resources: Resource[], force: boolean, io: CLIIO): Promise<void> {
  for (const r of resources) {
    if (force) {
      await ctx.client.upsertResource(r);
      io.stdout.write(`${r.kind} "${r.metadata.name}" has been created or updated\n`);
      continue;
    }
    try {
      await ctx.client.createResource(r);
      io.stdout.write(`${r.kind} "${r.metadata.name}" has been created\n`);
    } catch (err) {
      if (isAlreadyExists(err)) {
        throw new BadParameterError(`${r.kind} "${r.metadata.name}" already exists: use 'tctl create -f' to overwrite it`);
      }
      throw err;
    }
  }
}

/** Registers get/create/rm/edit. */
export function registerResourceCommands(program: Command, io: CLIIO, connect: () => Promise<TctlContext>): void {
  program
    .command('get <resource>')
    .description('Print resources: "kind" for all, "kind/name" for one (e.g. roles, role/access, users/alice, cert_authority/host, proxies).')
    .option('--format <format>', 'output format: yaml, json or text', 'yaml')
    .action(async (ref: string, o: { format: string }) => {
      const { kind, name } = parseRef(ref);
      const ctx = await connect();
      const list = name ? [await ctx.client.getResource(kind, name)] : await ctx.client.listResources(kind);
      io.stdout.write(renderResources(list, o.format));
    });

  program
    .command('create <file>')
    .description('Create resources from a YAML or JSON file ("-" reads standard input).')
    .option('-f, --force', 'overwrite resources that already exist')
    .action(async (file: string, o: { force?: boolean }) => {
      const text = file === '-' ? await readStream(io.stdin) : await readFileOrExplain(file);
      const resources = parseResources(text, file === '-' ? '<stdin>' : file);
      if (resources.length === 0) throw new BadParameterError(`${file} contains no resources`);
      const ctx = await connect();
      await writeAll(ctx, resources, o.force === true, io);
    });

  program
    .command('rm <resource>')
    .alias('del')
    .description('Delete a resource, e.g. tctl rm role/dev.')
    .action(async (ref: string) => {
      const { kind, name } = parseRef(ref);
      if (!name) throw new BadParameterError(`name what to delete as kind/name, e.g. ${kind}/example`);
      const ctx = await connect();
      await ctx.client.deleteResource(kind, name);
      io.stdout.write(`${kind} "${name}" has been deleted\n`);
    });

  program
    .command('edit <resource>')
    .description('Edit a resource in $EDITOR (kind/name); it is validated and saved when the editor exits.')
    .action(async (ref: string) => {
      const { kind, name } = parseRef(ref);
      if (!name) throw new BadParameterError(`name what to edit as kind/name, e.g. ${kind}/example`);
      const ctx = await connect();
      const original = await ctx.client.getResource(kind, name);
      const dir = await mkdtemp(path.join(os.tmpdir(), 'tctl-edit-'));
      const file = path.join(dir, `${kind}-${name.replaceAll('/', '_')}.yaml`);
      try {
        const before = formatResourcesYAML([original]);
        await writeFile(file, before, { mode: 0o600 });
        await runEditor(io.env.VISUAL ?? io.env.EDITOR ?? 'vi', file);
        const after = await readFile(file, 'utf8');
        if (after === before) {
          io.stdout.write('edit canceled, no changes made\n');
          return;
        }
        const [updated, ...extra] = parseResources(after, file);
        if (!updated || extra.length) throw new BadParameterError('the edited file must contain exactly one resource');
        if (updated.kind !== original.kind || updated.metadata.name !== original.metadata.name) {
          throw new BadParameterError('the kind and name of a resource cannot be changed with edit');
        }
        await ctx.client.upsertResource(updated);
        io.stdout.write(`${kind} "${name}" has been updated\n`);
      } finally {
        await rmFile(dir, { recursive: true, force: true });
      }
    });
}

async function readFileOrExplain(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BadParameterError(`file ${file} does not exist`);
    throw err;
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

function runEditor(editor: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The editor command may carry arguments ("code --wait"), like git's core.editor.
    const child = spawn(`${editor} "${file.replaceAll('"', '\\"')}"`, { stdio: 'inherit', shell: true });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new BadParameterError(`editor "${editor}" exited with code ${code}; no changes saved`))));
  });
}

