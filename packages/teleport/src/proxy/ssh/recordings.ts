/**
 * @module proxy/ssh/recordings
 * Session recordings made at the proxy (recording mode proxy/proxy-sync, agentless OpenSSH
 * nodes): an asciicast v2 SessionRecorder over a RecordingSpool in `<proxy data dir>/log/upload`,
 * which uploads to auth in the background as the session runs (both -sync and plain modes stream;
 * the local file is the buffer while auth is away). Spools a previous run left behind are
 * uploaded at start; on shutdown running uploads get a grace period and the rest stays on disk.
 */
import path from 'node:path';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError, errorMessage } from '@teleport-ts/api/errors';
import { SessionRecorder } from '../../srv/recording/recorder.ts';
import { RecordingSpool, resumePending, type UploadChunk } from '../../srv/recording/spool.ts';
import type { Logger } from '../../utils/logger.ts';

/** Inputs of {@link ProxyRecordings}. */
export interface ProxyRecordingsOptions {
  authClient: Pick<AuthClient, 'uploadRecordingChunk'>;
  /** The proxy's data directory; without one nothing can be recorded. */
  dataDir?: string;
  clock: Clock;
  logger: Logger;
}

/** What a new recording needs. */
export interface OpenRecording {
  sessionId: string;
  width: number;
  height: number;
  participants: string[];
  env: Record<string, string>;
}

/** The proxy's session recordings. */
export class ProxyRecordings {
  private readonly spools = new Set<RecordingSpool>();
  private readonly stopResume = new AbortController();
  private resuming: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ProxyRecordingsOptions) {}

  /** The spool directory, when the proxy has a data directory. */
  get dir(): string | undefined {
    return this.opts.dataDir === undefined ? undefined : path.join(this.opts.dataDir, 'log', 'upload');
  }

  /** Uploads recordings left by a previous run, in the background. */
  resumePending(): void {
    const dir = this.dir;
    if (dir === undefined) return;
    const { logger } = this.opts;
    this.resuming = resumePending(dir, this.upload, { signal: this.stopResume.signal, logger })
      .then((done) => done.length > 0 && logger.info({ sessions: done }, 'uploaded recordings left by a previous run'))
      .catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'could not resume pending recordings'));
  }

  /** Starts recording a session; rejects when it cannot (no data directory, disk trouble). */
  async open(req: OpenRecording): Promise<SessionRecorder> {
    const dir = this.dir;
    if (dir === undefined) throw new BadParameterError('this proxy has no data directory to spool recordings in');
    const spool = await RecordingSpool.create({ dir, sessionId: req.sessionId, participants: req.participants, upload: this.upload, logger: this.opts.logger });
    this.spools.add(spool);
    void spool.uploaded.catch(() => undefined).finally(() => this.spools.delete(spool));
    return new SessionRecorder({ sessionId: req.sessionId, width: req.width, height: req.height, clock: this.opts.clock, spool, env: req.env });
  }

  /** Waits up to `timeoutMs` for running uploads, then stops the rest (their files stay for the next start). */
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
}
