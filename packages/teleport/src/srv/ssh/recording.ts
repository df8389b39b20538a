/**
 * @module srv/ssh/recording
 * Connects interactive sessions to session recording. A session talks to a {@link SessionSink}
 * (output, window changes, participants, close); {@link SessionRecordings} decides per session
 * whether to record - from the cluster's session_recording_config mode and the user's roles'
 * `record_session` (srv/recording/mode) - and builds the sink from srv/recording's SessionRecorder
 * (asciicast v2) over a RecordingSpool under `<data_dir>/log/upload/streaming`, which uploads to
 * auth in the background. Spools left by a crash are resumed at start.
 */
import path from 'node:path';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage } from '@teleport-ts/api/errors';
import type { RecordingMode, SessionRecordingConfig } from '@teleport-ts/api/types/clusterConfig';
import type { Role } from '@teleport-ts/api/types/role';
import { mergeRecordSession, recordingMode, type RecordingDecision } from '../recording/mode.ts';
import { SessionRecorder } from '../recording/recorder.ts';
import { RecordingSpool, resumePending, type UploadChunk } from '../recording/spool.ts';
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
export interface OpenRecordingRequest {
  sessionId: string;
  roles: readonly Role[];
  width: number;
  height: number;
  participants: string[];
  env: Record<string, string>;
}

/** Creates recordings for the node's sessions and finishes their uploads. */
export class SessionRecordings {
  private readonly spools = new Set<RecordingSpool>();
  private readonly stopResume = new AbortController();
  private resuming: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SessionRecordingsOptions) {}

  /** The spool directory. */
  get dir(): string {
    return path.join(this.opts.dataDir, 'log', 'upload', 'streaming');
  }

  /** Uploads recordings a previous run left behind (in the background). */
  resumePending(): void {
    this.resuming = resumePending(this.dir, this.upload, { signal: this.stopResume.signal, logger: this.opts.logger })
      .then((done) => done.length > 0 && this.opts.logger.info({ sessions: done }, 'uploaded recordings left by a previous run'))
      .catch((err: unknown) => this.opts.logger.warn({ err: errorMessage(err) }, 'could not resume pending recordings'));
  }

  /**
   * Decides and opens the recording of a new interactive session. Throws when recording is
   * required (record_session strict) but cannot start; a best-effort session goes unrecorded.
   */
  async open(req: OpenRecordingRequest): Promise<SessionRecording> {
    const mode = await this.clusterMode();
    const decision = recordingMode(mode, mergeRecordSession(req.roles.map((r) => r.spec.options?.record_session)));
    if (!decision.record || decision.where !== 'node') return { decision, mode };
    let spool: RecordingSpool | undefined;
    try {
      spool = await RecordingSpool.create({
        dir: this.dir, sessionId: req.sessionId, participants: req.participants, upload: this.upload, logger: this.opts.logger,
      });
      const created = spool;
      this.spools.add(created);
      void created.uploaded.catch(() => undefined).finally(() => this.spools.delete(created));
      const recorder = new SessionRecorder({
        sessionId: req.sessionId, width: req.width, height: req.height, clock: this.opts.clock, spool: created, env: req.env,
      });
      const sink: SessionSink = {
        output: (bytes) => recorder.output(bytes),
        resize: (w, h) => recorder.resize(w, h),
        addParticipant: (user) => created.addParticipant(user),
        close: () => recorder.close(),
      };
      return { decision, mode, sink };
    } catch (err) {
      await spool?.close().catch(() => undefined); // nothing was recorded: let it finish rather than linger
      if (decision.strict) throw new Error(`session recording is required by your roles (record_session: strict) but could not start: ${errorMessage(err)}`);
      this.opts.logger.warn({ sid: req.sessionId, err: errorMessage(err) }, 'session recording failed to start; the session goes on unrecorded (best_effort)');
      return { decision: { ...decision, record: false }, mode };
    }
  }

  /**
   * Waits up to `timeoutMs` for running uploads to finish, then stops the rest (their files stay
   * for the next start).
   */
  async close(timeoutMs: number): Promise<void> {
    const pending = [...this.spools];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled(pending.map((s) => s.uploaded)), timeout]);
    clearTimeout(timer);
    await Promise.all(pending.map((s) => s.stop()));
    this.stopResume.abort();
    await this.resuming;
  }

  private readonly upload = (chunk: UploadChunk): Promise<number> => this.opts.authClient.uploadRecordingChunk(chunk);

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
