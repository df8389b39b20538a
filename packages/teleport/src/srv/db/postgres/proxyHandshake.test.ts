/**
 * The proxy's PostgreSQL TLS upgrade: SSLRequest -> 'S' -> TLS with a user-CA client certificate, with a
 * safe UpgradeToTLS (a tls.Server handed the socket, as dependencies.md "TLS trap" prescribes). Driven by
 * raw protocol clients and by the real psql; every refusal path, including a foreign-CA certificate.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import { AccessDeniedError } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import { createTLSCA, issueTLSCert, type TLSCAKeyPair } from '../../../ca/tlsCA.ts';
import { runPsql } from '../../../testing/postgres.ts';
import type { AcceptedDatabaseClient, UpgradeToTLS } from '../common/engine.ts';
import { backend, frontend, MessageReader, parseBackendMessage } from './protocol.ts';
import { postgresProxyHandshake, TLS_REQUIRED_MESSAGE } from './proxyHandshake.ts';
import { BackendKeyWatcher, CancelRequestHandled } from './proxyCancel.ts';
import { postgresTestSkip } from '../../../testing/databaseTools.ts';

interface KeyCert { cert: string; key: string }

function issue(ca: TLSCAKeyPair, username: string, o: { server?: boolean; clock?: FakeClock; notAfter?: Date } = {}): KeyCert {
  const k = generateKeyPair('ecdsa-p256');
  const cert = issueTLSCert({
    caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: k.publicKey, clock: o.clock ?? systemClock,
    identity: { username, groups: ['dev'], expires: new Date(), routeToDatabase: { serviceName: 'pg', protocol: 'postgres', username: 'alice' } },
    notAfter: o.notAfter ?? new Date(Date.now() + 3600e3),
    usage: o.server ? 'server' : 'client',
    ...(o.server ? { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } : {}),
  });
  return { cert, key: privateKeyToPEM(k.privateKey) };
}

/** The safe upgrade: tls.Server handed the socket; refusals become AccessDeniedError. */
function safeUpgrade(server: KeyCert, userCA: string): UpgradeToTLS {
  return (socket) =>
    new Promise((resolve, reject) => {
      const srv = tls.createServer({ ...server, ca: userCA, requestCert: true, rejectUnauthorized: true });
      srv.once('secureConnection', (s: tls.TLSSocket) => (s.authorized ? resolve(s) : reject(new AccessDeniedError('client certificate not authorized'))));
      srv.once('tlsClientError', (err) => reject(new AccessDeniedError(`client certificate refused: ${err.message}`)));
      srv.emit('connection', socket);
    });
}

