/**
 * @module srv/db/postgres/engine
 * The PostgreSQL engine of the database service (see srv/db/common/engine.ts for the contract):
 *
 * 1. read the client's startup (inside the tunnel: SSLRequest/GSSENCRequest get 'N', local proxies
 *    send them); a CancelRequest is routed to the session it names (cancelRegistry.ts);
 * 2. authorize the StartupMessage's user and database (database defaults to user). The client picks
 *    them, as upstream Teleport does, even when the certificate's route names others: RBAC decides;
 * 3. connect to the database with TLS and a db-CA client certificate for that user (or the configured
 *    password), pass the server's startup messages on, remember the BackendKeyData for cancels;
 * 4. relay both ways, auditing every statement (queryAudit.ts).
 *
 * Every refusal reaches the client as an ErrorResponse and is audited as a failed session start; the
 * engine never throws for protocol or access errors.
 */
import { AccessDeniedError, BadParameterError, TeleportError } from '@teleport-ts/api/errors';
import { componentLogger } from '../../../utils/logger.ts';
import type { Engine, EngineContext } from '../common/engine.ts';
import { backend, SQLSTATE, type ErrorFields } from './backend.ts';
import { cancelRegistry } from './cancelRegistry.ts';
import { type FrontendMessage, parseFrontendMessage } from './frontend.ts';
import { MessageReader } from './messageReader.ts';
import { MessageStream } from './messageStream.ts';
import { QueryAuditTracker } from './queryAudit.ts';
import { relaySession } from './relay.ts';
import { parseAddress, sendUpstreamCancel, startUpstreamSession, UpstreamStartupError } from './upstream.ts';

type Startup = Extract<FrontendMessage, { kind: 'startup' }>;
type Cancel = Extract<FrontendMessage, { kind: 'cancelRequest' }>;

/** Serves one PostgreSQL client connection to its end. */
export const postgresEngine: Engine = async (ctx) => {
  const log = componentLogger(ctx.logger, 'db:postgres').child({ session_id: ctx.sessionId, db: ctx.database.name });
  const messages = new MessageStream(ctx.client, new MessageReader({ startup: true }));
  // Errors on the client socket after we stop listening must not crash the process.
  ctx.client.on('error', (err) => log.debug({ err: err.message }, 'database client connection error'));
  let first: Startup | Cancel | null;
  try {
    first = await readStartup(ctx, messages);
  } catch (err) {
    messages.release();
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof BadParameterError) fail(ctx, { severity: 'FATAL', code: SQLSTATE.protocolViolation, message });
    else ctx.client.destroy();
    log.debug({ err: message }, 'PostgreSQL startup failed');
    return;
  }
  if (!first) {
    messages.release();
    ctx.client.destroy();
    return;
  }
  if (first.kind === 'cancelRequest') {
    messages.release();
    await forwardCancel(ctx, first, log);
    ctx.client.end();
    return;
  }
  const clientLeftover = messages.release();
  await serveSession(ctx, first, clientLeftover, log);
};

/** Reads until a StartupMessage or CancelRequest; null when the client leaves first. */
async function readStartup(ctx: EngineContext, messages: MessageStream): Promise<Startup | Cancel | null> {
  for (;;) {
    const raw = await messages.next();
    if (!raw) return null;
    const msg = parseFrontendMessage(raw);
    switch (msg.kind) {
      case 'sslRequest':
      case 'gssEncRequest':
        // Inside the tunnel the connection is already encrypted end to end by the proxy's TLS.
        ctx.client.write('N');
        continue;
      case 'startup':
      case 'cancelRequest':
        return msg;
      default:
        throw new BadParameterError(`expected a PostgreSQL startup packet, got a '${msg.kind}' message`);
    }
  }
}

