/**
 * `burnwatch backtest --from-cloudwatch`: reads the SLO's per-tenant minute counts through the same
 * `MetricSource` the evaluator uses (CloudWatchMetricSource in production) and hands them to the replay in
 * time order, a day at a time, so memory stays bounded by one day of data. For a time-slice SLO the source already
 * gives 1-minute slices (the statistic against its threshold, or the good ratio against its target).
 */
import { MINUTE_MS } from '../../lambda/domain/model';
import type { SloDefinition } from '../../lambda/domain/model';
import type { FetchStats, MetricSource } from '../../lambda/ports';
import type { SeriesSink } from './csv';

export interface CloudWatchPullRequest {
  readonly slo: SloDefinition;
  /** Inclusive start and exclusive end, epoch ms on whole minutes. */
  readonly from: number;
  readonly to: number;
  /** Tenants to read. @default the SLO's listed tenants, else those ListMetrics finds (minus its exclusions) */
  readonly tenants?: readonly string[];
  /** Minutes read per round of GetMetricData calls. @default 1440 */
  readonly chunkMinutes?: number;
}

export interface CloudWatchPullResult {
  readonly tenants: readonly string[];
  readonly stats: FetchStats;
}

/** CloudWatch could not give the series of some tenants; the backtest would be wrong without them. */
export class CloudWatchPullError extends Error {
  constructor(
    readonly failures: ReadonlyMap<string, string>,
    from: number,
    to: number,
  ) {
    const listed = [...failures].slice(0, 5).map(([tenant, reason]) => `${tenant}: ${reason}`);
    const more = failures.size > listed.length ? `; and ${failures.size - listed.length} more` : '';
    super(`reading ${new Date(from).toISOString()} to ${new Date(to).toISOString()} failed for ${failures.size} tenant(s): ${listed.join('; ')}${more}`);
    this.name = 'CloudWatchPullError';
  }
}

function addStats(total: FetchStats, more: FetchStats): void {
  total.calls += more.calls;
  total.metricsRequested += more.metricsRequested;
  total.datapoints += more.datapoints;
  total.throttledRetries += more.throttledRetries;
}

/** Reads [from, to) minute by minute into `sink`: within each minute, tenants in the order of the tenant list. */
export async function pullSeries(source: MetricSource, request: CloudWatchPullRequest, sink: SeriesSink): Promise<CloudWatchPullResult> {
  const { slo } = request;
  const tenants = request.tenants ?? (slo.tenants.mode === 'list' ? slo.tenants.tenants : await source.listTenants(slo));
  const stats: FetchStats = { calls: 0, metricsRequested: 0, datapoints: 0, throttledRetries: 0 };
  const chunkMs = (request.chunkMinutes ?? 1440) * MINUTE_MS;
  for (let from = request.from; from < request.to; from += chunkMs) {
    const to = Math.min(from + chunkMs, request.to);
    const result = await source.fetchCounts({ slo, tenants, from, to, periodSeconds: 60 });
    addStats(stats, result.stats);
    if (result.failures.size > 0) throw new CloudWatchPullError(result.failures, from, to);
    const cursors = new Int32Array(tenants.length);
    for (let minute = from; minute < to; minute += MINUTE_MS) {
      tenants.forEach((tenant, index) => {
        const buckets = result.series.get(tenant)?.buckets ?? [];
        let cursor = cursors[index]!;
        while (cursor < buckets.length && buckets[cursor]!.start < minute) cursor += 1;
        const bucket = buckets[cursor];
        if (bucket !== undefined && bucket.start === minute) {
          sink(tenant, minute, bucket.total, bucket.bad);
          cursor += 1;
        }
        cursors[index] = cursor;
      });
    }
  }
  return { tenants, stats };
}
