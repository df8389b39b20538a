/**
 * @module proxy/web/handlers/sshCerts
 * POST /v1/webapi/ssh/certs: password (+ OTP) login for tsh. Returns an SSH and an X.509 certificate
 * for the client's public keys plus the host CAs to trust. The proxy only relays: auth checks the
 * credentials, applies lockout and audits the attempt.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { CreateSSHCertRequest, SSHLoginResponse } from '@teleport-ts/api/webapi';
import { readJSON, remoteAddr, sendJSON } from '../http.ts';
import type { Handler } from '../router.ts';
import type { WebContext } from './context.ts';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function decodeField(value: unknown, name: string): string {
  if (typeof value !== 'string' || !value) throw new BadParameterError(`missing "${name}"`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/** Builds the handler. */
export function sshCertsHandler(ctx: WebContext): Handler {
  return async (req, res) => {
    const body = await readJSON<CreateSSHCertRequest>(req);
    if (typeof body.user !== 'string' || !body.user) throw new BadParameterError('missing "user"');
    if (typeof body.password !== 'string') throw new BadParameterError('missing "password"');
    const ttlNs = body.ttl === undefined ? 0 : Number(body.ttl);
    if (!Number.isFinite(ttlNs) || ttlNs < 0) throw new BadParameterError('"ttl" must be a non-negative number of nanoseconds');
    const certs = await ctx.authClient.authenticateSSHUser({
      user: body.user,
      password: body.password,
      ...(body.otp_token && { otpCode: String(body.otp_token) }),
      sshPublicKey: decodeField(body.pub_key, 'pub_key').trim(),
      tlsPublicKey: body.tls_pub_key ? decodeField(body.tls_pub_key, 'tls_pub_key') : '',
      ttlMs: Math.floor(ttlNs / 1e6),
      remoteAddr: remoteAddr(req),
    });
    const response: SSHLoginResponse = {
      username: certs.username,
      cert: b64(`${certs.sshCert}\n`),
      tls_cert: b64(certs.tlsCert),
      host_signers: certs.hostCAs.map((ca) => ({
        domain_name: ca.spec.cluster_name,
        auth_keys: (ca.spec.active_keys.ssh ?? []).map((k) => b64(k.public_key)),
        tls_certs: (ca.spec.active_keys.tls ?? []).map((k) => b64(k.cert)),
      })),
      tls_ca_certs: certs.tlsCACerts.map(b64),
    };
    sendJSON(res, 200, response);
  };
}
