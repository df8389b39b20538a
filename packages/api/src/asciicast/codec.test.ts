/**
 * @module asciicast/codec.test
 * Golden tests: the encoder reproduces testdata/session.cast byte for byte, the parser reads it and a
 * file written by asciinema itself (extra header fields, "i" events, an unknown code, a blank line),
 * and malformed input is refused with the line number.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BadParameterError } from '../errors.ts';
import { encodeEvent, encodeHeader, parseResize, resizeData, type AsciicastEvent } from './codec.ts';
import { parseAsciicast } from './parser.ts';

const testdata = (name: string): Promise<Buffer> => readFile(path.join(import.meta.dirname, 'testdata', name));

/** The events of testdata/session.cast. */
const sessionEvents: AsciicastEvent[] = [
  { time: 0, code: 'o', data: '\x1b[?2004h\x1b[01;32malice@node\x1b[00m:~$ ' },
  { time: 0.512345, code: 'o', data: 'echo héllo 日本 🚀\r\n' },
  { time: 0.6, code: 'o', data: 'héllo 日本 🚀\r\n\x1b[?2004l\r' },
  { time: 1.25, code: 'r', data: '100x30' },
  { time: 2, code: 'm', data: 'checkpoint' },
  { time: 3.000001, code: 'o', data: '"quoted" \\ tab\there\x07\r\n' },
];

describe('asciicast encoding', () => {
  it('reproduces the golden file byte for byte', async () => {
    let text = encodeHeader({ width: 80, height: 24, timestamp: 1767225600.9, env: { TERM: 'xterm-256color', SHELL: '/bin/bash' } });
    for (const e of sessionEvents) text += encodeEvent(e.time, e.code as 'o' | 'r' | 'm', e.data);
    assert.equal(text, (await testdata('session.cast')).toString('utf8'));
  });

  it('writes the header in asciinema\'s layout, env and title only when given', () => {
    assert.equal(encodeHeader({ width: 120, height: 40, timestamp: 0 }), '{"version": 2, "width": 120, "height": 40, "timestamp": 0}\n');
    assert.equal(encodeHeader({ width: 1, height: 1, timestamp: 5, env: {}, title: 'a "b"' }),
      '{"version": 2, "width": 1, "height": 1, "timestamp": 5, "title": "a \\"b\\""}\n');
  });

  it('escapes control characters and keeps other text readable', () => {
    assert.equal(encodeEvent(0.1, 'o', '\x00\x1b\u2028é'), '[0.100000, "o", "\\u0000\\u001b\u2028é"]\n');
  });

  it('refuses bad times, sizes and resize data', () => {
    assert.throws(() => encodeEvent(-1, 'o', 'x'), BadParameterError);
    assert.throws(() => encodeEvent(Number.NaN, 'o', 'x'), BadParameterError);
    assert.throws(() => encodeEvent(1, 'r', '80*24'), /must be "WxH"/);
    assert.throws(() => encodeHeader({ width: 0, height: 24, timestamp: 0 }), /terminal size/);
    assert.throws(() => resizeData(80.5, 24), BadParameterError);
    assert.equal(resizeData(80, 24), '80x24');
    assert.deepEqual(parseResize('132x43'), { width: 132, height: 43 });
    assert.throws(() => parseResize('0x43'), BadParameterError);
  });
});

describe('asciicast parsing', () => {
  it('reads the golden file', async () => {
    const cast = parseAsciicast(await testdata('session.cast'));
    assert.deepEqual(cast.header, { version: 2, width: 80, height: 24, timestamp: 1767225600, env: { TERM: 'xterm-256color', SHELL: '/bin/bash' } });
    assert.deepEqual(cast.events, sessionEvents);
  });

  it('reads a file recorded by asciinema, keeping unknown fields and codes', async () => {
    const cast = parseAsciicast((await testdata('asciinema.cast')).toString('utf8'));
    assert.equal(cast.header.idle_time_limit, 2);
    assert.equal(cast.header.title, 'demo');
    assert.deepEqual(cast.header.theme, { fg: '#d0d0d0' });
    assert.deepEqual(cast.events.map((e) => [e.time, e.code]), [[0.248848, 'o'], [1.001376, 'o'], [1.5, 'i'], [2.143733, 'o'], [6.541828, 'o'], [7, 'x']]);
    assert.equal(cast.events[0]?.data, '\x1b[1;31mHello \x1b[32mWorld!\x1b[0m\n');
  });

  it('refuses asciicast v1 and says so', async () => {
    const v1 = await testdata('v1.cast');
    assert.throws(() => parseAsciicast(v1), /line 1: unsupported version 1: only asciicast v2/);
  });

  it('names the broken line', async () => {
    const broken = await testdata('broken.cast');
    assert.throws(() => parseAsciicast(broken), (err: unknown) => {
      assert.ok(err instanceof BadParameterError);
      assert.match(err.message, /^asciicast line 3: not valid JSON/);
      return true;
    });
  });

  it('refuses malformed headers and events', () => {
    assert.throws(() => parseAsciicast(''), /no header line/);
    assert.throws(() => parseAsciicast('[0, "o", "x"]\n'), /line 1: expected the header object/);
    assert.throws(() => parseAsciicast('{"version": 2, "width": 80}\n'), /positive integer "width" and "height"/);
    const head = '{"version": 2, "width": 80, "height": 24}\n';
    assert.throws(() => parseAsciicast(`${head}{"t": 1}\n`), /line 2: expected an event/);
    assert.throws(() => parseAsciicast(`${head}[-1, "o", "x"]\n`), /line 2: event time must be a non-negative number/);
    assert.throws(() => parseAsciicast(`${head}[1, "o", 5]\n`), /line 2: event code and data must be strings/);
  });
});
