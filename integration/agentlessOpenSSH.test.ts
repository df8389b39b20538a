/**
 * @module integration/agentlessOpenSSH.test
 * An agentless OpenSSH node end to end: a cluster (auth + proxy) issues a node token with
 * `tctl tokens add`, `teleport join openssh` (in-process, through the proxy's web port, with the CA
 * pin) joins a throwaway Debian sshd's config, and the sshd, started only afterwards on 127.0.0.1,
 * serves `tsh ssh` through the proxy: the proxy terminates SSH, logs in to sshd with a re-issued
 * user certificate that sshd trusts through the written TrustedUserCAKeys, and records the
 * interactive session itself. `tsh ls` lists the node, and a client dialling sshd directly still
 * gets the host key it had before. Running the command again leaves one Include
 * block; a config that fails `sshd -t` is left exactly as it was.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAsciicast } from '../packages/api/src/asciicast/index.ts';
import type { Server } from '../packages/api/src/types/server.ts';
import { BLOCK_BEGIN } from '../packages/teleport/src/srv/openssh/sshdConfig.ts';
import { runTeleport } from '../packages/teleport/src/tool/teleport/main.ts';
import { describeResult, runCLI, type CLIResult } from './helpers/cli.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { clientEnv, ProcessTracker, TSH_BIN } from './helpers/sshClients.ts';
import { canRunSSHTests, sshClientUser, waitForEvent, type SSHClientUser } from './helpers/sshEnv.ts';
import { freePorts } from './helpers/subprocess.ts';

const NODE_NAME = 'openssh1';
const hasSshd = existsSync('/usr/sbin/sshd');

/** The operator's sshd_config: everything a throwaway sshd needs except host keys and trust. */
const sshdConfig = (port: number): string => [
  '# throwaway sshd for the agentless OpenSSH test', `Port ${port}`, 'ListenAddress 127.0.0.1', 'AuthorizedKeysFile none',
  'PermitRootLogin yes', 'PidFile none', 'UsePAM no', 'StrictModes no', 'PasswordAuthentication no',
  'KbdInteractiveAuthentication no', 'LogLevel VERBOSE', '',
].join('\n');

/** A running sshd, stopped by pid. */
interface Sshd {
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `/usr/sbin/sshd -D -e -f config` and waits until it listens. */
async function startSshd(config: string): Promise<Sshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    // Let per-connection children finish first: orphaned, they stay zombies under this machine's init.
    for (let i = 0; i < 50 && child.pid !== undefined && childrenOf(child.pid).length > 0; i++) await sleep(100);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; !log.includes('Server listening on'); i++) {
    if (child.exitCode !== null || i > 200) {
      await stop();
      throw new Error(`sshd did not start:\n${log}`);
    }
    await sleep(50);
  }
  return { child, log: () => log, stop };
}

/** Live child pids of `pid` (Linux /proc). */
function childrenOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '');
  } catch {
    return [];
  }
}

