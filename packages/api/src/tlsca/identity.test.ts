/**
 * @module tlsca/identity.test
 * Identity <-> certificate Subject round trips through real certificates (self-signed with WebCrypto here,
 * since the api package cannot use the server's CA).
 */
import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { identityFromCertificate, identityToName, type Identity } from './identity.ts';
import { TELEPORT_OIDS } from './oids.ts';
import { BadParameterError } from '../errors.ts';

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function selfSigned(name: x509.Name, notAfter: Date): Promise<x509.X509Certificate> {
  const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
  // @peculiar/x509 signs with globalThis.crypto, which is node's webcrypto on Node 20.
  return x509.X509CertificateGenerator.createSelfSigned({
    name, keys, notBefore: new Date(notAfter.getTime() - 3600_000), notAfter, signingAlgorithm: alg,
  });
}

async function roundTrip(id: Identity): Promise<Identity> {
  const cert = await selfSigned(identityToName(id), id.expires);
  return identityFromCertificate(cert.toString('pem'));
}

// Certificates keep whole seconds only.
const expires = new Date('2026-03-04T05:06:07Z');

const full: Identity = {
  username: 'alice@example.com',
  // Order must survive: each value sits in its own RDN.
  groups: ['editor', 'access', 'auditor'],
  usage: ['usage:kube'],
  principals: ['root', 'ubuntu', 'alice'],
  routeToCluster: 'leaf.example.com',
  traits: {
    logins: ['root', 'ubuntu'],
    'quote"and\\backslash': ['"quoted"', 'x\\y', 'CN=evil, O=injected'],
    unicode: ['ünïcødé ✓'],
    empty: [],
  },
  kubernetesUsers: ['alice', 'system:admin'],
  kubernetesGroups: ['system:masters', 'devs'],
  kubernetesCluster: 'prod-kube',
  routeToApp: { sessionId: 'sess-123', publicAddr: 'grafana.example.com', clusterName: 'example.com', name: 'grafana' },
  teleportCluster: 'example.com',
  mfaVerified: 'mfa-device-uuid',
  loginIP: '203.0.113.7',
  routeToDatabase: { serviceName: 'pg-main', protocol: 'postgres', username: 'app_user', database: 'orders' },
  activeRequests: ['req-1', 'req-2'],
  systemRoles: ['Node', 'Proxy'],
  botName: 'ci-bot',
  expires,
};

describe('identity encoding', () => {
  it('round-trips a fully-populated identity', async () => {
    assert.deepEqual(await roundTrip(full), full);
  });

  it('round-trips a minimal identity without inventing optional fields', async () => {
    const minimal: Identity = { username: 'bob', groups: [], expires };
    const back = await roundTrip(minimal);
    assert.deepEqual(back, minimal);
    assert.deepEqual(Object.keys(back).sort(), ['expires', 'groups', 'username']);
  });

  it('round-trips a database route without user or database name', async () => {
    const id: Identity = { username: 'carol', groups: ['access'], routeToDatabase: { serviceName: 'db', protocol: 'mysql' }, expires };
    assert.deepEqual(await roundTrip(id), id);
  });

  it('accepts PEM, DER, node:crypto and @peculiar/x509 certificates alike', async () => {
    const cert = await selfSigned(identityToName(full), expires);
    const der = Buffer.from(cert.rawData);
    for (const input of [cert.toString('pem'), der, new NodeX509Certificate(der), cert]) {
      assert.deepEqual(identityFromCertificate(input), full);
    }
  });

  it('uses the reference OIDs and one RDN per value', () => {
    const json = identityToName(full).toJSON();
    assert.deepEqual(json[0], { CN: ['alice@example.com'] });
    assert.deepEqual(json.filter((rdn) => 'O' in rdn), [{ O: ['editor'] }, { O: ['access'] }, { O: ['auditor'] }]);
    assert.ok(json.every((rdn) => Object.keys(rdn).length === 1));
    const oids = json.flatMap((rdn) => Object.keys(rdn));
    for (const oid of Object.values(TELEPORT_OIDS)) assert.ok(oids.includes(oid), `missing ${oid}`);
  });

  it('refuses an identity without a username', () => {
    assert.throws(() => identityToName({ username: '', groups: [], expires }), BadParameterError);
  });

  it('refuses a certificate without a common name', async () => {
    const cert = await selfSigned(new x509.Name('O=nobody'), expires);
    assert.throws(() => identityFromCertificate(cert), BadParameterError);
  });

  it('refuses malformed input and malformed traits', async () => {
    assert.throws(() => identityFromCertificate('not a certificate'), BadParameterError);
    const bad = new x509.Name([{ CN: [{ utf8String: 'x' }] }, { '2.5.4.17': [{ utf8String: '{"logins":"root"}' }] }]);
    const badCert = await selfSigned(bad, expires);
    assert.throws(() => identityFromCertificate(badCert), /must be a list of strings/);
  });
});
