/**
 * Paces GetMetricData calls to a datapoints-per-second rate (and, when given, a calls-per-second rate), so that a
 * burst of reads (a cold container warming its caches: millions of datapoints; 40 shards calling at once) waits its
 * turn instead of being throttled by CloudWatch, retried and, after the last attempt, failing its tenants. One token
 * bucket per datapoint quota class (StartTime within 3 hours, or older) and one for calls, each refilled continuously
 * with one second of burst, as CloudWatch's own quotas are described.
 */
import { RECENT_START_MS, type DatapointRates } from '../domain/query-plan';
import { sleepMs } from './retry';

/** A rate the pacer cannot work with. */
export class DatapointRateError extends Error {
  constructor(
    readonly field: string,
    readonly given: unknown,
    unit: 'datapoints' | 'calls' = 'datapoints',
  ) {
    super(`${field} must be a number of ${unit} per second greater than 0; got ${String(given)}`);
    this.name = 'DatapointRateError';
  }
}

export interface DatapointPacerOptions {
  /** GetMetricData calls per second; every `take` is one call. @default - calls are not paced */
  readonly callsPerSecond?: number;
  /** Epoch ms. @default Date.now */
  readonly clock?: () => number;
  /** @default a setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Bucket {
  readonly rate: number;
  tokens: number;
  refilledAt: number;
}

export class DatapointPacer {
  private readonly buckets: Readonly<Record<keyof DatapointRates, Bucket>>;
  private readonly calls: Bucket | null;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds spent waiting for datapoints, over every call (for logs and the benchmark). */
  waitedMs = 0;

  constructor(rates: DatapointRates, options: DatapointPacerOptions = {}) {
    for (const kind of ['recent', 'older'] as const) {
      if (!(rates[kind] > 0 && Number.isFinite(rates[kind]))) throw new DatapointRateError(`datapointsPerSecond.${kind}`, rates[kind]);
    }
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? sleepMs;
    const calls = options.callsPerSecond;
    if (calls !== undefined && !(calls > 0 && Number.isFinite(calls))) throw new DatapointRateError('callsPerSecond', calls, 'calls');
    const now = this.clock();
    this.buckets = {
      recent: { rate: rates.recent, tokens: rates.recent, refilledAt: now },
      older: { rate: rates.older, tokens: rates.older, refilledAt: now },
    };
    // At least one call of burst, so a rate below 1 a second still lets a call through once it has refilled.
    this.calls = calls === undefined ? null : { rate: calls, tokens: Math.max(1, calls), refilledAt: now };
  }

  /** Datapoints per second this pacer allows a call over [from, to). */
  rateOf(from: number, to: number): number {
    return this.buckets[DatapointPacer.kindOf(from, to)].rate;
  }

  /** The quota class of a call over [from, to). */
  static kindOf(from: number, to: number): keyof DatapointRates {
    return to - from <= RECENT_START_MS ? 'recent' : 'older';
  }

  /**
   * Resolves once `datapoints` of the call's class are available, and takes them. A call larger than one second of
   * the rate waits for a full bucket (it cannot wait for more than the bucket holds) and still takes all it costs:
   * the bucket goes into debt, which later calls wait out, so the long-run rate holds for calls of any size.
   */
  async take(from: number, to: number, datapoints: number): Promise<void> {
    for (;;) {
      const calls = this.calls;
      const callMissing = calls === null ? 0 : this.missing(calls, 1, Math.max(1, calls.rate));
      const missing = callMissing > 0 ? 0 : this.tryTake(from, to, datapoints);
      if (callMissing === 0 && missing === 0) {
        if (calls !== null) calls.tokens -= 1;
        return;
      }
      const bucket = callMissing > 0 ? (calls as Bucket) : this.buckets[DatapointPacer.kindOf(from, to)];
      const waitMs = Math.max(1, Math.ceil(((callMissing > 0 ? callMissing : missing) / bucket.rate) * 1000));
      this.waitedMs += waitMs;
      await this.sleep(waitMs);
    }
  }

  /** Refills `bucket` to now; how many of `need` tokens it lacks (0: they are there, not taken). */
  private missing(bucket: Bucket, need: number, capacity: number): number {
    const now = this.clock();
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.rate);
    bucket.refilledAt = now;
    return bucket.tokens < need ? need - bucket.tokens : 0;
  }

  /**
   * Takes the call's datapoints when they (or, for a call larger than one second of rate, a full bucket) are
   * available now and returns 0; otherwise takes nothing and returns how many are missing. What a quota that
   * refuses rather than waits does.
   */
  tryTake(from: number, to: number, datapoints: number): number {
    const bucket = this.buckets[DatapointPacer.kindOf(from, to)];
    const missing = this.missing(bucket, Math.min(datapoints, bucket.rate), bucket.rate);
    if (missing === 0) bucket.tokens -= datapoints;
    return missing;
  }
}

/**
 * The `pacer` option of a CloudWatchMetricSource for the evaluator's rates (EvaluatorSettings.datapointsPerSecond and
 * getMetricDataCallsPerSecond), if it has any.
 */
export function pacing(settings: {
  readonly datapointsPerSecond?: DatapointRates;
  readonly getMetricDataCallsPerSecond?: number;
}): { readonly pacer?: DatapointPacer } {
  const { datapointsPerSecond: rates, getMetricDataCallsPerSecond: callsPerSecond } = settings;
  if (rates === undefined) return {};
  return { pacer: new DatapointPacer(rates, callsPerSecond === undefined ? {} : { callsPerSecond }) };
}
