/**
 * @module testing/mariadb
 * Test-only: a throwaway MariaDB server (Debian's mariadb-server 10.11) in a temp dir on a free
 * 127.0.0.1 port, with TLS from the given server certificate and CA, and accounts that authenticate
 * by client certificate (`REQUIRE X509` / `REQUIRE SUBJECT`) or by password. Administration goes over
 * the root Unix socket. Stop it with `stop()` (kills only its own pid, removes the dir).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@teleport-ts/api/clock';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import { createTLSCA, issueTLSCert } from '../ca/tlsCA.ts';

/** The server daemon and tools (Debian paths). */
const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
/** The client CLI. */
export const MARIADB_CLI = '/usr/bin/mariadb';

/** A certificate-authenticated account: `REQUIRE X509` or `REQUIRE SUBJECT '<subject>'`. */
export interface TestMariaDBUser {
  name: string;
  /** MariaDB compares the subject in OpenSSL's one-line form, e.g. "/CN=alice". */
  require: 'x509' | { subject: string };
}

/** Options of {@link startTestMariaDB}. */
export interface TestMariaDBOptions {
  serverCertPEM: string;
  serverKeyPEM: string;
  caCertPEM: string;
  users: TestMariaDBUser[];
  /** A password account (mysql_native_password, REQUIRE SSL). */
  password?: { user: string; password: string };
  /** Databases to create; default ["test_db", "other_db"]. Every account gets all privileges. */
  databases?: string[];
}

/** The output of one CLI run. */
export interface CLIResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running test server. */
export interface TestMariaDB {
  host: '127.0.0.1';
  port: number;
  socketPath: string;
  /** Runs the `mariadb` CLI as root over the Unix socket with extra `args` (e.g. ['-e', 'select 1']). */
  mysql(args: string[]): Promise<CLIResult>;
  stop(): Promise<void>;
}

/** Runs a program to completion, collecting its output. */
export function runProgram(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CLIResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** A test CA with a server certificate for 127.0.0.1/localhost, and client certificates on demand. */
export interface TestCerts {
  caCertPEM: string;
  caKeyPEM: string;
  serverCertPEM: string;
  serverKeyPEM: string;
  /** A client certificate with CN = `cn` (the Subject MariaDB sees as "/CN=<cn>"). */
  client(cn: string, notAfter?: Date): { certPEM: string; keyPEM: string };
}

/** Creates a CA of `caType` (ECDSA P-256) with a server certificate, like the cluster's db CA issues. */
export function createTestCerts(caType = 'db', clusterName = 'test-cluster'): TestCerts {
  const ca = createTLSCA({ clusterName, caType, algorithm: 'ecdsa-p256', clock: systemClock });
  const leaf = (cn: string, usage: 'client' | 'server', notAfter: Date, hosts = false): { certPEM: string; keyPEM: string } => {
    const { privateKey } = generateKeyPair('ecdsa-p256');
    const certPEM = issueTLSCert({
      caCertPEM: ca.certPEM,
      caKeyPEM: ca.keyPEM,
      publicKey: privateKey,
      identity: { username: cn, groups: [], expires: notAfter },
      notAfter,
      clock: systemClock,
      usage,
      ...(hosts ? { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } : {}),
    });
    return { certPEM, keyPEM: privateKeyToPEM(privateKey) };
  };
  const inAnHour = (): Date => new Date(Date.now() + 3600_000);
  const server = leaf('localhost', 'server', inAnHour(), true);
  return {
    caCertPEM: ca.certPEM,
    caKeyPEM: ca.keyPEM,
    serverCertPEM: server.certPEM,
    serverKeyPEM: server.keyPEM,
    client: (cn, notAfter) => leaf(cn, 'client', notAfter ?? inAnHour()),
  };
}

/** Initializes a data dir, starts mariadbd with TLS, and creates the accounts and databases. */
export async function startTestMariaDB(opts: TestMariaDBOptions): Promise<TestMariaDB> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-mariadb-'));
  const dataDir = join(dir, 'data');
  const socketPath = join(dir, 'mysqld.sock');
  const errLog = join(dir, 'error.log');
  await writeFile(join(dir, 'server.crt'), opts.serverCertPEM);
  await writeFile(join(dir, 'server.key'), opts.serverKeyPEM, { mode: 0o600 });
  await writeFile(join(dir, 'ca.crt'), opts.caCertPEM);
  const init = await runProgram(INSTALL_DB, [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--auth-root-authentication-method=normal',
    '--user=root',
    '--skip-test-db',
    '--skip-name-resolve',
  ]);
  if (init.code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (${init.code}): ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const child = spawn(
    MARIADBD,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socketPath}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${errLog}`,
      `--tmpdir=${dir}`,
      '--user=root',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=32M',
      `--ssl-ca=${join(dir, 'ca.crt')}`,
      `--ssl-cert=${join(dir, 'server.crt')}`,
      `--ssl-key=${join(dir, 'server.key')}`,
    ],
    { stdio: 'ignore' },
  );
  const root = (args: string[]): Promise<CLIResult> =>
    runProgram(MARIADB_CLI, ['--no-defaults', '--protocol=socket', `--socket=${socketPath}`, '-uroot', '--batch', ...args]);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 15_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5_000);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
      if (existsSync(socketPath) && (await root(['-e', 'select 1'])).code === 0) break;
      if (Date.now() > deadline) throw new Error('mariadbd did not start within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const sql: string[] = [
      // Debian's anonymous account would shadow 'user'@'%' for local connections.
      "DELETE FROM mysql.global_priv WHERE User = ''",
      'FLUSH PRIVILEGES',
    ];
    for (const db of opts.databases ?? ['test_db', 'other_db']) sql.push(`CREATE DATABASE IF NOT EXISTS \`${db}\``);
    for (const u of opts.users) {
      const req = u.require === 'x509' ? 'REQUIRE X509' : `REQUIRE SUBJECT ${quote(u.require.subject)}`;
      sql.push(`CREATE USER ${quote(u.name)}@'%' ${req}`, `GRANT ALL PRIVILEGES ON *.* TO ${quote(u.name)}@'%'`);
    }
    if (opts.password) {
      const { user, password } = opts.password;
      sql.push(
        `CREATE USER ${quote(user)}@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD(${quote(password)}) REQUIRE SSL`,
        `GRANT ALL PRIVILEGES ON *.* TO ${quote(user)}@'%'`,
      );
    }
    const res = await root(['-e', sql.join(';\n')]);
    if (res.code !== 0) throw new Error(`creating MariaDB test accounts failed: ${res.stderr}`);
  } catch (err) {
    const log = await readFile(errLog, 'utf8').catch(() => '');
    await stop();
    throw new Error(`${(err as Error).message}\n${log.split('\n').slice(-15).join('\n')}`);
  }
  return { host: '127.0.0.1', port, socketPath, mysql: root, stop };
}
