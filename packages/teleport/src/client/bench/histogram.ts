/**
 * @module client/bench/histogram
 * A pure HDR-style latency histogram for `tsh bench`: integer microseconds from 0 up to one hour,
 * kept in log-linear buckets with three significant decimal digits (every recorded value is
 * represented within 1/1024 of itself, better than 0.1%), so memory is fixed (~23k counters) however
 * many values are recorded. Min, max and mean are exact. {@link Histogram.exportPercentiles} writes
 * HdrHistogram's percentile distribution text (the `outputPercentileDistribution` layout that
 * HdrHistogram's plotter reads).
 *
 * Layout: values below 2048 have one bucket each. Above, a value v with highest set bit b lives in
 * "half" e = b - 10, where buckets are 2^e wide and there are 1024 of them (v >>> e is in
 * [1024, 2048)). That is HdrHistogram's scheme with 2048 sub-buckets.
 */

/** Highest value the histogram tracks: one hour in microseconds; larger values are clamped to it. */
export const HISTOGRAM_MAX_US = 3_600_000_000;

/** Number of sub-buckets of each power of two (gives 3 significant digits). */
const SUB_BUCKETS = 2048;
const HALF = SUB_BUCKETS / 2;
const HALF_BITS = 10; // log2(HALF)
/** Highest half needed for HISTOGRAM_MAX_US (2^31 <= 3.6e9 < 2^32). */
const TOP_HALF = 31 - HALF_BITS;
const BUCKET_COUNT = SUB_BUCKETS + TOP_HALF * HALF;

function bitLength(v: number): number {
  return 32 - Math.clz32(v);
}

/** The counter index of an integer value in [0, HISTOGRAM_MAX_US]. */
function indexOf(v: number): number {
  if (v < SUB_BUCKETS) return v;
  const e = bitLength(v) - 1 - HALF_BITS;
  return SUB_BUCKETS + (e - 1) * HALF + ((v >>> e) - HALF);
}

/** The lowest and highest value that share counter `i`. */
function rangeOf(i: number): { low: number; high: number } {
  if (i < SUB_BUCKETS) return { low: i, high: i };
  const e = Math.floor((i - SUB_BUCKETS) / HALF) + 1;
  const sub = ((i - SUB_BUCKETS) % HALF) + HALF;
  const low = sub * 2 ** e;
  return { low, high: low + 2 ** e - 1 };
}

/** One row of the percentile distribution. */
export interface PercentileRow {
  /** Percentile level, 0..100. */
  percentile: number;
  /** Value at that level, microseconds. */
  valueUs: number;
  /** How many recorded values are at or below `valueUs`. */
  totalCount: number;
}

