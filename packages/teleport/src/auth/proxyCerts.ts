/**
 * @module auth/proxyCerts
 * The two certificates a proxy needs when it terminates SSH itself instead of piping bytes to the
 * node (session recording mode proxy/proxy-sync, agentless OpenSSH nodes):
 *
 * - an SSH host certificate for a registered node, which the proxy's in-process forwarding server
 *   presents so that the client's host check for that node passes. The principals come from the
 *   node record (UUID, hostname, both under the cluster name, the address's host), never from the
 *   caller; no TLS certificate; the TTL is short.
 * - a user certificate for a key the proxy generated, carrying the identity of a user whose
 *   connection the proxy terminated, so it can log in to the node as that user. The proxy must
 *   present the user's certificate (valid now, from this cluster's user CA) and the signature the
 *   user's client made when it authenticated to the proxy (RFC 4252 §7 data naming that
 *   certificate); each signature is accepted once. The user must still exist and not be locked.
 *   The copy keeps username, logins, roles, traits and permissions, expires no later than the
 *   original, and drops `source-address` (the proxy, not the client, connects to the node).
 *
 * Authorization (which callers, which recording modes) is AuthWithRoles's job; this is the logic.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '@teleport-ts/api/clock';
import type { Certs } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError, BadParameterError, isNotFound, TrustError } from '@teleport-ts/api/errors';
import { CERT_SUFFIX, formatCertificateLine, parseCertificateLine, verifyCertificate, type SSHCertificate } from '@teleport-ts/api/sshcert/certificate';
import { decodeUserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import { signatureAlgorithm, verifySSHSignature } from '@teleport-ts/api/sshcert/signature';
import { SSHReader } from '@teleport-ts/api/sshcert/wire';
import type { Server } from '@teleport-ts/api/types/server';
import { issueUserSSHCert } from '../ca/sshCertIssuer.ts';
import { certCreateEvent } from '../events/newEvent.ts';
import type { LocalServices } from '../services/local/index.ts';
import { certificateAlgorithms } from '../sshutils/certKey.ts';
import type { HostCertParams, IssuerDeps } from './certs.ts';

/** Longest lifetime of a node host certificate issued to a proxy (it renews them). */
export const NODE_HOST_CERT_MAX_TTL_MS = 24 * 3600_000;
/** Longest lifetime of a re-issued user certificate, whatever the original says. */
export const REISSUED_CERT_MAX_TTL_MS = 30 * 3600_000;
/** SSH_MSG_USERAUTH_REQUEST. */
const MSG_USERAUTH_REQUEST = 50;

/** The host of a "host:port" address (IPv6 without brackets). */
function addrHost(addr: string): string {
  const m = /^\[([^\]]*)\](?::\d*)?$/.exec(addr) ?? /^([^:]*)(?::\d*)?$/.exec(addr);
  return m?.[1] ?? addr;
}

/**
 * Checks a proxy's request for a node's host certificate and returns the request to issue: role
 * Node, SSH only, for a live registered node, under its registered hostname, with extra principals
 * limited to the host of its address. Throws AccessDeniedError (or NotFoundError for an unknown node).
 */
export async function nodeHostCertRequest(services: LocalServices, p: HostCertParams, caller: string): Promise<HostCertParams> {
  const deny = (why: string): never => {
    throw new AccessDeniedError(`access denied: a proxy may only request SSH host certificates for registered nodes: ${why}`);
  };
  if (p.role !== 'Node') deny(`role must be Node, not "${p.role}"`);
  if (p.tlsPublicKey || (p.dnsNames?.length ?? 0) > 0) deny('no TLS certificate or DNS names');
  if (!p.sshPublicKey) throw new BadParameterError('no SSH public key given: send the key the forwarding server presents');
  const node: Server = await services.presence.getNode(p.hostId);
  if (p.nodeName !== node.spec.hostname) deny(`node ${p.hostId} is registered as "${node.spec.hostname}", not "${p.nodeName}"`);
  const host = node.spec.addr ? addrHost(node.spec.addr) : '';
  for (const extra of p.additionalPrincipals ?? []) {
    if (extra !== host) deny(`"${extra}" is not the address of node ${p.hostId}`);
  }
  const ttlMs = Math.min(p.ttlMs && p.ttlMs > 0 ? p.ttlMs : NODE_HOST_CERT_MAX_TTL_MS, NODE_HOST_CERT_MAX_TTL_MS);
  return {
    hostId: node.metadata.name, nodeName: node.spec.hostname, role: 'Node', sshPublicKey: p.sshPublicKey,
    additionalPrincipals: [...new Set(p.additionalPrincipals ?? [])], ttlMs, impersonator: caller,
  };
}

/**
 * Remembers keys until they expire, so each can be used once. In memory: with several auth
 * servers a replay may reach another one (the signature still had to come from the user's key).
 */
export class SingleUseGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: Clock, private readonly maxEntries = 100_000) {}

  /** Records `key` until `expiresMs`; false when it is already recorded. */
  use(key: string, expiresMs: number): boolean {
    const now = this.clock.nowMs();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.maxEntries) {
      for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
      // Still full: forget the oldest (a flood weakens replay detection, never issuance checks).
      for (const k of this.seen.keys()) {
        if (this.seen.size < this.maxEntries) break;
        this.seen.delete(k);
      }
    }
    this.seen.set(key, expiresMs);
    return true;
  }
}

/** A proxy's request to re-issue a user's certificate for its own key. */
export interface ReissueUserCertRequest {
  sshCert: string;
  sshPublicKey: string;
  authData: Uint8Array;
  authSignature: Uint8Array;
  nodeId: string;
}

