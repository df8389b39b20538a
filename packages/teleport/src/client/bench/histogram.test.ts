/**
 * @module client/bench/histogram.test
 * The histogram against known distributions: exact small values, uniform and exponential samples
 * compared with the exact sorted-sample percentiles (within the 1/1024 bucket precision), exact
 * min/max/mean, merge, clamping, and the HdrHistogram export layout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, HISTOGRAM_MAX_US } from './histogram.ts';

/** A seeded PRNG (mulberry32) so the samples are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The exact percentile of sorted integer samples, by the same rank rule (ceil(p/100 * n), at least 1). */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

function checkAgainstSamples(samples: number[]): void {
  const h = new Histogram();
  for (const s of samples) h.record(s);
  const sorted = samples.map(Math.round).sort((a, b) => a - b);
  assert.equal(h.count, samples.length);
  assert.equal(h.min, sorted[0]);
  assert.equal(h.max, sorted[sorted.length - 1]);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  assert.ok(Math.abs(h.mean - mean) < 1e-6 * mean, `mean ${h.mean} vs ${mean}`);
  for (const p of [1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]) {
    const want = exactPercentile(sorted, p);
    const got = h.percentile(p);
    // The reported value is the top of the bucket holding the exact one: at or above it, within 1/1024.
    assert.ok(got >= want && got - want <= want / 1024 + 1, `p${p}: got ${got}, exact ${want}`);
  }
}

describe('Histogram', () => {
  it('is exact for small values and reports 0 when empty', () => {
    const h = new Histogram();
    assert.equal(h.percentile(50), 0);
    assert.equal(h.count, 0);
    assert.equal(h.exportPercentiles().includes('Total count    =            0'), true);
    for (let v = 1; v <= 100; v++) h.record(v);
    assert.equal(h.percentile(0), 1);
    assert.equal(h.percentile(25), 25);
    assert.equal(h.percentile(50), 50);
    assert.equal(h.percentile(99), 99);
    assert.equal(h.percentile(100), 100);
    assert.equal(h.mean, 50.5);
    assert.ok(Math.abs(h.stdDev - 28.866) < 0.001);
  });

  it('tracks uniform samples from 1 µs to 10 s within three significant digits', () => {
    const r = rng(7);
    checkAgainstSamples(Array.from({ length: 50_000 }, () => 1 + r() * 10_000_000));
  });

  it('tracks an exponential distribution (mean 5 ms) including its tail', () => {
    const r = rng(42);
    checkAgainstSamples(Array.from({ length: 50_000 }, () => -Math.log(1 - r()) * 5_000));
  });

  it('keeps every power-of-two boundary in the right bucket', () => {
    for (let bit = 11; bit < 32; bit++) {
      for (const v of [2 ** bit - 1, 2 ** bit, 2 ** bit + 1]) {
        if (v > HISTOGRAM_MAX_US) continue;
        const h = new Histogram();
        h.record(v);
        h.record(v + 10_000_000_000); // clamped to the maximum: keeps v's bucket from being capped by max
        const got = h.percentile(50);
        assert.ok(got >= v && got - v <= v / 1024, `${v} -> ${got}`);
      }
    }
  });

  it('clamps values above an hour and negative values', () => {
    const h = new Histogram();
    h.record(-5);
    h.record(HISTOGRAM_MAX_US * 2);
    assert.equal(h.min, 0);
    assert.equal(h.max, HISTOGRAM_MAX_US);
    assert.equal(h.clamped, 1);
    assert.throws(() => h.record(NaN), RangeError);
    assert.throws(() => h.percentile(101), RangeError);
  });

  it('merges: the merged histogram equals one that recorded everything', () => {
    const r = rng(3);
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 10_000; i++) {
      const v = r() < 0.5 ? r() * 1_000 : 50_000 + r() * 1_000_000;
      (i % 3 ? a : b).record(v);
      all.record(v);
    }
    a.merge(b).merge(new Histogram());
    assert.equal(a.count, all.count);
    assert.equal(a.min, all.min);
    assert.equal(a.max, all.max);
    assert.ok(Math.abs(a.mean - all.mean) < 1e-9 * all.mean);
    for (const p of [0, 25, 50, 75, 90, 99, 100]) assert.equal(a.percentile(p), all.percentile(p));
    assert.equal(a.exportPercentiles(), all.exportPercentiles());
  });

  it('exports the HdrHistogram percentile distribution in milliseconds', () => {
    const h = new Histogram();
    for (let v = 1; v <= 1000; v++) h.record(v * 1000); // 1..1000 ms
    const text = h.exportPercentiles({ ticksPerHalfDistance: 1 });
    const lines = text.split('\n');
    assert.equal(lines[0], '       Value     Percentile TotalCount 1/(1-Percentile)');
    assert.equal(lines[1], '');
    assert.equal(lines[2], '       1.000 0.000000000000          1           1.00');
    // Values are the top of their bucket (1 ms steps are 512 µs buckets here), as HdrHistogram reports.
    assert.equal(lines[3], '     500.223 0.500000000000        500           2.00');
    assert.equal(lines[4], '     750.079 0.750000000000        750           4.00');
    assert.equal(lines[5], '     875.007 0.875000000000        875           8.00');
    const last = lines.findIndex((l) => l.startsWith('#[Mean'));
    assert.equal(lines[last - 1], '    1000.000 1.000000000000       1000');
    assert.equal(lines[last], '#[Mean    =      500.500, StdDeviation   =      288.675]');
    assert.equal(lines[last + 1], '#[Max     =     1000.000, Total count    =         1000]');
    assert.equal(lines[last + 2], '#[Buckets =           22, SubBuckets     =         2048]');
    // Levels halve the remaining distance: 0, 50, 75, 87.5, ... strictly increasing, counts too.
    const rows = h.percentileRows(1);
    for (let i = 1; i < rows.length; i++) {
      assert.ok((rows[i] as { percentile: number }).percentile > (rows[i - 1] as { percentile: number }).percentile);
      assert.ok((rows[i] as { totalCount: number }).totalCount >= (rows[i - 1] as { totalCount: number }).totalCount);
    }
  });
});
