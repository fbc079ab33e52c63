/**
 * Window sums over a tenant's SLI counts. This runs for every tenant, window and tick, so it avoids summing the
 * same buckets twice: one backward pass over the fine (minute) buckets serves all windows, and the coarse series
 * (reused between ticks) is read through prefix sums, so a window's older part costs two lookups.
 *
 * Three layouts: `CountSeries` (sorted bucket objects, as parsed from CloudWatch; the backtest and tests use it),
 * `RingSeries` (the evaluator's minute buckets kept between ticks in typed arrays) and `PrefixSeries` (the
 * evaluator's coarse buckets as running sums in typed arrays). Sums over the same counts are identical, bit for bit,
 * whatever the layout: the same buckets are added in the same order.
 */
import { DomainInputError, requirePositive } from './burn';
import type { CountBucket, CountSeries, WindowCounts } from './model';

/**
 * Buckets of one period in a ring of typed-array slots: the bucket starting at `k x period` is held in slot
 * `offset + (k mod capacity)` of `total` and `bad`, for the buckets starting in [from, to). Slots outside
 * [offset, offset + capacity) belong to other series (many tenants share one pair of arrays).
 */
export interface RingSeries {
  readonly layout: 'ring';
  readonly periodSeconds: number;
  /** Start (epoch ms, inclusive) of the oldest bucket held; a multiple of the period. */
  readonly from: number;
  /** End (epoch ms, exclusive) of the newest bucket held; a multiple of the period, at most capacity periods after `from`. */
  readonly to: number;
  readonly offset: number;
  readonly capacity: number;
  readonly total: Float64Array;
  readonly bad: Float64Array;
}

/**
 * `length` consecutive buckets from `from`, held as running sums: entry i is the sum of buckets [0, i), so any
 * range of buckets is one subtraction. Absent buckets are zeros. 8 bytes per bucket and side, no object per bucket.
 */
export interface PrefixSeries {
  readonly layout: 'prefix';
  readonly periodSeconds: number;
  /** Start (epoch ms) of bucket 0. */
  readonly from: number;
  /** Buckets covered; `total` and `bad` have length + 1 entries. */
  readonly length: number;
  readonly total: Float64Array;
  readonly bad: Float64Array;
}

/** Minute buckets as the evaluator may hold them: parsed objects or a ring of typed-array slots. */
export type FineSeries = CountSeries | RingSeries;
/** Coarse buckets as the evaluator may hold them: parsed objects or running sums in typed arrays. */
export type CoarseSeries = CountSeries | PrefixSeries;

/**
 * A tenant's counts in two tiers: minute buckets for recent data (cheap to refresh every tick) and coarse
 * (hourly, or `coarsePeriodSeconds`) buckets for the older part of the long windows and the SLO period.
 */
export interface TieredCounts {
  /** 60 s buckets; only those starting at or after `fineFrom` are used. */
  readonly fine: FineSeries;
  /** Epoch ms where the fine tier takes over, aligned to the coarse period. */
  readonly fineFrom: number;
  /** Coarse buckets covering the time before `fineFrom`; null when only fine data is known. */
  readonly coarse: CoarseSeries | null;
}

/** Running sums: entry i is the sum of buckets [0, i). */
interface PrefixSums {
  readonly total: Float64Array;
  readonly bad: Float64Array;
}

// Series are readonly values, so a series object's sums never change; the WeakMap lets them go with the series.
const prefixCache = new WeakMap<CountSeries, PrefixSums>();

function prefixSums(series: CountSeries): PrefixSums {
  const cached = prefixCache.get(series);
  if (cached) return cached;
  const buckets = series.buckets;
  const count = buckets.length;
  const total = new Float64Array(count + 1);
  const bad = new Float64Array(count + 1);
  let previousStart = -Infinity;
  for (let i = 0; i < count; i += 1) {
    const bucket = buckets[i]!;
    if (!(bucket.start > previousStart)) {
      throw new DomainInputError(
        `buckets[${i}].start`,
        `greater than the previous bucket's start (${previousStart}): buckets sorted by start, no duplicates`,
        bucket.start,
      );
    }
    previousStart = bucket.start;
    total[i + 1] = total[i]! + bucket.total;
    bad[i + 1] = bad[i]! + bucket.bad;
  }
  const sums: PrefixSums = { total, bad };
  prefixCache.set(series, sums);
  return sums;
}

/** Index of the first bucket whose start is >= `at` (the count when none is). */
function firstBucketAtOrAfter(buckets: readonly CountBucket[], at: number): number {
  let low = 0;
  let high = buckets.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (buckets[middle]!.start < at) low = middle + 1;
    else high = middle;
  }
  return low;
}

const EMPTY: WindowCounts = { total: 0, bad: 0 };

