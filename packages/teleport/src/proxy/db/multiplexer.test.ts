/**
 * @module proxy/db/multiplexer.test
 * The web port's first-bytes multiplexer: `classify` over real and synthetic first bytes, and the
 * web server with database handlers over real sockets: HTTPS (no ALPN, http/1.1, h2) and the
 * reverse-tunnel ALPN still reach their servers, a database ALPN ClientHello and a PostgreSQL
 * SSLRequest / CancelRequest reach the database handlers with their bytes unread, and a silent
 * client is dropped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { systemClock } from '@teleport-ts/api/clock';
import { silentLogger } from '../../utils/logger.ts';
import { createSelfSigned, type KeyPairPEM } from '../selfSignedCert.ts';
import { startWebServer, type WebServer } from '../web/webServer.ts';
import { classify } from './multiplexer.ts';
import { eventually } from './testkit.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`./testdata/${name}`, import.meta.url));
const SSL_REQUEST = Buffer.from('0000000804d2162f', 'hex');
const GSSENC_REQUEST = Buffer.from('0000000804d21630', 'hex');
const CANCEL_REQUEST = Buffer.from('0000001004d2162e0000007b000001c8', 'hex');

describe('classify', () => {
  it('tells PostgreSQL requests, database TLS, other TLS and the rest apart', () => {
    assert.deepEqual(classify(SSL_REQUEST), { kind: 'postgres' });
    assert.deepEqual(classify(GSSENC_REQUEST), { kind: 'postgres' });
    assert.deepEqual(classify(CANCEL_REQUEST), { kind: 'postgres-cancel' });
    const startup = Buffer.concat([Buffer.from('0000001500030000', 'hex'), Buffer.from('user\0alice\0\0')]);
    assert.deepEqual(classify(startup), { kind: 'postgres' });
    assert.deepEqual(classify(fixture('clienthello-node-postgres.bin')), { kind: 'db-tls', protocol: 'postgres' });
    assert.deepEqual(classify(fixture('clienthello-node-mysql-tls12.bin')), { kind: 'db-tls', protocol: 'mysql' });
    assert.deepEqual(classify(fixture('clienthello-node-plain.bin')), { kind: 'tls', alpn: [] });
    assert.equal(classify(Buffer.from('GET / HTTP/1.1\r\n'))?.kind, 'other');
    assert.equal(classify(Buffer.from('0000000804d21600', 'hex'))?.kind, 'other');
  });

  it('waits for more bytes when the first ones cannot decide', () => {
    assert.equal(classify(Buffer.alloc(0)), undefined);
    assert.equal(classify(SSL_REQUEST.subarray(0, 7)), undefined);
    const hello = fixture('clienthello-openssl-alpn.bin');
    assert.equal(classify(hello.subarray(0, 100)), undefined);
    assert.deepEqual(classify(hello), { kind: 'db-tls', protocol: 'postgres' });
  });
});

describe('the web port with database handlers', () => {
  let pair: KeyPairPEM;
  let web: WebServer;
  const seen: Array<{ route: string; first: Buffer; socket: net.Socket }> = [];
  const tunnelALPN: string[] = [];

  /** Records the route and reads the bytes the client sent first, proving none were consumed. */
  const record = (route: string, want: number) => (socket: net.Socket): void => {
    const onReadable = (): void => {
      const first = socket.read(want) as Buffer | null;
      if (!first) return;
      socket.removeListener('readable', onReadable);
      seen.push({ route, first, socket });
      socket.end('ok');
    };
    socket.on('readable', onReadable);
  };

  before(async () => {
    pair = await createSelfSigned(['localhost'], systemClock);
    const dbTLS = tls.createServer({ ...pair, cert: pair.certPEM, key: pair.keyPEM, ALPNProtocols: ['teleport-postgres', 'teleport-mysql'] });
    dbTLS.on('secureConnection', (s: TLSSocket) => {
      seen.push({ route: `db-tls:${String(s.alpnProtocol)}`, first: Buffer.alloc(0), socket: s as unknown as net.Socket });
      s.end('db hello');
    });
    web = await startWebServer({
      ctx: { authClient: undefined as never, clusterName: 'example.com', webPublicAddr: 'x', sshPublicAddr: 'x', tunnelPublicAddr: 'x', logger: silentLogger },
      listenAddr: { host: '127.0.0.1', port: 0 }, certPEM: pair.certPEM, keyPEM: pair.keyPEM, peekTimeoutMs: 300,
      onTunnelConnection: (s) => {
        tunnelALPN.push(String(s.alpnProtocol));
        s.end();
      },
      database: {
        postgres: record('postgres', 8),
        postgresCancel: record('cancel', 16),
        // A TLS server handed the socket completes the handshake: the ClientHello was not consumed.
        databaseTLS: (socket) => dbTLS.emit('connection', socket),
      },
    });
  });

  after(async () => {
    for (const s of seen) s.socket.destroy();
    await web.close();
  });

  const get = (ALPNProtocols?: string[]): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: web.address.port, path: '/healthz', rejectUnauthorized: false, agent: false, ...(ALPNProtocols && { ALPNProtocols }) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });

  const raw = (bytes: Buffer): Promise<string> => new Promise((resolve, reject) => {
    const s = net.connect(web.address.port, '127.0.0.1', () => s.write(bytes));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });

  it('serves HTTPS with no ALPN, http/1.1 and h2 offers', async () => {
    for (const offer of [undefined, ['http/1.1'], ['h2', 'http/1.1']]) {
      const r = await get(offer);
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
    }
  });

  it('hands the reverse-tunnel ALPN to the tunnel server', async () => {
    await new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: web.address.port, rejectUnauthorized: false, ALPNProtocols: ['teleport-reversetunnel'] });
      s.on('secureConnect', () => assert.equal(s.alpnProtocol, 'teleport-reversetunnel'));
      s.on('close', () => resolve());
      s.on('error', reject);
      s.resume();
    });
    await eventually(() => tunnelALPN.includes('teleport-reversetunnel'), 'the tunnel handler');
  });

  for (const protocol of ['postgres', 'mysql']) {
    it(`hands an ALPN teleport-${protocol} ClientHello, unread, to the database TLS server`, async () => {
      const got = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: web.address.port, rejectUnauthorized: false, ALPNProtocols: [`teleport-${protocol}`, 'http/1.1'] });
        let data = '';
        s.on('data', (d: Buffer) => (data += d.toString()));
        s.on('close', () => resolve(data));
        s.on('error', reject);
      });
      assert.equal(got, 'db hello');
      assert.ok(seen.some((x) => x.route === `db-tls:teleport-${protocol}`));
    });
  }

  it('hands PostgreSQL SSLRequest and CancelRequest over with their bytes unread', async () => {
    assert.equal(await raw(SSL_REQUEST), 'ok');
    assert.deepEqual(seen.find((x) => x.route === 'postgres')?.first, SSL_REQUEST);
    // Sent in two pieces: the multiplexer waits for the whole request.
    const s = net.connect(web.address.port, '127.0.0.1');
    s.write(CANCEL_REQUEST.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 50));
    s.end(CANCEL_REQUEST.subarray(5));
    await eventually(() => seen.find((x) => x.route === 'cancel'), 'the cancel handler');
    assert.deepEqual(seen.find((x) => x.route === 'cancel')?.first, CANCEL_REQUEST);
    s.destroy();
  });

  it('drops a client that says nothing', async () => {
    const started = Date.now();
    const s = net.connect(web.address.port, '127.0.0.1');
    await new Promise((r) => s.on('close', r));
    assert.ok(Date.now() - started < 3000);
  });
});
