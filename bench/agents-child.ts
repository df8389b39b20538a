/**
 * @module bench/agents-child
 * A child process of the presence-at-scale benchmark (bench/scale.ts) that runs N lightweight agents,
 * so the parent's RSS is auth + proxy alone. Each agent is what integration/manyAgents.test.ts runs:
 * its own host identity (issued through the auth API with the admin identity whose data dir the
 * parent passes), its own mutual-TLS auth client (one connection to auth, kept open), a reverse
 * tunnel (AgentPool) to the proxy answering transport channels with a byte echo, and a node
 * Heartbeat with `use_tunnel` over that auth client. Each agent thus holds two sockets; the parent
 * splits the fleet over children so each stays well under the process's open-files limit.
 *
 * Usage: `node --import tsx bench/agents-child.ts <count> <offset> <tunnel addr> <auth addr> <auth data dir> [window] [heartbeat ms]`.
 * Progress goes to stdout as JSON lines: `{"event":"progress","issued":n,"connected":n}` now and
 * then (with heartbeats sent and failed so far), and
 * `{"event":"ready","issueMs":..,"totalMs":..,"failed":n,"errors":[..]}` once every agent holds a
 * tunnel and has heartbeated. Progress lines continue after that. The process runs until killed or
 * its stdin closes.
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

const [countArg, offsetArg, tunnelAddr, authAddr, authDataDir, windowArg, intervalArg] = process.argv.slice(2);
if (!countArg || !offsetArg || !tunnelAddr || !authAddr || !authDataDir) {
  process.stderr.write('usage: agents-child.ts <count> <offset> <tunnel addr> <auth addr> <auth data dir> [window] [heartbeat ms]\n');
  process.exit(2);
}
const count = Number(countArg);
const offset = Number(offsetArg);
const windowSize = Number(windowArg ?? 64);
/** Heartbeat interval (default: the agents' real one, a minute); shorter only to profile auth. */
const intervalMs = intervalArg ? Number(intervalArg) : undefined;

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
let beats = 0;
let beatFailures = 0;
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
  // Heartbeats go over the agent's one auth connection, kept open as a real agent keeps it (the
  // client reopens it on demand if auth or the network drops it).
  const counted: Pick<AuthClient, 'upsertResource' | 'deleteResource'> = {
    upsertResource: async (resource) => {
      try {
        const r = await client.upsertResource(resource);
        beats++;
        return r;
      } catch (err) {
        beatFailures++;
        if (errors.size < 5) errors.add(`heartbeat: ${(err as Error).message}`);
        throw err;
      }
    },
    deleteResource: (kind, name) => client.deleteResource(kind, name),
  };
  const heartbeat = new Heartbeat({
    authClient: counted, clock: systemClock, logger: silentLogger, ...(intervalMs && { intervalMs }),
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
const progress = setInterval(() => send({ event: 'progress', issued, connected, failed, beats, beatFailures }), 2000);
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
// After bring-up, heartbeat counts now and then (the parent checks none fail in steady state).
setInterval(() => send({ event: 'progress', issued, connected, failed, beats, beatFailures }), 10_000).unref();
send({ event: 'ready', count, connected, failed, beats, beatFailures, errors: [...errors], issueMs: issueMs / Math.max(1, issued), totalMs: performance.now() - started });

