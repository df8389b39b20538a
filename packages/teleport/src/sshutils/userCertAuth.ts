/**
 * @module sshutils/userCertAuth
 * Server side of OpenSSH certificate authentication on ssh2: decide a `publickey` attempt
 * (ssh2's PublicKeyAuthContext) the way sshd with `TrustedUserCAKeys` would, and say why when not.
 *
 * ssh2 hands over the certificate untouched: `ctx.key.algo` is the certificate algorithm and
 * `ctx.key.data` the certificate blob. It does not unwrap `ctx.signature` for certificate algorithms
 * (it only strips a signature whose inner name equals `ctx.key.algo`, which is never the case for a
 * certificate), so the signature is still the SSH blob `string algo, string sig` with ECDSA r/s as
 * SSH mpints; RSA certificates arrive as rsa-sha2-256/512-cert-v01 and the hash follows the inner
 * name. Client-side host certificate checks ({@link verifyHostCert}) live here too: both are "is this
 * certificate good for this purpose" decisions.
 */
import { BlockList, isIPv4 } from 'node:net';
import type { PublicKeyAuthContext } from 'ssh2';
import { AccessDeniedError, BadParameterError, TeleportError } from '@teleport-ts/api/errors';
import {
  CERT_SUFFIX, certificateSignedData, decodeCertificate, verifyCertificate, type SSHCertificate,
} from '@teleport-ts/api/sshcert/certificate';
import { decodeUserSSHIdentity, OPT_SOURCE_ADDRESS, type UserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { blobKeyType, sshFingerprint } from '@teleport-ts/api/sshcert/publicKey';
import { signatureAlgorithm, verifySSHSignature } from '@teleport-ts/api/sshcert/signature';
import { certificateAlgorithms } from './certKey.ts';

/** Why a user certificate was refused; stable, for audit events (T3007W) and metrics. */
export type UserCertAuthFailureCode =
  | 'not_certificate' | 'malformed' | 'unknown_ca' | 'bad_ca_signature' | 'wrong_cert_type' | 'not_yet_valid'
  | 'expired' | 'login_not_permitted' | 'source_address' | 'unsupported_critical_option' | 'bad_signature';

/** The certificate is acceptable. */
export interface UserCertAuthSuccess {
  ok: true;
  /**
   * True when the client proved it holds the private key (ctx.signature verified). False in the
   * "query" phase: accept so the client signs, but do not treat the user as authenticated yet
   * (ssh2 only completes authentication after a signed attempt is accepted).
   */
  proven: boolean;
  cert: SSHCertificate;
  identity: UserSSHIdentity;
  /** Fingerprint of the certified (subject) key, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/** The certificate is refused; `reason` is written for the person connecting. */
export interface UserCertAuthFailure {
  ok: false;
  code: UserCertAuthFailureCode;
  reason: string;
  /** The typed error (TrustError, AccessDeniedError, BadParameterError) behind `reason`. */
  error: TeleportError;
  /** The login asked for. */
  login: string;
  /** The certificate's key id (the Teleport username) when the certificate decoded. */
  username?: string;
  /** Fingerprint of the offered key (the certified key when it was a certificate). */
  fingerprint?: string;
}

/** The outcome of {@link verifyUserCertAuth}. */
export type UserCertAuthResult = UserCertAuthSuccess | UserCertAuthFailure;

/** Inputs of {@link verifyUserCertAuth}. */
export interface VerifyUserCertAuthOptions {
  /** Public key blobs of the trusted user CAs (all active keys during a rotation). */
  userCAKeys: Buffer[];
  /** The time to check the validity window against. */
  now: Date;
  /** The OS login asked for (ctx.username); it must be a principal of the certificate. */
  login: string;
  /**
   * Whether `login` must be a principal of the certificate (default true). The proxy's jump hop
   * passes false: there the SSH username is the login the client will use on the node, which
   * checks it again; everything else about the certificate is still enforced.
   */
  requirePrincipal?: boolean;
  /**
   * The client's IP, for certificates pinned with the `source-address` critical option. Such a
   * certificate is refused when this is not given (fail closed).
   */
  remoteAddr?: string;
}

/** The one part of ssh2's PublicKeyAuthContext this module reads. */
export type PublicKeyAttempt = Pick<PublicKeyAuthContext, 'key' | 'signature' | 'blob'>;

const plainAlgorithm = (algo: string): string => (algo.endsWith(CERT_SUFFIX) ? algo.slice(0, -CERT_SUFFIX.length) : algo);

class Refusal extends Error {
  constructor(readonly code: UserCertAuthFailureCode, readonly error: TeleportError) {
    super(error.message);
  }
}

const refuse = (code: UserCertAuthFailureCode, error: TeleportError): never => {
  throw new Refusal(code, error);
};

/**
 * Decides a publickey attempt: only OpenSSH certificates signed by a trusted user CA, inside their
 * validity window, of type user, listing `login` as a principal, meeting their critical options and
 * (when ctx.signature is present) signed by the certified key over ctx.blob. Never throws for a bad
 * attempt: a refusal comes back as `{ ok: false, code, reason }` to audit and show.
 *
 * ```ts
 * client.on('authentication', async (ctx) => {
 *   if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
 *   const res = await verifyUserCertAuth(ctx, { userCAKeys, now: clock.now(), login: ctx.username });
 *   if (res.ok) ctx.accept(); else { audit(res); ctx.reject(['publickey']); }
 * });
 * ```
 */
export async function verifyUserCertAuth(ctx: PublicKeyAttempt, opts: VerifyUserCertAuthOptions): Promise<UserCertAuthResult> {
  let cert: SSHCertificate | undefined;
  let fingerprint: string | undefined;
  try {
    fingerprint = sshFingerprint(ctx.key.data);
    cert = decodeOffered(ctx.key.algo, ctx.key.data);
    fingerprint = sshFingerprint(cert.publicKey);
    checkCertificate(ctx.key.data, cert, opts);
    checkCriticalOptions(cert, opts.remoteAddr);
    let identity: UserSSHIdentity;
    try {
      identity = decodeUserSSHIdentity(cert);
    } catch (err) {
      return refuse('malformed', asTeleportError(err));
    }
    if (ctx.signature === undefined || ctx.blob === undefined) return { ok: true, proven: false, cert, identity, fingerprint };
    checkPossession(ctx.key.algo, cert, ctx.signature, ctx.blob);
    return { ok: true, proven: true, cert, identity, fingerprint };
  } catch (err) {
    const r = err instanceof Refusal ? err : new Refusal('malformed', asTeleportError(err));
    const failure: UserCertAuthFailure = { ok: false, code: r.code, reason: r.error.message, error: r.error, login: opts.login };
    if (cert) failure.username = cert.keyId;
    if (fingerprint !== undefined) failure.fingerprint = fingerprint;
    return failure;
  }
}

function asTeleportError(err: unknown): TeleportError {
  if (err instanceof TeleportError) return err;
  return new BadParameterError(`malformed SSH public key or certificate: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Decodes the offered key, refusing plain keys and algorithm names that do not fit the certificate. */
function decodeOffered(algo: string, blob: Buffer): SSHCertificate {
  if (!algo.endsWith(CERT_SUFFIX)) {
    return refuse('not_certificate', new AccessDeniedError(
      `a plain ${algo} key (${sshFingerprint(blob)}) was offered, but this server accepts only certificates ` +
        "issued by the cluster: run 'tsh login' and connect with 'tsh ssh' (or use the certificate it saved)",
    ));
  }
  const cert = decodeCertificate(blob);
  if (blobKeyType(blob) !== cert.keyType || !(certificateAlgorithms(cert.keyType).includes(algo) || algo === cert.keyType)) {
    refuse('malformed', new BadParameterError(`a ${cert.keyType} certificate was offered under the algorithm ${algo}`));
  }
  return cert;
}

/**
 * verifyCertificate, with the refusal classified. Its checks run in a fixed order (CA, CA signature,
 * type, validity, principal), so the first of those conditions that fails names the error it threw.
 */
function checkCertificate(blob: Buffer, cert: SSHCertificate, opts: VerifyUserCertAuthOptions): void {
  try {
    verifyCertificate(blob, {
      now: opts.now, trustedCAKeys: opts.userCAKeys, certType: 'user',
      ...(opts.requirePrincipal !== false && { principal: opts.login }),
    });
  } catch (err) {
    const error = asTeleportError(err);
    const now = Math.floor(opts.now.getTime() / 1000);
    let code: UserCertAuthFailureCode;
    if (!opts.userCAKeys.some((k) => k.equals(cert.signatureKey))) code = 'unknown_ca';
    else if (!verifySSHSignature(cert.signatureKey, cert.signature, certificateSignedData(blob))) code = 'bad_ca_signature';
    else if (cert.type !== 'user') code = 'wrong_cert_type';
    else if (now < cert.validAfter) code = 'not_yet_valid';
    else if (now >= cert.validBefore) code = 'expired';
    else if (!cert.principals.includes(opts.login)) code = 'login_not_permitted';
    else code = 'bad_ca_signature';
    refuse(code, error);
  }
}

/** Enforces critical options as sshd does: source-address is checked, any other one refuses the certificate. */
function checkCriticalOptions(cert: SSHCertificate, remoteAddr: string | undefined): void {
  for (const [name, value] of Object.entries(cert.criticalOptions)) {
    if (name !== OPT_SOURCE_ADDRESS) {
      refuse('unsupported_critical_option', new AccessDeniedError(`SSH certificate "${cert.keyId}" has the critical option "${name}", which this server does not support`));
    }
    if (remoteAddr === undefined || !sourceAddressAllows(value, remoteAddr)) {
      refuse('source_address', new AccessDeniedError(
        `SSH certificate "${cert.keyId}" may only be used from ${value}, not from ${remoteAddr ?? 'an unknown address'}: ` +
          "run 'tsh login' from this machine to get a certificate for it",
      ));
    }
  }
}

/** Whether `addr` falls in the comma-separated list of IPs/CIDRs of a source-address option. */
export function sourceAddressAllows(list: string, addr: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  const ip = mapped?.[1] ?? addr;
  const family = isIPv4(ip) ? 'ipv4' : 'ipv6';
  const allowed = new BlockList();
  try {
    for (const entry of list.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const [net = '', bits] = entry.split('/');
      const netFamily = isIPv4(net) ? 'ipv4' : 'ipv6';
      allowed.addSubnet(net, bits === undefined ? (netFamily === 'ipv4' ? 32 : 128) : Number(bits), netFamily);
    }
    return allowed.check(ip, family);
  } catch {
    return false; // a malformed list or address allows nothing
  }
}

/** Proof of possession: ctx.signature must be the certified key's signature over ctx.blob. */
function checkPossession(algo: string, cert: SSHCertificate, signature: Buffer, blob: Buffer): void {
  const expected = plainAlgorithm(algo);
  let ok = false;
  try {
    ok = signatureAlgorithm(signature) === expected && verifySSHSignature(cert.publicKey, signature, blob);
  } catch {
    ok = false;
  }
  if (!ok) {
    refuse('bad_signature', new AccessDeniedError(
      `the client's ${expected} signature for certificate "${cert.keyId}" does not verify: ` +
        'the client does not hold the certificate\'s private key (or signs with a SHA-1 "ssh-rsa" signature)',
    ));
  }
}

