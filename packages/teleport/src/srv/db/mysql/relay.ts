/**
 * @module srv/db/mysql/relay
 * The command phase: client packets go to the database unchanged (sequence ids included; every
 * command restarts at 0) after the proxy has looked at them for the audit log and the few commands it
 * must decide itself; server frames go back unchanged while a {@link ResponseTracker} finds where each
 * response starts (statement ids of COM_STMT_PREPARE_OK, ERR results for failed-query events).
 *
 * Decided here: COM_INIT_DB is authorized for the new database name first; COM_CHANGE_USER is
 * authorized and served on a new upstream connection as the new user (changeUser.ts; refused when the
 * engine gives no {@link ChangeUserSupport}); `KILL [QUERY|CONNECTION] <id>` naming a session of the
 * same Teleport user by the connection id of Teleport's greeting is rewritten to the database's
 * thread id, and refused for another user's session (threadRegistry.ts); replication and MariaDB bulk
 * commands are refused; malformed packets end the session with an ERR.
 */
import type { Duplex } from 'node:stream';
import { errorMessage } from '@teleport-ts/api/errors';
import type { EngineContext } from '../common/engine.ts';
import type { PacketStream } from './packetStream.ts';
import { joinFrames, writeWithBackpressure } from './packetStream.ts';
import { encodePacket, MySQLProtocolError, PayloadReader, type Packet } from './packets.ts';
import { Capability, hasCapability } from './handshake.ts';
import { Command, encodeComQuery, encodeERR, type ERRPacket } from './messages.ts';
import { parseStmtExecute, type ParamType } from './stmtExecute.ts';
import { ResponseTracker, type ResponseKind, type ResponseStart } from './responseTracker.ts';
import { ProxyError } from './greeting.ts';
import { negotiateChangeUser, type ChangeUserSupport } from './changeUser.ts';
import { decideKill, mysqlThreadRegistry, type ThreadRegistry } from './threadRegistry.ts';

/** Refused with ERR for COM_CHANGE_USER when the engine gives no {@link ChangeUserSupport}. */
export const CHANGE_USER_REFUSED = 'changing the database user inside a session is not supported: reconnect with --db-user';

/** Server frames already received are written to the client together up to about this many bytes. */
const COALESCE_BYTES = 64 * 1024;

/** A query audit waiting for the start of its response. */
interface PendingAudit {
  statement?: string;
  parameters?: string[];
  /** For COM_STMT_PREPARE: the SQL to remember under the returned statement id. */
  prepare?: string;
}

interface Statement {
  sql: string;
  numParams: number;
  types: ParamType[];
  longData: Set<number>;
}

/**
 * Audit writes of a session, started at once (DatabaseAudit records them in call order, so waiting
 * for each round trip before the next would only cap the session at one event per round trip);
 * failures are logged, never thrown.
 */
export class AuditQueue {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly log: EngineContext['logger']) {}

  /** Starts one audit write. */
  push(write: () => Promise<void>): void {
    let started: Promise<void>;
    try {
      started = write();
    } catch (err) {
      started = Promise.reject(err);
    }
    const tracked: Promise<void> = started
      .catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'failed to write a database audit event'))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Resolves when every write started so far finished. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/** What the relay needs. */
export interface RelayOptions {
  ctx: EngineContext;
  client: PacketStream;
  upstream: PacketStream;
  dbUser: string;
  /** Capabilities of the upstream session (CLIENT_DEPRECATE_EOF decides the response layout). */
  capabilities: number;
  audit: AuditQueue;
  /** Serves COM_CHANGE_USER; absent: refused with {@link CHANGE_USER_REFUSED}. */
  changeUser?: ChangeUserSupport;
  /** Where KILL statements are translated; default the process-wide {@link mysqlThreadRegistry}. */
  threads?: ThreadRegistry;
}

/** Commands that never get through the proxy. */
const REFUSED_COMMANDS = new Set<number>([
  Command.BINLOG_DUMP,
  Command.BINLOG_DUMP_GTID,
  Command.REGISTER_SLAVE,
  Command.TABLE_DUMP,
  Command.CONNECT_OUT,
  Command.DAEMON,
  Command.STMT_BULK_EXECUTE,
]);

/** The response shape of each relayed command that gets one. */
const RESPONSE_KIND: Record<number, ResponseKind> = {
  [Command.QUERY]: 'resultset',
  [Command.STMT_EXECUTE]: 'resultset',
  [Command.PROCESS_INFO]: 'resultset',
  [Command.STMT_PREPARE]: 'prepare',
  [Command.FIELD_LIST]: 'untilEOF',
  [Command.STMT_FETCH]: 'untilEOF',
};

/** Commands that get no response at all. */
const NO_RESPONSE = new Set<number>([Command.QUIT, Command.STMT_CLOSE, Command.STMT_SEND_LONG_DATA]);

