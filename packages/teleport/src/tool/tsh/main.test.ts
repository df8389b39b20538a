/**
 * @module tool/tsh/main.test
 * The tsh command tree without a cluster: help for every command, version, unknown commands and
 * flag parsing.
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
