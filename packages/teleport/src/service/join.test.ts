/**
 * @module service/join.test
 * Joining a real in-process cluster (auth + proxy on 127.0.0.1:0): through the proxy's web port and
 * directly, the CA pin checked before the token is revealed, token refusals (expired, spent), and
 * connectToCluster saving the identity and reusing it on the next start without a token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { AccessDeniedError, BadParameterError, TrustError } from '@teleport-ts/api/errors';
import { authClientThroughProxy } from '../client/authTunnel.ts';
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import { createLogger, silentLogger } from '../utils/logger.ts';
import { defaultServiceConfig } from '../config/serviceConfig.ts';
import { startTestCluster, type TestCluster } from '../testing/tshCluster.ts';
import { joinCluster, joinClusterVia, verifyAuthServer, type JoinOptions } from './join.ts';
import { authClientFor } from './joinRoute.ts';
import { connectToCluster } from './connector.ts';
import { identityPath } from './identityStore.ts';

const WRONG_PIN = `sha256:${'ab'.repeat(32)}`;

describe('joining a cluster with a token', () => {
  let cluster: TestCluster;
  let pins: string[];
  let dir: string;

  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'off' });
    pins = await cluster.auth.caPins();
    dir = await mkdtemp(join(tmpdir(), 'join-test-'));
  });
  after(async () => {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function addToken(opts: { maxUses?: number; expiresInMs?: number; roles?: ProvisionToken['spec']['roles'] } = {}): Promise<string> {
    const name = randomUUID().replace(/-/g, '');
    await cluster.auth.services.provisioning.createToken({
      kind: 'token', version: 'v2',
      metadata: { name, expires: new Date(Date.now() + (opts.expiresInMs ?? 30 * 60_000)).toISOString() },
      spec: { roles: opts.roles ?? ['Node'], join_method: 'token', ...(opts.maxUses && { max_uses: opts.maxUses }) },
    });
    return name;
  }

  const options = (token: string, over: Partial<JoinOptions> = {}): JoinOptions => ({
    hostId: randomUUID(), nodeName: 'agent-1', role: 'Node', token, caPins: pins, authServers: [], proxyServer: cluster.webAddr,
    algorithm: 'ed25519', logger: silentLogger, ...over,
  });

  const joinEvents = async () =>
    (await cluster.auth.audit.search({ from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 60_000), eventTypes: ['instance.join'] })).events;

  it('joins through the proxy web port with the right pin, and the identity works through the proxy', async () => {
    const token = await addToken({ maxUses: 1 });
    const opts = options(token);
    const identity = await joinCluster(opts);
    assert.equal(identity.role, 'Node');
    assert.equal(identity.hostId, opts.hostId);
    assert.equal(identity.clusterName, cluster.clusterName);
    assert.match(identity.sshCert ?? '', /^ssh-ed25519-cert-v01@openssh\.com /);
    assert.ok(identity.userTLSCACerts?.length && identity.sshHostCAKeys?.length && identity.sshUserCAKeys?.length);
    const client = authClientThroughProxy({
      proxyAddr: cluster.webAddr, insecure: true, certPEM: identity.certPEM, keyPEM: identity.keyPEM, clusterCAs: identity.tlsCACerts,
    });
    const ping = await client.ping();
    assert.deepEqual(ping.systemRoles, ['Node']);
    assert.equal(ping.username, `${opts.hostId}.${cluster.clusterName}`);
    const last = (await joinEvents()).at(-1) as Record<string, unknown> | undefined;
    assert.equal(last?.code, 'TJ002I');
    assert.equal(last?.host_id, opts.hostId);
  });

  it('finds out that --auth-server names a proxy, or auth itself', async () => {
    const viaProxy = await joinClusterVia(options(await addToken(), { proxyServer: undefined, authServers: [cluster.webAddr] }));
    assert.equal(viaProxy.route.kind, 'proxy');
    const direct = await joinClusterVia(options(await addToken(), { proxyServer: undefined, authServers: [cluster.proc.authAddr ?? ''] }));
    assert.equal(direct.route.kind, 'auth');
  });

  it('without a client certificate only the two joining RPCs answer', async () => {
    const route = { kind: 'proxy' as const, addr: cluster.webAddr };
    const anonymous = authClientFor(route, { caCerts: await cluster.auth.keyring.tlsCerts('host') });
    const cas = await anonymous.getClusterCACerts();
    assert.equal(cas.clusterName, cluster.clusterName);
    await assert.rejects(anonymous.ping(), AccessDeniedError);
    await assert.rejects(anonymous.listResources('token'), AccessDeniedError);
    await assert.rejects(anonymous.getCertAuthorities('host'), AccessDeniedError);
    await assert.rejects(anonymous.generateHostCerts({ hostId: 'x', nodeName: 'x', role: 'Node', sshPublicKey: '', tlsPublicKey: '' }), AccessDeniedError);
  });

  it('refuses an auth server whose certificate does not chain to the pinned CA', async () => {
    const route = { kind: 'auth' as const, addr: cluster.proc.authAddr ?? '' };
    await verifyAuthServer(route, await cluster.auth.keyring.tlsCerts('host'));
    await assert.rejects(verifyAuthServer(route, await cluster.auth.keyring.tlsCerts('user')), (err: unknown) =>
      err instanceof TrustError && /not signed by the pinned cluster CA/.test(err.message));
  });

  it('refuses a wrong pin before the token is sent, so the token still works', async () => {
    const token = await addToken({ maxUses: 1 });
    const before = (await joinEvents()).length;
    await assert.rejects(joinCluster(options(token, { caPins: [WRONG_PIN] })), (err: unknown) =>
      err instanceof TrustError && err.message.includes(`the cluster's CA pin is ${pins[0]}`) && err.message.includes(`--ca-pin says ${WRONG_PIN}`));
    assert.equal((await joinEvents()).length, before, 'auth never saw a join attempt');
    assert.equal((await cluster.auth.services.provisioning.getToken(token)).spec.uses ?? 0, 0);
    await joinCluster(options(token));
  });

  it('without a pin, trusts the CA on first use and says so', async () => {
    let logged = '';
    const logger = createLogger({ level: 'warn', destination: new Writable({ write: (c: Buffer, _e, cb) => ((logged += c.toString()), cb()) }) });
    await joinCluster(options(await addToken(), { caPins: [], logger }));
    assert.match(logged, /trusted on first use/);
  });

  it('refuses an expired token and a spent single-use token with clear messages', async () => {
    const expired = await addToken({ expiresInMs: -4 * 60_000 });
    await assert.rejects(joinCluster(options(expired)), (err: unknown) =>
      err instanceof AccessDeniedError && /^join token expired [34]m ago: create a new one with 'tctl tokens add --type=node'$/.test(err.message));
    const once = await addToken({ maxUses: 1 });
    await joinCluster(options(once));
    await assert.rejects(joinCluster(options(once)), (err: unknown) => err instanceof AccessDeniedError && /already used/.test(err.message));
    const proxyOnly = await addToken({ roles: ['Proxy'] });
    await assert.rejects(joinCluster(options(proxyOnly)), /token does not allow role Node \(it allows Proxy\)/);
  });

  it('connectToCluster joins once, saves the identity and reuses it without a token', async () => {
    const cfg = defaultServiceConfig();
    cfg.dataDir = join(dir, 'agent');
    cfg.nodeName = 'agent-2';
    cfg.authServers = [cluster.webAddr];
    cfg.caPins = pins;
    const hostId = randomUUID();
    const base = { cfg, hostId, role: 'Node' as const, algorithm: 'ed25519' as const, logger: silentLogger };
    await assert.rejects(connectToCluster(base), (err: unknown) => err instanceof BadParameterError && /has not joined the cluster yet/.test(err.message));

    cfg.joinToken = await addToken({ maxUses: 1 });
    const first = await connectToCluster(base);
    assert.equal(first.via, 'proxy');
    assert.equal((await stat(identityPath(cfg.dataDir, 'Node'))).mode & 0o777, 0o600);
    assert.deepEqual((await first.authClient.ping()).systemRoles, ['Node']);

    delete cfg.joinToken;
    const second = await connectToCluster(base);
    assert.equal(second.identity.certPEM, first.identity.certPEM, 'the stored identity is reused');
    assert.deepEqual((await second.authClient.ping()).systemRoles, ['Node']);

    // A different host id (a copied data dir with a new host_uuid) cannot reuse it.
    await assert.rejects(connectToCluster({ ...base, hostId: randomUUID() }), /cannot be used: it is for host/);
  });
});