/** Inputs of {@link verifyHostCertAuth}. */
export interface VerifyHostCertAuthOptions {
  /** Public key blobs of the trusted host CAs (all active keys during a rotation). */
  hostCAKeys: Buffer[];
  /** The time to check the validity window against. */
  now: Date;
  /** A principal the host certificate must list (the reverse tunnel asks for `<hostId>.<cluster>`). */
  principal: string;
}

/** The outcome of {@link verifyHostCertAuth}: the certificate, or why it was refused. */
export type HostCertAuthResult =
  | { ok: true; proven: boolean; cert: SSHCertificate; fingerprint: string }
  | { ok: false; reason: string; error: TeleportError };

/**
 * Decides a publickey attempt made with a **host** certificate (a Teleport agent logging in to the
 * proxy's reverse-tunnel listener): a host certificate from a trusted host CA, valid now, listing
 * `principal`, and (when ctx.signature is present) signed by the certified key over ctx.blob - the
 * same checks and proof of possession as {@link verifyUserCertAuth}. Never throws.
 */
export function verifyHostCertAuth(ctx: PublicKeyAttempt, opts: VerifyHostCertAuthOptions): HostCertAuthResult {
  try {
    if (!ctx.key.algo.endsWith(CERT_SUFFIX)) {
      throw new AccessDeniedError(
        `a plain ${ctx.key.algo} key (${sshFingerprint(ctx.key.data)}) was offered: agents log in with the host certificate they got by joining the cluster`,
      );
    }
    const cert = decodeOffered(ctx.key.algo, ctx.key.data);
    verifyCertificate(ctx.key.data, { now: opts.now, trustedCAKeys: opts.hostCAKeys, certType: 'host', principal: opts.principal });
    if (Object.keys(cert.criticalOptions).length > 0) {
      throw new AccessDeniedError(`SSH host certificate "${cert.keyId}" has critical options, which host certificates never carry`);
    }
    const fingerprint = sshFingerprint(cert.publicKey);
    if (ctx.signature === undefined || ctx.blob === undefined) return { ok: true, proven: false, cert, fingerprint };
    checkPossession(ctx.key.algo, cert, ctx.signature, ctx.blob);
    return { ok: true, proven: true, cert, fingerprint };
  } catch (err) {
    const error = err instanceof Refusal ? err.error : asTeleportError(err);
    return { ok: false, reason: error.message, error };
  }
}

