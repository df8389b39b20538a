/**
 * @module srv/db/mysql/clientHandshake
 * The engine's server side of the connection phase, towards the client (which reached the database
 * service through the proxy, inside TLS):
 *
 * - no greeting state in the session header (ALPN route, `tsh proxy db`): send the greeting (seq 0,
 *   without CLIENT_SSL) and read the HandshakeResponse41 at seq 1;
 * - greeting state present (dedicated MySQL listener): the proxy sent the greeting and took the
 *   SSLRequest (seq 1), so the HandshakeResponse41 arrives at seq 2.
 *
 * The client's password response is not checked: the user is authenticated by the certificate the
 * proxy and the database service verified (as upstream Teleport). The auth exchange is only finished
 * the way each client plugin expects, so real clients are satisfied.
 */
import type { DatabaseSessionHeader } from '../common/engine.ts';
import type { PacketStream } from './packetStream.ts';
import { MySQLProtocolError } from './packets.ts';
import { CachingSha2, encodeAuthMoreData, encodeAuthSwitchRequest, isSSLRequest, parseHandshakeResponse, type HandshakeResponse } from './handshake.ts';
import { DEFAULT_AUTH_PLUGIN, newConnectionId, newScramble, proxyGreeting } from './greeting.ts';

/** The client's HandshakeResponse41 and where the exchange stands. */
export interface ClientHello {
  response: HandshakeResponse;
  /** Sequence id of the next packet we send the client. */
  nextSeq: number;
  scramble: Buffer;
  /** The connection id of the greeting the client got (the proxy's or ours). */
  connectionId: number;
}

/**
 * Sends the greeting when the proxy did not, and reads the client's HandshakeResponse41.
 * `allocateId` gives the connection id of our own greeting (default: a random one).
 */
export async function readClientHello(ps: PacketStream, header: DatabaseSessionHeader, allocateId: () => number = newConnectionId): Promise<ClientHello> {
  let scramble: Buffer;
  let connectionId: number;
  if (header.mysql) {
    scramble = Buffer.from(header.mysql.scramble, 'base64');
    connectionId = header.mysql.connection_id;
  } else {
    scramble = newScramble();
    connectionId = allocateId();
    ps.write(0, proxyGreeting({ connectionId, scramble, ssl: false }));
  }
  const p = await ps.read();
  if (!p) throw new MySQLProtocolError('the client closed the connection before the handshake response');
  if (isSSLRequest(p.payload)) {
    throw new MySQLProtocolError('TLS is already provided by the Teleport proxy: connect without --ssl to the local endpoint');
  }
  return { response: parseHandshakeResponse(p.payload), nextSeq: p.lastSeq + 1, scramble, connectionId };
}

/**
 * Completes the client's auth plugin exchange without checking the password. Returns the sequence id
 * for the final OK or ERR.
 *
 * - mysql_native_password or no plugin: nothing more to do.
 * - caching_sha2_password: a client that computed its scramble from our greeting gets AuthMoreData
 *   "fast auth success", as from a MySQL 8 server with a warm cache. A client that sent an empty
 *   response (MariaDB Connector/C does when its plugin differs from the greeting's; or an empty
 *   password) first gets an AuthSwitchRequest to caching_sha2_password with our scramble.
 * - anything else (client_ed25519, sha256_password, dialog, ...): AuthSwitchRequest to
 *   mysql_native_password and read the client's answer.
 */
export function finishClientAuth(ps: PacketStream, hello: ClientHello): Promise<number> {
  const { response } = hello;
  return finishAuthExchange(ps, { plugin: response.authPluginName, authResponse: response.authResponse, seq: hello.nextSeq, scramble: hello.scramble });
}

/** Where a client's auth exchange stands: its plugin and first response, and our next sequence id. */
export interface AuthExchange {
  plugin: string;
  authResponse: Buffer;
  /** Sequence id of the next packet we send the client. */
  seq: number;
  /** The scramble the client computed its response with (our greeting's). */
  scramble: Buffer;
}

/**
 * The plugin logic of {@link finishClientAuth} for any point where a client authenticates: after
 * the HandshakeResponse41 and after COM_CHANGE_USER (where clients reuse the greeting's scramble and
 * the next server packet is sequence id 1). Returns the sequence id for the final OK or ERR.
 */
export async function finishAuthExchange(ps: PacketStream, x: AuthExchange): Promise<number> {
  let seq = x.seq;
  const plugin = x.plugin;
  if (plugin === '' || plugin === DEFAULT_AUTH_PLUGIN) return seq;
  const switchTo = async (pluginName: string): Promise<Buffer> => {
    ps.write(seq, encodeAuthSwitchRequest({ pluginName, pluginData: x.scramble }));
    const reply = await ps.read();
    if (!reply) throw new MySQLProtocolError('the client closed the connection during the auth switch');
    seq = reply.lastSeq + 1;
    return reply.payload;
  };
  if (plugin === 'caching_sha2_password') {
    let r = x.authResponse;
    if (isEmptyResponse(r)) r = await switchTo(plugin);
    if (isEmptyResponse(r)) return seq;
    ps.write(seq, encodeAuthMoreData(Buffer.from([CachingSha2.FAST_AUTH_SUCCESS])));
    return seq + 1;
  }
  await switchTo(DEFAULT_AUTH_PLUGIN);
  return seq;
}

/** An empty auth response: no bytes, or the single NUL some clients send for an empty password. */
function isEmptyResponse(r: Buffer): boolean {
  return r.length === 0 || (r.length === 1 && r[0] === 0);
}
