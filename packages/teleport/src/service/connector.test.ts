/**
 * @module service/connector.test
 * When a stored identity may be reused (staleReason), and connectToCluster with auth in the process.
 * Joining and reuse against a real cluster are covered by join.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { caPin } from '@teleport-ts/api/tlsca/pin';
import { newTestAuthServer } from '../auth/testAuthServer.ts';
import { defaultServiceConfig } from '../config/serviceConfig.ts';
import { silentLogger } from '../utils/logger.ts';
import { issueLocalIdentity } from './localIdentity.ts';
import { connectToCluster, staleReason } from './connector.ts';

const HOST = '5d3c1e0a-2b7f-4c1e-9a55-0c8b7e6d5f41';

describe('staleReason', () => {
  it('accepts a valid identity for this host, role and cluster, and names what is wrong otherwise', async () => {
    const t = await newTestAuthServer();
    const id = await issueLocalIdentity(t.auth, { hostId: HOST, nodeName: 'n1', role: 'Node', algorithm: 'ed25519' });
    const pin = caPin(id.tlsCACerts[0] ?? '');
    const now = t.clock.nowMs();
    assert.equal(staleReason(id, { hostId: HOST, role: 'Node', caPins: [pin], nowMs: now }), undefined);
    assert.equal(staleReason(id, { hostId: HOST, role: 'node', caPins: [], nowMs: now }), undefined);
    assert.match(staleReason(id, { hostId: HOST, role: 'Proxy', caPins: [], nowMs: now }) ?? '', /for role Node, not Proxy/);
    assert.match(staleReason(id, { hostId: 'other', role: 'Node', caPins: [], nowMs: now }) ?? '', /host_uuid changed/);
    assert.match(staleReason(id, { hostId: HOST, role: 'Node', caPins: [`sha256:${'00'.repeat(32)}`], nowMs: now }) ?? '', /does not match --ca-pin/);
    assert.match(staleReason(id, { hostId: HOST, role: 'Node', caPins: [], nowMs: now + 11 * 365 * 24 * 3600_000 }) ?? '', /expired at/);
  });
});

describe('connectToCluster with a local auth server', () => {
  it('issues the identity in-process and needs no token', async () => {
    const t = await newTestAuthServer();
    const cfg = defaultServiceConfig();
    cfg.nodeName = 'n1';
    const c = await connectToCluster({
      cfg, hostId: HOST, role: 'Proxy', algorithm: 'ed25519', logger: silentLogger, localAuth: t.auth, localAuthAddr: '127.0.0.1:3025',
      dnsNames: ['proxy.example.com'],
    });
    assert.equal(c.via, 'local');
    assert.equal(c.identity.role, 'Proxy');
    assert.equal(c.authClient.addr, '127.0.0.1:3025');
    await assert.rejects(connectToCluster({ cfg, hostId: HOST, role: 'Node', algorithm: 'ed25519', logger: silentLogger, localAuth: t.auth }), /localAuthAddr is required/);
  });
});
