/**
 * @module bench/certs
 * Certificate issuance: SSH + X.509 user certificate pairs per second, as an admin asks for them over
 * the auth API (AuthClient.generateUserCerts over mutual TLS, 16 requests in flight, no password
 * hashing involved), and the same pairs issued in-process by the AuthServer, so the difference is the
 * RPC (TLS, HTTP/2, protobuf, authorization) overhead. Keys are generated once up front: issuance,
 * not key generation, is measured.
 */
import { AuthClient } from '../packages/api/src/client/authClient.ts';
import { generateKeyPair, publicKeyToPEM } from '../packages/api/src/keys.ts';
import { formatAuthorizedKey, sshPublicKeyBlob } from '../packages/api/src/sshcert/publicKey.ts';
import { adminCredentials } from '../integration/helpers/certs.ts';
import { startTestCluster } from '../integration/helpers/cluster.ts';
import { describeResult } from '../integration/helpers/cli.ts';
import { latencyStats, type LatencyStats } from './report.ts';
import type { BenchContext, Figure, Scenario } from './scenario.ts';

/** Requests in flight. */
const CONCURRENCY = 16;
/** The target from the issue: pairs per second through the auth API. */
const TARGET_PAIRS_PER_SECOND = 2000;

interface Throughput {
  perSecond: number;
  completed: number;
  failed: number;
  seconds: number;
  latency: LatencyStats;
  firstError?: string;
}

/** Calls `op` from `concurrency` loops until `durationMs` passed (after `warmup` calls each); measures completions/s. */
export async function measureThroughput(op: (i: number) => Promise<unknown>, o: { concurrency: number; durationMs: number; warmup: number }): Promise<Throughput> {
  let n = 0;
  for (let w = 0; w < o.warmup; w++) await Promise.all(Array.from({ length: o.concurrency }, () => op(n++)));
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + o.durationMs;
  await Promise.all(Array.from({ length: o.concurrency }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await op(n++);
        latencies.push(performance.now() - t0);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  return {
    perSecond: Math.round((latencies.length / seconds) * 10) / 10, completed: latencies.length, failed,
    seconds: Math.round(seconds * 100) / 100, latency: latencyStats(latencies), ...(firstError && { firstError }),
  };
}

async function run(ctx: BenchContext): Promise<Figure[]> {
  const durationMs = ctx.mode === 'smoke' ? 1000 : 15_000;
  const cluster = await startTestCluster({ secondFactor: 'off' });
  try {
    const add = await cluster.tctl(['users', 'add', 'bench-certs', '--roles=access', '--logins=root']);
    if (add.code !== 0) throw new Error(`tctl users add failed: ${describeResult(add)}`);
    const keys = Array.from({ length: 8 }, () => {
      const { publicKey } = generateKeyPair('ed25519');
      return { sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(publicKey)), tlsPublicKey: publicKeyToPEM(publicKey) };
    });
    const key = (i: number): (typeof keys)[number] => keys[i % keys.length] as (typeof keys)[number];

    const admin = new AuthClient({ addr: cluster.authAddr, ...(await adminCredentials(cluster)), timeoutMs: 30_000 });
    ctx.log(`auth API: ${CONCURRENCY} concurrent generateUserCerts for ${durationMs / 1000} s`);
    const rpc = await measureThroughput(
      (i) => admin.generateUserCerts({ username: 'bench-certs', ...key(i), ttlMs: 3600_000 }),
      { concurrency: CONCURRENCY, durationMs, warmup: 2 },
    );
    ctx.log(`auth API: ${rpc.perSecond} pairs/s (${rpc.failed} failed), p50 ${rpc.latency.p50} ms`);
    admin.close();

    const user = await cluster.auth.services.users.getUser('bench-certs');
    ctx.log(`in-process: ${CONCURRENCY} concurrent AuthServer.generateUserCerts for ${durationMs / 1000} s`);
    const local = await measureThroughput(
      (i) => cluster.auth.generateUserCerts(user, { ...key(i), ttlMs: 3600_000 }),
      { concurrency: CONCURRENCY, durationMs, warmup: 2 },
    );
    ctx.log(`in-process: ${local.perSecond} pairs/s, p50 ${local.latency.p50} ms`);

    const target = { absolute: TARGET_PAIRS_PER_SECOND, description: `>= ${TARGET_PAIRS_PER_SECOND.toLocaleString('en-US')} pairs/s` };
    return [
      {
        name: `Certificate issuance via auth API (mTLS, ${CONCURRENCY} in flight)`, unit: 'pairs/s', ours: rpc.perSecond,
        baseline: local.perSecond, baselineName: 'AuthServer in-process', higherIsBetter: true, target,
        details: { rpc, inProcess: local, concurrency: CONCURRENCY, keyAlgorithm: 'ed25519' },
      },
      {
        name: `Certificate issuance in-process (AuthServer, ${CONCURRENCY} in flight)`, unit: 'pairs/s', ours: local.perSecond,
        higherIsBetter: true, target, details: { ...local, concurrency: CONCURRENCY },
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
