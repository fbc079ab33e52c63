/**
 * Turns one tenant's raw bad and total series (as GetMetricData returns them) into a `CountSeries`, and a
 * threshold SLI's raw statistic series into sorted points. Counts must be finite and non-negative, statistics
 * finite; a bucket that is not is dropped and reported, never silently patched.
 */
import type { CountBucket, CountSeries, SloDefinition } from './model';
import { ratioSlices, ratioSliceTarget, thresholdSlices } from './time-slices';
import type { StatisticPoint } from './time-slices';

/** Timestamps (epoch ms) and values of one series, index for index. */
export interface RawSeries {
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
}

/** A bucket dropped, or clamped, and why. */
export interface BucketIssue {
  readonly start: number;
  readonly reason: string;
}

export interface ParsedCounts {
  readonly series: CountSeries;
  /** Buckets dropped: a count that is NaN, infinite or negative, a duplicate timestamp, or bad without total. */
  readonly rejected: readonly BucketIssue[];
  /** Buckets kept with bad lowered to total, because more bad than total events cannot happen. */
  readonly clamped: readonly BucketIssue[];
}

/** Raw series that cannot be read at all (timestamps and values of different lengths). */
export class SeriesShapeError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'SeriesShapeError';
  }
}

interface Pair {
  bad?: number;
  total?: number;
  problem?: string;
}

/**
 * Aligns bad and total by timestamp. A bucket with total but no bad has bad 0 (the bad expression had no
 * datapoint). Buckets come out sorted ascending by start, whatever order the input had.
 */
export function parseCountSeries(periodSeconds: number, bad: RawSeries | undefined, total: RawSeries | undefined): ParsedCounts {
  const aligned = alignedAscending(bad, total);
  if (aligned) return aligned(periodSeconds);
  const pairs = new Map<number, Pair>();
  collect(pairs, 'bad', bad);
  collect(pairs, 'total', total);

  const buckets: CountBucket[] = [];
  const rejected: BucketIssue[] = [];
  const clamped: BucketIssue[] = [];
  for (const start of [...pairs.keys()].sort((a, b) => a - b)) {
    const pair = pairs.get(start) as Pair;
    if (pair.problem !== undefined || pair.total === undefined) {
      rejected.push({ start, reason: pair.problem ?? 'bad without total' });
      continue;
    }
    const badCount = pair.bad ?? 0;
    if (badCount > pair.total) {
      clamped.push({ start, reason: `bad ${badCount} > total ${pair.total}` });
      buckets.push({ start, total: pair.total, bad: pair.total });
    } else {
      buckets.push({ start, total: pair.total, bad: badCount });
    }
  }
  return { series: { periodSeconds, buckets }, rejected, clamped };
}

/**
 * The common case, taken every tick for every tenant: both series on the same strictly ascending timestamps with
 * clean counts (FILL and ScanBy TimestampAscending give exactly that). One pass, no intermediate map. Returns
 * undefined whenever anything needs the general path's checks and reports.
 */
function alignedAscending(bad: RawSeries | undefined, total: RawSeries | undefined): ((periodSeconds: number) => ParsedCounts) | undefined {
  if (bad === undefined || total === undefined) return undefined;
  const n = total.timestamps.length;
  if (bad.timestamps.length !== n || bad.values.length !== n || total.values.length !== n) return undefined;
  const buckets: CountBucket[] = new Array<CountBucket>(n);
  let previous = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const start = total.timestamps[i] as number;
    const b = bad.values[i] as number;
    const t = total.values[i] as number;
    // NaN fails every comparison, so it leaves the fast path too.
    if (bad.timestamps[i] !== start || !(start > previous) || !(b >= 0 && b <= t && t < Infinity)) return undefined;
    buckets[i] = { start, total: t, bad: b };
    previous = start;
  }
  return (periodSeconds) => ({ series: { periodSeconds, buckets }, rejected: [], clamped: [] });
}

function collect(pairs: Map<number, Pair>, side: 'bad' | 'total', raw: RawSeries | undefined): void {
  if (raw === undefined) return;
  if (raw.timestamps.length !== raw.values.length) {
    throw new SeriesShapeError(
      side,
      `timestamps and values must have the same length; got ${raw.timestamps.length} timestamps and ${raw.values.length} values`,
    );
  }
  raw.timestamps.forEach((start, index) => {
    const value = raw.values[index] as number;
    let pair = pairs.get(start);
    if (pair === undefined) {
      pair = {};
      pairs.set(start, pair);
    }
    if (pair[side] !== undefined) {
      pair.problem ??= `duplicate timestamp in ${side}`;
      return;
    }
    pair[side] = value;
    if (!Number.isFinite(value) || value < 0) pair.problem ??= `${side} is ${String(value)}`;
  });
}

export interface ParsedStatistics {
  /** Sorted ascending by start, one point per timestamp. */
  readonly points: readonly StatisticPoint[];
  /** Points dropped: a value that is NaN or infinite, or a timestamp given twice (both dropped). */
  readonly rejected: readonly BucketIssue[];
}

/** A threshold SLI's statistic per slice (e.g. p99), sorted; absent: the tenant had no data in the range. */
export function parseStatisticSeries(raw: RawSeries | undefined): ParsedStatistics {
  if (raw === undefined) return { points: [], rejected: [] };
  if (raw.timestamps.length !== raw.values.length) {
    throw new SeriesShapeError(
      'value',
      `timestamps and values must have the same length; got ${raw.timestamps.length} timestamps and ${raw.values.length} values`,
    );
  }
  // Per timestamp: its value, or why it cannot be used.
  const byStart = new Map<number, { value: number; problem: string | null }>();
  raw.timestamps.forEach((start, index) => {
    const value = raw.values[index] as number;
    const seen = byStart.get(start);
    if (seen !== undefined) seen.problem ??= 'duplicate timestamp in value';
    else byStart.set(start, { value, problem: Number.isFinite(value) ? null : `value is ${String(value)}` });
  });
  const points: StatisticPoint[] = [];
  const rejected: BucketIssue[] = [];
  for (const start of [...byStart.keys()].sort((a, b) => a - b)) {
    const { value, problem } = byStart.get(start) as { value: number; problem: string | null };
    if (problem !== null) rejected.push({ start, reason: problem });
    else points.push({ start, value });
  }
  return { points, rejected };
}

/** One tenant's raw series as they came back: a ratio SLI's bad and total, or a threshold SLI's value. */
export interface RawSliSeries {
  readonly bad?: RawSeries;
  readonly total?: RawSeries;
  readonly value?: RawSeries;
}

/**
 * A tenant's raw series as the SLO budgets them: event counts, or for a time-slice SLO one slice bucket per
 * period (a threshold SLI's statistic against its threshold, a ratio SLI's good ratio against its target).
 */
export function parseSliSeries(slo: SloDefinition, periodSeconds: number, raw: RawSliSeries): ParsedCounts {
  if (slo.sli.kind === 'threshold') {
    const parsed = parseStatisticSeries(raw.value);
    return { series: thresholdSlices(slo.sli, periodSeconds, parsed.points), rejected: parsed.rejected, clamped: [] };
  }
  const counts = parseCountSeries(periodSeconds, raw.bad, raw.total);
  const target = ratioSliceTarget(slo);
  return target === null ? counts : { ...counts, series: ratioSlices(target, counts.series) };
}
