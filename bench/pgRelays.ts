/**
 * @module bench/pgRelays
 * Floors for the PostgreSQL benchmark: bare relays between pgbench and PostgreSQL, each its own
 * process, to show how much of the direct figure any proxy on this machine can keep.
 *
 * - `socat`: a C relay (one forked process per connection) copying bytes; the client's TLS runs end
 *   to end through it. No proxy can do less work than this.
 * - `node-tcp`: the same with Node.js `net` sockets (bench/pgRelay-child.ts).
 * - `node-tls`: the least a proxy that identifies users by certificate must do, in Node.js: terminate
 *   the client's TLS and open its own TLS session to PostgreSQL, piping the bytes (bench/pgRelay-child.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../integration/helpers/subprocess.ts';
import { executable } from '../packages/teleport/src/testing/databaseTools.ts';
import type { ClientFiles } from './dbRig.ts';

/** The kinds of relay, from least to most work. */
export type RelayKind = 'socat' | 'node-tcp' | 'node-tls';

/** What each relay is, for the report. */
export const RELAY_DESCRIPTIONS: Record<RelayKind, string> = {
  socat: 'socat TCP relay (C, bytes copied, TLS end to end)',
  'node-tcp': 'Node.js TCP relay (net sockets piped, TLS end to end)',
  'node-tls': 'Node.js TLS-terminating relay (client TLS in, own TLS to PostgreSQL)',
};

/** A running relay. */
export interface Relay {
  kind: RelayKind;
  port: number;
  /** The listening process (socat forks one more per connection: their CPU is not in its figure). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** The TLS material the TLS-terminating relay needs. */
export interface RelayTLSFiles {
  /** Its server certificate and key (the database server's, which libpq with sslmode=require accepts). */
  serverCert: string;
  serverKey: string;
  /** The CA the client certificate chains to (the database CA). */
  ca: string;
  /** What it presents to PostgreSQL. */
  client: ClientFiles;
}

const SOCAT = '/usr/bin/socat';
const CHILD = fileURLToPath(new URL('./pgRelay-child.ts', import.meta.url));

/** Why `kind` cannot run here, or undefined. */
export function relayUnavailable(kind: RelayKind): string | undefined {
  return kind === 'socat' && !executable(SOCAT) ? `${SOCAT} not found (apt-get install socat)` : undefined;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** Resolves once something accepts connections on 127.0.0.1:`port`. */
async function waitListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`relay exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const probe = connect({ host: '127.0.0.1', port });
      probe.once('connect', () => (probe.destroy(), resolve(true)));
      probe.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`relay did not listen on ${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a relay of `kind` in front of PostgreSQL on 127.0.0.1:`pgPort`. */
export async function startRelay(kind: RelayKind, pgPort: number, tls: RelayTLSFiles): Promise<Relay> {
  if (kind === 'socat') {
    const [port] = (await freePorts(1)) as [number];
    const child = spawn(SOCAT, [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,nodelay`, `TCP:127.0.0.1:${pgPort},nodelay`], { stdio: 'ignore' });
    await waitListening(port, child);
    return { kind, port, pid: child.pid, stop: () => stopChild(child) };
  }
  const args = kind === 'node-tcp' ? ['tcp', String(pgPort)] : ['tls', String(pgPort), tls.serverCert, tls.serverKey, tls.ca, tls.client.cert, tls.client.key];
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.split('\n')[0]));
    });
    child.once('exit', (code) => reject(new Error(`relay exited with code ${code} before listening`)));
  });
  return { kind, port, pid: child.pid, stop: () => stopChild(child) };
}
