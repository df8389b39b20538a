/**
 * @module service/dbService.test
 * The database service against a real in-process auth server and a real reverse-tunnel server: the
 * test plays the proxy (dials "db" transport channels and writes the session header) and the
 * engines are test doubles of our own Engine contract (the PostgreSQL and MySQL engines have their
 * own tests against real servers). Covers: a good certificate reaches the engine with the right
 * identity and database and `authorize` decides both ways; upstream client certificates come from
 * the db CA with CN = db user; foreign-CA, expired and other-database certificates are refused with
 * the protocol's error and a failed db.session.start; db_server records appear and disappear; a
 * dynamic db created with `tctl create` is served; unknown databases are refused at dial time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import { writeIdentityFile } from '@teleport-ts/api/identityFile';
import { generateKeyPair, publicKeyToPEM } from '@teleport-ts/api/keys';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { AuthTLSServer } from '../auth/tlsServer.ts';
import { addUser, newTestAuthServer, TEST_CLUSTER, type TestAuth, startTestAuthTLS } from '../auth/testAuthServer.ts';
import { createTLSCA, issueTLSCert } from '../ca/tlsCA.ts';
import { encodeFrame } from '../reversetunnel/protocol.ts';
import { ReverseTunnelServer } from '../reversetunnel/server.ts';
import type { DatabaseSessionHeader, Engine, EngineContext } from '../srv/db/common/engine.ts';
import { runTctl } from '../tool/tctl/main.ts';
import { silentLogger } from '../utils/logger.ts';
import { issueLocalIdentity } from './localIdentity.ts';
import { startDatabaseService, type RunningDatabaseService } from './dbService.ts';

async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Reads everything until the stream ends (or 5 s pass). */
function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (): void => resolve(Buffer.concat(chunks));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', done);
    stream.once('close', done);
    setTimeout(done, 5_000).unref();
  });
}

/** What the fake engine saw and did, per connection. */
interface Seen { ctx: EngineContext; allowed?: boolean; error?: string; upstreamCN?: string; upstreamIssuer?: string }

/**
 * A test double of an engine: reads "dbUser dbName\n", asks authorize, and on success gets the
 * upstream TLS options and audits one query; it answers "ok <cn>" or "denied <message>".
 */
function fakeEngine(seen: Seen[]): Engine {
  return async (ctx) => {
    const s: Seen = { ctx };
    seen.push(s);
    const line = await new Promise<string>((resolve) => ctx.client.once('data', (c: Buffer) => resolve(c.toString().trim())));
    const [dbUser = '', dbName = ''] = line.split(' ');
    try {
      await ctx.authorize(dbUser, dbName);
      s.allowed = true;
      await ctx.audit.sessionStart({ dbUser, dbName, success: true });
      const opts = await ctx.upstreamTLS(dbUser);
      const cert = new X509Certificate(String(opts.cert));
      s.upstreamCN = identityFromCertificate(cert.raw).username;
      s.upstreamIssuer = cert.issuer;
      await ctx.audit.query({ statement: 'select $1', parameters: ['42'] });
      ctx.client.end(`ok ${s.upstreamCN}\n`);
      await ctx.audit.sessionEnd();
    } catch (err) {
      s.allowed = false;
      s.error = (err as Error).message;
      await ctx.audit.sessionStart({ dbUser, dbName, success: false, error: s.error });
      ctx.client.end(`denied ${s.error}\n`);
    }
  };
}

