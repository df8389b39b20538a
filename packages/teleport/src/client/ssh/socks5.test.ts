/**
 * @module client/ssh/socks5.test
 * The SOCKS5 subset: codec details (greeting, IPv4/IPv6/domain requests, partial input) and a full
 * CONNECT through serveSOCKS5 to a local echo server, plus refusals a client can see.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { greetingReply, parseGreeting, parseRequest, requestReply, serveSOCKS5, SOCKS_REPLY } from './socks5.ts';

let echo: Server;
let echoPort: number;
let socks: Server;
let socksPort: number;
const dialed: string[] = [];

before(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as AddressInfo).port;
  socks = createServer({ allowHalfOpen: true }, (client) => {
    void serveSOCKS5(client, (host, port) => new Promise((resolve, reject) => {
      dialed.push(`${host}:${port}`);
      if (host === 'refused.example') return reject(new Error('refused'));
      const s = connect({ host: host === 'localhost' ? '127.0.0.1' : host, port }, () => resolve(s));
      s.once('error', reject);
    }));
  });
  await new Promise<void>((r) => socks.listen(0, '127.0.0.1', r));
  socksPort = (socks.address() as AddressInfo).port;
});
after(() => {
  echo.close();
  socks.close();
});

/** Everything a socket received, with a way to wait for the next n bytes. */
const received = new WeakMap<Socket, { buf: Buffer; ended: boolean; wake?: () => void }>();

/** Reads exactly n bytes (buffering what arrives before it is asked for). */
async function readN(s: Socket, n: number): Promise<Buffer> {
  const st = received.get(s);
  if (!st) throw new Error('socket not opened by open()');
  while (st.buf.length < n) {
    if (st.ended) throw new Error(`connection ended after ${st.buf.length} of ${n} bytes`);
    await new Promise<void>((resolve) => (st.wake = resolve));
  }
  const out = st.buf.subarray(0, n);
  st.buf = st.buf.subarray(n);
  return out;
}

function open(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: socksPort }, () => resolve(s));
    const st: { buf: Buffer; ended: boolean; wake?: () => void } = { buf: Buffer.alloc(0), ended: false };
    received.set(s, st);
    s.on('data', (d: Buffer) => {
      st.buf = Buffer.concat([st.buf, d]);
      st.wake?.();
    });
    s.on('close', () => {
      st.ended = true;
      st.wake?.();
    });
  });
}

describe('SOCKS5 codec', () => {
  it('parses greetings and waits for more bytes', () => {
    assert.equal(parseGreeting(Buffer.from([5])), undefined);
    assert.equal(parseGreeting(Buffer.from([5, 2, 0])), undefined);
    assert.deepEqual(parseGreeting(Buffer.from([5, 2, 0, 2])), { methods: [0, 2], length: 4 });
    assert.throws(() => parseGreeting(Buffer.from([4, 1, 0])), /not a SOCKS5 client/);
    assert.deepEqual([...greetingReply([0])], [5, 0]);
    assert.deepEqual([...greetingReply([2])], [5, 0xff]);
  });
  it('parses IPv4, domain and IPv6 CONNECT requests', () => {
    assert.deepEqual(parseRequest(Buffer.from([5, 1, 0, 1, 10, 0, 0, 7, 0x1f, 0x90])), { command: 1, addressType: 1, host: '10.0.0.7', port: 8080, length: 10 });
    const name = Buffer.from('db.internal');
    assert.deepEqual(parseRequest(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([0, 22])])),
      { command: 1, addressType: 3, host: 'db.internal', port: 22, length: 5 + name.length + 2 });
    const v6 = Buffer.alloc(16);
    v6[15] = 1;
    assert.equal(parseRequest(Buffer.concat([Buffer.from([5, 1, 0, 4]), v6, Buffer.from([0, 80])]))?.host, '0000:0000:0000:0000:0000:0000:0000:0001');
    assert.equal(parseRequest(Buffer.from([5, 1, 0, 1, 10, 0])), undefined);
  });
  it('encodes replies with the bound address', () => {
    assert.deepEqual([...requestReply(0)], [5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...requestReply(5, { host: '127.0.0.1', port: 1080 })], [5, 5, 0, 1, 127, 0, 0, 1, 4, 56]);
    const r6 = requestReply(0, { host: '::1', port: 1 });
    assert.equal(r6[3], 4);
    assert.equal(r6.length, 4 + 16 + 2);
    assert.equal(r6[19], 1);
  });
});

describe('serveSOCKS5', () => {
  it('CONNECTs by domain name and relays both ways, including bytes sent with the request', async () => {
    const s = await open();
    s.write(Buffer.from([5, 1, 0]));
    assert.deepEqual([...(await readN(s, 2))], [5, 0]);
    const host = Buffer.from('localhost');
    const port = Buffer.alloc(2);
    port.writeUInt16BE(echoPort);
    s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, host.length]), host, port, Buffer.from('early ')]));
    const reply = await readN(s, 10);
    assert.equal(reply[1], SOCKS_REPLY.succeeded);
    s.write('hello');
    assert.equal((await readN(s, 11)).toString(), 'early hello');
    assert.ok(dialed.includes(`localhost:${echoPort}`));
    s.destroy();
  });

  it('CONNECTs by IPv4 address when the handshake arrives byte by byte', async () => {
    const s = await open();
    const port = Buffer.alloc(2);
    port.writeUInt16BE(echoPort);
    const all = Buffer.concat([Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]), port]);
    for (const b of all.subarray(0, 3)) s.write(Buffer.from([b]));
    await readN(s, 2);
    for (const b of all.subarray(3)) s.write(Buffer.from([b]));
    assert.equal((await readN(s, 10))[1], 0);
    s.write('ping');
    assert.equal((await readN(s, 4)).toString(), 'ping');
    s.destroy();
  });

  it('answers "connection refused" when the destination cannot be reached', async () => {
    const s = await open();
    s.write(Buffer.from([5, 1, 0]));
    await readN(s, 2);
    const host = Buffer.from('refused.example');
    s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, host.length]), host, Buffer.from([0, 80])]));
    assert.equal((await readN(s, 10))[1], SOCKS_REPLY.connectionRefused);
  });

  it('refuses BIND, and clients that require authentication', async () => {
    const s = await open();
    s.write(Buffer.from([5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80]));
    await readN(s, 2);
    assert.equal((await readN(s, 10))[1], SOCKS_REPLY.commandNotSupported);
    const t = await open();
    t.write(Buffer.from([5, 1, 2]));
    assert.deepEqual([...(await readN(t, 2))], [5, 0xff]);
    await new Promise((r) => t.once('close', r));
  });
});
