/**
 * @module sshcert/wire.test
 * The RFC 4251 encodings, including the mpint examples from section 5, and truncation handling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '../errors.ts';
import { SSHReader, SSHWriter, bigintToBytes, bytesToBigint } from './wire.ts';

const hex = (b: Buffer): string => b.toString('hex');

test('mpint encodes the RFC 4251 examples', () => {
  assert.equal(hex(new SSHWriter().mpint(0n).finish()), '00000000');
  assert.equal(hex(new SSHWriter().mpint(0x9a378f9b2e332a7n).finish()), '0000000809a378f9b2e332a7');
  assert.equal(hex(new SSHWriter().mpint(0x80n).finish()), '000000020080');
  // Leading zeros in a magnitude are stripped.
  assert.equal(hex(new SSHWriter().mpint(Buffer.from('000080', 'hex')).finish()), '000000020080');
});

test('writer and reader round-trip every type', () => {
  const buf = new SSHWriter()
    .uint8(7).bool(true).uint32(0xdeadbeef).uint64(0xffffffffffffffffn).string('héllo').string(Buffer.of(1, 2))
    .mpint(Buffer.from('ff01', 'hex')).raw(Buffer.of(9))
    .finish();
  const r = new SSHReader(buf);
  assert.equal(r.uint8(), 7);
  assert.equal(r.bool(), true);
  assert.equal(r.uint32(), 0xdeadbeef);
  assert.equal(r.uint64(), 0xffffffffffffffffn);
  assert.equal(r.utf8(), 'héllo');
  assert.deepEqual([...r.string()], [1, 2]);
  assert.equal(hex(r.mpint()), 'ff01');
  assert.deepEqual([...r.raw(1)], [9]);
  r.done();
});

test('reader rejects truncation, trailing bytes, negative mpints and bad UTF-8', () => {
  assert.throws(() => new SSHReader(Buffer.from('000000ff01', 'hex'), 'thing').string(), (e) =>
    e instanceof BadParameterError && /thing is truncated/.test(e.message));
  assert.throws(() => new SSHReader(Buffer.of(0, 0)).uint32(), BadParameterError);
  assert.throws(() => new SSHReader(Buffer.of(1)).done(), /1 unexpected trailing bytes/);
  assert.throws(() => new SSHReader(Buffer.from('0000000180', 'hex')).mpint(), /negative/);
  assert.throws(() => new SSHReader(Buffer.from('00000001ff', 'hex')).utf8(), /not valid UTF-8/);
});

test('writer rejects out-of-range integers', () => {
  assert.throws(() => new SSHWriter().uint32(2 ** 32), BadParameterError);
  assert.throws(() => new SSHWriter().uint64(-1n), BadParameterError);
  assert.throws(() => new SSHWriter().uint8(256), BadParameterError);
});

test('bigint conversions', () => {
  assert.equal(bigintToBytes(0n).length, 0);
  assert.equal(hex(bigintToBytes(0x10001n)), '010001');
  assert.equal(bytesToBigint(Buffer.from('010001', 'hex')), 0x10001n);
  assert.equal(bytesToBigint(Buffer.alloc(0)), 0n);
});
