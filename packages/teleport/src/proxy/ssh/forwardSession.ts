/**
 * @module proxy/ssh/forwardSession
 * Session channels at the forwarding server, relayed to a session channel on the node: pty-req,
 * env and auth-agent-req are remembered and sent with the shell, exec or subsystem request (the
 * order OpenSSH uses); window-change and signal follow; stdout, stderr and EOF flow both ways with
 * backpressure; the node's exit-status or exit-signal reaches the client before the channel closes.
 * A start request is accepted before the node is asked, because ssh2 drops data that arrives before
 * it is accepted; a node's refusal then comes back as a message on stderr and exit status 1.
 * Interactive sessions (with a terminal) are recorded here (ForwardRecording) and audited with
 * session.start/end; exec and subsystem requests get their own events.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type {
  AcceptConnection, Channel, ClientChannel, ExecOptions, PseudoTtyInfo, PseudoTtyOptions, RejectConnection, ServerChannel, Session,
} from 'ssh2';
import { errorMessage } from '@teleport-ts/api/errors';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { ForwardedConnection } from './forwardContext.ts';
import { ForwardRecording } from './forwardRecording.ts';

/** What a session asked to run. */
export type SessionStart = { kind: 'shell' } | { kind: 'exec'; command: string } | { kind: 'subsystem'; name: string };

/** How the node's side ended. */
export interface SessionExit {
  code: number | null;
  signal?: string;
  coreDumped?: boolean;
  description?: string;
}

interface SessionState {
  pty?: PseudoTtyInfo;
  env: Record<string, string>;
  agent: boolean;
  started: boolean;
  node?: ClientChannel;
  recording?: ForwardRecording;
}

/** Handles a session channel open request on a forwarded connection. */
export function handleForwardedSession(fc: ForwardedConnection, accept: AcceptConnection<Session>, _reject: RejectConnection): void {
  const session = accept();
  const st: SessionState = { env: {}, agent: false, started: false };
  session.on('pty', (ok, _no, info) => {
    st.pty = info;
    ok?.();
  });
  session.on('env', (ok, _no, info) => {
    st.env[info.key] = info.val;
    ok?.();
  });
  // The node decides: the re-issued certificate carries the original's permit-agent-forwarding.
  session.on('auth-agent', (ok) => {
    st.agent = true;
    fc.agentRequested = true;
    ok?.();
  });
  session.on('x11', (_ok, no) => no?.());
  session.on('window-change', (ok, _no, info) => {
    ok?.();
    if (st.pty) Object.assign(st.pty, { cols: info.cols, rows: info.rows, width: info.width, height: info.height });
    if (st.node && st.pty) {
      st.node.setWindow(info.rows, info.cols, info.height, info.width);
      st.recording?.resize(info.cols, info.rows);
    }
  });
  session.on('signal', (ok, _no, info) => {
    ok?.();
    st.node?.signal(info.name);
  });
  const start = (ok: AcceptConnection<ServerChannel>, no: RejectConnection, what: SessionStart): void => {
    if (st.started) return no();
    st.started = true;
    const channel = ok();
    if (channel) void runSession(fc, channel, what, st);
  };
  session.on('shell', (ok, no) => start(ok, no, { kind: 'shell' }));
  session.on('exec', (ok, no, info) => start(ok, no, { kind: 'exec', command: info.command }));
  session.on('subsystem', (ok, no, info) => start(ok, no, { kind: 'subsystem', name: info.name }));
}

/** Writes `message` to stderr, exits 1 and closes the channel. */
function fail(channel: ServerChannel, message: string): void {
  channel.stderr.write(`ERROR: ${message}\n`);
  channel.exit(1);
  channel.end();
}

