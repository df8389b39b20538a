/**
 * @module srv/recording/uploader
 * The loop that ships a spooled recording to auth. Auth stores chunks by byte offset and skips bytes
 * it already has, so the loop can always resend: after a failure it waits (exponential backoff,
 * capped at a few seconds) and tries again from the last acknowledged offset; when auth answers that
 * a chunk leaves a gap ("resend from N", e.g. after auth restored an older copy) it goes back to N.
 * The local file keeps every byte until the final chunk is acknowledged, so nothing is lost while
 * auth is away. Used by RecordingSpool for live sessions and by resumePending after a crash.
 */
import { CompareFailedError, errorMessage } from '@teleport-ts/api/errors';
import type { Logger } from '../../utils/logger.ts';

/** One upload request; mirrors AuthClient.uploadRecordingChunk. */
export interface UploadChunk {
  sessionId: string;
  /** Byte offset of `data` in the recording. */
  offset: number;
  data: Uint8Array;
  /** Last chunk: auth marks the recording complete. */
  final: boolean;
  /** Teleport users in the session (auth keeps them for access checks). */
  participants: string[];
}

/** Sends a chunk to auth and resolves with the size auth now has stored. */
export type UploadFn = (chunk: UploadChunk) => Promise<number>;

/** Waits `ms`, or less when `signal` aborts; must resolve, not reject, on abort. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Tuning shared by live spools and crash recovery. */
export interface UploadOptions {
  upload: UploadFn;
  /** Largest chunk per call; default 256 KiB. */
  maxChunkBytes?: number;
  /** First retry delay; default 250 ms, doubling per failure. */
  initialBackoffMs?: number;
  /** Retry delay cap; default 5 s. */
  maxBackoffMs?: number;
  /** Injected for tests; default setTimeout. */
  sleep?: Sleep;
  logger?: Logger;
}

/** What the loop uploads from. */
export interface UploadSource {
  sessionId: string;
  /** Bytes auth is believed to have (a hint; auth's answer is authoritative). */
  acked: number;
  /** Bytes available locally, and whether more may come. */
  state(): { size: number; closed: boolean };
  read(offset: number, length: number): Promise<Uint8Array>;
  participants(): string[];
  /** Resolves when state() may have changed, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void>;
  /** Records a new acknowledged offset (persisted as a resume hint). */
  acknowledged(offset: number): Promise<void>;
}

/** setTimeout-based Sleep. */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** The "resend from N" offset in a gap error from auth, if that is what `err` is. */
export function resendOffset(err: unknown): number | undefined {
  const m = /resend from (\d+)/.exec(errorMessage(err));
  return m ? Number(m[1]) : undefined;
}

/**
 * Uploads until the final chunk is acknowledged (resolves true) or `signal` aborts (false). Rejects
 * only when auth holds more bytes than exist locally, which retrying cannot fix.
 */
export async function runUpload(src: UploadSource, opts: UploadOptions, signal: AbortSignal): Promise<boolean> {
  const maxChunk = opts.maxChunkBytes ?? 256 * 1024;
  const sleep = opts.sleep ?? timerSleep;
  const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  let acked = src.acked;
  let failures = 0;
  while (!signal.aborted) {
    const { size, closed } = src.state();
    if (acked >= size && !closed) {
      await src.changed(signal);
      continue;
    }
    const offset = Math.min(acked, size);
    const len = Math.min(size - offset, maxChunk);
    const final = closed && offset + len === size;
    let stored: number;
    try {
      const data = len > 0 ? await src.read(offset, len) : new Uint8Array(0);
      const call = opts.upload({ sessionId: src.sessionId, offset, data, final, participants: src.participants() });
      call.catch(() => undefined); // A call still in flight after stop() must not become an unhandled rejection.
      const r = await Promise.race([call, aborted]);
      if (r === undefined) return false;
      stored = r;
    } catch (err) {
      const from = resendOffset(err);
      if (from !== undefined && from < offset) {
        opts.logger?.info({ sid: src.sessionId, from }, 'auth asked to resend recording from an earlier offset');
        acked = from;
        continue;
      }
      failures++;
      const delay = Math.min(opts.maxBackoffMs ?? 5000, (opts.initialBackoffMs ?? 250) * 2 ** Math.min(failures - 1, 20));
      opts.logger?.warn({ sid: src.sessionId, attempt: failures, retryInMs: delay, err: errorMessage(err) }, 'recording upload failed; will retry');
      await sleep(delay, signal);
      continue;
    }
    if (stored > size) {
      throw new CompareFailedError(`auth already has ${stored} bytes of recording ${src.sessionId} but the local spool has only ${size}: ` +
        'another writer used this session id; the local copy is kept for inspection');
    }
    failures = 0;
    acked = stored;
    await src.acknowledged(acked).catch((err: unknown) =>
      opts.logger?.warn({ sid: src.sessionId, err: errorMessage(err) }, 'could not save recording upload offset'));
    if (final && stored === size) return true;
  }
  return false;
}
