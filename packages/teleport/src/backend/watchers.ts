/**
 * @module backend/watchers
 * In-process fan-out of committed changes to watchers by key prefix. A backend calls `emit` synchronously
 * right after each write commits, so every watcher sees events in commit order. Each watcher has a bounded
 * queue: a consumer that falls more than `queueSize` events behind is closed with a LimitExceededError
 * (and its queue dropped) instead of letting memory grow without bound; it must re-read and re-watch.
 */
import { BadParameterError, LimitExceededError } from '@teleport-ts/api/errors';
import type { Logger } from '../utils/logger.ts';
import type { BackendEvent, Watcher, WatchOptions } from './backend.ts';

/** Default number of events a watcher may fall behind before it is cut off (Teleport's default too). */
export const DEFAULT_WATCHER_QUEUE_SIZE = 1024;

/** One registered watcher: a bounded queue drained by a single async iterator. */
class QueueWatcher implements Watcher {
  readonly ready: Promise<void> = Promise.resolve();
  private queue: BackendEvent[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<BackendEvent>) => void; reject: (e: unknown) => void } | undefined;
  private closed = false;
  private failure: Error | undefined;
  private readonly iterator: AsyncIterableIterator<BackendEvent>;

  constructor(
    readonly name: string,
    private readonly prefixes: readonly string[],
    private readonly queueSize: number,
    private readonly onClose: (w: QueueWatcher) => void,
  ) {
    this.iterator = {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  events(): AsyncIterableIterator<BackendEvent> {
    return this.iterator;
  }

  /** True when this watcher wants events for `key`. */
  matches(key: string): boolean {
    if (this.prefixes.length === 0) return true;
    for (const p of this.prefixes) if (key.startsWith(p)) return true;
    return false;
  }

  /** Queues an event, or hands it straight to a waiting consumer. Cuts the watcher off on overflow. */
  push(event: BackendEvent): void {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ done: false, value: event });
      return;
    }
    if (this.queue.length - this.head >= this.queueSize) {
      this.fail(new LimitExceededError(
        `watcher ${this.name} fell more than ${this.queueSize} events behind and was closed: re-read state and start a new watcher`,
      ));
      return;
    }
    this.queue.push(event);
  }

  /** Closes the watcher with an error that the consumer's next read throws. */
  fail(err: Error): void {
    if (this.closed) return;
    this.failure = err;
    this.finish();
  }

  close(): void {
    if (this.closed) return;
    this.finish();
  }

  private finish(): void {
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.onClose(this);
    const w = this.waiter;
    this.waiter = undefined;
    if (!w) return;
    if (this.failure) {
      const err = this.failure;
      this.failure = undefined;
      w.reject(err);
    } else {
      w.resolve({ done: true, value: undefined });
    }
  }

  private next(): Promise<IteratorResult<BackendEvent>> {
    if (this.head < this.queue.length) {
      const event = this.queue[this.head] as BackendEvent;
      this.queue[this.head] = undefined as unknown as BackendEvent; // let the event be collected
      this.head++;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ done: false, value: event });
    }
    if (this.closed) {
      // The failure is reported once; after that the iterator is simply done.
      const err = this.failure;
      this.failure = undefined;
      return err ? Promise.reject(err) : Promise.resolve({ done: true, value: undefined });
    }
    if (this.waiter) return Promise.reject(new Error(`watcher ${this.name} supports a single consumer at a time`));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}

/** The set of watchers of one backend, and the fan-out of its events to them. */
export class WatcherHub {
  private readonly watchers = new Set<QueueWatcher>();
  private counter = 0;

  constructor(
    private readonly defaultQueueSize: number = DEFAULT_WATCHER_QUEUE_SIZE,
    private readonly logger?: Logger,
  ) {}

  /** Number of open watchers. */
  get size(): number {
    return this.watchers.size;
  }

  /** Registers a watcher; it receives every event emitted after this call returns. */
  add(options: WatchOptions = {}): Watcher {
    const queueSize = options.queueSize ?? this.defaultQueueSize;
    if (!Number.isSafeInteger(queueSize) || queueSize < 1) {
      throw new BadParameterError(`watcher queueSize must be a positive integer, got ${String(queueSize)}`);
    }
    const name = options.name ?? `watcher-${++this.counter}`;
    const w = new QueueWatcher(name, [...(options.prefixes ?? [])], queueSize, (x) => this.watchers.delete(x));
    this.watchers.add(w);
    return w;
  }

  /** Delivers committed events, in order, to every watcher whose prefixes match. */
  emit(events: readonly BackendEvent[]): void {
    if (this.watchers.size === 0) return;
    for (const event of events) {
      for (const w of this.watchers) {
        if (!w.matches(event.item.key)) continue;
        w.push(event);
        if (this.logger && !this.watchers.has(w)) {
          this.logger.warn({ watcher: w.name }, 'backend watcher fell behind and was closed');
        }
      }
    }
  }

  /** Ends every watcher (their iterators finish normally). */
  closeAll(): void {
    for (const w of [...this.watchers]) w.close();
  }
}
