/** @module playback.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAsciicast } from './asciicast.ts';
import { Playback, type PlaybackSink } from './playback.ts';

function recorder(): PlaybackSink & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    write: (d) => log.push(`w:${d}`),
    reset: () => log.push('reset'),
    resize: (c, r) => log.push(`r:${c}x${r}`),
  };
}

const cast = parseAsciicast([
  '{"version":2,"width":80,"height":24}',
  '[0.5,"o","a"]',
  '[1.0,"o","b"]',
  '[1.5,"r","100x30"]',
  '[2.0,"o","c"]',
  '[2.5,"i","typed"]',
].join('\n'));

describe('playback', () => {
  it('starts reset at the recording size', () => {
    const s = recorder();
    new Playback(cast, s);
    assert.deepEqual(s.log, ['reset', 'r:80x24']);
  });
  it('writes forward in batches, applying resizes in order and skipping input', () => {
    const s = recorder();
    const p = new Playback(cast, s);
    s.log.length = 0;
    p.seek(1.0);
    assert.deepEqual(s.log, ['w:ab']);
    p.seek(10);
    assert.deepEqual(s.log, ['w:ab', 'r:100x30', 'w:c']);
    assert.equal(p.position, 2.5);
    assert.ok(p.ended);
  });
  it('replays from the start when seeking back', () => {
    const s = recorder();
    const p = new Playback(cast, s);
    p.seek(2);
    s.log.length = 0;
    p.seek(0.7);
    assert.deepEqual(s.log, ['reset', 'r:80x24', 'w:a']);
    assert.equal(p.position, 0.7);
  });
});
