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
 *    audits queries until either side ends, then db.session.end.
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
  const timer = setTimeout(() => ctx.client.destroy(), CLIENT_HANDSHAKE_TIMEOUT_MS);

  const fail = (err: ERRPacket): void => {
    client.write(nextSeq, encodeERR(err));
    audit.push(() => ctx.audit.sessionStart({ dbUser, dbName, success: false, error: err.message }));
  };

  try {
    const hello = await readClientHello(client, ctx.header);
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
    try {
      upstream = await connectUpstream({
        uri: ctx.database.uri,
        user: dbUser,
        database: dbName,
        tls: await ctx.upstreamTLS(dbUser),
        ...(ctx.database.password !== undefined ? { password: ctx.database.password } : {}),
        clientCapabilities: hello.response.capabilities,
        charset: hello.response.charset,
        maxPacketSize: hello.response.maxPacketSize,
        attributes: hello.response.attributes,
      });
    } catch (err) {
      if (err instanceof UpstreamRefusedError) fail(err.packet);
      else fail({ ...ProxyError.unknown, message: `could not connect to database "${ctx.database.name}": ${errorMessage(err)}` });
      log.info({ err: errorMessage(err), db_user: dbUser }, 'MySQL upstream connection failed');
      return;
    }
    upstream.socket.on('error', (err) => log.debug({ err: errorMessage(err) }, 'database connection error'));
    try {
      await ctx.audit.sessionStart({ dbUser, dbName, success: true });
    } catch (err) {
      // No session without its audit record.
      log.error({ err: errorMessage(err) }, 'could not write db.session.start');
      client.write(nextSeq, encodeERR({ ...ProxyError.unknown, message: 'the audit log is unavailable: try again later' }));
      return;
    }
    started = true;
    client.write(nextSeq, upstream.okPayload);
    client.setMaxPacket(DEFAULT_MAX_PACKET);
    upstream.packets.setMaxPacket(DEFAULT_MAX_PACKET);
    await relayCommands({ ctx, client, upstream: upstream.packets, dbUser, capabilities: upstream.capabilities, audit });
  } catch (err) {
    const clientGone = ctx.client.destroyed || ctx.client.readableEnded;
    if (err instanceof MySQLProtocolError && !started && !clientGone) {
      fail({ ...ProxyError.protocol, message: `malformed MySQL handshake: ${err.message}` });
    } else {
      log.warn({ err: errorMessage(err) }, 'MySQL session ended with an error');
    }
  } finally {
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
