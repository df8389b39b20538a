/**
 * @module srv/recording/recorder
 * Turns one interactive session's terminal into an asciicast v2 recording: the header when the
 * session starts, then an "o" event per chunk of output and an "r" event per window change, each
 * stamped with the seconds since the start on the injected clock. Output bytes are decoded with
 * OutputDecoder (streaming UTF-8, so a character split across two reads stays whole), which makes
 * `tsh play` byte-identical for UTF-8 output; see asciicast/text for invalid UTF-8.
 * The bytes go to a RecordingSink (normally a RecordingSpool) in order.
 */
import type { Clock } from '@teleport-ts/api/clock';
import { encodeEvent, encodeHeader, OutputDecoder, resizeData } from '@teleport-ts/api/asciicast/index';
import type { RecordingSink } from './spool.ts';

/** Options for SessionRecorder. */
export interface SessionRecorderOptions {
  sessionId: string;
  /** Terminal size at the start. */
  width: number;
  height: number;
  clock: Clock;
  /** Where the encoded recording goes: normally a RecordingSpool, any RecordingSink will do. */
  spool: RecordingSink;
  /** Recorded shell environment for the header (TERM, SHELL). */
  env?: Record<string, string>;
  title?: string;
}

const encoder = new TextEncoder();

/**
 * Records one session. Methods return the sink's promise: strict callers await it (and end the
 * session when it rejects); best-effort callers may ignore it - rejections are always handled.
 * The sink must keep order and, once a write failed, fail every later one (RecordingSpool does),
 * so a lost header or event surfaces on the next call and on close.
 */
export class SessionRecorder {
  /** The session this records. */
  readonly sessionId: string;
  private readonly startMs: number;
  private readonly decoder = new OutputDecoder();
  private lastTime = 0;
  private size: string;
  private closing: Promise<void> | undefined;

  /** Writes the header at once (its failure shows on later calls). */
  constructor(private readonly opts: SessionRecorderOptions) {
    this.sessionId = opts.sessionId;
    this.startMs = opts.clock.nowMs();
    this.size = resizeData(opts.width, opts.height);
    void this.write(encodeHeader({
      width: opts.width, height: opts.height, timestamp: this.startMs / 1000,
      ...(opts.env && { env: opts.env }), ...(opts.title !== undefined && { title: opts.title }),
    }));
  }

  /** Records terminal output. Output after close is dropped (the session is over). */
  output(bytes: Uint8Array | string): Promise<void> {
    if (this.closing) return Promise.resolve();
    return this.event('o', typeof bytes === 'string' ? bytes : this.decoder.decode(bytes));
  }

  /** Records a window change; a size equal to the current one is not recorded again. */
  resize(width: number, height: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    const size = resizeData(width, height);
    if (size === this.size) return Promise.resolve();
    this.size = size;
    return this.event('r', size);
  }

  /** Writes a held-back partial character (as U+FFFD), then closes the sink. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      void this.event('o', this.decoder.flush());
      this.closing = this.opts.spool.close();
    }
    return this.closing;
  }

  /** Seconds since the start; never goes backwards even if the clock does. */
  private elapsed(): number {
    this.lastTime = Math.max(this.lastTime, (this.opts.clock.nowMs() - this.startMs) / 1000);
    return this.lastTime;
  }

  private event(code: 'o' | 'r', data: string): Promise<void> {
    if (data === '') return Promise.resolve();
    return this.write(encodeEvent(this.elapsed(), code, data));
  }

  private write(text: string): Promise<void> {
    const p = this.opts.spool.append(encoder.encode(text));
    p.catch(() => undefined); // Marks it handled; the caller still sees the rejection.
    return p;
  }
}
