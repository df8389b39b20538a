/**
 * @module ca/x509Encoder.test
 * Equivalence of the DER certificate encoder with the @peculiar/asn1-x509 path it replaced: the
 * reference below is that old path (ASN.1 object model, extensions from @peculiar/x509), and for a
 * matrix of identities, key algorithms, usages and subject alternative names, the TBSCertificate of a
 * certificate issued by tlsCA must be byte-identical to what the reference builds from the same serial
 * number and validity. Issued certificates must also verify with node's X509Certificate and decode
 * back to the same identity; tlsCA.test.ts checks them with openssl.
 */
import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as asn1X509 from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { FakeClock } from '@teleport-ts/api/clock';
import { generateKeyPair, KEY_ALGORITHMS, keyAlgorithmOf, type KeyAlgorithm } from '@teleport-ts/api/keys';
import { identityFromCertificate, identityToName, parseCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';
import { readChildren, readElement } from './der.ts';
import { createTLSCA, identitySubject, issueTLSCert, type TLSCAKeyPair } from './tlsCA.ts';

const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

/** The old signature AlgorithmIdentifier per CA key algorithm. */
function referenceAlgorithm(alg: KeyAlgorithm): asn1X509.AlgorithmIdentifier {
  if (alg === 'ed25519') return new asn1X509.AlgorithmIdentifier({ algorithm: '1.3.101.112' });
  if (alg === 'ecdsa-p256') return new asn1X509.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
  return new asn1X509.AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: DER_NULL });
}

const spki = (key: KeyObject): Buffer => (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'der', type: 'spki' });
const toBuffer = (b: ArrayBuffer): Buffer => Buffer.from(b);

interface ReferenceParams {
  serial: ArrayBuffer;
  caAlg: KeyAlgorithm;
  issuer: asn1X509.Name;
  subject: asn1X509.Name;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: x509.Extension[];
}

/** The old TBSCertificate assembly, verbatim apart from taking the serial number as a parameter. */
function referenceTBS(p: ReferenceParams): Buffer {
  const tbs = new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: p.serial,
    signature: referenceAlgorithm(p.caAlg),
    issuer: p.issuer,
    validity: new asn1X509.Validity({ notBefore: p.notBefore, notAfter: p.notAfter }),
    subject: p.subject,
    subjectPublicKeyInfo: AsnConvert.parse(spki(p.publicKey), asn1X509.SubjectPublicKeyInfo),
    extensions: new asn1X509.Extensions(p.extensions.map((e) => AsnConvert.parse(e.rawData, asn1X509.Extension))),
  });
  return toBuffer(AsnConvert.serialize(tbs));
}

/** What the old issueTLSCert put into a leaf, for the reference. */
function referenceLeafExtensions(caPEM: string, leafAlg: KeyAlgorithm, usage: 'client' | 'server' | 'both', dns: string[], ips: string[]): x509.Extension[] {
  const ca = parseCertificate(caPEM);
  const akid = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? assert.fail('CA has no SKI');
  const keyUsage = x509.KeyUsageFlags.digitalSignature | (leafAlg === 'rsa-2048' ? x509.KeyUsageFlags.keyEncipherment : 0);
  const ekus: string[] = [];
  if (usage !== 'client') ekus.push(x509.ExtendedKeyUsage.serverAuth);
  if (usage !== 'server') ekus.push(x509.ExtendedKeyUsage.clientAuth);
  const out: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(ekus),
    new x509.AuthorityKeyIdentifierExtension(akid),
  ];
  const sans = [...dns.map((value) => ({ type: 'dns' as const, value })), ...ips.map((value) => ({ type: 'ip' as const, value }))];
  if (sans.length > 0) out.push(new x509.SubjectAlternativeNameExtension(sans));
  return out;
}

/** The TBSCertificate bytes, serial number and validity of an issued certificate. */
function partsOf(pem: string): { tbs: Buffer; serial: ArrayBuffer; notBefore: Date; notAfter: Date } {
  const der = Buffer.from(new X509Certificate(pem).raw);
  const top = readElement(der, 0);
  const [tbsEl] = readChildren(der, top);
  assert.ok(tbsEl);
  const parsed = AsnConvert.parse(der, asn1X509.Certificate).tbsCertificate;
  return {
    tbs: der.subarray(tbsEl.start, tbsEl.end),
    serial: parsed.serialNumber,
    notBefore: parsed.validity.notBefore.getTime(),
    notAfter: parsed.validity.notAfter.getTime(),
  };
}

