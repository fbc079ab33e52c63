/**
 * One account's default AWS quotas that bound how many tenants one evaluator tick can cover, and the arithmetic
 * that turns a measured tick into the largest tenant count they allow. The only place these quota values live.
 *
 * Checked on 2026-11-25 (quotas change; check the account's Service Quotas console before relying on them):
 * - CloudWatch  https://docs.aws.amazon.com/general/latest/gr/cw_region.html (service quotas table) and
 *               https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
 *               GetMetricData 500 requests/s (adjustable; older versions of the page and the Knowledge Center article
 *               on GetMetricData said 50, which the bench simulates by default with --max-tps 50), 396,000 datapoints/s
 *               for a StartTime more than 3 hours back (180,000 within 3 hours; not adjustable), ListMetrics 25/s.
 *               Per call: 500 queries, 100,800 datapoints (API reference).
 * - Lambda      https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 1,000 concurrent executions
 *               per Region (new accounts start lower), 900 s timeout at most.
 * - Step Functions https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html: an inline Map runs at
 *               most 40 iterations at once; an Express execution runs at most 5 minutes.
 */

import { GET_METRIC_DATA_DATAPOINT_QUOTA } from '../lambda/domain/query-plan';

export const QUOTAS_CHECKED_ON = '2026-11-25';

export interface AccountQuotas {
  readonly getMetricDataTps: number;
  /** Datapoints returned per second for requests whose StartTime is more than 3 hours back. */
  readonly getMetricDataDatapointsPerSecond: number;
  /** Datapoints returned per second for requests whose StartTime is within 3 hours (a warm tick's newest minutes). */
  readonly getMetricDataRecentDatapointsPerSecond: number;
  readonly listMetricsTps: number;
  /** Metrics one ListMetrics page returns. */
  readonly listMetricsPageSize: number;
  readonly lambdaConcurrentExecutions: number;
  /** Iterations an inline Map runs at once. */
  readonly inlineMapConcurrency: number;
  readonly expressMaxSeconds: number;
}

export const DEFAULT_QUOTAS: AccountQuotas = {
  getMetricDataTps: 500,
  getMetricDataDatapointsPerSecond: GET_METRIC_DATA_DATAPOINT_QUOTA.older,
  getMetricDataRecentDatapointsPerSecond: GET_METRIC_DATA_DATAPOINT_QUOTA.recent,
  listMetricsTps: 25,
  listMetricsPageSize: 500,
  lambdaConcurrentExecutions: 1_000,
  inlineMapConcurrency: 40,
  expressMaxSeconds: 300,
};

/** What one measured tick asked of the account, for `tenants` tenants over however many shards. */
export interface TickDemand {
  readonly tenants: number;
  readonly getMetricDataCalls: number;
  readonly datapoints: number;
  /** Of `datapoints`, those of calls whose StartTime is within 3 hours. @default 0 (all counted against the older quota) */
  readonly recentDatapoints?: number;
  /** Whether the tick discovered tenants (ListMetrics), as the first tick and one tick in 15 do by default. */
  readonly discovered: boolean;
  /** Simulated latency of one ListMetrics page, ms: the discovery pages through every tenant one page after another. */
  readonly listMetricsLatencyMs: number;
  /** The slowest shard's wall time, ms, and how many tenants it evaluated (per-shard throughput). */
  readonly slowestShardMs: number;
  readonly slowestShardTenants: number;
}

export type CapacityBound = 'GetMetricData TPS' | 'GetMetricData datapoints/s' | 'ListMetrics TPS' | 'ListMetrics paging' | 'shard throughput';

export interface TenantCapacity {
  /** The largest tenant count whose tick fits in `periodSeconds`, and which quota sets it. */
  readonly largest: number;
  readonly bindingBound: CapacityBound;
  /** Every bound that applies to this tick (ListMetrics only on a discovery tick). */
  readonly bounds: Readonly<Partial<Record<CapacityBound, number>>>;
}

/**
 * The largest tenant count whose tick fits in `periodSeconds` (the schedule: 60 s), scaling the measured demand
 * linearly with tenants (calls and datapoints per tenant stay as measured, and so does the shard count S):
 * - GetMetricData TPS:   tps x period x (tenants per call)
 * - datapoints/s:        dps x period / (datapoints per tenant)
 * - ListMetrics TPS:     one discovery per tick lists every tenant and stores the roster every shard reads (each
 *                        shard needs the SLO's whole population for incident grouping, but not its own ListMetrics),
 *                        so N / pageSize pages must fit in tps x period: N = tps x period x pageSize, whatever S
 * - ListMetrics paging:  the discovery's pages follow each other: N / pageSize x latency <= period
 * - shard throughput:    at most min(inline Map, Lambda concurrency) shards at once, each evaluating what the slowest
 *                        measured shard did per second, for the whole period
 */
export function tenantCapacity(demand: TickDemand, quotas: AccountQuotas = DEFAULT_QUOTAS, periodSeconds = 60): TenantCapacity {
  const bounds: Partial<Record<CapacityBound, number>> = {};
  if (demand.getMetricDataCalls > 0) {
    bounds['GetMetricData TPS'] = quotas.getMetricDataTps * periodSeconds * (demand.tenants / demand.getMetricDataCalls);
  }
  // Each datapoint quota bounds the tenants by its own share of the demand; the tighter one binds.
  const recent = Math.min(demand.recentDatapoints ?? 0, demand.datapoints);
  const older = demand.datapoints - recent;
  const datapointBounds = [
    ...(recent > 0 ? [(quotas.getMetricDataRecentDatapointsPerSecond * periodSeconds) / (recent / demand.tenants)] : []),
    ...(older > 0 ? [(quotas.getMetricDataDatapointsPerSecond * periodSeconds) / (older / demand.tenants)] : []),
  ];
  if (datapointBounds.length > 0) bounds['GetMetricData datapoints/s'] = Math.min(...datapointBounds);
  if (demand.discovered) {
    bounds['ListMetrics TPS'] = quotas.listMetricsTps * periodSeconds * quotas.listMetricsPageSize;
    if (demand.listMetricsLatencyMs > 0) bounds['ListMetrics paging'] = ((periodSeconds * 1000) / demand.listMetricsLatencyMs) * quotas.listMetricsPageSize;
  }
  if (demand.slowestShardMs > 0) {
    const parallel = Math.min(quotas.inlineMapConcurrency, quotas.lambdaConcurrentExecutions);
    bounds['shard throughput'] = parallel * demand.slowestShardTenants * ((periodSeconds * 1000) / demand.slowestShardMs);
  }
  const entries = Object.entries(bounds) as [CapacityBound, number][];
  if (entries.length === 0) throw new RangeError('tenantCapacity: the tick made no GetMetricData call and has no shard time');
  const [bindingBound, largest] = entries.reduce((min, entry) => (entry[1] < min[1] ? entry : min));
  const rounded = Object.fromEntries(entries.map(([name, value]) => [name, Math.floor(value)])) as Partial<Record<CapacityBound, number>>;
  return { largest: Math.floor(largest), bindingBound, bounds: rounded };
}
