/**
 * COM_CHANGE_USER and KILL translation against a real MariaDB 10.11: the codec's wire client, the
 * real `mariadb` CLI (`-e "KILL QUERY <id>"`, and Ctrl-C, which sends the KILL on a second
 * connection), and libmariadb's own mysql_change_user() driven through python3 ctypes when both are
 * installed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createTestCerts, MARIADB_CLI, runProgram, startTestMariaDB, type CLIResult, type TestCerts, type TestMariaDB } from '../../../testing/mariadb.ts';
import { mariadbTestSkip } from '../../../testing/databaseTools.ts';
import { startEngineHarness, type EngineHarness, type RecordedEvent, type RecordedSession } from './engineTestHarness.ts';
import { MySQLWireClient, type WireResponse } from './wireClient.ts';
import { mysqlThreadRegistry } from './threadRegistry.ts';

const CLI_ARGS = ['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '--skip-ssl', '--batch'];

function cli(port: number, user: string, args: string[]): Promise<CLIResult> {
  return runProgram(MARIADB_CLI, [...CLI_ARGS, '-P', String(port), '-u', user, ...args]);
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const last = (h: EngineHarness): RecordedSession => h.sessions[h.sessions.length - 1] as RecordedSession;
const queries = (ev: RecordedEvent[]) => ev.filter((e) => e.type === 'query');
const has = (r: WireResponse, text: string): boolean => r.packets.some((p) => p.includes(Buffer.from(text)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the database runs `select sleep(30)` (seen as root in the process list). */
async function waitRunning(db: TestMariaDB): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await db.mysql(['-N', '-e', "select count(*) from information_schema.processlist where info = 'select sleep(30)'"]);
    if (/^[1-9]/m.test(r.stdout)) return;
    await sleep(100);
  }
  assert.fail('select sleep(30) never started');
}

/** The upstream thread id of a wire client's session (what `connection_id()` says through the proxy). */
async function upstreamThreadId(c: MySQLWireClient): Promise<number> {
  const r = await c.query('select connection_id() as tid');
  const row = r.packets.find((p, i) => i > 0 && p[0] !== 0xfe && p[0] !== 0x03 && /^\d+$/.test(p.subarray(1).toString()));
  assert.ok(row, 'a connection_id() row');
  return Number(row.subarray(1).toString());
}

const LIBMARIADB = '/usr/lib/x86_64-linux-gnu/libmariadb.so.3';
/** mysql_real_connect + mysql_change_user + a query, with libmariadb (the CLI's client library). */
const CHANGE_USER_PY = `
import ctypes, sys
port, user, new_user, new_db, cnf = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
lib = ctypes.CDLL(${JSON.stringify(LIBMARIADB)})
P, S = ctypes.c_void_p, ctypes.c_char_p
lib.mysql_init.restype = P; lib.mysql_init.argtypes = [P]
lib.mysql_options.argtypes = [P, ctypes.c_int, P]
lib.mysql_real_connect.restype = P
lib.mysql_real_connect.argtypes = [P, S, S, S, S, ctypes.c_uint, S, ctypes.c_ulong]
lib.mysql_change_user.restype = ctypes.c_char; lib.mysql_change_user.argtypes = [P, S, S, S]
lib.mysql_error.restype = S; lib.mysql_error.argtypes = [P]
lib.mysql_query.argtypes = [P, S]
lib.mysql_store_result.restype = P; lib.mysql_store_result.argtypes = [P]
lib.mysql_fetch_row.restype = ctypes.POINTER(S); lib.mysql_fetch_row.argtypes = [P]
lib.mysql_free_result.argtypes = [P]; lib.mysql_close.argtypes = [P]
m = lib.mysql_init(None)
if cnf:
    lib.mysql_options(m, 4, S(cnf.encode()))  # MYSQL_READ_DEFAULT_FILE
    lib.mysql_options(m, 5, S(b"client"))     # MYSQL_READ_DEFAULT_GROUP
if not lib.mysql_real_connect(m, b"127.0.0.1", user.encode(), b"", b"test_db", port, None, 0):
    print("CONNECT-ERR:" + lib.mysql_error(m).decode()); sys.exit(1)
def who():
    if lib.mysql_query(m, b"select current_user()"):
        return "QUERY-ERR:" + lib.mysql_error(m).decode()
    r = lib.mysql_store_result(m); row = lib.mysql_fetch_row(r); v = row[0].decode(); lib.mysql_free_result(r)
    return v
if lib.mysql_change_user(m, new_user.encode(), b"", new_db.encode()) != b"\\x00":
    print("CHANGE-ERR:" + lib.mysql_error(m).decode())
print("WHO:" + who())
lib.mysql_close(m)
`;