const caName = (cluster: string, type: string): asn1X509.Name =>
  AsnConvert.parse(
    new x509.Name([{ '2.5.4.3': [{ utf8String: cluster }] }, { '2.5.4.10': [{ utf8String: cluster }] }, { '2.5.4.11': [{ utf8String: type }] }]).toArrayBuffer(),
    asn1X509.Name,
  );

const clock = new FakeClock(Date.UTC(2026, 10, 21, 11, 30, 15, 250));
const hour = 3600_000;

const identities: Record<string, Identity> = {
  minimal: { username: 'alice', groups: [], expires: new Date(0) },
  typical: {
    username: 'alice', groups: ['access', 'editor'], principals: ['root', 'ubuntu'], traits: { logins: ['root'] },
    routeToCluster: 'example.com', teleportCluster: 'example.com', loginIP: '10.0.0.1', expires: new Date(0),
  },
  everything: {
    username: 'bob@example.com', groups: ['access', '', 'auditor'], usage: ['usage:db'], principals: ['-teleport-nologin-x'],
    routeToCluster: 'leaf.example.com', traits: { 'kubernetes_groups': ['system:masters'], note: ['quote " and \\ and ünïcode'] },
    kubernetesUsers: ['kube-a', 'kube-b'], kubernetesGroups: ['system:masters'], kubernetesCluster: 'k8s',
    routeToApp: { sessionId: 's-1', publicAddr: 'app.example.com', clusterName: 'example.com', name: 'grafana' },
    teleportCluster: 'example.com', mfaVerified: 'device-1', loginIP: '2001:db8::1',
    routeToDatabase: { serviceName: 'pg', protocol: 'postgres', username: 'postgres', database: 'app' },
    activeRequests: ['req-1', 'req-2'], systemRoles: ['Node', 'Proxy'], botName: 'robot', expires: new Date(0),
  },
  unicode: { username: 'jöhn*', groups: ['rôle'], principals: ['ユーザー'], expires: new Date(0) },
  // Over 64 KiB of traits: three-byte DER lengths for the value, the RDN, the Name and the TBSCertificate.
  huge: { username: 'carol', groups: ['access'], traits: { logins: Array.from({ length: 9000 }, (_, i) => `login-${i}`) }, expires: new Date(0) },
};

const cas = new Map(KEY_ALGORITHMS.map((alg) => [alg, createTLSCA({ clusterName: 'example.com', caType: 'user', algorithm: alg, clock })]));
const leafKeys = new Map(KEY_ALGORITHMS.map((alg) => [alg, generateKeyPair(alg)]));
const get = <K, V>(m: Map<K, V>, k: K): V => m.get(k) ?? assert.fail(`no fixture for ${String(k)}`);

function issueAndCompare(o: {
  ca: TLSCAKeyPair; caAlg: KeyAlgorithm; leafAlg: KeyAlgorithm; identity: Identity; usage: 'client' | 'server' | 'both';
  dns?: string[]; ips?: string[]; notAfter?: Date; privateLeafKey?: boolean;
}): string {
  const keys = get(leafKeys, o.leafAlg);
  const notAfter = o.notAfter ?? new Date(clock.nowMs() + hour);
  const pem = issueTLSCert({
    caCertPEM: o.ca.certPEM, caKeyPEM: o.ca.keyPEM, publicKey: o.privateLeafKey ? keys.privateKey : keys.publicKey, identity: o.identity,
    notAfter, clock, usage: o.usage, ...(o.dns && { dnsNames: o.dns }), ...(o.ips && { ipAddresses: o.ips }),
  });
  const parts = partsOf(pem);
  const reference = referenceTBS({
    serial: parts.serial,
    caAlg: o.caAlg,
    issuer: AsnConvert.parse(parseCertificate(o.ca.certPEM).rawData, asn1X509.Certificate).tbsCertificate.subject,
    subject: AsnConvert.parse(identityToName(o.identity).toArrayBuffer(), asn1X509.Name),
    publicKey: keys.publicKey,
    notBefore: new Date(clock.nowMs() - 60_000),
    notAfter,
    extensions: referenceLeafExtensions(o.ca.certPEM, o.leafAlg, o.usage, o.dns ?? [], o.ips ?? []),
  });
  assert.equal(parts.tbs.toString('hex'), reference.toString('hex'));
  return pem;
}

