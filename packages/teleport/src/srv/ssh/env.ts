/**
 * @module srv/ssh/env
 * The environment of a session's process: what a login would set (HOME, USER, LOGNAME, SHELL,
 * PATH), OpenSSH's SSH_* variables, Teleport's own, and the `env` requests of the client that pass
 * the allow-list (sshd's AcceptEnv; anything that could change how programs load, like LD_* or
 * PATH, is never taken from the client).
 */
import { defaultPath, type OSUser } from './osUser.ts';

/** Environment variables the client may set (names or `PREFIX*`). */
export const CLIENT_ENV_ALLOWLIST: readonly string[] = ['LANG', 'LANGUAGE', 'LC_*', 'TZ', 'TERM', 'COLORTERM', 'TELEPORT_*'];

/** The client's session id for `tsh join`-style joining. */
export const ENV_TELEPORT_SESSION = 'TELEPORT_SESSION';
/** "observer" or "peer" for a joining participant. */
export const ENV_TELEPORT_PARTICIPANT_MODE = 'TELEPORT_PARTICIPANT_MODE';

/** True when a client `env` request for `name` is accepted. */
export function isAllowedClientEnv(name: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return false;
  return CLIENT_ENV_ALLOWLIST.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** An address pair as the SSH_* variables show it. */
export interface EndpointPair {
  remoteIP: string;
  remotePort: number;
  localIP: string;
  localPort: number;
}

/** Inputs of {@link sessionEnv}. */
export interface SessionEnvOptions {
  user: OSUser;
  /** Accepted client env requests (already filtered). */
  clientEnv: Record<string, string>;
  endpoints: EndpointPair;
  sessionId: string;
  teleportUser: string;
  hostId: string;
  clusterName: string;
  /** TERM from the pty-req, for sessions with a terminal. */
  term?: string;
  /** SSH_AUTH_SOCK when the agent is forwarded. */
  agentSocket?: string;
}

/** Builds the environment for a session process (client values never override ours). */
export function sessionEnv(o: SessionEnvOptions): Record<string, string> {
  const { remoteIP, remotePort, localIP, localPort } = o.endpoints;
  const env: Record<string, string> = { ...o.clientEnv };
  if (o.term) env.TERM = o.term;
  Object.assign(env, {
    HOME: o.user.home,
    USER: o.user.name,
    LOGNAME: o.user.name,
    SHELL: o.user.shell,
    PATH: defaultPath(o.user),
    SSH_CLIENT: `${remoteIP} ${remotePort} ${localPort}`,
    SSH_CONNECTION: `${remoteIP} ${remotePort} ${localIP} ${localPort}`,
    SSH_SESSION_ID: o.sessionId,
    TELEPORT_SESSION: o.sessionId,
    SSH_TELEPORT_USER: o.teleportUser,
    SSH_TELEPORT_HOST_UUID: o.hostId,
    SSH_TELEPORT_CLUSTER_NAME: o.clusterName,
  });
  delete env[ENV_TELEPORT_PARTICIPANT_MODE];
  if (o.agentSocket) env.SSH_AUTH_SOCK = o.agentSocket;
  return env;
}
