/**
 * @module integration/sshDenials.test
 * Refused SSH logins through the whole cluster, each with an error that says why and (when the node
 * decides) an `auth` T3007W event in the audit log: a login the certificate does not list, a role
 * that denies the node's labels, an expired certificate, a certificate from another cluster's CA,
 * a node that does not exist, and a deleted user's still-valid certificate (whose open session is
 * also ended). OpenSSH reaches the node through `tsh config`'s ProxyCommand; for certificates the
 * proxy never sees, the ProxyCommand runs with another user's valid login.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../packages/api/src/clock.ts';
import type { AuditEvent } from '../packages/api/src/events/types.ts';
import { loadPrivateKey } from '../packages/api/src/identityFile.ts';
import { generateKeyPair, publicKeyToPEM } from '../packages/api/src/keys.ts';
import { decodeCertificate, formatCertificateLine, parseCertificateLine } from '../packages/api/src/sshcert/certificate.ts';
import { parseAuthorizedKey } from '../packages/api/src/sshcert/publicKey.ts';
import { issueUserSSHCert } from '../packages/teleport/src/ca/sshCertIssuer.ts';
import { adminCredentials, authClientFor } from './helpers/certs.ts';
import { describeResult, type CLIResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, OPENSSH_OPTS, ProcessTracker } from './helpers/sshClients.ts';
import { canRunSSHTests, OSUsers, sshClientUser, sshConfigWithIdentity, waitForEvent, type SSHClientUser } from './helpers/sshEnv.ts';

/** A fresh ECDSA key made by ssh-keygen: its path, authorized_keys line and the key itself. */
async function sshKeygen(path: string): Promise<{ path: string; publicLine: string; privateKey: KeyObject }> {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '256', '-N', '', '-C', 'denial-test', '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { path, publicLine: (await readFile(`${path}.pub`, 'utf8')).trim(), privateKey: loadPrivateKey(await readFile(path, 'utf8')) };
}

