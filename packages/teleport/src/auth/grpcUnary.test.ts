/**
 * @module auth/grpcUnary.test
 * The direct unary path answers exactly as Connect's adapter did: the same requests, sent over raw
 * HTTP/2 to the auth listener (fast path) and to a Connect-only listener with the same handlers, get
 * the same status, content type, message bytes and trailers (grpc-status, grpc-message and our
 * x-teleport-error), for successes, typed errors, unauthenticated callers and malformed bodies.
 * Requests the fast path does not take (compressed, JSON, unknown methods, streaming) still work
 * through Connect.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { create, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { envelope } from '@teleport-ts/api/client/unaryClient';
import {
  AuthService, CertsResponseSchema, GenerateUserCertsRequestSchema, GetResourceRequestSchema, PingRequestSchema,
} from '@teleport-ts/api/gen/teleport/auth/v1/auth_pb';
import { mtlsServerOptions } from '../ca/tlsConfig.ts';
import type { LocalIdentity } from '../service/identityStore.ts';
import { issueLocalIdentity } from '../service/localIdentity.ts';
import { silentLogger } from '../utils/logger.ts';
import { authServiceHandlers, peerContextValues, registerAuthService } from './grpcService.ts';
import { startAuthTLSServer, type AuthTLSServer } from './tlsServer.ts';
import { addUser, newTestAuthServer, newTestKeys, type TestAuth } from './testAuthServer.ts';

let t: TestAuth;
let fast: AuthTLSServer;
let connectOnly: http2.Http2SecureServer;
let connectPort: number;
let admin: LocalIdentity;

before(async () => {
  t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
  const hostId = randomUUID();
  const own = await issueLocalIdentity(t.auth, { hostId, nodeName: 'auth', role: 'Auth', algorithm: 'ecdsa-p256' });
  admin = await issueLocalIdentity(t.auth, { hostId, nodeName: 'auth', role: 'Admin', algorithm: 'ecdsa-p256' });
  fast = await startAuthTLSServer({ auth: t.auth, listenAddr: { host: '127.0.0.1', port: 0 }, certPEM: own.certPEM, keyPEM: own.keyPEM, logger: silentLogger });
  // The reference: what tlsServer was before the fast path, Connect's adapter for every call.
  const handlers = authServiceHandlers(t.auth, silentLogger);
  const trustedCAs = await t.auth.keyring.tlsCerts('host', 'user');
  connectOnly = http2.createSecureServer(
    { ...mtlsServerOptions({ certPEM: own.certPEM, keyPEM: own.keyPEM, trustedCAs, requireClientCert: false }), allowHTTP1: false },
    connectNodeAdapter({ routes: (router) => registerAuthService(router, handlers), contextValues: (req) => peerContextValues(req as never), acceptCompression: [] }),
  );
  await new Promise<void>((resolve) => connectOnly.listen(0, '127.0.0.1', resolve));
  connectPort = (connectOnly.address() as AddressInfo).port;
  await addUser(t, 'alice', ['access'], { traits: { logins: ['alice'] } });
});

after(async () => {
  await fast.close();
  await new Promise<void>((resolve) => connectOnly.close(() => resolve()));
});

interface RawResponse {
  status: number | undefined;
  contentType: string | undefined;
  body: Buffer;
  /** grpc-status, grpc-message and x-teleport-error, from trailers or (trailers-only) headers. */
  status2: Record<string, string | undefined>;
}

