/**
 * @module proxy/db/postgresCancel.test
 * The pure parts of cancel routing and refusals: BackendKeyData found in the backend's startup
 * messages however they are split, the startup phase ending without one, and the exact bytes of the
 * proxy's PostgreSQL ErrorResponse and MySQL ERR packet.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BackendKeySniffer } from './postgresCancel.ts';
import { mysqlErrPacket, postgresErrorResponse } from './protocolErrors.ts';

const msg = (type: string, body: Buffer): Buffer => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'ascii');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const AUTH_OK = msg('R', Buffer.from('00000000', 'hex'));
const PARAM = msg('S', Buffer.from('server_version\x0015.18\x00', 'latin1'));
const KEY = msg('K', Buffer.from('000010920a0b0c0d', 'hex'));
const READY = msg('Z', Buffer.from('I'));

describe('BackendKeySniffer', () => {
  it('finds the key after AuthenticationOk and ParameterStatus, fed byte by byte', () => {
    const all = Buffer.concat([AUTH_OK, PARAM, KEY, READY]);
    const s = new BackendKeySniffer();
    let found: Buffer | null | undefined;
    for (let i = 0; i < all.length && found === undefined; i++) found = s.push(all.subarray(i, i + 1));
    assert.deepEqual(found, Buffer.from('000010920a0b0c0d', 'hex'));
  });

  it('gives up at ReadyForQuery or ErrorResponse without a key, and on garbage', () => {
    assert.equal(new BackendKeySniffer().push(Buffer.concat([AUTH_OK, READY])), null);
    assert.equal(new BackendKeySniffer().push(postgresErrorResponse('no')), null);
    assert.equal(new BackendKeySniffer().push(Buffer.from('R\xff\xff\xff\xff', 'latin1')), null);
    assert.equal(new BackendKeySniffer().push(AUTH_OK.subarray(0, 3)), undefined);
  });
});

describe('protocol errors', () => {
  it('PostgreSQL ErrorResponse: FATAL, SQLSTATE, message', () => {
    assert.equal(postgresErrorResponse('denied').toString('latin1'), 'E\x00\x00\x00\x22SFATAL\x00VFATAL\x00C28000\x00Mdenied\x00\x00');
  });
  it('MySQL ERR packet: header, 0xff, code LE, #sqlstate, message', () => {
    assert.equal(mysqlErrPacket('denied', 3).toString('hex'), `0f000003ff1504${Buffer.from('#28000denied').toString('hex')}`);
  });
});
