/**
 * @module proxy/db/dbProxy.e2e.test
 * End to end through a real proxy: an in-process auth server on TLS, the proxy service (web port,
 * reverse tunnel, dedicated PostgreSQL and MySQL listeners), and a database-service STAND-IN (an
 * AgentPool with a Db host identity, answering "db" dials by echoing the session header it received
 * and a PostgreSQL BackendKeyData, then the client's bytes). It registers db_server records through the auth API as the real service
 * does. Proves the route (db name -> host id over the tunnel), the header (client certificate,
 * client address, protocol, MySQL greeting state), PostgreSQL cancel forwarding by key, the refusal
 * for a database whose service is not connected, and ping's `proxy.db` addresses.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import type { DatabaseServer } from '@teleport-ts/api/types/database';
import type { PingResponse } from '@teleport-ts/api/webapi';
import type { AuthTLSServer } from '../../auth/tlsServer.ts';
import { newTestAuthServer, type TestAuth, startTestAuthTLS } from '../../auth/testAuthServer.ts';
import { AgentPool } from '../../reversetunnel/agentPool.ts';
import { readFirstFrame } from '../../reversetunnel/frameIO.ts';
import type { DialRequest } from '../../reversetunnel/protocol.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { startProxyService, type RunningProxyService } from '../../service/proxyService.ts';
import type { DatabaseSessionHeader } from '../../srv/db/common/engine.ts';
import { silentLogger } from '../../utils/logger.ts';
import { eventually, issueDbCert, postgresErrorMessage, type TestDbCert } from './testkit.ts';

const SSL_REQUEST = Buffer.from('0000000804d2162f', 'hex');
/** BackendKeyData the stand-in sends PostgreSQL clients: pid 4242, key 0x01020304. */
const BACKEND_KEY = Buffer.from('4b0000000c000010920102030400', 'hex').subarray(0, 13);

/** What the stand-in saw on each dial: the request, the header and the bytes that followed. */
interface Seen { req: DialRequest; header: DatabaseSessionHeader; rest: Buffer[] }

