/**
 * @module ca/tlsCA.test
 * The X.509 CA checked by a real, independent implementation: /usr/bin/openssl verifies our chains for
 * every CA/leaf algorithm pair, prints our subject fields and extensions, and rejects foreign chains.
 * CA pins are checked against a pin computed by openssl too.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@teleport-ts/api/clock';
import { BadParameterError, TrustError } from '@teleport-ts/api/errors';
import { generateKeyPair, KEY_ALGORITHMS, type KeyAlgorithm, type KeyPair } from '@teleport-ts/api/keys';
import { identityFromCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';
import { caPin, checkCAPin } from '@teleport-ts/api/tlsca/pin';
import { createTLSCA, issueTLSCert, type TLSCAKeyPair } from './tlsCA.ts';

const OPENSSL = '/usr/bin/openssl';
let dir: string;
let n = 0;

/** Writes PEM to a fresh temp file and returns its path. */
function file(pem: string): string {
  const path = join(dir, `f${n++}.pem`);
  writeFileSync(path, pem);
  return path;
}

function openssl(args: string[], input?: Buffer): { ok: boolean; out: string; raw: Buffer } {
  const r = spawnSync(OPENSSL, args, input ? { input } : {});
  return { ok: r.status === 0, out: `${r.stdout.toString('latin1')}${r.stderr.toString('latin1')}`, raw: r.stdout };
}

function verify(caPEM: string, leafPEM: string, purpose?: string): { ok: boolean; out: string } {
  return openssl(['verify', ...(purpose ? ['-purpose', purpose] : []), '-CAfile', file(caPEM), file(leafPEM)]);
}

// Whole seconds: certificate times have no milliseconds.
const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
const hour = 3600_000;
const identity: Identity = {
  username: 'alice',
  groups: ['access', 'editor'],
  principals: ['root', 'ubuntu'],
  routeToCluster: 'leaf.example.com',
  traits: { logins: ['root'] },
  teleportCluster: 'example.com',
  kubernetesGroups: ['system:masters'],
  expires: new Date(0),
};

const cas = new Map<KeyAlgorithm, TLSCAKeyPair>();
const leafKeys = new Map<KeyAlgorithm, KeyPair>();
const get = <K, V>(m: Map<K, V>, k: K): V => m.get(k) ?? assert.fail(`no fixture for ${String(k)}`);