/** Runs the command phase until either side ends. */
export async function relayCommands(o: RelayOptions): Promise<void> {
  const { ctx, client, audit } = o;
  const threads = o.threads ?? mysqlThreadRegistry;
  let upstream = o.upstream;
  let dbUser = o.dbUser;
  /** Set while COM_CHANGE_USER replaces the upstream connection (the old one ending is expected then). */
  let switching: Promise<void> | undefined;
  let idle: (() => void) | undefined;
  const tracker = new ResponseTracker<PendingAudit>(hasCapability(o.capabilities, Capability.DEPRECATE_EOF));
  const statements = new Map<number, Statement>();
  let lastPrepared = 0;

  const auditQuery = (a: PendingAudit, error?: ERRPacket): void => {
    if (a.statement === undefined) return;
    const ev = {
      statement: a.statement,
      ...(a.parameters ? { parameters: a.parameters } : {}),
      ...(error ? { success: false, error: `${error.code} (${error.sqlState}): ${error.message}` } : { success: true }),
    };
    audit.push(() => ctx.audit.query(ev));
  };

  const onResponse = (start: ResponseStart<PendingAudit>): void => {
    const a = start.tag;
    if (start.kind === 'prepared' && a.prepare !== undefined) {
      statements.set(start.prepared.statementId, { sql: a.prepare, numParams: start.prepared.numParams, types: [], longData: new Set() });
      lastPrepared = start.prepared.statementId;
      return;
    }
    if (a.prepare !== undefined && start.kind === 'error') {
      auditQuery({ statement: a.prepare }, start.error);
      return;
    }
    auditQuery(a, start.kind === 'error' ? start.error : undefined);
  };

  const answer = (p: Packet, err: ERRPacket): void => client.write(p.lastSeq + 1, encodeERR(err));

  const serverLoop = async (): Promise<void> => {
    for (;;) {
      const up = upstream;
      // A retired connection may end with an error (a reset after COM_QUIT): that is its end too.
      const frame = await up.readFrame().catch((err: unknown) => {
        if (upstream === up && !switching) throw err;
        return null;
      });
      if (!frame) {
        idle?.(); // a COM_CHANGE_USER waiting for this connection's responses must not wait forever
        if (switching) await switching;
        if (upstream === up) return;
        continue;
      }
      // Every frame already read goes out in one write: one SSH packet and one TLS record for a
      // whole small result set instead of one per frame.
      const frames = [frame];
      let bytes = frame.raw.length;
      while (bytes < COALESCE_BYTES) {
        const f = up.bufferedFrame();
        if (!f) break;
        frames.push(f);
        bytes += f.raw.length;
      }
      for (const f of frames) {
        const start = tracker.onServerFrame(f);
        if (start) onResponse(start);
      }
      await writeWithBackpressure(client.stream, joinFrames(frames));
      if (idle && tracker.pending.length === 0) idle();
    }
  };

  /** Resolves once every response the old connection owes the client was relayed. */
  const whenIdle = (): Promise<void> => {
    if (tracker.pending.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      idle = () => {
        idle = undefined;
        resolve();
      };
    });
  };

  const changeUser = async (p: Packet, support: ChangeUserSupport): Promise<void> => {
    let done!: () => void;
    switching = new Promise<void>((resolve) => (done = resolve));
    try {
      await whenIdle();
      const changed = await negotiateChangeUser(p, { ctx, client, audit, support });
      if (!changed) return;
      const old = upstream;
      upstream = changed.upstream.packets;
      dbUser = changed.user;
      // The old session's prepared statements are gone with its connection (as on a real server).
      statements.clear();
      lastPrepared = 0;
      old.write(0, Buffer.from([Command.QUIT]));
      old.stream.end();
      support.switched(changed.upstream, changed.user, changed.database);
      client.write(changed.okSeq, changed.upstream.okPayload);
      audit.push(() => ctx.audit.query({ statement: changed.statement, success: true }));
    } finally {
      switching = undefined;
      done();
    }
  };

  const query = async (p: Packet, sql: string): Promise<void> => {
    const kill = decideKill(threads, ctx.database.name, ctx.identity.username, sql);
    if (kill.action === 'deny') {
      const err = { ...ProxyError.killDenied, message: `You are not owner of thread ${kill.id}` };
      audit.push(() => ctx.audit.query({ statement: sql, success: false, error: `${err.code} (${err.sqlState}): ${err.message}` }));
      answer(p, err);
      return;
    }
    if (kill.action === 'rewrite') {
      tracker.expect('resultset', { statement: sql, parameters: [`upstream thread ${kill.upstreamThreadId}`] });
      await writeWithBackpressure(upstream.stream, encodePacket(0, encodeComQuery(kill.statement)));
      return;
    }
    await forward(p, 'resultset', { statement: sql });
  };

  const forward = async (p: Packet, kind: ResponseKind | undefined, tag: PendingAudit): Promise<void> => {
    if (kind) tracker.expect(kind, tag);
    for (const raw of p.raw) await writeWithBackpressure(upstream.stream, raw);
  };

  const statementFor = (id: number): Statement | undefined => statements.get(id === 0xffffffff ? lastPrepared : id);

  /** Handles one client command; returns false when the session should end. */
  const handle = async (p: Packet): Promise<boolean> => {
    const cmd = p.payload[0];
    if (cmd === undefined) throw new MySQLProtocolError('empty command packet');
    const body = p.payload.subarray(1);
    switch (cmd) {
      case Command.QUIT:
        await forward(p, undefined, {});
        return false;
      case Command.QUERY:
        await query(p, body.toString('utf8'));
        return true;
      case Command.STMT_PREPARE:
        await forward(p, 'prepare', { prepare: body.toString('utf8') });
        return true;
      case Command.STMT_EXECUTE: {
        const id = new PayloadReader(body).u32();
        const st = statementFor(id);
        let tag: PendingAudit = { statement: `<unknown prepared statement ${id}>` };
        if (st) {
          const ex = parseStmtExecute(p.payload, st.numParams, st.types, st.longData);
          st.types = ex.types;
          st.longData.clear();
          tag = { statement: st.sql, ...(st.numParams > 0 ? { parameters: ex.parameters.map((v) => v ?? 'NULL') } : {}) };
        }
        await forward(p, 'resultset', tag);
        return true;
      }
      case Command.STMT_SEND_LONG_DATA: {
        const r = new PayloadReader(body);
        statementFor(r.u32())?.longData.add(r.u16());
        await forward(p, undefined, {});
        return true;
      }
      case Command.STMT_CLOSE:
        statements.delete(new PayloadReader(body).u32());
        await forward(p, undefined, {});
        return true;
      case Command.STMT_RESET:
        statementFor(new PayloadReader(body).u32())?.longData.clear();
        await forward(p, 'single', {});
        return true;
      case Command.INIT_DB: {
        const db = body.toString('utf8');
        const statement = `USE ${db}`;
        try {
          await ctx.authorize(dbUser, db);
        } catch (err) {
          audit.push(() => ctx.audit.query({ statement, success: false, error: errorMessage(err) }));
          answer(p, { ...ProxyError.dbAccessDenied, message: errorMessage(err) });
          return true;
        }
        await forward(p, 'single', { statement });
        return true;
      }
      case Command.CHANGE_USER:
        if (o.changeUser) await changeUser(p, o.changeUser);
        else answer(p, { ...ProxyError.notSupported, message: CHANGE_USER_REFUSED });
        return true;
      default:
        if (REFUSED_COMMANDS.has(cmd)) {
          answer(p, { ...ProxyError.notSupported, message: `MySQL command 0x${cmd.toString(16)} is not supported through Teleport` });
          return true;
        }
        await forward(p, NO_RESPONSE.has(cmd) ? undefined : (RESPONSE_KIND[cmd] ?? 'single'), {});
        return true;
    }
  };

  const clientLoop = async (): Promise<void> => {
    let nextSeq = 1;
    for (;;) {
      try {
        const p = await client.read();
        if (!p) return;
        nextSeq = p.lastSeq + 1;
        if (!(await handle(p))) return;
      } catch (err) {
        if (!(err instanceof MySQLProtocolError)) throw err;
        client.write(nextSeq, encodeERR({ ...ProxyError.protocol, message: `malformed MySQL packet: ${err.message}` }));
        return;
      }
    }
  };

  await runBoth(client.stream, () => upstream.stream, clientLoop, serverLoop, ctx);
  // Commands still waiting for a response when the session ended: audit them without a result.
  for (const a of tracker.pending) {
    const statement = a.statement ?? a.prepare;
    if (statement !== undefined) audit.push(() => ctx.audit.query({ statement, ...(a.parameters ? { parameters: a.parameters } : {}) }));
  }
}

/** Runs both directions; when one ends, half-closes both streams and gives the other 5 s to finish. */
async function runBoth(client: Duplex, upstream: () => Duplex, a: () => Promise<void>, b: () => Promise<void>, ctx: EngineContext): Promise<void> {
  const log = (dir: string) => (err: unknown) => ctx.logger.debug({ err: errorMessage(err), dir }, 'MySQL relay ended with an error');
  const pa = a().catch(log('client'));
  const pb = b().catch(log('server'));
  await Promise.race([pa, pb]);
  client.end();
  upstream().end();
  const timer = setTimeout(() => {
    client.destroy();
    upstream().destroy();
  }, 5_000);
  await Promise.all([pa, pb]);
  clearTimeout(timer);
}
