/**
 * @module tool/teleport/joinOpenSSH.test
 * `teleport join openssh` run in-process with the join step replaced (an identity issued by a test
 * auth server for what the command asked) and the node registered for real over mutual TLS as that
 * Node identity: flag errors come before any token is spent, the files and the sshd_config block
 * are written once however often it runs, the node is an `openssh` node without expiry under the
 * same host UUID, and a failing check changes nothing and registers nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Server } from '@teleport-ts/api/types/server';
import { newTestAuthServer, TEST_CLUSTER, type TestAuth, startTestAuthTLS } from '../../auth/testAuthServer.ts';
import type { AuthTLSServer } from '../../auth/tlsServer.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import type { NodeJoinRequest } from '../../srv/openssh/agentless.ts';
import { BLOCK_BEGIN } from '../../srv/openssh/sshdConfig.ts';
import { hasOpenSSH } from '../../sshutils/testkit.ts';
import { runTeleport } from './main.ts';
import type { JoinOpenSSHDeps } from './joinOpenSSH.ts';

/** Runs `teleport <argv>` with captured output. */
async function teleport(argv: string[], deps: JoinOpenSSHDeps): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await runTeleport(argv, { stdout: out, stderr: err, stdin: Readable.from([]), env: {} }, { joinOpenSSH: deps });
  return { code, stdout, stderr };
}

const baseConfig = ['# test sshd', 'Port 2222', 'ListenAddress 127.0.0.1', 'PidFile none', 'UsePAM no', ''].join('\n');

