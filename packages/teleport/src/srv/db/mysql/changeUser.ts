/**
 * @module srv/db/mysql/changeUser
 * COM_CHANGE_USER in the command phase. A database client certificate is bound to one CN (= db
 * user), so the database service cannot change the user of its upstream connection; instead it opens
 * a NEW upstream connection as the new user (same connect path as the session's first one: a db-CA
 * certificate for the new user, or the configured password), quits the old one, and the relay
 * switches over. The new user and database are authorized first.
 *
 * The exchange with the client, as libmariadb / libmysqlclient `mysql_change_user()` runs it (the
 * client reuses the scramble of the session's greeting; every packet below is one command, so the
 * sequence ids restart at 0):
 *
 * ```
 * client -> us  seq 0  COM_CHANGE_USER: user, auth response (for its default plugin), db, charset,
 *                      plugin name, connection attributes
 * mysql_native_password (or no plugin):      us -> client seq 1 OK | ERR
 * caching_sha2_password with a response:     us -> client seq 1 AuthMoreData "fast auth success", seq 2 OK | ERR
 * caching_sha2_password, empty response:     us -> client seq 1 AuthSwitchRequest(caching_sha2), client seq 2, us seq 3 OK | ERR
 * any other plugin (client_ed25519, ...):    us -> client seq 1 AuthSwitchRequest(native), client seq 2, us seq 3 OK | ERR
 * refused by RBAC:                           us -> client seq 1 ERR 1045 (28000) naming the rule
 * ```
 *
 * The mariadb/mysql CLI itself never sends COM_CHANGE_USER: its `connect` (`\r`) command closes the
 * connection and opens a new one (a new Teleport session, with the same certificate and --user), and
 * `use` (`\u`) is COM_INIT_DB. Connectors send it: `mysql_change_user()`, PHP's
 * `mysqli::change_user`, connection pools resetting a connection.
 *
 * Like the real server, the password is not what decides here: the user was authenticated by the
 * certificate; the database authenticates the new connection by its own certificate.
 */
import { errorMessage } from '@teleport-ts/api/errors';
import type { EngineContext } from '../common/engine.ts';
import type { PacketStream } from './packetStream.ts';
import type { Packet } from './packets.ts';
import { Capability } from './handshake.ts';
import { encodeERR, parseChangeUserRequest, type ERRPacket } from './messages.ts';
import { finishAuthExchange } from './clientHandshake.ts';
import { UpstreamRefusedError, type UpstreamConnection } from './upstream.ts';
import { ProxyError } from './greeting.ts';
import type { AuditQueue } from './relay.ts';

/** The parts of a COM_CHANGE_USER the new upstream connection is opened with. */
export interface UpstreamRequest {
  user: string;
  database: string;
  /** The character set the client asked for; undefined keeps the session's. */
  charset: number | undefined;
  /** The client's connection attributes; empty keeps the session's. */
  attributes: Record<string, string>;
}

/** What the engine provides so the relay can serve COM_CHANGE_USER. */
export interface ChangeUserSupport {
  /** The scramble of the greeting the client got (clients compute their response with it). */
  scramble: Buffer;
  /** The capabilities the client sent in its HandshakeResponse41. */
  clientCapabilities: number;
  /** Opens an authenticated upstream connection (the engine's connect path). */
  connect(req: UpstreamRequest): Promise<UpstreamConnection>;
  /** Called once the relay uses `upstream` for `dbUser`/`dbName` (the old one is already quit). */
  switched(upstream: UpstreamConnection, dbUser: string, dbName: string): void;
}

/** The new connection, ready for the relay to switch to; the client still waits for its OK. */
export interface ChangedUser {
  upstream: UpstreamConnection;
  user: string;
  database: string;
  /** Sequence id of the OK the client expects. */
  okSeq: number;
  /** The audit statement ("COM_CHANGE_USER <user>"). */
  statement: string;
}

/**
 * Runs COM_CHANGE_USER up to the final OK: parse, authorize, the client's auth plugin exchange, the
 * new upstream connection. On refusal or failure the client gets the ERR, a failed query event is
 * audited, and undefined is returned (the session stays on the old user and connection).
 */
export async function negotiateChangeUser(
  p: Packet,
  o: { ctx: EngineContext; client: PacketStream; audit: AuditQueue; support: ChangeUserSupport },
): Promise<ChangedUser | undefined> {
  const { ctx, client, audit, support } = o;
  // Clients pick the auth response layout by their own CLIENT_SECURE_CONNECTION flag and the trailing
  // fields by the server's capabilities (ours always include CLIENT_PLUGIN_AUTH).
  const caps = ((support.clientCapabilities & Capability.SECURE_CONNECTION) | Capability.PLUGIN_AUTH) >>> 0;
  const req = parseChangeUserRequest(p.payload, caps);
  const statement = `COM_CHANGE_USER ${req.user}`;
  const fail = (seq: number, err: ERRPacket, auditError: string): undefined => {
    client.write(seq, encodeERR(err));
    audit.push(() => ctx.audit.query({ statement, success: false, error: auditError }));
    return undefined;
  };
  try {
    await ctx.authorize(req.user, req.database);
  } catch (err) {
    return fail(p.lastSeq + 1, { ...ProxyError.accessDenied, message: errorMessage(err) }, errorMessage(err));
  }
  const okSeq = await finishAuthExchange(client, {
    plugin: req.authPluginName,
    authResponse: req.authResponse,
    seq: p.lastSeq + 1,
    scramble: support.scramble,
  });
  try {
    const upstream = await support.connect({ user: req.user, database: req.database, charset: req.charset, attributes: req.attributes });
    return { upstream, user: req.user, database: req.database, okSeq, statement };
  } catch (err) {
    ctx.logger.info({ err: errorMessage(err), db_user: req.user }, 'MySQL upstream connection for COM_CHANGE_USER failed');
    if (err instanceof UpstreamRefusedError) {
      return fail(okSeq, err.packet, `${err.packet.code} (${err.packet.sqlState}): ${err.packet.message}`);
    }
    const message = `could not connect to database "${ctx.database.name}" as "${req.user}": ${errorMessage(err)}`;
    return fail(okSeq, { ...ProxyError.unknown, message }, message);
  }
}