/** A log-linear latency histogram over microseconds (see the module comment). */
export class Histogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private minUs = Infinity;
  private maxUs = -Infinity;
  private sum = 0;
  private sumSquares = 0;
  /** Values above {@link HISTOGRAM_MAX_US} that were clamped to it. */
  clamped = 0;

  /** Records one value in microseconds (rounded; negative counts as 0, above an hour as an hour). */
  record(valueUs: number, times = 1): void {
    if (!Number.isFinite(valueUs)) throw new RangeError(`cannot record ${valueUs} in a histogram`);
    let v = Math.max(0, Math.round(valueUs));
    if (v > HISTOGRAM_MAX_US) {
      v = HISTOGRAM_MAX_US;
      this.clamped += times;
    }
    (this.counts[indexOf(v)] as number) += times;
    this.total += times;
    this.sum += v * times;
    this.sumSquares += v * v * times;
    if (v < this.minUs) this.minUs = v;
    if (v > this.maxUs) this.maxUs = v;
  }

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /** Smallest recorded value (exact), 0 when empty. */
  get min(): number {
    return this.total ? this.minUs : 0;
  }

  /** Largest recorded value (exact), 0 when empty. */
  get max(): number {
    return this.total ? this.maxUs : 0;
  }

  /** Arithmetic mean (exact), 0 when empty. */
  get mean(): number {
    return this.total ? this.sum / this.total : 0;
  }

  /** Population standard deviation (exact), 0 when empty. */
  get stdDev(): number {
    if (!this.total) return 0;
    const m = this.mean;
    return Math.sqrt(Math.max(0, this.sumSquares / this.total - m * m));
  }

  /**
   * The value at percentile `p` (0..100): the smallest bucket holding at least p% of the values,
   * reported as its highest equivalent value (as HdrHistogram does) but never outside [min, max].
   * 0 when empty.
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100, not ${p}`);
    if (!this.total) return 0;
    const target = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i] as number;
      if (seen >= target) return Math.min(this.maxUs, Math.max(this.minUs, rangeOf(i).high));
    }
    return this.maxUs;
  }

  /** How many recorded values are at or below `valueUs` (to bucket precision). */
  countAtOrBelow(valueUs: number): number {
    const last = indexOf(Math.min(HISTOGRAM_MAX_US, Math.max(0, Math.round(valueUs))));
    let seen = 0;
    for (let i = 0; i <= last; i++) seen += this.counts[i] as number;
    return seen;
  }

  /** Adds every value of `other` into this histogram. */
  merge(other: Histogram): this {
    for (let i = 0; i < BUCKET_COUNT; i++) (this.counts[i] as number) += other.counts[i] as number;
    this.total += other.total;
    this.sum += other.sum;
    this.sumSquares += other.sumSquares;
    this.clamped += other.clamped;
    if (other.total) {
      this.minUs = Math.min(this.minUs, other.minUs);
      this.maxUs = Math.max(this.maxUs, other.maxUs);
    }
    return this;
  }

  /**
   * The rows of HdrHistogram's percentile distribution: 0%, then `ticksPerHalfDistance` levels in
   * each halving of the remaining distance to 100% (50, 75, 87.5, ...), until no recorded value is
   * left above the level, then 100%.
   */
  percentileRows(ticksPerHalfDistance = 5): PercentileRow[] {
    if (!this.total) return [];
    const rows: PercentileRow[] = [];
    const row = (percentile: number): PercentileRow => {
      const valueUs = this.percentile(percentile);
      return { percentile, valueUs, totalCount: this.countAtOrBelow(valueUs) };
    };
    for (let level = 0; level < 100;) {
      const r = row(level);
      rows.push(r);
      if (r.totalCount >= this.total) break;
      const ticks = ticksPerHalfDistance * 2 ** (Math.floor(Math.log2(100 / (100 - level))) + 1);
      level += 100 / ticks;
    }
    rows.push(row(100));
    return rows;
  }

  /**
   * HdrHistogram's percentile distribution text, values divided by `unitUs` (default 1000: the
   * file is in milliseconds).
   */
  exportPercentiles(opts: { ticksPerHalfDistance?: number; unitUs?: number } = {}): string {
    const unit = opts.unitUs ?? 1000;
    const f = (v: number): string => (v / unit).toFixed(3).padStart(12);
    const n = (v: number, w: number): string => String(v).padStart(w);
    const lines = [`${'Value'.padStart(12)} ${'Percentile'.padStart(14)} ${'TotalCount'.padStart(10)} ${'1/(1-Percentile)'.padStart(14)}`, ''];
    for (const r of this.percentileRows(opts.ticksPerHalfDistance)) {
      const q = r.percentile / 100;
      const base = `${f(r.valueUs)} ${q.toFixed(12)} ${n(r.totalCount, 10)}`;
      lines.push(q < 1 ? `${base} ${(1 / (1 - q)).toFixed(2).padStart(14)}` : base);
    }
    lines.push(
      `#[Mean    = ${f(this.mean)}, StdDeviation   = ${f(this.stdDev)}]`,
      `#[Max     = ${f(this.max)}, Total count    = ${n(this.total, 12)}]`,
      `#[Buckets = ${n(TOP_HALF + 1, 12)}, SubBuckets     = ${n(SUB_BUCKETS, 12)}]`,
    );
    return `${lines.join('\n')}\n`;
  }
}
