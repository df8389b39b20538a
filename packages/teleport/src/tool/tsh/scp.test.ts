/**
 * @module tool/tsh/scp.test
 * How `tsh scp` reads its operands: direction, node and login, and the refusals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planSCP } from './scp.ts';

describe('tsh scp operands', () => {
  it('uploads when the destination is remote', () => {
    assert.deepEqual(planSCP(['a.txt', 'b/', 'root@node1:/tmp']), { direction: 'upload', login: 'root', host: 'node1', sources: ['a.txt', 'b/'], dest: '/tmp' });
    assert.deepEqual(planSCP(['a.txt', 'node1:']), { direction: 'upload', host: 'node1', sources: ['a.txt'], dest: '' });
  });
  it('downloads when the sources are remote, all from one node', () => {
    assert.deepEqual(planSCP(['node1:/etc/hosts', 'node1:x', '.']), { direction: 'download', host: 'node1', sources: ['/etc/hosts', 'x'], dest: '.' });
  });
  it('refuses the combinations scp cannot do here', () => {
    assert.throws(() => planSCP(['a']), /at least one source and a destination/);
    assert.throws(() => planSCP(['a', 'b']), /neither the sources nor the destination is on a node/);
    assert.throws(() => planSCP(['n1:a', 'n2:b']), /from one node to another is not supported/);
    assert.throws(() => planSCP(['n1:a', 'local', 'dst']), /must all be on the same node \(or all local\)/);
    assert.throws(() => planSCP(['n1:a', 'n2:b', 'dst']), /same node, with the same login/);
    assert.throws(() => planSCP(['root@n1:a', 'n1:b', 'dst']), /same node, with the same login/);
  });
});
