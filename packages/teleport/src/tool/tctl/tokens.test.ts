/**
 * @module tool/tctl/tokens.test
 * `tctl tokens add`: the printed instructions match upstream's wording, name the proxy's public web
 * address and the CA pin, and the printed command's values really join a node through the proxy.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import { startTestCluster, type TestCluster } from '../../testing/tshCluster.ts';
import { joinCluster } from '../../service/join.ts';
import { silentLogger } from '../../utils/logger.ts';
import { joinInstructions } from './tokens.ts';
import { runTctl } from './main.ts';

describe('joinInstructions', () => {
  it('prints what upstream prints', () => {
    const pin = `sha256:${'0f'.repeat(32)}`;
    assert.equal(
      joinInstructions({ token: 'abc123', roles: ['Node', 'Db'], ttlMs: 30 * 60_000, caPins: [pin], addr: 'proxy.example.com:3080' }),
      [
        'The invite token: abc123',
        'This token will expire in 30 minutes.',
        '',
        'Run this on the new node to join the cluster:',
        '',
        '> teleport start \\',
        '   --roles=node,db \\',
        '   --token=abc123 \\',
        `   --ca-pin=${pin} \\`,
        '   --auth-server=proxy.example.com:3080',
        '',
        'Please note:',
        '',
        '  - This invitation token will expire in 30 minutes',
        '  - proxy.example.com:3080 must be reachable from the new node',
        '',
      ].join('\n'),
    );
  });
});

describe('tctl tokens add', () => {
  let cluster: TestCluster;
  let configPath: string;

  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'off' });
    configPath = join(cluster.proc.config.dataDir, 'tctl.yaml');
    await writeFile(configPath, `version: v3\nteleport:\n  data_dir: ${cluster.proc.config.dataDir}\n`);
  });
  after(() => cluster.close());

  async function tctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out = new PassThrough();
    const err = new PassThrough();
    const r = { code: -1, stdout: '', stderr: '' };
    out.on('data', (c: Buffer) => (r.stdout += c.toString()));
    err.on('data', (c: Buffer) => (r.stderr += c.toString()));
    r.code = await runTctl(['-c', configPath, '--auth-server', cluster.proc.authAddr ?? '', ...args], { stdout: out, stderr: err, stdin: Readable.from([]), env: {} });
    return r;
  }

  it('prints a command naming the proxy and the pin, which joins a node through the proxy', async () => {
    const r = await tctl(['tokens', 'add', '--type=node', '--ttl=1h', '--labels=env=dev']);
    assert.equal(r.code, 0, r.stderr);
    const token = /--token=(\S+) \\/.exec(r.stdout)?.[1] ?? '';
    const pin = /--ca-pin=(\S+) \\/.exec(r.stdout)?.[1] ?? '';
    const addr = /--auth-server=(\S+)\n/.exec(r.stdout)?.[1] ?? '';
    assert.match(r.stdout, /This token will expire in 60 minutes\./);
    assert.match(r.stdout, /--roles=node \\/);
    assert.deepEqual([pin], await cluster.auth.caPins());
    assert.equal(addr, cluster.proc.proxy?.publicAddr, 'the proxy public address, not the auth address');
    assert.match(r.stdout, new RegExp(`  - ${addr} must be reachable from the new node\\n$`));
    const stored = await cluster.auth.services.provisioning.getToken(token);
    assert.deepEqual((stored as ProvisionToken).spec.suggested_labels, { env: 'dev' });

    // The printed values are all a new node needs ("localhost" resolves here; the proxy listens on 127.0.0.1).
    const identity = await joinCluster({
      hostId: randomUUID(), nodeName: 'new-node', role: 'node', token, caPins: [pin], authServers: [addr.replace(/^localhost:/, '127.0.0.1:')],
      algorithm: 'ed25519', logger: silentLogger,
    });
    assert.equal(identity.clusterName, cluster.clusterName);
  });

  it('refuses an unknown --type', async () => {
    const r = await tctl(['tokens', 'add', '--type=auth']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown token type "auth"/);
  });
});
