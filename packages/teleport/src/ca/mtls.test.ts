/**
 * @module ca/mtls.test
 * Mutual TLS end to end over loopback, on the three server shapes the cluster uses: http2.createSecureServer
 * (auth service RPC), tls.createServer, and upgrading an already-accepted plaintext socket with
 * `server.emit('connection', socket)` (database proxies). Each must let a client with a certificate from
 * the trusted CA through - with peerIdentity returning its identity - and refuse a certificate from a
 * foreign CA, an expired certificate, and no certificate at all.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import type { Identity } from '@teleport-ts/api/tlsca/identity';
import { createTLSCA, issueTLSCert, type TLSCAKeyPair } from './tlsCA.ts';
import { mtlsClientOptions, mtlsServerOptions, peerIdentity } from './tlsConfig.ts';

interface Cred { certPEM: string; keyPEM: string }

const past = new FakeClock(Date.UTC(2020, 0, 1));
let userCA: TLSCAKeyPair;
let hostCA: TLSCAKeyPair;
let server: Cred;
const clients: Record<'good' | 'foreign' | 'expired', Cred> = {} as Record<'good' | 'foreign' | 'expired', Cred>;
const alice: Identity = { username: 'alice', groups: ['access'], principals: ['root'], teleportCluster: 'example.com', expires: new Date(0) };

function cred(ca: TLSCAKeyPair, identity: Identity, notAfter: Date, clock = systemClock, usage?: 'client' | 'server'): Cred {
  const keys = generateKeyPair('ecdsa-p256');
  const certPEM = issueTLSCert({
    caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: keys.publicKey, identity, notAfter, clock,
    ...(usage === 'server' ? { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } : {}),
    ...(usage ? { usage } : {}),
  });
  return { certPEM, keyPEM: privateKeyToPEM(keys.privateKey) };
}

before(() => {
  // The user CA dates from 2020 so that an old, expired leaf is rejected for its own expiry only.
  userCA = createTLSCA({ clusterName: 'example.com', caType: 'user', algorithm: 'ecdsa-p256', clock: past, ttlMs: 20 * 365 * 86400_000 });
  hostCA = createTLSCA({ clusterName: 'example.com', caType: 'host', algorithm: 'ed25519', clock: systemClock });
  const foreignCA = createTLSCA({ clusterName: 'example.com', caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
  const inOneHour = new Date(Date.now() + 3600_000);
  server = cred(hostCA, { username: 'auth-host-id', groups: [], systemRoles: ['Auth'], expires: inOneHour }, inOneHour, systemClock, 'server');
  clients.good = cred(userCA, alice, inOneHour, systemClock, 'client');
  clients.foreign = cred(foreignCA, alice, inOneHour, systemClock, 'client');
  clients.expired = cred(userCA, alice, new Date(Date.UTC(2021, 0, 2)), new FakeClock(Date.UTC(2021, 0, 1)), 'client');
});

/** What the server tells the client: the identity it saw, or why peerIdentity refused. */
function reply(socket: tls.TLSSocket): string {
  try {
    return JSON.stringify({ identity: peerIdentity(socket) });
  } catch (err) {
    return JSON.stringify({ error: (err as Error).name, message: (err as Error).message });
  }
}

/** A running server: how many handshakes got through to our handler, and the TLS errors it logged. */
interface Harness { port: number; handled: number; tlsErrors: string[]; close(): Promise<void> }

type ServerKind = 'http2' | 'tls' | 'upgrade';

function serverOptions(requireClientCert = true) {
  return mtlsServerOptions({ ...server, trustedCAs: [userCA.certPEM], requireClientCert });
}

async function listen(srv: net.Server, h: Harness, extraClose?: () => void): Promise<Harness> {
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  h.port = (srv.address() as AddressInfo).port;
  h.close = () => new Promise<void>((resolve) => {
    extraClose?.();
    srv.close(() => resolve());
  });
  return h;
}

