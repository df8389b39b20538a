/**
 * @module integration/authClientUnary.test
 * AuthClient's lean unary gRPC client against the Connect client it replaced, on a real cluster: the
 * same calls with the same credentials must give the same results, and failures the same error class,
 * code and message after errorMapping (successes, NotFound, AccessDenied for a caller without
 * permission, no / foreign / expired client certificate, an auth server nobody listens on, a deadline
 * that passes), and a closed client reconnects. The reference is built the way
 * AuthClient built its Connect client before: one Http2SessionManager over the same TLS options,
 * Connect's gRPC transport, every error through fromConnectError.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { AuthClient, AUTH_SERVER_NAME } from '../packages/api/src/client/authClient.ts';
import { fromConnectError } from '../packages/api/src/client/errorMapping.ts';
import { AuthService } from '../packages/api/src/gen/teleport/auth/v1/auth_pb.ts';
import { generateKeyPair, publicKeyToPEM } from '../packages/api/src/keys.ts';
import { formatAuthorizedKey, sshPublicKeyBlob } from '../packages/api/src/sshcert/publicKey.ts';
import { adminCredentials, expiredCredentials, foreignCACredentials, issuedUserCredentials, type ClientCredentials } from './helpers/certs.ts';
import { describeResult } from './helpers/cli.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

/** The Connect path as AuthClient had it: unary calls through Connect, errors through fromConnectError. */
function connectReference(addr: string, creds: ClientCredentials, timeoutMs: number): { rpc: Client<typeof AuthService>; close(): void } {
  const tls = { cert: creds.certPEM, key: creds.keyPEM, ca: creds.caCerts, rejectUnauthorized: true, servername: AUTH_SERVER_NAME, minVersion: 'TLSv1.2' as const };
  const session = new Http2SessionManager(`https://${addr}`, { idleConnectionTimeoutMs: 60_000 }, tls);
  const raw = createClient(AuthService, createGrpcTransport({ baseUrl: `https://${addr}`, sessionManager: session, defaultTimeoutMs: timeoutMs }));
  const rpc = new Proxy(raw, {
    get: (target, prop) => {
      const fn = Reflect.get(target, prop) as (...a: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => fn(...args).catch((err: unknown) => {
        throw fromConnectError(err, addr);
      });
    },
  });
  return { rpc, close: () => session.abort() };
}

/** A comparable form of a call's outcome. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: JSON.parse(JSON.stringify(await p, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))) as unknown };
  } catch (err) {
    const e = err as Error & { code?: unknown };
    return { class: e.constructor.name, code: e.code, message: e.message };
  }
}

let cluster: TestCluster;
let admin: ClientCredentials;

before(async () => {
  cluster = await startTestCluster({ secondFactor: 'off' });
  const add = await cluster.tctl(['users', 'add', 'mallory', '--roles=access', '--logins=mallory']);
  assert.equal(add.code, 0, describeResult(add));
  admin = await adminCredentials(cluster);
});

after(async () => {
  await cluster.close();
});

/** Runs the same call through AuthClient (lean) and the Connect reference; returns the agreed outcome. */
async function same(
  creds: ClientCredentials,
  lean: (c: AuthClient) => Promise<unknown>,
  connect: (c: Client<typeof AuthService>) => Promise<unknown>,
  opts: { addr?: string; timeoutMs?: number } = {},
): Promise<unknown> {
  const addr = opts.addr ?? cluster.authAddr;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const client = new AuthClient({ addr, ...creds, timeoutMs });
  const ref = connectReference(addr, creds, timeoutMs);
  try {
    const a = await outcome(lean(client));
    const b = await outcome(connect(ref.rpc));
    assert.deepEqual(a, b);
    return a;
  } finally {
    client.close();
    ref.close();
  }
}

describe('AuthClient unary calls: lean client vs Connect', () => {
  test('successful calls return the same results', async () => {
    const ping = await same(admin, async (c) => (await c.ping()).caPins, async (c) => (await c.ping({})).caPins);
    assert.match(JSON.stringify(ping), /sha256:[0-9a-f]{64}/);
    await same(admin, (c) => c.getResource('role', 'access'), async (c) => JSON.parse((await c.getResource({ kind: 'role', name: 'access' })).resourceJson));
    await same(admin, async (c) => (await c.listResources('user')).map((u) => u.metadata.name),
      async (c) => (await c.listResources({ kind: 'user' })).resourcesJson.map((j) => (JSON.parse(j) as { metadata: { name: string } }).metadata.name));
    // Issued certificates differ (fresh serials); what they are issued for and by does not.
    const { publicKey } = generateKeyPair('ed25519');
    const keys = { sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(publicKey)), tlsPublicKey: publicKeyToPEM(publicKey) };
    await same(admin, async (c) => {
      const r = await c.generateUserCerts({ username: 'mallory', ...keys, ttlMs: 3600_000 });
      return { username: r.username, cas: r.tlsCACerts, hostCAs: r.hostCAs.length, ssh: r.sshCert.split(' ')[0] };
    }, async (c) => {
      const r = await c.generateUserCerts({ username: 'mallory', ...keys, ttlMs: 3600_000n });
      return { username: r.username, cas: r.tlsCaCerts, hostCAs: r.hostCasJson.length, ssh: r.sshCert.split(' ')[0] };
    });
  });

  test('typed errors: not found, access denied', async () => {
    const notFound = await same(admin, (c) => c.getResource('user', 'nobody'), (c) => c.getResource({ kind: 'user', name: 'nobody' }));
    assert.equal((notFound as { class: string }).class, 'NotFoundError');
    const mallory = await issuedUserCredentials(cluster, 'mallory');
    const denied = await same(mallory, (c) => c.deleteResource('role', 'access'), (c) => c.deleteResource({ kind: 'role', name: 'access' }));
    assert.equal((denied as { class: string }).class, 'AccessDeniedError');
  });

  test('refused client certificates: none, foreign CA, expired', async () => {
    const none = { certPEM: '', keyPEM: '', caCerts: admin.caCerts };
    for (const creds of [none, await foreignCACredentials(cluster, 'mallory', ['editor']), await expiredCredentials(cluster, 'mallory', ['editor'])]) {
      const r = await same(creds, (c) => c.listResources('user'), (c) => c.listResources({ kind: 'user' }));
      assert.equal((r as { class: string }).class, 'AccessDeniedError');
    }
  });

  test('an auth server that is gone is a ConnectionProblem with the same message', async () => {
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const addr = `127.0.0.1:${(dead.address() as net.AddressInfo).port}`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const r = await same(admin, (c) => c.ping(), (c) => c.ping({}), { addr });
    assert.deepEqual(r, { class: 'ConnectionProblemError', code: 'connection_problem', message: `cannot reach the auth service at ${addr}: connect ECONNREFUSED ${addr}` });
  });

  test('a deadline that passes is a ConnectionProblem with the same message', async () => {
    const r = await same(admin, (c) => c.ping(), (c) => c.ping({}), { timeoutMs: 1 });
    assert.deepEqual(r, { class: 'ConnectionProblemError', code: 'connection_problem', message: `cannot reach the auth service at ${cluster.authAddr}: the operation timed out` });
  });

  test('a closed client reconnects for its next call, as before', async () => {
    // (A call cut off by close() is compared in packages/api/src/client/unaryClient.test.ts, where a
    // handler can be made to wait.)
    const r = await same(admin, async (c) => {
      const first = (await c.ping()).clusterName;
      c.close();
      return [first, (await c.ping()).clusterName];
    }, async (c) => {
      const first = (await c.ping({})).clusterName;
      return [first, (await c.ping({})).clusterName];
    });
    assert.deepEqual(r, { ok: ['integration.test', 'integration.test'] });
  });
});
