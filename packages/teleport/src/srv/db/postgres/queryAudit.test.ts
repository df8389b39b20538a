/** Query audit: matching statements to their outcomes, and rendering Bind parameters. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendMessage } from './backend.ts';
import { QueryAuditTracker, renderParameter, type QueryEvent } from './queryAudit.ts';

const err = (message: string): BackendMessage => ({ kind: 'error', fields: { severity: 'ERROR', code: '42000', message } });
const rfq: BackendMessage = { kind: 'readyForQuery', status: 'I' };
const done: BackendMessage = { kind: 'commandComplete', tag: 'SELECT 1' };

describe('QueryAuditTracker', () => {
  it('audits simple queries with their outcome at ReadyForQuery', () => {
    const events: QueryEvent[] = [];
    const t = new QueryAuditTracker((e) => events.push(e));
    t.onClient({ kind: 'query', sql: 'select 1; select 2' });
    t.onServer(done);
    t.onServer(done);
    assert.equal(events.length, 0);
    t.onServer(rfq);
    t.onClient({ kind: 'query', sql: 'select nope' });
    t.onServer(err('column "nope" does not exist'));
    t.onServer(rfq);
    assert.deepEqual(events, [
      { statement: 'select 1; select 2', success: true },
      { statement: 'select nope', success: false, error: 'column "nope" does not exist' },
    ]);
  });

  it('audits each Execute with the SQL of its Parse and the parameters of its Bind', () => {
    const events: QueryEvent[] = [];
    const t = new QueryAuditTracker((e) => events.push(e));
    t.onClient({ kind: 'parse', name: 's1', sql: 'select $1::int + $2', paramTypes: [0, 23] });
    t.onClient({ kind: 'bind', portal: '', statement: 's1', paramFormats: [0, 1], params: [Buffer.from('40'), Buffer.from([0, 0, 0, 2])], resultFormats: [] });
    t.onClient({ kind: 'execute', portal: '', maxRows: 0 });
    t.onClient({ kind: 'bind', portal: 'p', statement: 's1', paramFormats: [], params: [Buffer.from('1'), null], resultFormats: [] });
    t.onClient({ kind: 'execute', portal: 'p', maxRows: 0 });
    t.onClient({ kind: 'bind', portal: '', statement: 'from_sql', paramFormats: [], params: [], resultFormats: [] });
    t.onClient({ kind: 'execute', portal: '', maxRows: 0 });
    t.onClient({ kind: 'sync' });
    t.onServer({ kind: 'other', type: '1' });
    t.onServer(done);
    t.onServer(err('boom'));
    t.onServer(rfq);
    assert.deepEqual(events, [
      { statement: 'select $1::int + $2', parameters: ['40', '2'], success: true },
      { statement: 'select $1::int + $2', parameters: ['1', 'NULL'], success: false, error: 'boom' },
      { statement: 'EXECUTE from_sql', parameters: [], success: false, error: 'not executed: an earlier message failed: boom' },
    ]);
  });

  it('flushes what is pending without an outcome when the session ends', () => {
    const events: QueryEvent[] = [];
    const t = new QueryAuditTracker((e) => events.push(e));
    t.onClient({ kind: 'query', sql: 'select pg_sleep(30)' });
    t.flush();
    assert.deepEqual(events, [{ statement: 'select pg_sleep(30)' }]);
  });
});

describe('renderParameter', () => {
  it('decodes common binary types and hex-encodes the rest', () => {
    assert.equal(renderParameter(Buffer.from('héllo'), 0), 'héllo');
    assert.equal(renderParameter(null, 1), 'NULL');
    assert.equal(renderParameter(Buffer.from([1]), 1, 16), 'true');
    assert.equal(renderParameter(Buffer.from([0xff, 0xfe]), 1, 21), '-2');
    assert.equal(renderParameter(Buffer.from('0000000000000064', 'hex'), 1, 20), '100');
    assert.equal(renderParameter(Buffer.from('3ff8000000000000', 'hex'), 1, 701), '1.5');
    assert.equal(renderParameter(Buffer.from('017b7d', 'hex'), 1, 3802), '{}');
    assert.equal(renderParameter(Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex'), 1, 2950), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    assert.equal(renderParameter(Buffer.from([0xde, 0xad]), 1, 17), '\\xdead');
    assert.equal(renderParameter(Buffer.from([1, 2, 3]), 1, 23), '\\x010203');
  });
});