describe('postgresProxyHandshake', () => {
  let userCA: TLSCAKeyPair;
  let hostCA: TLSCAKeyPair;
  let serverKC: KeyCert;
  let good: KeyCert;
  let foreign: KeyCert;
  let expired: KeyCert;
  let listener: Server;
  let port: number;
  let dir: string;
  const results: Promise<AcceptedDatabaseClient | Error>[] = [];

  before(async () => {
    userCA = createTLSCA({ clusterName: 'test', caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
    hostCA = createTLSCA({ clusterName: 'test', caType: 'host', algorithm: 'ecdsa-p256', clock: systemClock });
    const evilCA = createTLSCA({ clusterName: 'test', caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
    serverKC = issue(hostCA, 'proxy', { server: true });
    good = issue(userCA, 'alice');
    foreign = issue(evilCA, 'alice');
    const past = new FakeClock(Date.now() - 2 * 3600e3);
    expired = issue(userCA, 'alice', { clock: past, notAfter: new Date(Date.now() - 3600e3) });
    dir = await mkdtemp(join(tmpdir(), 'pg-handshake-'));
    for (const [name, pem] of Object.entries({ 'good.crt': good.cert, 'good.key': good.key, 'foreign.crt': foreign.cert, 'foreign.key': foreign.key, 'ca.crt': hostCA.certPEM })) {
      await writeFile(join(dir, name), pem, { mode: 0o600 });
    }
    listener = createServer((socket) => {
      socket.on('error', () => {});
      const p = postgresProxyHandshake(socket, safeUpgrade(serverKC, userCA.certPEM)).then(
        (accepted) => {
          // Stand-in for the engine: greet over the upgraded stream so a client can tell it got through.
          accepted.stream.end(backend.errorResponse({ severity: 'FATAL', code: '28000', message: 'hello through TLS' }));
          return accepted;
        },
        (err: Error) => err,
      );
      results.push(p);
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
  });

  after(async () => {
    listener.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Raw client: SSLRequest ('S' expected), then TLS with `kc`. Resolves with the handshake's result. */
  async function sslClient(kc: KeyCert | null, gssFirst = false): Promise<AcceptedDatabaseClient | Error> {
    const n = results.length;
    const raw = connect(port, '127.0.0.1');
    raw.on('error', () => {});
    if (gssFirst) {
      raw.write(frontend.gssEncRequest());
      assert.equal(await oneByte(raw), 'N');
    }
    raw.write(frontend.sslRequest());
    assert.equal(await oneByte(raw), 'S');
    const s = tls.connect({ socket: raw, ca: hostCA.certPEM, servername: 'localhost', ...(kc ?? {}) });
    s.on('error', () => {});
    s.resume();
    await waitForResult(n);
    s.destroy();
    return results[n] as Promise<AcceptedDatabaseClient | Error>;
  }

  async function waitForResult(n: number): Promise<void> {
    while (results.length <= n) await new Promise((r) => setTimeout(r, 10));
    await results[n];
  }

  it('upgrades with a client certificate from the user CA', async () => {
    const r = await sslClient(good);
    assert.ok(!(r instanceof Error), String(r));
    assert.equal(identityFromCertificate(r.clientCertPEM).username, 'alice');
  });

  it('refuses a client certificate from a foreign CA', async () => {
    const r = await sslClient(foreign);
    assert.ok(r instanceof AccessDeniedError, String(r));
  });

  it('refuses an expired client certificate', async () => {
    const r = await sslClient(expired);
    assert.ok(r instanceof AccessDeniedError, String(r));
  });

  it('refuses a connection without a client certificate', async () => {
    const r = await sslClient(null);
    assert.ok(r instanceof AccessDeniedError, String(r));
  });

  it('answers GSSENCRequest with N, then upgrades on SSLRequest', async () => {
    const r = await sslClient(good, true);
    assert.ok(!(r instanceof Error), String(r));
  });

  it('keeps a ClientHello that arrives in the same chunk as the SSLRequest', async () => {
    const n = results.length;
    const raw = connect(port, '127.0.0.1');
    await new Promise((r) => raw.once('connect', r));
    let first = true;
    let sawS = false;
    const inner = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        raw.write(first ? Buffer.concat([frontend.sslRequest(), chunk]) : chunk);
        first = false;
        cb();
      },
    });
    raw.on('data', (b: Buffer) => {
      if (!sawS) {
        assert.equal(b[0], 0x53);
        sawS = true;
        b = b.subarray(1);
      }
      if (b.length > 0) inner.push(b);
    });
    raw.on('end', () => inner.push(null));
    const s = tls.connect({ socket: inner, ca: hostCA.certPEM, servername: 'localhost', ...good });
    const greeting = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    const reader = new MessageReader();
    reader.push(greeting);
    const m = parseBackendMessage(reader.next() ?? assert.fail('no message'));
    assert.ok(m.kind === 'error' && m.fields.message === 'hello through TLS');
    const r = await results[n];
    assert.ok(!(r instanceof Error), String(r));
    raw.destroy();
  });

  it('refuses a plaintext StartupMessage and CancelRequest with the TLS-required error', async () => {
    for (const first of [frontend.startup({ user: 'alice', database: 'test' }), frontend.cancelRequest(1, 2)]) {
      const n = results.length;
      const raw = connect(port, '127.0.0.1');
      raw.write(first);
      const reply = await new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        raw.on('data', (c: Buffer) => chunks.push(c));
        raw.on('close', () => resolve(Buffer.concat(chunks)));
      });
      const reader = new MessageReader();
      reader.push(reply);
      const m = parseBackendMessage(reader.next() ?? assert.fail('no reply'));
      assert.ok(m.kind === 'error');
      assert.equal(m.fields.code, '28000');
      assert.equal(m.fields.message, TLS_REQUIRED_MESSAGE);
      await waitForResult(n);
      assert.ok((await results[n]) instanceof AccessDeniedError);
    }
  });

  it('answers garbage with an 08P01 error', async () => {
    const n = results.length;
    const raw = connect(port, '127.0.0.1');
    raw.write('GET / HTTP/1.1\r\n\r\n');
    const reply = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      raw.on('data', (c: Buffer) => chunks.push(c));
      raw.on('close', () => resolve(Buffer.concat(chunks)));
    });
    const reader = new MessageReader();
    reader.push(reply);
    const m = parseBackendMessage(reader.next() ?? assert.fail('no reply'));
    assert.ok(m.kind === 'error' && m.fields.code === '08P01');
    await waitForResult(n);
  });

  it('works with the real psql: good certificate, foreign certificate, no TLS', { skip: postgresTestSkip }, async () => {
    const base = `host=127.0.0.1 port=${port} user=alice dbname=test`;
    const ok = await runPsql(['-X', '-c', 'select 1', `${base} sslmode=verify-ca sslrootcert=${join(dir, 'ca.crt')} sslcert=${join(dir, 'good.crt')} sslkey=${join(dir, 'good.key')}`]);
    assert.match(ok.stderr, /hello through TLS/);
    const n = results.length;
    const bad = await runPsql(['-X', '-c', 'select 1', `${base} sslmode=verify-ca sslrootcert=${join(dir, 'ca.crt')} sslcert=${join(dir, 'foreign.crt')} sslkey=${join(dir, 'foreign.key')}`]);
    assert.notEqual(bad.code, 0);
    assert.doesNotMatch(bad.stderr, /hello through TLS/);
    // With TLS 1.3 the client only learns of the refusal as a closed connection; the proxy saw why.
    await waitForResult(n);
    assert.ok((await results[n]) instanceof AccessDeniedError);
    const plain = await runPsql(['-X', '-c', 'select 1', `${base} sslmode=disable`]);
    assert.ok(plain.stderr.includes(TLS_REQUIRED_MESSAGE), plain.stderr);
  });
});

describe('plaintext CancelRequest routing helpers', () => {
  it('hands a plaintext CancelRequest to onPlaintextCancel and closes without an answer', async () => {
    const seen: [number, number][] = [];
    let result: Promise<unknown> = Promise.resolve();
    const server = createServer((socket) => {
      result = postgresProxyHandshake(socket, () => Promise.reject(new Error('no TLS expected')), {
        onPlaintextCancel: (pid, secret) => void seen.push([pid, secret]),
      }).catch((err: unknown) => err);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const raw = connect((server.address() as AddressInfo).port, '127.0.0.1');
    raw.end(frontend.cancelRequest(4242, -7));
    const reply = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      raw.on('data', (c: Buffer) => chunks.push(c));
      raw.on('close', () => resolve(Buffer.concat(chunks)));
    });
    server.close();
    assert.equal(reply.length, 0);
    assert.deepEqual(seen, [[4242, -7]]);
    assert.ok((await result) instanceof CancelRequestHandled);
  });

  it('BackendKeyWatcher finds the key in split server bytes and stops at ReadyForQuery', () => {
    const bytes = Buffer.concat([backend.authenticationOk(), backend.parameterStatus('a', 'b'), backend.backendKeyData(7, 9), backend.readyForQuery()]);
    const w = new BackendKeyWatcher();
    let key = null;
    for (let i = 0; i < bytes.length; i += 3) key ??= w.push(bytes.subarray(i, i + 3));
    assert.deepEqual(key, { processId: 7, secretKey: 9 });
    assert.ok(w.done);
    const w2 = new BackendKeyWatcher();
    assert.equal(w2.push(Buffer.concat([backend.authenticationOk(), backend.readyForQuery()])), null);
    assert.ok(w2.done);
  });
});

function oneByte(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    s.resume();
    s.once('data', (b: Buffer) => {
      s.pause();
      resolve(String.fromCharCode(b[0] as number));
    });
  });
}
