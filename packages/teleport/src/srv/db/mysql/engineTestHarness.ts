/**
 * @module srv/db/mysql/engineTestHarness
 * Test-only: runs {@link mysqlEngine} behind a local TCP listener with an EngineContext whose RBAC
 * and audit are simple recorders, so tests can point real clients (the `mariadb` CLI) at it and
 * inspect what was authorized and audited. Upstream TLS uses client certificates from the given
 * test CA (CN = db user), as the database service does with the cluster's db CA.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { AccessDeniedError } from '@teleport-ts/api/errors';
import { systemClock } from '@teleport-ts/api/clock';
import { silentLogger } from '../../../utils/logger.ts';
import type { DatabaseSessionHeader, EngineContext } from '../common/engine.ts';
import type { TestCerts } from '../../../testing/mariadb.ts';
import { mysqlEngine } from './engine.ts';

/** One audit call as recorded. */
export type RecordedEvent =
  | { type: 'start'; dbUser: string; dbName: string; success: boolean; error?: string }
  | { type: 'query'; statement: string; parameters?: string[]; success?: boolean; error?: string }
  | { type: 'end' };

/** One engine session: its audit events and its end. */
export interface RecordedSession {
  events: RecordedEvent[];
  done: Promise<void>;
}

/** Options of {@link startEngineHarness}. */
export interface EngineHarnessOptions {
  certs: TestCerts;
  /** host:port of the database. */
  uri: string;
  password?: string;
  /** Db users refused by "role dev". */
  deniedUsers?: string[];
  /** Db names refused by "role dev". */
  deniedNames?: string[];
  /** The Teleport user of every session; default "alice-teleport". */
  username?: string;
}

/** A running harness. */
export interface EngineHarness {
  port: number;
  sessions: RecordedSession[];
  /** Runs the engine on an already-connected stream (e.g. after a proxy handshake). */
  serve(stream: Duplex, header?: Partial<DatabaseSessionHeader>): RecordedSession;
  close(): Promise<void>;
}

/** Starts a TCP listener on 127.0.0.1:0 whose connections each run the MySQL engine. */
export async function startEngineHarness(o: EngineHarnessOptions): Promise<EngineHarness> {
  const sessions: RecordedSession[] = [];
  const serve = (stream: Duplex, header: Partial<DatabaseSessionHeader> = {}): RecordedSession => {
    const events: RecordedEvent[] = [];
    const ctx: EngineContext = {
      client: stream,
      identity: { username: o.username ?? 'alice-teleport', groups: ['dev'], expires: new Date(Date.now() + 3600_000) },
      database: { name: 'maria', protocol: 'mysql', uri: o.uri, labels: {}, ...(o.password ? { password: o.password } : {}) },
      header: { client_cert: '', client_addr: '127.0.0.1:1', protocol: 'mysql', ...header },
      sessionId: `s${sessions.length}`,
      authorize: async (dbUser, dbName) => {
        if (o.deniedUsers?.includes(dbUser)) throw new AccessDeniedError(`access to db user '${dbUser}' denied by role dev`);
        if (o.deniedNames?.includes(dbName)) throw new AccessDeniedError(`access to db name '${dbName}' denied by role dev`);
      },
      upstreamTLS: async (dbUser) => {
        const c = o.certs.client(dbUser);
        return { cert: c.certPEM, key: c.keyPEM, ca: [o.certs.caCertPEM], servername: 'localhost' };
      },
      audit: {
        sessionStart: async (e) => void events.push({ type: 'start', ...e }),
        query: async (e) => void events.push({ type: 'query', ...e }),
        sessionEnd: async () => void events.push({ type: 'end' }),
      },
      clock: systemClock,
      logger: silentLogger,
    };
    const s: RecordedSession = { events, done: mysqlEngine(ctx) };
    sessions.push(s);
    return s;
  };
  const server: Server = createServer((sock) => void serve(sock));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sessions,
    serve,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(sessions.map((s) => s.done));
    },
  };
}
