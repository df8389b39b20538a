/**
 * @module auth/join
 * RegisterUsingToken: an agent with no certificate yet presents a join token and gets host
 * certificates for the role it asked for. The order matters: inputs are checked first (no token is
 * spent on a malformed request), then the token's roles are peeked so a role mismatch does not spend a
 * single-use token, then the token is consumed atomically (expiry, max_uses) and its roles checked
 * again on the counted copy. Every attempt, refused or not, is audited as `instance.join` with the
 * token name masked.
 */
import { isIP } from 'node:net';
import { AccessDeniedError, BadParameterError, isNotFound, TeleportError } from '@teleport-ts/api/errors';
import type { Clock } from '@teleport-ts/api/clock';
import type { Certs } from '@teleport-ts/api/client/authClient';
import { publicKeyFromPEM } from '@teleport-ts/api/keys';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import type { AuditLog } from '../events/auditLog.ts';
import { instanceJoinEvent } from '../events/newEvent.ts';
import type { LocalServices } from '../services/local/index.ts';
import type { HostCertParams } from './certs.ts';

/** The system roles an agent may join as with a token. Never Auth or Admin. */
export const JOINABLE_ROLES = ['Node', 'Proxy', 'Db', 'App', 'Kube', 'WindowsDesktop', 'Discovery'] as const;

/** A joinable system role. */
export type JoinableRole = (typeof JOINABLE_ROLES)[number];

/** `tctl tokens add --type=` spelling of each role, for hints. */
const TOKEN_TYPE: Record<JoinableRole, string> = {
  Node: 'node', Proxy: 'proxy', Db: 'db', App: 'app', Kube: 'kube', WindowsDesktop: 'windowsdesktop', Discovery: 'discovery',
};

/** What an agent sends to join. */
export interface RegisterUsingTokenParams {
  token: string;
  hostId: string;
  nodeName: string;
  role: string;
  additionalPrincipals?: string[];
  dnsNames?: string[];
  sshPublicKey?: string;
  tlsPublicKey?: string;
  /** Where the request came from, for the audit log. */
  remoteAddr?: string;
}

/** What joining needs from the auth server. */
export interface JoinDeps {
  services: Pick<LocalServices, 'provisioning'>;
  clock: Clock;
  audit: AuditLog;
  generateHostCerts(p: HostCertParams): Promise<Certs>;
}

const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Host names, IPs (v4 and v6) and, for DNS names, wildcards; nothing that could break a certificate. */
const HOST_NAME = /^[A-Za-z0-9*_][A-Za-z0-9.*:_-]{0,252}$/;

/** The canonical spelling of a joinable role (upstream accepts "node" and "Node"), or undefined. */
export function joinableRole(role: string): JoinableRole | undefined {
  return JOINABLE_ROLES.find((r) => r.toLowerCase() === role.trim().toLowerCase());
}

function checkName(what: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value) && isIP(value) === 0) {
    throw new BadParameterError(`invalid ${what} ${JSON.stringify(value.slice(0, 80))}: use letters, digits, '.', '-' and '_'`);
  }
}

/** Validates a join request and returns its role spelled canonically. */
function validate(req: RegisterUsingTokenParams): JoinableRole {
  if (!req.token) throw new BadParameterError('no join token given: pass --token with a token from \'tctl tokens add\'');
  // Checked here so that no later message (which could echo it) ever sees a malformed secret.
  if (req.token.length > 1024 || /[/\s\p{Cc}]/u.test(req.token) || req.token === '.' || req.token === '..') {
    throw new BadParameterError("the join token is malformed: check that it was copied correctly, or create a new one with 'tctl tokens add'");
  }
  const role = joinableRole(req.role);
  if (!role) {
    throw new BadParameterError(
      `role ${JSON.stringify(req.role)} cannot join with a token: an agent may join as ${JOINABLE_ROLES.join(', ')}`,
    );
  }
  if (!HOST_ID.test(req.hostId)) {
    throw new BadParameterError(`invalid host id ${JSON.stringify(req.hostId.slice(0, 80))}: expected a UUID (the agent's <data_dir>/host_uuid)`);
  }
  if (!req.nodeName) throw new BadParameterError('node name is required (teleport.nodename)');
  checkName('node name', req.nodeName, HOST_NAME);
  for (const p of req.additionalPrincipals ?? []) checkName('additional principal', p, HOST_NAME);
  for (const d of req.dnsNames ?? []) checkName('DNS name', d, HOST_NAME);
  if (!req.tlsPublicKey) throw new BadParameterError('no TLS public key given: the agent must send the key to certify');
  try {
    publicKeyFromPEM(req.tlsPublicKey);
  } catch (err) {
    throw new BadParameterError('the TLS public key could not be parsed: expected a PEM "PUBLIC KEY" block', { cause: err });
  }
  if (req.sshPublicKey) {
    try {
      parseAuthorizedKey(req.sshPublicKey);
    } catch (err) {
      throw new BadParameterError('the SSH public key could not be parsed: expected an authorized_keys line', { cause: err });
    }
  }
  return role;
}

