/**
 * @module client/db/dbProfile.test
 * Golden text of `tsh db env`, `tsh db config` (text and cmd), the MySQL option file and the local
 * client command lines; quoting for the shell and for libpq conninfo (checked with real psql).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  clientCommand, conninfo, formatCommand, formatConfigText, formatEnv, mysqlLocalCommand, mysqlOptionFile,
  psqlLocalCommand, shellQuote, type DbConnectionProfile,
} from './dbProfile.ts';

const dir = '/h/.tsh/keys/proxy.example.com/alice-db/example.com';
const pg: DbConnectionProfile = {
  name: 'pg', protocol: 'postgres', host: 'proxy.example.com', port: 5432, user: 'alice', database: 'app',
  caPath: `${dir}/pg-proxy-ca.pem`, certPath: `${dir}/pg-x509.pem`, keyPath: `${dir}/pg.key`, sslMode: 'verify-full',
};
const maria: DbConnectionProfile = {
  name: 'maria', protocol: 'mysql', host: 'proxy.example.com', port: 3036, user: 'bob', database: 'shop',
  caPath: `${dir}/maria-proxy-ca.pem`, certPath: `${dir}/maria-x509.pem`, keyPath: `${dir}/maria.key`, sslMode: 'verify-ca',
  optionFilePath: `${dir}/maria.my.cnf`,
};

describe('database connection rendering', () => {
  it('prints PG* variables for tsh db env', () => {
    assert.equal(formatEnv(pg), [
      'export PGHOST=proxy.example.com',
      'export PGPORT=5432',
      'export PGSSLMODE=verify-full',
      `export PGSSLROOTCERT=${dir}/pg-proxy-ca.pem`,
      `export PGSSLCERT=${dir}/pg-x509.pem`,
      `export PGSSLKEY=${dir}/pg.key`,
      'export PGUSER=alice',
      'export PGDATABASE=app',
      '',
    ].join('\n'));
    const { user: _u, database: _d, ...bare } = pg;
    assert.doesNotMatch(formatEnv(bare), /PGUSER|PGDATABASE/);
  });

  it('points MySQL users at the option file', () => {
    assert.equal(formatEnv(maria), [
      '# MySQL clients take TLS settings from an option file, not from the environment:',
      `#   mysql --defaults-extra-file=${dir}/maria.my.cnf`,
      'export MYSQL_HOST=proxy.example.com',
      'export MYSQL_TCP_PORT=3036',
      '',
    ].join('\n'));
    const { host: _h, port: _p, ...noListener } = maria;
    assert.match(formatEnv(noListener), /# The proxy has no MySQL listener: run "tsh proxy db --tunnel maria"/);
  });

  it('prints the settings and the psql command for tsh db config', () => {
    const psql = `psql 'host=proxy.example.com port=5432 user=alice dbname=app sslmode=verify-full sslrootcert=${dir}/pg-proxy-ca.pem ` +
      `sslcert=${dir}/pg-x509.pem sslkey=${dir}/pg.key'`;
    assert.equal(formatConfigText(pg), [
      'Name:     pg',
      'Host:     proxy.example.com',
      'Port:     5432',
      'User:     alice',
      'Database: app',
      'SSL mode: verify-full',
      `CA:       ${dir}/pg-proxy-ca.pem`,
      `Cert:     ${dir}/pg-x509.pem`,
      `Key:      ${dir}/pg.key`,
      '',
      'Connect with:',
      `  ${psql}`,
      '',
    ].join('\n'));
    assert.equal(formatCommand(clientCommand(pg) ?? []), psql);
  });

  it('prints the MySQL settings, or the tunnel advice without a MySQL listener', () => {
    assert.equal(formatConfigText(maria), [
      'Name:        maria',
      'Host:        proxy.example.com',
      'Port:        3036',
      'User:        bob',
      'Database:    shop',
      'SSL mode:    verify-ca',
      `CA:          ${dir}/maria-proxy-ca.pem`,
      `Cert:        ${dir}/maria-x509.pem`,
      `Key:         ${dir}/maria.key`,
      `Option file: ${dir}/maria.my.cnf`,
      '',
      'Connect with:',
      `  mysql --defaults-extra-file=${dir}/maria.my.cnf`,
      '',
    ].join('\n'));
    const { host: _h, port: _p, ...noListener } = maria;
    assert.equal(clientCommand(noListener), undefined);
    assert.match(formatConfigText(noListener), /Host: +\(none: use "tsh proxy db --tunnel"\)\nPort: +-\n[\s\S]*start a local tunnel with "tsh proxy db --tunnel maria"\.\n$/);
  });

  it('writes the MySQL option file', () => {
    assert.equal(mysqlOptionFile(maria, 'Written by tsh'), [
      '# Written by tsh',
      '[client]',
      'host=proxy.example.com',
      'port=3036',
      'protocol=TCP',
      'user=bob',
      `ssl-ca=${dir}/maria-proxy-ca.pem`,
      `ssl-cert=${dir}/maria-x509.pem`,
      `ssl-key=${dir}/maria.key`,
      '',
      '[mysql]',
      'database=shop',
      '',
    ].join('\n'));
    assert.match(mysqlOptionFile({ ...maria, sslMode: 'verify-full' }, 'x'), /\n\[client-mariadb\]\nssl-verify-server-cert\n$/);
  });

  it('builds the local client commands of tsh db connect', () => {
    assert.deepEqual(psqlLocalCommand(5555, 'alice', 'app'), ['psql', 'host=127.0.0.1 port=5555 user=alice dbname=app sslmode=disable']);
    assert.deepEqual(psqlLocalCommand(5555), ['psql', 'host=127.0.0.1 port=5555 sslmode=disable']);
    assert.deepEqual(mysqlLocalCommand(5555, 'mariadb', 'bob', 'shop', '/usr/bin/mariadb'),
      ['/usr/bin/mariadb', '--protocol=TCP', '-h', '127.0.0.1', '-P', '5555', '-u', 'bob', '--skip-ssl', 'shop']);
    assert.deepEqual(mysqlLocalCommand(5555, 'mysql'), ['mysql', '--protocol=TCP', '-h', '127.0.0.1', '-P', '5555', '--ssl-mode=DISABLED']);
  });

  it('quotes for the shell and for conninfo', () => {
    assert.equal(shellQuote('plain/path-1.pem'), 'plain/path-1.pem');
    assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
    const ci = conninfo([['host', 'h'], ['sslcert', "/my dir/it's.pem"], ['dbname', undefined], ['port', 5]]);
    assert.equal(ci, `host=h sslcert='/my dir/it\\'s.pem' port=5`);
    if (existsSync('/usr/bin/psql')) {
      // psql's own parser agrees: --no-psqlrc -c would connect, so ask libpq to expand the string via conninfo errors instead.
      const out = (() => {
        try {
          return execFileSync('/usr/bin/psql', [`${ci} connect_timeout=1 sslmode=disable`, '-c', 'select 1'], { stdio: 'pipe', timeout: 10_000 }).toString();
        } catch (err) {
          return String((err as { stderr?: Buffer }).stderr ?? '');
        }
      })();
      assert.doesNotMatch(out, /invalid connection option|missing "=" after|unterminated quoted string/);
    }
  });
});
