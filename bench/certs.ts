/**
 * @module bench/certs
 * Certificate issuance: SSH + X.509 user certificate pairs per second, as an admin asks for them over
 * the auth API (AuthClient.generateUserCerts over mutual TLS, 16 requests in flight, no password
 * hashing involved), and the same pairs issued in-process by the AuthServer, so the difference is the
 * RPC (TLS, HTTP/2, protobuf, authorization) overhead. Keys are generated once up front: issuance,
 * not key generation, is measured.
 *
 * The API figure that counts against the target has its load generator in a separate process
 * (bench/certsClient.ts), as tctl and proxies are: the auth process then spends its time on the
 * server side only, and the run also reports how busy the auth process was (event-loop utilisation,
 * CPU per pair), which says how far it is from saturation. The same load from inside the auth process
 * (client and server sharing one event loop) is reported too, comparable with earlier runs.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { AuthClient } from '../packages/api/src/client/authClient.ts';
import { generateKeyPair, publicKeyToPEM } from '../packages/api/src/keys.ts';
import { formatAuthorizedKey, sshPublicKeyBlob } from '../packages/api/src/sshcert/publicKey.ts';
import { adminCredentials } from '../integration/helpers/certs.ts';
import { startTestCluster } from '../integration/helpers/cluster.ts';
import { describeResult } from '../integration/helpers/cli.ts';
import { measureThroughput, type Throughput } from './throughput.ts';
import type { CertsClientJob } from './certsClient.ts';
import type { BenchContext, Figure, Scenario } from './scenario.ts';

/** Warm-up rounds (of CONCURRENCY calls) before timing, so the JIT has compiled the hot paths. */
const WARMUP = 20;
/** Requests in flight. */
const CONCURRENCY = 16;
/** The target from the issue: pairs per second through the auth API. */
const TARGET_PAIRS_PER_SECOND = 2000;
const USERNAME = 'bench-certs';
const REPO_ROOT = join(import.meta.dirname, '..');

/** How busy the auth process was while the separate client ran. */
interface AuthLoad {
  /** Event-loop utilisation of the auth process (0..1). */
  eventLoopUtilization: number;
  /** CPU time of the auth process (all threads) per issued pair, in microseconds. */
  cpuMicrosPerPair: number;
  /** CPU time of the client process per call, in microseconds. */
  clientCpuMicrosPerPair: number;
}

/** Runs bench/certsClient.ts against the cluster and measures the auth process meanwhile. */
async function runSeparateClient(job: CertsClientJob): Promise<{ result: Throughput; auth: AuthLoad }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'certsClient.ts')], {
    cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdin.end(JSON.stringify(job));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let startElu: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let startCpu: NodeJS.CpuUsage | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    let msg: { event?: string; result?: Throughput; cpuMicrosPerPair?: number };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      continue;
    }
    if (msg.event === 'start') {
      startElu = performance.eventLoopUtilization();
      startCpu = process.cpuUsage();
    } else if (msg.event === 'done' && msg.result && startElu && startCpu) {
      const elu = performance.eventLoopUtilization(startElu);
      const cpu = process.cpuUsage(startCpu);
      const pairs = Math.max(1, msg.result.completed + msg.result.failed);
      await exited;
      return {
        result: msg.result,
        auth: {
          eventLoopUtilization: Math.round(elu.utilization * 100) / 100, cpuMicrosPerPair: Math.round((cpu.user + cpu.system) / pairs),
          clientCpuMicrosPerPair: msg.cpuMicrosPerPair ?? 0,
        },
      };
    }
  }
  const code = await exited;
  throw new Error(`the certificate load generator exited (${String(code)}) without a result: ${stderr.trim() || 'no output'}`);
}