describe('database service', () => {
  let dir: string;
  let t: TestAuth;
  let auth: AuthTLSServer;
  let tunnel: ReverseTunnelServer;
  let svc: RunningDatabaseService;
  let identityFile: string;
  const hostId = 'db-host-1';
  const seen: Seen[] = [];

  const userCert = async (user: string, route: { serviceName: string; username?: string; database?: string }): Promise<string> => {
    const kp = generateKeyPair('ecdsa-p256');
    const certs = await t.auth.generateUserCerts(await t.services.users.getUser(user), {
      tlsPublicKey: publicKeyToPEM(kp.publicKey), ttlMs: 3600_000, routeToDatabase: { protocol: 'postgres', ...route },
    });
    return certs.tlsCert;
  };

  const dial = async (target: string, header: Partial<DatabaseSessionHeader> & { client_cert: string }, payload: string): Promise<string> => {
    const stream = await tunnel.dial(hostId, { type: 'db', target, client_addr: '10.0.0.7:5555' });
    stream.write(encodeFrame({ client_addr: '10.0.0.7:5555', protocol: 'postgres', ...header }));
    stream.write(payload);
    return (await readAll(stream)).toString('latin1');
  };

  const tctl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    err.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const code = await runTctl(['-i', identityFile, '--auth-server', `127.0.0.1:${auth.address.port}`, ...args], {
      stdout: out, stderr: err, stdin: Readable.from([]), env: {},
    });
    return { code, stdout, stderr };
  };

  const lastStart = () => t.audit.all().filter((e) => e.event === 'db.session.start').at(-1);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'db-service-'));
    t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
    auth = await startTestAuthTLS(t.auth);
    const proxyIdentity = await issueLocalIdentity(t.auth, { hostId: 'proxy-host', nodeName: 'localhost', role: 'Proxy', algorithm: 'ed25519' });
    tunnel = new ReverseTunnelServer({ identity: proxyIdentity, clock: systemClock, logger: silentLogger });
    const tunnelAddr = await tunnel.listen('127.0.0.1', 0);
    const admin = await issueLocalIdentity(t.auth, { hostId: 'admin-host', nodeName: 'auth', role: 'Admin', algorithm: 'ecdsa-p256' });
    identityFile = join(dir, 'admin.id');
    await writeFile(identityFile, writeIdentityFile({ privateKeyPEM: admin.keyPEM, tlsCert: admin.certPEM, tlsCACerts: admin.tlsCACerts, sshCAKeys: [] }), { mode: 0o600 });

    await t.services.access.upsertRole(newRole('db-dev', {
      allow: { db_labels: { env: 'dev' }, db_users: ['{{internal.db_users}}'], db_names: ['app'] },
      deny: { db_users: ['postgres'] },
    }));
    await addUser(t, 'alice', ['db-dev'], { traits: { db_users: ['alice', 'postgres'] } });

    const passwordFile = join(dir, 'pg-pass');
    await writeFile(passwordFile, 's3cret\n');
    await chmod(passwordFile, 0o600);
    const identity = await issueLocalIdentity(t.auth, { hostId, nodeName: 'dbnode', role: 'Db', algorithm: 'ecdsa-p256' });
    const authClient = new AuthClient({ addr: `127.0.0.1:${auth.address.port}`, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts, timeoutMs: 10_000 });
    svc = await startDatabaseService({
      dataDir: dir, hostId, nodeName: 'dbnode', identity, authClient,
      tunnel: { proxyAddr: `127.0.0.1:${tunnelAddr.port}`, alpn: false },
      databases: [{ name: 'pg', description: 'test', protocol: 'postgres', uri: 'localhost:5432', labels: { env: 'dev' }, tls: { mode: 'verify-full' }, passwordFile }],
      resources: [{ labels: { env: 'dev' } }],
      engines: { postgres: fakeEngine(seen), mysql: fakeEngine(seen) },
      clock: systemClock, logger: silentLogger, heartbeatIntervalMs: 500,
    });
    await svc.tunnel.waitForProxies(1);
  });

  after(async () => {
    await svc?.close({ graceful: false });
    await tunnel?.close({ graceful: false });
    await auth?.close();
    await t?.auth.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('announces its databases as db_server records, with the password kept out of them', async () => {
    const rec = await eventually(async () => (await t.services.databases.listDatabaseServers()).find((s) => s.metadata.name === 'pg'), 'the pg db_server');
    assert.equal(rec.spec.host_id, hostId);
    assert.equal(rec.spec.hostname, 'dbnode');
    assert.equal(rec.spec.database.spec.uri, 'localhost:5432');
    assert.equal(rec.spec.database.metadata.labels?.env, 'dev');
    assert.doesNotMatch(JSON.stringify(rec), /s3cret/);
    assert.equal(svc.databases().find((d) => d.name === 'pg')?.password, 's3cret');
    const got = await tctl('get', 'db_servers', '--format', 'json');
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /"host_id": "db-host-1"/);
  });

  it('runs the engine with the verified identity and database; authorize allows and denies by role', async () => {
    const cert = await userCert('alice', { serviceName: 'pg', username: 'alice', database: 'app' });
    assert.equal(await dial('pg', { client_cert: cert }, 'alice app\n'), 'ok alice\n');
    const s = seen.at(-1);
    assert.equal(s?.ctx.identity.username, 'alice');
    assert.equal(s?.ctx.database.name, 'pg');
    assert.equal(s?.ctx.header.client_addr, '10.0.0.7:5555');
    assert.equal(s?.upstreamCN, 'alice');
    assert.match(s?.upstreamIssuer ?? '', /OU=db/, 'the upstream client certificate comes from the db CA');
    // The end event is emitted as the session winds down, just after the client saw EOF.
    const events = await eventually(() => {
      const all = t.audit.all().filter((e) => e.sid === s?.ctx.sessionId);
      return all.some((e) => e.code === 'TDB01I') ? all : undefined;
    }, 'the session end event');
    assert.deepEqual(events.map((e) => e.code), ['TDB00I', 'TDB02I', 'TDB01I']);
    assert.equal(events[1]?.db_query, 'select $1');
    assert.deepEqual(events[1]?.db_query_parameters, ['42']);
    assert.equal(events[0]?.db_service, 'pg');
    assert.equal(events[0]?.db_uri, 'localhost:5432');
    assert.equal(events[0]?.user, 'alice');

    assert.equal(await dial('pg', { client_cert: cert }, 'postgres app\n'), "denied access to db user 'postgres' denied by role db-dev\n");
    assert.equal(await dial('pg', { client_cert: cert }, 'alice prod\n'),
      "denied access to database 'prod' denied: no role allows db name 'prod' on db 'pg' (allowed: app)\n");
    assert.equal(lastStart()?.code, 'TDB00W');
  });

  const refused = async (cert: string, want: RegExp, target = 'pg'): Promise<void> => {
    const before = seen.length;
    const reply = await dial(target, { client_cert: cert }, 'startup');
    assert.equal(reply[0], 'E', 'a PostgreSQL ErrorResponse');
    assert.match(reply, want);
    assert.match(reply, /28000/);
    assert.equal(seen.length, before, 'the engine never ran');
    const e = lastStart();
    assert.equal(e?.code, 'TDB00W');
    assert.match(String(e?.error), want);
  };

  it('refuses a certificate from a foreign CA', async () => {
    const foreign = createTLSCA({ clusterName: TEST_CLUSTER, caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
    const kp = generateKeyPair('ecdsa-p256');
    const cert = issueTLSCert({
      caCertPEM: foreign.certPEM, caKeyPEM: foreign.keyPEM, publicKey: kp.publicKey, clock: systemClock, usage: 'client',
      identity: { username: 'alice', groups: ['db-dev'], routeToDatabase: { serviceName: 'pg', protocol: 'postgres' }, expires: new Date(Date.now() + 3600_000) },
      notAfter: new Date(Date.now() + 3600_000),
    });
    await refused(cert, /not issued by this cluster's user certificate authority/);
    assert.equal(lastStart()?.user, 'alice');
  });

  it('refuses an expired certificate', async () => {
    const past = new FakeClock(Date.now() - 3 * 3600_000);
    const kp = generateKeyPair('ecdsa-p256');
    const cert = issueTLSCert({
      ...(await t.auth.keyring.tlsSigner('user')), publicKey: kp.publicKey, clock: past, usage: 'client',
      identity: { username: 'alice', groups: ['db-dev'], routeToDatabase: { serviceName: 'pg', protocol: 'postgres' }, expires: new Date(past.nowMs() + 3600_000) },
      notAfter: new Date(past.nowMs() + 3600_000),
    });
    await refused(cert, /expired 2h ago; run tsh db login again/);
  });

  it('refuses a certificate for another database', async () => {
    const cert = await userCert('alice', { serviceName: 'other', username: 'alice' });
    await refused(cert, /the certificate is for database "other", not "pg"/);
  });

  it('refuses unknown databases in the dial reply, and other connection types never reach it', async () => {
    await assert.rejects(tunnel.dial(hostId, { type: 'db', target: 'nope' }), /database "nope" is not served by dbnode/);
    // The proxy keeps one tunnel per host and role: a database service's tunnel never carries SSH.
    await assert.rejects(tunnel.dial(hostId, { type: 'node', target: hostId }), /node db-host-1 is not connected to this proxy/);
  });

  it('serves a dynamic db created with tctl create, and drops it on tctl rm', async () => {
    const file = join(dir, 'db.yaml');
    await writeFile(file, [
      'kind: db', 'version: v3', 'metadata:', '  name: dyn', '  labels: {env: dev}', 'spec:', '  protocol: mysql', '  uri: 127.0.0.1:3306',
      '---', 'kind: db', 'version: v3', 'metadata:', '  name: other-team', '  labels: {env: prod}', 'spec:', '  protocol: mysql', '  uri: 127.0.0.1:3307', '',
    ].join('\n'));
    const created = await tctl('create', file);
    assert.equal(created.code, 0, created.stderr);
    const rec = await eventually(async () => (await t.services.databases.listDatabaseServers()).find((s) => s.metadata.name === 'dyn'), 'the dyn db_server');
    assert.equal(rec.spec.database.spec.protocol, 'mysql');
    assert.deepEqual(svc.databases().map((d) => d.name).sort(), ['dyn', 'pg'], 'other-team does not match the resources selector');
    const listed = await tctl('get', 'db', '--format', 'text');
    assert.match(listed.stdout, /dyn/);
    const removed = await tctl('rm', 'db/dyn');
    assert.equal(removed.code, 0, removed.stderr);
    await eventually(async () => !(await t.services.databases.listDatabaseServers()).some((s) => s.metadata.name === 'dyn'), 'the dyn db_server to go');
    assert.deepEqual(svc.databases().map((d) => d.name), ['pg']);
  });

  it('deletes its db_server records on a graceful stop', async () => {
    await svc.close({ graceful: true });
    assert.deepEqual((await t.services.databases.listDatabaseServers()).filter((s) => s.spec.host_id === hostId), []);
  });
});