async function runSession(fc: ForwardedConnection, channel: ServerChannel, what: SessionStart, st: SessionState): Promise<void> {
  const sid = randomUUID();
  const log = fc.logger.child({ sid, kind: what.kind });
  let clientGone = false;
  channel.once('close', () => (clientGone = true));
  channel.on('error', () => undefined);
  const asked = st.pty && { cols: st.pty.cols, rows: st.pty.rows };
  let node: ClientChannel;
  try {
    node = await openNodeChannel(fc, what, st);
  } catch (err) {
    const message = `node '${fc.node.spec.hostname}' refused the ${what.kind === 'subsystem' ? `${what.name} subsystem` : what.kind}: ${errorMessage(err)}`;
    log.info(message);
    if (what.kind === 'subsystem') fc.audit({ event: EventTypes.subsystem, code: EventCodes.subsystemFailure, ...fc.fields, name: what.name, error: message });
    return fail(channel, message);
  }
  if (clientGone) return void node.close();
  // The node's output waits (paused, within its window) until the recording is ready.
  const pty = what.kind === 'subsystem' ? undefined : st.pty;
  if (pty) {
    try {
      st.recording = await ForwardRecording.start(fc, { sid, pty, channel, node, ...(what.kind === 'exec' && { command: what.command }) });
    } catch (err) {
      node.close();
      return fail(channel, errorMessage(err));
    }
  }
  st.node = node;
  // A window change while the node was being asked is applied now.
  if (st.pty && asked && (st.pty.cols !== asked.cols || st.pty.rows !== asked.rows)) node.setWindow(st.pty.rows, st.pty.cols, st.pty.height, st.pty.width);
  const started = fc.clock.now();
  if (what.kind === 'subsystem') fc.audit({ event: EventTypes.subsystem, code: EventCodes.subsystem, ...fc.fields, name: what.name });
  else if (!st.recording) {
    fc.audit({
      event: EventTypes.sessionStart, code: EventCodes.sessionStart, ...fc.fields, sid, interactive: false, session_recording: 'off',
      ...(what.kind === 'exec' && { initial_command: [what.command] }),
    });
  }

  const exit = await relay(channel, node);
  log.debug({ exit }, 'session ended');
  if (what.kind === 'exec') {
    const failed = exit.code !== 0;
    fc.audit({
      event: EventTypes.exec, code: failed ? EventCodes.execFailure : EventCodes.exec, ...fc.fields, sid, command: what.command,
      exitCode: String(exit.code ?? ''), ...(exit.signal && { exitSignal: exit.signal }),
      ...(failed && { exitError: exit.signal ? `killed by ${exit.signal}` : exit.code === null ? 'no exit status' : `exit status ${exit.code}` }),
    });
  }
  if (st.recording) await st.recording.end(exit);
  else if (what.kind !== 'subsystem') {
    const ended = fc.clock.now();
    fc.audit({
      event: EventTypes.sessionEnd, code: EventCodes.sessionEnd, ...fc.fields, sid, participants: [fc.user], interactive: false, session_recording: 'off',
      session_start: started.toISOString(), session_stop: ended.toISOString(), duration_ms: ended.getTime() - started.getTime(),
    });
  }
}

/** Opens the node's session channel and makes the start request, with the remembered pty, env and agent requests. */
function openNodeChannel(fc: ForwardedConnection, what: SessionStart, st: SessionState): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | undefined, ch: ClientChannel): void => (err ? reject(err) : resolve(ch));
    const ptyOpts: PseudoTtyOptions | undefined = st.pty && {
      rows: st.pty.rows, cols: st.pty.cols, height: st.pty.height, width: st.pty.width, term: st.pty.term, modes: st.pty.modes,
    };
    // agentForward is honoured by ssh2 but missing from @types/ssh2's ExecOptions.
    const opts = { env: st.env, ...(st.agent && { agentForward: true }) } as ExecOptions;
    if (what.kind === 'shell') fc.nodeClient.shell(ptyOpts ?? false, opts, cb);
    else if (what.kind === 'exec') fc.nodeClient.exec(what.command, { ...opts, ...(ptyOpts && { pty: ptyOpts }) }, cb);
    else fc.nodeClient.subsys(what.name, cb);
  });
}

/** Resolves once everything written to `w` so far went out, or the channel is closed. */
function flushed(w: Writable, channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    if ((channel.outgoing as { state?: string }).state !== 'open' || w.writableEnded || w.destroyed) return resolve();
    channel.once('close', () => resolve());
    w.write(Buffer.alloc(0), () => resolve());
  });
}

/**
 * Joins the client's channel and the node's. Client EOF half-closes the node side; when the node
 * side closes, its output is flushed, its exit status forwarded, then the client's channel closed.
 * The client closing its channel closes the node's. Resolves with how the node side ended.
 */
function relay(channel: ServerChannel, node: ClientChannel): Promise<SessionExit> {
  let exit: SessionExit = { code: null };
  node.on('exit', (code: number | null, signal?: string, coreDumped?: boolean, description?: string) => {
    exit = code !== null && code !== undefined ? { code } : { code: null, ...(signal && { signal }), coreDumped: coreDumped === true, ...(description && { description }) };
  });
  node.on('error', () => undefined);
  channel.pipe(node);
  node.pipe(channel, { end: false });
  node.stderr.pipe(channel.stderr, { end: false });
  channel.once('close', () => node.close());
  return new Promise((resolve) => {
    node.once('close', () => {
      void Promise.all([flushed(channel, channel), flushed(channel.stderr, channel)]).then(() => {
        try {
          if (exit.code !== null) channel.exit(exit.code);
          else if (exit.signal) channel.exit(exit.signal, exit.coreDumped, exit.description);
        } catch {
          // A signal name ssh2 does not know, or the channel went away: nothing to tell.
        }
        channel.end();
        resolve(exit);
      });
    });
  });
}
