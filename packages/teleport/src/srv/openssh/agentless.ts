/**
 * @module srv/openssh/agentless
 * What `teleport join openssh` does, in order, with the cluster connection injected:
 *
 * 1. check everything local first (the sshd_config is readable, not half-edited and passes the
 *    check command as it is; the paths fit in sshd_config), so a mistake does not spend a join token;
 * 2. join as role Node with the host UUID kept in `<data_dir>/openssh/host_uuid` (a second run
 *    updates the same node) and host certificate principals for the address the proxy dials;
 * 3. write the host key, certificate, user CA and snippet (keys.ts); the snippet lists the host
 *    keys sshd loads today (`sshd -T`) before Teleport's, so direct clients see no new key;
 * 4. put the Include block at the top of sshd_config once the check command accepts the result
 *    (sshdConfigFile.ts);
 * 5. register the node: sub_kind `openssh`, no expiry (nothing heartbeats for it), written with the
 *    joined identity (a node may write only its own record);
 * 6. restart sshd when asked.
 *
 * The proxy then terminates SSH for this node, re-originates it with a user certificate auth
 * re-issues from the cluster's user CA (which the snippet makes sshd trust), and records it.
 */
import { isAbsolute } from 'node:path';
import type { KeyAlgorithm } from '@teleport-ts/api/keys';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import type { Server } from '@teleport-ts/api/types/server';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { Logger } from '../../utils/logger.ts';
import { parseHostPort, formatHostPort } from '../../config/netAddr.ts';
import { readOrCreateHostUUID, type LocalIdentity } from '../../service/identityStore.ts';
import { checkSSHDConfig, effectiveHostKeys, restartSSHD, sshdOfCheckCommand } from './commands.ts';
import { ensureOpenSSHDir, openSSHPaths, writeOpenSSHFiles, type OpenSSHPaths } from './keys.ts';
import { addTeleportInclude, quoteSSHDArg } from './sshdConfig.ts';
import { installTeleportInclude, readSSHDConfig } from './sshdConfigFile.ts';

/** What joining needs to be told (the shape of service/join.ts's joinCluster options). */
export interface NodeJoinRequest {
  hostId: string;
  nodeName: string;
  role: 'Node';
  token: string;
  caPins: string[];
  authServers: string[];
  proxyServer?: string;
  insecure?: boolean;
  algorithm: KeyAlgorithm;
  additionalPrincipals: string[];
  logger: Logger;
}

/** The cluster side, injected: joining, and writing the node record with the joined identity. */
export interface AgentlessDeps {
  join(req: NodeJoinRequest): Promise<LocalIdentity>;
  upsertNode(identity: LocalIdentity, node: Server): Promise<void>;
  logger: Logger;
}

/** Options of {@link joinAgentlessNode} (the command's flags, parsed). */
export interface AgentlessOptions {
  /** host:port of sshd as the proxy dials it (port 22 when left out). */
  address: string;
  token: string;
  proxyServer?: string;
  authServers: string[];
  caPins: string[];
  insecure: boolean;
  opensshConfig: string;
  dataDir: string;
  nodeName: string;
  additionalPrincipals: string[];
  labels: Record<string, string>;
  checkCommand: string;
  /** Restart command; undefined to leave restarting to the person. */
  restartCommand?: string;
}

/** What was done, for the command's report. */
export interface AgentlessResult {
  clusterName: string;
  hostId: string;
  nodeName: string;
  address: string;
  principals: string[];
  paths: OpenSSHPaths;
  /** The sshd_config that was edited (symlinks resolved). */
  configPath: string;
  /** False when it already included the snippet. */
  configChanged: boolean;
  restarted: boolean;
}

