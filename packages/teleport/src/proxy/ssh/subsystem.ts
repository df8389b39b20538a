/**
 * @module proxy/ssh/subsystem
 * Session channels at the proxy. The only thing a session may do here is start the proxy subsystem,
 * `proxy:<host>:<port>@<cluster>` (upstream tsh's form; `tsh proxy ssh` and OpenSSH ProxyCommands
 * use it): its stdin/stdout become the byte pipe to the node. A refusal is accepted and answered on
 * stderr with exit status 1, so that `ssh -s` and tsh show why rather than "subsystem request
 * failed". A shell or command gets the same treatment with a hint: the proxy runs nothing itself.
 * In proxy recording mode (and for agentless nodes) the subsystem's stream is served by the
 * forwarding server instead of a byte pipe.
 */
import type { AcceptConnection, RejectConnection, ServerChannel, Session } from 'ssh2';
import { BadParameterError } from '@teleport-ts/api/errors';
import { sessionConnectEvent } from './audit.ts';
import { connectToNode, type ProxyConnection } from './context.ts';
import { bridge, describeNode } from './forward.ts';
import { isProxySubsystem, parseProxySubsystem } from './target.ts';

/** Told to clients that ask the proxy for a shell or a command. */
export const NO_SHELL_MESSAGE =
  "this is the Teleport proxy: it forwards SSH connections to nodes and runs no commands itself; use 'tsh ssh <node>' " +
  "or 'ssh -J <login>@<proxy> <login>@<node>'";

/** Writes `message` to the channel's stderr, exits with status 1 and closes the channel. */
function fail(channel: ServerChannel, message: string): void {
  channel.stderr.write(`ERROR: ${message}\n`);
  channel.exit(1);
  channel.end();
}

/** Handles one session channel open request on an authenticated connection. */
export function handleSession(pc: ProxyConnection, accept: AcceptConnection<Session>, _reject: RejectConnection, clusterName: string): void {
  const session = accept();
  let started = false;
  const once = (): boolean => {
    if (started) return false;
    started = true;
    return true;
  };
  // Harmless requests that clients send before the subsystem: accept and ignore.
  session.on('pty', (ok) => ok?.());
  session.on('env', (ok) => ok?.());
  session.on('window-change', (ok) => ok?.());
  session.on('auth-agent', (_ok, no) => no?.());
  session.on('x11', (_ok, no) => no?.());
  session.on('shell', (ok, no) => (once() ? fail(ok(), NO_SHELL_MESSAGE) : no()));
  session.on('exec', (ok, no) => (once() ? fail(ok(), NO_SHELL_MESSAGE) : no()));
  session.on('sftp', (_ok, no) => no());
  session.on('subsystem', (ok, no, info) => {
    if (!once()) return no();
    if (!isProxySubsystem(info.name)) return fail(ok(), `unknown subsystem "${info.name}": the proxy offers only proxy:<host>:<port>@<cluster>`);
    startProxySubsystem(pc, ok, info.name, clusterName);
  });
}

/**
 * Starts the proxy subsystem. The request is accepted before the node is dialled: OpenSSH sends
 * stdin as soon as it has asked for the subsystem, without waiting for the reply, and ssh2 drops
 * session data that arrives before the subsystem is accepted. Accepted first, the channel buffers
 * it (up to its window) until the pipe to the node is joined.
 */
function startProxySubsystem(pc: ProxyConnection, accept: AcceptConnection<ServerChannel>, name: string, clusterName: string): void {
  const log = pc.logger.child({ user: pc.who.user, login: pc.who.login, subsystem: name, via: 'proxy-subsystem' });
  const channel = accept();
  let req;
  try {
    req = parseProxySubsystem(name);
    if (req.cluster !== undefined && req.cluster !== clusterName) {
      throw new BadParameterError(`cluster "${req.cluster}" is not served by this proxy (its cluster is "${clusterName}"; trusted clusters are not supported)`);
    }
  } catch (err) {
    log.info(`refused: ${(err as Error).message}`);
    return fail(channel, (err as Error).message);
  }
  let clientGone = false;
  channel.once('close', () => (clientGone = true));
  connectToNode(pc, { host: req.host, port: req.port }, bridge).then((c) => {
    if (clientGone) return c.abandon();
    const node = c.node;
    log.info({ node: node.metadata.name, terminated: c.terminated }, `connected to node ${describeNode(node)}`);
    pc.audit(sessionConnectEvent({ user: pc.who.user, login: pc.who.login, node, remoteAddr: pc.remoteAddr, proxyId: pc.proxyId, via: 'proxy-subsystem' }));
    const untrack = pc.track(c.join(channel, {
      onNodeEnd: () => channel.exit(0),
      onNodeError: (err) => {
        channel.stderr.write(`ERROR: connection to node ${describeNode(node)} failed: ${err.message}\n`);
        channel.exit(1);
      },
      onClose: (err) => {
        untrack();
        log.debug({ err: err?.message }, 'forwarding ended');
      },
    }));
  }, (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    log.info(`refused: ${message}`);
    fail(channel, message);
  });
}
