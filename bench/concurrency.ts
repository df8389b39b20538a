/**
 * @module bench/concurrency
 * Concurrency: 500 simultaneous sessions through one proxy to one node (the integration tests'
 * cluster with the SSH node service, all in this process), each an exec of `cat` as a throwaway OS
 * user (no PTY, so the stream is byte-exact). All sessions are opened first and held; then every
 * client streams 64 KiB of random bytes at once and checks the echo against the sha256 of what it
 * sent. Reported: bytes lost or corrupted (must be 0), setup time, and process RSS per open session.
 *
 * The clients are tsh's own SSH client code (ProxyClient + connectNode: a proxy connection per
 * session, the node session end to end through it) running in this process too, so the RSS per
 * session covers client, proxy and node together: an upper bound for the proxy's share.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client, ClientChannel } from 'ssh2';
import { generateKeyPair } from '../packages/api/src/keys.ts';
import { formatOpenSSHPrivateKey } from '../packages/api/src/sshcert/privateKey.ts';
import { formatAuthorizedKey, parseAuthorizedKey, sshPublicKeyBlob } from '../packages/api/src/sshcert/publicKey.ts';
import { connectNode, ProxyClient } from '../packages/teleport/src/client/ssh/proxyClient.ts';
import { describeResult } from '../integration/helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster } from '../integration/helpers/cluster.ts';
import { canRunSSHTests, OSUsers } from '../integration/helpers/sshEnv.ts';
import type { BenchContext, Figure, Scenario } from './scenario.ts';
import { processMemoryMiB } from './splitCluster.ts';

/** This process's resident set size in MiB. */
const ownRssMiB = (): number => processMemoryMiB(process.pid).rss;

/** Bytes each session streams. */
const STREAM_BYTES = 64 * 1024;
/** Session setups in flight at once (handshakes are CPU-bound; more only queues). */
const SETUP_WINDOW = 25;

/** One open session. */
interface Session {
  proxy: ProxyClient;
  node: Client;
  channel: ClientChannel;
  received: Buffer[];
  receivedBytes: number;
}

function execCat(node: Client): Promise<ClientChannel> {
  return new Promise((resolve, reject) => node.exec('cat', (err, ch) => (err ? reject(err) : resolve(ch))));
}

/** Streams `data` into the session and resolves once as many bytes came back (or `timeoutMs` passed). */
function echo(s: Session, data: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      s.channel.off('data', onData);
      resolve();
    }
    function onData(d: Buffer): void {
      s.received.push(d);
      s.receivedBytes += d.length;
      if (s.receivedBytes >= data.length) done();
    }
    s.channel.on('data', onData);
    s.channel.write(data);
  });
}

