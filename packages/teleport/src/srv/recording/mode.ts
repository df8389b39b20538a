/**
 * @module srv/recording/mode
 * Whether, where and how strictly an interactive session is recorded, from the cluster's
 * session_recording_config mode and the `record_session` option of the user's roles.
 *
 * Cluster modes (upstream): `node` and `node-sync` record at the node, `proxy` and `proxy-sync` at
 * the proxy (for agentless/OpenSSH nodes), `off` records nothing. The `-sync` variants stream to auth
 * as the session runs instead of uploading afterwards; our spool always streams in the background
 * with a local file as buffer, so they differ only in the `sync` flag reported here.
 *
 * Role option `record_session.ssh` (falling back to `record_session.default`):
 * - `best_effort` (the default): if recording fails, the session goes on unrecorded;
 * - `strict`: if recording fails, the session is refused or ended (upstream semantics);
 * - `off`: not recorded (accepted for completeness; upstream roles only use the two above).
 * With several roles (mergeRecordSession), strict wins over best_effort (as upstream), and a
 * session goes unrecorded only if every role says off.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { RecordingMode } from '@teleport-ts/api/types/clusterConfig';

/** The `record_session` option of a role (only the parts that concern SSH sessions). */
export interface RoleRecordSession {
  ssh?: string;
  default?: string;
}

/** What to do with a session. */
export interface RecordingDecision {
  /** Record the session at all. */
  record: boolean;
  /** Which service writes the recording. */
  where: 'node' | 'proxy';
  /** Fail the session when recording fails (role option strict). */
  strict: boolean;
  /** Cluster asked for a -sync mode (stream while the session runs). */
  sync: boolean;
}

/** Role option values for record_session.ssh / .default. */
export type RoleRecordingValue = 'best_effort' | 'strict' | 'off';

/** The effective record_session value for SSH of one role; undefined when the role says nothing. */
export function roleRecordingValue(opt: RoleRecordSession | undefined): RoleRecordingValue | undefined {
  const v = opt?.ssh || opt?.default;
  if (v === undefined || v === '') return undefined;
  if (v === 'best_effort' || v === 'strict' || v === 'off') return v;
  throw new BadParameterError(`role option record_session must be "best_effort", "strict" or "off", got "${v}"`);
}

/**
 * Combines the record_session options of several roles: strict wins; off only if every role says
 * off (a role without the option counts as best_effort, as upstream defaults it).
 */
export function mergeRecordSession(options: Array<RoleRecordSession | undefined>): RoleRecordSession {
  const values = options.map((o) => roleRecordingValue(o) ?? 'best_effort');
  if (values.includes('strict')) return { ssh: 'strict' };
  if (values.length > 0 && values.every((v) => v === 'off')) return { ssh: 'off' };
  return { ssh: 'best_effort' };
}

/** Decides how a session is recorded. */
export function recordingMode(clusterMode: RecordingMode, roleRecordSession?: RoleRecordSession): RecordingDecision {
  const value = roleRecordingValue(roleRecordSession) ?? 'best_effort';
  switch (clusterMode) {
    case 'off':
      return { record: false, where: 'node', strict: false, sync: false };
    case 'node':
    case 'node-sync':
    case 'proxy':
    case 'proxy-sync':
      return {
        record: value !== 'off',
        where: clusterMode.startsWith('proxy') ? 'proxy' : 'node',
        strict: value === 'strict',
        sync: clusterMode.endsWith('-sync'),
      };
    default:
      throw new BadParameterError(`unknown session recording mode "${String(clusterMode)}": use node, node-sync, proxy, proxy-sync or off`);
  }
}
