/**
 * @module bench/agents-child
 * A child process of the presence-at-scale benchmark (bench/scale.ts) that runs N lightweight agents,
 * so the parent's RSS is auth + proxy alone. Each agent is what integration/manyAgents.test.ts runs:
 * its own host identity (issued through the auth API with the admin identity whose data dir the
 * parent passes), its own mutual-TLS auth client (connected only while it heartbeats), a reverse tunnel (AgentPool) answering transport
 * channels with a byte echo, and a node Heartbeat with `use_tunnel`.
 *
 * Usage: `node --import tsx bench/agents-child.ts <count> <offset> <tunnel addr> <auth addr> <auth data dir> [window]`.
 * Progress goes to stdout as JSON lines: `{"event":"progress","issued":n,"connected":n}` now and
 * then, and `{"event":"ready","issueMs":..,"totalMs":..,"failed":n,"errors":[..]}` once every agent
 * holds a tunnel and has heartbeated. The process runs until killed or its stdin closes.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AuthClient } from '../packages/api/src/client/authClient.ts';
import { systemClock } from '../packages/api/src/clock.ts';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '../packages/api/src/keys.ts';
import { formatAuthorizedKey, sshPublicKeyBlob } from '../packages/api/src/sshcert/publicKey.ts';
import { AgentPool } from '../packages/teleport/src/reversetunnel/agentPool.ts';
import { loadIdentity, type LocalIdentity } from '../packages/teleport/src/service/identityStore.ts';
import { tunnelHandler } from '../packages/teleport/src/service/nodeService.ts';
import { Heartbeat } from '../packages/teleport/src/srv/ssh/heartbeat.ts';
import { silentLogger } from '../packages/teleport/src/utils/logger.ts';

const [countArg, offsetArg, tunnelAddr, authAddr, authDataDir, windowArg] = process.argv.slice(2);
if (!countArg || !offsetArg || !tunnelAddr || !authAddr || !authDataDir) {
  process.stderr.write('usage: agents-child.ts <count> <offset> <tunnel addr> <auth addr> <auth data dir> [window]\n');
  process.exit(2);
}
const count = Number(countArg);
const offset = Number(offsetArg);
const windowSize = Number(windowArg ?? 64);

const send = (msg: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
};

const admin = await loadIdentity(authDataDir, 'admin');
const adminClient = new AuthClient({ addr: authAddr, certPEM: admin.certPEM, keyPEM: admin.keyPEM, caCerts: admin.tlsCACerts, timeoutMs: 60_000 });
const hostCA = (await adminClient.getCertAuthorities('host'))[0];
const userCA = (await adminClient.getCertAuthorities('user'))[0];
const sshKeys = (ca: typeof hostCA): string[] => (ca?.spec.active_keys.ssh ?? []).map((k) => k.public_key);

/** Issues one agent identity through the auth API (what `teleport start` next to auth gets in-process). */
async function issue(hostId: string, nodeName: string): Promise<LocalIdentity> {
  const kp = generateKeyPair('ed25519');
  const certs = await adminClient.generateHostCerts({
    hostId, nodeName, role: 'Node', dnsNames: [], additionalPrincipals: [],
    sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(kp.publicKey)), tlsPublicKey: publicKeyToPEM(kp.publicKey),
  });
  return {
    hostId, role: 'Node', keyPEM: privateKeyToPEM(kp.privateKey), certPEM: certs.tlsCert, sshCert: certs.sshCert,
    tlsCACerts: certs.tlsCACerts, sshHostCAKeys: sshKeys(hostCA), sshUserCAKeys: sshKeys(userCA), clusterName: admin.clusterName,
  };
}

interface Running {
  pool: AgentPool;
  heartbeat: Heartbeat;
  client: AuthClient;
}
const running: Running[] = [];
let issued = 0;
let connected = 0;
let failed = 0;
let issueMs = 0;
const errors = new Set<string>();

async function startOne(i: number): Promise<void> {
  const hostId = randomUUID();
  const nodeName = `lite-${String(i).padStart(5, '0')}`;
  const t0 = performance.now();
  const identity = await issue(hostId, nodeName);
  issueMs += performance.now() - t0;
  issued++;
  const client = new AuthClient({ addr: authAddr as string, certPEM: identity.certPEM, keyPEM: identity.keyPEM, caCerts: identity.tlsCACerts, timeoutMs: 60_000 });
  const pool = new AgentPool({
    proxyAddr: tunnelAddr as string, alpn: false, identity, clock: systemClock, logger: silentLogger,
    handler: tunnelHandler(hostId, (stream) => stream.pipe(stream)),
  });
  pool.start();
  // The auth connection is closed after each heartbeat, so 10k agents do not hold 10k idle TLS
  // connections to auth next to their 10k tunnels (one process may open 20,000 files here).
  const oneShot: Pick<AuthClient, 'upsertResource' | 'deleteResource'> = {
    upsertResource: (resource) => client.upsertResource(resource).finally(() => client.close()),
    deleteResource: (kind, name) => client.deleteResource(kind, name).finally(() => client.close()),
  };
  const heartbeat = new Heartbeat({
    authClient: oneShot, clock: systemClock, logger: silentLogger,
    fields: () => ({ hostId, nodeName, addr: '', labels: { fleet: 'lite', shard: String(i % 4) }, cmdLabels: {}, version: 'bench', useTunnel: true }),
  });
  running.push({ pool, heartbeat, client });
  await pool.waitForProxies(1, 120_000);
  await heartbeat.start();
  connected++;
}

let stopping = false;
const stop = async (): Promise<void> => {
  stopping = true;
  await Promise.all(running.map(async (r) => {
    await r.pool.close().catch(() => undefined);
    r.client.close();
  }));
  process.exit(0);
};
// Registered before the agents start, so the parent can stop a run that is still starting.
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());

const started = performance.now();
let next = 0;
const progress = setInterval(() => send({ event: 'progress', issued, connected, failed }), 2000);
await Promise.all(Array.from({ length: Math.min(windowSize, count) }, async () => {
  while (next < count && !stopping) {
    const i = offset + next++;
    try {
      await startOne(i);
    } catch (err) {
      failed++;
      if (errors.size < 5) errors.add((err as Error).message);
    }
  }
}));
clearInterval(progress);
send({ event: 'ready', count, connected, failed, errors: [...errors], issueMs: issueMs / Math.max(1, issued), totalMs: performance.now() - started });