async function serveSession(ctx: EngineContext, startup: Startup, clientLeftover: Buffer, log: EngineContext['logger']): Promise<void> {
  const dbUser = startup.parameters.user ?? '';
  const dbName = startup.parameters.database || dbUser;
  if (!dbUser) {
    fail(ctx, { severity: 'FATAL', code: SQLSTATE.invalidAuthorization, message: 'no PostgreSQL user name specified in startup packet' });
    await ctx.audit.sessionStart({ dbUser, dbName, success: false, error: 'no PostgreSQL user name specified in startup packet' });
    return;
  }
  try {
    await ctx.authorize(dbUser, dbName);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof AccessDeniedError)) log.warn({ err: message }, 'authorizing a database session failed');
    fail(ctx, { severity: 'FATAL', code: SQLSTATE.invalidAuthorization, message });
    await ctx.audit.sessionStart({ dbUser, dbName, success: false, error: message });
    return;
  }

  // The client's own parameters go along (application_name, client_encoding, options, ...), except
  // protocol extensions (_pq_.*), which this proxy does not negotiate.
  const parameters: Record<string, string> = { user: dbUser, database: dbName };
  const unrecognized: string[] = [];
  for (const [k, v] of Object.entries(startup.parameters)) {
    if (k === 'user' || k === 'database') continue;
    if (k.startsWith('_pq_.')) unrecognized.push(k);
    else parameters[k] = v;
  }

  let addr;
  let upstream;
  try {
    addr = parseAddress(ctx.database.uri);
    const tls = await ctx.upstreamTLS(dbUser);
    upstream = await startUpstreamSession(
      ctx.database.password === undefined ? { addr, tls, parameters } : { addr, tls, parameters, password: ctx.database.password },
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof UpstreamStartupError) {
      ctx.client.end(err.raw);
    } else {
      const code = err instanceof AccessDeniedError ? SQLSTATE.invalidAuthorization : SQLSTATE.connectionFailure;
      fail(ctx, { severity: 'FATAL', code, message: `cannot connect to database "${ctx.database.name}": ${message}` });
    }
    log.info({ err: message, db_user: dbUser }, 'database refused or unreachable');
    await ctx.audit.sessionStart({ dbUser, dbName, success: false, error: message });
    return;
  }

  upstream.socket.on('error', (err) => log.debug({ err: err.message }, 'database connection error'));
  if (startup.minorVersion > 0 || unrecognized.length > 0) {
    ctx.client.write(backend.negotiateProtocolVersion(0, unrecognized));
  }
  ctx.client.write(backend.authenticationOk());
  for (const m of upstream.startupMessages) ctx.client.write(m);

  let forget = (): void => {};
  if (upstream.backendKey) {
    const upstreamTLS = ctx.upstreamTLS.bind(ctx);
    forget = cancelRegistry.register(upstream.backendKey.processId, upstream.backendKey.secretKey, {
      databaseName: ctx.database.name,
      addr,
      tls: () => upstreamTLS(dbUser),
      dbUser,
      username: ctx.identity.username,
    });
  }
  const auditErrors = (err: unknown): void => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'emitting a query event failed');
  const tracker = new QueryAuditTracker((e) => void ctx.audit.query(e).catch(auditErrors));
  try {
    await ctx.audit.sessionStart({ dbUser, dbName, success: true });
    await relaySession({
      client: ctx.client,
      upstream: upstream.socket,
      clientLeftover,
      upstreamLeftover: upstream.leftover,
      tracker,
      logger: log,
    });
  } finally {
    forget();
    tracker.flush();
    await ctx.audit.sessionEnd().catch(auditErrors);
  }
}

/** Forwards a CancelRequest to the session it names, if the canceller owns it; otherwise does nothing. */
async function forwardCancel(ctx: EngineContext, req: Cancel, log: EngineContext['logger']): Promise<void> {
  const target = cancelRegistry.lookup(ctx.database.name, req.processId, req.secretKey);
  if (!target) {
    log.debug('CancelRequest for an unknown session ignored');
    return;
  }
  if (target.username !== ctx.identity.username) {
    log.warn({ user: ctx.identity.username, owner: target.username }, 'CancelRequest for another user\'s session ignored');
    return;
  }
  try {
    await sendUpstreamCancel(target.addr, await target.tls(), req.processId, req.secretKey);
    log.info({ db_user: target.dbUser }, 'query cancel request forwarded to the database');
  } catch (err) {
    log.warn({ err: err instanceof TeleportError || err instanceof Error ? err.message : String(err) }, 'forwarding a cancel request failed');
  }
}

/** Answers the client with an ErrorResponse and closes. */
function fail(ctx: EngineContext, fields: ErrorFields): void {
  ctx.client.end(backend.errorResponse(fields));
}