describe('agentless OpenSSH node: teleport join openssh', { skip: (!canRunSSHTests || !hasSshd) && 'needs root, sshd and the OpenSSH client tools' }, () => {
  let cluster: TestCluster;
  const procs = new ProcessTracker();
  let sshd: Sshd | undefined;
  let alice: SSHClientUser;
  let env: Record<string, string>;
  let configPath: string;
  let joinArgs: string[];
  let port: number;

  const teleport = (args: string[]): Promise<CLIResult> => runCLI(runTeleport, args);

  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'off' });
    alice = await sshClientUser(cluster, 'alice', { roles: ['access'], logins: ['root'] });
    env = clientEnv(alice.home, { TERM: 'xterm' });
    const tokens = await cluster.tctl(['tokens', 'add', '--type=node', '--format=json']);
    assert.equal(tokens.code, 0, describeResult(tokens));
    const { token, ca_pins: pins } = JSON.parse(tokens.stdout) as { token: string; ca_pins: string[] };
    [port] = (await freePorts(1)) as [number];
    configPath = join(cluster.root, 'sshd_config');
    await writeFile(configPath, sshdConfig(port));
    joinArgs = [
      'join', 'openssh', `--address=127.0.0.1:${port}`, `--proxy-server=${cluster.webAddr}`, '--insecure',
      `--token=${token}`, ...pins.map((p) => `--ca-pin=${p}`), `--openssh-config=${configPath}`,
      `--data-dir=${join(cluster.root, 'openssh-node')}`, `--nodename=${NODE_NAME}`, '--labels=env=legacy',
    ];
  });
  after(async () => {
    await procs.killAll();
    await sshd?.stop();
    await cluster?.close();
  });

  test('the command joins, configures sshd and registers the node', async () => {
    const r = await teleport(joinArgs);
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, new RegExp(`as agentless OpenSSH node "${NODE_NAME}"`));
    assert.match(r.stdout, /Added "Include .*sshd\.conf" at the top of/);
    const text = await readFile(configPath, 'utf8');
    assert.ok(text.startsWith(BLOCK_BEGIN), text);
    const node = (await cluster.auth.services.presence.listNodes()).find((n: Server) => n.spec.hostname === NODE_NAME);
    assert.equal(node?.sub_kind, 'openssh');
    assert.equal(node?.metadata.expires, undefined);
    assert.equal(node?.spec.addr, `127.0.0.1:${port}`);
    sshd = await startSshd(configPath);
  });

  test('tsh ls shows the node; tsh ssh runs a command on it through the proxy', async () => {
    let ls: CLIResult | undefined;
    for (let i = 0; i < 100 && !ls?.stdout.includes(NODE_NAME); i++) {
      if (i > 0) await sleep(100);
      ls = await procs.tsh(['ls'], { env });
    }
    assert.match(ls?.stdout ?? '', new RegExp(`${NODE_NAME}\\s.*env=legacy`), ls && describeResult(ls));
    const r = await procs.tsh(['ssh', `root@${NODE_NAME}`, 'echo hello'], { env });
    assert.equal(r.code, 0, `${describeResult(r)}\n--- sshd ---\n${sshd?.log() ?? ''}`);
    assert.equal(r.stdout, 'hello\n');
    // sshd saw the certificate auth re-issued for alice from the user CA it now trusts.
    assert.match(sshd?.log() ?? '', /Accepted publickey for root from 127\.0\.0\.1 .*CERT SHA256:\S+ ID alice/);
    const exit = await procs.tsh(['ssh', `root@${NODE_NAME}`, 'exit 7'], { env });
    assert.equal(exit.code, 7, describeResult(exit));
  });

  test('clients that connect to sshd directly still see its own host key', async () => {
    const system = (await readFile('/etc/ssh/ssh_host_ed25519_key.pub', 'utf8')).split(' ')[1];
    const scan = await procs.run('ssh-keyscan', ['-t', 'ed25519', '-p', String(port), '127.0.0.1'], { env });
    assert.equal(scan.stdout.trim().split(' ')[2], system, describeResult(scan));
  });

  test('an interactive session is recorded by the proxy', async () => {
    const t = procs.terminal(process.execPath, [TSH_BIN, 'ssh', `root@${NODE_NAME}`], env);
    t.type('echo $((6*7))\r');
    await t.expect(/[\r\n]42\r+\n/);
    t.type('exit\r');
    assert.equal(await t.exitCode(), 0);
    const nodeId = (await cluster.auth.services.presence.listNodes()).find((n) => n.spec.hostname === NODE_NAME)?.metadata.name;
    const start = await waitForEvent(cluster, 'session.start', (e) => e.server_id === nodeId && e.interactive === true, 'for the interactive session');
    assert.equal(start.session_recording, 'proxy');
    assert.equal(start.login, 'root');
    assert.equal(start.user, 'alice');
    const sid = String(start.sid);
    await waitForEvent(cluster, 'session.end', (e) => e.sid === sid, 'for the same session');
    let data: Uint8Array | undefined;
    for (let i = 0; i < 200 && !data; i++) {
      const meta = await cluster.auth.recordings.getMeta(sid).catch(() => undefined);
      if (meta?.complete) data = (await cluster.auth.recordings.read(sid, 0, 1 << 20)).data;
      else await sleep(50);
    }
    assert.ok(data, 'the proxy uploaded the recording');
    const output = parseAsciicast(data).events.filter((e) => e.code === 'o').map((e) => e.data).join('');
    assert.match(output, /[\r\n]42\r\n/);
  });

  test('running the command again keeps one Include block and the same node', async () => {
    const before = await readFile(configPath, 'utf8');
    const nodes = await cluster.auth.services.presence.listNodes();
    const r = await teleport(joinArgs);
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, /already includes .*; left as it was/);
    const after = await readFile(configPath, 'utf8');
    assert.equal(after, before);
    assert.equal(after.split(BLOCK_BEGIN).length, 2);
    assert.deepEqual((await cluster.auth.services.presence.listNodes()).map((n) => n.metadata.name).sort(), nodes.map((n) => n.metadata.name).sort());
  });

  test('a config that fails sshd -t is left untouched', async () => {
    const broken = join(cluster.root, 'broken_sshd_config');
    const text = `${sshdConfig(port)}NoSuchKeyword yes\n`;
    await writeFile(broken, text);
    const r = await teleport(joinArgs.map((a) => (a.startsWith('--openssh-config=') ? `--openssh-config=${broken}` : a)));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not pass the check: "\/usr\/sbin\/sshd -t -f .*" exited with 255:\n.*NoSuchKeyword/s);
    assert.equal(await readFile(broken, 'utf8'), text);
  });
});
