/**
 * @module tool/teleport/joinOpenSSH
 * `teleport join openssh`: turns the OpenSSH server of this host into an agentless node of the
 * cluster (see srv/openssh/agentless.ts for the steps). This file only parses flags, wires the
 * cluster connection (service/join.ts to join; the joined identity, along the route the join took,
 * to register the node) and prints what was done and what to do next.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import type { Command } from 'commander';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import { parseLabelsFlag } from '../../config/flags.ts';
import type { LocalIdentity } from '../../service/identityStore.ts';
import { joinClusterVia } from '../../service/join.ts';
import { authClientFor, type JoinRoute } from '../../service/joinRoute.ts';
import { joinAgentlessNode, type AgentlessDeps, type AgentlessResult } from '../../srv/openssh/agentless.ts';
import { DEFAULT_CHECK_COMMAND, DEFAULT_RESTART_COMMAND } from '../../srv/openssh/commands.ts';
import { collectList, type CLIIO } from '../common/cli.ts';
import { createProcessLogger } from './logging.ts';

/** The flags, as commander hands them over. */
interface JoinOpenSSHFlags {
  address?: string;
  proxyServer?: string;
  authServer?: string;
  token?: string;
  joinMethod: string;
  caPin?: string[];
  opensshConfig: string;
  dataDir: string;
  additionalPrincipals?: string[];
  labels?: string;
  nodename?: string;
  restartSshd?: boolean;
  sshdCheckCommand: string;
  restartCommand: string;
  insecure?: boolean;
  debug?: boolean;
}

/** Seams for tests: the cluster side of the command. */
export type JoinOpenSSHDeps = Omit<AgentlessDeps, 'logger'>;

/** Joins with service/join.ts, and registers the node along the same route with the joined identity. */
function defaultDeps(): JoinOpenSSHDeps {
  let route: JoinRoute | undefined;
  return {
    async join(req) {
      const joined = await joinClusterVia(req);
      route = joined.route;
      return joined.identity;
    },
    async upsertNode(identity: LocalIdentity, node: Server) {
      if (!route) throw new Error('upsertNode before join');
      const client = authClientFor(route, { certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts });
      await client.upsertResource(node);
    },
  };
}

/** The token itself, or read from the file an absolute path names (like `teleport start`). */
async function readJoinToken(value: string): Promise<string> {
  if (!isAbsolute(value)) return value.trim();
  try {
    return (await readFile(value, 'utf8')).trim();
  } catch (err) {
    throw new BadParameterError(`could not read the join token from ${value}: check the path or pass the token itself`, { cause: err });
  }
}

/** Static labels only: command labels need an agent on the host to run them. */
function staticLabels(text: string | undefined): Record<string, string> {
  if (!text) return {};
  const { labels, commands } = parseLabelsFlag(text);
  if (commands.length > 0) {
    throw new BadParameterError(`--labels: "${commands[0]?.name}" is a command label, which needs a Teleport agent to run it: agentless nodes take static labels (name=value) only`);
  }
  return labels;
}

/** The report printed on success. */
export function formatJoinReport(r: AgentlessResult, restartCommand: string): string {
  const lines = [
    `This host's sshd joined cluster "${r.clusterName}" as agentless OpenSSH node "${r.nodeName}" (${r.hostId}) at ${r.address}.`,
    '',
    `Wrote to ${r.paths.dir}:`,
    `  ${r.paths.hostKey}  host key`,
    `  ${r.paths.hostCert}  host certificate for ${r.principals.join(', ')}`,
    `  ${r.paths.userCA}  the cluster's user CA, trusted for logins`,
    `  ${r.paths.snippet}  the sshd settings`,
    r.configChanged ? `Added "Include ${r.paths.snippet}" at the top of ${r.configPath}.` : `${r.configPath} already includes ${r.paths.snippet}; left as it was.`,
    r.restarted ? `Restarted sshd ("${restartCommand}").` : `Restart sshd to apply the settings: ${restartCommand} (or run this command with --restart-sshd).`,
    '',
    'sshd now trusts the cluster\'s user CA, and the proxy records every session on this node. Connect with:',
    `  tsh ssh <login>@${r.nodeName}`,
    '',
  ];
  return lines.join('\n');
}

