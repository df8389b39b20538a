/**
 * @module srv/db/postgres/upstream
 * The engine's connection to the real PostgreSQL server: TCP, SSLRequest, 'S', TLS with the database
 * service's client certificate, then the StartupMessage and the authentication exchange (certificate:
 * AuthenticationOk straight away; with a configured password: cleartext, MD5 or SCRAM-SHA-256). The
 * server's startup messages after AuthenticationOk (ParameterStatus, BackendKeyData, ReadyForQuery)
 * are returned raw for the engine to pass on.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { AccessDeniedError, BadParameterError, ConnectionProblemError } from '@teleport-ts/api/errors';
import { type ErrorFields, parseBackendMessage } from './backend.ts';
import { frontend } from './frontend.ts';
import { encodeRawMessage, MessageReader } from './messageReader.ts';
import { MessageStream } from './messageStream.ts';
import { md5PasswordResponse, ScramClient } from './passwordAuth.ts';

/** A database address split from `host:port` (default port 5432; `[v6]:port` accepted). */
export interface UpstreamAddress {
  host: string;
  port: number;
}

/** The database refused the startup with an ErrorResponse; `raw` is that message, to forward as is. */
export class UpstreamStartupError extends AccessDeniedError {
  constructor(
    readonly fields: ErrorFields,
    readonly raw: Buffer,
  ) {
    super(`the database refused the connection: ${fields.message}`);
  }
}

/** An authenticated upstream session, ready to relay. */
export interface UpstreamSession {
  socket: TLSSocket;
  /** The server's messages after authentication, through ReadyForQuery, each as its raw bytes. */
  startupMessages: Buffer[];
  /** BackendKeyData, when the server sent it (it always does). */
  backendKey?: { processId: number; secretKey: number };
  /** Bytes read past ReadyForQuery (normally none). */
  leftover: Buffer;
}

/** Splits a database URI ("host:port", "[::1]:port", optionally "postgres://" prefixed). */
export function parseAddress(uri: string): UpstreamAddress {
  const s = uri.replace(/^postgres(ql)?:\/\//, '').replace(/\/.*$/, '');
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  const port = Number(m?.[2] ?? 5432);
  if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BadParameterError(`database uri "${uri}" is not host:port`);
  }
  return { host: m[1], port };
}

/** Connects to the database and negotiates TLS the PostgreSQL way (SSLRequest first). */
export async function openUpstreamTLS(addr: UpstreamAddress, tlsOptions: ConnectionOptions): Promise<TLSSocket> {
  const where = `${addr.host}:${addr.port}`;
  // Interactive protocols: without TCP_NODELAY every small query waits ~40 ms for delayed ACKs (docs/benchmarks.md).
  const raw = netConnect({ host: addr.host, port: addr.port, noDelay: true });
  try {
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', resolve);
      raw.once('error', (e) => reject(new ConnectionProblemError(`cannot reach the database at ${where}: ${e.message}`, { cause: e })));
    });
    // Errors after this point surface on the TLS socket (as 'close'); keep them from being unhandled.
    raw.on('error', () => {});
    raw.write(frontend.sslRequest());
    const answer = await readOneByte(raw, where);
    if (answer !== 'S') {
      throw new ConnectionProblemError(`the database at ${where} does not accept TLS (it answered SSLRequest with '${answer}'): set ssl=on in postgresql.conf`);
    }
    const sock = tlsConnect({ host: addr.host, ...tlsOptions, socket: raw });
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', resolve);
      sock.once('error', (e) => reject(new ConnectionProblemError(`TLS with the database at ${where} failed: ${e.message}`, { cause: e })));
    });
    return sock;
  } catch (err) {
    raw.destroy();
    throw err;
  }
}

/** Reads the single-byte answer to SSLRequest; more bytes before TLS would be an injection (CVE-2021-23222). */
function readOneByte(raw: Socket, where: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onEnd);
    };
    const onData = (b: Buffer): void => {
      cleanup();
      raw.pause();
      if (b.length !== 1) reject(new ConnectionProblemError(`the database at ${where} sent unexpected data before TLS`));
      else resolve(String.fromCharCode(b[0] as number));
    };
    const onEnd = (): void => {
      cleanup();
      reject(new ConnectionProblemError(`the database at ${where} closed the connection during the TLS request`));
    };
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('error', onEnd);
  });
}

