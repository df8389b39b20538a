/**
 * @module proxy/web/terminal/nodeSession
 * The SSH side of a web terminal. The proxy logs in to its own SSH listener with the user's
 * certificate (exactly as `tsh ssh` does: the listener authenticates the user, audits the connection,
 * resolves the node from its cache and reaches it over TCP or its reverse tunnel, or terminates the
 * session itself for agentless nodes and proxy recording mode), asks it for the `proxy:` subsystem,
 * and logs in to the node over that stream, checking the node's host certificate against the cluster
 * host CA. So the node authorizes, records and audits a web terminal like any tsh session. Then a PTY
 * (xterm-256color) and a shell; joining sends TELEPORT_SESSION and TELEPORT_PARTICIPANT_MODE first,
 * as `tsh join` does.
 */
import type { Client, ClientChannel } from 'ssh2';
import type { Clock } from '@teleport-ts/api/clock';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import { hostCertNames, nodePort } from '../../../client/ssh/nodes.ts';
import { connectNode, ProxyClient } from '../../../client/ssh/proxyClient.ts';
import { DEFAULT_NODE_PORT } from '../../../client/ssh/target.ts';
import type { TerminalCredentials } from './types.ts';

/** The terminal type requested for the PTY (what xterm.js emulates). */
export const TERMINAL_TYPE = 'xterm-256color';

/** What to open on which node. */
export interface NodeSessionRequest {
  creds: TerminalCredentials;
  login: string;
  /** Node name, host UUID or address, as the browser sent it. */
  typed: string;
  /** The node it names (the proxy's node cache). */
  node: Server;
  cols: number;
  rows: number;
  /** Join this session instead of starting a shell. */
  join?: { sid: string; mode: 'peer' | 'observer' };
}

/** How to reach nodes. */
export interface NodeSessionDeps {
  clusterName: string;
  proxySSHAddr: { host: string; port: number };
  hostCAKeys: Buffer[];
  clock: Clock;
}

/** An open shell on a node. */
export interface NodeSession {
  /** The node as the proxy's cache knows it. */
  node: Server;
  channel: ClientChannel;
  /** Changes the PTY size (window-change). */
  resize(cols: number, rows: number): void;
  /** Ends the shell channel and both SSH connections. */
  close(): void;
}

/** host:port to dial for a listener bound to `addr` (an unspecified address means loopback). */
export function dialableAddr(addr: { host: string; port: number }): string {
  const host = addr.host === '0.0.0.0' || addr.host === '' ? '127.0.0.1' : addr.host === '::' ? '::1' : addr.host;
  return host.includes(':') ? `[${host}]:${addr.port}` : `${host}:${addr.port}`;
}

function openShell(conn: Client, req: NodeSessionRequest): Promise<ClientChannel> {
  const env: Record<string, string> = req.join ? { TELEPORT_SESSION: req.join.sid, TELEPORT_PARTICIPANT_MODE: req.join.mode } : {};
  return new Promise((resolve, reject) => {
    conn.shell({ term: TERMINAL_TYPE, cols: req.cols, rows: req.rows, width: 0, height: 0 }, { env }, (err, channel) => {
      if (err) reject(new ConnectionProblemError(`the node refused the session: ${err.message}`, { cause: err }));
      else resolve(channel);
    });
  });
}

/**
 * Logs in to the node through the proxy's SSH listener and opens a PTY shell (or joins a session).
 * Rejects with the error kinds of client/ssh/connection (AccessDeniedError for a refused login,
 * TrustError for a bad host certificate, ConnectionProblemError for an unreachable node, ...).
 */
export async function openNodeSession(req: NodeSessionRequest, deps: NodeSessionDeps): Promise<NodeSession> {
  const node = req.node;
  const key = { privateKeyPEM: req.creds.keyPEM, certLine: req.creds.sshCert };
  const proxy = await ProxyClient.connect({
    addr: dialableAddr(deps.proxySSHAddr), key, login: req.login, hostCAKeys: deps.hostCAKeys, cluster: deps.clusterName, clock: deps.clock,
  });
  let conn: Client | undefined;
  try {
    conn = await connectNode(proxy, {
      node: node.metadata.name,
      port: nodePort(node) ?? DEFAULT_NODE_PORT,
      names: hostCertNames(req.typed, node, deps.clusterName),
      display: node.spec.hostname || req.typed,
      login: req.login, key, hostCAKeys: deps.hostCAKeys, clock: deps.clock,
    });
    const channel = await openShell(conn, req);
    const nodeConn = conn;
    return {
      node,
      channel,
      resize: (cols, rows) => channel.setWindow(rows, cols, 0, 0),
      close: () => {
        channel.close();
        nodeConn.end();
        proxy.close();
      },
    };
  } catch (err) {
    conn?.end();
    proxy.close();
    throw err;
  }
}
