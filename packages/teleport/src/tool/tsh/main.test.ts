/**
 * @module tool/tsh/main.test
 * The tsh command tree without a cluster: help for every command (also when main.ts loads only
 * the named command's module), version, unknown commands and flag parsing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tsh } from '../../testing/tshCluster.ts';
import { parseTTLMinutes } from './login.ts';

describe('tsh main', () => {
  it('has help for every command', async () => {
    for (const argv of [['--help'], ['login', '--help'], ['logout', '--help'], ['status', '--help'], ['version', '--help'], ['help', 'login']]) {
      const res = await tsh(argv, {});
      assert.equal(res.code, 0, `${argv.join(' ')}: ${res.stderr}`);
      assert.match(res.stdout, /^Usage: tsh/, argv.join(' '));
    }
    const top = await tsh(['--help'], {});
    for (const cmd of ['login', 'logout', 'status', 'version']) assert.match(top.stdout, new RegExp(`\\n  ${cmd}\\b`));
    assert.match(top.stdout, /TELEPORT_PROXY, TELEPORT_USER, TELEPORT_HOME/);
    const login = await tsh(['login', '--help'], {});
    for (const flag of ['--ttl', '--out', '--format', '--proxy', '--user', '--insecure', '--identity']) assert.match(login.stdout, new RegExp(flag));
  });

  it('loads only the named command, with the same help as when every command is loaded', async () => {
    const top = await tsh(['--help'], {});
    const names = [...top.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1] as string).filter((n) => n !== 'help');
    assert.ok(names.length >= 14, top.stdout);
    for (const name of names) {
      // `tsh help <name>` loads every command (its subcommand is "help"); `tsh <name> --help` only <name>'s.
      const all = await tsh(['help', name], {});
      const alone = await tsh([name, '--help'], {});
      assert.equal(alone.code, 0, `${name}: ${alone.stderr}`);
      assert.equal(alone.stdout, all.stdout, name);
    }
    const proxySSH = await tsh(['--insecure', 'proxy', 'ssh', '--help'], {});
    assert.match(proxySSH.stdout, /^Usage: tsh proxy ssh/);
  });

  it('prints the version', async () => {
    const res = await tsh(['version'], {});
    assert.equal(res.code, 0);
    assert.match(res.stdout, /^Teleport v\d+\.\d+\.\d+ \(tsh/);
  });

  it('rejects unknown commands and flags', async () => {
    const cmd = await tsh(['frobnicate'], {});
    assert.equal(cmd.code, 1);
    assert.match(cmd.stderr, /unknown command 'frobnicate'/);
    const flag = await tsh(['status', '--frob'], {});
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /unknown option '--frob'/);
  });

  it('parses --ttl as whole minutes', () => {
    assert.equal(parseTTLMinutes('90'), 90);
    for (const bad of ['0', '-5', '1.5', '1h', '', '999999999']) assert.throws(() => parseTTLMinutes(bad), /whole number of minutes/);
  });
});
