/**
 * @module ca/der.test
 * The DER writer and reader against hand-checked encodings (X.690 examples, RFC 5280 times), node's
 * own PEM output, and the SPKI fast path of ca/subjectPublicKey against OpenSSL's parser and encoder.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ECDH, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { systemClock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import { generateKeyPair, KEY_ALGORITHMS, publicKeyFromPEM, publicKeyToPEM, privateKeyToPEM } from '@teleport-ts/api/keys';
import { fromSinglePEM, namedBits, oid, readChildren, readElement, sequence, tlv, toPEM, unsignedInteger, x509Time } from './der.ts';
import { ipAddressBytes } from './x509Encoder.ts';
import { parseSubjectPublicKey, spkiOf } from './subjectPublicKey.ts';
import { createTLSCA } from './tlsCA.ts';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER writer', () => {
  it('writes minimal lengths in short and long form', () => {
    assert.equal(hex(tlv(0x04, Buffer.alloc(0))), '0400');
    assert.equal(hex(tlv(0x04, Buffer.alloc(127)).subarray(0, 2)), '047f');
    assert.equal(hex(tlv(0x04, Buffer.alloc(128)).subarray(0, 3)), '048180');
    assert.equal(hex(tlv(0x04, Buffer.alloc(256)).subarray(0, 4)), '04820100');
    assert.equal(hex(tlv(0x04, Buffer.alloc(70_000)).subarray(0, 5)), '0483011170');
    assert.equal(hex(tlv(0x30, [Buffer.of(1), Buffer.of(2, 3)])), '3003010203');
  });

  it('encodes object identifiers, including multi-byte arcs', () => {
    assert.equal(hex(oid('2.5.4.3')), '0603550403');
    assert.equal(hex(oid('1.2.840.113549.1.1.11')), '06092a864886f70d01010b');
    assert.equal(hex(oid('1.3.9999.2.18')), '06052bce0f0212');
    assert.equal(hex(oid('2.999.3')), '0603883703');
    for (const bad of ['1', '3.1', '1.40', 'a.b', '1..2']) assert.throws(() => oid(bad), BadParameterError, bad);
  });

  it('keeps INTEGERs minimal and positive', () => {
    assert.equal(hex(unsignedInteger(Buffer.of(0, 0, 1))), '020101');
    assert.equal(hex(unsignedInteger(Buffer.of(0x80))), '02020080');
    assert.equal(hex(unsignedInteger(Buffer.of(0, 0x7f))), '02017f');
    assert.equal(hex(unsignedInteger(Buffer.of(0))), '020100');
  });

  it('writes named bits without trailing zero bits', () => {
    assert.equal(hex(namedBits([0])), '03020780');
    assert.equal(hex(namedBits([0, 2])), '030205a0');
    assert.equal(hex(namedBits([5, 6])), '03020106');
    assert.equal(hex(namedBits([8])), '0303070080');
  });

  it('writes UTCTime for 1950-2049 and GeneralizedTime outside, in whole seconds (RFC 5280 4.1.2.5)', () => {
    assert.equal(x509Time(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toString('latin1'), '\x17\x0d260102030405Z');
    assert.equal(x509Time(new Date(Date.UTC(2049, 11, 31, 23, 59, 59))).toString('latin1'), '\x17\x0d491231235959Z');
    assert.equal(x509Time(new Date(Date.UTC(2050, 0, 1))).toString('latin1'), '\x18\x0f20500101000000Z');
    assert.equal(x509Time(new Date(Date.UTC(1949, 11, 31))).toString('latin1'), '\x18\x0f19491231000000Z');
    assert.equal(x509Time(new Date(Date.UTC(1950, 0, 1))).toString('latin1'), '\x17\x0d500101000000Z');
    assert.throws(() => x509Time(new Date(NaN)), BadParameterError);
  });

  it('writes PEM exactly as node does', () => {
    const ca = createTLSCA({ clusterName: 'example.com', caType: 'host', algorithm: 'rsa-2048', clock: systemClock });
    const cert = new X509Certificate(ca.certPEM);
    assert.equal(toPEM('CERTIFICATE', cert.raw), cert.toString());
    assert.deepEqual(fromSinglePEM('CERTIFICATE', `\n  ${ca.certPEM}\n`), cert.raw);
    assert.equal(fromSinglePEM('PUBLIC KEY', ca.certPEM), undefined);
    assert.equal(fromSinglePEM('CERTIFICATE', ca.certPEM + ca.certPEM), undefined);
  });
});

describe('DER reader', () => {
  it('walks elements and children', () => {
    const buf = Buffer.from('300a0201010403616263050000', 'hex');
    const top = readElement(buf, 0);
    assert.deepEqual(top, { tag: 0x30, start: 0, contentStart: 2, end: 12 });
    assert.deepEqual(readChildren(buf, top).map((e) => e.tag), [0x02, 0x04, 0x05]);
    const long = tlv(0x04, Buffer.alloc(300));
    assert.deepEqual(readElement(long, 0), { tag: 4, start: 0, contentStart: 4, end: 304 });
  });

  it('refuses truncated, indefinite, non-minimal and overlong input', () => {
    for (const bad of ['', '30', '3005020101', '3080', '30810100', '3f0100', '30820005' + '00'.repeat(5)]) {
      assert.throws(() => readElement(Buffer.from(bad, 'hex'), 0), BadParameterError, bad);
    }
    const buf = Buffer.from('30030205010203', 'hex');
    assert.throws(() => readChildren(buf, { tag: 0x30, start: 0, contentStart: 2, end: 5 }), BadParameterError);
  });
});

describe('IP addresses for subjectAltName', () => {
  it('encodes IPv4, IPv6 (compressed, full, dotted-quad tail) and refuses the rest', () => {
    assert.equal(hex(ipAddressBytes('127.0.0.1')), '7f000001');
    assert.equal(hex(ipAddressBytes('::1')), '00000000000000000000000000000001');
    assert.equal(hex(ipAddressBytes('::')), '0'.repeat(32));
    assert.equal(hex(ipAddressBytes('2001:db8::8a2e:370:7334')), '20010db80000000000008a2e03707334');
    assert.equal(hex(ipAddressBytes('2001:db8:0:0:1:0:0:1')), '20010db8000000000001000000000001');
    assert.equal(hex(ipAddressBytes('::ffff:192.168.1.2')), '00000000000000000000ffffc0a80102');
    assert.equal(hex(ipAddressBytes('1::')), '00010000000000000000000000000000');
    for (const bad of ['localhost', '1.2.3', 'fe80::1%eth0', '', '::1::']) assert.throws(() => ipAddressBytes(bad), /not an IP address/, bad);
  });
});

describe('subject public keys', () => {
  for (const alg of KEY_ALGORITHMS) {
    it(`${alg}: same key and SPKI as OpenSSL's parser and encoder`, () => {
      const { publicKey, privateKey } = generateKeyPair(alg);
      const pem = publicKeyToPEM(publicKey);
      const fast = parseSubjectPublicKey(pem);
      const slow = publicKeyFromPEM(pem);
      assert.ok(fast.equals(slow));
      assert.deepEqual(spkiOf(fast), slow.export({ type: 'spki', format: 'der' }));
      assert.deepEqual(spkiOf(privateKey), slow.export({ type: 'spki', format: 'der' }));
      // A private key PEM is accepted by the general parser (its public half): still the same.
      assert.ok(parseSubjectPublicKey(privateKeyToPEM(privateKey)).equals(slow));
    });
  }

  it('takes the general path for other encodings and refuses what OpenSSL refuses', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    assert.ok(parseSubjectPublicKey(pkcs1).equals(rsa.publicKey));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    assert.ok(parseSubjectPublicKey(publicKeyToPEM(p384)).equals(p384));

    // A compressed P-256 point is valid: OpenSSL parses it, and its SPKI keeps the compressed form as before.
    const p256 = generateKeyPair('ecdsa-p256').publicKey;
    const der = p256.export({ type: 'spki', format: 'der' });
    const compressed = Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
      ECDH.convertKey(der.subarray(26), 'prime256v1', undefined, undefined, 'compressed') as Buffer,
    ]);
    const parsed = parseSubjectPublicKey(toPEM('PUBLIC KEY', compressed));
    assert.ok(parsed.equals(p256));
    assert.deepEqual(spkiOf(parsed), compressed);

    const offCurve = Buffer.from(der);
    offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] ?? 0) ^ 1;
    assert.throws(() => parseSubjectPublicKey(toPEM('PUBLIC KEY', offCurve)), BadParameterError);
    assert.throws(() => publicKeyFromPEM(toPEM('PUBLIC KEY', offCurve)), BadParameterError);
    assert.throws(() => parseSubjectPublicKey('not a key'), BadParameterError);
    assert.throws(() => parseSubjectPublicKey(toPEM('PUBLIC KEY', Buffer.from('3003020101', 'hex'))), BadParameterError);

    // RSA with a non-minimal exponent INTEGER: not canonical, so OpenSSL decides, exactly as before.
    const n = Buffer.from(rsa.publicKey.export({ format: 'jwk' }).n ?? '', 'base64url');
    const odd = sequence(
      sequence(oid('1.2.840.113549.1.1.1'), tlv(0x05, Buffer.alloc(0))),
      tlv(0x03, [Buffer.of(0), sequence(unsignedInteger(n), tlv(0x02, Buffer.from('00010001', 'hex')))]),
    );
    const outcome = (f: () => KeyObject): string => {
      try {
        return f().export({ type: 'spki', format: 'der' }).toString('hex');
      } catch (err) {
        return (err as Error).constructor.name;
      }
    };
    assert.equal(outcome(() => parseSubjectPublicKey(toPEM('PUBLIC KEY', odd))), outcome(() => publicKeyFromPEM(toPEM('PUBLIC KEY', odd))));
  });
});