/** Counts of the buckets whose start lies in [from, to). */
export function sumSeries(series: CoarseSeries, from: number, to: number): WindowCounts {
  if (!(to > from)) return EMPTY;
  if (!('buckets' in series)) return sumPrefix(series, from, to);
  const sums = prefixSums(series);
  const first = firstBucketAtOrAfter(series.buckets, from);
  const end = firstBucketAtOrAfter(series.buckets, to);
  if (end <= first) return EMPTY;
  return { total: sums.total[end]! - sums.total[first]!, bad: sums.bad[end]! - sums.bad[first]! };
}

/** Index (0..length) of the first bucket of a prefix series starting at or after `at`. */
function prefixIndexAtOrAfter(series: PrefixSeries, periodMs: number, at: number): number {
  const index = Math.ceil((at - series.from) / periodMs);
  return index < 0 ? 0 : index > series.length ? series.length : index;
}

function sumPrefix(series: PrefixSeries, from: number, to: number): WindowCounts {
  const periodMs = series.periodSeconds * 1000;
  const first = prefixIndexAtOrAfter(series, periodMs, from);
  const end = prefixIndexAtOrAfter(series, periodMs, to);
  if (end <= first) return EMPTY;
  return { total: series.total[end]! - series.total[first]!, bad: series.bad[end]! - series.bad[first]! };
}

/**
 * The buckets of `series` in [from, to) as running sums, dense from `from` (absent buckets count 0). Writes into
 * `reuse` when its arrays have the right length, so a refresh of the same range allocates nothing.
 */
export function toPrefixSeries(series: CountSeries, from: number, to: number, reuse?: PrefixSeries): PrefixSeries {
  const periodMs = series.periodSeconds * 1000;
  requirePositive('periodSeconds', series.periodSeconds);
  if (!(to >= from) || (to - from) % periodMs !== 0) {
    throw new DomainInputError('to', `a whole number of ${series.periodSeconds} s periods at or after from (${from})`, to);
  }
  const length = (to - from) / periodMs;
  const buckets = series.buckets;
  // Checked before writing, so a refused series never leaves `reuse` half overwritten.
  let previousStart = -Infinity;
  for (let i = 0; i < buckets.length; i += 1) {
    const start = buckets[i]!.start;
    const index = (start - from) / periodMs;
    if (!(start > previousStart) || !Number.isInteger(index) || index < 0 || index >= length) {
      throw new DomainInputError(
        `buckets[${i}].start`,
        `after the previous bucket's start (${previousStart}), in [${from}, ${to}) and a whole number of periods from ${from}`,
        start,
      );
    }
    previousStart = start;
  }
  const fits = reuse !== undefined && reuse.length === length;
  const total = fits ? reuse.total : new Float64Array(length + 1);
  const bad = fits ? reuse.bad : new Float64Array(length + 1);
  total[0] = 0;
  bad[0] = 0;
  let next = 0;
  for (let i = 0; i < buckets.length; i += 1) {
    const bucket = buckets[i]!;
    const index = (bucket.start - from) / periodMs;
    // Empty buckets add 0, which leaves a running sum exactly as it was: dense sums equal sparse ones.
    for (; next < index; next += 1) {
      total[next + 1] = total[next]!;
      bad[next + 1] = bad[next]!;
    }
    total[index + 1] = total[index]! + bucket.total;
    bad[index + 1] = bad[index]! + bucket.bad;
    next = index + 1;
  }
  for (; next < length; next += 1) {
    total[next + 1] = total[next]!;
    bad[next + 1] = bad[next]!;
  }
  return { layout: 'prefix', periodSeconds: series.periodSeconds, from, length, total, bad };
}

/** Slot of the bucket starting at `start` in a ring of `capacity` slots from `offset`. */
export function ringSlot(offset: number, capacity: number, periodMs: number, start: number): number {
  const k = Math.floor(start / periodMs) % capacity;
  return offset + (k < 0 ? k + capacity : k);
}

/**
 * Counts of several windows ending at `end` (exclusive), `windowMinutes` ascending. For each window: fine
 * buckets starting in [max(end - window, fineFrom), end) plus the coarse buckets that lie wholly inside
 * [end - window, fineFrom). A coarse bucket straddling the window start is left out, so the oldest edge of a
 * window that reaches into the coarse tier is accurate to one coarse period (an hour): the window may be up
 * to that much shorter.
 *
 * The fine tier is summed in one backward pass from `end` that serves every window (no prefix sums to build or
 * keep up to date every tick); the coarse tier is reused between ticks and read through prefix sums.
 */
