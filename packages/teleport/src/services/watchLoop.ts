/**
 * @module services/watchLoop
 * The reconnect loop under a watch-fed cache (proxy/ssh/resourceCache, srv/ssh/accessCache): open
 * the auth service's watch stream for some kinds, hand each event to the cache in order, and when
 * the stream ends or breaks tell the cache and reopen it after a capped, doubling backoff. The
 * backoff starts over once an `init` event was handled (the stream is healthy again). What an
 * event or a disconnection means for the cached data is the cache's business.
 */
import type { AuthClient, WatchEventResult } from '@teleport-ts/api/client/authClient';

/** Why the stream went down, and how long until it is reopened. */
export interface WatchDown {
  /** True when the stream failed (`err` says why); false when it just ended. */
  failed: boolean;
  err?: unknown;
  delayMs: number;
}

/** Inputs of {@link runWatchLoop}. */
export interface WatchLoopOptions {
  source: Pick<AuthClient, 'watchEvents'>;
  kinds: string[];
  /** Stops the loop (and the open stream). */
  signal: AbortSignal;
  /** Applies one event; a rejection counts as a broken stream. */
  onEvent: (event: WatchEventResult) => Promise<void> | void;
  /**
   * The stream ended or failed. Called for an end even once `signal` aborted (the last stream
   * closing), never for a failure caused by the abort.
   */
  onDown: (down: WatchDown) => void;
  /** First and largest delay between reconnect attempts. */
  minDelayMs: number;
  maxDelayMs: number;
}

/** Runs the watch until `signal` aborts; rejects only if `onDown` throws. */
export async function runWatchLoop(opts: WatchLoopOptions): Promise<void> {
  const { signal, minDelayMs } = opts;
  let delay = minDelayMs;
  while (!signal.aborted) {
    let down: WatchDown;
    try {
      for await (const ev of opts.source.watchEvents(opts.kinds, signal)) {
        await opts.onEvent(ev);
        if (ev.type === 'init') delay = minDelayMs;
      }
      down = { failed: false, delayMs: delay };
    } catch (err) {
      if (signal.aborted) break;
      down = { failed: true, err, delayMs: delay };
    }
    opts.onDown(down);
    await sleep(delay, signal);
    delay = Math.min(delay * 2, opts.maxDelayMs);
  }
}

/** Waits `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
