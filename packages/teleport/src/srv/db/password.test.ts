/**
 * @module srv/db/password.test
 * Beyond upstream: database passwords from a file (refused when group/world readable) or an
 * environment variable, read once at start.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDatabasePassword } from './password.ts';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'db-pass-'))));
after(() => rm(dir, { recursive: true, force: true }));

it('reads a 0600 file without its trailing newline, and refuses a readable one', async () => {
  const file = join(dir, 'pw');
  await writeFile(file, 'hunter2 with spaces\n');
  await chmod(file, 0o600);
  assert.equal(await readDatabasePassword({ name: 'pg', passwordFile: file }), 'hunter2 with spaces');
  await chmod(file, 0o644);
  await assert.rejects(readDatabasePassword({ name: 'pg', passwordFile: file }), /readable or writable by group or others \(mode 644\): run chmod 600/);
  await assert.rejects(readDatabasePassword({ name: 'pg', passwordFile: join(dir, 'missing') }), /no such file/);
  await assert.rejects(readDatabasePassword({ name: 'pg', passwordFile: 'relative' }), /must be an absolute path/);
});

it('reads an environment variable; none configured is undefined; both is an error', async () => {
  assert.equal(await readDatabasePassword({ name: 'pg', passwordEnv: 'PGPW' }, { PGPW: 'x' }), 'x');
  await assert.rejects(readDatabasePassword({ name: 'pg', passwordEnv: 'PGPW' }, {}), /PGPW \(password_env\) is not set/);
  assert.equal(await readDatabasePassword({ name: 'pg' }), undefined);
  await assert.rejects(readDatabasePassword({ name: 'pg', passwordEnv: 'A', passwordFile: '/b' }), /not both/);
});