describe('teleport join openssh', () => {
  let dir: string;
  let t: TestAuth;
  let authServer: AuthTLSServer;
  const joins: NodeJoinRequest[] = [];
  let deps: JoinOpenSSHDeps;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'join-openssh-'));
    t = await newTestAuthServer({ clock: new FakeClock(Date.now()) });
    authServer = await startTestAuthTLS(t.auth);
    deps = {
      async join(req) {
        joins.push(req);
        if (req.token !== 'secret-token') throw new Error('wrong token');
        return issueLocalIdentity(t.auth, { hostId: req.hostId, nodeName: req.nodeName, role: req.role, algorithm: req.algorithm, principals: req.additionalPrincipals });
      },
      async upsertNode(identity, node) {
        const client = new AuthClient({ addr: `127.0.0.1:${authServer.address.port}`, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts });
        await client.upsertResource(node);
      },
    };
  });
  after(async () => {
    await authServer.close();
    await rm(dir, { recursive: true, force: true });
  });

  const flags = (sub: string, extra: string[] = []): string[] => [
    'join', 'openssh', '--address=127.0.0.1:2222', '--proxy-server=127.0.0.1:3080', '--token=secret-token',
    `--openssh-config=${join(dir, sub, 'sshd_config')}`, `--data-dir=${join(dir, sub, 'data')}`, '--nodename=db1',
    ...(hasOpenSSH ? [] : ['--sshd-check-command=true %s']), ...extra,
  ];
  const setup = async (sub: string, text = baseConfig): Promise<string> => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, sub, 'sshd_config'), text);
    return join(dir, sub, 'sshd_config');
  };

  test('--help describes every flag', async () => {
    const r = await teleport(['join', 'openssh', '--help'], deps);
    assert.equal(r.code, 0);
    for (const f of ['--address', '--proxy-server', '--token', '--openssh-config', '--data-dir', '--additional-principals', '--labels', '--nodename', '--restart-sshd', '--sshd-check-command', '--restart-command', '--ca-pin', '--insecure']) {
      assert.match(r.stdout, new RegExp(f), f);
    }
  });

  test('mistakes are reported before any token is spent', async () => {
    await setup('bad');
    const cases: [string[], RegExp][] = [
      [flags('bad').filter((f) => !f.startsWith('--address')), /--address is required/],
      [flags('bad').filter((f) => !f.startsWith('--token')), /--token is required: create one with "tctl tokens add --type=node"/],
      [flags('bad').filter((f) => !f.startsWith('--proxy-server')), /--proxy-server=<proxy host:port>/],
      [flags('bad', ['--auth-server=127.0.0.1:3025']), /either --proxy-server or --auth-server/],
      [flags('bad', ['--join-method=iam']), /"iam" is not supported/],
      [flags('bad', ['--labels=arch=[1h:uname -m]']), /command label.*static labels/],
      [flags('bad', ['--sshd-check-command=sshd -t']), /has no %s/],
      [flags('bad', ['--address=0.0.0.0:22']), /the host:port the proxy can dial/],
      [flags('bad', [`--openssh-config=${join(dir, 'none')}`]), /does not exist: pass the right file with --openssh-config/],
      [flags('bad', ['--data-dir=/tmp/a"b']), /quote, backslash or control character/],
      [flags('bad', [`--token=${join(dir, 'no-token-file')}`]), /could not read the join token/],
    ];
    for (const [argv, re] of cases) {
      const r = await teleport(argv, deps);
      assert.equal(r.code, 1, argv.join(' '));
      assert.match(r.stderr, re);
    }
    assert.equal(joins.length, 0);
  });

  test('joins, writes the files, includes the snippet once and registers an openssh node', async () => {
    const config = await setup('ok');
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'secret-token\n');
    const argv = flags('ok', ['--labels=env=prod,team=db', '--additional-principals=db1.example.net', `--token=${tokenFile}`]);
    const r = await teleport(argv, deps);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /joined cluster "example\.com" as agentless OpenSSH node "db1" \(\S+\) at 127\.0\.0\.1:2222/);
    assert.match(r.stdout, /Added "Include .*sshd\.conf" at the top of/);
    assert.match(r.stdout, /tsh ssh <login>@db1/);
    const req = joins.at(-1) as NodeJoinRequest;
    assert.equal(req.role, 'Node');
    assert.equal(req.proxyServer, '127.0.0.1:3080');
    assert.deepEqual(req.additionalPrincipals, ['127.0.0.1', 'db1.example.net']);
    const hostId = req.hostId;
    const principals = /host certificate for (.*)\n/.exec(r.stdout)?.[1]?.split(', ') ?? [];
    for (const p of [hostId, `${hostId}.${TEST_CLUSTER}`, 'db1', '127.0.0.1', 'db1.example.net']) assert.ok(principals.includes(p), p);
    const node = await t.services.presence.getNode(hostId) as Server;
    assert.equal(node.sub_kind, 'openssh');
    assert.equal(node.metadata.expires, undefined);
    assert.deepEqual(node.metadata.labels, { env: 'prod', team: 'db' });
    assert.deepEqual(node.spec, { addr: '127.0.0.1:2222', hostname: 'db1' });
    const text = await readFile(config, 'utf8');
    assert.ok(text.startsWith(BLOCK_BEGIN) && text.endsWith(baseConfig));
    assert.equal((await stat(join(dir, 'ok', 'data', 'openssh', 'ssh_host_teleport_key'))).mode & 0o777, 0o600);

    const again = await teleport(argv, deps);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already includes .*; left as it was/);
    assert.equal((joins.at(-1) as NodeJoinRequest).hostId, hostId, 'the same host UUID');
    assert.equal(await readFile(config, 'utf8'), text);
    assert.equal((await t.services.presence.listNodes()).filter((n) => n.spec.hostname === 'db1').length, 1);
  });

  test('a failing check leaves sshd_config untouched and registers nothing', async () => {
    const broken = `${baseConfig}NoSuchKeyword yes\n`;
    const config = await setup('fail', broken);
    const nodes = (await t.services.presence.listNodes()).length;
    const joined = joins.length;
    const r = await teleport(flags('fail', ['--nodename=db2', ...(hasOpenSSH ? [] : ['--sshd-check-command=false %s'])]), deps);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /sshd_config as it is now \(nothing was changed: fix it first\) does not pass the check/);
    assert.equal(joins.length, joined, 'no token spent on a config that was broken already');
    assert.equal(await readFile(config, 'utf8'), broken);

    // A check that refuses only the edited file: joined, but sshd_config and the node list stay as they were.
    await writeFile(config, baseConfig);
    const refuseEdited = `--sshd-check-command=sh -c '! grep -q "BEGIN teleport" "$0"' %s`;
    const edited = await teleport(flags('fail', ['--nodename=db2', refuseEdited]), deps);
    assert.equal(edited.code, 1);
    assert.match(edited.stderr, /the new sshd configuration does not pass the check: "sh -c .*" exited with 1/);
    assert.equal(joins.length, joined + 1);
    assert.equal(await readFile(config, 'utf8'), baseConfig);
    assert.equal((await t.services.presence.listNodes()).length, nodes);
  });

  test('--restart-sshd runs the restart command and reports its failure', async () => {
    await setup('restart');
    const ok = await teleport(flags('restart', ['--restart-sshd', '--restart-command=true']), deps);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Restarted sshd \("true"\)/);
    const failed = await teleport(flags('restart', ['--restart-sshd', '--restart-command=sh -c "echo no unit >&2; exit 5"']), deps);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /restarting sshd failed: .*exited with 5:\nno unit\nThe configuration is in place; restart sshd yourself/);
  });
});
