/**
 * @module proxy/web/terminal/types
 * What the web terminal needs from the rest of the proxy: a way to turn the browser's web session
 * (the `__Host-session` cookie plus the bearer token of its first message) into the user's SSH
 * credentials, and the proxy's own SSH listener, node cache and host CA keys, through which every web
 * terminal reaches its node exactly as `tsh ssh` does.
 */
import type { Server } from '@teleport-ts/api/types/server';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import type { Clock } from '@teleport-ts/api/clock';
import type { Logger } from '../../../utils/logger.ts';
import type { NodeSession, NodeSessionDeps, NodeSessionRequest } from './nodeSession.ts';

/** Path of the terminal WebSocket (`:site` is the cluster name). */
export const TERMINAL_WS_PATH = '/v1/webapi/sites/:site/connect/ws';

/** The user's SSH credentials from a web session. */
export interface TerminalCredentials {
  /** Teleport user name. */
  user: string;
  /** OpenSSH user certificate line ("ssh-ed25519-cert-v01@openssh.com AAAA..."). */
  sshCert: string;
  /** Private key of the certificate (PEM). */
  keyPEM: string;
  /** When the web session (and its certificates) expire; the terminal is closed then. */
  expires: Date;
}

/**
 * Resolves a web session from the upgrade request's Cookie header and the bearer token the browser
 * sent in its first message. Rejects (any error; its message reaches the browser) when the cookie or
 * the token is missing, wrong or expired.
 */
export interface TerminalSessionSource {
  fromCookie(cookieHeader: string | undefined, bearer: string): Promise<TerminalCredentials>;
}

/** Finds nodes the way the proxy's SSH listener does (proxy/ssh/nodeResolver's NodeResolver). */
export interface TerminalNodeLookup {
  resolve(target: { host: string; port: number }): Promise<Server>;
}

/** Reads live session trackers (an AuthClient of the proxy: role Proxy may list them). */
export interface TerminalTrackerSource {
  listResources<T extends SessionTracker>(kind: 'session_tracker'): Promise<T[]>;
}

/** Inputs of the terminal WebSocket handler. */
export interface TerminalOptions {
  /** This cluster's name: the only `:site` served. */
  clusterName: string;
  sessions: TerminalSessionSource;
  /** The proxy SSH listener's bound address (0.0.0.0 / :: are dialled on loopback). */
  proxySSHAddr: () => { host: string; port: number };
  /** The cluster's host CA public key blobs (for the proxy's and the node's host certificates). */
  hostCAKeys: () => Buffer[];
  nodes: TerminalNodeLookup;
  /** Used to learn the id of a session the terminal started (to share it); absent: no session message for new sessions. */
  trackers?: TerminalTrackerSource;
  /**
   * Origins besides `https://<Host header>` that may open a terminal (e.g. `https://<public_addr>`);
   * anything else gets 403 (cross-site WebSocket hijacking).
   */
  allowedOrigins?: () => string[];
  clock: Clock;
  logger: Logger;
  /** How long the browser has for its auth and connect messages (default 10 s each). */
  handshakeTimeoutMs?: number;
  /** Pause SSH output while more than this many bytes wait to go to the browser (default 1 MiB). */
  highWaterMark?: number;
  /** Opens the shell on the node: nodeSession.ts's openNodeSession unless replaced (tests). */
  openSession?: (req: NodeSessionRequest, deps: NodeSessionDeps) => Promise<NodeSession>;
}