async function startServer(kind: ServerKind, requireClientCert = true): Promise<Harness> {
  const h: Harness = { port: 0, handled: 0, tlsErrors: [], close: async () => {} };
  const onTLSError = (err: Error): void => void h.tlsErrors.push(err.message);
  if (kind === 'http2') {
    const srv = http2.createSecureServer(serverOptions(requireClientCert), (req, res) => {
      h.handled++;
      // connect-node hands handlers exactly this: the request's socket (a proxy of the TLS socket).
      res.end(reply(req.socket as tls.TLSSocket));
    });
    srv.on('tlsClientError', onTLSError);
    const sessions = new Set<http2.ServerHttp2Session>();
    srv.on('session', (s) => { sessions.add(s); s.on('close', () => sessions.delete(s)); });
    return listen(srv, h, () => { for (const s of sessions) s.destroy(); });
  }
  const tlsServer = tls.createServer(serverOptions(requireClientCert), (socket) => {
    h.handled++;
    socket.end(reply(socket));
  });
  tlsServer.on('tlsClientError', onTLSError);
  if (kind === 'tls') return listen(tlsServer, h);
  // A plaintext prelude ("STARTTLS\n" -> "S"), then the accepted socket is handed to the TLS server,
  // as a PostgreSQL SSLRequest or MySQL SSL handshake would be.
  const raw = net.createServer((socket) => {
    socket.once('data', (chunk) => {
      if (chunk.toString() !== 'STARTTLS\n') return void socket.destroy();
      socket.write('S', () => tlsServer.emit('connection', socket));
    });
  });
  return listen(raw, h);
}

type ClientTLS = tls.ConnectionOptions;

function clientTLS(c: Cred | undefined): ClientTLS {
  if (c) return mtlsClientOptions({ ...c, trustedCAs: [hostCA.certPEM], serverName: 'localhost' });
  return { ca: [hostCA.certPEM], servername: 'localhost', minVersion: 'TLSv1.2' };
}

/** Result of a client attempt: the server's reply if any, else the error the client saw. */
interface Attempt { body: string; error?: string }

function withTimeout(run: (done: (a: Attempt) => void) => void): Promise<Attempt> {
  return new Promise<Attempt>((resolve) => {
    const timer = setTimeout(() => resolve({ body: '', error: 'timeout' }), 5000);
    run((a) => { clearTimeout(timer); resolve(a); });
  });
}

function readTLS(socket: tls.TLSSocket, done: (a: Attempt) => void): void {
  let body = '';
  let error: string | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => void (body += d));
  socket.on('error', (err) => void (error = (err as NodeJS.ErrnoException).code ?? err.message));
  socket.on('close', () => done(error === undefined ? { body } : { body, error }));
}

function attempt(kind: ServerKind, port: number, c: Cred | undefined): Promise<Attempt> {
  const opts = clientTLS(c);
  if (kind === 'http2') {
    return withTimeout((done) => {
      const session = http2.connect(`https://127.0.0.1:${port}`, opts);
      const finish = (a: Attempt): void => { session.destroy(); done(a); };
      session.on('error', (err) => finish({ body: '', error: (err as NodeJS.ErrnoException).code ?? err.message }));
      const req = session.request({ ':path': '/' });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => void (body += d));
      req.on('error', (err) => finish({ body, error: (err as NodeJS.ErrnoException).code ?? err.message }));
      req.on('end', () => finish({ body }));
      req.end();
    });
  }
  if (kind === 'tls') return withTimeout((done) => readTLS(tls.connect({ host: '127.0.0.1', port, ...opts }), done));
  return withTimeout((done) => {
    const raw = net.connect(port, '127.0.0.1', () => raw.write('STARTTLS\n'));
    raw.on('error', (err) => done({ body: '', error: err.message }));
    raw.once('data', (chunk) => {
      assert.equal(chunk.toString(), 'S');
      readTLS(tls.connect({ socket: raw, ...opts }), done);
    });
  });
}

// Node verifies the chain after the handshake and just drops a bad peer, so the server-side error for a
// foreign or expired certificate is a bare "socket hang up"; the verification reason itself is checked
// through peerIdentity below. A missing certificate is refused by OpenSSL with a proper alert.
const rejections: Array<{ name: string; cred: () => Cred | undefined; serverSays?: RegExp; reason: RegExp }> = [
  { name: 'a client certificate from a foreign CA', cred: () => clients.foreign, reason: /not issued by a CA this cluster trusts/ },
  { name: 'an expired client certificate', cred: () => clients.expired, reason: /has expired \(CERT_HAS_EXPIRED\): run tsh login/ },
  {
    name: 'a client without a certificate', cred: () => undefined,
    serverSays: /peer did not return a certificate/, reason: /presented no certificate/,
  },
];

