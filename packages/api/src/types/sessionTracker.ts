/**
 * @module types/sessionTracker
 * Live sessions (kind session_tracker, version v1): written by the node while a session runs, with a
 * short TTL that the node keeps extending, so `tsh sessions ls` and `tsh join` see only live ones.
 */
import type { Resource } from './resource.ts';

/** Someone in a session. */
export interface Participant {
  user: string;
  /** "peer" can type; "observer" only watches. */
  mode: 'peer' | 'observer';
  /** RFC 3339 join time. */
  joined: string;
}

/** session_tracker spec. */
export interface SessionTrackerSpec {
  session_id: string;
  kind: 'ssh';
  state: 'pending' | 'running' | 'terminated';
  /** RFC 3339 start time. */
  created: string;
  /** Host UUID of the node running it. */
  target_id: string;
  hostname: string;
  /** host:port of the node. */
  address: string;
  /** OS login the session runs as. */
  login: string;
  /** Teleport user who started it. */
  host_user: string;
  cluster_name: string;
  participants: Participant[];
  /** Interactive (PTY) or exec. */
  interactive: boolean;
  /** Command, for non-interactive sessions. */
  command?: string;
}

/** A live session. `metadata.name` is the session id. */
export type SessionTracker = Resource<'session_tracker', SessionTrackerSpec>;
