/**
 * @module reversetunnel/agentAuth
 * Who may open a reverse tunnel: an agent logging in with its SSH **host** certificate. The SSH user
 * is `<hostId>.<cluster>` (or just the host id); the certificate must come from the cluster's host CA,
 * be valid now, be that host's own (key id and principal `<hostId>.<cluster>`, as auth issues it) and
 * be proven by a signature (sshutils verifyHostCertAuth does the certificate and signature checks).
 */
import type { PublicKeyAuthContext } from 'ssh2';
import { errorMessage } from '@teleport-ts/api/errors';
import { decodeHostSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { verifyHostCertAuth } from '../sshutils/userCertAuth.ts';

/** The agent an accepted attempt proved to be. */
export interface AgentIdentity {
  hostId: string;
  /** System role in the certificate (Node, App, Db, Kube, ...). */
  role: string;
}

/** The decision: `agent` is set only once the signature is proven (not in ssh2's query phase). */
export type AgentAuthResult = { ok: true; agent?: AgentIdentity } | { ok: false; reason: string };

/** Decides one publickey attempt of an agent; never throws, refusals carry a reason for the log. */
export function authenticateAgent(
  ctx: Pick<PublicKeyAuthContext, 'username' | 'key' | 'signature' | 'blob'>,
  opts: { hostCAKeys: Buffer[]; clusterName: string; now: Date },
): AgentAuthResult {
  const suffix = `.${opts.clusterName}`;
  const hostId = ctx.username.endsWith(suffix) ? ctx.username.slice(0, -suffix.length) : ctx.username;
  if (hostId === '') return { ok: false, reason: `SSH user "${ctx.username}" names no host` };
  const principal = `${hostId}${suffix}`;
  const res = verifyHostCertAuth(ctx, { hostCAKeys: opts.hostCAKeys, now: opts.now, principal });
  if (!res.ok) return res;
  // Auth sets the key id to "<hostId>.<cluster>"; principals can be widened by what a joining host asks for.
  if (res.cert.keyId !== principal) {
    return { ok: false, reason: `the host certificate "${res.cert.keyId}" belongs to another host than "${principal}" (the SSH user)` };
  }
  try {
    const id = decodeHostSSHIdentity(res.cert);
    if (id.clusterName !== opts.clusterName) {
      return { ok: false, reason: `the host certificate was issued for cluster "${id.clusterName}", not "${opts.clusterName}"` };
    }
    return res.proven ? { ok: true, agent: { hostId, role: id.role } } : { ok: true };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}