/** What {@link reissueUserCertForProxy} needs from the auth server. */
export interface ReissueDeps extends IssuerDeps {
  services: LocalServices;
  replay: SingleUseGuard;
}

/** SSH public key blobs the cluster's user CA signs with or still trusts. */
async function trustedUserCAKeys(deps: ReissueDeps): Promise<Buffer[]> {
  const ca = (await deps.keyring.get('user')).resource;
  return [...(ca.spec.active_keys.ssh ?? []), ...(ca.spec.additional_trusted_keys?.ssh ?? [])].map((k) => parseAuthorizedKey(k.public_key).blob);
}

/**
 * Checks that `data` is what a client signs for publickey authentication with `certBlob` (session
 * identifier, then the userauth request) and that `signature` over it verifies with the
 * certificate's key. Returns the login the client asked for.
 */
export function checkUserAuthProof(certBlob: Buffer, cert: SSHCertificate, data: Buffer, signature: Buffer): string {
  const fail = (why: string): never => {
    throw new AccessDeniedError(`the user's authentication proof does not check out: ${why}`);
  };
  let login = '';
  try {
    const r = new SSHReader(data, 'userauth signature data');
    const sessionId = r.string();
    if (sessionId.length < 16 || sessionId.length > 64) fail('the session identifier has an implausible length');
    if (r.uint8() !== MSG_USERAUTH_REQUEST) fail('it is not a userauth request');
    login = r.utf8();
    if (r.utf8() !== 'ssh-connection' || r.utf8() !== 'publickey' || !r.bool()) fail('it is not a signed publickey request');
    const algo = r.utf8();
    if (!r.string().equals(certBlob)) fail('it names another key');
    r.done();
    if (!algo.endsWith(CERT_SUFFIX) || !certificateAlgorithms(cert.keyType).includes(algo)) fail(`algorithm ${algo} does not fit the certificate`);
    const plain = algo.slice(0, -CERT_SUFFIX.length);
    if (signatureAlgorithm(signature) !== plain || !verifySSHSignature(cert.publicKey, signature, data)) fail("the signature was not made with the certificate's key");
  } catch (err) {
    if (err instanceof AccessDeniedError) throw err;
    fail((err as Error).message);
  }
  return login;
}

/** Re-issues a user's SSH certificate for a key the proxy holds; see the module comment. */
export async function reissueUserCertForProxy(deps: ReissueDeps, req: ReissueUserCertRequest, impersonator: string): Promise<Certs> {
  const blob = parseCertificateLine(req.sshCert);
  const cert = verifyCertificate(blob, { now: deps.clock.now(), trustedCAKeys: await trustedUserCAKeys(deps), certType: 'user' });
  const identity = decodeUserSSHIdentity(cert);
  const data = Buffer.from(req.authData);
  const signature = Buffer.from(req.authSignature);
  const login = checkUserAuthProof(blob, cert, data, signature);
  if (!identity.logins.includes(login)) throw new AccessDeniedError(`user '${identity.username}' may not log in as "${login}"`);
  const proofKey = createHash('sha256').update(data).update(signature).digest('hex');
  if (!deps.replay.use(proofKey, identity.validBefore.getTime())) {
    throw new TrustError("this authentication proof was already used: a proxy may re-issue a user's certificate once per client login");
  }
  let user;
  try {
    user = await deps.services.users.getUser(identity.username);
  } catch (err) {
    if (isNotFound(err)) throw new AccessDeniedError(`user '${identity.username}' no longer exists`);
    throw err;
  }
  const lockExpires = user.spec.status?.lock_expires;
  if (user.spec.status?.is_locked && lockExpires && Date.parse(lockExpires) > deps.clock.nowMs()) {
    throw new AccessDeniedError(`user '${identity.username}' is locked until ${lockExpires}`);
  }
  const ttlMs = Math.min(identity.validBefore.getTime() - deps.clock.nowMs(), REISSUED_CERT_MAX_TTL_MS);
  const issued = issueUserSSHCert({
    caPrivateKey: await deps.keyring.sshSigner('user'),
    publicKey: parseAuthorizedKey(req.sshPublicKey).blob,
    username: identity.username,
    logins: identity.logins,
    ttlMs,
    clock: deps.clock,
    permitAgentForwarding: identity.permitAgentForwarding,
    permitPortForwarding: identity.permitPortForwarding,
    permitX11Forwarding: identity.permitX11Forwarding,
    roles: identity.roles,
    traits: identity.traits,
    ...(identity.routeToCluster && { routeToCluster: identity.routeToCluster }),
    ...(identity.loginIP && { loginIP: identity.loginIP }),
    ...(identity.mfaVerified && { mfaVerified: identity.mfaVerified }),
    ...(identity.activeRequests && { activeRequests: identity.activeRequests }),
  });
  const expires = new Date(Math.floor((deps.clock.nowMs() + ttlMs) / 1000) * 1000);
  await deps.audit.emit({
    ...certCreateEvent({
      identity: { user: identity.username, roles: identity.roles, logins: identity.logins, expires, impersonator, ...(identity.routeToCluster && { routeToCluster: identity.routeToCluster }) },
    }),
    user: identity.username,
    ...(req.nodeId && { server_id: req.nodeId }),
  });
  return {
    username: identity.username,
    sshCert: formatCertificateLine(issued, identity.username),
    tlsCert: '',
    hostCAs: [await deps.keyring.publicCA('host')],
    tlsCACerts: await deps.keyring.tlsCerts('host'),
  };
}
