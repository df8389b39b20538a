/**
 * @module srv/ssh/recording
 * Connects interactive sessions to session recording. A session talks to a {@link SessionSink}
 * (output, window changes, participants, close); {@link SessionRecordings} decides per session
 * whether to record - from the cluster's session_recording_config mode and the user's roles'
 * `record_session` (srv/recording/mode) - and builds the sink from a srv/recording RecordingManager
 * (asciicast v2 over a RecordingSpool) under `<data_dir>/log/upload/streaming`, which uploads to
 * auth in the background. Spools left by a crash are resumed at start.
 */
import path from 'node:path';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage } from '@teleport-ts/api/errors';
import type { RecordingMode, SessionRecordingConfig } from '@teleport-ts/api/types/clusterConfig';
import type { Role } from '@teleport-ts/api/types/role';
import { mergeRecordSession, recordingMode, type RecordingDecision } from '../recording/mode.ts';
import { RecordingManager, type RecordingRequest } from '../recording/recordings.ts';
import type { Logger } from '../../utils/logger.ts';

/** Where an interactive session's terminal goes besides its participants. */
export interface SessionSink {
  /** Terminal output; strict sessions end when this rejects. */
  output(bytes: Uint8Array): Promise<void>;
  /** A window change. */
  resize(width: number, height: number): Promise<void>;
  /** Someone joined. */
  addParticipant(user: string): void;
  /** The session is over; resolves when the recording is safe locally. */
  close(): Promise<void>;
}

/** A session's recording: the decision, and the sink when recorded. */
export interface SessionRecording {
  decision: RecordingDecision;
  /** The cluster mode, for audit events' session_recording field. */
  mode: RecordingMode;
  sink?: SessionSink;
}

/** Inputs of SessionRecordings. */
export interface SessionRecordingsOptions {
  authClient: Pick<AuthClient, 'getResource' | 'uploadRecordingChunk'>;
  dataDir: string;
  clock: Clock;
  logger: Logger;
}

/** What a new session needs to know to open its recording. */
export interface OpenRecordingRequest extends RecordingRequest {
  /** The user's roles, for their `record_session` option. */
  roles: readonly Role[];
}

/** Creates recordings for the node's sessions and finishes their uploads. */
export class SessionRecordings {
  private readonly manager: RecordingManager;

  constructor(private readonly opts: SessionRecordingsOptions) {
    const { authClient, dataDir, clock, logger } = opts;
    this.manager = new RecordingManager({
      dir: path.join(dataDir, 'log', 'upload', 'streaming'), upload: (chunk) => authClient.uploadRecordingChunk(chunk), clock, logger,
    });
  }

  /** The spool directory. */
  get dir(): string {
    return this.manager.dir;
  }

  /** Uploads recordings a previous run left behind (in the background). */
  resumePending(): void {
    this.manager.resumePending();
  }

  /**
   * Decides and opens the recording of a new interactive session. Throws when recording is
   * required (record_session strict) but cannot start; a best-effort session goes unrecorded.
   */
  async open(req: OpenRecordingRequest): Promise<SessionRecording> {
    const mode = await this.clusterMode();
    const decision = recordingMode(mode, mergeRecordSession(req.roles.map((r) => r.spec.options?.record_session)));
    if (!decision.record || decision.where !== 'node') return { decision, mode };
    try {
      const { recorder, spool } = await this.manager.open(req);
      const sink: SessionSink = {
        output: (bytes) => recorder.output(bytes),
        resize: (w, h) => recorder.resize(w, h),
        addParticipant: (user) => spool.addParticipant(user),
        close: () => recorder.close(),
      };
      return { decision, mode, sink };
    } catch (err) {
      if (decision.strict) throw new Error(`session recording is required by your roles (record_session: strict) but could not start: ${errorMessage(err)}`);
      this.opts.logger.warn({ sid: req.sessionId, err: errorMessage(err) }, 'session recording failed to start; the session goes on unrecorded (best_effort)');
      return { decision: { ...decision, record: false }, mode };
    }
  }

  /**
   * Waits up to `timeoutMs` for running uploads to finish, then stops the rest (their files stay
   * for the next start).
   */
  close(timeoutMs: number): Promise<void> {
    return this.manager.close(timeoutMs);
  }

  /** The cluster's recording mode; "node" when it cannot be read (recording is the safe default). */
  private async clusterMode(): Promise<RecordingMode> {
    try {
      const cfg = await this.opts.authClient.getResource<SessionRecordingConfig>('session_recording_config', 'session-recording-config');
      return cfg.spec.mode;
    } catch (err) {
      this.opts.logger.warn({ err: errorMessage(err) }, 'could not read session_recording_config; recording at the node');
      return 'node';
    }
  }
}
