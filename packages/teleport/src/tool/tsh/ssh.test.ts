/**
 * @module tool/tsh/ssh.test
 * Argument handling of `tsh ssh`: the remote command's own options are left alone, tsh's options
 * (before the destination, in any spelling) are still tsh's; and local refusals exit 255 before
 * anything is dialed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { tempHome, tsh } from '../../testing/tshCluster.ts';
import { protectRemoteCommand } from './ssh.ts';

describe('tsh ssh arguments', () => {
  it('puts "--" after the destination so the command keeps its options', () => {
    assert.deepEqual(protectRemoteCommand(['ssh', 'node1', 'ls', '-la']), ['ssh', 'node1', '--', 'ls', '-la']);
    assert.deepEqual(protectRemoteCommand(['--proxy', 'p:3080', 'ssh', '-l', 'root', '-p', '22', 'node1', 'ls', '-l']),
      ['--proxy', 'p:3080', 'ssh', '-l', 'root', '-p', '22', 'node1', '--', 'ls', '-l']);
    assert.deepEqual(protectRemoteCommand(['ssh', '-NL', '8080:h:80', 'node1']), ['ssh', '-NL', '8080:h:80', 'node1', '--']);
    assert.deepEqual(protectRemoteCommand(['ssh', '-lroot', '-At', 'node1', 'top']), ['ssh', '-lroot', '-At', 'node1', '--', 'top']);
    assert.deepEqual(protectRemoteCommand(['ssh', '--login=root', 'node1', '-v']), ['ssh', '--login=root', 'node1', '--', '-v']);
    assert.deepEqual(protectRemoteCommand(['-i', 'id.pem', 'ssh', 'node1']), ['-i', 'id.pem', 'ssh', 'node1', '--']);
  });
  it('leaves other commands and explicit "--" alone', () => {
    assert.deepEqual(protectRemoteCommand(['ls', '-v']), ['ls', '-v']);
    assert.deepEqual(protectRemoteCommand(['ssh', '--', 'node1', 'ls']), ['ssh', '--', 'node1', 'ls']);
    assert.deepEqual(protectRemoteCommand(['ssh', '--help']), ['ssh', '--help']);
  });
  it('exits 255 with a message for problems found before connecting', async () => {
    const home = await tempHome();
    try {
      const env = { TELEPORT_HOME: home };
      const notLoggedIn = await tsh(['ssh', 'root@node1', 'true'], env);
      assert.equal(notLoggedIn.code, 255);
      assert.equal(notLoggedIn.stderr, 'ERROR: not logged in: run "tsh login --proxy=<host:port>"\n');
      const badSpec = await tsh(['ssh', '-L', '80', 'node1'], env);
      assert.equal(badSpec.code, 255);
      assert.match(badSpec.stderr, /invalid -L 80: expected \[bind_address:\]port:host:hostport/);
      const noAgent = await tsh(['ssh', '-A', 'node1'], env);
      assert.match(noAgent.stderr, /-A needs a running ssh-agent, but SSH_AUTH_SOCK is not set/);
      const both = await tsh(['ssh', '-N', 'node1', 'uptime'], env);
      assert.match(both.stderr, /-N runs no command/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
