/**
 * @module tool/tsh/ls.test
 * `tsh ls` output: upstream's text table (with -v: node IDs and internal labels), tunnel nodes,
 * JSON and YAML, and --format validation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { Server } from '@teleport-ts/api/types/server';
import { formatLabels, formatNodes, parseListFormat } from './ls.ts';

const nodes: Server[] = [
  {
    kind: 'node', version: 'v2',
    metadata: { name: 'b2c3-uuid', labels: { env: 'prod', 'teleport.internal/resource-id': 'x' } },
    spec: { hostname: 'web', addr: '10.0.0.2:3022', cmd_labels: { kernel: { command: ['uname', '-r'], period: '1m0s', result: '6.1.0' } } },
  },
  { kind: 'node', version: 'v2', metadata: { name: 'a1b2-uuid', labels: { env: 'staging', os: 'linux' } }, spec: { hostname: 'db', addr: '10.0.0.1:3022' } },
  { kind: 'node', version: 'v2', metadata: { name: 'c3d4-uuid' }, spec: { hostname: 'edge', addr: '', use_tunnel: true } },
];

describe('tsh ls formatting', () => {
  it('prints the text table sorted by name, hiding internal labels', () => {
    assert.equal(formatNodes(nodes, 'text', false), [
      'Node Name Address       Labels',
      '--------- ------------- ---------------------',
      'db        10.0.0.1:3022 env=staging,os=linux',
      'edge      ⟵ Tunnel',
      'web       10.0.0.2:3022 env=prod,kernel=6.1.0',
      '',
    ].join('\n'));
  });

  it('adds node IDs and every label with -v', () => {
    const out = formatNodes(nodes, 'text', true).split('\n');
    assert.match(out[0] ?? '', /^Node Name Node ID\s+Address\s+Labels$/);
    assert.match(out[4] ?? '', /^web\s+b2c3-uuid\s+10\.0\.0\.2:3022 env=prod,kernel=6\.1\.0,teleport\.internal\/resource-id=x$/);
  });

  it('prints JSON and YAML resources', () => {
    const json = JSON.parse(formatNodes(nodes, 'json', false)) as Server[];
    assert.deepEqual(json.map((n) => n.spec.hostname), ['db', 'edge', 'web']);
    assert.equal(json[0]?.kind, 'node');
    const docs = formatNodes(nodes, 'yaml', false).split(/^---$/m).map((d) => parse(d) as Server);
    assert.deepEqual(docs.map((d) => d.metadata.name), ['a1b2-uuid', 'c3d4-uuid', 'b2c3-uuid']);
    assert.equal(formatNodes([], 'yaml', false), '');
    assert.equal(formatNodes([], 'json', false), '[]\n');
  });

  it('sorts labels and checks --format', () => {
    assert.equal(formatLabels({ b: '2', a: '1' }, false), 'a=1,b=2');
    assert.equal(parseListFormat(undefined), 'text');
    assert.throws(() => parseListFormat('xml'), /unsupported --format "xml": use text, json or yaml/);
  });
});
