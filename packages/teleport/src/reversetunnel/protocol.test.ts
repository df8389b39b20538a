/**
 * @module reversetunnel/protocol.test
 * The tunnel framing against fixed bytes: dial request and replies, control messages, chunks split at
 * every byte or merged, oversize frames and malformed messages refused with clear errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeFrame, FrameDecoder, MAX_FRAME_SIZE, parseControlMessage, parseDialReply, parseDialRequest,
} from './protocol.ts';

const DIAL_REQUEST_HEX =
  '00000041' + Buffer.from('{"type":"node","target":"5d3c1c2e","client_addr":"10.0.0.1:5000"}').toString('hex');
const GOLDEN = {
  dialRequest: Buffer.from(
    '000000417b2274797065223a226e6f6465222c22746172676574223a223564336331633265222c22636c69656e745f61646472223a2231302e302e302e313a35303030227d',
    'hex',
  ),
  ok: Buffer.from('0000000b7b226f6b223a747275657d', 'hex'),
  refused: Buffer.from('000000237b226f6b223a66616c73652c226572726f72223a226e6f207375636820686f7374227d', 'hex'),
  ping: Buffer.from('0000000f7b2274797065223a2270696e67227d', 'hex'),
};

describe('reverse tunnel protocol', () => {
  test('encodes the dial request, replies and a ping to the golden bytes', () => {
    assert.equal(GOLDEN.dialRequest.toString('hex'), DIAL_REQUEST_HEX);
    assert.deepEqual(encodeFrame({ type: 'node', target: '5d3c1c2e', client_addr: '10.0.0.1:5000' }), GOLDEN.dialRequest);
    assert.deepEqual(encodeFrame({ ok: true }), GOLDEN.ok);
    assert.deepEqual(encodeFrame({ ok: false, error: 'no such host' }), GOLDEN.refused);
    assert.deepEqual(encodeFrame({ type: 'ping' }), GOLDEN.ping);
  });

  test('decodes the golden bytes', () => {
    const d = new FrameDecoder();
    const [req] = d.push(GOLDEN.dialRequest);
    assert.deepEqual(parseDialRequest(req), { type: 'node', target: '5d3c1c2e', client_addr: '10.0.0.1:5000' });
    assert.deepEqual(parseDialReply(d.push(GOLDEN.ok)[0]), { ok: true });
    assert.deepEqual(parseDialReply(d.push(GOLDEN.refused)[0]), { ok: false, error: 'no such host' });
    assert.deepEqual(parseControlMessage(d.push(GOLDEN.ping)[0]), { type: 'ping' });
  });

  test('frames split at every byte come out whole', () => {
    const all = Buffer.concat([GOLDEN.dialRequest, GOLDEN.ok, GOLDEN.ping]);
    const d = new FrameDecoder();
    const out: unknown[] = [];
    for (let i = 0; i < all.length; i++) out.push(...d.push(all.subarray(i, i + 1)));
    assert.deepEqual(out, [{ type: 'node', target: '5d3c1c2e', client_addr: '10.0.0.1:5000' }, { ok: true }, { type: 'ping' }]);
    assert.equal(d.rest().length, 0);
  });

  test('merged frames in one chunk, with a partial frame left over', () => {
    const d = new FrameDecoder();
    const chunk = Buffer.concat([GOLDEN.ok, GOLDEN.ping, GOLDEN.refused.subarray(0, 7)]);
    assert.deepEqual(d.push(chunk), [{ ok: true }, { type: 'ping' }]);
    assert.deepEqual(d.push(GOLDEN.refused.subarray(7)), [{ ok: false, error: 'no such host' }]);
  });

  test('pushOne takes one frame and leaves the raw stream after it', () => {
    const d = new FrameDecoder();
    const ssh = Buffer.from('SSH-2.0-Teleport\r\n');
    assert.equal(d.pushOne(GOLDEN.ok.subarray(0, 5)), undefined);
    assert.deepEqual(d.pushOne(Buffer.concat([GOLDEN.ok.subarray(5), ssh])), { value: { ok: true } });
    assert.deepEqual(d.rest(), ssh);
  });

  test('an oversize frame is refused from its header alone, and the decoder stays failed', () => {
    const d = new FrameDecoder();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_SIZE + 1, 0);
    assert.throws(() => d.push(header), /exceeds the limit of 65536 bytes: the peer is not speaking the tunnel protocol/);
    assert.throws(() => d.push(GOLDEN.ok), /exceeds the limit/);
    // An SSH banner where a frame should be is caught the same way.
    assert.throws(() => new FrameDecoder().push(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')), /exceeds the limit/);
    assert.throws(() => encodeFrame({ blob: 'x'.repeat(MAX_FRAME_SIZE) }), /exceeds the limit/);
  });

  test('bad JSON and malformed messages are refused with what is wrong', () => {
    const bad = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{x}')]);
    assert.throws(() => new FrameDecoder().push(bad), /not valid JSON/);
    assert.throws(() => parseDialRequest({ type: 'ftp', target: 'x' }), /unknown type "ftp"/);
    assert.throws(() => parseDialRequest({ type: 'node' }), /"target" must be a string/);
    assert.throws(() => parseDialReply({ error: 'x' }), /expected \{"ok": true\|false\}/);
    assert.deepEqual(parseDialReply({ ok: false }), { ok: false, error: 'the agent refused the connection' });
    assert.throws(() => parseControlMessage({ type: 'launch' }), /unknown type "launch"/);
    assert.throws(() => parseControlMessage({ type: 'proxies', proxies: [{ host_id: 'a' }] }), /"addr" must be a string/);
  });

  test('control messages round-trip', () => {
    const msgs = [
      { type: 'hello', host_id: 'p1', cluster: 'example' },
      { type: 'proxies', proxies: [{ host_id: 'p1', addr: 'p1.example:3024' }, { host_id: 'p2', addr: '10.0.0.2:3024', web_addr: '10.0.0.2:3080' }] },
      { type: 'reconnect', reason: 'the proxy is shutting down' },
      { type: 'reconnect' },
      { type: 'pong' },
    ];
    const d = new FrameDecoder();
    const out = d.push(Buffer.concat(msgs.map((m) => encodeFrame(m)))).map(parseControlMessage);
    assert.deepEqual(out, msgs);
  });
});
