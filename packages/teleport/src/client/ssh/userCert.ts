/**
 * @module client/ssh/userCert
 * Local checks of the user's SSH certificate before dialing anything, so the common mistakes get a
 * precise message instead of a refused handshake: an expired certificate ("certificate expired 5m
 * ago - run 'tsh login'") and a login the certificate does not allow.
 */
import { AccessDeniedError, BadParameterError, TrustError } from '@teleport-ts/api/errors';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';

/** "45s", "5m", "2h5m", "3d4h": short and rounded down. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

/** The parts of a user certificate tsh cares about. */
export interface UserCertInfo {
  /** Logins (principals) the certificate allows. */
  logins: string[];
  validBefore: Date;
}

/** Decodes a user certificate line. */
export function userCertInfo(certLine: string): UserCertInfo {
  let cert;
  try {
    cert = decodeCertificate(parseCertificateLine(certLine));
  } catch (err) {
    throw new BadParameterError(`the saved SSH certificate cannot be read: run 'tsh login' again (${(err as Error).message})`, { cause: err });
  }
  return { logins: [...cert.principals], validBefore: new Date(Math.min(cert.validBefore, 8.64e12 / 1000) * 1000) };
}

/**
 * Throws TrustError when the certificate has expired at `now`; `relogin` is the command to suggest
 * (default "tsh login").
 */
export function checkNotExpired(certLine: string, now: Date, relogin = 'tsh login'): UserCertInfo {
  const info = userCertInfo(certLine);
  const left = info.validBefore.getTime() - now.getTime();
  if (left <= 0) throw new TrustError(`certificate expired ${shortDuration(-left)} ago - run '${relogin}'`);
  return info;
}

/** Throws AccessDeniedError when `login` is not one of the certificate's logins. */
export function checkLoginAllowed(info: UserCertInfo, login: string, host: string): void {
  if (info.logins.includes(login)) return;
  const allowed = info.logins.filter((l) => !l.startsWith('-teleport-'));
  throw new AccessDeniedError(
    `access denied to ${login}@${host}: your roles do not allow login "${login}" ` +
      `(allowed: ${allowed.length ? allowed.join(', ') : 'none'}); pick one with -l or user@host`,
  );
}
