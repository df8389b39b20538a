/**
 * @module srv/db/mysql/engine
 * The MySQL {@link Engine}: one client connection from handshake to end.
 *
 * 1. Connection phase with the client (clientHandshake.ts): greeting unless the proxy sent it, the
 *    HandshakeResponse41 gives the db user and database.
 * 2. `authorize(dbUser, dbName)`; a refusal is an ERR 1045/28000 naming the rule and a failed
 *    db.session.start.
 * 3. Connect to the real database (upstream.ts) with a db-CA client certificate for the db user (or
 *    the configured password); its ERR packets are forwarded re-sequenced, audited as failed starts.
 * 4. OK to the client at the sequence id it expects, db.session.start, then the relay (relay.ts)
 *    audits queries until either side ends, then db.session.end. COM_CHANGE_USER opens a new
 *    upstream connection through the same connect path (changeUser.ts).
 * 5. While the session lives, the process-wide thread registry maps the connection id of the
 *    greeting the client got (the proxy's, or ours: unique per process) to the database's thread id,
 *    so a `KILL QUERY <id>` from the CLI's Ctrl-C on another connection reaches the right thread.
 *
 * It never throws for protocol or access errors: malformed packets get ERR 1047/08S01 and a close.
 */
import { errorMessage } from '@teleport-ts/api/errors';
import type { Engine, EngineContext } from '../common/engine.ts';
import { PacketStream } from './packetStream.ts';
import { DEFAULT_MAX_PACKET, MySQLProtocolError } from './packets.ts';
import { encodeERR, type ERRPacket } from './messages.ts';
import { finishClientAuth, readClientHello } from './clientHandshake.ts';
import { connectUpstream, UpstreamRefusedError, type UpstreamConnection } from './upstream.ts';
import { AuditQueue, relayCommands } from './relay.ts';
import { ProxyError } from './greeting.ts';
import type { UpstreamRequest } from './changeUser.ts';
import { mysqlThreadRegistry, type ThreadRegistration } from './threadRegistry.ts';

/** Largest client packet accepted during the connection phase. */
const HANDSHAKE_MAX_PACKET = 64 * 1024;

/** Time allowed for the client's part of the connection phase. */
const CLIENT_HANDSHAKE_TIMEOUT_MS = 30_000;

/** Serves one MySQL client connection (see the module comment). */
export const mysqlEngine: Engine = async (ctx: EngineContext): Promise<void> => {
  const log = ctx.logger.child({ component: 'db:mysql', session_id: ctx.sessionId, db: ctx.database.name });
  const audit = new AuditQueue(log);
  const client = new PacketStream(ctx.client, HANDSHAKE_MAX_PACKET);
  ctx.client.on('error', (err) => log.debug({ err: errorMessage(err) }, 'client stream error'));
  let dbUser = '';
  let dbName = '';
  let nextSeq = 1;
  let upstream: UpstreamConnection | undefined;
  let started = false;
  let registration: ThreadRegistration | undefined;
  const timer = setTimeout(() => ctx.client.destroy(), CLIENT_HANDSHAKE_TIMEOUT_MS);

  const fail = (err: ERRPacket): void => {
    client.write(nextSeq, encodeERR(err));
    audit.push(() => ctx.audit.sessionStart({ dbUser, dbName, success: false, error: err.message }));
  };

  try {
    const hello = await readClientHello(client, ctx.header, () => mysqlThreadRegistry.allocateId());
    nextSeq = hello.nextSeq;
    dbUser = hello.response.user;
    dbName = hello.response.database;
    try {
      await ctx.authorize(dbUser, dbName);
    } catch (err) {
      fail({ ...ProxyError.accessDenied, message: errorMessage(err) });
      return;
    }
    nextSeq = await finishClientAuth(client, hello);
    clearTimeout(timer);
    // The one connect path, for the session's first connection and for COM_CHANGE_USER.
    let charset = hello.response.charset;
    let attributes = hello.response.attributes;
    const open = async (r: UpstreamRequest): Promise<UpstreamConnection> => {
      const up = await connectUpstream({
        uri: ctx.database.uri,
        user: r.user,
        database: r.database,
        tls: await ctx.upstreamTLS(r.user),
        ...(ctx.database.password !== undefined ? { password: ctx.database.password } : {}),
        clientCapabilities: hello.response.capabilities,
        charset: r.charset ?? charset,
        maxPacketSize: hello.response.maxPacketSize,
        attributes: Object.keys(r.attributes).length > 0 ? r.attributes : attributes,
      });
      charset = r.charset ?? charset;
      attributes = Object.keys(r.attributes).length > 0 ? r.attributes : attributes;
      up.socket.on('error', (err) => log.debug({ err: errorMessage(err) }, 'database connection error'));
      up.packets.setMaxPacket(DEFAULT_MAX_PACKET);
      return up;
    };
    try {
      upstream = await open({ user: dbUser, database: dbName, charset: undefined, attributes: {} });
    } catch (err) {
      if (err instanceof UpstreamRefusedError) fail(err.packet);
      else fail({ ...ProxyError.unknown, message: `could not connect to database "${ctx.database.name}": ${errorMessage(err)}` });
      log.info({ err: errorMessage(err), db_user: dbUser }, 'MySQL upstream connection failed');
      return;
    }
    try {
      await ctx.audit.sessionStart({ dbUser, dbName, success: true });
    } catch (err) {
      // No session without its audit record.
      log.error({ err: errorMessage(err) }, 'could not write db.session.start');
      client.write(nextSeq, encodeERR({ ...ProxyError.unknown, message: 'the audit log is unavailable: try again later' }));
      return;
    }
    started = true;
    registration = mysqlThreadRegistry.register(ctx.database.name, hello.connectionId, {
      upstreamThreadId: upstream.greeting.connectionId,
      username: ctx.identity.username,
    });
    client.write(nextSeq, upstream.okPayload);
    client.setMaxPacket(DEFAULT_MAX_PACKET);
    const switched = (up: UpstreamConnection, user: string): void => {
      const old = upstream;
      upstream = up;
      registration?.setUpstreamThreadId(up.greeting.connectionId);
      log.debug({ db_user: user, upstream_thread: up.greeting.connectionId }, 'MySQL session changed user');
      // The relay sent COM_QUIT; give the server a moment to close, then make sure.
      if (old) setTimeout(() => old.socket.destroy(), 2_000).unref();
    };
    await relayCommands({
      ctx,
      client,
      upstream: upstream.packets,
      dbUser,
      capabilities: upstream.capabilities,
      audit,
      changeUser: { scramble: hello.scramble, clientCapabilities: hello.response.capabilities, connect: open, switched },
    });
  } catch (err) {
    const clientGone = ctx.client.destroyed || ctx.client.readableEnded;
    if (err instanceof MySQLProtocolError && !started && !clientGone) {
      fail({ ...ProxyError.protocol, message: `malformed MySQL handshake: ${err.message}` });
    } else {
      log.warn({ err: errorMessage(err) }, 'MySQL session ended with an error');
    }
  } finally {
    registration?.forget();
    clearTimeout(timer);
    await audit.drain();
    if (started) {
      await ctx.audit.sessionEnd().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'failed to write db.session.end'));
    }
    upstream?.socket.destroy();
    ctx.client.end();
    setTimeout(() => ctx.client.destroy(), 2_000).unref();
  }
};
