/**
 * @module tlsca/pin
 * CA pins, as in upstream Teleport: "sha256:" + hex SHA-256 of the CA certificate's SubjectPublicKeyInfo
 * (DER). A joining agent that knows the pin can trust the CA certificates it fetches over an unverified
 * connection. The pin covers the key, not the certificate, so re-issuing the CA certificate keeps it valid.
 */
import 'reflect-metadata'; // must precede @peculiar/x509
import * as x509 from '@peculiar/x509';
import { createHash } from 'node:crypto';
import { BadParameterError, TrustError } from '../errors.ts';

const PIN_PREFIX = 'sha256:';
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parse(pem: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (err) {
    throw new BadParameterError('could not parse the CA certificate: expected a PEM "CERTIFICATE" block', { cause: err });
  }
}

/** The pin of a PEM certificate: "sha256:<hex of SHA-256 over its SubjectPublicKeyInfo DER>". */
export function caPin(certPEM: string): string {
  // rawData is the SPKI exactly as it appears in the certificate, not a re-encoding of the key.
  const spki = Buffer.from(parse(certPEM).publicKey.rawData);
  return PIN_PREFIX + createHash('sha256').update(spki).digest('hex');
}

/** Normalises a pin and checks its shape. */
function normalisePin(pin: string): string {
  const p = pin.trim().toLowerCase();
  if (!/^sha256:[0-9a-f]{64}$/.test(p)) {
    throw new BadParameterError(`malformed CA pin "${pin}": expected "sha256:" followed by 64 hex digits (see tctl status)`);
  }
  return p;
}

/**
 * Throws TrustError unless at least one of the CA certificates matches at least one pin. Each entry of
 * `certPEMs` may hold several PEM certificates.
 */
export function checkCAPin(certPEMs: string[], pins: string[]): void {
  if (pins.length === 0) throw new BadParameterError('no CA pins given: pass the ca_pin shown by tctl status');
  const wanted = new Set(pins.map(normalisePin));
  const certs = certPEMs.flatMap((pem) => pem.match(PEM_CERT) ?? []);
  if (certs.length === 0) throw new TrustError('the cluster sent no CA certificates to check against the CA pin');
  const seen = certs.map(caPin);
  if (seen.some((pin) => wanted.has(pin))) return;
  throw new TrustError(
    `the cluster's CA does not match the configured CA pin: got ${seen.join(', ')}, expected ${[...wanted].join(', ')}. ` +
      'Check that you are joining the right cluster and that ca_pin is current (tctl status prints it).',
  );
}