/** Registers `teleport join openssh`. */
export function registerJoinOpenSSH(program: Command, io: CLIIO, deps?: JoinOpenSSHDeps): void {
  const join = program.command('join').description('Join resources that run no Teleport agent to the cluster.');
  join
    .command('openssh')
    .description(
      'Join this host\'s OpenSSH server (sshd) to the cluster as an agentless node: get a host certificate, ' +
        'make sshd trust the cluster\'s user CA, and register the node. Run it as root on the sshd host.',
    )
    .option('--address <host:port>', 'address of this sshd as the proxy dials it (port 22 if left out); required')
    .option('--proxy-server <host:port>', 'web proxy of the cluster to join through, e.g. teleport.example.com:3080')
    .option('--auth-server <host:port>', 'join through the auth server instead of a proxy')
    .option('--token <token>', 'join token of type node (tctl tokens add --type=node), or the absolute path of a file holding it; required')
    .option('--join-method <method>', 'how to join: only "token" is supported', 'token')
    .option('--ca-pin <pins>', 'expected CA pin(s) "sha256:..." (tctl status prints it)', collectList)
    .option('--openssh-config <path>', 'sshd configuration to edit', '/etc/ssh/sshd_config')
    .option('--data-dir <dir>', 'where to keep the host key and certificates (in <dir>/openssh)', '/var/lib/teleport')
    .option('--additional-principals <list>', 'more host names or IPs for the host certificate, comma-separated', collectList)
    .option('--labels <labels>', 'static labels of the node, e.g. env=prod,team=a')
    .option('--nodename <name>', 'name of the node in the cluster (default: this host\'s hostname)')
    .option('--restart-sshd', 'restart sshd afterwards with --restart-command')
    .option('--sshd-check-command <cmd>', 'validates the edited config before it replaces sshd_config; %s is the file', DEFAULT_CHECK_COMMAND)
    .option('--restart-command <cmd>', 'restarts sshd (with --restart-sshd)', DEFAULT_RESTART_COMMAND)
    .option('--insecure', 'do not verify the proxy\'s TLS certificate (testing only)')
    .option('-d, --debug', 'log at debug level')
    .action(async (o: JoinOpenSSHFlags) => {
      if (!o.address) throw new BadParameterError('--address is required: the host:port the proxy reaches this sshd at, like 10.0.0.5:22');
      if (o.joinMethod !== 'token') throw new BadParameterError(`--join-method "${o.joinMethod}" is not supported: use --join-method=token`);
      if (o.proxyServer && o.authServer) throw new BadParameterError('give either --proxy-server or --auth-server, not both');
      const logger = createProcessLogger({ output: 'stderr', severity: o.debug ? 'debug' : 'warn', format: 'text' }, io);
      const result = await joinAgentlessNode({
        address: o.address,
        token: await readJoinToken(o.token ?? ''),
        ...(o.proxyServer && { proxyServer: o.proxyServer }),
        authServers: o.authServer ? [o.authServer] : [],
        caPins: o.caPin ?? [],
        insecure: o.insecure === true,
        opensshConfig: o.opensshConfig,
        dataDir: o.dataDir,
        nodeName: o.nodename ?? hostname(),
        additionalPrincipals: o.additionalPrincipals ?? [],
        labels: staticLabels(o.labels),
        checkCommand: o.sshdCheckCommand,
        ...(o.restartSshd && { restartCommand: o.restartCommand }),
      }, { ...(deps ?? defaultDeps()), logger });
      io.stdout.write(formatJoinReport(result, o.restartCommand));
    });
}