/** Waits (briefly) until `check` holds: server-side error events may trail the client's view of the close. */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

const kinds: Array<{ kind: ServerKind; title: string }> = [
  { kind: 'http2', title: 'http2.createSecureServer(mtlsServerOptions)' },
  { kind: 'tls', title: 'tls.createServer(mtlsServerOptions)' },
  { kind: 'upgrade', title: "upgrading an accepted socket with tlsServer.emit('connection')" },
];

for (const { kind, title } of kinds) {
  describe(title, () => {
    let h: Harness;
    before(async () => { h = await startServer(kind); });
    after(() => h.close());

    it('lets a client with a certificate from the trusted CA in, and peerIdentity names it', async () => {
      const before = h.handled;
      const a = await attempt(kind, h.port, clients.good);
      assert.equal(a.error, undefined);
      const { identity } = JSON.parse(a.body) as { identity: Identity & { expires: string } };
      assert.equal(h.handled, before + 1);
      assert.deepEqual({ ...identity, expires: undefined }, { ...alice, expires: undefined });
      assert.ok(new Date(identity.expires).getTime() > Date.now());
    });

    for (const r of rejections) {
      it(`refuses ${r.name} during the handshake`, async () => {
        const handled = h.handled;
        const errors = h.tlsErrors.length;
        const a = await attempt(kind, h.port, r.cred());
        assert.equal(a.body, '', 'the client must get no reply');
        assert.equal(h.handled, handled, 'the handler must never run');
        await eventually(() => h.tlsErrors.length > errors);
        assert.ok(h.tlsErrors.length > errors, 'the server must report a TLS client error');
        if (r.serverSays) assert.match(h.tlsErrors.slice(errors).join('; '), r.serverSays);
      });
    }
  });
}

describe('peerIdentity', () => {
  it('refuses unverified peers when the handshake lets them through (requireClientCert: false)', async () => {
    const h = await startServer('tls', false);
    try {
      for (const r of rejections) {
        const a = await attempt('tls', h.port, r.cred());
        const { error, message } = JSON.parse(a.body) as { error: string; message: string };
        assert.equal(error, 'TrustError', a.body);
        assert.match(message, r.reason);
      }
      assert.ok(JSON.parse((await attempt('tls', h.port, clients.good)).body).identity);
    } finally {
      await h.close();
    }
  });

  it("fails closed on a bare tls.TLSSocket, whose verification can't be trusted (dependencies.md trap)", async () => {
    const opts = serverOptions();
    const raw = net.createServer((socket) => {
      const s = new tls.TLSSocket(socket, { isServer: true, ...opts });
      s.on('secure', () => s.end(reply(s)));
      s.on('error', () => s.destroy());
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const port = (raw.address() as AddressInfo).port;
    try {
      // The bare socket lets the foreign certificate through and never sets `authorized`, even for a good
      // certificate, so peerIdentity must refuse both.
      for (const c of [clients.foreign, clients.good]) {
        const { error, message } = JSON.parse((await attempt('tls', port, c)).body) as { error: string; message: string };
        assert.equal(error, 'TrustError');
        assert.match(message, /not verified during the TLS handshake/);
      }
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });
});

describe('mtls options', () => {
  it('require at least one trusted CA', () => {
    assert.throws(() => mtlsServerOptions({ ...server, trustedCAs: [] }), BadParameterError);
    assert.throws(() => mtlsClientOptions({ ...server, trustedCAs: ['not pem'] }), BadParameterError);
  });

  it('default to requiring a client certificate on TLS 1.2 or later', () => {
    const o = mtlsServerOptions({ ...server, trustedCAs: [userCA.certPEM] });
    assert.equal(o.requestCert, true);
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.minVersion, 'TLSv1.2');
    const c = mtlsClientOptions({ ...clients.good, trustedCAs: [hostCA.certPEM], serverName: 'auth.example.com' });
    assert.equal(c.servername, 'auth.example.com');
    assert.equal(c.rejectUnauthorized, true);
  });
});
