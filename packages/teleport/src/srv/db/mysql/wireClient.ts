/**
 * @module srv/db/mysql/wireClient
 * A minimal MySQL client over the codec, for tests and diagnostics: the connection phase (greeting,
 * HandshakeResponse41 with mysql_native_password, auth switch to native, caching_sha2 fast auth),
 * COM_QUERY, the binary protocol (COM_STMT_PREPARE / EXECUTE / CLOSE), COM_INIT_DB,
 * COM_CHANGE_USER and COM_QUIT. Responses are returned as their raw packets plus the first packet
 * decoded; it does not decode result rows (the CLI tests do that against real clients).
 */
import type { Duplex } from 'node:stream';
import { PacketStream } from './packetStream.ts';
import { type Packet } from './packets.ts';
import {
  Capability,
  CHARSET_UTF8MB4_GENERAL_CI,
  encodeHandshakeResponse,
  parseAuthSwitchRequest,
  parseInitialHandshake,
  scrambleCachingSha2Password,
  scrambleNativePassword,
  type InitialHandshake,
} from './handshake.ts';
import {
  Command,
  encodeChangeUser,
  encodeComInitDB,
  encodeComQuery,
  encodeComStmtPrepare,
  encodeStmtIdCommand,
  parseERR,
  parseStmtPrepareOK,
  type ERRPacket,
  type StmtPrepareOK,
} from './messages.ts';
import { encodeStmtExecute, type ExecuteValue } from './stmtExecute.ts';
import { ResponseTracker } from './responseTracker.ts';
import { PROXY_CAPABILITIES } from './greeting.ts';

/** A command's response: every packet, and the ERR if the first one was an error. */
export interface WireResponse {
  packets: Buffer[];
  error?: ERRPacket;
}

/** Connection options of {@link MySQLWireClient.connect}. */
export interface WireClientOptions {
  user: string;
  database?: string;
  password?: string;
  /** Plugin named in the HandshakeResponse41; default mysql_native_password. */
  authPluginName?: string;
}

/** A connected test client (see the module comment). */
export class MySQLWireClient {
  private constructor(
    readonly packets: PacketStream,
    readonly greeting: InitialHandshake,
    readonly capabilities: number,
  ) {}

  /** Runs the connection phase on `stream`. Rejects with the server's ERR message. */
  static async connect(stream: Duplex, o: WireClientOptions): Promise<MySQLWireClient> {
    const ps = new PacketStream(stream);
    const hello = await ps.read();
    if (!hello) throw new Error('server closed before the greeting');
    const greeting = parseInitialHandshake(hello.payload);
    const caps = (PROXY_CAPABILITIES & greeting.capabilities & ~Capability.CONNECT_ATTRS) >>> 0;
    const plugin = o.authPluginName ?? 'mysql_native_password';
    const scramble = (name: string, data: Buffer): Buffer =>
      name === 'caching_sha2_password' ? scrambleCachingSha2Password(o.password ?? '', data) : scrambleNativePassword(o.password ?? '', data);
    ps.write(
      hello.lastSeq + 1,
      encodeHandshakeResponse({
        capabilities: caps,
        maxPacketSize: 1 << 24,
        charset: CHARSET_UTF8MB4_GENERAL_CI,
        mariadbCapabilities: 0,
        user: o.user,
        authResponse: scramble(plugin, greeting.scramble),
        database: o.database ?? '',
        authPluginName: plugin,
        attributes: {},
      }),
    );
    for (;;) {
      const p = await ps.read();
      if (!p) throw new Error('server closed during authentication');
      const kind = p.payload[0];
      if (kind === 0x00) return new MySQLWireClient(ps, greeting, caps);
      if (kind === 0xff) throw new Error(parseERR(p.payload).message);
      if (kind === 0xfe) {
        const sw = parseAuthSwitchRequest(p.payload);
        ps.write(p.lastSeq + 1, scramble(sw.pluginName, sw.pluginData));
      } else if (kind !== 0x01) {
        throw new Error(`unexpected packet 0x${(kind ?? 0).toString(16)} during authentication`);
      }
    }
  }

  private async command(payload: Buffer, kind: 'resultset' | 'prepare' | 'single'): Promise<WireResponse> {
    this.packets.write(0, payload);
    const tracker = new ResponseTracker<number>(false);
    tracker.expect(kind, 0);
    const out: WireResponse = { packets: [] };
    while (tracker.pending.length > 0) {
      const p: Packet | null = await this.packets.read();
      if (!p) throw new Error('server closed the connection');
      out.packets.push(p.payload);
      const start = tracker.onServerFrame({ seq: p.seq, payload: p.payload, raw: Buffer.alloc(0) });
      if (start?.kind === 'error') out.error = start.error;
    }
    return out;
  }

  /** COM_QUERY. */
  query(sql: string): Promise<WireResponse> {
    return this.command(encodeComQuery(sql), 'resultset');
  }

  /** COM_INIT_DB. */
  initDB(db: string): Promise<WireResponse> {
    return this.command(encodeComInitDB(db), 'single');
  }

  /**
   * COM_CHANGE_USER as libmariadb's mysql_change_user() sends it (the response computed with the
   * greeting's scramble, empty for no password), then the auth exchange: AuthSwitchRequest answered,
   * AuthMoreData skipped, until OK or ERR. `packets` are every server packet, in order.
   */
  async changeUser(user: string, database: string, o: { password?: string; authPluginName?: string; attributes?: Record<string, string> } = {}): Promise<WireResponse> {
    const plugin = o.authPluginName ?? 'mysql_native_password';
    const scramble = (name: string, data: Buffer): Buffer =>
      name === 'caching_sha2_password' ? scrambleCachingSha2Password(o.password ?? '', data) : scrambleNativePassword(o.password ?? '', data);
    const authResponse = scramble(plugin, this.greeting.scramble);
    this.packets.write(0, encodeChangeUser({ user, database, authPluginName: plugin, authResponse, ...(o.attributes ? { attributes: o.attributes } : {}) }, CHARSET_UTF8MB4_GENERAL_CI));
    const out: WireResponse = { packets: [] };
    for (;;) {
      const p = await this.packets.read();
      if (!p) throw new Error('server closed the connection');
      out.packets.push(p.payload);
      const kind = p.payload[0];
      if (kind === 0x00) return out;
      if (kind === 0xff) return { ...out, error: parseERR(p.payload) };
      if (kind === 0xfe) {
        const sw = parseAuthSwitchRequest(p.payload);
        this.packets.write(p.lastSeq + 1, scramble(sw.pluginName, sw.pluginData));
      }
    }
  }

  /** COM_STMT_PREPARE; returns PREPARE_OK or the ERR. */
  async prepare(sql: string): Promise<StmtPrepareOK | ERRPacket> {
    const r = await this.command(encodeComStmtPrepare(sql), 'prepare');
    return r.error ?? parseStmtPrepareOK(r.packets[0] as Buffer);
  }

  /** COM_STMT_EXECUTE with freshly bound parameter types. */
  execute(statementId: number, values: ExecuteValue[]): Promise<WireResponse> {
    return this.command(encodeStmtExecute(statementId, values), 'resultset');
  }

  /** COM_STMT_CLOSE (no response). */
  closeStatement(statementId: number): void {
    this.packets.write(0, encodeStmtIdCommand(Command.STMT_CLOSE, statementId));
  }

  /** COM_QUIT, then waits for the server to close. */
  async quit(): Promise<void> {
    this.packets.write(0, Buffer.from([Command.QUIT]));
    while (await this.packets.read().catch(() => null));
  }
}