/** Inputs of {@link verifyHostCert}. */
export interface VerifyHostCertOptions {
  /** Public key blobs of the trusted host CAs. */
  hostCAKeys: Buffer[];
  /** The name dialled: a host name, IP or the host's UUID; it must be a principal of the certificate. */
  hostname: string;
  /** The time to check the validity window against. */
  now: Date;
}

/**
 * Client side: checks the host key a server presented (ssh2's hostVerifier gets the raw blob). Only a
 * host certificate signed by a trusted host CA, valid now, listing `hostname` is accepted.
 */
export function verifyHostCert(keyBlob: Buffer, opts: VerifyHostCertOptions): { ok: true; cert: SSHCertificate } | { ok: false; reason: string } {
  try {
    const type = blobKeyType(keyBlob);
    if (!type.endsWith(CERT_SUFFIX)) {
      return {
        ok: false,
        reason: `host ${opts.hostname} presented a plain ${type} key (${sshFingerprint(keyBlob)}) instead of a certificate ` +
          "signed by the cluster's host CA: it is not a Teleport node of this cluster, or it was not joined yet",
      };
    }
    const cert = verifyCertificate(keyBlob, { now: opts.now, trustedCAKeys: opts.hostCAKeys, certType: 'host', principal: opts.hostname });
    return { ok: true, cert };
  } catch (err) {
    const reason = err instanceof TeleportError ? err.message : `malformed host key: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, reason: `host ${opts.hostname}: ${reason}` };
  }
}
