/**
 * @module srv/ssh/sessionChannel
 * One `session` channel: collects its setup requests (env, pty-req, auth-agent-req), then starts
 * what it asks for - a shell, a command, the sftp subsystem, or joining a running session (env
 * TELEPORT_SESSION) - and routes later requests (window-change, signal) to it. Errors that stop a
 * session from starting are written to the client's stderr with a non-zero exit status, so the
 * person sees them.
 */
import { randomUUID } from 'node:crypto';
import type { AcceptConnection, ServerChannel, Session } from 'ssh2';
import { errorMessage } from '@teleport-ts/api/errors';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import { AgentForwarder, agentForwardingDenial } from './agentForwarding.ts';
import { connFields, type ConnContext } from './context.ts';
import { ENV_TELEPORT_PARTICIPANT_MODE, ENV_TELEPORT_SESSION, isAllowedClientEnv, sessionEnv } from './env.ts';
import { failChannel } from './exec.ts';
import { ExecSession } from './execSession.ts';
import { joinSession } from './join.ts';
import { CLIENT_SIGNALS, ptySize, type PtyRequest } from './pty.ts';
import { InteractiveSession } from './session.ts';
import { runSftp } from './sftp.ts';

/** Setup collected before the session starts. */
interface ChannelState {
  env: Record<string, string>;
  pty?: PtyRequest;
  agent?: Promise<AgentForwarder | undefined>;
  running?: { resize(cols: number, rows: number, by: string): void; signal(name: string): void };
  started: boolean;
}

/** Handles a `session` channel request for an authenticated connection. */
export function handleSessionChannel(c: ConnContext, acceptSession: AcceptConnection<Session>): void {
  const session = acceptSession();
  const st: ChannelState = { env: {}, started: false };

  session.on('env', (accept, reject, info) => {
    if (!st.started && isAllowedClientEnv(info.key)) {
      st.env[info.key] = info.val;
      accept?.();
    } else {
      reject?.();
    }
  });
  session.on('pty', (accept, reject, info) => {
    if (st.started || !c.user.identity.permitPTY) return reject?.();
    st.pty = { term: info.term, ...ptySize(info.cols, info.rows) };
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    const size = ptySize(info.cols, info.rows);
    if (st.pty) st.pty = { ...st.pty, ...size };
    st.running?.resize(size.cols, size.rows, c.user.identity.username);
    accept?.();
  });
  session.on('signal', (accept, reject, info) => {
    const name = info.name.replace(/^SIG/, '');
    if (!st.running || !CLIENT_SIGNALS.has(name)) return reject?.();
    st.running.signal(name);
    accept?.();
  });
  session.on('auth-agent', (accept, reject) => {
    const denial = agentForwardingDenial(c);
    if (denial || st.agent) {
      if (denial) c.logger.info({ reason: denial }, 'agent forwarding refused');
      return reject?.();
    }
    st.agent = AgentForwarder.start(c.conn, c.user.osUser).catch((err: unknown) => {
      c.logger.warn({ err: errorMessage(err) }, 'could not create the forwarded agent socket');
      return undefined;
    });
    // A client may drop the connection without closing the channel: ssh2 then never emits the session's 'close'.
    c.conn.once('close', () => void st.agent?.then((a) => a?.close()));
    accept?.();
  });
  session.on('shell', (accept, reject) => (st.started ? reject?.() : void start(c, st, accept, undefined)));
  session.on('exec', (accept, reject, info) => (st.started ? reject?.() : void start(c, st, accept, info.command)));
  session.on('subsystem', (accept, reject, info) => {
    if (st.started || info.name !== 'sftp') return reject?.();
    st.started = true;
    const channel = accept();
    if (!c.user.checker.canCopyFiles()) {
      const msg = 'file copying (scp/sftp) is disabled by your roles (ssh_file_copy: false)';
      c.node.auditor.emit({ event: EventTypes.subsystem, code: EventCodes.subsystemFailure, ...connFields(c), name: 'sftp', exitError: msg });
      return failChannel(channel, `teleport: ${msg}`);
    }
    runSftp(c, channel, env(c, st, randomUUID()));
  });
  session.once('close', () => void st.agent?.then((a) => a?.close()));
}

function env(c: ConnContext, st: ChannelState, sessionId: string, agentSocket?: string): Record<string, string> {
  return sessionEnv({
    user: c.user.osUser, clientEnv: st.env, endpoints: c.endpoints, sessionId, teleportUser: c.user.identity.username,
    hostId: c.node.hostId, clusterName: c.node.clusterName, ...(st.pty && { term: st.pty.term }), ...(agentSocket && { agentSocket }),
  });
}

/** Legacy `scp -t` / `scp -f` commands (scp -O); refused like sftp when file copy is disabled. */
const SCP_COMMAND = /^\s*(\S*\/)?scp\s+(.*\s)?-[a-zA-Z]*[tf]/;

async function start(c: ConnContext, st: ChannelState, accept: AcceptConnection<ServerChannel>, command: string | undefined): Promise<void> {
  st.started = true;
  const channel = accept();
  channel.on('error', () => undefined);
  try {
    const joinId = st.env[ENV_TELEPORT_SESSION];
    if (joinId !== undefined && command === undefined) {
      st.running = await joinSession(c, channel, joinId, st.env[ENV_TELEPORT_PARTICIPANT_MODE]);
      return;
    }
    if (command !== undefined && SCP_COMMAND.test(command) && !c.user.checker.canCopyFiles()) {
      throw new Error('file copying (scp/sftp) is disabled by your roles (ssh_file_copy: false)');
    }
    const agent = await st.agent;
    const id = randomUUID();
    const vars = env(c, st, id, agent?.socketPath);
    if (st.pty) {
      const recording = await c.node.recordings.open({
        sessionId: id, roles: c.user.checker.roles, width: st.pty.cols, height: st.pty.rows, participants: [c.user.identity.username],
        env: { TERM: st.pty.term, SHELL: c.user.osUser.shell },
      });
      try {
        st.running = InteractiveSession.start(c.node, {
          id, osUser: c.user.osUser, pty: st.pty, env: vars, recording, ...(command !== undefined && { command }),
          owner: { user: c.user.identity.username, login: c.user.login, mode: 'peer', channel, remoteAddr: c.remoteAddr, localAddr: c.localAddr },
        });
      } catch (err) {
        await recording.sink?.close().catch(() => undefined);
        throw err;
      }
      return;
    }
    const s = ExecSession.start(id, c, command, channel, vars);
    st.running = { resize: () => undefined, signal: (name) => s.signal(name) };
  } catch (err) {
    c.logger.info({ err: errorMessage(err), command }, 'session did not start');
    failChannel(channel, `teleport: ${errorMessage(err)}`);
  }
}