async function runConcurrency(ctx: BenchContext): Promise<Figure[]> {
  const n = ctx.mode === 'full' ? 500 : 20;
  const osUsers = new OSUsers();
  const cluster = await startTestCluster({ nodeName: 'node1', sshService: { labels: { env: 'bench' } }, secondFactor: 'off' });
  const sessions: Session[] = [];
  try {
    const login = osUsers.create('bench');
    const add = await cluster.tctl(['users', 'add', 'bencher', '--roles=access', `--logins=${login}`]);
    if (add.code !== 0) throw new Error(`tctl users add failed: ${describeResult(add)}`);
    const user = await cluster.auth.services.users.getUser('bencher');
    const kp = generateKeyPair('ed25519');
    const certs = await cluster.auth.generateUserCerts(user, { sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(kp.publicKey)), ttlMs: 3600_000 });
    const key = { privateKeyPEM: formatOpenSSHPrivateKey(kp.privateKey), certLine: certs.sshCert };
    const hostCA = await cluster.auth.keyring.publicCA('host');
    const hostCAKeys = (hostCA.spec.active_keys.ssh ?? []).map((k) => parseAuthorizedKey(k.public_key).blob);
    const proxyPort = cluster.proc.proxy?.ssh?.address.port;
    if (!proxyPort) throw new Error('the cluster runs no proxy SSH listener');

    const open = async (): Promise<Session> => {
      const proxy = await ProxyClient.connect({ addr: `127.0.0.1:${proxyPort}`, key, login, hostCAKeys, cluster: CLUSTER_NAME });
      const node = await connectNode(proxy, { node: 'node1', port: 0, names: ['node1'], display: 'node1', login, key, hostCAKeys });
      const channel = await execCat(node);
      return { proxy, node, channel, received: [], receivedBytes: 0 };
    };
    // One session first, so the node is known to the proxy and the code paths are warm.
    sessions.push(await open());
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = ownRssMiB();
    ctx.log(`opening ${n} sessions (exec cat) through the proxy, ${SETUP_WINDOW} at a time`);
    const t0 = performance.now();
    let next = 1;
    let failedSetups = 0;
    const setupErrors = new Set<string>();
    await Promise.all(Array.from({ length: SETUP_WINDOW }, async () => {
      while (next < n) {
        next++;
        try {
          sessions.push(await open());
        } catch (err) {
          failedSetups++;
          if (setupErrors.size < 5) setupErrors.add((err as Error).message);
        }
      }
    }));
    const setupS = (performance.now() - t0) / 1000;
    (globalThis as { gc?: () => void }).gc?.();
    const rssOpen = ownRssMiB();
    ctx.log(`${sessions.length} sessions open in ${setupS.toFixed(1)} s; RSS ${rssBefore.toFixed(0)} -> ${rssOpen.toFixed(0)} MiB; streaming ${STREAM_BYTES / 1024} KiB through each`);

    const payloads = sessions.map(() => randomBytes(STREAM_BYTES));
    const t1 = performance.now();
    let rssPeak = rssOpen;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, ownRssMiB())), 100);
    await Promise.all(sessions.map((s, i) => echo(s, payloads[i] as Buffer, 120_000)));
    clearInterval(sampler);
    const streamS = (performance.now() - t1) / 1000;
    let lost = 0;
    let corrupted = 0;
    sessions.forEach((s, i) => {
      const sent = payloads[i] as Buffer;
      const got = Buffer.concat(s.received);
      lost += Math.max(0, sent.length - got.length);
      if (createHash('sha256').update(got).digest('hex') !== createHash('sha256').update(sent).digest('hex')) corrupted++;
    });
    const opened = sessions.length;
    ctx.log(`echoed in ${streamS.toFixed(2)} s: ${lost} bytes lost, ${corrupted} sessions with a checksum mismatch, peak RSS ${rssPeak.toFixed(0)} MiB`);
    const perSession = ((rssOpen - rssBefore) * 1024) / Math.max(1, opened - 1);
    const details = {
      sessionsAsked: n, sessionsOpened: opened, failedSetups, setupErrors: [...setupErrors], setupSeconds: setupS,
      streamSeconds: streamS, bytesPerSession: STREAM_BYTES, checksumMismatches: corrupted,
      rssBeforeMiB: rssBefore, rssOpenMiB: rssOpen, rssPeakMiB: rssPeak,
      note: 'client, proxy and node share this process: RSS per session is all three together',
    };
    return [
      { name: `Concurrency: bytes lost over ${opened} simultaneous sessions x ${STREAM_BYTES / 1024} KiB`, unit: 'bytes', ours: lost + corrupted * STREAM_BYTES, higherIsBetter: false, target: { absolute: 0, description: '0 bytes lost' }, details },
      { name: `Concurrency: ${n} sessions opened`, unit: 'sessions', ours: opened, higherIsBetter: true, details: { failedSetups, setupErrors: [...setupErrors] } },
      { name: `Concurrency: session setup with ${SETUP_WINDOW} in flight`, unit: 'sessions/s', ours: (opened - 1) / setupS, higherIsBetter: true },
      { name: `Concurrency: RSS per open session (client+proxy+node)`, unit: 'KiB', ours: perSession, higherIsBetter: false, details: { rssOpenMiB: rssOpen, rssBeforeMiB: rssBefore } },
      { name: 'Concurrency: all sessions echoing at once', unit: 'MB/s', ours: (opened * STREAM_BYTES) / 1e6 / streamS, higherIsBetter: true },
    ];
  } finally {
    for (const s of sessions) {
      s.channel.end();
      s.node.end();
      s.proxy.close();
    }
    await cluster.close();
    osUsers.cleanup();
  }
}

/** The concurrency scenario (re-exported by bench/scale.ts, which the runner loads). */
export const scenarios: Scenario[] = [
  {
    id: 'concurrency',
    title: '500 simultaneous exec sessions through one proxy, checksum-verified echo (20 in smoke)',
    unavailable: () => (canRunSSHTests ? undefined : 'needs root, useradd and the OpenSSH tools (OS users for the sessions)'),
    run: runConcurrency,
  },
];
