/**
 * @module tool/tsh/dbConnect.test
 * How `tsh db connect` finds its client: PATH search, MariaDB vs MySQL by the version line (and the
 * real mariadb client when installed), and the install hint when the client is missing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { DbCredentials } from '../../client/db/dbKeyStore.ts';
import { findExecutable, localClientCommand, mysqlFlavorOf } from './dbConnect.ts';

const creds = (protocol: string) => ({ db: 'x', route: { serviceName: 'x', protocol, username: 'bob', database: 'shop' } }) as unknown as DbCredentials;

describe('tsh db connect client lookup', () => {
  it('finds executables on PATH only', async () => {
    assert.equal(await findExecutable(['sh'], { PATH: '/nonexistent:/bin' }), '/bin/sh');
    assert.equal(await findExecutable(['sh'], { PATH: '/nonexistent' }), undefined);
  });

  it('tells MariaDB from MySQL clients', () => {
    assert.equal(mysqlFlavorOf('mariadb  Ver 15.1 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)'), 'mariadb');
    assert.equal(mysqlFlavorOf('mysql  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)'), 'mysql');
  });

  it('says how to install a missing client', async () => {
    await assert.rejects(localClientCommand(creds('postgres'), 1, { PATH: '/nonexistent' }), /psql not found: install postgresql-client/);
    await assert.rejects(localClientCommand(creds('mysql'), 1, { PATH: '/nonexistent' }), /mysql not found: install a MySQL or MariaDB client/);
  });

  it('builds the mariadb command with --skip-ssl', { skip: !existsSync('/usr/bin/mariadb') && 'no mariadb client' }, async () => {
    const argv = await localClientCommand(creds('mysql'), 4000, { PATH: '/usr/bin' });
    assert.deepEqual(argv.slice(1), ['--protocol=TCP', '-h', '127.0.0.1', '-P', '4000', '-u', 'bob', '--skip-ssl', 'shop']);
  });
});
