/**
 * @module events/databaseEvents.test
 * Query events keep statements whole up to a limit, and say how much they cut beyond it; the
 * per-session builder makes the same events as the one-off function.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEventInput } from '@teleport-ts/api/events/types';
import {
  databaseSessionEndEvent, databaseSessionQueryEvent, databaseSessionQueryEvents, MAX_AUDITED_QUERY_CHARS, truncateForAudit, type DatabaseQuery, type DatabaseSessionInfo,
} from './databaseEvents.ts';

test('statements up to the limit are kept whole; longer ones are cut with a note', () => {
  const exact = 'x'.repeat(MAX_AUDITED_QUERY_CHARS);
  assert.equal(truncateForAudit(exact), exact);
  const long = `INSERT INTO t VALUES ('${'y'.repeat(MAX_AUDITED_QUERY_CHARS)}')`;
  const cut = truncateForAudit(long);
  assert.ok(cut.startsWith("INSERT INTO t VALUES ('y"));
  assert.match(cut, new RegExp(`\\[${long.length - MAX_AUDITED_QUERY_CHARS} more characters not recorded\\]$`));
});

/**
 * databaseSessionQueryEvent as it was written before the per-session builder: the reference. The
 * session fields come from databaseSessionEndEvent (the shared base() layout), so a field added
 * there and not to the builder fails this test.
 */
function referenceQueryEvent(s: DatabaseSessionInfo & DatabaseQuery): AuditEventInput {
  const failed = s.success === false || s.error !== undefined;
  return {
    ...databaseSessionEndEvent(s),
    event: 'db.session.query',
    code: failed ? 'TDB02W' : 'TDB02I',
    db_query: truncateForAudit(s.query),
    ...(s.parameters && s.parameters.length > 0 && { db_query_parameters: s.parameters.map(truncateForAudit) }),
    success: !failed,
    ...(failed && { error: s.error ?? 'the database refused the statement' }),
  };
}

test('the per-session query event builder makes exactly the events (fields, order, codes) of databaseSessionQueryEvent', () => {
  const sessions: DatabaseSessionInfo[] = [
    { sid: 's1', user: 'alice', dbService: 'pg', dbProtocol: 'postgres', dbURI: 'db:5432', dbUser: 'alice', dbName: 'test', serverId: 'h1', serverHostname: 'db-agent', remoteAddr: '127.0.0.1:5000', dbLabels: { env: 'prod' } },
    { sid: 's2', user: 'bob', dbService: 'maria', dbProtocol: 'mysql', dbURI: 'db:3306', dbUser: 'bob', dbName: '' },
  ];
  const queries = [
    { query: 'select 1' },
    { query: 'select $1', parameters: ['42'], success: true },
    { query: 'select $1', parameters: [] },
    { query: 'insert', success: false, error: 'duplicate key' },
    { query: 'update', error: 'boom' },
    { query: 'delete', success: false },
    { query: 'x'.repeat(MAX_AUDITED_QUERY_CHARS + 10), parameters: ['y'.repeat(MAX_AUDITED_QUERY_CHARS + 1)] },
  ];
  for (const s of sessions) {
    const build = databaseSessionQueryEvents(s);
    for (const q of queries) {
      const want = JSON.stringify(referenceQueryEvent({ ...s, ...q }));
      assert.equal(JSON.stringify(build(q)), want);
      assert.equal(JSON.stringify(databaseSessionQueryEvent({ ...s, ...q })), want);
    }
    // Events of one session are independent objects.
    const a = build(queries[0] as DatabaseQuery);
    const b = build(queries[3] as DatabaseQuery);
    assert.notEqual(a, b);
    assert.equal(a.code, 'TDB02I');
    assert.equal(b.code, 'TDB02W');
  }
});
