/**
 * @module client/bench/runner.test
 * The open-loop runner in virtual time: requests start on schedule, latency is counted from the
 * scheduled time (a slow target held back by the concurrency cap shows up as growing latency, not
 * as a lower rate), failures are counted with the first distinct messages, and abort stops the load.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBenchmark, type BenchTimer } from './runner.ts';

/** Virtual time: timers fire only when {@link drive} advances to them. */
class VirtualTime implements BenchTimer {
  t = 0;
  private timers: Array<{ at: number; resolve: () => void }> = [];

  now(): number {
    return this.t;
  }

  sleepUntil(at: number): Promise<void> {
    if (at <= this.t) return Promise.resolve();
    return new Promise((resolve) => this.timers.push({ at, resolve }));
  }

  sleep(ms: number): Promise<void> {
    return this.sleepUntil(this.t + ms);
  }

  /** Runs `p` to completion, firing timers in order once everything else has settled. */
  async drive<T>(p: Promise<T>): Promise<T> {
    let done = false;
    void p.finally(() => (done = true)).catch(() => undefined);
    for (let spins = 0; !done; spins++) {
      assert.ok(spins < 100_000, 'virtual time made no progress');
      await new Promise((r) => setImmediate(r));
      if (done) break;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) continue;
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    return p;
  }
}

describe('runBenchmark', () => {
  it('starts rate x duration requests on schedule and measures their latency', async () => {
    const vt = new VirtualTime();
    const starts: number[] = [];
    const r = await vt.drive(runBenchmark({
      rate: 10, durationMs: 1000, timer: vt,
      request: async () => {
        starts.push(vt.now());
        await vt.sleep(5);
      },
    }));
    assert.deepEqual(starts, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    assert.equal(r.requests, 10);
    assert.equal(r.failures, 0);
    assert.deepEqual(r.errors, []);
    assert.equal(r.histogram.count, 10);
    assert.equal(r.histogram.min, 5000);
    assert.equal(r.histogram.max, 5000);
    assert.equal(r.elapsedMs, 905);
  });

  it('runs requests concurrently when they outlast the interval (open loop)', async () => {
    const vt = new VirtualTime();
    let inFlight = 0;
    let most = 0;
    const r = await vt.drive(runBenchmark({
      rate: 100, durationMs: 500, timer: vt,
      request: async () => {
        most = Math.max(most, ++inFlight);
        await vt.sleep(95);
        inFlight--;
      },
    }));
    assert.equal(r.requests, 50);
    assert.equal(most, 10, 'a request every 10 ms lasting 95 ms: 10 in flight');
    assert.equal(r.histogram.max, 95_000);
  });

  it('counts the wait behind the concurrency cap from the scheduled start (no coordinated omission)', async () => {
    const vt = new VirtualTime();
    const r = await vt.drive(runBenchmark({
      rate: 10, durationMs: 1000, concurrency: 1, timer: vt,
      request: () => vt.sleep(250),
    }));
    // Request i is due at 100i but starts at 250i (one at a time), ends at 250(i+1): latency 250 + 150i.
    assert.equal(r.requests, 10);
    assert.equal(r.histogram.min, 250_000);
    assert.equal(r.histogram.max, 1_600_000);
    const p50 = r.histogram.percentile(50);
    assert.ok(p50 >= 850_000 && p50 <= 850_000 * (1 + 1 / 1024), `p50 ${p50}`);
    assert.equal(r.elapsedMs, 2500);
  });

  it('counts failures and keeps the first distinct messages', async () => {
    const vt = new VirtualTime();
    let n = 0;
    const r = await vt.drive(runBenchmark({
      rate: 20, durationMs: 1000, maxErrors: 2, timer: vt,
      request: async () => {
        const i = n++;
        await vt.sleep(1);
        if (i % 2) throw new Error(`boom ${i % 3}`);
      },
    }));
    assert.equal(r.requests, 20);
    assert.equal(r.failures, 10);
    assert.deepEqual(r.errors, ['boom 1', 'boom 0']);
    assert.equal(r.histogram.count, 20, 'failed requests are in the histogram too');
  });

  it('stops originating requests when aborted and waits for those in flight', async () => {
    const vt = new VirtualTime();
    const ac = new AbortController();
    let finished = 0;
    const r = await vt.drive(runBenchmark({
      rate: 10, durationMs: 10_000, timer: vt, signal: ac.signal,
      request: async () => {
        if (vt.now() >= 300) ac.abort();
        await vt.sleep(50);
        finished++;
      },
    }));
    assert.equal(r.requests, 4);
    assert.equal(finished, 4);
  });

  it('refuses a rate, duration or concurrency that cannot run', async () => {
    const request = async (): Promise<void> => undefined;
    await assert.rejects(runBenchmark({ rate: 0, durationMs: 1000, request }), /rate must be a positive number/);
    await assert.rejects(runBenchmark({ rate: 5, durationMs: 0, request }), /duration must be positive/);
    await assert.rejects(runBenchmark({ rate: 5, durationMs: 10, concurrency: 0, request }), /concurrency must be at least 1/);
  });

  it('runs on the real clock', async () => {
    const r = await runBenchmark({ rate: 50, durationMs: 100, request: () => new Promise((res) => setTimeout(res, 5)) });
    assert.equal(r.requests, 5);
    // Node timers may fire up to a millisecond early by performance.now().
    assert.ok(r.histogram.min >= 3000, `min ${r.histogram.min} µs`);
  });
});