describe('DER certificate encoder matches the @peculiar/asn1-x509 reference byte for byte', () => {
  for (const [name, identity] of Object.entries(identities)) {
    it(`identity "${name}": subject Name`, () => {
      assert.deepEqual(identitySubject(identity), toBuffer(identityToName(identity).toArrayBuffer()));
    });
  }

  for (const caAlg of KEY_ALGORITHMS) {
    for (const leafAlg of KEY_ALGORITHMS) {
      it(`${leafAlg} leaf from a ${caAlg} CA, every identity and usage`, () => {
        const ca = get(cas, caAlg);
        for (const identity of Object.values(identities)) {
          for (const usage of ['client', 'server', 'both'] as const) {
            const pem = issueAndCompare({ ca, caAlg, leafAlg, identity, usage });
            const cert = new X509Certificate(pem);
            assert.ok(cert.verify(new X509Certificate(ca.certPEM).publicKey), 'signature verifies with the CA key');
            assert.ok(cert.checkIssued(new X509Certificate(ca.certPEM)));
            assert.equal(keyAlgorithmOf(cert.publicKey), leafAlg);
            const { expires, ...rest } = identityFromCertificate(pem);
            const { expires: _e, ...want } = identity;
            if (want.groups) want.groups = want.groups.filter((g) => g !== '');
            assert.deepEqual(rest, want);
            assert.equal(expires.getTime(), Math.floor((clock.nowMs() + hour) / 1000) * 1000);
          }
        }
      });
    }
  }

  it('subject alternative names: DNS only, IPs only (v4, v6, v4-mapped written out), both', () => {
    const ca = get(cas, 'ecdsa-p256');
    const identity = identities.typical ?? assert.fail();
    for (const [dns, ips] of [
      [['localhost', '*.teleport.cluster.local', 'host.example.com'], []],
      [[], ['127.0.0.1', '::1', '10.1.2.3', '2001:db8:0:0:1:0:0:1', 'fe80::1:2', '::', '1::']],
      [['teleport.cluster.local'], ['127.0.0.1', '::1']],
    ] as const) {
      issueAndCompare({ ca, caAlg: 'ecdsa-p256', leafAlg: 'ed25519', identity, usage: 'both', dns: [...dns], ips: [...ips] });
    }
  });

  it('validity after 2049 is a GeneralizedTime, and milliseconds are dropped', () => {
    const ca = get(cas, 'ed25519');
    const pem = issueAndCompare({ ca, caAlg: 'ed25519', leafAlg: 'ed25519', identity: identities.minimal ?? assert.fail(), usage: 'client', notAfter: new Date(Date.UTC(2061, 0, 2, 3, 4, 5, 678)) });
    assert.equal(new Date(new X509Certificate(pem).validTo).getTime(), Date.UTC(2061, 0, 2, 3, 4, 5));
  });

  it('a private key as the subject key certifies its public half', () => {
    issueAndCompare({ ca: get(cas, 'rsa-2048'), caAlg: 'rsa-2048', leafAlg: 'ecdsa-p256', identity: identities.typical ?? assert.fail(), usage: 'both', privateLeafKey: true });
  });

  for (const alg of KEY_ALGORITHMS) {
    it(`${alg} CA certificate`, () => {
      const ca = createTLSCA({ clusterName: 'ünïcode.example', caType: 'host', algorithm: alg, clock, ttlMs: 40 * 365 * 24 * hour });
      const parts = partsOf(ca.certPEM);
      const cert = parseCertificate(ca.certPEM);
      const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? assert.fail('no SKI');
      const name = caName('ünïcode.example', 'host');
      const reference = referenceTBS({
        serial: parts.serial, caAlg: alg, issuer: name, subject: name, publicKey: createPublicKey(ca.keyPEM),
        notBefore: new Date(clock.nowMs() - 60_000), notAfter: new Date(clock.nowMs() + 40 * 365 * 24 * hour),
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          new x509.SubjectKeyIdentifierExtension(ski),
        ],
      });
      assert.equal(parts.tbs.toString('hex'), reference.toString('hex'));
      // The old SKI: SHA-1 over the subjectPublicKey bits, as @peculiar computes it.
      const spkiAsn = AsnConvert.parse(spki(createPublicKey(ca.keyPEM)), asn1X509.SubjectPublicKeyInfo);
      assert.equal(ski, createHash('sha1').update(Buffer.from(spkiAsn.subjectPublicKey)).digest('hex'));
      assert.ok(new X509Certificate(ca.certPEM).verify(createPublicKey(ca.keyPEM)));
      assert.equal(new X509Certificate(ca.certPEM).ca, true);
    });
  }
});
