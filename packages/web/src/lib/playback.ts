/**
 * @module playback
 * Replays an asciicast into a terminal-like sink: moving forward writes the events in between;
 * moving back resets the terminal and replays from the start (xterm replays thousands of events
 * per millisecond, so seeking stays instant without keyframes). Timing lives in the caller.
 */
import { indexAfter, parseResize, type Cast } from './asciicast.ts';

/** Where playback writes: an xterm Terminal fits. */
export interface PlaybackSink {
  write(data: string): void;
  reset(): void;
  resize(cols: number, rows: number): void;
}

/** A recording's position and what has been written for it. */
export class Playback {
  /** Current position in seconds. */
  private pos = 0;
  /** Index of the next event to write. */
  private next = 0;

  constructor(private readonly cast: Cast, private readonly sink: PlaybackSink) {
    this.restart();
  }

  /** Current position in seconds. */
  get position(): number {
    return this.pos;
  }

  /** True at the end of the recording. */
  get ended(): boolean {
    return this.pos >= this.cast.duration;
  }

  /** Moves to `t` seconds (clamped to the recording), writing or replaying what is needed. */
  seek(t: number): void {
    const target = Math.min(Math.max(0, t), this.cast.duration);
    if (target < this.pos) this.restart();
    const end = indexAfter(this.cast.events, target);
    let out = '';
    for (; this.next < end; this.next++) {
      const e = this.cast.events[this.next];
      if (!e) break;
      if (e.code === 'o') {
        out += e.data;
      } else if (e.code === 'r') {
        const size = parseResize(e.data);
        if (size) {
          if (out) this.sink.write(out);
          out = '';
          this.sink.resize(size.cols, size.rows);
        }
      }
    }
    if (out) this.sink.write(out);
    this.pos = target;
  }

  /** Back to the start with the recording's initial size. */
  private restart(): void {
    this.sink.reset();
    this.sink.resize(this.cast.width, this.cast.height);
    this.pos = 0;
    this.next = 0;
  }
}

/** Playback speeds offered by the player. */
export const SPEEDS = [0.5, 1, 2, 4, 8] as const;
