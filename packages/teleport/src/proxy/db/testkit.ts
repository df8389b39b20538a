/**
 * @module proxy/db/testkit
 * Test helpers for database access at the proxy: database client certificates issued straight from
 * a test auth server's user CA (valid, expired, or from a foreign cluster), written to files for
 * psql and mariadb, and small readers for the errors the proxy answers with. Test-only.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@teleport-ts/api/clock';
import type { TestAuth } from '../../auth/testAuthServer.ts';
import { issueTLSCert } from '../../ca/tlsCA.ts';

/** A client key pair and certificate, and where they are on disk. */
export interface TestDbCert {
  certPEM: string;
  keyPEM: string;
  certFile: string;
  keyFile: string;
}

/**
 * Issues a database certificate for `user` routed to database `db` from `t`'s user CA. `validMs`
 * below zero gives a certificate that expired that long ago.
 */
export async function issueDbCert(t: Pick<TestAuth, 'auth'>, opts: {
  user: string; db: string; protocol: string; dbUser?: string; dbName?: string; validMs?: number; withoutRoute?: boolean;
}): Promise<TestDbCert> {
  const { caCertPEM, caKeyPEM } = await t.auth.keyring.tlsSigner('user');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const validMs = opts.validMs ?? 3_600_000;
  // issueTLSCert backdates notBefore by a minute from its clock: start well before an expired notAfter.
  const now = Date.now();
  const notAfter = new Date(now + validMs);
  const clock = new FakeClock(validMs < 0 ? now + validMs - 3_600_000 : now);
  const certPEM = issueTLSCert({
    caCertPEM, caKeyPEM, publicKey, notAfter, clock, usage: 'client',
    identity: {
      username: opts.user, groups: ['access'], expires: notAfter,
      ...(!opts.withoutRoute && {
        routeToDatabase: { serviceName: opts.db, protocol: opts.protocol, username: opts.dbUser ?? 'alice', database: opts.dbName ?? 'postgres' },
      }),
    },
  });
  const keyPEM = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const dir = await mkdtemp(join(tmpdir(), 'dbcert-'));
  const certFile = join(dir, 'client.crt');
  const keyFile = join(dir, 'client.key');
  await writeFile(certFile, certPEM, { mode: 0o600 });
  await writeFile(keyFile, keyPEM, { mode: 0o600 });
  return { certPEM, keyPEM, certFile, keyFile };
}

/** The M (message) field of the first PostgreSQL ErrorResponse in `data`, if any. */
export function postgresErrorMessage(data: Buffer): string | undefined {
  if (data[0] !== 0x45) return undefined; // 'E'
  const length = data.readInt32BE(1);
  const fields = data.subarray(5, 1 + length);
  let i = 0;
  while (i < fields.length && fields[i] !== 0) {
    const code = String.fromCharCode(fields[i] ?? 0);
    const end = fields.indexOf(0, i + 1);
    if (code === 'M') return fields.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  return undefined;
}

/** The sequence id, error code and message of a MySQL ERR packet at the start of `data`, if it is one. */
export function mysqlError(data: Buffer): { seq: number; code: number; message: string } | undefined {
  if (data.length < 7 || data[4] !== 0xff) return undefined;
  const length = data.readUIntLE(0, 3);
  const payload = data.subarray(4, 4 + length);
  return { seq: data[3] ?? -1, code: payload.readUInt16LE(1), message: payload.subarray(9).toString('utf8') };
}

/** Polls `fn` until it returns something truthy. */
export async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
