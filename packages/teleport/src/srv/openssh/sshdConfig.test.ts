/**
 * @module srv/openssh/sshdConfig.test
 * Golden tests of the sshd_config edits (Debian's default sshd_config, and a file with a stale block
 * in the middle), idempotence, removal, refusals, and command template splitting.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BadParameterError } from '@teleport-ts/api/errors';
import { addTeleportInclude, BLOCK_BEGIN, BLOCK_END, quoteSSHDArg, removeTeleportInclude, renderSnippet, splitCommand } from './sshdConfig.ts';

const fixture = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const SNIPPET = '/var/lib/teleport/openssh/sshd.conf';

describe('addTeleportInclude', () => {
  for (const name of ['debian_sshd_config', 'stale_block_sshd_config']) {
    test(`${name}: matches the golden file, and a second run changes nothing`, () => {
      const first = addTeleportInclude(fixture(name), SNIPPET);
      assert.equal(first.text, fixture(`${name}.golden`));
      assert.equal(first.changed, true);
      const second = addTeleportInclude(first.text, SNIPPET);
      assert.equal(second.text, first.text);
      assert.equal(second.changed, false);
      assert.equal(second.text.split(BLOCK_BEGIN).length, 2, 'exactly one block');
    });
  }

  test('the block is the first thing sshd reads', () => {
    const lines = addTeleportInclude(fixture('debian_sshd_config'), SNIPPET).text.split('\n');
    assert.deepEqual(lines.slice(0, 3), [BLOCK_BEGIN, `Include ${SNIPPET}`, BLOCK_END]);
  });

  test('a new snippet path replaces the old block', () => {
    const once = addTeleportInclude(fixture('debian_sshd_config'), SNIPPET).text;
    const moved = addTeleportInclude(once, '/srv/teleport/openssh/sshd.conf').text;
    assert.match(moved, /^# BEGIN.*\nInclude \/srv\/teleport\/openssh\/sshd\.conf\n# END/);
    assert.doesNotMatch(moved, /\/var\/lib\/teleport/);
  });

  test('an empty file and a CRLF file', () => {
    assert.equal(addTeleportInclude('', SNIPPET).text, `${BLOCK_BEGIN}\nInclude ${SNIPPET}\n${BLOCK_END}\n`);
    const crlf = addTeleportInclude('Port 22\r\nUsePAM yes\r\n', SNIPPET).text;
    assert.equal(crlf, `${BLOCK_BEGIN}\r\nInclude ${SNIPPET}\r\n${BLOCK_END}\r\nPort 22\r\nUsePAM yes\r\n`);
    assert.equal(addTeleportInclude(crlf, SNIPPET).changed, false);
  });

  test('paths with spaces are quoted; relative paths and quotes are refused', () => {
    assert.match(addTeleportInclude('', '/opt/my data/sshd.conf').text, /^Include "\/opt\/my data\/sshd\.conf"$/m);
    assert.throws(() => addTeleportInclude('', 'data/sshd.conf'), (e: Error) => e instanceof BadParameterError && /absolute path/.test(e.message));
    assert.throws(() => quoteSSHDArg('/a"b', 'x'), /quote, backslash or control character/);
    assert.throws(() => quoteSSHDArg('/a\nb', 'x'), BadParameterError);
    assert.equal(quoteSSHDArg('/a#b', 'x'), '"/a#b"');
  });

  test('a block without its END line is refused with what to do', () => {
    assert.throws(() => addTeleportInclude(`Port 22\n${BLOCK_BEGIN}\nInclude /x\n`, SNIPPET, '/etc/ssh/sshd_config'),
      (e: Error) => e instanceof BadParameterError && /\/etc\/ssh\/sshd_config .*line 2.*remove the Teleport lines from it by hand/.test(e.message));
  });
});

describe('removeTeleportInclude', () => {
  test('restores the original text exactly', () => {
    for (const name of ['debian_sshd_config']) {
      const removed = removeTeleportInclude(fixture(`${name}.golden`));
      assert.equal(removed.text, fixture(name));
      assert.equal(removed.changed, true);
      assert.equal(removeTeleportInclude(removed.text).changed, false);
    }
  });
});

describe('renderSnippet', () => {
  test('matches the golden file', () => {
    assert.equal(renderSnippet({
      hostKey: '/var/lib/teleport/openssh/ssh_host_teleport_key',
      hostCert: '/var/lib/teleport/openssh/ssh_host_teleport_key-cert.pub',
      userCA: '/var/lib/teleport/openssh/teleport_user_ca.pub',
    }), fixture('sshd.conf.golden'));
  });
});

describe('splitCommand', () => {
  test('splits words, honours quotes and escapes, substitutes %s', () => {
    assert.deepEqual(splitCommand('/usr/sbin/sshd -t -f %s', '/etc/ssh/x'), ['/usr/sbin/sshd', '-t', '-f', '/etc/ssh/x']);
    assert.deepEqual(splitCommand('  systemctl   restart sshd '), ['systemctl', 'restart', 'sshd']);
    assert.deepEqual(splitCommand(`sh -c 'sshd -t -f "$0"' %s`, '/p q'), ['sh', '-c', 'sshd -t -f "$0"', '/p q']);
    assert.deepEqual(splitCommand('a "b \\" c" d\\ e ""'), ['a', 'b " c', 'd e', '']);
  });

  test('refuses an empty command and an unclosed quote', () => {
    assert.throws(() => splitCommand('   '), /empty/);
    assert.throws(() => splitCommand('sshd "-t'), /unclosed " quote/);
  });
});