/** Checks what can be checked before a token is spent; returns the normalized address and paths. */
async function preflight(o: AgentlessOptions, logger: Logger): Promise<{ address: string; host: string; paths: OpenSSHPaths; keepHostKeys: string[] }> {
  if (!o.proxyServer && o.authServers.length === 0) {
    throw new BadParameterError('say where the cluster is: --proxy-server=<proxy host:port> (or --auth-server=<auth host:port>)');
  }
  if (!o.token) throw new BadParameterError('--token is required: create one with "tctl tokens add --type=node"');
  let hp;
  try {
    hp = parseHostPort(o.address, { defaultPort: 22 });
  } catch (err) {
    throw new BadParameterError(`--address: ${(err as Error).message}`);
  }
  if (hp.port === 0 || hp.host === '0.0.0.0' || hp.host === '::') {
    throw new BadParameterError(`--address "${o.address}" must be the host:port the proxy can dial this sshd at, like 10.0.0.5:22`);
  }
  const paths = openSSHPaths(o.dataDir);
  for (const p of [paths.hostKey, paths.hostCert, paths.userCA, paths.snippet]) quoteSSHDArg(p, 'data directory path');
  addTeleportInclude(await readSSHDConfig(o.opensshConfig), paths.snippet, o.opensshConfig);
  await checkSSHDConfig(o.checkCommand, o.opensshConfig, `${o.opensshConfig} as it is now (nothing was changed: fix it first)`);
  const sshd = sshdOfCheckCommand(o.checkCommand) ?? '/usr/sbin/sshd';
  const current = await effectiveHostKeys(o.opensshConfig, sshd);
  if (current === undefined) logger.warn({ sshd }, "could not read sshd's current host keys (sshd -T): only Teleport's key will be listed");
  const keepHostKeys = (current ?? []).filter((k) => k !== paths.hostKey && isAbsolute(k));
  return { address: formatHostPort(hp), host: hp.host, paths, keepHostKeys };
}

/** Joins this host's sshd to the cluster as an agentless node; see the module comment. */
export async function joinAgentlessNode(o: AgentlessOptions, deps: AgentlessDeps): Promise<AgentlessResult> {
  const { address, host, paths, keepHostKeys } = await preflight(o, deps.logger);
  await ensureOpenSSHDir(paths);
  const hostId = await readOrCreateHostUUID(paths.dir);
  // The proxy checks sshd's certificate for the host UUID (auth adds it, <uuid>.<cluster> and the
  // node name); the address's host and the extra principals are for clients that dial it directly.
  const additionalPrincipals = [...new Set([host, ...o.additionalPrincipals].filter((p) => p !== ''))];
  const identity = await deps.join({
    hostId, nodeName: o.nodeName, role: 'Node', token: o.token, caPins: o.caPins, authServers: o.authServers,
    ...(o.proxyServer && { proxyServer: o.proxyServer }), insecure: o.insecure, algorithm: 'ed25519',
    additionalPrincipals, logger: deps.logger,
  });
  if (!identity.sshCert) throw new BadParameterError('the cluster issued no SSH host certificate: join with a token of type node');
  await writeOpenSSHFiles(paths, { keyPEM: identity.keyPEM, sshCert: identity.sshCert, userCAKeys: identity.sshUserCAKeys ?? [], keepHostKeys });
  deps.logger.info({ dir: paths.dir }, 'wrote the host key, certificate and user CA');
  const installed = await installTeleportInclude({
    configPath: o.opensshConfig, snippetPath: paths.snippet, check: (candidate) => checkSSHDConfig(o.checkCommand, candidate),
  });
  const node: Server = {
    kind: 'node', version: 'v2', sub_kind: 'openssh',
    metadata: { name: hostId, ...(Object.keys(o.labels).length > 0 && { labels: o.labels }) },
    spec: { addr: address, hostname: o.nodeName },
  };
  await deps.upsertNode(identity, node);
  if (o.restartCommand !== undefined) await restartSSHD(o.restartCommand);
  return {
    clusterName: identity.clusterName, hostId, nodeName: o.nodeName, address,
    principals: decodeCertificate(parseCertificateLine(identity.sshCert)).principals,
    paths, configPath: installed.path, configChanged: installed.changed, restarted: o.restartCommand !== undefined,
  };
}
