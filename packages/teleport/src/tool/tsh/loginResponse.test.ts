/**
 * @module tool/tsh/loginResponse.test
 * Decoding the proxy's login answer: base64 fields, CA deduplication, and refusal of certificates
 * for another key or answers without CAs; the SSH proxy address saved in the profile.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { TrustError } from '@teleport-ts/api/errors';
import type { PingResponse, SSHLoginResponse } from '@teleport-ts/api/webapi';
import { issueFixtureCredentials } from '../../client/testFixtures.ts';
import { decodeLoginResponse, sshProxyAddrFrom } from './loginResponse.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function response(): Promise<{ resp: SSHLoginResponse; publicKey: ReturnType<typeof createPublicKey>; hostCAKey: string }> {
  const c = await issueFixtureCredentials();
  return {
    publicKey: createPublicKey(c.privateKey),
    hostCAKey: c.hostCAKey,
    resp: {
      username: 'alice',
      cert: b64(`${c.sshCert}\n`),
      tls_cert: b64(c.tlsCert),
      host_signers: [{ domain_name: 'example.com', auth_keys: [b64(c.hostCAKey)], tls_certs: [b64(c.tlsCACert)] }],
      tls_ca_certs: [b64(c.tlsCACert)],
    },
  };
}

describe('decodeLoginResponse', () => {
  it('decodes certificates and CAs, deduplicating the TLS CA', async () => {
    const { resp, publicKey, hostCAKey } = await response();
    const certs = decodeLoginResponse(resp, publicKey);
    assert.equal(certs.username, 'alice');
    assert.match(certs.sshCert, /^ssh-ed25519-cert-v01@openssh\.com \S+$/);
    assert.match(certs.tlsCert, /^-----BEGIN CERTIFICATE-----/);
    assert.equal(certs.tlsCAs.length, 1);
    assert.deepEqual(certs.hostCAKeys, [{ clusterName: 'example.com', authorizedKey: hostCAKey }]);
  });

  it('refuses certificates issued for another key', async () => {
    const { resp } = await response();
    const other = await issueFixtureCredentials();
    assert.throws(() => decodeLoginResponse(resp, createPublicKey(other.privateKey)), (err: unknown) =>
      err instanceof TrustError && /certificates for a different key/.test(err.message));
  });

  it('refuses answers without CAs or with garbage certificates', async () => {
    const { resp, publicKey } = await response();
    assert.throws(() => decodeLoginResponse({ ...resp, host_signers: [], tls_ca_certs: [] }, publicKey), /no cluster certificate authorities/);
    assert.throws(() => decodeLoginResponse({ ...resp, cert: b64('nonsense') }, publicKey), /cannot be parsed/);
  });
});

describe('sshProxyAddrFrom', () => {
  const ping = (addr: string): PingResponse => ({
    auth: { type: 'local', second_factor: 'otp' },
    proxy: { ssh: { listen_addr: addr }, tls_routing_enabled: false },
    server_version: '0.1.0', cluster_name: 'example.com',
  });
  it('keeps an advertised host and fills in an unspecified one', () => {
    assert.equal(sshProxyAddrFrom(ping('proxy.example.com:3023'), 'p'), 'proxy.example.com:3023');
    assert.equal(sshProxyAddrFrom(ping('0.0.0.0:3023'), 'proxy.example.com'), 'proxy.example.com:3023');
    assert.equal(sshProxyAddrFrom(ping('[::]:3023'), '::1'), '[::1]:3023');
    assert.equal(sshProxyAddrFrom(ping(''), 'p'), undefined);
  });
});
