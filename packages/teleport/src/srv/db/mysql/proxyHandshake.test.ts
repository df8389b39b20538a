/**
 * MySQL's own TLS upgrade on the dedicated listener, with the real `mariadb` CLI: a user-CA client
 * certificate is accepted (and the session continues through the engine to a real MariaDB at
 * sequence id 2), a foreign-CA certificate and a missing certificate are refused during TLS, and a
 * client without TLS gets the ERR message. Ctrl-C in the CLI kills the running query through the
 * proxy's greeting id (the engine maps it to the database's thread id).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTLSServer, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessDeniedError, errorMessage } from '@teleport-ts/api/errors';
import { createTestCerts, MARIADB_CLI, runProgram, startTestMariaDB, type CLIResult, type TestCerts, type TestMariaDB } from '../../../testing/mariadb.ts';
import { mariadbTestSkip } from '../../../testing/databaseTools.ts';
import type { UpgradeToTLS } from '../common/engine.ts';
import { mysqlProxyHandshake, TLS_REQUIRED_MESSAGE } from './proxyHandshake.ts';
import { startEngineHarness, type EngineHarness } from './engineTestHarness.ts';

/** The safe upgrade (dependencies.md "TLS trap"): a tls.Server handed the socket, user CA required. */
function safeUpgrade(host: TestCerts, userCA: string): UpgradeToTLS {
  return (socket: Duplex) =>
    new Promise<TLSSocket>((resolve, reject) => {
      const server = createTLSServer({ cert: host.serverCertPEM, key: host.serverKeyPEM, ca: [userCA], requestCert: true, rejectUnauthorized: true });
      server.once('secureConnection', (t: TLSSocket) => {
        if (!t.authorized) {
          t.destroy();
          reject(new AccessDeniedError(`client certificate not authorized: ${errorMessage(t.authorizationError)}`));
        } else resolve(t);
      });
      server.once('tlsClientError', (err) => reject(new AccessDeniedError(`TLS handshake failed: ${err.message}`)));
      server.emit('connection', socket);
    });
}

describe('mysqlProxyHandshake with the mariadb CLI', { timeout: 120_000, skip: mariadbTestSkip }, () => {
  let dir: string;
  let host: TestCerts;
  let users: TestCerts;
  let foreign: TestCerts;
  let dbCerts: TestCerts;
  let db: TestMariaDB;
  let engine: EngineHarness;
  let proxy: Server;
  let port: number;
  const outcomes: Array<{ ok: boolean; error?: string; clientCertPEM?: string }> = [];
  let nextOutcome: (() => void) | undefined;

  const outcome = async (): Promise<{ ok: boolean; error?: string; clientCertPEM?: string }> => {
    while (outcomes.length === 0) await new Promise<void>((r) => (nextOutcome = r));
    return outcomes.shift() as { ok: boolean };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mysql-proxy-hs-'));
    host = createTestCerts('host');
    users = createTestCerts('user');
    foreign = createTestCerts('user', 'evil-cluster');
    dbCerts = createTestCerts('db');
    db = await startTestMariaDB({ serverCertPEM: dbCerts.serverCertPEM, serverKeyPEM: dbCerts.serverKeyPEM, caCertPEM: dbCerts.caCertPEM, users: [{ name: 'alice', require: 'x509' }] });
    engine = await startEngineHarness({ certs: dbCerts, uri: `127.0.0.1:${db.port}` });
    const alice = users.client('alice');
    const evil = foreign.client('alice');
    const files: Record<string, string> = {
      'ca.crt': host.caCertPEM,
      'alice.crt': alice.certPEM,
      'alice.key': alice.keyPEM,
      'foreign.crt': evil.certPEM,
      'foreign.key': evil.keyPEM,
    };
    for (const [name, pem] of Object.entries(files)) await writeFile(join(dir, name), pem, { mode: 0o600 });
    const upgrade = safeUpgrade(host, users.caCertPEM);
    let conn = 0;
    proxy = createServer((sock) => {
      mysqlProxyHandshake(sock, upgrade, { connectionId: ++conn }).then(
        (accepted) => {
          outcomes.push({ ok: true, clientCertPEM: accepted.clientCertPEM });
          nextOutcome?.();
          const header = { client_cert: accepted.clientCertPEM, ...(accepted.mysql ? { mysql: accepted.mysql } : {}) };
          engine.serve(accepted.stream, header);
        },
        (err: unknown) => {
          outcomes.push({ ok: false, error: errorMessage(err) });
          nextOutcome?.();
        },
      );
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    port = (proxy.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((r) => proxy?.close(() => r()));
    await engine?.close();
    await db?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]): Promise<CLIResult> =>
    runProgram(MARIADB_CLI, ['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(port), '-u', 'alice', '--batch', ...args]);
  const tlsArgs = (cert?: string): string[] => [
    '--ssl',
    `--ssl-ca=${join(dir, 'ca.crt')}`,
    '--ssl-verify-server-cert',
    ...(cert ? [`--ssl-cert=${join(dir, `${cert}.crt`)}`, `--ssl-key=${join(dir, `${cert}.key`)}`] : []),
  ];

  it('accepts a user-CA certificate and the engine continues the session at sequence id 2', async () => {
    const r = await cli([...tlsArgs('alice'), '-D', 'test_db', '-e', 'select current_user(), database()']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /alice@%\ttest_db/);
    const o = await outcome();
    assert.equal(o.ok, true);
    assert.match(o.clientCertPEM ?? '', /BEGIN CERTIFICATE/);
    const s = engine.sessions[engine.sessions.length - 1];
    await s?.done;
    assert.deepEqual(s?.events[0], { type: 'start', dbUser: 'alice', dbName: 'test_db', success: true });
  });

  it('refuses a client certificate from a foreign CA', async () => {
    const r = await cli([...tlsArgs('foreign'), '-e', 'select 1']);
    assert.notEqual(r.code, 0);
    const o = await outcome();
    assert.equal(o.ok, false);
    assert.match(o.error ?? '', /TLS handshake failed|not authorized/);
  });

  it('refuses a TLS client without a certificate', async () => {
    const r = await cli([...tlsArgs(), '-e', 'select 1']);
    assert.notEqual(r.code, 0);
    const o = await outcome();
    assert.equal(o.ok, false);
  });

  it("translates the CLI's Ctrl-C KILL QUERY from the proxy greeting's connection id", async () => {
    const t0 = Date.now();
    const child = spawn(MARIADB_CLI, ['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(port), '-u', 'alice', ...tlsArgs('alice'), '-e', 'select sleep(30)']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    for (let i = 0; i < 100; i++) {
      const r = await db.mysql(['-N', '-e', "select count(*) from information_schema.processlist where info = 'select sleep(30)'"]);
      if (/^[1-9]/m.test(r.stdout)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    assert.ok(Date.now() - t0 < 10_000, out);
    assert.match(out, /Query execution was interrupted/);
    assert.equal((await outcome()).ok, true);
    assert.equal((await outcome()).ok, true);
    const kill = engine.sessions[engine.sessions.length - 1];
    await kill?.done;
    const ev = kill?.events.find((e) => e.type === 'query');
    assert.match(ev?.type === 'query' ? `${ev.statement} ${ev.parameters?.join()}` : '', /^KILL QUERY \d+ upstream thread \d+$/);
  });

  it('tells a client without TLS how to connect', async () => {
    const r = await cli(['--skip-ssl', '-e', 'select 1']);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(TLS_REQUIRED_MESSAGE), r.stderr);
    assert.match(r.stderr, /ERROR 1045 \(28000\)/);
    const o = await outcome();
    assert.equal(o.ok, false);
  });
});
