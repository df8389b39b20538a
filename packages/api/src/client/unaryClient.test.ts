/**
 * @module client/unaryClient.test
 * The lean unary client against Connect's gRPC client, call for call: the same requests to the same
 * servers must give the same messages, or ConnectErrors with the same code, message and
 * x-teleport-error. Servers: Connect's own adapter with AuthService handlers (successes, typed errors,
 * unimplemented methods, slow handlers for deadlines and cancellation), a raw HTTP/2 server that
 * answers with every malformation Connect's client checks for, and a port nobody listens on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { connectNodeAdapter, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AuthService, GetResourceRequestSchema, GetResourceResponseSchema } from '../gen/teleport/auth/v1/auth_pb.ts';
import { NotFoundError } from '../errors.ts';
import { toConnectError, ERROR_CODE_HEADER } from './errorMapping.ts';
import { createUnaryClient, envelope, type UnaryClient } from './unaryClient.ts';

let connectServer: http2.Http2Server;
let rawServer: http2.Http2Server;
let connectURL: string;
let rawURL: string;
let deadURL: string;

const resourceMessage = (json: string): Buffer => envelope(toBinary(GetResourceResponseSchema, create(GetResourceResponseSchema, { resourceJson: json })));

/** Raw answers by resource name (GetResource), each a malformation or edge case of the gRPC protocol. */
const RAW: Record<string, (s: http2.ServerHttp2Stream) => void> = {
  ok: (s) => reply(s, resourceMessage('{"ok":true}'), { 'grpc-status': '0' }),
  okSplit: (s) => {
    const m = resourceMessage(`{"big":"${'x'.repeat(100_000)}"}`);
    s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    s.once('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    s.write(m.subarray(0, 3));
    s.write(m.subarray(3, 70_000));
    s.end(m.subarray(70_000));
  },
  http500: (s) => {
    s.respond({ ':status': 500, 'content-type': 'text/plain', [ERROR_CODE_HEADER]: 'not_found' });
    s.end('oops');
  },
  http503: (s) => {
    s.respond({ ':status': 503 });
    s.end();
  },
  badContentType: (s) => reply(s, resourceMessage('{}'), { 'grpc-status': '0' }, { 'content-type': 'text/html' }),
  jsonContentType: (s) => reply(s, resourceMessage('{"j":1}'), { 'grpc-status': '0' }, { 'content-type': 'application/grpc+json' }),
  gzipEncoding: (s) => reply(s, envelope(gzipSync(Buffer.from('x')), 1), { 'grpc-status': '0' }, { 'grpc-encoding': 'gzip' }),
  identityEncoding: (s) => reply(s, resourceMessage('{"i":1}'), { 'grpc-status': '0' }, { 'grpc-encoding': 'identity' }),
  compressedFlag: (s) => reply(s, envelope(Buffer.from('x'), 1), { 'grpc-status': '0' }),
  twoMessages: (s) => reply(s, Buffer.concat([resourceMessage('{}'), resourceMessage('{}')]), { 'grpc-status': '0' }),
  incomplete: (s) => reply(s, resourceMessage('{}').subarray(0, 8), { 'grpc-status': '0' }),
  trailingBytes: (s) => reply(s, Buffer.concat([resourceMessage('{}'), Buffer.from([0, 0])]), { 'grpc-status': '0' }),
  garbage: (s) => reply(s, envelope(Buffer.from([0xff, 0xff, 0xff])), { 'grpc-status': '0' }),
  noStatus: (s) => reply(s, resourceMessage('{}'), {}),
  noMessage: (s) => reply(s, Buffer.alloc(0), { 'grpc-status': '0' }),
  noMessageNoStatus: (s) => reply(s, Buffer.alloc(0), {}),
  trailerError: (s) => reply(s, Buffer.alloc(0), { 'grpc-status': '5', 'grpc-message': encodeURIComponent('gone, 100% "so"'), [ERROR_CODE_HEADER]: 'not_found' }),
  trailerErrorWithMessage: (s) => reply(s, resourceMessage('{}'), { 'grpc-status': '7', 'grpc-message': 'no' }),
  invalidStatus: (s) => reply(s, resourceMessage('{}'), { 'grpc-status': '99' }),
  trailersOnly: (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-status': '16', 'grpc-message': 'who%20are%20you', [ERROR_CODE_HEADER]: 'access_denied' }, { endStream: true });
  },
  headerErrorWithMessage: (s) => reply(s, resourceMessage('{}'), { 'grpc-status': '0' }, { 'grpc-status': '3', 'grpc-message': 'bad' }),
  rstCancel: (s) => s.close(http2.constants.NGHTTP2_CANCEL),
  rstRefused: (s) => s.close(http2.constants.NGHTTP2_REFUSED_STREAM),
  rstInternalAfterHeaders: (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc+proto' });
    s.write(resourceMessage('{}').subarray(0, 4), () => s.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
  },
  rstEnhanceYourCalm: (s) => s.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM),
};

function reply(s: http2.ServerHttp2Stream, body: Buffer, trailers: http2.OutgoingHttpHeaders, headers: http2.OutgoingHttpHeaders = {}): void {
  s.respond({ ':status': 200, 'content-type': 'application/grpc+proto', ...headers }, { waitForTrailers: true });
  s.once('wantTrailers', () => s.sendTrailers(trailers));
  s.end(body);
}

before(async () => {
  connectServer = http2.createServer(connectNodeAdapter({
    routes: (router) => router.service(AuthService, {
      ping: () => ({ clusterName: 'example.com', caPins: ['sha256:ab', 'sha256:cd'], roles: ['access'], serverVersion: '1.2.3' }),
      getResource: async (req, ctx) => {
        if (req.name === 'slow') {
          await sleep(2000, undefined, { signal: ctx.signal }).catch(() => undefined);
          return { resourceJson: '{"late":true}' };
        }
        if (req.name === 'plain-error') throw new Error('kaboom');
        if (req.kind !== 'role') throw toConnectError(new NotFoundError(`${req.kind} '${req.name}' not found, 100% "really"`));
        return { resourceJson: JSON.stringify({ kind: req.kind, name: req.name, with: req.withSecrets }) };
      },
      uploadRecordingChunk: (req) => ({ size: BigInt(req.data.length) + req.offset }),
    }),
  }));
  rawServer = http2.createServer();
  rawServer.on('stream', (stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => undefined);
    stream.on('end', () => {
      const { name } = fromBinary(GetResourceRequestSchema, Buffer.concat(chunks).subarray(5));
      (RAW[name] ?? (RAW['ok'] as (s: http2.ServerHttp2Stream) => void))(stream);
    });
  });
  for (const s of [connectServer, rawServer]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  connectURL = `http://127.0.0.1:${(connectServer.address() as net.AddressInfo).port}`;
  rawURL = `http://127.0.0.1:${(rawServer.address() as net.AddressInfo).port}`;
  const dead = net.createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  deadURL = `http://127.0.0.1:${(dead.address() as net.AddressInfo).port}`;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
});

after(async () => {
  for (const s of [connectServer, rawServer]) await new Promise<void>((resolve) => s.close(() => resolve()));
});

interface Pair {
  lean: UnaryClient<typeof AuthService>;
  connect: Client<typeof AuthService>;
  close(): void;
}

/**
 * The two clients. The lean one does not offer compression (the auth server sends none), so against a
 * server that compresses anyway it is compared with a Connect client that offers none either.
 */
function clients(url: string, timeoutMs = 5000, connectOffersCompression = true): Pair {
  const leanSession = new Http2SessionManager(url);
  const connectSession = new Http2SessionManager(url);
  return {
    lean: createUnaryClient(AuthService, { session: leanSession, defaultTimeoutMs: timeoutMs }),
    connect: createClient(AuthService, createGrpcTransport({
      baseUrl: url, sessionManager: connectSession, defaultTimeoutMs: timeoutMs, ...(!connectOffersCompression && { acceptCompression: [] }),
    })),
    close: () => {
      leanSession.abort();
      connectSession.abort();
    },
  };
}

/** What a call came to, in a form both clients must agree on. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: JSON.parse(JSON.stringify(await p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))) as unknown };
  } catch (err) {
    assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${String(err)}`);
    return { code: Code[err.code], message: err.rawMessage, teleportCode: err.metadata.get(ERROR_CODE_HEADER) };
  }
}

async function same(pair: Pair, call: (c: Client<typeof AuthService> | UnaryClient<typeof AuthService>) => Promise<unknown>): Promise<unknown> {
  const lean = await outcome(call(pair.lean));
  const connect = await outcome(call(pair.connect));
  assert.deepEqual(lean, connect);
  return lean;
}

describe('lean unary client', () => {
  it('returns the same messages as Connect for successful calls, reusing one connection', async () => {
    const p = clients(connectURL);
    try {
      const ping = await same(p, (c) => c.ping({}));
      assert.deepEqual((ping as { ok: { caPins: string[] } }).ok.caPins, ['sha256:ab', 'sha256:cd']);
      await same(p, (c) => c.getResource({ kind: 'role', name: 'access', withSecrets: true }));
      await same(p, (c) => c.uploadRecordingChunk({ sessionId: 's', offset: 7n, data: new Uint8Array(300_000) }));
      const many = await Promise.all(Array.from({ length: 50 }, (_v, i) => p.lean.getResource({ kind: 'role', name: `r${i}` })));
      assert.deepEqual(many.map((r) => (JSON.parse(r.resourceJson) as { name: string }).name), Array.from({ length: 50 }, (_v, i) => `r${i}`));
    } finally {
      p.close();
    }
  });

  it('gives the same errors as Connect for typed, unexpected and unimplemented failures', async () => {
    const p = clients(connectURL);
    try {
      const notFound = await same(p, (c) => c.getResource({ kind: 'user', name: 'nobody' }));
      assert.deepEqual(notFound, { code: 'NotFound', message: `user 'nobody' not found, 100% "really"`, teleportCode: 'not_found' });
      await same(p, (c) => c.getResource({ kind: 'role', name: 'plain-error' }));
      assert.equal(((await same(p, (c) => c.listResources({ kind: 'role' }))) as { code: string }).code, 'Unimplemented');
    } finally {
      p.close();
    }
  });

  it('times out and cancels as Connect does', async () => {
    const p = clients(connectURL, 100);
    try {
      assert.deepEqual(await same(p, (c) => c.getResource({ kind: 'role', name: 'slow' })), {
        code: 'DeadlineExceeded', message: 'the operation timed out', teleportCode: null,
      });
      await same(p, (c) => c.getResource({ kind: 'role', name: 'slow' }, { timeoutMs: 50 }));
      const abortAfter = (ms: number, reason?: unknown): AbortSignal => {
        const ac = new AbortController();
        setTimeout(() => ac.abort(reason), ms);
        return ac.signal;
      };
      assert.deepEqual(await same(p, (c) => c.getResource({ kind: 'role', name: 'slow' }, { signal: abortAfter(20), timeoutMs: 0 })), {
        code: 'Canceled', message: 'This operation was aborted', teleportCode: null,
      });
      await same(p, (c) => c.getResource({ kind: 'role', name: 'slow' }, { signal: abortAfter(20, new Error('user gave up')), timeoutMs: 0 }));
      await same(p, (c) => c.ping({}, { signal: AbortSignal.abort() }));
      // The connection survives cancelled calls.
      await same(p, (c) => c.ping({}));
    } finally {
      p.close();
    }
  });

  it('reports an unreachable server as Connect does', async () => {
    const p = clients(deadURL);
    try {
      const r = await same(p, (c) => c.ping({}));
      assert.deepEqual(r, { code: 'Unavailable', message: `connect ECONNREFUSED ${deadURL.replace('http://', '')}`, teleportCode: null });
    } finally {
      p.close();
    }
  });

  it('reports a connection closed by the client as Connect does', async () => {
    const p = clients(connectURL);
    try {
      const lean = p.lean.getResource({ kind: 'role', name: 'slow' }, { timeoutMs: 0 });
      const connect = p.connect.getResource({ kind: 'role', name: 'slow' }, { timeoutMs: 0 });
      await sleep(50);
      p.close();
      const closed = await outcome(lean);
      assert.deepEqual(closed, await outcome(connect));
      assert.deepEqual(closed, { code: 'Canceled', message: 'connection aborted', teleportCode: null });
    } finally {
      p.close();
    }
  });

  for (const name of Object.keys(RAW)) {
    it(`handles a ${name} response as Connect does`, async () => {
      const p = clients(rawURL, 5000, name !== 'gzipEncoding');
      try {
        await same(p, (c) => c.getResource({ kind: 'role', name }));
      } finally {
        p.close();
      }
    });
  }
});
