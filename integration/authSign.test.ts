/**
 * @module integration/authSign.test
 * Credentials issued by `tctl auth sign` work where they are meant to: the identity file with
 * `tsh -i` and `tctl -i` (RBAC applies: an editor may list users, an access-only user may not), its SSH
 * certificate with ssh-keygen, its X.509 certificate with openssl; the openssh and tls formats write
 * the expected files with private keys 0600; `tctl auth export` output parses for each CA type.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseIdentityFile, parseKnownHostsCALine } from '../packages/api/src/identityFile.ts';
import { parseAuthorizedKey } from '../packages/api/src/sshcert/publicKey.ts';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { hasTool, runTool } from './helpers/tools.ts';

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;
const noSshKeygen = !hasTool('ssh-keygen') && 'ssh-keygen is not installed';
const noOpenssl = !hasTool('openssl') && 'openssl is not installed';

describe('tctl auth sign and export', () => {
  let cluster: TestCluster;
  let aliceFile: string;
  before(async () => {
    cluster = await startTestCluster();
    for (const [name, roles] of [['alice', 'access,editor'], ['viewer', 'access']] as const) {
      const add = await cluster.tctl(['users', 'add', name, `--roles=${roles}`, `--logins=root,${name}`]);
      assert.equal(add.code, 0, describeResult(add));
    }
    aliceFile = join(cluster.root, 'alice.pem');
    const sign = await cluster.tctl(['auth', 'sign', '--user=alice', '--format=file', '-o', aliceFile]);
    assert.equal(sign.code, 0, describeResult(sign));
    assert.match(sign.stdout, /credentials have been written to .*alice\.pem/);
  });
  after(async () => {
    await cluster?.close();
  });

  test('the identity file is private and tsh -i status shows alice', async () => {
    assert.equal(await mode(aliceFile), 0o600);
    const status = await cluster.tsh(['-i', aliceFile, 'status'], { env: { TELEPORT_HOME: cluster.newHome() } });
    assert.equal(status.code, 0, describeResult(status));
    assert.match(status.stdout, /Identity file:\s+\S*alice\.pem$/m);
    assert.match(status.stdout, /Logged in as:\s+alice$/m);
    assert.match(status.stdout, /Roles:\s+access, editor$/m);
    assert.match(status.stdout, /Logins:\s+root, alice$/m);
    assert.match(status.stdout, /\[valid for 1[12]h\d+m0s\]/);
  });

  test('its SSH certificate passes ssh-keygen -L', { skip: noSshKeygen }, async () => {
    const id = parseIdentityFile(await readFile(aliceFile, 'utf8'));
    assert.ok(id.sshCert);
    const certFile = join(cluster.root, 'alice-cert.pub');
    await writeFile(certFile, `${id.sshCert.trim()}\n`);
    const r = runTool('ssh-keygen', ['-L', '-f', certFile]);
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, /user certificate/);
    assert.match(r.stdout, /Key ID: "alice"/);
    assert.match(r.stdout, /Principals:\s+root\s+alice\s/);
    assert.match(r.stdout, /permit-pty/);
  });

  test('its TLS certificate verifies against the user CA with openssl', { skip: noOpenssl }, async () => {
    const id = parseIdentityFile(await readFile(aliceFile, 'utf8'));
    assert.ok(id.tlsCert);
    const exported = await cluster.tctl(['auth', 'export', '--type=tls-user']);
    assert.equal(exported.code, 0, describeResult(exported));
    const [certFile, caFile] = [join(cluster.root, 'alice.crt'), join(cluster.root, 'user-ca.pem')];
    await writeFile(certFile, id.tlsCert);
    await writeFile(caFile, exported.stdout);
    const r = runTool('openssl', ['verify', '-CAfile', caFile, certFile]);
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, /: OK$/m);
    const subject = runTool('openssl', ['x509', '-noout', '-subject', '-in', certFile]);
    assert.match(subject.stdout, /CN ?= ?alice/);
    // The identity file's CA certificates are the host CA: they verify the cluster's servers.
    const hostCA = await cluster.tctl(['auth', 'export', '--type=tls-host']);
    assert.deepEqual(id.tlsCACerts.map((c) => new X509Certificate(c).fingerprint256), [new X509Certificate(hostCA.stdout).fingerprint256]);
  });

  test('tctl -i works for an editor and is denied for an access-only user', async () => {
    const ok = await cluster.tctlRaw(['-i', aliceFile, '--auth-server', cluster.authAddr, 'get', 'users']);
    assert.equal(ok.code, 0, describeResult(ok));
    assert.match(ok.stdout, /name: alice/);
    assert.match(ok.stdout, /name: viewer/);

    const viewerFile = join(cluster.root, 'viewer.pem');
    const sign = await cluster.tctl(['auth', 'sign', '--user=viewer', '-o', viewerFile]);
    assert.equal(sign.code, 0, describeResult(sign));
    const denied = await cluster.tctlRaw(['-i', viewerFile, '--auth-server', cluster.authAddr, 'get', 'users']);
    assert.equal(denied.code, 1, describeResult(denied));
    assert.match(denied.stderr, /^ERROR: access denied: your roles \(access\) do not allow "list" on "user"/m);
    assert.equal(denied.stdout, '');

    const noAddr = await cluster.tctlRaw(['-i', viewerFile, 'get', 'users']);
    assert.equal(noAddr.code, 1);
    assert.match(noAddr.stderr, /--auth-server/);
  });

  test('--format=openssh writes key (0600) and key-cert.pub that belong together', { skip: noSshKeygen }, async () => {
    const out = join(cluster.root, 'alice-ossh');
    const sign = await cluster.tctl(['auth', 'sign', '--user=alice', '--format=openssh', '-o', out]);
    assert.equal(sign.code, 0, describeResult(sign));
    assert.equal(await mode(out), 0o600);
    const cert = runTool('ssh-keygen', ['-L', '-f', `${out}-cert.pub`]);
    assert.equal(cert.code, 0, describeResult(cert));
    assert.match(cert.stdout, /Key ID: "alice"/);
    // ssh-keygen reads the private key, and its public half is the certified key.
    const pub = runTool('ssh-keygen', ['-y', '-f', out]);
    assert.equal(pub.code, 0, describeResult(pub));
    const certPub = cert.stdout.match(/Public key: \S+ (SHA256:\S+)/)?.[1];
    await writeFile(`${out}.pub`, pub.stdout);
    const keyFp = runTool('ssh-keygen', ['-l', '-f', `${out}.pub`]).stdout.split(' ')[1];
    assert.ok(certPub, cert.stdout);
    assert.equal(keyFp, certPub);

    const again = await cluster.tctl(['auth', 'sign', '--user=alice', '--format=openssh', '-o', out]);
    assert.equal(again.code, 1, 'existing files are not overwritten silently');
    assert.match(again.stderr, /already exists: pass --overwrite/);
  });

  test('--format=tls writes .key (0600), .crt and .cas', { skip: noOpenssl }, async () => {
    const out = join(cluster.root, 'alice-tls');
    const sign = await cluster.tctl(['auth', 'sign', '--user=alice', '--format=tls', '-o', out]);
    assert.equal(sign.code, 0, describeResult(sign));
    assert.equal(await mode(`${out}.key`), 0o600);
    const key = runTool('openssl', ['pkey', '-in', `${out}.key`, '-noout']);
    assert.equal(key.code, 0, describeResult(key));
    const crt = new X509Certificate(await readFile(`${out}.crt`));
    assert.match(crt.subject, /CN=alice/);
    assert.ok(crt.checkPrivateKey(createPrivateKey(await readFile(`${out}.key`))), 'key matches certificate');
    const cas = await readFile(`${out}.cas`, 'utf8');
    assert.ok(new X509Certificate(cas).ca, '.cas holds CA certificates');
  });

  test('tctl auth export --type=host|user|tls-host output parses', async () => {
    const host = await cluster.tctl(['auth', 'export', '--type=host']);
    assert.equal(host.code, 0, describeResult(host));
    const lines = host.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const ca = parseKnownHostsCALine(lines[0] ?? '');
    assert.ok(ca, `not a known_hosts CA line: ${host.stdout}`);
    assert.equal(ca.clusterName, CLUSTER_NAME);
    assert.ok(parseAuthorizedKey(ca.authorizedKey).blob.length > 0);

    const user = await cluster.tctl(['auth', 'export', '--type=user']);
    assert.equal(user.code, 0, describeResult(user));
    const m = /^cert-authority (\S+ \S+) clustername=integration\.test&type=user$/m.exec(user.stdout);
    assert.ok(m?.[1], user.stdout);
    assert.ok(parseAuthorizedKey(m[1]).blob.length > 0);
    if (!noSshKeygen) {
      const f = join(cluster.root, 'user-ca.pub');
      await writeFile(f, `${m[1]}\n`);
      const fp = runTool('ssh-keygen', ['-l', '-f', f]);
      assert.equal(fp.code, 0, describeResult(fp));
    }

    const tls = await cluster.tctl(['auth', 'export', '--type=tls-host']);
    assert.equal(tls.code, 0, describeResult(tls));
    const cert = new X509Certificate(tls.stdout);
    assert.ok(cert.ca);
    assert.match(cert.subject, /OU=host/);

    const bad = await cluster.tctl(['auth', 'export', '--type=bogus']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown --type "bogus"/);
  });
});
