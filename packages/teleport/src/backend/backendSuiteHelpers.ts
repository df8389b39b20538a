/**
 * @module backend/backendSuiteHelpers
 * Shared plumbing for the backend compliance suite: a per-test backend with a fresh fake clock, byte
 * helpers, and an `EventReader` that reads a watcher with timeouts (so a backend that fails to deliver
 * an event fails the test instead of hanging it). Backend-neutral: a polling implementation (e.g. a
 * PostgreSQL change feed) has up to `EVENT_TIMEOUT_MS` to deliver each event.
 */
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import type { Backend, BackendEvent, Item, Watcher } from './backend.ts';
import { toBytes } from './backend.ts';

/** Builds a fresh, empty backend that uses `clock`; should disable background purging (pollIntervalMs 0). */
export type BackendFactory = (clock: FakeClock) => Promise<Backend>;

/** A test body that gets its own backend and clock. */
export type BackendTest = (backend: Backend, clock: FakeClock) => Promise<void>;

/** Wraps a test body so it runs against a fresh backend that is closed afterwards. */
export type WithBackend = (body: BackendTest) => () => Promise<void>;

/** How long a watcher may take to deliver one event. */
export const EVENT_TIMEOUT_MS = 5000;

/** Returns the wrapper that gives each test a fresh backend from `factory`. */
export function withBackendFrom(factory: BackendFactory): WithBackend {
  return (body) => async () => {
    const clock = new FakeClock();
    const backend = await factory(clock);
    try {
      await body(backend, clock);
    } finally {
      await backend.close();
    }
  };
}

/** Shorthand for an item with a string value. */
export function item(key: string, value: string, expires?: number): Item {
  return expires === undefined ? { key, value: toBytes(value) } : { key, value: toBytes(value), expires };
}

/** Asserts two byte arrays hold the same bytes (whatever Uint8Array subclass the backend returns). */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  assert.ok(actual instanceof Uint8Array, 'value must be a Uint8Array');
  assert.deepEqual(Array.from(actual), Array.from(expected), message);
}

/** Keys of a range read, in returned order. */
export async function rangeKeys(backend: Backend, start: string, end: string, limit?: number): Promise<string[]> {
  const { items } = await backend.getRange(start, end, limit);
  return items.map((i) => i.key);
}

/** Asserts that `promise` rejects with a TeleportError of the given code. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected a ${code} error, got ${String(err)}`);
    return true;
  });
}

/** Reads a watcher one event at a time, failing after a timeout instead of hanging. */
export class EventReader {
  private readonly it: AsyncIterator<BackendEvent>;
  private pending: Promise<IteratorResult<BackendEvent>> | undefined;

  constructor(watcher: Watcher) {
    this.it = watcher.events();
  }

  /** The next event; fails if the watcher ends or nothing arrives in time. */
  async next(timeoutMs = EVENT_TIMEOUT_MS): Promise<BackendEvent> {
    const r = await this.raw(timeoutMs);
    assert.ok(!r.done, 'watcher ended while an event was expected');
    return r.value;
  }

  /** The next `n` events. */
  async take(n: number): Promise<BackendEvent[]> {
    const out: BackendEvent[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  /** Asserts the iterator finishes (done) within the timeout. */
  async expectEnd(timeoutMs = EVENT_TIMEOUT_MS): Promise<void> {
    const r = await this.raw(timeoutMs);
    assert.ok(r.done, `expected the watcher to end, got event ${JSON.stringify(r.value)}`);
  }

  private async raw(timeoutMs: number): Promise<IteratorResult<BackendEvent>> {
    this.pending ??= this.it.next();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no watcher event within ${timeoutMs}ms`)), timeoutMs);
    });
    try {
      const r = await Promise.race([this.pending, timeout]);
      this.pending = undefined;
      return r;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Summarises events as "put:/key" / "delete:/key" strings for compact assertions. */
export function describeEvents(events: BackendEvent[]): string[] {
  return events.map((e) => `${e.type}:${e.item.key}`);
}
