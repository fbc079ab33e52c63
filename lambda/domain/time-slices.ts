/**
 * Time-slice budgeting (OpenSLO `budgetingMethod: Timeslices`): each slice of time is judged good or bad, and the
 * budget counts bad slices instead of bad events. A judged slice becomes an ordinary count bucket, `total` = its
 * length in minutes and `bad` = that length or 0, so windows, burn rates and budgets run through the same code as
 * event counts. A slice without data counts neither way (no bucket), as no traffic is not an outage.
 */
import { DomainInputError } from './burn';
import type { CountBucket, CountSeries, SloDefinition, ThresholdOperator, ThresholdSli, WindowCounts } from './model';

/** The statistic of one slice (e.g. the p99 latency of the minute starting at `start`). */
export interface StatisticPoint {
  readonly start: number;
  readonly value: number;
}

// good / total is a float; a slice exactly at its target on paper (999 of 1,000 at 0.999) must reach it.
const TARGET_TOLERANCE = 1e-12;

/** Whether a slice's statistic is good: `value op threshold` (p99 `lte` 300 ms: 300 is good, 301 is bad). */
export function meetsThreshold(value: number, op: ThresholdOperator, threshold: number): boolean {
  switch (op) {
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
    case 'gt':
      return value > threshold;
    case 'gte':
      return value >= threshold;
  }
}

/** Whether a slice's events are good enough: good / total reaches `target`; null when the slice had no events. */
export function meetsTarget(counts: WindowCounts, target: number): boolean | null {
  if (!(counts.total > 0)) return null;
  return (counts.total - counts.bad) / counts.total >= target - TARGET_TOLERANCE;
}

/** A judged slice as a count bucket: `total` its length in minutes, `bad` the same length when bad, else 0. */
export function sliceBucket(start: number, sliceMinutes: number, good: boolean): CountBucket {
  return { start, total: sliceMinutes, bad: good ? 0 : sliceMinutes };
}

/** Slice length in minutes of a series read at `periodSeconds` (a whole number of minutes). */
export function sliceMinutesOf(periodSeconds: number): number {
  if (!(Number.isInteger(periodSeconds) && periodSeconds > 0 && periodSeconds % 60 === 0)) {
    throw new DomainInputError('periodSeconds', 'a positive multiple of 60 for a time-slice series', periodSeconds);
  }
  return periodSeconds / 60;
}

/**
 * A threshold SLI's statistics, one per slice of `periodSeconds`, as slice buckets (in the order given). A point
 * that is not a finite number is refused: the reader drops and reports those before judging.
 */
export function thresholdSlices(sli: ThresholdSli, periodSeconds: number, points: readonly StatisticPoint[]): CountSeries {
  const sliceMinutes = sliceMinutesOf(periodSeconds);
  const buckets = points.map((point, index) => {
    if (!Number.isFinite(point.value)) throw new DomainInputError(`points[${index}].value`, 'a finite number', point.value);
    return sliceBucket(point.start, sliceMinutes, meetsThreshold(point.value, sli.op, sli.threshold));
  });
  return { periodSeconds, buckets };
}

/** A ratio SLI's event counts, one bucket per slice, as slice buckets; buckets without events are left out. */
export function ratioSlices(target: number, counts: CountSeries): CountSeries {
  requireTarget(target);
  const sliceMinutes = sliceMinutesOf(counts.periodSeconds);
  const buckets: CountBucket[] = [];
  for (const bucket of counts.buckets) {
    const good = meetsTarget(bucket, target);
    if (good !== null) buckets.push(sliceBucket(bucket.start, sliceMinutes, good));
  }
  return { periodSeconds: counts.periodSeconds, buckets };
}

/** The good-ratio target of a ratio SLO budgeted by time slices; null when the SLO counts events. */
export function ratioSliceTarget(slo: SloDefinition): number | null {
  if (slo.timeSlices === undefined || slo.sli.kind !== 'ratio') return null;
  const target = slo.timeSlices.timeSliceTarget;
  if (target === null) {
    throw new DomainInputError(`slo ${JSON.stringify(slo.name)} timeSlices.timeSliceTarget`, 'a number in (0, 1] for a ratio SLI budgeted by time slices', target);
  }
  return requireTarget(target);
}

function requireTarget(target: number): number {
  if (!(target > 0 && target <= 1)) throw new DomainInputError('timeSliceTarget', 'a number in (0, 1]', target);
  return target;
}
