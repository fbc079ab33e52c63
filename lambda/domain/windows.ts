/**
 * Window sums over a tenant's SLI counts. This runs for every tenant, window and tick, so it avoids summing the
 * same buckets twice: one backward pass over the fresh minute buckets serves all windows, and the hourly series
 * (reused between ticks) gets prefix sums once, cached by object identity, so a window costs two binary searches.
 */
import { DomainInputError, requirePositive } from './burn';
import type { CountBucket, CountSeries, WindowCounts } from './model';

/**
 * A tenant's counts in two tiers: minute buckets for recent data (cheap to refresh every tick) and hourly
 * buckets for the older part of the long windows and the SLO period.
 */
export interface TieredCounts {
  /** 60 s buckets; only those starting at or after `fineFrom` are used. */
  readonly fine: CountSeries;
  /** Epoch ms where the fine tier takes over, aligned to the coarse period (an hour). */
  readonly fineFrom: number;
  /** 3600 s buckets covering the time before `fineFrom`; null when only fine data is known. */
  readonly coarse: CountSeries | null;
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
export function sumSeries(series: CountSeries, from: number, to: number): WindowCounts {
  if (!(to > from)) return EMPTY;
  const sums = prefixSums(series);
  const first = firstBucketAtOrAfter(series.buckets, from);
  const end = firstBucketAtOrAfter(series.buckets, to);
  if (end <= first) return EMPTY;
  return { total: sums.total[end]! - sums.total[first]!, bad: sums.bad[end]! - sums.bad[first]! };
}

/**
 * Counts of several windows ending at `end` (exclusive), `windowMinutes` ascending. For each window: fine
 * buckets starting in [max(end - window, fineFrom), end) plus the coarse buckets that lie wholly inside
 * [end - window, fineFrom). A coarse bucket straddling the window start is left out, so the oldest edge of a
 * window that reaches into the coarse tier is accurate to one coarse period (an hour): the window may be up
 * to that much shorter.
 *
 * The fine series is usually fetched anew every tick, so it is summed in one backward pass from `end` that
 * serves every window (no prefix sums to build); the coarse series is reused between ticks and gets cached
 * prefix sums.
 */
export function sumWindows(tiered: TieredCounts, end: number, windowMinutes: readonly number[]): WindowCounts[] {
  const { fine, fineFrom, coarse } = tiered;
  const coarsePeriodMs = coarse === null ? 0 : coarse.periodSeconds * 1000;
  if (coarse !== null && fineFrom % coarsePeriodMs !== 0) {
    throw new DomainInputError('fineFrom', `aligned to the coarse period (${coarse.periodSeconds} s)`, fineFrom);
  }
  const buckets = fine.buckets;
  const results: WindowCounts[] = [];
  let index = firstBucketAtOrAfter(buckets, end) - 1;
  let total = 0;
  let bad = 0;
  let previousMinutes = 0;
  let laterStart = end;
  for (let i = 0; i < windowMinutes.length; i += 1) {
    const minutes = windowMinutes[i]!;
    if (!(minutes > previousMinutes && Number.isFinite(minutes))) {
      const allowed =
        i === 0 ? 'greater than 0' : `greater than windowMinutes[${i - 1}] (${previousMinutes}): windows ascending`;
      throw new DomainInputError(`windowMinutes[${i}]`, `a finite number ${allowed}`, minutes);
    }
    previousMinutes = minutes;
    const windowStart = end - minutes * 60_000;
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
    if (coarse === null || windowStart >= fineFrom) {
      results.push({ total, bad });
    } else {
      // A bucket lies wholly before fineFrom when start + period <= fineFrom, i.e. start < fineFrom - period + 1 ms.
      const old = sumSeries(coarse, windowStart, fineFrom - coarsePeriodMs + 1);
      results.push({ total: total + old.total, bad: bad + old.bad });
    }
  }
  return results;
}

/** Counts of the `windowMinutes` ending at `end` (exclusive); see `sumWindows` for the tiers and edges. */
export function sumWindow(tiered: TieredCounts, end: number, windowMinutes: number): WindowCounts {
  requirePositive('windowMinutes', windowMinutes);
  return sumWindows(tiered, end, [windowMinutes])[0]!;
}
