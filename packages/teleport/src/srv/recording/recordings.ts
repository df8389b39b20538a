/**
 * @module srv/recording/recordings
 * The lifecycle of one process's session recordings, shared by the node (srv/ssh/recording) and
 * the proxy (proxy/ssh/recordings): each recording is an asciicast v2 SessionRecorder over a
 * RecordingSpool in one spool directory, uploading to auth in the background as the session runs.
 * Spools a previous run left behind are uploaded at start; on shutdown running uploads get a grace
 * period, then the rest is stopped and stays on disk for the next start. Whether and where to
 * record is the caller's decision.
 */
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage } from '@teleport-ts/api/errors';
import { SessionRecorder } from './recorder.ts';
import { RecordingSpool, resumePending, type UploadFn } from './spool.ts';
import type { Logger } from '../../utils/logger.ts';

/** Inputs of {@link RecordingManager}. */
export interface RecordingManagerOptions {
  /** The spool directory (created on first use). */
  dir: string;
  /** Sends one chunk to auth (normally AuthClient.uploadRecordingChunk). */
  upload: UploadFn;
  clock: Clock;
  logger: Logger;
  /** How long {@link RecordingManager.close} waits for running uploads when not told; default 10 s. */
  drainMs?: number;
}

/** What a new recording needs. */
export interface RecordingRequest {
  sessionId: string;
  /** Terminal size at the start. */
  width: number;
  height: number;
  /** Teleport users in the session so far. */
  participants: string[];
  /** Recorded shell environment for the header (TERM, SHELL). */
  env: Record<string, string>;
}

/** An open recording: the recorder to feed and the spool under it (for participants). */
export interface ActiveRecording {
  recorder: SessionRecorder;
  spool: RecordingSpool;
}

/** Opens recordings in one spool directory, resumes leftovers and drains uploads on close. */
export class RecordingManager {
  private readonly spools = new Set<RecordingSpool>();
  private readonly stopResume = new AbortController();
  private resuming: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: RecordingManagerOptions) {}

  /** The spool directory. */
  get dir(): string {
    return this.opts.dir;
  }

  /** Uploads recordings a previous run left behind (in the background). */
  resumePending(): void {
    const { logger } = this.opts;
    this.resuming = resumePending(this.opts.dir, this.opts.upload, { signal: this.stopResume.signal, logger })
      .then((done) => done.length > 0 && logger.info({ sessions: done }, 'uploaded recordings left by a previous run'))
      .catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'could not resume pending recordings'));
  }

  /** Starts recording a session; rejects when it cannot (disk trouble). */
  async open(req: RecordingRequest): Promise<ActiveRecording> {
    const spool = await RecordingSpool.create({
      dir: this.opts.dir, sessionId: req.sessionId, participants: req.participants, upload: this.opts.upload, logger: this.opts.logger,
    });
    this.spools.add(spool);
    void spool.uploaded.catch(() => undefined).finally(() => this.spools.delete(spool));
    try {
      const recorder = new SessionRecorder({
        sessionId: req.sessionId, width: req.width, height: req.height, clock: this.opts.clock, spool, env: req.env,
      });
      return { recorder, spool };
    } catch (err) {
      await spool.close().catch(() => undefined); // nothing was recorded: let it finish rather than linger
      throw err;
    }
  }

  /**
   * Waits up to `timeoutMs` (default: the drainMs option) for running uploads to finish, then stops
   * the rest (their files stay for the next start) and the resumption of leftovers.
   */
  async close(timeoutMs = this.opts.drainMs ?? 10_000): Promise<void> {
    const pending = [...this.spools];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled(pending.map((s) => s.uploaded)), timeout]);
    clearTimeout(timer);
    await Promise.all(pending.map((s) => s.stop()));
    this.stopResume.abort();
    await this.resuming;
  }
}
