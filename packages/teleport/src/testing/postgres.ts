/**
 * @module testing/postgres
 * Test-only: a throwaway PostgreSQL 15 server (Debian's /usr/lib/postgresql/15/bin) in a temp dir on a
 * free 127.0.0.1 port, with `ssl=on`, the given server certificate, and client-certificate
 * authentication against the given CA (`hostssl all all 127.0.0.1/32 cert`), plus optionally one
 * SCRAM password user. PostgreSQL refuses to run as root, so when the tests run as root the server
 * binaries run as the `postgres` system user, which owns the data dir. The unix socket (trust, for
 * setup as the `postgres` superuser) lives in the temp dir. `stop()` is `pg_ctl stop -m fast` on this
 * data dir only, then removes it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Where Debian's postgresql-15 puts the server binaries. */
export const PG_BIN = '/usr/lib/postgresql/15/bin';
/** The psql client. */
export const PSQL = '/usr/bin/psql';
/** The test database every started server has. */
export const TEST_DATABASE = 'test';

/** Options of startTestPostgres. */
export interface TestPostgresOptions {
  serverCertPEM: string;
  serverKeyPEM: string;
  /** The db CA: verifies client certificates (their CN must be the role name). */
  caCertPEM: string;
  /** Login roles to create (certificate authentication). */
  users?: string[];
  /** One role that authenticates with SCRAM-SHA-256 instead of a certificate. */
  password?: { user: string; password: string };
}

/** Result of a psql run. */
export interface PsqlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running test server. */
export interface TestPostgres {
  host: '127.0.0.1';
  port: number;
  dataDir: string;
  /** The test database (owned by the first user, all users may connect and create). */
  database: string;
  /** Runs psql with `args` (as root; connect with -h/-p or a conninfo string). */
  psql(args: string[], env?: NodeJS.ProcessEnv): Promise<PsqlResult>;
  /** Runs SQL as the superuser over the unix socket. */
  superuser(sql: string): Promise<PsqlResult>;
  stop(): Promise<void>;
}

/** Runs a command as the postgres system user when we are root. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Runs psql and collects its output. */
export function runPsql(args: string[], env: NodeJS.ProcessEnv = {}): Promise<PsqlResult> & { child: ChildProcess } {
  const child = spawn(PSQL, args, { env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const p = new Promise<PsqlResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return Object.assign(p, { child });
}

/** Starts a server; rejects (after cleaning up) when initdb or the start fails. */
export async function startTestPostgres(opts: TestPostgresOptions): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'teleport-pg-'));
  const dataDir = join(dir, 'data');
  const root = userInfo().uid === 0;
  const ids = root ? postgresIds() : null;
  const own = async (p: string): Promise<void> => {
    if (ids) await chown(p, ids.uid, ids.gid);
  };
  const run = async (cmd: string, args: string[]): Promise<void> => {
    const [c, a] = asPostgres(cmd, args);
    await execFileP(c, a, { cwd: dir, timeout: 60_000 });
  };
  let started = false;
  try {
    await own(dir);
    await chmod(dir, 0o700);
    await run(`${PG_BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    for (const [name, pem, mode] of [
      ['server.crt', opts.serverCertPEM, 0o644],
      ['server.key', opts.serverKeyPEM, 0o600],
      ['ca.crt', opts.caCertPEM, 0o644],
    ] as const) {
      const p = join(dir, name);
      await writeFile(p, pem, { mode });
      await own(p);
    }
    const pw = opts.password;
    // First match wins: the password user's line comes before the certificate line.
    const hba = [
      'local all all trust',
      ...(pw ? [`hostssl all ${pw.user} 127.0.0.1/32 scram-sha-256`] : []),
      'hostssl all all 127.0.0.1/32 cert',
      '',
    ].join('\n');
    await writeFile(join(dataDir, 'pg_hba.conf'), hba);
    let port = 0;
    for (let attempt = 0; attempt < 5 && !started; attempt++) {
      port = await freePort();
      await appendFile(
        join(dataDir, 'postgresql.conf'),
        [
          '',
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          `unix_socket_directories = '${dir}'`,
          'ssl = on',
          `ssl_cert_file = '${join(dir, 'server.crt')}'`,
          `ssl_key_file = '${join(dir, 'server.key')}'`,
          `ssl_ca_file = '${join(dir, 'ca.crt')}'`,
          "password_encryption = 'scram-sha-256'",
          'fsync = off',
          'synchronous_commit = off',
          'full_page_writes = off',
          'max_connections = 30',
          'shared_buffers = 16MB',
          '',
        ].join('\n'),
      );
      try {
        await run(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
        started = true;
      } catch {
        // Most likely someone took the port between freePort and the start: try another one.
      }
    }
    if (!started) throw new Error(`PostgreSQL did not start: see ${join(dir, 'server.log')}`);
    const superuser = (sql: string): Promise<PsqlResult> =>
      runPsql(['-X', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql]);
    const users = opts.users ?? [];
    const stmts: string[] = [];
    for (const u of users) stmts.push(`CREATE ROLE ${ident(u)} LOGIN`);
    if (pw) stmts.push(`CREATE ROLE ${ident(pw.user)} LOGIN PASSWORD ${literal(pw.password)}`);
    const owner = users[0] ?? pw?.user ?? 'postgres';
    stmts.push(`CREATE DATABASE ${TEST_DATABASE} OWNER ${ident(owner)}`);
    stmts.push(`GRANT ALL ON DATABASE ${TEST_DATABASE} TO PUBLIC`);
    for (const sql of stmts) {
      const r = await superuser(sql);
      if (r.code !== 0) throw new Error(`test PostgreSQL setup failed on ${sql.split(' ').slice(0, 3).join(' ')}: ${r.stderr}`);
    }
    const r = await runPsql(['-X', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', TEST_DATABASE, '-c', 'GRANT ALL ON SCHEMA public TO PUBLIC']);
    if (r.code !== 0) throw new Error(`test PostgreSQL setup failed: ${r.stderr}`);
    return {
      host: '127.0.0.1',
      port,
      dataDir,
      database: TEST_DATABASE,
      psql: (args, env) => runPsql(args, env),
      superuser,
      async stop() {
        await run(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (started) await run(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** uid and gid of the `postgres` system user (from /etc/passwd). */
function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('no postgres system user: install postgresql-15');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A quoted SQL identifier. */
function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A quoted SQL string literal. */
function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
