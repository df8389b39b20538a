/**
 * @module events/databaseEvents.test
 * Query events keep statements whole up to a limit, and say how much they cut beyond it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_AUDITED_QUERY_CHARS, truncateForAudit } from './databaseEvents.ts';

test('statements up to the limit are kept whole; longer ones are cut with a note', () => {
  const exact = 'x'.repeat(MAX_AUDITED_QUERY_CHARS);
  assert.equal(truncateForAudit(exact), exact);
  const long = `INSERT INTO t VALUES ('${'y'.repeat(MAX_AUDITED_QUERY_CHARS)}')`;
  const cut = truncateForAudit(long);
  assert.ok(cut.startsWith("INSERT INTO t VALUES ('y"));
  assert.match(cut, new RegExp(`\\[${long.length - MAX_AUDITED_QUERY_CHARS} more characters not recorded\\]$`));
});
