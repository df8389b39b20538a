/**
 * @module proxy/ssh/recordings
 * Session recordings made at the proxy (recording mode proxy/proxy-sync, agentless OpenSSH
 * nodes): a srv/recording RecordingManager over `<proxy data dir>/log/upload`, which uploads to
 * auth in the background as the session runs (both -sync and plain modes stream; the local file is
 * the buffer while auth is away). Spools a previous run left behind are uploaded at start; on
 * shutdown running uploads get a grace period and the rest stays on disk. Without a data directory
 * nothing can be recorded.
 */
import path from 'node:path';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { SessionRecorder } from '../../srv/recording/recorder.ts';
import { RecordingManager, type RecordingRequest } from '../../srv/recording/recordings.ts';
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
export type OpenRecording = RecordingRequest;

/** The proxy's session recordings. */
export class ProxyRecordings {
  private readonly manager: RecordingManager | undefined;

  constructor(opts: ProxyRecordingsOptions) {
    const { authClient, dataDir, clock, logger } = opts;
    this.manager = dataDir === undefined ? undefined : new RecordingManager({
      dir: path.join(dataDir, 'log', 'upload'), upload: (chunk) => authClient.uploadRecordingChunk(chunk), clock, logger,
    });
  }

  /** The spool directory, when the proxy has a data directory. */
  get dir(): string | undefined {
    return this.manager?.dir;
  }

  /** Uploads recordings left by a previous run, in the background. */
  resumePending(): void {
    this.manager?.resumePending();
  }

  /** Starts recording a session; rejects when it cannot (no data directory, disk trouble). */
  async open(req: OpenRecording): Promise<SessionRecorder> {
    if (this.manager === undefined) throw new BadParameterError('this proxy has no data directory to spool recordings in');
    return (await this.manager.open(req)).recorder;
  }

  /** Waits up to `timeoutMs` for running uploads, then stops the rest (their files stay for the next start). */
  async close(timeoutMs: number): Promise<void> {
    await this.manager?.close(timeoutMs);
  }
}