describe('SSH denials: clear errors and T3007W auth events', { skip: !canRunSSHTests && 'needs root and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  const osUsers = new OSUsers();
  let login: string;
  let alice: SSHClientUser;

  before(async () => {
    cluster = await startTestCluster({ nodeName: 'node1', sshService: { labels: { env: 'dev' } }, secondFactor: 'off' });
    login = osUsers.create('den');
    alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: [login] });
  });
  after(async () => {
    await procs.killAll();
    await cluster?.close();
    osUsers.cleanup();
  });

  const host = (as = login): string => `${as}@node1.${CLUSTER_NAME}`;
  const openssh = (config: string, env: Record<string, string>, args: string[]): Promise<CLIResult> =>
    procs.run('ssh', ['-F', config, ...OPENSSH_OPTS, ...args], { env });
  /** The T3007W event for `user` (or any user when undefined) logging in as `as`, with an error matching `error`. */
  const authEvent = (user: string | undefined, as: string, error: RegExp): Promise<AuditEvent> =>
    waitForEvent(cluster, 'auth', (e) => e.user === user && e.login === as && error.test(String(e.error)), `for ${user ?? '(no user)'} as ${as} matching ${String(error)}`);
  /** Asserts the event is a failed login attempt on node1, as the node saw it. */
  const assertNodeRefusal = (e: AuditEvent): void => {
    assert.equal(e.code, 'T3007W');
    assert.equal(e.success, false);
    assert.equal(e.server_hostname, 'node1');
    assert.deepEqual(e.server_labels, { env: 'dev' });
  };

  test('a login the certificate does not list', async () => {
    const env = clientEnv(alice.home);
    const viaTsh = await procs.tsh(['ssh', 'root@node1', 'true'], { env });
    assert.equal(viaTsh.code, 255, describeResult(viaTsh));
    assert.match(viaTsh.stderr, new RegExp(`ERROR: access denied to root@node1: your roles do not allow login "root" \\(allowed: ${login}\\)`));

    const viaSSH = await openssh(alice.sshConfig, env, [host('root'), 'true']);
    assert.equal(viaSSH.code, 255, describeResult(viaSSH));
    assert.match(viaSSH.stderr, new RegExp(`teleport: login 'root' is not a principal of the certificate \\(principals: ${login}\\)`));
    assert.match(viaSSH.stderr, /Permission denied \(publickey\)/);
    assertNodeRefusal(await authEvent('alice', 'root', /login 'root' is not a principal of the certificate/));
  });

  test('a role that denies the node\'s labels', async () => {
    const roleFile = join(cluster.root, 'no-dev.yaml');
    await writeFile(roleFile, [
      'kind: role', 'version: v7', 'metadata:', '  name: no-dev', 'spec:',
      '  allow:', "    logins: ['{{internal.logins}}']", "    node_labels: {'*': '*'}",
      '  deny:', '    node_labels: {env: dev}', '',
    ].join('\n'));
    const created = await cluster.tctl(['create', roleFile]);
    assert.equal(created.code, 0, describeResult(created));
    const dave = await sshClientUser(cluster, 'dave', { roles: ['no-dev'], logins: [login] });
    const env = clientEnv(dave.home);

    const viaSSH = await openssh(dave.sshConfig, env, [host(), 'true']);
    assert.equal(viaSSH.code, 255, describeResult(viaSSH));
    assert.match(viaSSH.stderr, new RegExp(`teleport: access denied to ${login}@node1: denied by role 'no-dev' \\(node_labels env=dev\\)`));
    assertNodeRefusal(await authEvent('dave', login, /denied by role 'no-dev' \(node_labels env=dev\)/));

    // tsh lists only the nodes the roles allow; for a hidden node it still dials, so the node says why.
    const ls = await procs.tsh(['ls'], { env });
    assert.equal(ls.code, 0, describeResult(ls));
    assert.doesNotMatch(ls.stdout, /node1/);
    const viaTsh = await procs.tsh(['ssh', `${login}@node1`, 'true'], { env });
    assert.equal(viaTsh.code, 255, describeResult(viaTsh));
    assert.match(viaTsh.stderr, new RegExp(`^ERROR: access denied to ${login}@node1: .*denied by role 'no-dev' \\(node_labels env=dev\\)`, 'm'));
  });

  test('an expired certificate', async () => {
    // Issued by the cluster (as `tctl auth sign` would) with a 1.5 s TTL, then left to expire.
    const key = await sshKeygen(join(cluster.root, 'expired_key'));
    const admin = authClientFor(cluster.authAddr, await adminCredentials(cluster));
    const certs = await admin.generateUserCerts({
      username: 'alice', ttlMs: 1500, sshPublicKey: key.publicLine, tlsPublicKey: publicKeyToPEM(createPublicKey(key.privateKey)),
    });
    const validBefore = decodeCertificate(parseCertificateLine(certs.sshCert)).validBefore;
    await writeFile(`${key.path}-cert.pub`, `${certs.sshCert.trim()}\n`);
    while (Date.now() / 1000 < validBefore + 0.2) await sleep(100);

    const config = await sshConfigWithIdentity(alice.sshConfig, join(cluster.root, 'expired_config'), key.path, `${key.path}-cert.pub`);
    const r = await openssh(config, clientEnv(alice.home), [host(), 'true']);
    assert.equal(r.code, 255, describeResult(r));
    assert.match(r.stderr, /teleport: SSH certificate expired \d+s ago: run 'tsh login'/);
    assert.match(r.stderr, /Permission denied \(publickey\)/);
    assertNodeRefusal(await authEvent('alice', login, /^SSH certificate expired \d+s ago/));
  });

  test('a certificate from another cluster\'s CA', async () => {
    const key = await sshKeygen(join(cluster.root, 'foreign_key'));
    const foreignCA = generateKeyPair('ed25519');
    const cert = issueUserSSHCert({
      caPrivateKey: foreignCA.privateKey, publicKey: parseAuthorizedKey(key.publicLine).blob, username: 'alice', logins: [login],
      ttlMs: 3600_000, clock: systemClock, permitAgentForwarding: true, permitPortForwarding: true,
      roles: ['access'], traits: { logins: [login] }, routeToCluster: CLUSTER_NAME,
    });
    await writeFile(`${key.path}-cert.pub`, `${formatCertificateLine(cert)}\n`);

    const config = await sshConfigWithIdentity(alice.sshConfig, join(cluster.root, 'foreign_config'), key.path, `${key.path}-cert.pub`);
    const r = await openssh(config, clientEnv(alice.home), [host(), 'true']);
    assert.equal(r.code, 255, describeResult(r));
    const unknownCA = /SSH certificate is signed by an unknown certificate authority \(SHA256:[A-Za-z0-9+/]{43}\)/;
    assert.match(r.stderr, new RegExp(`teleport: ${unknownCA.source}`));
    assert.match(r.stderr, /Permission denied \(publickey\)/);
    assertNodeRefusal(await authEvent('alice', login, unknownCA));
  });

  test('a node that does not exist', async () => {
    const env = clientEnv(alice.home);
    const viaTsh = await procs.tsh(['ssh', '-l', login, 'db-7', 'true'], { env });
    assert.equal(viaTsh.code, 255, describeResult(viaTsh));
    assert.equal(viaTsh.stderr, "ERROR: node 'db-7' not found; 'tsh ls' lists nodes\n");

    const viaSSH = await openssh(alice.sshConfig, env, [host().replace('node1', 'db-7'), 'true']);
    assert.equal(viaSSH.code, 255, describeResult(viaSSH));
    assert.match(viaSSH.stderr, /node 'db-7' not found; 'tsh ls' lists nodes/);
  });

  test('a deleted user\'s still-valid certificate: refused, and the open session ends', async () => {
    const zed = await sshClientUser(cluster, 'zed', { roles: ['access'], logins: [login] });
    const env = clientEnv(zed.home);
    const open = procs.start('ssh', ['-F', zed.sshConfig, ...OPENSSH_OPTS, host(), 'echo started; sleep 30'], { env });
    for (let i = 0; !open.stdout().includes('started'); i++) {
      if (i > 200) throw new Error(`the session did not start: ${open.stderr()}`);
      await sleep(50);
    }

    const rm = await cluster.tctl(['rm', 'user/zed']);
    assert.equal(rm.code, 0, describeResult(rm));
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([open.exited, new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), 5000)))]);
    clearTimeout(timer);
    assert.notEqual(ended, 'running', 'the deleted user\'s session was ended');
    assert.notEqual(ended, 0);
    assert.match(open.stderr(), /teleport: user 'zed' was deleted/);

    const gone = /user 'zed' no longer exists in the cluster; the certificate is no longer honoured/;
    const viaSSH = await openssh(zed.sshConfig, env, [host(), 'true']);
    assert.equal(viaSSH.code, 255, describeResult(viaSSH));
    assert.match(viaSSH.stderr, new RegExp(`teleport: ${gone.source}`));
    const viaTsh = await procs.tsh(['ssh', `${login}@node1`, 'true'], { env });
    assert.equal(viaTsh.code, 255, describeResult(viaTsh));
    assert.match(viaTsh.stderr, new RegExp(`^ERROR: access denied to ${login}@node1: .*${gone.source}`, 'm'));
    // Through the proxy with a valid login, zed's certificate still reaches the node, which refuses it.
    const creds = join(zed.home, 'keys', '127.0.0.1');
    const config = await sshConfigWithIdentity(alice.sshConfig, join(cluster.root, 'deleted_config'), join(creds, 'zed'), join(creds, 'zed-ssh', `${CLUSTER_NAME}-cert.pub`));
    const atNode = await openssh(config, clientEnv(alice.home), [host(), 'true']);
    assert.equal(atNode.code, 255, describeResult(atNode));
    assert.match(atNode.stderr, new RegExp(`teleport: ${gone.source}`));
    assertNodeRefusal(await authEvent('zed', login, gone));
  });
});
