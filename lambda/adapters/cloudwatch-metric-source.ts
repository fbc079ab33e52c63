/**
 * `MetricSource` over CloudWatch: GetMetricData for per-tenant SLI counts (for a time-slice SLO, one slice bucket
 * per period: see lambda/domain/time-slices.ts), ListMetrics for tenant discovery.
 * The query plan (lambda/domain/query-plan.ts) keeps every call within the API's limits; this adapter runs
 * the batches with bounded concurrency, retries throttling, follows NextToken, and turns per-query problems
 * into per-tenant failures so one bad tenant or one failed call never hides the others' results.
 */
import {
  GetMetricDataCommand,
  ListMetricsCommand,
  type CloudWatchClient,
  type GetMetricDataCommandOutput,
  type ListMetricsCommandOutput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { CountSeries, SloDefinition } from '../domain/model';
import { discoveryMetric, planCountQueries, type QueryBatch, type SeriesSide } from '../domain/query-plan';
import { parseSliSeries, type RawSeries } from '../domain/series-parse';
import type { CountsRequest, CountsResult, FetchStats, Log, MetricSource } from '../ports';
import { mapWithConcurrency } from './concurrency';
import type { DatapointPacer } from './datapoint-pacer';
import { createLogger } from './powertools-log';
import { isRetryableAwsError, isThrottlingError, sleepMs, withRetry, type RetryOptions } from './retry';

export interface CloudWatchMetricSourceOptions {
  /** GetMetricData calls in flight at once. @default 5 */
  readonly maxConcurrentRequests?: number;
  /** Attempts per call, the first included, for throttling, 5xx and timeouts. @default 5 */
  readonly maxAttempts?: number;
  /** Backoff ceiling of the first retry; doubles per retry, full jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling. @default 5000 */
  readonly maxDelayMs?: number;
  /** @default a setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for jitter. @default Math.random */
  readonly random?: () => number;
  /** @default a Powertools Logger with service name `burnwatch-metric-source` */
  readonly logger?: Log;
  /**
   * Waits, before each GetMetricData call, until the datapoints it can return fit the account's datapoints-per-second
   * quota share (the evaluator's); without it calls go out as fast as `maxConcurrentRequests` allows.
   * @default - no pacing
   */
  readonly pacer?: DatapointPacer;
}

/** CloudWatch answered with a page token it had already given, so paging would never end. */
export class PaginationLoopError extends Error {
  constructor(readonly operation: string) {
    super(`${operation} returned the same NextToken twice; stopped paging`);
    this.name = 'PaginationLoopError';
  }
}

/** One returned query id's data, merged over all pages. */
interface MergedResult {
  readonly timestamps: number[];
  readonly values: number[];
  status: string | undefined;
  readonly messages: string[];
}

/** A tenant's series as they came back (bad and total, or a threshold SLI's value), before parsing. */
interface TenantResults {
  bad?: RawSeries;
  total?: RawSeries;
  value?: RawSeries;
  readonly problems: string[];
}

interface BatchOutcome {
  readonly series: Map<string, CountSeries>;
  readonly failures: Map<string, string>;
}

/** Statuses that mean the query's data cannot be trusted: the tenant is reported as failed. */
const FAILED_STATUSES: ReadonlySet<string> = new Set(['InternalError', 'Forbidden']);

/**
 * Reads SLI counts from CloudWatch. Give it a client built with `maxAttempts: 1`: this class retries (and
 * counts throttled retries) itself, and the SDK's own retries would multiply with it.
 */
export class CloudWatchMetricSource implements MetricSource {
  private readonly maxConcurrentRequests: number;
  private readonly retry: Omit<RetryOptions, 'onRetry'>;
  private readonly log: Log;
  private readonly pacer: DatapointPacer | null;

  constructor(
    private readonly client: CloudWatchClient,
    options: CloudWatchMetricSourceOptions = {},
  ) {
    this.maxConcurrentRequests = requireCount('maxConcurrentRequests', options.maxConcurrentRequests ?? 5);
    this.retry = {
      maxAttempts: requireCount('maxAttempts', options.maxAttempts ?? 5),
      baseDelayMs: options.baseDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 5000,
      sleep: options.sleep ?? sleepMs,
      random: options.random ?? Math.random,
      isRetryable: isRetryableAwsError,
    };
    this.log = options.logger ?? createLogger('burnwatch-metric-source').log;
    this.pacer = options.pacer ?? null;
  }

  async fetchCounts(request: CountsRequest): Promise<CountsResult> {
    const stats: FetchStats = { calls: 0, metricsRequested: 0, datapoints: 0, throttledRetries: 0 };
    const outcomes = await mapWithConcurrency(this.batchesOf(request), this.maxConcurrentRequests, (batch) =>
      this.runBatch(batch, request, stats),
    );
    const series = new Map<string, CountSeries>();
    const failures = new Map<string, string>();
    for (const outcome of outcomes) {
      outcome.series.forEach((value, tenant) => series.set(tenant, value));
      outcome.failures.forEach((reason, tenant) => failures.set(tenant, reason));
    }
    return { series, failures, stats };
  }

  /**
   * The request's calls. With a pacer, a call holds at most one second of its rate: every shard may send a call as
   * soon as its bucket is full, so calls of the API's 100,800 datapoints from 10 shards with a tenth of the quota
   * each would together burst past the account's quota, however well each shard is paced.
   */
  private batchesOf(request: CountsRequest): readonly QueryBatch[] {
    const { tenants } = request;
    const rate = this.pacer?.rateOf(request.from, request.to);
    const points = Math.ceil((request.to - request.from) / (request.periodSeconds * 1000));
    const perCall = rate === undefined ? tenants.length : Math.max(1, Math.floor(rate / (2 * points)));
    if (perCall >= tenants.length) return planCountQueries(request.slo, tenants, request).batches;
    const batches: QueryBatch[] = [];
    for (let first = 0; first < tenants.length; first += perCall) {
      batches.push(...planCountQueries(request.slo, tenants.slice(first, first + perCall), request).batches);
    }
    return batches;
  }

  async listTenants(slo: SloDefinition): Promise<string[]> {
    const metric = discoveryMetric(slo);
    const found = new Set<string>();
    await this.paginate('ListMetrics', async (nextToken) => {
      const output: ListMetricsCommandOutput = await this.send(
        () =>
          this.client.send(
            new ListMetricsCommand({
              Namespace: metric.namespace,
              MetricName: metric.metricName,
              Dimensions: [...metric.dimensions, { Name: metric.tenantDimension }],
              NextToken: nextToken,
            }),
          ),
        null,
      );
      for (const listed of output.Metrics ?? []) {
        const tenant = listed.Dimensions?.find((dimension) => dimension.Name === metric.tenantDimension)?.Value;
        if (tenant !== undefined && tenant.length > 0) found.add(tenant);
      }
      return output.NextToken;
    });
    const excluded = new Set(slo.tenants.mode === 'discover' ? slo.tenants.exclude : []);
    return [...found].filter((tenant) => !excluded.has(tenant)).sort();
  }

  /** One batch: every page of its GetMetricData call, then one series or one failure per tenant. */
  private async runBatch(batch: QueryBatch, request: CountsRequest, stats: FetchStats): Promise<BatchOutcome> {
    const merged = new Map<string, MergedResult>();
    try {
      // Every returned query can return one datapoint per period of the range (FILL(m, 0) does).
      const points = Math.ceil((request.to - request.from) / (request.periodSeconds * 1000));
      await this.pacer?.take(request.from, request.to, batch.returned.size * points);
      await this.paginate('GetMetricData', async (nextToken) => {
        const output: GetMetricDataCommandOutput = await this.send(
          () =>
            this.client.send(
              new GetMetricDataCommand({
                MetricDataQueries: batch.queries,
                StartTime: new Date(request.from),
                EndTime: new Date(request.to),
                ScanBy: 'TimestampAscending',
                NextToken: nextToken,
              }),
            ),
          stats,
        );
        stats.calls += 1;
        stats.metricsRequested += batch.metricsRequested;
        for (const message of output.Messages ?? []) {
          this.log.warn('GetMetricData returned a message', { slo: request.slo.name, code: message.Code, value: message.Value });
        }
        for (const result of output.MetricDataResults ?? []) stats.datapoints += mergeResult(merged, result);
        return output.NextToken;
      });
    } catch (error) {
      const reason = `GetMetricData failed: ${errorText(error)}`;
      this.log.warn('GetMetricData batch failed', { slo: request.slo.name, tenants: batch.tenants.length, reason });
      return { series: new Map(), failures: new Map(batch.tenants.map((tenant) => [tenant, reason])) };
    }
    return this.assemble(batch, merged, request);
  }

  private assemble(batch: QueryBatch, merged: ReadonlyMap<string, MergedResult>, request: CountsRequest): BatchOutcome {
    const perTenant = new Map<string, TenantResults>(batch.tenants.map((tenant) => [tenant, { problems: [] }]));
    for (const [id, { tenant, side }] of batch.returned) {
      const results = perTenant.get(tenant) as TenantResults;
      const result = merged.get(id);
      const problem = resultProblem(id, side, result);
      if (problem !== null) results.problems.push(problem);
      else if (result !== undefined) results[side] = result;
    }
    for (const id of merged.keys()) {
      if (!batch.returned.has(id)) this.log.warn('GetMetricData returned an id that was not asked for', { slo: request.slo.name, id });
    }

    const outcome: BatchOutcome = { series: new Map(), failures: new Map() };
    for (const [tenant, results] of perTenant) {
      if (results.problems.length > 0) {
        outcome.failures.set(tenant, results.problems.join('; '));
        continue;
      }
      try {
        const parsed = parseSliSeries(request.slo, request.periodSeconds, results);
        if (parsed.rejected.length > 0 || parsed.clamped.length > 0) {
          this.log.warn('Buckets rejected or clamped', {
            slo: request.slo.name,
            tenant,
            rejected: parsed.rejected.length,
            clamped: parsed.clamped.length,
            examples: [...parsed.rejected, ...parsed.clamped].slice(0, 5),
          });
        }
        outcome.series.set(tenant, parsed.series);
      } catch (error) {
        outcome.failures.set(tenant, errorText(error));
      }
    }
    return outcome;
  }

  /** Sends with retry; counts throttled retries into `stats` when given. */
  private send<T>(call: () => Promise<T>, stats: FetchStats | null): Promise<T> {
    return withRetry(call, {
      ...this.retry,
      onRetry: (error, attempt, delayMs) => {
        if (stats !== null && isThrottlingError(error)) stats.throttledRetries += 1;
        this.log.info('Retrying CloudWatch call', { attempt, delayMs, error: errorText(error) });
      },
    });
  }

  /** Calls `page` with each NextToken until there is none. */
  private async paginate(operation: string, page: (nextToken: string | undefined) => Promise<string | undefined>): Promise<void> {
    const seen = new Set<string>();
    let nextToken = await page(undefined);
    while (nextToken !== undefined && nextToken !== '') {
      if (seen.has(nextToken)) throw new PaginationLoopError(operation);
      seen.add(nextToken);
      nextToken = await page(nextToken);
    }
  }
}

/** Appends one page's result to the merged data of its id; returns the datapoints it carried. */
function mergeResult(merged: Map<string, MergedResult>, result: MetricDataResult): number {
  const id = result.Id ?? '';
  let entry = merged.get(id);
  if (entry === undefined) {
    entry = { timestamps: [], values: [], status: undefined, messages: [] };
    merged.set(id, entry);
  }
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  for (const timestamp of timestamps) entry.timestamps.push(timestamp.getTime());
  for (const value of values) entry.values.push(value);
  // The last page's status is the series' final status (PartialData on an earlier page was continued).
  entry.status = result.StatusCode ?? entry.status;
  for (const message of result.Messages ?? []) entry.messages.push(`${message.Code ?? 'Message'}: ${message.Value ?? ''}`);
  return values.length;
}

/** Why a returned series cannot be used, or null when it can. */
function resultProblem(id: string, side: SeriesSide, result: MergedResult | undefined): string | null {
  if (result === undefined) return `${side} series ${id}: no result returned`;
  const details = result.messages.length > 0 ? ` (${result.messages.join('; ')})` : '';
  if (result.status !== undefined && FAILED_STATUSES.has(result.status)) return `${side} series ${id}: ${result.status}${details}`;
  if (result.status === 'PartialData') return `${side} series ${id}: PartialData with no NextToken to continue${details}`;
  if (result.messages.length > 0) return `${side} series ${id}: ${result.messages.join('; ')}`;
  return null;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function requireCount(field: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) throw new RangeError(`${field} must be an integer of at least 1; got ${value}`);
  return value;
}
