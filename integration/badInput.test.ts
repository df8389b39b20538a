/**
 * @module integration/badInput.test
 * What bad input gets: a malformed teleport.yaml stops `teleport start` before it touches the disk,
 * with an error naming file, line and field; `tctl create` validates a whole multi-document file
 * before writing anything and refuses to overwrite without -f; the auth API refuses client
 * certificates from a foreign CA, expired ones, and connections without one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAccessDenied, isErrorCode } from '../packages/api/src/errors.ts';
import { runTeleport } from '../packages/teleport/src/tool/teleport/main.ts';
import { authClientFor, expiredCredentials, foreignCACredentials, issuedUserCredentials, type ClientCredentials } from './helpers/certs.ts';
import { describeResult, runCLI } from './helpers/cli.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { spawnBin, waitExit } from './helpers/subprocess.ts';

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

describe('malformed teleport.yaml', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tp-badconfig-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes a config whose data dir is `<dir>/data-<name>`, with `body` after the teleport section. */
  async function writeConfig(name: string, body: string): Promise<{ path: string; dataDir: string }> {
    const dataDir = join(dir, `data-${name}`);
    const path = join(dir, `${name}.yaml`);
    await writeFile(path, `version: v3\nteleport:\n  data_dir: ${dataDir}\n${body}`);
    return { path, dataDir };
  }

  const cases: Array<{ name: string; body: string; error: RegExp }> = [
    { name: 'unknown-key', body: '  nodename: n1\n  bogus_key: 1\n', error: /unknown-key\.yaml:5: teleport\.bogus_key: unknown key: valid keys here are .*nodename/ },
    { name: 'wrong-type', body: 'auth_service:\n  enabled: yes\n  listen_addr: [1, 2]\n', error: /wrong-type\.yaml:6: auth_service\.listen_addr: expected an address like host:3025, got a list/ },
    { name: 'wrong-bool', body: 'proxy_service:\n  enabled: maybe\n', error: /wrong-bool\.yaml:5: proxy_service\.enabled: expected yes\/no or true\/false, got "maybe"/ },
    { name: 'bad-yaml', body: 'auth_service:\n  enabled: yes\n   listen_addr: "x\n', error: /bad-yaml\.yaml:5:\d+: invalid YAML/ },
  ];
  for (const c of cases) {
    test(`${c.name}: teleport start fails naming file, line and field, and creates no data dir`, async () => {
      const { path, dataDir } = await writeConfig(c.name, c.body);
      const r = await runCLI(runTeleport, ['start', '-c', path]);
      assert.equal(r.code, 1, describeResult(r));
      assert.match(r.stderr, new RegExp(`^ERROR: ${dir.replaceAll('/', '\\/')}\\/${c.error.source}`, 'm'), describeResult(r));
      assert.equal(await exists(dataDir), false, 'no data dir was created');
    });
  }

  test('the real binary exits non-zero with the same message', async () => {
    const { path, dataDir } = await writeConfig('subprocess', '  bogus_key: 1\n');
    const p = spawnBin('teleport', ['start', '-c', path]);
    try {
      const { code } = await waitExit(p, 20_000);
      assert.equal(code, 1, p.output());
      assert.match(p.output(), /subprocess\.yaml:4: teleport\.bogus_key: unknown key/);
      assert.equal(await exists(dataDir), false);
    } finally {
      await p.kill();
    }
  });

  test('a missing config file is named with a hint', async () => {
    const r = await runCLI(runTeleport, ['start', '-c', join(dir, 'nope.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.yaml does not exist.*teleport configure/);
  });
});

describe('tctl create validation and overwrite', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  const role = (name: string, logins: string) =>
    `kind: role\nversion: v7\nmetadata:\n  name: ${name}\nspec:\n  allow:\n    logins: ${logins}\n`;

  test('an invalid second document fails with file:line:field and creates nothing', async () => {
    const file = join(cluster.root, 'multi.yaml');
    // Line 15 is the second document's spec.allow.logins.
    await writeFile(file, `${role('first', '[a]')}---\n${role('second', '5')}`);
    const r = await cluster.tctl(['create', file]);
    assert.equal(r.code, 1, describeResult(r));
    assert.match(r.stderr, new RegExp(`^ERROR: ${file.replaceAll('/', '\\/').replaceAll('.', '\\.')}:15: spec\\.allow\\.logins: expected a list of strings, got a number`, 'm'));
    const first = await cluster.tctl(['get', 'role/first']);
    assert.equal(first.code, 1, 'the valid first document was not created');
    assert.match(first.stderr, /role 'first' not found/);
  });

  test('an existing role is not overwritten without -f, and is updated with -f', async () => {
    const file = join(cluster.root, 'dev.yaml');
    await writeFile(file, role('dev', '[dev]'));
    const created = await cluster.tctl(['create', file]);
    assert.equal(created.code, 0, describeResult(created));
    assert.match(created.stdout, /role "dev" has been created/);

    await writeFile(file, role('dev', '[dev, ops]'));
    const again = await cluster.tctl(['create', file]);
    assert.equal(again.code, 1, describeResult(again));
    assert.match(again.stderr, /role "dev" already exists: use 'tctl create -f' to overwrite it/);
    assert.doesNotMatch((await cluster.tctl(['get', 'role/dev'])).stdout, /- ops/);

    const forced = await cluster.tctl(['create', '-f', file]);
    assert.equal(forced.code, 0, describeResult(forced));
    const got = await cluster.tctl(['get', 'role/dev', '--format=json']);
    const [dev] = JSON.parse(got.stdout) as Array<{ spec: { allow: { logins: string[] } } }>;
    assert.deepEqual(dev?.spec.allow.logins, ['dev', 'ops']);
  });
});

describe('mutual TLS on the auth API', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
    const add = await cluster.tctl(['users', 'add', 'mallory', '--roles=editor']);
    assert.equal(add.code, 0, describeResult(add));
  });
  after(async () => {
    await cluster?.close();
  });

  /** A refused certificate must surface as access denied or a connection problem that says why. */
  async function assertRefused(creds: ClientCredentials, what: string): Promise<void> {
    await assert.rejects(authClientFor(cluster.authAddr, creds).listResources('user'), (err: Error) => {
      assert.ok(isAccessDenied(err) || isErrorCode(err, 'connection_problem'),
        `${what}: expected access denied or a connection problem, got ${err.constructor.name}: ${err.message}`);
      assert.match(err.message, /certificate/i, `${what}: the message should say the client certificate was refused: ${err.message}`);
      return true;
    });
  }

  test('a certificate issued by the cluster works (control)', async () => {
    const users = await authClientFor(cluster.authAddr, await issuedUserCredentials(cluster, 'mallory')).listResources('user');
    assert.ok(users.some((u) => u.metadata.name === 'mallory'));
  });

  test('a certificate from a foreign CA is refused', async () => {
    await assertRefused(await foreignCACredentials(cluster, 'mallory', ['editor']), 'foreign CA');
  });

  test('an expired certificate from the cluster CA is refused', async () => {
    await assertRefused(await expiredCredentials(cluster, 'mallory', ['editor']), 'expired certificate');
  });

  test('a connection without a client certificate is refused', async () => {
    const { caCerts } = await issuedUserCredentials(cluster, 'mallory');
    await assertRefused({ certPEM: '', keyPEM: '', caCerts }, 'no certificate');
  });
});
