/** @module asciicast.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatClock, indexAfter, parseAsciicast, parseResize } from './asciicast.ts';

const cast = [
  '{"version":2,"width":100,"height":30,"timestamp":1700000000}',
  '[0.5,"o","hello "]',
  'garbage',
  '[0.1,"o","$ "]',
  '[1.25,"r","120x40"]',
  '',
  '[2.0,"o","world\\r\\n"]',
].join('\n');

describe('asciicast', () => {
  it('parses the header and events, sorted, skipping bad lines', () => {
    const c = parseAsciicast(cast);
    assert.equal(c.width, 100);
    assert.equal(c.height, 30);
    assert.deepEqual(c.events.map((e) => e.time), [0.1, 0.5, 1.25, 2]);
    assert.equal(c.events[3]?.data, 'world\r\n');
    assert.equal(c.duration, 2);
  });
  it('rejects other versions and non-JSON headers', () => {
    assert.throws(() => parseAsciicast('{"version":1}'), /version 1/);
    assert.throws(() => parseAsciicast('nope'), /not in asciicast format/);
  });
  it('finds the events up to a time', () => {
    const { events } = parseAsciicast(cast);
    assert.equal(indexAfter(events, 0), 0);
    assert.equal(indexAfter(events, 0.5), 2);
    assert.equal(indexAfter(events, 10), 4);
  });
  it('parses resize data and formats clocks', () => {
    assert.deepEqual(parseResize('120x40'), { cols: 120, rows: 40 });
    assert.equal(parseResize('0x4'), null);
    assert.equal(parseResize('wide'), null);
    assert.equal(formatClock(65.9), '1:05');
    assert.equal(formatClock(3725), '1:02:05');
  });
});
