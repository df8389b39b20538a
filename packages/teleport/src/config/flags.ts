/**
 * @module config/flags
 * Applies `teleport start` command-line flags on top of the file configuration. Flags win over the
 * file, like upstream; `--roles` switches on exactly the listed services and switches the rest off.
 */
import { BadParameterError, errorMessage } from '@teleport-ts/api/errors';
import { parseDuration } from '@teleport-ts/api/duration';
import { Ports } from './defaults.ts';
import { normalizeAddr } from './netAddr.ts';
import { SERVICE_ROLES, type CommandLabel, type ServiceConfig, type ServiceRole } from './serviceConfigTypes.ts';

/** Flags of `teleport start` that affect configuration (all optional). */
export interface StartFlags {
  /** Comma-separated roles: "auth,proxy,node,db,app,kube". */
  roles?: string | undefined;
  dataDir?: string | undefined;
  nodeName?: string | undefined;
  /** Comma-separated auth server addresses. */
  authServer?: string | undefined;
  /** Join token, or the path of a file holding it. */
  token?: string | undefined;
  /** Comma-separated CA pins. */
  caPin?: string | undefined;
  /** "a=b,c=d", with command labels written "name=[1h:/bin/uname -m]". */
  labels?: string | undefined;
  diagAddr?: string | undefined;
  insecure?: boolean | undefined;
}

function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Parses "--roles": a comma-separated list of role names; unknown names are an error. */
export function parseRoles(text: string): Set<ServiceRole> {
  const roles = new Set<ServiceRole>();
  for (const name of splitList(text.toLowerCase())) {
    if (!(SERVICE_ROLES as readonly string[]).includes(name)) {
      throw new BadParameterError(`--roles: unknown role "${name}": use a comma-separated list of ${SERVICE_ROLES.join(', ')}`);
    }
    roles.add(name as ServiceRole);
  }
  if (roles.size === 0) throw new BadParameterError(`--roles is empty: use a comma-separated list of ${SERVICE_ROLES.join(', ')}`);
  return roles;
}

/** Splits on commas that are not inside [...] (command labels may contain commas). */
function splitLabels(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** Parses "--labels": static labels "a=b" and command labels "name=[period:command args]". */
export function parseLabelsFlag(text: string): { labels: Record<string, string>; commands: CommandLabel[] } {
  const labels: Record<string, string> = {};
  const commands: CommandLabel[] = [];
  for (const item of splitLabels(text)) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq).trim() : '';
    if (!/^[A-Za-z0-9/._:*-]+$/.test(key)) {
      throw new BadParameterError(`--labels: "${item}" is not a label: use name=value pairs separated by commas, like env=prod,team=db`);
    }
    const value = item.slice(eq + 1).trim();
    const cmd = /^\[([^:\]]+):(.+)\]$/.exec(value);
    if (!cmd) {
      labels[key] = value;
      continue;
    }
    let periodMs: number;
    try {
      periodMs = parseDuration(cmd[1] as string, 'label period');
    } catch (err) {
      throw new BadParameterError(`--labels: ${key}: ${errorMessage(err)}`);
    }
    const command = (cmd[2] as string).trim().split(/\s+/);
    commands.push({ name: key, command, periodMs });
  }
  return { labels, commands };
}

function flagAddr(flag: string, text: string, defaultPort: number, defaultHost?: string): string {
  try {
    return normalizeAddr(text, defaultHost === undefined ? { defaultPort } : { defaultPort, defaultHost });
  } catch (err) {
    throw new BadParameterError(`${flag}: ${errorMessage(err)}`);
  }
}

/** Returns a copy of `cfg` with the flags applied. */
export function applyFlags(cfg: ServiceConfig, flags: StartFlags): ServiceConfig {
  const out = structuredClone(cfg);
  if (flags.roles !== undefined) {
    const roles = parseRoles(flags.roles);
    out.auth.enabled = roles.has('auth');
    out.proxy.enabled = roles.has('proxy');
    out.ssh.enabled = roles.has('node');
    out.db.enabled = roles.has('db');
    out.app.enabled = roles.has('app');
    out.kube.enabled = roles.has('kube');
  }
  if (flags.dataDir) out.dataDir = flags.dataDir;
  if (flags.nodeName) out.nodeName = flags.nodeName;
  if (flags.authServer) {
    out.authServers = splitList(flags.authServer).map((a) => flagAddr('--auth-server', a, Ports.auth));
    delete out.proxyServer; // the flag names where to join; a proxy_server from the file would contradict it
  }
  if (flags.token) out.joinToken = flags.token;
  if (flags.caPin) {
    out.caPins = splitList(flags.caPin).map((pin) => {
      if (!/^sha256:[0-9a-f]{64}$/i.test(pin)) {
        throw new BadParameterError(`--ca-pin: "${pin}" is not a CA pin: expected sha256:<64 hex digits>, as printed by "tctl status"`);
      }
      return pin;
    });
  }
  if (flags.labels) {
    const { labels, commands } = parseLabelsFlag(flags.labels);
    out.ssh.labels = { ...out.ssh.labels, ...labels };
    out.ssh.commands = [...out.ssh.commands.filter((c) => !commands.some((n) => n.name === c.name)), ...commands];
  }
  if (flags.diagAddr) out.diagAddr = flagAddr('--diag-addr', flags.diagAddr, Ports.diag, '127.0.0.1');
  if (flags.insecure) out.insecure = true;
  return out;
}