function tokenAllows(token: ProvisionToken, role: JoinableRole): boolean {
  return token.spec.roles.some((r) => r.toLowerCase() === role.toLowerCase());
}

function roleMismatch(token: ProvisionToken, role: JoinableRole): AccessDeniedError {
  return new AccessDeniedError(
    `token does not allow role ${role} (it allows ${token.spec.roles.join(', ')}): ` +
      `create one with 'tctl tokens add --type=${TOKEN_TYPE[role]}'`,
  );
}

/** A duration the way a person says it: "40s", "3m", "5h", "2d". */
function roughly(ms: number): string {
  const s = Math.max(1, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/**
 * Rewords the provisioning service's refusals for the agent's operator: how long ago the token expired,
 * and which `tctl tokens add` to run for this role.
 */
function explain(err: unknown, role: JoinableRole | undefined, now: number): unknown {
  if (!(err instanceof AccessDeniedError)) return err;
  const add = `'tctl tokens add --type=${role ? TOKEN_TYPE[role] : 'node'}'`;
  const expired = /^join token expired at (\S+):/.exec(err.message);
  if (expired?.[1]) {
    return new AccessDeniedError(`join token expired ${roughly(now - Date.parse(expired[1]))} ago: create a new one with ${add}`, { cause: err });
  }
  if (err.message.startsWith('join token has already been used')) {
    return new AccessDeniedError(`join token was already used the maximum number of times: create a new one with ${add}`, { cause: err });
  }
  if (err.message.startsWith('join token not found')) {
    return new AccessDeniedError(`join token not found: check that it was copied correctly, or create a new one with ${add}`, { cause: err });
  }
  return err;
}

/** Checks a join request, spends the token and issues host certificates; audits the outcome either way. */
export async function registerUsingToken(deps: JoinDeps, req: RegisterUsingTokenParams): Promise<Certs> {
  let role: JoinableRole | undefined;
  let expires: Date | undefined;
  const audit = (success: boolean, error?: string) =>
    deps.audit.emit(instanceJoinEvent({
      success,
      tokenName: req.token,
      role: role ?? req.role,
      hostId: req.hostId,
      nodeName: req.nodeName,
      ...(req.remoteAddr && { remoteAddr: req.remoteAddr }),
      ...(error !== undefined && { error }),
      ...(expires && { tokenExpires: expires }),
    }));
  let certs: Certs;
  try {
    role = validate(req);
    const joiningAs = role;
    // Peek first: a role the token does not allow must not spend a use of it.
    try {
      const peeked = await deps.services.provisioning.getToken(req.token);
      if (!tokenAllows(peeked, joiningAs)) throw roleMismatch(peeked, joiningAs);
    } catch (err) {
      // Unknown, expired or spent: consumeProvisionToken says which.
      if (!isNotFound(err) && !(err instanceof BadParameterError)) throw err;
    }
    const token = await deps.services.provisioning.consumeProvisionToken(req.token, deps.clock);
    if (token.metadata.expires) expires = new Date(token.metadata.expires);
    if (!tokenAllows(token, joiningAs)) throw roleMismatch(token, joiningAs);
    certs = await deps.generateHostCerts({
      hostId: req.hostId,
      nodeName: req.nodeName,
      role: joiningAs,
      additionalPrincipals: req.additionalPrincipals ?? [],
      dnsNames: req.dnsNames ?? [],
      ...(req.sshPublicKey && { sshPublicKey: req.sshPublicKey }),
      ...(req.tlsPublicKey && { tlsPublicKey: req.tlsPublicKey }),
    });
  } catch (err) {
    const explained = explain(err, role, deps.clock.nowMs());
    // Only our own refusals are worth showing to admins; anything else is an internal error.
    await audit(false, explained instanceof TeleportError ? explained.message : 'internal error');
    throw explained;
  }
  await audit(true);
  return certs;
}
