/**
 * @module srv/ssh/join
 * Joining a running interactive session (`tsh join`, or any client that sends env
 * TELEPORT_SESSION=<id> before `shell`): the joiner's roles, read fresh, must allow the session's
 * login on this node. TELEPORT_PARTICIPANT_MODE picks `peer` (the default: sees output, types
 * input, may resize) or `observer` (sees output only).
 */
import type { ServerChannel } from 'ssh2';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { Participant } from '@teleport-ts/api/types/sessionTracker';
import type { ConnContext } from './context.ts';
import { InteractiveSession } from './session.ts';

/** What the channel handler keeps of a joined session. */
export interface JoinedSession {
  resize(cols: number, rows: number, by: string): void;
  signal(name: string): void;
}

/** Parses TELEPORT_PARTICIPANT_MODE (unset: peer). */
export function participantMode(value: string | undefined): Participant['mode'] {
  if (value === undefined || value === '' || value === 'peer') return 'peer';
  if (value === 'observer') return 'observer';
  throw new BadParameterError(`unknown participant mode "${value}": use "peer" or "observer"`);
}

/**
 * Attaches `channel` to session `sessionId`. Throws NotFoundError when no such interactive session
 * runs here, AccessDeniedError when the joiner may not use its login.
 */
export async function joinSession(c: ConnContext, channel: ServerChannel, sessionId: string, modeValue: string | undefined): Promise<JoinedSession> {
  const mode = participantMode(modeValue);
  const session = c.node.registry.get(sessionId);
  if (!(session instanceof InteractiveSession)) {
    throw new NotFoundError(`session ${sessionId} is not running on ${c.node.nodeName}: list live sessions with 'tsh sessions ls'`);
  }
  await c.node.authHandler.authorize(c.user.identity, session.login);
  session.join({
    user: c.user.identity.username, login: c.user.login, mode, channel, remoteAddr: c.remoteAddr, localAddr: c.localAddr,
  });
  const peer = mode === 'peer';
  return {
    resize: (cols, rows, by) => peer && session.resize(cols, rows, by),
    signal: (name) => peer && session.signal(name),
  };
}
