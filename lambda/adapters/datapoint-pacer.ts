/**
 * Paces GetMetricData calls to a datapoints-per-second rate, so that a burst of reads (a cold container warming its
 * caches: millions of datapoints) waits its turn instead of being throttled by CloudWatch, retried and, after the
 * last attempt, failing its tenants. One token bucket per quota class (StartTime within 3 hours, or older), refilled
 * continuously with one second of burst, as CloudWatch's own quotas are described.
 */
import { RECENT_START_MS, type DatapointRates } from '../domain/query-plan';
import { sleepMs } from './retry';

/** A rate the pacer cannot work with. */
export class DatapointRateError extends Error {
  constructor(
    readonly field: string,
    readonly given: unknown,
  ) {
    super(`${field} must be a number of datapoints per second greater than 0; got ${String(given)}`);
    this.name = 'DatapointRateError';
  }
}

export interface DatapointPacerOptions {
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
    const now = this.clock();
    this.buckets = {
      recent: { rate: rates.recent, tokens: rates.recent, refilledAt: now },
      older: { rate: rates.older, tokens: rates.older, refilledAt: now },
    };
  }

  /** The quota class of a call over [from, to). */
  static kindOf(from: number, to: number): keyof DatapointRates {
    return to - from <= RECENT_START_MS ? 'recent' : 'older';
  }

  /**
   * Resolves once `datapoints` of the call's class are available, and takes them. A call larger than one second of
   * the rate waits for a full bucket and takes all of it (it cannot wait for more than the bucket holds).
   */
  async take(from: number, to: number, datapoints: number): Promise<void> {
    for (;;) {
      const missing = this.tryTake(from, to, datapoints);
      if (missing === 0) return;
      const bucket = this.buckets[DatapointPacer.kindOf(from, to)];
      const waitMs = Math.max(1, Math.ceil((missing / bucket.rate) * 1000));
      this.waitedMs += waitMs;
      await this.sleep(waitMs);
    }
  }

  /**
   * Takes the call's datapoints (at most one second of rate) when they are available now and returns 0; otherwise
   * takes nothing and returns how many are missing. What a quota that refuses rather than waits does.
   */
  tryTake(from: number, to: number, datapoints: number): number {
    const bucket = this.buckets[DatapointPacer.kindOf(from, to)];
    const need = Math.min(datapoints, bucket.rate);
    const now = this.clock();
    bucket.tokens = Math.min(bucket.rate, bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.rate);
    bucket.refilledAt = now;
    if (bucket.tokens < need) return need - bucket.tokens;
    bucket.tokens -= need;
    return 0;
  }
}

/** The `pacer` option of a CloudWatchMetricSource for the evaluator's rates (EvaluatorSettings.datapointsPerSecond), if any. */
export function pacing(rates: DatapointRates | undefined): { readonly pacer?: DatapointPacer } {
  return rates === undefined ? {} : { pacer: new DatapointPacer(rates) };
}