describe('database access through the proxy service and a reverse tunnel', () => {
  let dir: string;
  let t: TestAuth;
  let auth: AuthTLSServer;
  let proxy: RunningProxyService;
  let pool: AgentPool;
  const seen: Seen[] = [];
  let pg: TestDbCert;
  let my: TestDbCert;

  /** The database-service stand-in: header in, `{header, target}` frame out, then echo. */
  const standIn = (req: DialRequest) => {
    if (req.type !== 'db') throw new Error(`stand-in serves only db dials, not ${req.type}`);
    return (stream: Duplex): void => {
      void readFirstFrame(stream, 5000, 'session header').then((value) => {
        const header = value as DatabaseSessionHeader;
        const entry: Seen = { req, header, rest: [] };
        seen.push(entry);
        stream.on('data', (d: Buffer) => entry.rest.push(d));
        // The reply rides in a PostgreSQL NoticeResponse-shaped message ('N' | int32 length | JSON):
        // the proxy reads PostgreSQL sessions' first messages for the cancel key, as a real engine sends them.
        const reply = Buffer.from(JSON.stringify({ target: req.target, header }));
        const head = Buffer.alloc(5);
        head.write('N', 0, 'ascii');
        head.writeInt32BE(reply.length + 4, 1);
        stream.write(Buffer.concat([head, reply]));
        if (header.protocol === 'postgres') stream.write(BACKEND_KEY);
        stream.pipe(stream);
      });
    };
  };

  const dbServer = (name: string, protocol: 'postgres' | 'mysql', hostId: string): DatabaseServer => ({
    kind: 'db_server', version: 'v3',
    metadata: { name, expires: new Date(Date.now() + 10 * 60_000).toISOString() },
    spec: { host_id: hostId, hostname: hostId, version: 'test', database: { kind: 'db', version: 'v3', metadata: { name, labels: { env: 'test' } }, spec: { protocol, uri: 'localhost:1' } } },
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbproxy-e2e-'));
    const clock = new FakeClock(Date.now());
    t = await newTestAuthServer({ clock, secondFactor: 'off' });
    auth = await startTestAuthTLS(t.auth, 'auth-1');
    const authAddr = `127.0.0.1:${auth.address.port}`;
    const proxyIdentity = await issueLocalIdentity(t.auth, { hostId: 'proxy-1', nodeName: 'localhost', role: 'Proxy', algorithm: 'ecdsa-p256' });
    const any = { host: '127.0.0.1', port: 0 };
    proxy = await startProxyService({
      dataDir: dir, nodeName: 'localhost', identity: proxyIdentity, authAddr, webListenAddr: any, tunnelListenAddr: any,
      postgresListenAddr: any, mysqlListenAddr: any, discoverProxies: () => [], clock: systemClock, logger: silentLogger,
    });
    const dbIdentity = await issueLocalIdentity(t.auth, { hostId: 'db-1', nodeName: 'db1', role: 'Db', algorithm: 'ed25519' });
    const dbClient = new AuthClient({ addr: authAddr, certPEM: dbIdentity.certPEM, keyPEM: dbIdentity.keyPEM, caCerts: dbIdentity.tlsCACerts });
    await dbClient.upsertResource(dbServer('pg1', 'postgres', 'db-1'));
    await dbClient.upsertResource(dbServer('my1', 'mysql', 'db-1'));
    // A service that registered a database but has no tunnel to this proxy.
    const goneIdentity = await issueLocalIdentity(t.auth, { hostId: 'db-gone', nodeName: 'dbgone', role: 'Db', algorithm: 'ed25519' });
    const goneClient = new AuthClient({ addr: authAddr, certPEM: goneIdentity.certPEM, keyPEM: goneIdentity.keyPEM, caCerts: goneIdentity.tlsCACerts });
    await goneClient.upsertResource(dbServer('pg-offline', 'postgres', 'db-gone'));
    pool = new AgentPool({ proxyAddr: `127.0.0.1:${proxy.tunnelAddr?.port ?? 0}`, alpn: false, identity: dbIdentity, handler: standIn, clock: systemClock, logger: silentLogger });
    pool.start();
    await pool.waitForProxies(1);
    await eventually(() => proxy.tunnel?.isConnected('db-1', 'db'), 'the stand-in on the proxy');
    pg = await issueDbCert(t, { user: 'alice', db: 'pg1', protocol: 'postgres' });
    my = await issueDbCert(t, { user: 'alice', db: 'my1', protocol: 'mysql', dbName: '' });
  });

  after(async () => {
    await pool?.close();
    await proxy?.close({ graceful: false });
    await auth?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Reads the stand-in's reply frame, then whatever else arrives until `extra` bytes came. */
  const session = (sock: tls.TLSSocket, extra = 0): Promise<{ reply: { target: string; header: DatabaseSessionHeader }; rest: Buffer }> =>
    new Promise((resolve, reject) => {
      let buf = Buffer.alloc(0);
      let reply: { target: string; header: DatabaseSessionHeader } | undefined;
      const timer = setTimeout(() => reject(new Error('no reply from the stand-in')), 8000);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (!reply) {
          if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) return;
          const end = 1 + buf.readInt32BE(1);
          reply = JSON.parse(buf.subarray(5, end).toString()) as typeof reply;
          buf = buf.subarray(end);
        }
        if (reply && buf.length >= extra) {
          clearTimeout(timer);
          resolve({ reply, rest: buf });
        }
      });
      sock.on('error', reject);
    });

  it('ALPN teleport-postgres on the web port reaches the service serving the database, with the header', async () => {
    const sock = tls.connect({ host: '127.0.0.1', port: proxy.web.address.port, rejectUnauthorized: false, ALPNProtocols: ['teleport-postgres'], cert: pg.certPEM, key: pg.keyPEM });
    const { reply, rest } = await session(sock, BACKEND_KEY.length);
    assert.equal(reply.target, 'pg1');
    assert.equal(reply.header.protocol, 'postgres');
    assert.equal(reply.header.client_cert.trim(), pg.certPEM.trim());
    assert.equal(reply.header.client_addr, `127.0.0.1:${sock.localPort}`);
    assert.equal(reply.header.mysql, undefined);
    assert.deepEqual(rest, BACKEND_KEY);
    const echoed = new Promise<string>((resolve) => sock.once('data', (d: Buffer) => resolve(d.toString())));
    sock.write('select 1');
    assert.equal(await echoed, 'select 1');
    const last = seen.at(-1);
    assert.deepEqual(last?.req, { type: 'db', target: 'pg1', client_addr: `127.0.0.1:${sock.localPort}` });

    // A plaintext CancelRequest with the session's key is forwarded to the same service.
    const cancel = Buffer.concat([Buffer.from('0000001004d2162e', 'hex'), BACKEND_KEY.subarray(5)]);
    const before = seen.length;
    const c = net.connect(proxy.web.address.port, '127.0.0.1', () => c.write(cancel));
    await eventually(() => seen.length > before && Buffer.concat(seen.at(-1)?.rest ?? []).length >= 16, 'the forwarded cancel');
    assert.deepEqual(Buffer.concat(seen.at(-1)?.rest ?? []), cancel);
    assert.equal(seen.at(-1)?.header.client_cert.trim(), pg.certPEM.trim());
    c.destroy();
    sock.destroy();
  });

  it('an SSLRequest on the dedicated PostgreSQL listener takes the same route', async () => {
    const raw = net.connect(proxy.postgresAddr?.port ?? 0, '127.0.0.1');
    raw.write(SSL_REQUEST);
    const answer = await new Promise<Buffer>((resolve) => raw.once('data', resolve));
    assert.equal(answer.toString(), 'S');
    const sock = tls.connect({ socket: raw, rejectUnauthorized: false, cert: pg.certPEM, key: pg.keyPEM });
    const { reply } = await session(sock);
    assert.equal(reply.target, 'pg1');
    assert.equal(reply.header.client_addr, `127.0.0.1:${raw.localPort}`);
    sock.destroy();
  });

  it('the dedicated MySQL listener greets, upgrades, and passes the greeting state on', async () => {
    const raw = net.connect(proxy.mysqlAddr?.port ?? 0, '127.0.0.1');
    const greeting = await new Promise<Buffer>((resolve) => raw.once('data', resolve));
    assert.equal(greeting[3], 0, 'greeting has sequence id 0');
    // SSLRequest (seq 1): CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH, max packet, charset, filler.
    const payload = Buffer.alloc(32);
    payload.writeUInt32LE(0x200 | 0x800 | 0x8000 | 0x80000, 0);
    payload.writeUInt32LE(16 * 1024 * 1024, 4);
    payload[8] = 45;
    raw.write(Buffer.concat([Buffer.from([32, 0, 0, 1]), payload]));
    const sock = tls.connect({ socket: raw, rejectUnauthorized: false, cert: my.certPEM, key: my.keyPEM });
    const { reply } = await session(sock);
    assert.equal(reply.target, 'my1');
    assert.equal(reply.header.protocol, 'mysql');
    assert.ok(reply.header.mysql && reply.header.mysql.connection_id > 0);
    assert.equal(Buffer.from(reply.header.mysql.scramble, 'base64').length, 20);
    sock.destroy();
  });

  /** Connects by ALPN teleport-postgres with `cert` and returns the proxy's error message. */
  const refusal = async (cert: TestDbCert): Promise<string> => {
    const sock = tls.connect({ host: '127.0.0.1', port: proxy.web.address.port, rejectUnauthorized: false, ALPNProtocols: ['teleport-postgres'], cert: cert.certPEM, key: cert.keyPEM });
    const data = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      sock.on('close', () => resolve(Buffer.concat(chunks)));
      sock.on('error', () => undefined);
    });
    return postgresErrorMessage(data) ?? '<no ErrorResponse>';
  };

  it('refuses a certificate without a database route, and one for the other protocol', async () => {
    assert.match(await refusal(await issueDbCert(t, { user: 'alice', db: '', protocol: '', withoutRoute: true })), /this certificate is not for a database: run 'tsh db login <db>'/);
    assert.match(await refusal(my), /the certificate is for mysql database 'my1', but this connection speaks postgres/);
  });

  it('a database whose only service has no tunnel here is refused with a clear error', async () => {
    const cert = await issueDbCert(t, { user: 'alice', db: 'pg-offline', protocol: 'postgres' });
    assert.match(await refusal(cert), /database 'pg-offline' is not served by any database service connected to this proxy/);
    const events = await eventually(async () => {
      const found = (await t.audit.search({ from: new Date(0), to: new Date(Date.now() + 86_400_000), eventTypes: ['db.session.start'] })).events.filter((e) => e.code === 'TDB00W');
      return found.some((e) => e.db_service === 'pg-offline') ? found : undefined;
    }, 'the failure event');
    const offline = events.find((e) => e.db_service === 'pg-offline');
    assert.equal(offline?.user, 'alice');
    assert.match(String(offline?.error), /not served by any database service connected to this proxy/);
  });

  it('ping advertises the dedicated listeners', async () => {
    const body = await new Promise<PingResponse>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: proxy.web.address.port, path: '/v1/webapi/ping', rejectUnauthorized: false }, (r) => {
        let s = '';
        r.on('data', (d: Buffer) => (s += d.toString()));
        r.on('end', () => resolve(JSON.parse(s) as PingResponse));
      }).on('error', reject);
    });
    assert.deepEqual(body.proxy.db, {
      postgres_listen_addr: `127.0.0.1:${proxy.postgresAddr?.port}`,
      mysql_listen_addr: `127.0.0.1:${proxy.mysqlAddr?.port}`,
    });
  });

  it('finished sessions, ended or dropped by the client, leave no tunnel channel open', async () => {
    for (const how of ['end', 'destroy', 'end', 'destroy'] as const) {
      const raw = net.connect(proxy.postgresAddr?.port ?? 0, '127.0.0.1');
      raw.write(SSL_REQUEST);
      await new Promise<Buffer>((resolve) => raw.once('data', resolve));
      const sock = tls.connect({ socket: raw, rejectUnauthorized: false, cert: pg.certPEM, key: pg.keyPEM });
      await session(sock);
      if (how === 'end') sock.end();
      else sock.destroy();
    }
    // Every test above closed its sessions as well: none may hold a channel (and its listeners) on.
    await eventually(() => proxy.tunnel?.openChannels() === 0, 'every tunnel channel closed');
  });
});
