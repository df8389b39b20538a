/**
 * @module bench/pgRelay-child
 * A deliberately minimal PostgreSQL relay, run as its own process by bench/pgRelays.ts to measure the
 * floor under any proxy on this machine (see docs/benchmarks.md, "How low can a proxy go"):
 *
 * - `tcp`: accepts a connection and pipes its bytes to PostgreSQL and back, unchanged (the client's
 *   TLS session runs end to end through it). The least any proxy on the path can do.
 * - `tls`: what a proxy that identifies users by certificate must do at the least: answers the
 *   client's SSLRequest, terminates its TLS (verifying the client certificate against `ca`), opens
 *   its own TLS session to PostgreSQL with `clientCert`, and pipes the decrypted bytes both ways. No
 *   protocol parsing, no routing, no audit, no reverse tunnel.
 *
 * Usage: `node --import tsx bench/pgRelay-child.ts tcp <pgPort>` or
 * `... tls <pgPort> <serverCert> <serverKey> <ca> <clientCert> <clientKey>`. Prints the port it
 * listens on (127.0.0.1) as the first line of stdout; runs until killed.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Reads `n` bytes from `socket`: the pre-TLS handshake is a few bytes each way, in lockstep. */
function readExactly(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      if (got.length < n) return;
      socket.off('data', onData).off('error', reject);
      // The peer waits for our answer before sending more, so more than `n` bytes is a protocol error.
      if (got.length > n) reject(new Error(`expected ${n} bytes before the TLS handshake, got ${got.length}`));
      else resolve(got);
    };
    socket.on('data', onData).once('error', reject);
  });
}

/** Pipes two sockets into each other; either side closing or failing closes both. */
function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const close = (): void => {
    a.destroy();
    b.destroy();
  };
  a.once('error', close).once('close', close);
  b.once('error', close).once('close', close);
}

/** Answers the client's pre-TLS requests: 'N' to GSSENCRequest, 'S' to SSLRequest. */
async function acceptSSLRequest(client: Socket): Promise<void> {
  for (;;) {
    const code = (await readExactly(client, 8)).readUInt32BE(4);
    if (code === GSSENC_REQUEST) client.write('N');
    else if (code === SSL_REQUEST) return void client.write('S');
    else throw new Error(`expected SSLRequest, got code ${code}`);
  }
}

/** A TLS session to PostgreSQL on `port` presenting `cert`/`key`. */
async function connectPostgresTLS(port: number, cert: Buffer, key: Buffer): Promise<TLSSocket> {
  const raw = netConnect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
  const req = Buffer.alloc(8);
  req.writeUInt32BE(8, 0);
  req.writeUInt32BE(SSL_REQUEST, 4);
  raw.write(req);
  if ((await readExactly(raw, 1)).toString() !== 'S') throw new Error('PostgreSQL refused TLS');
  const tls = tlsConnect({ socket: raw, cert, key, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => tls.once('secureConnect', resolve).once('error', reject));
  return tls;
}

function main(): void {
  const [mode, portArg, serverCert, serverKey, ca, clientCert, clientKey] = process.argv.slice(2);
  const pgPort = Number(portArg);
  if ((mode !== 'tcp' && mode !== 'tls') || !pgPort) throw new Error('usage: pgRelay-child.ts tcp|tls <pgPort> [serverCert serverKey ca clientCert clientKey]');
  const files = mode === 'tls' ? [serverCert, serverKey, ca, clientCert, clientKey].map((f) => readFileSync(f ?? '')) : [];
  const [sCert, sKey, caPEM, cCert, cKey] = files;

  const server = createServer({ noDelay: true }, (client) => {
    client.on('error', () => client.destroy());
    if (mode === 'tcp') {
      splice(client, netConnect({ host: '127.0.0.1', port: pgPort, noDelay: true }));
      return;
    }
    void (async () => {
      await acceptSSLRequest(client);
      const inner = new TLSSocket(client, { isServer: true, cert: sCert, key: sKey, ca: caPEM, requestCert: true, rejectUnauthorized: true });
      const upstream = await connectPostgresTLS(pgPort, cCert!, cKey!);
      splice(inner, upstream);
    })().catch(() => client.destroy());
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
  });
}

main();
