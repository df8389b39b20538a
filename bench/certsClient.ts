/**
 * @module bench/certsClient
 * The load generator of the certificate scenario, run as its own process (`node --import tsx
 * bench/certsClient.ts`), as tctl or a proxy would be: it reads one JSON job from stdin (auth address,
 * admin credentials, keys, concurrency, duration), calls AuthClient.generateUserCerts in a loop, and
 * prints JSON lines on stdout: `{"event":"start"}` when the warm-up is over and the timed run begins,
 * then `{"event":"done","result":<Throughput>,"cpuMicrosPerPair":<n>}` (the client's own CPU time per
 * call of the timed run). Credentials travel over stdin so they do not show up in the process list.
 */
import { AuthClient } from '../packages/api/src/client/authClient.ts';
import { measureThroughput } from './throughput.ts';

/** The job bench/certs.ts sends. */
export interface CertsClientJob {
  addr: string;
  certPEM: string;
  keyPEM: string;
  caCerts: string[];
  username: string;
  keys: { sshPublicKey: string; tlsPublicKey: string }[];
  concurrency: number;
  durationMs: number;
  warmup: number;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const job = JSON.parse(await readStdin()) as CertsClientJob;
  const client = new AuthClient({ addr: job.addr, certPEM: job.certPEM, keyPEM: job.keyPEM, caCerts: job.caCerts, timeoutMs: 30_000 });
  try {
    const key = (i: number): CertsClientJob['keys'][number] => job.keys[i % job.keys.length] as CertsClientJob['keys'][number];
    let cpu0 = process.cpuUsage();
    const result = await measureThroughput(
      (i) => client.generateUserCerts({ username: job.username, ...key(i), ttlMs: 3600_000 }),
      {
        concurrency: job.concurrency, durationMs: job.durationMs, warmup: job.warmup,
        onStart: () => {
          process.stdout.write('{"event":"start"}\n');
          cpu0 = process.cpuUsage();
        },
      },
    );
    const cpu = process.cpuUsage(cpu0);
    const cpuMicrosPerPair = Math.round((cpu.user + cpu.system) / Math.max(1, result.completed + result.failed));
    process.stdout.write(`${JSON.stringify({ event: 'done', result, cpuMicrosPerPair })}\n`);
  } finally {
    client.close();
  }
}

await main();