/** One raw HTTP/2 request; `asAdmin` presents the admin certificate, else none. */
async function raw(port: number, path: string, body: Buffer, opts: { asAdmin?: boolean; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const session = http2.connect(`https://127.0.0.1:${port}`, {
    ca: admin.tlsCACerts, servername: 'teleport.cluster.local',
    ...(opts.asAdmin !== false && { cert: admin.certPEM, key: admin.keyPEM }),
  });
  try {
    return await new Promise<RawResponse>((resolve, reject) => {
      const req = session.request({
        ':method': 'POST', ':path': path, 'content-type': 'application/grpc+proto', te: 'trailers', 'grpc-timeout': '10S', ...opts.headers,
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => (headers = h));
      req.on('trailers', (h) => (trailers = h));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('end', () => {
        const pick = (name: string): string | undefined => (trailers[name] ?? headers[name]) as string | undefined;
        resolve({
          status: Number(headers[':status']), contentType: headers['content-type'], body: Buffer.concat(chunks),
          status2: { 'grpc-status': pick('grpc-status'), 'grpc-message': pick('grpc-message'), 'x-teleport-error': pick('x-teleport-error') },
        });
      });
      req.end(body);
    });
  } finally {
    session.close();
  }
}

const path = (method: string): string => `/${AuthService.typeName}/${method}`;
const msg = <D extends DescMessage>(schema: D, init: Parameters<typeof create<D>>[1]): Buffer => envelope(toBinary(schema, create(schema, init)));

async function same(method: string, body: Buffer, opts: { asAdmin?: boolean; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const [a, b] = [await raw(fast.address.port, path(method), body, opts), await raw(connectPort, path(method), body, opts)];
  assert.deepEqual(a, b, `${method}: the direct path answered differently from Connect`);
  return a;
}

describe('direct unary gRPC path', () => {
  it('answers a successful call byte for byte as Connect does', async () => {
    const r = await same('GetResource', msg(GetResourceRequestSchema, { kind: 'role', name: 'access' }));
    assert.equal(r.status2['grpc-status'], '0');
    assert.equal(r.contentType, 'application/grpc+proto');
  });

  it('answers typed errors with the same status, message and x-teleport-error', async () => {
    const r = await same('GetResource', msg(GetResourceRequestSchema, { kind: 'user', name: 'nobody' }));
    assert.equal(r.status2['x-teleport-error'], 'not_found');
    assert.equal(r.status2['grpc-status'], '5');
    assert.match(decodeURIComponent(r.status2['grpc-message'] ?? ''), /user 'nobody'/);
    await same('GetResource', msg(GetResourceRequestSchema, { kind: 'no-such-kind', name: 'x' }));
    await same('GetResource', msg(GetResourceRequestSchema, { kind: 'user', name: 'nöbody, 100% "quoted"' }));
  });

  it('refuses a caller without a certificate the same way', async () => {
    const r = await same('Ping', msg(PingRequestSchema, {}), { asAdmin: false });
    assert.equal(r.status2['x-teleport-error'], 'access_denied');
  });

  it('treats malformed bodies as Connect does', async () => {
    for (const body of [
      Buffer.alloc(0), Buffer.from([0, 0, 0]), envelope(Buffer.from([0xff, 0xff, 0xff])),
      Buffer.concat([msg(PingRequestSchema, {}), msg(PingRequestSchema, {})]),
      envelope(Buffer.from([1, 2, 3]), 1),
      Buffer.concat([msg(PingRequestSchema, {}), Buffer.from([0, 0])]),
      Buffer.concat([msg(PingRequestSchema, {}), envelope(Buffer.from([0xff, 0xff]))]),
      Buffer.concat([envelope(Buffer.from([0xff, 0xff])), msg(PingRequestSchema, {})]),
      Buffer.from([0, 0, 0, 0, 10, 1, 2]),
    ]) {
      const r = await same('Ping', body);
      assert.notEqual(r.status2['grpc-status'], '0', `accepted ${body.subarray(0, 32).toString('hex')}`);
    }
    // A body over several DATA frames (unknown fields, which protobuf skips).
    assert.equal((await same('Ping', envelope(Buffer.alloc(300_000, 0x08)))).status2['grpc-status'], '0');
  });

  it('issues certificates, decodable as the response message', async () => {
    const keys = newTestKeys();
    const body = msg(GenerateUserCertsRequestSchema, { username: 'alice', sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey, ttlMs: 3600_000n });
    const r = await raw(fast.address.port, path('GenerateUserCerts'), body);
    assert.equal(r.status2['grpc-status'], '0');
    assert.equal(r.body.readUInt32BE(1), r.body.length - 5);
    const out = fromBinary(CertsResponseSchema, r.body.subarray(5));
    assert.match(out.tlsCert, /BEGIN CERTIFICATE/);
    assert.match(out.sshCert, /-cert-v01@openssh.com /);
  });

  it('leaves compressed, JSON, unknown and malformed-deadline requests to Connect', async () => {
    await same('Ping', envelope(gzipSync(toBinary(PingRequestSchema, create(PingRequestSchema, {}))), 1), { headers: { 'grpc-encoding': 'gzip' } });
    await same('Ping', envelope(Buffer.from('{}')), { headers: { 'content-type': 'application/grpc+json' } });
    await same('NoSuchMethod', msg(PingRequestSchema, {}));
    await same('Ping', msg(PingRequestSchema, {}), { headers: { 'grpc-timeout': 'soon' } });
  });

  it('serves the real client, including the streaming watch through Connect', async () => {
    const client = new AuthClient({ addr: `127.0.0.1:${fast.address.port}`, certPEM: admin.certPEM, keyPEM: admin.keyPEM, caCerts: admin.tlsCACerts, timeoutMs: 10_000 });
    try {
      assert.equal((await client.ping()).clusterName, 'example.com');
      const abort = new AbortController();
      const events = client.watchEvents(['role'], abort.signal)[Symbol.asyncIterator]();
      const first = await events.next();
      abort.abort();
      assert.equal(first.done, false);
      assert.equal(first.value?.type, 'init');
    } finally {
      client.close();
    }
  });
});
