/**
 * @module client/db/proxyTrust
 * What database clients trust the proxy with: the certificate chain the proxy's web port presents,
 * fetched at `tsh db login`, completed with the root it chains to (from Node's bundled roots) so
 * libpq and mysql, which need a self-signed anchor in `sslrootcert` / `ssl-ca`, can verify it. With
 * a self-signed proxy certificate that certificate is its own anchor (the `verify-ca` case).
 *
 * The fetch verifies the proxy as tsh login did (system roots, or nothing with --insecure), so the
 * pinned bundle is exactly as trustworthy as the login itself.
 */
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { ConnectionProblemError, TrustError } from '@teleport-ts/api/errors';
import { parseProxyAddr } from '../webClient.ts';

function toPEM(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`;
}

/** The chain as PEM, leaf first, plus the bundled root it chains to when the chain stops short of one. */
export function completeChain(chainDER: readonly Buffer[], roots: readonly string[] = tls.rootCertificates): string[] {
  const out = chainDER.map(toPEM);
  const top = chainDER.at(-1);
  if (!top) return out;
  const topCert = new X509Certificate(top);
  if (topCert.checkIssued(topCert)) return out; // self-signed: its own anchor
  for (const pem of roots) {
    try {
      const root = new X509Certificate(pem);
      if (topCert.checkIssued(root) && topCert.verify(root.publicKey)) return [...out, pem.endsWith('\n') ? pem : `${pem}\n`];
    } catch {
      // An unparsable bundled root cannot be the anchor.
    }
  }
  return out;
}

/** Connects to the proxy's web port and returns the certificate chain it presents (see completeChain). */
export function fetchProxyChain(proxyAddr: string, insecure: boolean, timeoutMs = 15_000): Promise<string[]> {
  const { host, port } = parseProxyAddr(proxyAddr);
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host, port, rejectUnauthorized: !insecure, ALPNProtocols: ['http/1.1'],
      ...(!/^[\d.]+$|:/.test(host) && { servername: host }),
    });
    sock.setTimeout(timeoutMs, () => sock.destroy(new ConnectionProblemError(`timed out connecting to the proxy at ${proxyAddr}`)));
    sock.once('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      reject(/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME/.test(code)
        ? new TrustError(`the proxy's certificate at ${proxyAddr} is not trusted (${err.message}): pass --insecure for a self-signed test cluster`, { cause: err })
        : new ConnectionProblemError(`cannot reach the proxy at ${proxyAddr}: ${err.message}`, { cause: err }));
    });
    sock.once('secureConnect', () => {
      const chain: Buffer[] = [];
      const seen = new Set<string>();
      for (let c: tls.DetailedPeerCertificate | undefined = sock.getPeerCertificate(true); c?.raw; c = c.issuerCertificate) {
        const key = c.raw.toString('base64');
        if (seen.has(key)) break; // a self-signed certificate is its own issuer
        seen.add(key);
        chain.push(c.raw);
      }
      sock.destroy();
      resolve(completeChain(chain));
    });
  });
}