export function sumWindows(tiered: TieredCounts, end: number, windowMinutes: readonly number[]): WindowCounts[] {
  const { fine, fineFrom, coarse } = tiered;
  if (coarse !== null && fineFrom % (coarse.periodSeconds * 1000) !== 0) {
    throw new DomainInputError('fineFrom', `aligned to the coarse period (${coarse.periodSeconds} s)`, fineFrom);
  }
  return 'buckets' in fine
    ? sumOverBuckets(fine, fineFrom, coarse, end, windowMinutes)
    : sumOverRing(fine, fineFrom, coarse, end, windowMinutes);
}

/** Throws unless windowMinutes[i] is finite and above the previous window (or 0). */
function requireWindow(windowMinutes: readonly number[], i: number): number {
  const minutes = windowMinutes[i]!;
  const previous = i === 0 ? 0 : windowMinutes[i - 1]!;
  if (!(minutes > previous && Number.isFinite(minutes))) {
    const allowed = i === 0 ? 'greater than 0' : `greater than windowMinutes[${i - 1}] (${previous}): windows ascending`;
    throw new DomainInputError(`windowMinutes[${i}]`, `a finite number ${allowed}`, minutes);
  }
  return minutes;
}

/** The window's fine counts plus, when it reaches before `fineFrom`, the coarse buckets wholly inside it. */
function withCoarse(total: number, bad: number, coarse: CoarseSeries | null, windowStart: number, fineFrom: number): WindowCounts {
  if (coarse === null || windowStart >= fineFrom) return { total, bad };
  // A bucket lies wholly before fineFrom when start + period <= fineFrom, i.e. start < fineFrom - period + 1 ms.
  const old = sumSeries(coarse, windowStart, fineFrom - coarse.periodSeconds * 1000 + 1);
  return { total: total + old.total, bad: bad + old.bad };
}

function sumOverBuckets(
  fine: CountSeries,
  fineFrom: number,
  coarse: CoarseSeries | null,
  end: number,
  windowMinutes: readonly number[],
): WindowCounts[] {
  const buckets = fine.buckets;
  const results: WindowCounts[] = [];
  let index = firstBucketAtOrAfter(buckets, end) - 1;
  let total = 0;
  let bad = 0;
  let laterStart = end;
  for (let i = 0; i < windowMinutes.length; i += 1) {
    const windowStart = end - requireWindow(windowMinutes, i) * 60_000;
    const fineStart = Math.max(windowStart, fineFrom);
    for (let bucket = buckets[index]; bucket !== undefined && bucket.start >= fineStart; bucket = buckets[--index]) {
      if (!(bucket.start < laterStart)) {
        throw new DomainInputError(
          `fine.buckets[${index}].start`,
          `less than the next bucket's start (${laterStart}): buckets sorted by start, no duplicates`,
          bucket.start,
        );
      }
      laterStart = bucket.start;
      total += bucket.total;
      bad += bucket.bad;
    }
    results.push(withCoarse(total, bad, coarse, windowStart, fineFrom));
  }
  return results;
}

function sumOverRing(
  ring: RingSeries,
  fineFrom: number,
  coarse: CoarseSeries | null,
  end: number,
  windowMinutes: readonly number[],
): WindowCounts[] {
  const periodMs = ring.periodSeconds * 1000;
  if (!(ring.to >= ring.from && ring.to - ring.from <= ring.capacity * periodMs)) {
    throw new DomainInputError('fine.to', `from (${ring.from}) to at most ${ring.capacity} periods after it`, ring.to);
  }
  const { total: totals, bad: bads, offset, capacity } = ring;
  const results: WindowCounts[] = [];
  // Bucket numbers (start / period): the newest bucket before `end` that the ring holds, and the oldest held.
  let k = Math.ceil(Math.min(end, ring.to) / periodMs) - 1;
  const oldestHeld = Math.ceil(ring.from / periodMs);
  let slot = ringSlot(offset, capacity, periodMs, k * periodMs);
  const lastSlot = offset + capacity - 1;
  let total = 0;
  let bad = 0;
  for (let i = 0; i < windowMinutes.length; i += 1) {
    const windowStart = end - requireWindow(windowMinutes, i) * 60_000;
    const stop = Math.max(Math.ceil(Math.max(windowStart, fineFrom) / periodMs), oldestHeld);
    for (; k >= stop; k -= 1) {
      total += totals[slot]!;
      bad += bads[slot]!;
      slot = slot === offset ? lastSlot : slot - 1;
    }
    results.push(withCoarse(total, bad, coarse, windowStart, fineFrom));
  }
  return results;
}

/** Counts of the `windowMinutes` ending at `end` (exclusive); see `sumWindows` for the tiers and edges. */
export function sumWindow(tiered: TieredCounts, end: number, windowMinutes: number): WindowCounts {
  requirePositive('windowMinutes', windowMinutes);
  return sumWindows(tiered, end, [windowMinutes])[0]!;
}
