/**
 * @module client/ssh/nodes.test
 * Finding nodes by name, UUID, address or labels, and the names a node's certificate may carry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import { hostCertNames, matchNodes, nodePort, resolveNode } from './nodes.ts';

const node = (name: string, hostname: string, addr: string, labels: Record<string, string> = {}): Server =>
  ({ kind: 'node', version: 'v2', metadata: { name, labels }, spec: { hostname, addr } });
const nodes = [
  node('uuid-1', 'web', '10.0.0.1:3022', { env: 'prod' }),
  node('uuid-2', 'db', '10.0.0.2:3022', { env: 'prod', tier: 'data' }),
  node('uuid-3', 'dup', '10.0.0.3:3022'),
  node('uuid-4', 'dup', '10.0.0.4:3022'),
];

describe('node lookup', () => {
  it('finds a node by UUID, hostname (any case, with or without .<cluster>) or address', () => {
    assert.equal(resolveNode(nodes, 'uuid-2').spec.hostname, 'db');
    assert.equal(resolveNode(nodes, 'WEB').metadata.name, 'uuid-1');
    assert.equal(resolveNode(nodes, 'web.example.com', 'example.com').metadata.name, 'uuid-1');
    assert.equal(resolveNode(nodes, '10.0.0.2').metadata.name, 'uuid-2');
    assert.equal(resolveNode(nodes, '10.0.0.2:3022').metadata.name, 'uuid-2');
  });
  it('says what to do for unknown and ambiguous names', () => {
    assert.throws(() => resolveNode(nodes, 'db-7'), (e: Error) => e instanceof NotFoundError && e.message === "node 'db-7' not found; 'tsh ls' lists nodes");
    assert.throws(() => resolveNode(nodes, 'dup'), (e: Error) => e instanceof BadParameterError && /2 nodes are named 'dup' \(uuid-3, uuid-4\): connect by node ID/.test(e.message));
  });
  it('matches labels and sorts by hostname', () => {
    assert.deepEqual(matchNodes(nodes, { env: 'prod' }).map((n) => n.spec.hostname), ['db', 'web']);
    assert.deepEqual(matchNodes(nodes, { env: 'prod', tier: 'data' }).map((n) => n.spec.hostname), ['db']);
  });
  it('lists the names a host certificate may carry, and the advertised port', () => {
    assert.deepEqual(hostCertNames('web', nodes[0], 'example.com'), ['web', 'uuid-1', 'web.example.com', 'uuid-1.example.com']);
    assert.deepEqual(hostCertNames('10.0.0.9', undefined, ''), ['10.0.0.9']);
    assert.equal(nodePort(nodes[0]), 3022);
    assert.equal(nodePort(undefined), undefined);
  });
});
