/**
 * @module auth/proxyCerts.test
 * The proxy's two narrow certificate operations, through the authorization layer, both only in
 * proxy recording mode or for agentless OpenSSH nodes: node host certificates (principals from
 * the node record, registered nodes only, SSH only, short TTL) and re-issued user certificates
 * (proxy only, only with a valid certificate of this cluster and a fresh signature by its key, once).
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, type KeyObject } from 'node:crypto';
import { FakeClock } from '@teleport-ts/api/clock';
import { AccessDeniedError, NotFoundError, TrustError } from '@teleport-ts/api/errors';
import { EventCodes } from '@teleport-ts/api/events/codes';
import { generateKeyPair } from '@teleport-ts/api/keys';
import { decodeCertificate, formatCertificateLine, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { decodeUserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { signSSH } from '@teleport-ts/api/sshcert/signature';
import { sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { SSHWriter } from '@teleport-ts/api/sshcert/wire';
import type { Server } from '@teleport-ts/api/types/server';
import { issueUserSSHCert } from '../ca/sshCertIssuer.ts';
import type { ReissueUserCertRequest } from './proxyCerts.ts';
import { addUser, asBuiltin, asUser, newTestAuthServer, newTestKeys, TEST_CLUSTER, type TestAuth } from './testAuthServer.ts';

const HOUR = 3600_000;
const NODE = '0b7f6d9e-0000-4000-8000-000000000001';
let t: TestAuth;

function node(name: string, hostname: string, addr: string, subKind?: string): Server {
  return {
    kind: 'node', version: 'v2', ...(subKind && { sub_kind: subKind }),
    metadata: { name, expires: new Date(t.clock.nowMs() + 600_000).toISOString() }, spec: { addr, hostname },
  };
}

const setMode = (mode: 'node' | 'proxy' | 'proxy-sync' | 'off') =>
  t.services.clusterConfig.setSessionRecordingConfig({ kind: 'session_recording_config', version: 'v2', metadata: { name: 'session-recording-config' }, spec: { mode } });

beforeEach(async () => {
  t = await newTestAuthServer({ secondFactor: 'off' });
  await t.services.presence.upsertNode(node(NODE, 'db-1', '10.0.0.7:22'));
});

describe('node host certificates for the proxy', () => {
  const request = (over: Record<string, unknown> = {}) => ({
    hostId: NODE, nodeName: 'db-1', role: 'Node', additionalPrincipals: ['10.0.0.7'], sshPublicKey: newTestKeys().sshPublicKey, ...over,
  });

  it('are issued with the principals of the registered node, a short TTL and an audit trail', async () => {
    await setMode('proxy');
    const certs = await asBuiltin(t, 'Proxy').generateHostCerts(request({ ttlMs: 100 * HOUR }));
    assert.equal(certs.tlsCert, '');
    const cert = decodeCertificate(parseCertificateLine(certs.sshCert));
    assert.equal(cert.type, 'host');
    assert.deepEqual(cert.principals, [`${NODE}.${TEST_CLUSTER}`, NODE, `db-1.${TEST_CLUSTER}`, 'db-1', 'localhost', '127.0.0.1', '::1', '10.0.0.7']);
    assert.equal(cert.extensions['x-teleport-role'], 'Node');
    assert.ok(cert.validBefore <= Math.floor((t.clock.nowMs() + 24 * HOUR) / 1000));
    const ev = t.audit.all().findLast((e) => e.code === EventCodes.certificateCreate);
    assert.equal(ev?.cert_type, 'host');
    assert.equal((ev?.identity as { impersonator?: string }).impersonator, `host-uuid.${TEST_CLUSTER}`);
  });

  it('are refused outside proxy recording mode, except for agentless OpenSSH nodes', async () => {
    await assert.rejects(asBuiltin(t, 'Proxy').generateHostCerts(request()), /may present host certificates for nodes only in proxy recording mode/);
    await t.services.presence.upsertNode(node('agentless-1', 'legacy', '10.0.0.9:22', 'openssh'));
    assert.ok((await asBuiltin(t, 'Proxy').generateHostCerts(request({ hostId: 'agentless-1', nodeName: 'legacy', additionalPrincipals: [] }))).sshCert);
  });

  it('are refused for other roles, unknown nodes, wrong names, extra principals and TLS keys', async () => {
    await setMode('proxy');
    const proxy = asBuiltin(t, 'Proxy');
    await assert.rejects(proxy.generateHostCerts(request({ role: 'Proxy' })), /role must be Node/);
    await assert.rejects(proxy.generateHostCerts(request({ hostId: 'nope' })), NotFoundError);
    await assert.rejects(proxy.generateHostCerts(request({ nodeName: 'web-1' })), /registered as "db-1", not "web-1"/);
    await assert.rejects(proxy.generateHostCerts(request({ additionalPrincipals: ['bank.example.com'] })), /"bank.example.com" is not the address/);
    await assert.rejects(proxy.generateHostCerts(request({ tlsPublicKey: newTestKeys().tlsPublicKey })), /no TLS certificate/);
    await assert.rejects(asBuiltin(t, 'Node').generateHostCerts(request()), AccessDeniedError);
    // Admins keep the general operation.
    assert.ok((await asBuiltin(t, 'Admin').generateHostCerts(request({ hostId: 'anything', role: 'Proxy' }))).sshCert);
  });
});

describe('re-issued user certificates for the proxy', () => {
  let userKey: KeyObject;
  let certLine: string;

  const userCertLine = async (key: KeyObject, opts: { clock?: FakeClock; ttlMs?: number; caKey?: KeyObject } = {}): Promise<string> => {
    const blob = issueUserSSHCert({
      caPrivateKey: opts.caKey ?? await t.auth.keyring.sshSigner('user'), publicKey: sshPublicKeyBlob(key), username: 'alice',
      logins: ['root', 'alice'], ttlMs: opts.ttlMs ?? 2 * HOUR, clock: opts.clock ?? t.clock, permitAgentForwarding: true,
      permitPortForwarding: false, roles: ['access'], traits: { logins: ['root'] }, routeToCluster: TEST_CLUSTER, sourceAddress: '192.0.2.1',
    });
    return formatCertificateLine(blob, 'alice');
  };

  /** What a client signs when it logs in with `line` as `login`, and the request carrying it. */
  const proofRequest = (line: string, key: KeyObject, opts: { login?: string; nodeId?: string; signWith?: KeyObject } = {}): ReissueUserCertRequest => {
    const blob = parseCertificateLine(line);
    const data = new SSHWriter().string(randomBytes(32)).raw(Buffer.from([50])).string(opts.login ?? 'root').string('ssh-connection')
      .string('publickey').bool(true).string('ssh-ed25519-cert-v01@openssh.com').string(blob).finish();
    return {
      sshCert: line, sshPublicKey: newTestKeys().sshPublicKey, authData: data, authSignature: signSSH(opts.signWith ?? key, data), nodeId: opts.nodeId ?? NODE,
    };
  };

  beforeEach(async () => {
    await addUser(t, 'alice', ['access']);
    userKey = generateKeyPair('ed25519').privateKey;
    certLine = await userCertLine(userKey);
  });

  it('copies the identity, keeps the expiry, drops source-address and audits the proxy', async () => {
    await setMode('proxy');
    const certs = await asBuiltin(t, 'Proxy').reissueUserCertForProxy(proofRequest(certLine, userKey));
    const original = decodeCertificate(parseCertificateLine(certLine));
    const cert = decodeCertificate(parseCertificateLine(certs.sshCert));
    assert.equal(cert.type, 'user');
    assert.equal(cert.validBefore, original.validBefore);
    assert.deepEqual(cert.criticalOptions, {});
    const id = decodeUserSSHIdentity(cert);
    assert.equal(id.username, 'alice');
    assert.deepEqual(id.logins, ['root', 'alice']);
    assert.deepEqual(id.roles, ['access']);
    assert.deepEqual(id.traits, { logins: ['root'] });
    assert.equal(id.permitAgentForwarding, true);
    assert.equal(id.permitPortForwarding, false);
    const ev = t.audit.all().findLast((e) => e.code === EventCodes.certificateCreate);
    assert.equal(ev?.user, 'alice');
    assert.equal((ev?.identity as { impersonator?: string }).impersonator, `host-uuid.${TEST_CLUSTER}`);
  });

  it('is refused outside proxy recording mode, except for agentless OpenSSH nodes', async () => {
    await setMode('node');
    await assert.rejects(asBuiltin(t, 'Proxy').reissueUserCertForProxy(proofRequest(certLine, userKey)), /only in proxy recording mode \(the cluster records at "node"\)/);
    await t.services.presence.upsertNode(node('agentless-1', 'legacy', '10.0.0.9:22', 'openssh'));
    assert.ok((await asBuiltin(t, 'Proxy').reissueUserCertForProxy(proofRequest(certLine, userKey, { nodeId: 'agentless-1' }))).sshCert);
    await setMode('proxy-sync');
    assert.ok((await asBuiltin(t, 'Proxy').reissueUserCertForProxy(proofRequest(certLine, userKey))).sshCert);
  });

  it('is refused to callers other than the proxy', async () => {
    await setMode('proxy');
    await assert.rejects(asBuiltin(t, 'Node').reissueUserCertForProxy(proofRequest(certLine, userKey)), /system role Node may not perform reissue user certs/);
    await assert.rejects((await asUser(t, 'alice')).reissueUserCertForProxy(proofRequest(certLine, userKey)), AccessDeniedError);
  });

  it('needs a valid certificate of this cluster and a fresh signature by its key, once', async () => {
    await setMode('proxy');
    const proxy = asBuiltin(t, 'Proxy');
    const foreign = await userCertLine(userKey, { caKey: generateKeyPair('ed25519').privateKey });
    await assert.rejects(proxy.reissueUserCertForProxy(proofRequest(foreign, userKey)), (err: Error) => err instanceof TrustError && /unknown certificate authority/.test(err.message));
    const expired = await userCertLine(userKey, { clock: new FakeClock(t.clock.nowMs() - 3 * HOUR), ttlMs: HOUR });
    await assert.rejects(proxy.reissueUserCertForProxy(proofRequest(expired, userKey)), (err: Error) => err instanceof TrustError && /expired/.test(err.message));
    const mallory = generateKeyPair('ed25519').privateKey;
    await assert.rejects(proxy.reissueUserCertForProxy(proofRequest(certLine, userKey, { signWith: mallory })), /not made with the certificate's key/);
    const otherCert = await userCertLine(mallory);
    const swapped = { ...proofRequest(otherCert, mallory), sshCert: certLine };
    await assert.rejects(proxy.reissueUserCertForProxy(swapped), /names another key/);
    await assert.rejects(proxy.reissueUserCertForProxy(proofRequest(certLine, userKey, { login: 'postgres' })), /may not log in as "postgres"/);
    const once = proofRequest(certLine, userKey);
    await proxy.reissueUserCertForProxy(once);
    await assert.rejects(proxy.reissueUserCertForProxy({ ...once, sshPublicKey: newTestKeys().sshPublicKey }), /already used/);
  });

  it('is refused for a user deleted since the login', async () => {
    await setMode('proxy');
    await t.services.users.deleteUser('alice');
    await assert.rejects(asBuiltin(t, 'Proxy').reissueUserCertForProxy(proofRequest(certLine, userKey)), /user 'alice' no longer exists/);
  });
});
