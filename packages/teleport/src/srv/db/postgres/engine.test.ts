/**
 * The PostgreSQL engine against a real PostgreSQL 15 (certificate auth, ssl=on) and the real psql:
 * a local TCP listener hands each accepted socket to the engine with a test EngineContext, standing
 * in for the proxy + tunnel. The extended protocol is driven with the codec (psql 15 has no \bind).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { systemClock } from '@teleport-ts/api/clock';
import { AccessDeniedError } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import type { Identity } from '@teleport-ts/api/tlsca/identity';
import { createTLSCA, issueTLSCert, type TLSCAKeyPair } from '../../../ca/tlsCA.ts';
import { runPsql, startTestPostgres, type TestPostgres } from '../../../testing/postgres.ts';
import { silentLogger } from '../../../utils/logger.ts';
import type { DatabaseTarget, EngineContext } from '../common/engine.ts';
import { postgresEngine } from './engine.ts';
import { frontend, MessageReader, parseBackendMessage, type BackendMessage } from './protocol.ts';
import { MessageStream } from './messageStream.ts';
import { postgresTestSkip } from '../../../testing/databaseTools.ts';

type AuditRecord = { type: 'start' | 'query' | 'end'; session: string } & Record<string, unknown>;

const PW = { user: 'pwuser', password: 's3cret' };
let dbCA: TLSCAKeyPair;
let pg: TestPostgres;
const audit: AuditRecord[] = [];
const authorizeCalls: [string, string][] = [];
const listeners: Server[] = [];
const engineRuns: Promise<void>[] = [];

function identityOf(username: string): Identity {
  return {
    username,
    groups: ['dev'],
    expires: new Date(Date.now() + 3600e3),
    routeToDatabase: { serviceName: 'pg', protocol: 'postgres', username: 'alice', database: 'test' },
  };
}

const clientTLS = new Map<string, { cert: string; key: string }>();
function upstreamTLS(dbUser: string): { cert: string; key: string; ca: string } {
  let c = clientTLS.get(dbUser);
  if (!c) {
    const k = generateKeyPair('ecdsa-p256');
    const cert = issueTLSCert({
      caCertPEM: dbCA.certPEM, caKeyPEM: dbCA.keyPEM, publicKey: k.publicKey, clock: systemClock,
      identity: { username: dbUser, groups: [], expires: new Date() }, notAfter: new Date(Date.now() + 3600e3), usage: 'client',
    });
    c = { cert, key: privateKeyToPEM(k.privateKey) };
    clientTLS.set(dbUser, c);
  }
  return { ...c, ca: dbCA.certPEM };
}

/** A listener whose connections run the engine as `username` against `database`. */
async function engineListener(username: string, database: Partial<DatabaseTarget> = {}): Promise<number> {
  const server = createServer((socket) => {
    const session = randomUUID();
    const ctx: EngineContext = {
      client: socket,
      identity: identityOf(username),
      database: { name: 'pg', protocol: 'postgres', uri: `127.0.0.1:${pg.port}`, labels: {}, ...database },
      header: { client_cert: '', client_addr: '127.0.0.1:1', protocol: 'postgres' },
      sessionId: session,
      async authorize(dbUser, dbName) {
        authorizeCalls.push([dbUser, dbName]);
        if (dbUser === 'bob') throw new AccessDeniedError("access to db user 'bob' denied by role dev");
      },
      upstreamTLS: async (dbUser) => upstreamTLS(dbUser),
      audit: {
        sessionStart: async (o) => void audit.push({ type: 'start', session, ...o }),
        query: async (o) => void audit.push({ type: 'query', session, ...o }),
        sessionEnd: async () => void audit.push({ type: 'end', session }),
      },
      clock: systemClock,
      logger: silentLogger,
    };
    engineRuns.push(postgresEngine(ctx));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listeners.push(server);
  return (server.address() as AddressInfo).port;
}

async function waitFor<T>(what: string, f: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; audit: ${JSON.stringify(audit)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const conninfo = (port: number, user: string, extra = 'sslmode=disable'): string => `host=127.0.0.1 port=${port} user=${user} dbname=test ${extra}`;
const psql = (port: number, user: string, cmds: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof runPsql> =>
  runPsql(['-X', '-At', '-v', 'ON_ERROR_STOP=1', conninfo(port, user), ...cmds.flatMap((c) => ['-c', c])], env);

/** A raw protocol client through the engine. */
async function rawClient(port: number, params: Record<string, string>): Promise<{ sock: Socket; messages: MessageStream; untilReady(): Promise<BackendMessage[]> }> {
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const messages = new MessageStream(sock, new MessageReader());
  sock.write(frontend.startup(params));
  const untilReady = async (): Promise<BackendMessage[]> => {
    const out: BackendMessage[] = [];
    for (;;) {
      const raw = await messages.next();
      if (!raw) return out;
      const m = parseBackendMessage(raw);
      out.push(m);
      if (m.kind === 'readyForQuery' || (m.kind === 'error' && m.fields.severity === 'FATAL')) return out;
    }
  };
  return { sock, messages, untilReady };
}

describe('postgresEngine with a real PostgreSQL', { skip: postgresTestSkip }, () => {
  let alicePort: number;
  let malloryPort: number;
  let pwPort: number;
  let wrongPwPort: number;

  before(async () => {
    dbCA = createTLSCA({ clusterName: 'test', caType: 'db', algorithm: 'ecdsa-p256', clock: systemClock });
    const k = generateKeyPair('ecdsa-p256');
    const serverCertPEM = issueTLSCert({
      caCertPEM: dbCA.certPEM, caKeyPEM: dbCA.keyPEM, publicKey: k.publicKey, clock: systemClock,
      identity: { username: 'localhost', groups: [], expires: new Date() }, notAfter: new Date(Date.now() + 3600e3),
      ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server',
    });
    pg = await startTestPostgres({ serverCertPEM, serverKeyPEM: privateKeyToPEM(k.privateKey), caCertPEM: dbCA.certPEM, users: ['alice', 'bob'], password: PW });
    alicePort = await engineListener('alice@example.com');
    malloryPort = await engineListener('mallory@example.com');
    pwPort = await engineListener('alice@example.com', { password: PW.password });
    wrongPwPort = await engineListener('alice@example.com', { password: 'wrong' });
  });

  after(async () => {
    for (const l of listeners) l.close();
    await Promise.all(engineRuns);
    await pg?.stop();
  });

  beforeEach(() => {
    audit.length = 0;
    authorizeCalls.length = 0;
  });

  it('runs a simple query and audits start, query and end', async () => {
    const r = await psql(alicePort, 'alice', ['select 1 + 1 as x']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '2');
    await waitFor('session end', () => audit.find((e) => e.type === 'end'));
    assert.deepEqual(audit.map(({ session: _s, ...e }) => e), [
      { type: 'start', dbUser: 'alice', dbName: 'test', success: true },
      { type: 'query', statement: 'select 1 + 1 as x', success: true },
      { type: 'end' },
    ]);
    assert.deepEqual(authorizeCalls, [['alice', 'test']]);
  });

  it('answers an SSLRequest inside the tunnel with N (sslmode=prefer)', async () => {
    const r = await runPsql(['-X', '-At', conninfo(alicePort, 'alice', 'sslmode=prefer application_name=myapp'), '-c', 'show application_name']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'myapp', 'the client\'s startup parameters reach the database');
  });

  it('runs transactions: commit keeps, rollback discards', async () => {
    const r = await psql(alicePort, 'alice', [
      'create table t (x int)',
      'begin', 'insert into t values (1)', 'commit',
      'begin', 'insert into t values (2)', 'rollback',
      'select count(*) from t',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').at(-1), '1');
    await waitFor('session end', () => audit.find((e) => e.type === 'end'));
    assert.deepEqual(audit.filter((e) => e.type === 'query').map((e) => e.statement).slice(1, 4), ['begin', 'insert into t values (1)', 'commit']);
  });

  it('runs SQL prepared statements', async () => {
    const r = await psql(alicePort, 'alice', ['prepare q(int) as select $1 * 2', 'execute q(21)']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^42$/m);
  });

  it('audits extended-protocol statements with their Bind parameters and outcomes', async () => {
    const c = await rawClient(alicePort, { user: 'alice', database: 'test' });
    const startup = await c.untilReady();
    assert.ok(startup.some((m) => m.kind === 'authentication' && m.auth.kind === 'ok'));
    assert.ok(startup.some((m) => m.kind === 'backendKeyData'));
    c.sock.write(Buffer.concat([
      frontend.parse('s1', 'select $1::int + $2::int', [0, 23]),
      frontend.bind({ statement: 's1', paramFormats: [0, 1], params: ['40', Buffer.from([0, 0, 0, 2])] }),
      frontend.describe('P'),
      frontend.execute(),
      frontend.parse('', 'select * from no_such_table where x = $1'),
      frontend.bind({ params: ['7'] }),
      frontend.execute(),
      frontend.sync(),
    ]));
    const rows: string[] = [];
    for (;;) {
      const raw = await c.messages.next();
      assert.ok(raw);
      if (raw.type === 'D') rows.push(raw.body.subarray(6).toString());
      if (raw.type === 'Z') break;
    }
    assert.deepEqual(rows, ['42']);
    c.sock.end(frontend.terminate());
    await waitFor('session end', () => audit.find((e) => e.type === 'end'));
    assert.deepEqual(audit.filter((e) => e.type === 'query').map(({ session: _s, type: _t, ...e }) => e), [
      { statement: 'select $1::int + $2::int', parameters: ['40', '2'], success: true },
      { statement: 'select * from no_such_table where x = $1', parameters: ['7'], success: false, error: 'relation "no_such_table" does not exist' },
    ]);
  });

  it('refuses a denied db user with the rule as a PostgreSQL error, and audits a failed start', async () => {
    const r = await psql(alicePort, 'bob', ['select 1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /FATAL: +access to db user 'bob' denied by role dev/);
    const start = await waitFor('failed start', () => audit.find((e) => e.type === 'start'));
    assert.deepEqual({ ...start, session: '' }, { type: 'start', session: '', dbUser: 'bob', dbName: 'test', success: false, error: "access to db user 'bob' denied by role dev" });
    assert.equal(audit.some((e) => e.type === 'query'), false);
  });

  it('cancels a running query when psql is interrupted (CancelRequest on a second connection)', async () => {
    const run = psql(alicePort, 'alice', ['select pg_sleep(30)']);
    await waitFor('pg_sleep running', () => audit.find((e) => e.type === 'start'));
    // Wait until the statement is really executing in the server.
    for (let i = 0; i < 100; i++) {
      const a = await pg.superuser("select count(*) from pg_stat_activity where query = 'select pg_sleep(30)' and state = 'active'");
      if (/^\s*1\s*$/m.test(a.stdout)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = Date.now();
    run.child.kill('SIGINT');
    const r = await run;
    assert.ok(Date.now() - t0 < 5000, 'cancelled within a few seconds');
    assert.match(r.stderr, /canceling statement due to user request/);
    const q = await waitFor('query event', () => audit.find((e) => e.type === 'query'));
    assert.equal(q.success, false);
    assert.equal(q.error, 'canceling statement due to user request');
  });

  it('ignores a CancelRequest from another user and one with an unknown key', async () => {
    const c = await rawClient(alicePort, { user: 'alice', database: 'test' });
    const startup = await c.untilReady();
    const key = startup.find((m) => m.kind === 'backendKeyData');
    assert.ok(key?.kind === 'backendKeyData');
    c.sock.write(frontend.query('select pg_sleep(1.5), 1'));
    await new Promise((r) => setTimeout(r, 300));
    for (const [port, pid, secret] of [[malloryPort, key.processId, key.secretKey], [alicePort, key.processId, key.secretKey ^ 1]] as const) {
      const s = connect(port, '127.0.0.1');
      s.end(frontend.cancelRequest(pid, secret));
      await new Promise((r) => s.on('close', r));
    }
    const result = await c.untilReady();
    assert.equal(result.some((m) => m.kind === 'error'), false, JSON.stringify(result));
    c.sock.end(frontend.terminate());
  });

  it('authenticates upstream with a configured password (SCRAM-SHA-256)', async () => {
    const r = await psql(pwPort, PW.user, ['select current_user']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), PW.user);
  });

  it('forwards the database\'s refusal of a wrong password and audits it', async () => {
    const r = await psql(wrongPwPort, PW.user, ['select 1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /password authentication failed for user "pwuser"/);
    const start = await waitFor('failed start', () => audit.find((e) => e.type === 'start'));
    assert.equal(start.success, false);
    assert.match(String(start.error), /password authentication failed/);
  });

  it('answers protocol garbage with an 08P01 ErrorResponse and closes', async () => {
    for (const garbage of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.concat([frontend.startup({ user: 'alice', database: 'test' })])]) {
      const sock = connect(alicePort, '127.0.0.1');
      const messages = new MessageStream(sock, new MessageReader());
      sock.write(garbage);
      let err: BackendMessage | undefined;
      if (garbage[0] === 0) {
        // A good startup first, then a Query whose string is not NUL-terminated.
        for (let m = await messages.next(); m && m.type !== 'Z'; m = await messages.next());
        sock.write(Buffer.from('5100000006ffff', 'hex'));
      }
      for (let m = await messages.next(); m; m = await messages.next()) {
        const b = parseBackendMessage(m);
        if (b.kind === 'error') err = b;
      }
      assert.ok(err?.kind === 'error');
      assert.equal(err.fields.code, '08P01');
      messages.release();
      sock.destroy();
    }
    await waitFor('session end', () => audit.find((e) => e.type === 'end'));
  });
});