/** Options of startUpstreamSession. */
export interface StartUpstreamOptions {
  addr: UpstreamAddress;
  tls: ConnectionOptions;
  /** StartupMessage parameters; must include user and database. */
  parameters: Record<string, string>;
  /** A password the database service keeps for this database (never logged). */
  password?: string;
}

/** Opens TLS, sends the StartupMessage and authenticates; throws UpstreamStartupError for the server's refusals. */
export async function startUpstreamSession(o: StartUpstreamOptions): Promise<UpstreamSession> {
  const socket = await openUpstreamTLS(o.addr, o.tls);
  const user = o.parameters.user ?? '';
  const messages = new MessageStream(socket, new MessageReader());
  try {
    socket.write(frontend.startup(o.parameters));
    let scram: ScramClient | null = null;
    let authenticated = false;
    const startupMessages: Buffer[] = [];
    let backendKey: UpstreamSession['backendKey'];
    for (;;) {
      const raw = await messages.next();
      if (!raw) throw new ConnectionProblemError('the database closed the connection during startup');
      const msg = parseBackendMessage(raw);
      if (msg.kind === 'error') throw new UpstreamStartupError(msg.fields, encodeRawMessage(raw));
      if (!authenticated) {
        if (msg.kind !== 'authentication') continue; // NoticeResponse etc. before authentication
        const auth = msg.auth;
        const needPassword = (): string => {
          if (o.password === undefined) {
            throw new AccessDeniedError(
              `the database asks user "${user}" for a password, but it is configured for certificate authentication: ` +
                'use a "hostssl ... cert" line in pg_hba.conf, or configure a password for this database',
            );
          }
          return o.password;
        };
        switch (auth.kind) {
          case 'ok':
            authenticated = true;
            break;
          case 'cleartextPassword':
            socket.write(frontend.password(needPassword()));
            break;
          case 'md5Password':
            socket.write(frontend.password(md5PasswordResponse(user, needPassword(), auth.salt)));
            break;
          case 'sasl':
            if (!auth.mechanisms.includes(ScramClient.MECHANISM)) {
              throw new AccessDeniedError(`the database offers SASL mechanisms ${auth.mechanisms.join(', ')}, none of which is supported`);
            }
            scram = new ScramClient(needPassword());
            socket.write(frontend.saslInitialResponse(ScramClient.MECHANISM, scram.clientFirst()));
            break;
          case 'saslContinue':
            if (!scram) throw new BadParameterError('the database sent SASLContinue before SASL');
            socket.write(frontend.saslResponse(scram.clientFinal(auth.data)));
            break;
          case 'saslFinal':
            if (!scram) throw new BadParameterError('the database sent SASLFinal before SASL');
            scram.verifyServerFinal(auth.data);
            break;
          default:
            throw new AccessDeniedError(`the database asks for an authentication method the database service does not support (code ${auth.code})`);
        }
        continue;
      }
      if (msg.kind === 'backendKeyData') backendKey = { processId: msg.processId, secretKey: msg.secretKey };
      startupMessages.push(encodeRawMessage(raw));
      if (msg.kind === 'readyForQuery') {
        const leftover = messages.release();
        return backendKey ? { socket, startupMessages, backendKey, leftover } : { socket, startupMessages, leftover };
      }
    }
  } catch (err) {
    messages.release();
    socket.destroy();
    throw err;
  }
}

/** Sends a CancelRequest to the database over a fresh TLS connection and waits for the server to close it. */
export async function sendUpstreamCancel(addr: UpstreamAddress, tls: ConnectionOptions, processId: number, secretKey: number): Promise<void> {
  const socket = await openUpstreamTLS(addr, tls);
  await new Promise<void>((resolve) => {
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.end(frontend.cancelRequest(processId, secretKey));
    socket.resume();
  });
}
