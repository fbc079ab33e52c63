/**
 * AWS list prices the benchmark's cost model uses: us-east-1 (N. Virginia), on-demand, no free tier, no Savings
 * Plans. The only place prices live; change them here and every figure in the bench output follows.
 *
 * Checked on 2026-11-25 against the public pricing pages (list prices change: verify before relying on them):
 * - CloudWatch   https://aws.amazon.com/cloudwatch/pricing/
 * - DynamoDB     https://aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand throughput price after the 2024-11-01 cut)
 * - Lambda       https://aws.amazon.com/lambda/pricing/ (Arm, first pricing tier)
 */

export const PRICES_CHECKED_ON = '2026-11-25';
export const PRICES_REGION = 'us-east-1';

/** One tier of a tiered price: `upTo` units (per month) at `usdPerUnit`; `null` means "and above". */
export interface PriceTier {
  readonly upTo: number | null;
  readonly usdPerUnit: number;
}

export interface Prices {
  readonly cloudwatch: {
    /** GetMetricData is billed per metric requested (each MetricStat query), not per call or datapoint. */
    readonly getMetricDataPerMetricRequested: number;
    /** ListMetrics (tenant discovery) is a standard API request. */
    readonly apiRequest: number;
    /** Custom metrics (the evaluator's own EMF metrics), per metric-month, prorated by the hour. */
    readonly customMetricMonthTiers: readonly PriceTier[];
    /** EMF documents are log lines: CloudWatch Logs standard ingestion, per GB. */
    readonly logsIngestionPerGb: number;
  };
  readonly dynamodb: {
    /** On-demand write request unit (one write of an item up to 1 KB). */
    readonly writeRequestUnit: number;
    /** On-demand read request unit (one strongly consistent read of an item up to 4 KB). */
    readonly readRequestUnit: number;
    /** Standard table class storage, per GB-month (history items kept until their TTL). */
    readonly storagePerGbMonth: number;
  };
  readonly lambda: {
    /** arm64 duration, per GB-second (first tier, up to 7.5 billion GB-s a month). */
    readonly arm64PerGbSecond: number;
    readonly request: number;
  };
}

export const PRICES: Prices = {
  cloudwatch: {
    getMetricDataPerMetricRequested: 0.01 / 1_000,
    apiRequest: 0.01 / 1_000,
    customMetricMonthTiers: [
      { upTo: 10_000, usdPerUnit: 0.3 },
      { upTo: 250_000, usdPerUnit: 0.1 },
      { upTo: 1_000_000, usdPerUnit: 0.05 },
      { upTo: null, usdPerUnit: 0.02 },
    ],
    logsIngestionPerGb: 0.5,
  },
  dynamodb: {
    writeRequestUnit: 0.625 / 1_000_000,
    readRequestUnit: 0.125 / 1_000_000,
    storagePerGbMonth: 0.25,
  },
  lambda: {
    arm64PerGbSecond: 0.0000133334,
    request: 0.2 / 1_000_000,
  },
};
