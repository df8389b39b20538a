/**
 * @module tool/tsh/progressBar.test
 * The scp progress line: its text, and redraw throttling.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { formatBytes, formatProgress, ProgressBar } from './progressBar.ts';

describe('scp progress bar', () => {
  it('formats sizes, percentages and rates', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MB');
    assert.equal(formatProgress('f.bin', 50, 100, 1000, 10), 'f.bin  50% [====>     ] 50 B 50 B/s');
    assert.equal(formatProgress('f.bin', 100, 100, 0, 10), 'f.bin 100% [==========] 100 B');
    assert.equal(formatProgress('empty', 0, 0, 0, 4), 'empty 100% [====] 0 B');
  });
  it('redraws at most every 100ms, always at the end, and ends the line', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    let t = 0;
    const bar = new ProgressBar(out, () => t);
    bar.update('a', 0, 10);
    t = 50;
    bar.update('a', 5, 10);
    t = 60;
    bar.update('a', 10, 10);
    bar.finish();
    bar.finish();
    assert.equal(text.split('\r\x1b[K').length - 1, 2);
    assert.match(text, /a 100% \[=+\] 10 B 167 B\/s\n$/);
  });
});