function leaf(ca: TLSCAKeyPair, keyAlg: KeyAlgorithm, extra: Partial<Parameters<typeof issueTLSCert>[0]> = {}): string {
  return issueTLSCert({
    caCertPEM: ca.certPEM,
    caKeyPEM: ca.keyPEM,
    publicKey: get(leafKeys, keyAlg).publicKey,
    identity,
    notAfter: new Date(clock.nowMs() + hour),
    clock,
    dnsNames: ['localhost', 'auth.example.com'],
    ipAddresses: ['127.0.0.1', '::1'],
    ...extra,
  });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsca-test-'));
  for (const alg of KEY_ALGORITHMS) {
    cas.set(alg, createTLSCA({ clusterName: 'example.com', caType: 'user', algorithm: alg, clock }));
    leafKeys.set(alg, generateKeyPair(alg));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('createTLSCA and issueTLSCert checked by openssl', () => {
  for (const caAlg of KEY_ALGORITHMS) {
    for (const leafAlg of KEY_ALGORITHMS) {
      it(`openssl verify accepts a ${leafAlg} leaf from a ${caAlg} CA, for client and server use`, () => {
        const pem = leaf(get(cas, caAlg), leafAlg);
        for (const purpose of [undefined, 'sslclient', 'sslserver']) {
          const r = verify(get(cas, caAlg).certPEM, pem, purpose);
          assert.ok(r.ok, `openssl verify ${purpose ?? ''} failed: ${r.out}`);
        }
      });
    }

    it(`openssl verify rejects a leaf from another ${caAlg} CA`, () => {
      const foreign = createTLSCA({ clusterName: 'example.com', caType: 'user', algorithm: caAlg, clock });
      const r = verify(get(cas, caAlg).certPEM, leaf(foreign, 'ecdsa-p256'));
      assert.equal(r.ok, false);
      assert.match(r.out, /unable to get local issuer certificate|certificate signature failure/);
    });

    it(`openssl x509 -text shows the ${caAlg} CA's subject and CA extensions`, () => {
      const text = openssl(['x509', '-noout', '-text', '-in', file(get(cas, caAlg).certPEM)]).out;
      assert.match(text, /Issuer: CN = example.com, O = example.com, OU = user/);
      assert.match(text, /Subject: CN = example.com, O = example.com, OU = user/);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
      assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
      assert.match(text, /X509v3 Subject Key Identifier/);
    });
  }

  it('openssl x509 -text shows the identity in the leaf subject and the leaf extensions', () => {
    const ca = get(cas, 'ecdsa-p256');
    const text = openssl(['x509', '-noout', '-text', '-in', file(leaf(ca, 'rsa-2048'))]).out;
    assert.match(text, /Subject: CN = alice, O = access, O = editor, L = root, L = ubuntu, street = leaf.example.com, /);
    assert.match(text, /postalCode = \{\\"logins\\":\[\\"root\\"\]\}, /);
    assert.match(text, /1\.3\.9999\.1\.2 = system:masters, 1\.3\.9999\.1\.7 = example.com/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /DNS:localhost, DNS:auth.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
    const caKeyId = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(openssl(['x509', '-noout', '-text', '-in', file(ca.certPEM)]).out)?.[1];
    assert.ok(caKeyId);
    assert.match(text, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${caKeyId}`));
  });

  it('restricts extended key usage to what was asked for', () => {
    const ca = get(cas, 'ed25519');
    const client = leaf(ca, 'ed25519', { usage: 'client' });
    assert.ok(verify(ca.certPEM, client, 'sslclient').ok);
    assert.equal(verify(ca.certPEM, client, 'sslserver').ok, false);
    const server = leaf(ca, 'ed25519', { usage: 'server' });
    assert.ok(verify(ca.certPEM, server, 'sslserver').ok);
    assert.equal(verify(ca.certPEM, server, 'sslclient').ok, false);
  });

  it('sets validity from the clock (one minute backdated) and reads the identity back', () => {
    const ca = get(cas, 'ecdsa-p256');
    const caCert = new X509Certificate(ca.certPEM);
    assert.equal(new Date(caCert.validFrom).getTime(), clock.nowMs() - 60_000);
    assert.equal(new Date(caCert.validTo).getTime(), clock.nowMs() + 10 * 365 * 24 * hour);
    const pem = leaf(ca, 'ed25519');
    const cert = new X509Certificate(pem);
    assert.equal(new Date(cert.validFrom).getTime(), clock.nowMs() - 60_000);
    assert.ok(cert.checkIssued(caCert) && cert.verify(caCert.publicKey));
    assert.deepEqual(identityFromCertificate(pem), { ...identity, expires: new Date(clock.nowMs() + hour) });
  });

  it('uses random positive 128-bit serial numbers', () => {
    const ca = get(cas, 'ed25519');
    const serials = [ca.certPEM, leaf(ca, 'ed25519'), leaf(ca, 'ed25519')].map((p) => new X509Certificate(p).serialNumber);
    assert.equal(new Set(serials).size, 3);
    for (const s of serials) assert.ok(BigInt(`0x${s}`) > 0n && BigInt(`0x${s}`) < 2n ** 128n, s);
  });

  it('refuses a mismatched CA key, a non-CA issuer, bad IPs and inverted validity', () => {
    const a = get(cas, 'ed25519');
    const b = get(cas, 'ecdsa-p256');
    assert.throws(() => leaf({ certPEM: a.certPEM, keyPEM: b.keyPEM }, 'ed25519'), /does not match/);
    const leafPEM = leaf(a, 'ed25519');
    assert.throws(() => leaf({ certPEM: leafPEM, keyPEM: a.keyPEM }, 'ed25519'), BadParameterError);
    assert.throws(() => leaf(a, 'ed25519', { ipAddresses: ['localhost'] }), /not an IP address/);
    assert.throws(() => leaf(a, 'ed25519', { notAfter: new Date(clock.nowMs() - hour) }), BadParameterError);
  });
});

describe('CA pins', () => {
  it('caPin matches the pin openssl computes over the SubjectPublicKeyInfo', () => {
    for (const alg of KEY_ALGORITHMS) {
      const pem = get(cas, alg).certPEM;
      const spki = openssl(['x509', '-noout', '-pubkey', '-in', file(pem)]).raw;
      const der = openssl(['pkey', '-pubin', '-outform', 'DER'], spki).raw;
      assert.equal(caPin(pem), `sha256:${createHash('sha256').update(der).digest('hex')}`);
    }
  });

  it('checkCAPin accepts any matching pin and names both sides on mismatch', () => {
    const pem = get(cas, 'rsa-2048').certPEM;
    const bundle = `${get(cas, 'ed25519').certPEM}${pem}`;
    checkCAPin([bundle], [caPin(pem).toUpperCase().replace('SHA256', 'sha256')]);
    checkCAPin([get(cas, 'ed25519').certPEM, pem], ['sha256:' + '0'.repeat(64), caPin(pem)]);
    assert.throws(
      () => checkCAPin([get(cas, 'ed25519').certPEM], [caPin(pem)]),
      (err: unknown) => err instanceof TrustError && err.message.includes(caPin(pem)) && err.message.includes(caPin(get(cas, 'ed25519').certPEM)),
    );
    assert.throws(() => checkCAPin([], [caPin(pem)]), TrustError);
    assert.throws(() => checkCAPin([pem], []), BadParameterError);
    assert.throws(() => checkCAPin([pem], ['sha256:abc']), BadParameterError);
  });
});
