/**
 * @module srv/db/clientCert
 * The database service's own check of the user's certificate, which the proxy sends in the session
 * header: it must chain to one of the cluster's user CA certificates (issuer name and signature),
 * be inside its validity window by the injected clock, and carry a Teleport identity. The proxy
 * checked the same, but the database service does not trust the proxy's word for it.
 */
import { X509Certificate } from 'node:crypto';
import { AccessDeniedError } from '@teleport-ts/api/errors';
import type { Clock } from '@teleport-ts/api/clock';
import type { Identity } from '@teleport-ts/api/tlsca/identity';
import { userCertIdentities } from './identityCache.ts';

function parse(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new AccessDeniedError(`${what} is not a valid X.509 certificate`);
  }
}

/** What a person should read about an expired certificate, e.g. "3m ago". */
function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

/**
 * Verifies `certPEM` against the user CA certificates `userCAs` (PEM) and returns its identity.
 * Throws AccessDeniedError saying what is wrong and what to do.
 */
export function verifyUserCertificate(certPEM: string, userCAs: readonly string[], clock: Clock): Identity {
  if (!certPEM) throw new AccessDeniedError('no client certificate: log in with tsh db login <database>');
  const cert = parse(certPEM, 'the client certificate');
  const signed = userCAs.some((pem) => {
    let ca: X509Certificate;
    try {
      ca = new X509Certificate(pem);
    } catch {
      return false;
    }
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
  if (!signed) {
    throw new AccessDeniedError("client certificate rejected: it was not issued by this cluster's user certificate authority; log in to this cluster with tsh db login");
  }
  const now = clock.nowMs();
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (now > notAfter) throw new AccessDeniedError(`client certificate rejected: it expired ${ago(now - notAfter)}; run tsh db login again`);
  if (now < notBefore) throw new AccessDeniedError("client certificate rejected: it is not valid yet; check this machine's clock");
  try {
    return userCertIdentities.get(certPEM);
  } catch (err) {
    throw new AccessDeniedError(`client certificate rejected: ${(err as Error).message}`);
  }
}
