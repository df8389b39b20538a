/**
 * The MySQL engine against a real MariaDB 10.11 (REQUIRE X509 / REQUIRE SUBJECT accounts, a password
 * account) with the real `mariadb` CLI and the codec's wire client for the binary protocol.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createTestCerts, MARIADB_CLI, runProgram, startTestMariaDB, type CLIResult, type TestCerts, type TestMariaDB } from '../../../testing/mariadb.ts';
import { mariadbTestSkip } from '../../../testing/databaseTools.ts';
import { startEngineHarness, type EngineHarness, type RecordedEvent, type RecordedSession } from './engineTestHarness.ts';
import { MySQLWireClient } from './wireClient.ts';
import { encodePacket, PacketReader } from './packets.ts';
import { parseERR } from './messages.ts';

function cli(port: number, user: string, args: string[]): Promise<CLIResult> {
  return runProgram(MARIADB_CLI, ['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(port), '-u', user, '--skip-ssl', '--batch', ...args]);
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const last = (h: EngineHarness): RecordedSession => h.sessions[h.sessions.length - 1] as RecordedSession;
const queries = (ev: RecordedEvent[]) => ev.filter((e) => e.type === 'query');

describe('mysqlEngine with MariaDB', { timeout: 120_000, skip: mariadbTestSkip }, () => {
  let certs: TestCerts;
  let db: TestMariaDB;
  let h: EngineHarness;
  let hp: EngineHarness;

  before(async () => {
    certs = createTestCerts();
    db = await startTestMariaDB({
      serverCertPEM: certs.serverCertPEM,
      serverKeyPEM: certs.serverKeyPEM,
      caCertPEM: certs.caCertPEM,
      users: [
        { name: 'alice', require: 'x509' },
        { name: 'bob', require: { subject: '/CN=bob' } },
        { name: 'mallory', require: { subject: '/CN=someone-else' } },
      ],
      password: { user: 'carol', password: 's3cret-pw' },
    });
    const uri = `127.0.0.1:${db.port}`;
    h = await startEngineHarness({ certs, uri, deniedUsers: ['root'], deniedNames: ['other_db'] });
    hp = await startEngineHarness({ certs, uri, password: 's3cret-pw' });
  });

  after(async () => {
    await h?.close();
    await hp?.close();
    await db?.stop();
  });

  it('runs queries with certificate auth (REQUIRE X509) and audits them', async () => {
    const r = await cli(h.port, 'alice', ['-D', 'test_db', '-e', 'select 40+2 as answer, current_user() as who, database() as db']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /42\talice@%\ttest_db/);
    const s = last(h);
    await s.done;
    assert.deepEqual(s.events[0], { type: 'start', dbUser: 'alice', dbName: 'test_db', success: true });
    assert.ok(queries(s.events).some((e) => e.statement.includes('select 40+2') && e.success === true));
    assert.deepEqual(s.events[s.events.length - 1], { type: 'end' });
  });

  it('accepts REQUIRE SUBJECT with the subject our CA issues, and the database refuses a wrong subject', async () => {
    const ok = await cli(h.port, 'bob', ['-e', 'select current_user()']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /bob@%/);
    const bad = await cli(h.port, 'mallory', ['-e', 'select 1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Access denied for user 'mallory'/);
    const s = last(h);
    await s.done;
    assert.equal(s.events[0]?.type === 'start' && s.events[0].success, false);
  });

  it('runs a transaction', async () => {
    const sql = [
      'create table tx (id int primary key, v varchar(20)) engine=innodb',
      'start transaction',
      "insert into tx values (1, 'kept')",
      'commit',
      'begin',
      "insert into tx values (2, 'rolled back')",
      'rollback',
      'select group_concat(v) from tx',
    ].join('; ');
    const r = await cli(h.port, 'alice', ['-D', 'test_db', '-e', sql]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kept$/m);
    await last(h).done;
    const st = queries(last(h).events).map((e) => e.statement);
    assert.ok(st.includes('rollback') && st.includes('commit'), st.join(' | '));
  });

  it('audits server-side prepared statements with their parameters', async () => {
    const c = await MySQLWireClient.connect(await dial(h.port), { user: 'alice', database: 'test_db' });
    const prep = await c.prepare("select concat(?, '/', ?) as joined, ? is null as isnull, ? + 1 as n");
    assert.ok('statementId' in prep, JSON.stringify(prep));
    assert.equal(prep.numParams, 4);
    const res = await c.execute(prep.statementId, ['hello', 2.5, null, 41]);
    assert.equal(res.error, undefined);
    assert.ok(res.packets.some((p) => p.includes(Buffer.from('hello/2.5'))), 'the binary row carries the result');
    const res2 = await c.execute(prep.statementId, ['again', 1, new Date(Date.UTC(2024, 1, 29, 13, 5, 9)), 1]);
    assert.equal(res2.error, undefined);
    c.closeStatement(prep.statementId);
    const bad = await c.prepare('selec nonsense ?');
    assert.ok('code' in bad && bad.code === 1064);
    const after = await c.query('select 7');
    assert.equal(after.error, undefined);
    await c.quit();
    const s = last(h);
    await s.done;
    const q = queries(s.events);
    assert.deepEqual(q[0], { type: 'query', statement: "select concat(?, '/', ?) as joined, ? is null as isnull, ? + 1 as n", parameters: ['hello', '2.5', 'NULL', '41'], success: true });
    assert.deepEqual(q[1]?.type === 'query' && q[1].parameters, ['again', '1', '2024-02-29 13:05:09', '1']);
    assert.equal(q[2]?.type === 'query' && q[2].success, false);
    assert.match(q[2]?.type === 'query' ? (q[2].error ?? '') : '', /1064/);
    assert.equal(q[3]?.type === 'query' && q[3].statement, 'select 7');
  });

  it('refuses a denied db user with the rule in the client error and a failed start', async () => {
    const r = await cli(h.port, 'root', ['-e', 'select 1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /access to db user 'root' denied by role dev/);
    const s = last(h);
    await s.done;
    assert.deepEqual(s.events, [{ type: 'start', dbUser: 'root', dbName: '', success: false, error: "access to db user 'root' denied by role dev" }]);
  });

  it('refuses a denied db name at connect and on COM_INIT_DB', async () => {
    const r = await cli(h.port, 'alice', ['-D', 'other_db', '-e', 'select 1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /access to db name 'other_db' denied by role dev/);
    await last(h).done;
    const u = await cli(h.port, 'alice', ['-D', 'test_db', '-e', 'use other_db']);
    assert.notEqual(u.code, 0);
    assert.match(u.stderr, /access to db name 'other_db' denied by role dev/);
    const s = last(h);
    await s.done;
    assert.ok(queries(s.events).some((e) => e.statement === 'USE other_db' && e.success === false));
    const ok = await cli(h.port, 'alice', ['-e', 'use test_db; select database()']);
    assert.equal(ok.code, 0, ok.stderr);
    await last(h).done;
    assert.ok(queries(last(h).events).some((e) => e.statement === 'USE test_db' && e.success === true));
  });

  it('satisfies clients that insist on other auth plugins (caching_sha2 fast auth, auth switch)', async () => {
    for (const plugin of ['caching_sha2_password', 'client_ed25519']) {
      const r = await cli(h.port, 'alice', [`--default-auth=${plugin}`, '-pignored', '-e', 'select 1 as ok']);
      assert.equal(r.code, 0, `${plugin}: ${r.stderr}`);
      assert.match(r.stdout, /ok\n1/);
    }
  });

  it('authenticates upstream with the configured password (mysql_native_password)', async () => {
    const r = await cli(hp.port, 'carol', ['-e', 'select current_user()']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /carol@%/);
    await last(hp).done;
    // The database's own refusal (alice has no password) reaches the client and is a failed start.
    const bad = await cli(hp.port, 'alice', ['-e', 'select 1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /ERROR 1045 \(28000\).*Access denied for user 'alice'/);
    const s = last(hp);
    await s.done;
    assert.equal(s.events.length, 1);
    assert.match(s.events[0]?.type === 'start' && !s.events[0].success ? (s.events[0].error ?? '') : '', /Access denied/);
  });

  it('relays packets over 16 MiB in both directions and stays in sync', async () => {
    const set = await db.mysql(['-e', 'SET GLOBAL max_allowed_packet = 67108864']);
    assert.equal(set.code, 0, set.stderr);
    const c = await MySQLWireClient.connect(await dial(h.port), { user: 'alice' });
    const big = 'x'.repeat(17 * 1024 * 1024);
    const r = await c.query(`select length('${big}') as n, repeat('y', 17000000) as big`);
    assert.equal(r.error, undefined);
    assert.ok(r.packets.some((p) => p.length > 17_000_000), 'a multi-frame row came back');
    assert.ok(r.packets.some((p) => p.includes(Buffer.from(String(big.length)))));
    const after = await c.query('select 12345');
    assert.ok(after.packets.some((p) => p.includes(Buffer.from('12345'))));
    await c.quit();
    const s = last(h);
    await s.done;
    assert.equal(queries(s.events).length, 2);
  });

  it('answers garbage with ERR 1047 and closes', async () => {
    const sock = await dial(h.port);
    const reader = new PacketReader();
    const got: Buffer[] = [];
    sock.on('data', (d: Buffer) => {
      reader.push(d);
      for (let p = reader.next(); p; p = reader.next()) got.push(p.payload);
    });
    await new Promise((r) => setTimeout(r, 100));
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => sock.once('close', r));
    const err = got.find((p) => p[0] === 0xff);
    assert.ok(err, 'an ERR packet');
    assert.equal(parseERR(err).code, 1047);
    await last(h).done;

    const c = await MySQLWireClient.connect(await dial(h.port), { user: 'alice' });
    c.packets.stream.write(encodePacket(0, Buffer.alloc(0)));
    const p = await c.packets.read();
    assert.equal(p && parseERR(p.payload).code, 1047);
    await last(h).done;
  });
});
