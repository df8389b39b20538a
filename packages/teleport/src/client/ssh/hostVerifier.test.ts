/**
 * @module client/ssh/hostVerifier.test
 * Which host keys tsh trusts: certificates from the cluster host CA naming the host (or, for the
 * proxy, of the Proxy role); plain keys, foreign CAs, expired and misnamed certificates are refused
 * with a reason a person can act on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import { parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { issueHostSSHCert } from '../../ca/sshCertIssuer.ts';
import { hostCert, makeCA, makeKey } from '../../sshutils/testkit.ts';
import { checkHostKey } from './hostVerifier.ts';

const ca = makeCA();
const key = makeKey();
const nodeCert = parseCertificateLine(hostCert(ca, key, 'uuid-1'));

describe('checkHostKey', () => {
  it('accepts a certificate from the host CA that lists one of the names', () => {
    assert.equal(checkHostKey(nodeCert, { hostCAKeys: [ca.blob], names: ['node1'] }), undefined);
    assert.equal(checkHostKey(nodeCert, { hostCAKeys: [ca.blob], names: ['typo', 'uuid-1'] }), undefined);
  });

  it('refuses a certificate for other names, unless it has the accepted role', () => {
    assert.match(checkHostKey(nodeCert, { hostCAKeys: [ca.blob], names: ['db-7'] }) ?? '', /^db-7 presented a host certificate for uuid-1\.example\.com, uuid-1, node1\.example\.com, node1, .*not for db-7$/);
    const proxyCert = issueHostSSHCert({ caPrivateKey: ca.key, publicKey: key.blob, hostId: 'p-1', nodeName: 'proxy', clusterName: 'example.com', role: 'Proxy', clock: systemClock });
    assert.equal(checkHostKey(proxyCert, { hostCAKeys: [ca.blob], names: ['proxy.example.org'], acceptRole: 'Proxy' }), undefined);
    assert.notEqual(checkHostKey(nodeCert, { hostCAKeys: [ca.blob], names: ['proxy.example.org'], acceptRole: 'Proxy' }), undefined);
  });

  it('refuses plain keys, other CAs and expired certificates with a hint', () => {
    assert.match(checkHostKey(key.blob, { hostCAKeys: [ca.blob], names: ['node1'] }) ?? '', /^node1 presented a plain ssh-ed25519 host key \(SHA256:.*\) instead of a certificate/);
    assert.match(checkHostKey(nodeCert, { hostCAKeys: [makeCA().blob], names: ['node1'] }) ?? '', /unknown certificate authority .*run 'tsh login' again/);
    const shortLived = issueHostSSHCert({
      caPrivateKey: ca.key, publicKey: key.blob, hostId: 'uuid-1', nodeName: 'node1', clusterName: 'example.com', role: 'Node', clock: systemClock, ttlMs: 60_000,
    });
    const later = new FakeClock(Date.now() + 10 * 60_000);
    assert.match(checkHostKey(shortLived, { hostCAKeys: [ca.blob], names: ['node1'], clock: later }) ?? '', /^node1: SSH host certificate expired 9m\d*s? ago/);
    assert.equal(checkHostKey(Buffer.from('junk'), { hostCAKeys: [ca.blob], names: ['node1'] }), 'node1 sent a malformed host key');
  });
});