async function run(ctx: BenchContext): Promise<Figure[]> {
  const durationMs = ctx.mode === 'smoke' ? 1000 : 15_000;
  const cluster = await startTestCluster({ secondFactor: 'off' });
  try {
    const add = await cluster.tctl(['users', 'add', USERNAME, '--roles=access', '--logins=root']);
    if (add.code !== 0) throw new Error(`tctl users add failed: ${describeResult(add)}`);
    const keys = Array.from({ length: 8 }, () => {
      const { publicKey } = generateKeyPair('ed25519');
      return { sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(publicKey)), tlsPublicKey: publicKeyToPEM(publicKey) };
    });
    const key = (i: number): (typeof keys)[number] => keys[i % keys.length] as (typeof keys)[number];
    const credentials = await adminCredentials(cluster);

    ctx.log(`auth API, client in its own process: ${CONCURRENCY} concurrent generateUserCerts for ${durationMs / 1000} s`);
    const separate = await runSeparateClient({
      addr: cluster.authAddr, ...credentials, username: USERNAME, keys, concurrency: CONCURRENCY, durationMs, warmup: WARMUP,
    });
    const rpc = separate.result;
    ctx.log(`auth API: ${rpc.perSecond} pairs/s (${rpc.failed} failed), p50 ${rpc.latency.p50} ms; auth event loop ${Math.round(separate.auth.eventLoopUtilization * 100)}% busy, ${separate.auth.cpuMicrosPerPair} us CPU per pair; client ${separate.auth.clientCpuMicrosPerPair} us CPU per call`);

    const admin = new AuthClient({ addr: cluster.authAddr, ...credentials, timeoutMs: 30_000 });
    ctx.log(`auth API, client in the auth process: ${CONCURRENCY} concurrent generateUserCerts for ${durationMs / 1000} s`);
    const shared = await measureThroughput(
      (i) => admin.generateUserCerts({ username: USERNAME, ...key(i), ttlMs: 3600_000 }),
      { concurrency: CONCURRENCY, durationMs, warmup: WARMUP },
    );
    ctx.log(`auth API (same process): ${shared.perSecond} pairs/s (${shared.failed} failed), p50 ${shared.latency.p50} ms`);
    admin.close();

    const user = await cluster.auth.services.users.getUser(USERNAME);
    ctx.log(`in-process: ${CONCURRENCY} concurrent AuthServer.generateUserCerts for ${durationMs / 1000} s`);
    const local = await measureThroughput(
      (i) => cluster.auth.generateUserCerts(user, { ...key(i), ttlMs: 3600_000 }),
      { concurrency: CONCURRENCY, durationMs, warmup: WARMUP },
    );
    ctx.log(`in-process: ${local.perSecond} pairs/s, p50 ${local.latency.p50} ms`);

    const target = { absolute: TARGET_PAIRS_PER_SECOND, description: `>= ${TARGET_PAIRS_PER_SECOND.toLocaleString('en-US')} pairs/s` };
    return [
      {
        name: `Certificate issuance via auth API (mTLS, ${CONCURRENCY} in flight, client in its own process)`, unit: 'pairs/s', ours: rpc.perSecond,
        baseline: local.perSecond, baselineName: 'AuthServer in-process', higherIsBetter: true, target,
        details: { rpc, authProcess: separate.auth, inProcess: local, concurrency: CONCURRENCY, keyAlgorithm: 'ed25519' },
      },
      {
        name: `Certificate issuance via auth API (client in the auth process, ${CONCURRENCY} in flight)`, unit: 'pairs/s', ours: shared.perSecond,
        baseline: local.perSecond, baselineName: 'AuthServer in-process', higherIsBetter: true,
        details: { ...shared, concurrency: CONCURRENCY },
      },
      {
        name: `Certificate issuance in-process (AuthServer, ${CONCURRENCY} in flight)`, unit: 'pairs/s', ours: local.perSecond,
        higherIsBetter: true, details: { ...local, concurrency: CONCURRENCY },
      },
      {
        name: 'Certificate issuance latency p50 via auth API', unit: 'ms', ours: rpc.latency.p50,
        baseline: local.latency.p50, baselineName: 'in-process', higherIsBetter: false, details: { rpc: rpc.latency, inProcess: local.latency },
      },
    ];
  } finally {
    await cluster.close();
  }
}

/** The certificate issuance scenario (`npm run bench -- certs`). */
export const certsScenario: Scenario = {
  id: 'certs',
  title: 'Certificate issuance: SSH + X.509 pairs/s through the auth API and in-process',
  run,
};
