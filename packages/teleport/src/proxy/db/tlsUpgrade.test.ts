/**
 * @module proxy/db/tlsUpgrade.test
 * The client-certificate check at EVERY TLS upgrade point of database access: the ALPN database TLS
 * server on the web port (node TLS clients, PostgreSQL and MySQL), the PostgreSQL SSLRequest on the
 * web port and on the dedicated listener (real psql), and the MySQL SSL capability on the dedicated
 * listener (real mariadb client), each with a good certificate, one from a FOREIGN CA, an expired one
 * and none. The real handshakes of srv/db/{postgres,mysql}/proxyHandshake.ts are used. No database
 * service is registered, so a good certificate gets as far as the router ("not found"), which proves
 * it passed; every refusal must say why and be audited as db.session.start TDB00W.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import tls from 'node:tls';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import type { AuditEventInput } from '@teleport-ts/api/events/types';
import { newTestAuthServer, type TestAuth } from '../../auth/testAuthServer.ts';
import { postgresProxyHandshake } from '../../srv/db/postgres/proxyHandshake.ts';
import { mysqlProxyHandshake } from '../../srv/db/mysql/proxyHandshake.ts';
import { silentLogger } from '../../utils/logger.ts';
import { createSelfSigned } from '../selfSignedCert.ts';
import { startWebServer, type WebServer } from '../web/webServer.ts';
import { startDatabaseProxy, type DatabaseProxy } from './dbProxy.ts';
import { issueDbCert, mysqlError, postgresErrorMessage, type TestDbCert } from './testkit.ts';
import { mariadbTestSkip, postgresTestSkip } from '../../testing/databaseTools.ts';

type Case = 'good' | 'foreign' | 'expired' | 'none';
const CASES: Case[] = ['good', 'foreign', 'expired', 'none'];
const EXPECT: Record<Case, RegExp> = {
  good: /database '(pg1|my1)' not found: no database service serves it/,
  foreign: /client certificate not signed by this cluster's user CA: run 'tsh db login/,
  expired: /client certificate expired at .*: run 'tsh db login/,
  none: /no client certificate: run 'tsh db login/,
};

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 15_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

describe('database TLS upgrades check the client certificate against the user CA', { skip: postgresTestSkip || mariadbTestSkip }, () => {
  let t: TestAuth;
  let foreign: TestAuth;
  let db: DatabaseProxy;
  let web: WebServer;
  const audit: AuditEventInput[] = [];
  let lookups = 0;
  const certs = {} as Record<'postgres' | 'mysql', Record<Exclude<Case, 'none'>, TestDbCert>>;

  before(async () => {
    const clock = new FakeClock(Date.now());
    t = await newTestAuthServer({ clock, secondFactor: 'off' });
    foreign = await newTestAuthServer({ clock, secondFactor: 'off' });
    for (const [protocol, name] of [['postgres', 'pg1'], ['mysql', 'my1']] as const) {
      certs[protocol] = {
        good: await issueDbCert(t, { user: 'alice', db: name, protocol }),
        foreign: await issueDbCert(foreign, { user: 'alice', db: name, protocol }),
        expired: await issueDbCert(t, { user: 'alice', db: name, protocol, validMs: -60_000 }),
      };
    }
    const userCAs = await t.auth.keyring.tlsCerts('user');
    const pair = await createSelfSigned(['localhost'], clock);
    db = await startDatabaseProxy({
      ...pair, userCAs: () => userCAs,
      tunnel: { isConnected: () => false, dial: () => Promise.reject(new Error('no tunnel in this test')) },
      servers: { serversFor: async () => (lookups++, []) },
      audit: (e) => audit.push(e),
      postgresHandshake: postgresProxyHandshake, mysqlHandshake: mysqlProxyHandshake,
      postgresListenAddr: { host: '127.0.0.1', port: 0 }, mysqlListenAddr: { host: '127.0.0.1', port: 0 },
      clock: systemClock, logger: silentLogger,
    });
    web = await startWebServer({
      ctx: { authClient: undefined as never, clusterName: 'example.com', webPublicAddr: 'x', sshPublicAddr: 'x', tunnelPublicAddr: 'x', logger: silentLogger },
      listenAddr: { host: '127.0.0.1', port: 0 }, ...pair, database: db.webHandlers,
    });
  });

  after(async () => {
    await web?.close();
    await db?.close();
  });

  const pick = (protocol: 'postgres' | 'mysql', c: Case): TestDbCert | undefined => (c === 'none' ? undefined : certs[protocol][c]);

  /** Connects by ALPN with node's TLS client and returns everything the proxy sent before closing. */
  const alpn = (protocol: 'postgres' | 'mysql', c: Case): Promise<Buffer> => new Promise((resolve, reject) => {
    const cert = pick(protocol, c);
    const sock = tls.connect({
      host: '127.0.0.1', port: web.address.port, rejectUnauthorized: false, ALPNProtocols: [`teleport-${protocol}`],
      ...(cert && { cert: cert.certPEM, key: cert.keyPEM }),
    });
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', (err) => (chunks.length ? undefined : reject(err)));
    sock.on('close', () => resolve(Buffer.concat(chunks)));
  });

  for (const c of CASES) {
    it(`ALPN teleport-postgres on the web port: ${c} certificate`, async () => {
      assert.match(postgresErrorMessage(await alpn('postgres', c)) ?? '<no ErrorResponse>', EXPECT[c]);
    });
    it(`ALPN teleport-mysql on the web port: ${c} certificate`, async () => {
      const err = mysqlError(await alpn('mysql', c));
      assert.ok(err, 'an ERR packet');
      assert.equal(err.seq, 0, 'in place of the greeting');
      assert.match(err.message, EXPECT[c]);
    });
  }

  const psql = (port: number, c: Case): Promise<string> => {
    const cert = pick('postgres', c);
    const conn = [
      'host=127.0.0.1', `port=${port}`, 'user=alice', 'dbname=postgres', 'sslmode=require', 'connect_timeout=10',
      `sslcert=${cert?.certFile ?? '/nonexistent/client.crt'}`, `sslkey=${cert?.keyFile ?? '/nonexistent/client.key'}`,
    ].join(' ');
    return run('psql', [conn, '-c', 'select 1'], { PGPASSWORD: '', HOME: '/nonexistent' });
  };
  for (const c of CASES) {
    it(`psql SSLRequest on the web port: ${c} certificate`, async () => {
      assert.match(await psql(web.address.port, c), EXPECT[c]);
    });
    it(`psql SSLRequest on the dedicated PostgreSQL listener: ${c} certificate`, async () => {
      assert.match(await psql(db.postgresAddr?.port ?? 0, c), EXPECT[c]);
    });
    it(`mariadb SSL on the dedicated MySQL listener: ${c} certificate`, async () => {
      const cert = pick('mysql', c);
      const out = await run('mariadb', [
        '--no-defaults', '-h', '127.0.0.1', '-P', String(db.mysqlAddr?.port ?? 0), '-u', 'alice', '--ssl', '--connect-timeout=10',
        ...(cert ? [`--ssl-cert=${cert.certFile}`, `--ssl-key=${cert.keyFile}`] : []), '-e', 'select 1',
      ]);
      assert.match(out, c === 'good' ? /ERROR 1105 \(HY000\)/ : /ERROR 1045 \(28000\)/);
      assert.match(out, EXPECT[c]);
    });
  }

  it('audits every refusal as a failed db.session.start, and no refused certificate reached the router', () => {
    const failures = audit.filter((e) => e.event === 'db.session.start' && e.code === 'TDB00W');
    // 4 cases x 5 upgrade points, each audited once (the good ones by the router).
    assert.equal(failures.length, 20);
    assert.equal(lookups, 5, 'only the good certificates were routed');
    const expired = failures.find((e) => /expired/.test(String(e.error)));
    assert.equal(expired?.user, 'alice', 'an expired certificate of this cluster names its user');
    const foreignOnes = failures.filter((e) => /not signed/.test(String(e.error)));
    assert.equal(foreignOnes.length, 5);
    assert.ok(foreignOnes.every((e) => e.user === ''), 'a foreign certificate names nobody');
  });
});
