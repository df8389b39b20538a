/**
 * @module asciicast/parser.test
 * Streaming: lines and UTF-8 characters split across chunks, the unterminated last line, and a
 * round-trip property - random sessions encoded, cut at random byte positions and parsed back give
 * the same events, and terminal bytes decoded in random chunks come back byte-identical.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEvent, encodeHeader, type AsciicastEvent, type AsciicastHeader } from './codec.ts';
import { AsciicastParser, parseAsciicast } from './parser.ts';
import { encodeOutput, OutputDecoder } from './text.ts';

/** mulberry32: a small seeded PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits bytes at random points (including empty chunks). */
function randomChunks(bytes: Uint8Array, rand: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = Math.floor(rand() * 12);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

const alphabet = ['a', 'Z', ' ', '\r', '\n', '\t', '\x1b[0m', '\x1b', '"', '\\', '\x00', '\x7f', 'é', 'ß', '日本', '🚀', '\u2028', '\ufeff', '\ufffd', '{', ']', ','];
function randomText(rand: () => number): string {
  let s = '';
  const n = Math.floor(rand() * 20);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

function parseInChunks(chunks: Array<Uint8Array | string>): AsciicastEvent[] {
  const p = new AsciicastParser();
  const events = chunks.flatMap((c) => p.push(c));
  return [...events, ...p.end()];
}

describe('AsciicastParser', () => {
  const file = encodeHeader({ width: 80, height: 24, timestamp: 0 }) + encodeEvent(0.5, 'o', '日本🚀\r\n') + encodeEvent(1, 'r', '100x30');

  it('handles lines and characters split across chunks, one byte at a time', () => {
    const bytes = encodeOutput(file);
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    assert.deepEqual(parseInChunks(chunks), [{ time: 0.5, code: 'o', data: '日本🚀\r\n' }, { time: 1, code: 'r', data: '100x30' }]);
  });

  it('returns events as soon as their line is complete and sets the header', () => {
    const p = new AsciicastParser();
    const [head, rest] = [file.slice(0, 30), file.slice(30)];
    assert.deepEqual(p.push(head), []);
    const header = (): AsciicastHeader | undefined => p.header; // a call, so the assert below does not narrow it forever
    assert.equal(header(), undefined);
    const evs = p.push(rest.slice(0, rest.indexOf('100x')));
    assert.equal(header()?.width, 80);
    assert.deepEqual(evs, [{ time: 0.5, code: 'o', data: '日本🚀\r\n' }]);
    assert.equal(p.buffered, '[1.000000, "r", "');
  });

  it('parses an unterminated last line only at end()', () => {
    const p = new AsciicastParser();
    assert.deepEqual(p.push('{"version": 2, "width": 2, "height": 2}\n[1, "o", "x"]'), []);
    assert.deepEqual(p.end(), [{ time: 1, code: 'o', data: 'x' }]);
    assert.throws(() => p.push('more'), /push after end/);
  });

  it('accepts CRLF line endings', () => {
    assert.deepEqual(parseAsciicast('{"version": 2, "width": 2, "height": 2}\r\n[1, "o", "x"]\r\n').events, [{ time: 1, code: 'o', data: 'x' }]);
  });

  it('round-trips random sessions cut at random byte positions', () => {
    const rand = rng(42);
    for (let iter = 0; iter < 300; iter++) {
      const events: AsciicastEvent[] = [];
      let t = 0;
      let text = encodeHeader({ width: 80, height: 24, timestamp: 1767225600 });
      for (let i = Math.floor(rand() * 10); i > 0; i--) {
        t += Math.round(rand() * 3e6) / 1e6;
        const e: AsciicastEvent = rand() < 0.1 ? { time: t, code: 'r', data: `${1 + Math.floor(rand() * 300)}x${1 + Math.floor(rand() * 100)}` } : { time: t, code: 'o', data: randomText(rand) };
        events.push(e);
        text += encodeEvent(e.time, e.code as 'o' | 'r', e.data);
      }
      const got = parseInChunks(randomChunks(encodeOutput(text), rand));
      assert.deepEqual(got.map((e) => [e.code, e.data]), events.map((e) => [e.code, e.data]), `iteration ${iter}`);
      got.forEach((e, i) => assert.ok(Math.abs(e.time - (events[i]?.time ?? NaN)) < 1e-6));
    }
  });
});

describe('OutputDecoder', () => {
  it('gives back the exact bytes of UTF-8 output decoded in random chunks', () => {
    const rand = rng(7);
    for (let iter = 0; iter < 300; iter++) {
      const original = encodeOutput(Array.from({ length: 5 }, () => randomText(rand)).join(''));
      const d = new OutputDecoder();
      const text = randomChunks(original, rand).map((c) => d.decode(c)).join('') + d.flush();
      assert.deepEqual(encodeOutput(text), original, `iteration ${iter}`);
    }
  });

  it('keeps a leading byte-order mark', () => {
    const d = new OutputDecoder();
    assert.equal(d.decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41)), '\ufeffA');
  });

  it('replaces invalid bytes with U+FFFD the same way however the stream is cut', () => {
    const rand = rng(99);
    for (let iter = 0; iter < 200; iter++) {
      const bytes = Uint8Array.from({ length: 40 }, () => (rand() < 0.5 ? 0x41 : 0x80 + Math.floor(rand() * 0x80)));
      const whole = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
      const d = new OutputDecoder();
      assert.equal(randomChunks(bytes, rand).map((c) => d.decode(c)).join('') + d.flush(), whole);
    }
    const d = new OutputDecoder();
    assert.equal(d.decode(Uint8Array.of(0x61, 0xff, 0x62, 0xe6, 0x97)) + d.flush(), 'a\ufffdb\ufffd');
  });
});