describe('mysqlEngine session control (COM_CHANGE_USER, KILL) with MariaDB', { timeout: 180_000, skip: mariadbTestSkip }, () => {
  let certs: TestCerts;
  let db: TestMariaDB;
  let h: EngineHarness;
  let other: EngineHarness;

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
    });
    const uri = `127.0.0.1:${db.port}`;
    h = await startEngineHarness({ certs, uri, deniedUsers: ['root'], deniedNames: ['other_db'] });
    // Another Teleport user on the same database (same DatabaseTarget name "maria").
    other = await startEngineHarness({ certs, uri, username: 'mallory-teleport' });
  });

  after(async () => {
    await h?.close();
    await other?.close();
    await db?.stop();
  });

  it('changes the user on a new upstream connection, forgets prepared statements, and audits it', async () => {
    const c = await MySQLWireClient.connect(await dial(h.port), { user: 'alice', database: 'test_db' });
    const before = await upstreamThreadId(c);
    const prep = await c.prepare('select ? + 1');
    assert.ok('statementId' in prep);
    const cu = await c.changeUser('bob', 'test_db', { attributes: { _client_name: 'wire-test' } });
    assert.equal(cu.error, undefined, cu.error?.message);
    assert.equal(cu.packets.length, 1, 'mysql_native_password: the OK comes right away (seq 1)');
    const who = await c.query('select current_user(), database()');
    assert.ok(has(who, 'bob@%'), 'current_user() is the new user');
    assert.ok(has(who, 'test_db'));
    const afterId = await upstreamThreadId(c);
    assert.notEqual(afterId, before, 'a new upstream connection');
    const gone = await c.execute(prep.statementId, [1]);
    assert.equal(gone.error?.code, 1243, 'the old session’s prepared statement is gone');
    // The database name of COM_INIT_DB is now authorized for the new user too.
    assert.equal((await c.initDB('other_db')).error?.code, 1044);
    await c.quit();
    const s = last(h);
    await s.done;
    const q = queries(s.events);
    assert.ok(q.some((e) => e.statement === 'COM_CHANGE_USER bob' && e.success === true), JSON.stringify(q));
    assert.ok(q.some((e) => e.statement === `<unknown prepared statement ${prep.statementId}>` && e.success === false));
    // The old upstream connection was closed (COM_QUIT): only the root admin session remains of it.
    await sleep(200);
    const list = await db.mysql(['-e', `select count(*) from information_schema.processlist where id = ${before}`]);
    assert.match(list.stdout, /^0$/m);
  });

  it('refuses a denied user (RBAC) and a user the database refuses, and the session stays on the old user', async () => {
    const c = await MySQLWireClient.connect(await dial(h.port), { user: 'alice', database: 'test_db' });
    const denied = await c.changeUser('root', '');
    assert.equal(denied.error?.code, 1045);
    assert.equal(denied.error?.sqlState, '28000');
    assert.equal(denied.error?.message, "access to db user 'root' denied by role dev");
    const deniedDb = await c.changeUser('bob', 'other_db');
    assert.equal(deniedDb.error?.message, "access to db name 'other_db' denied by role dev");
    const refused = await c.changeUser('mallory', 'test_db');
    assert.equal(refused.error?.code, 1045);
    assert.match(refused.error?.message ?? '', /Access denied for user 'mallory'/);
    const who = await c.query('select current_user()');
    assert.equal(who.error, undefined);
    assert.ok(has(who, 'alice@%'), 'still the old user');
    await c.quit();
    const s = last(h);
    await s.done;
    const q = queries(s.events).filter((e) => e.statement.startsWith('COM_CHANGE_USER'));
    assert.deepEqual(
      q.map((e) => [e.statement, e.success]),
      [
        ['COM_CHANGE_USER root', false],
        ['COM_CHANGE_USER bob', false],
        ['COM_CHANGE_USER mallory', false],
      ],
    );
    assert.equal(q[0]?.error, "access to db user 'root' denied by role dev");
  });

  it('finishes the client auth exchange of other plugins (caching_sha2 fast auth, auth switch)', async () => {
    const c = await MySQLWireClient.connect(await dial(h.port), { user: 'alice' });
    const sha = await c.changeUser('bob', '', { authPluginName: 'caching_sha2_password', password: 'ignored' });
    assert.equal(sha.error, undefined);
    assert.deepEqual(sha.packets[0], Buffer.from([0x01, 0x03]), 'AuthMoreData fast auth success, then OK');
    const ed = await c.changeUser('alice', '', { authPluginName: 'client_ed25519' });
    assert.equal(ed.error, undefined);
    assert.equal(ed.packets[0]?.[0], 0xfe, 'AuthSwitchRequest to mysql_native_password, then OK');
    assert.ok(has(await c.query('select current_user()'), 'alice@%'));
    await c.quit();
  });

  it("works with libmariadb's mysql_change_user()", { skip: !existsSync(LIBMARIADB) && 'libmariadb.so.3 is not installed' }, async (t) => {
    const py = await runProgram('python3', ['-c', 'import ctypes']).catch(() => undefined);
    if (py?.code !== 0) return t.skip('python3 with ctypes is not available');
    const run = (newUser: string, cnf = ''): Promise<CLIResult> => runProgram('python3', ['-c', CHANGE_USER_PY, String(h.port), 'alice', newUser, 'test_db', cnf]);
    const ok = await run('bob');
    await last(h).done;
    assert.equal(ok.code, 0, ok.stdout + ok.stderr + JSON.stringify(last(h).events));
    assert.match(ok.stdout, /^WHO:bob@%$/m);
    const denied = await run('root');
    assert.match(denied.stdout, /^CHANGE-ERR:access to db user 'root' denied by role dev$/m);
    assert.match(denied.stdout, /^WHO:alice@%$/m);
  });

  it('translates KILL QUERY <our connection id> from a second connection of the same user', async () => {
    const c = await MySQLWireClient.connect(await dial(h.port), { user: 'alice' });
    const session = last(h);
    const ourId = c.greeting.connectionId;
    const tid = await upstreamThreadId(c);
    assert.notEqual(ourId, tid, 'the greeting id is Teleport’s, not the database’s');
    assert.deepEqual(mysqlThreadRegistry.lookup('maria', ourId), { upstreamThreadId: tid, username: 'alice-teleport' });
    const t0 = Date.now();
    const running = c.query('select sleep(30)');
    await waitRunning(db);
    const kill = await cli(h.port, 'alice', ['-e', `KILL QUERY ${ourId}`]);
    assert.equal(kill.code, 0, kill.stderr);
    const killSession = last(h);
    const r = await running;
    assert.ok(Date.now() - t0 < 8_000, `the query stopped early (${Date.now() - t0} ms)`);
    assert.ok(r.error?.code === 1317 || has(r, '1'), JSON.stringify(r.error));
    assert.ok(has(await c.query('select 5'), '5'), 'KILL QUERY keeps the connection');
    await killSession.done;
    assert.deepEqual(queries(killSession.events)[0], { type: 'query', statement: `KILL QUERY ${ourId}`, parameters: [`upstream thread ${tid}`], success: true });
    // Unknown ids pass through unchanged: the database answers.
    const unknown = await cli(h.port, 'alice', ['-e', 'KILL QUERY 2000000000']);
    assert.match(unknown.stderr, /ERROR 1094/);
    await c.quit();
    await session.done;
    assert.equal(mysqlThreadRegistry.lookup('maria', ourId), undefined, 'forgotten at the end');
  });

  it("refuses a KILL of another Teleport user's session", async () => {
    const c = await MySQLWireClient.connect(await dial(h.port), { user: 'alice' });
    const ourId = c.greeting.connectionId;
    const r = await cli(other.port, 'alice', ['-e', `KILL ${ourId}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`ERROR 1095 \\(HY000\\).*You are not owner of thread ${ourId}`));
    assert.ok(has(await c.query('select 6'), '6'), 'the session is untouched');
    await c.quit();
    const s = last(other);
    await s.done;
    assert.equal(queries(s.events)[0]?.type === 'query' && queries(s.events)[0]?.success, false);
  });

  it('stops a running query when the mariadb CLI gets Ctrl-C (SIGINT)', async () => {
    const t0 = Date.now();
    const child = spawn(MARIADB_CLI, [...CLI_ARGS, '-P', String(h.port), '-u', 'alice', '-e', 'select sleep(30)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitRunning(db);
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    assert.ok(Date.now() - t0 < 10_000, `the CLI finished early (${Date.now() - t0} ms): ${out}`);
    assert.match(out, /Query execution was interrupted|Ctrl-C/, out);
    await sleep(300);
    const killEvents = h.sessions.flatMap((s) => queries(s.events)).filter((e) => /^KILL QUERY \d+$/.test(e.statement) && e.parameters?.[0]?.startsWith('upstream thread'));
    assert.ok(killEvents.length >= 1, 'the CLI’s KILL QUERY was translated');
  });
});
