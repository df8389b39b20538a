/**
 * @module proxy/db/clientHello.test
 * Golden tests of the ClientHello codec over real ClientHellos captured from Node's tls.connect and
 * `openssl s_client -alpn` (testdata/README.md), byte-at-a-time feeding, a hello split over two
 * records, and garbage that must give `not-tls` without throwing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseClientHello } from './clientHello.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`./testdata/${name}`, import.meta.url));

const golden: Array<[string, { serverName?: string; alpn: string[] }]> = [
  ['clienthello-node-postgres.bin', { serverName: 'db.example.com', alpn: ['teleport-postgres'] }],
  ['clienthello-node-mysql-tls12.bin', { serverName: 'proxy.example.com', alpn: ['teleport-mysql', 'http/1.1'] }],
  ['clienthello-node-plain.bin', { alpn: [] }],
  ['clienthello-openssl-alpn.bin', { serverName: 'localhost', alpn: ['teleport-postgres', 'h2', 'http/1.1'] }],
];

describe('parseClientHello', () => {
  for (const [name, want] of golden) {
    it(`reads SNI and ALPN from ${name}`, () => {
      const bytes = fixture(name);
      assert.deepEqual(parseClientHello(bytes), { kind: 'client-hello', ...want, length: bytes.length });
      // Trailing bytes (the client's next flight) do not change the answer.
      assert.deepEqual(parseClientHello(Buffer.concat([bytes, Buffer.from('more')])), { kind: 'client-hello', ...want, length: bytes.length });
    });
  }

  it('asks for more until the whole hello is there, and says how much', () => {
    const bytes = fixture('clienthello-node-postgres.bin');
    assert.deepEqual(parseClientHello(Buffer.alloc(0)), { kind: 'need-more', need: 5 });
    assert.deepEqual(parseClientHello(bytes.subarray(0, 3)), { kind: 'need-more', need: 2 });
    assert.deepEqual(parseClientHello(bytes.subarray(0, 5)), { kind: 'need-more', need: bytes.length - 5 });
    for (let i = 1; i < bytes.length; i++) assert.equal(parseClientHello(bytes.subarray(0, i)).kind, 'need-more', `at ${i} bytes`);
  });

  it('joins a ClientHello fragmented over several records', () => {
    const bytes = fixture('clienthello-openssl-alpn.bin');
    const body = bytes.subarray(5);
    const record = (frag: Buffer): Buffer => Buffer.concat([Buffer.from([0x16, 3, 1, frag.length >> 8, frag.length & 0xff]), frag]);
    const split = Buffer.concat([record(body.subarray(0, 2)), record(body.subarray(2, 100)), record(body.subarray(100))]);
    assert.deepEqual(parseClientHello(split), { kind: 'client-hello', serverName: 'localhost', alpn: ['teleport-postgres', 'h2', 'http/1.1'], length: split.length });
    assert.equal(parseClientHello(split.subarray(0, split.length - 1)).kind, 'need-more');
  });

  it('says "not TLS" for other protocols and garbage, never throwing', () => {
    const sslRequest = Buffer.from('0000000804d2162f', 'hex');
    assert.match((parseClientHello(sslRequest) as { reason: string }).reason, /first byte 0x00 is not a TLS handshake record/);
    assert.equal(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')).kind, 'not-tls');
    assert.equal(parseClientHello(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')).kind, 'not-tls');
    // A handshake record that is not a ClientHello (a ServerHello, type 2).
    assert.match((parseClientHello(Buffer.from('16030300040200000000', 'hex')) as { reason: string }).reason, /not a ClientHello/);
    // A record too long to be real.
    assert.match((parseClientHello(Buffer.from('1603037fff', 'hex')) as { reason: string }).reason, /out of range/);
    // A hello whose inner lengths lie.
    const bytes = Buffer.from(fixture('clienthello-node-postgres.bin'));
    bytes.writeUInt16BE(0xffff, 5 + 4 + 2 + 32 + 1 + bytes[5 + 4 + 2 + 32]!); // cipher suite length
    assert.match((parseClientHello(bytes) as { reason: string }).reason, /truncated/);
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(1 + (i % 400));
      if (i % 2 === 0) junk[0] = 0x16;
      if (i % 4 === 0) junk[1] = 3;
      const r = parseClientHello(junk);
      assert.ok(['need-more', 'not-tls', 'client-hello'].includes(r.kind));
    }
  });

  it('mutating any single byte of a real hello never throws', () => {
    const base = fixture('clienthello-node-mysql-tls12.bin');
    for (let i = 0; i < base.length; i++) {
      for (const v of [0x00, 0xff, base[i]! ^ 0x01]) {
        const b = Buffer.from(base);
        b[i] = v;
        parseClientHello(b);
      }
    }
  });
});
