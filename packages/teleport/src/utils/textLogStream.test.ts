/** The text log form keeps every field and passes non-JSON through. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLine, textLogStream } from './textLogStream.ts';

describe('text log format', () => {
  it('renders time, level, component, message and the other fields', () => {
    const line = JSON.stringify({ level: 'info', time: '2026-11-21T05:51:55.066Z', pid: 1, component: 'proxy', msg: 'listening', addr: '127.0.0.1:3080', n: 2 });
    assert.equal(formatLine(line), '2026-11-21T05:51:55.066Z INFO  [proxy] listening addr:127.0.0.1:3080 n:2');
    assert.equal(formatLine('not json'), 'not json');
  });

  it('splits chunks into lines', () => {
    const out: string[] = [];
    textLogStream((l) => out.push(l)).write(`${JSON.stringify({ level: 'warn', msg: 'a' })}\n${JSON.stringify({ level: 'error', msg: 'b' })}\n`);
    assert.deepEqual(out, [' WARN  a\n', ' ERROR b\n']);
  });
});
