/**
 * @module tool/tsh/argv.test
 * Reading the subcommand from argv before commander: exact for tsh's global options, and
 * "don't know" (register everything) for anything else.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { protectRemoteCommand, subcommandOf } from './argv.ts';

describe('subcommandOf', () => {
  it('finds the first word after tsh\'s global options', () => {
    assert.equal(subcommandOf(['proxy', 'ssh', 'alice@node1']), 'proxy');
    assert.equal(subcommandOf(['--proxy', 'p:3080', '--user', 'bob', 'login']), 'login');
    assert.equal(subcommandOf(['--proxy=p:3080', '--insecure', '-d', 'ls', '-v']), 'ls');
    assert.equal(subcommandOf(['-i', 'id.pem', 'ssh', 'node1']), 'ssh');
    assert.equal(subcommandOf(['-iid.pem', '--identity=x', '--debug', 'status']), 'status');
    assert.equal(subcommandOf(['version']), 'version');
  });

  it('does not guess through anything else', () => {
    for (const argv of [[], ['--help'], ['-h'], ['-di', 'id.pem', 'ssh'], ['--frob', 'ssh'], ['--', 'ssh'], ['--proxy']]) {
      assert.equal(subcommandOf(argv), undefined, argv.join(' '));
    }
    // A value that looks like a command stays a value.
    assert.equal(subcommandOf(['--user', 'login', 'ssh', 'node1']), 'ssh');
  });
});

describe('protectRemoteCommand (moved from ssh.ts)', () => {
  it('is still re-exported by ssh.ts', async () => {
    const ssh = await import('./ssh.ts');
    assert.equal(ssh.protectRemoteCommand, protectRemoteCommand);
  });
});
