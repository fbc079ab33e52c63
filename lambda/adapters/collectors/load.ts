/**
 * Overload evidence: each incident tenant's request rate in the burn window against its own baseline, the
 * median per-minute rate of the 24 hours before and of the same window a week earlier. Requests are the SLI's
 * `total` expression, read with the evaluator's own query plan (lambda/domain/query-plan.ts) cut down to the
 * total side, so this collector counts requests exactly as the burn rate does and is billed only for them.
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { assessTrafficJump, type MinuteCount, type TrafficJump } from '../../domain/evidence-summary';
import type { EvidenceItem, SloDefinition } from '../../domain/model';
import { DAY_MS, MINUTE_MS } from '../../domain/model';
import { planCountQueries, referencedIds, type ExpressionQuery, type PlannedQuery, type QueryBatch } from '../../domain/query-plan';
import {
  AdapterInputError,
  integerOption,
  ApiSession,
  collectSafely,
  resolveAdapterOptions,
  validateWindow,
  type AdapterOptions,
  type CollectRequest,
  type CollectorReport,
  type ResolvedAdapterOptions,
} from './common';

/** What a tenant's rate is compared with; each reads only the history it needs. */
export type LoadBaseline = 'previous-24h-median' | 'same-hour-last-week' | 'larger-of-both';
export const LOAD_BASELINES: readonly LoadBaseline[] = ['previous-24h-median', 'same-hour-last-week', 'larger-of-both'];

export interface LoadScope {
  /** The SLO whose `total` expression counts the tenant's requests. */
  readonly slo: SloDefinition;
  /**
   * A sustained rate of at least this multiple of the tenant's baseline is a traffic jump (overload evidence).
   * @default 2
   */
  readonly trafficJumpFactor?: number;
  /**
   * Below this many requests per minute a tenant is too quiet to overload anything, whatever its baseline.
   * @default 1
   */
  readonly minRequestsPerMinute?: number;
  /**
   * The baseline: the median rate of the 24 hours before the window, of the same window a week earlier, or the
   * larger of both (so a usual daily or weekly peak is not a jump).
   * @default 'larger-of-both'
   */
  readonly baseline?: LoadBaseline;
}

export interface LoadCollectorOptions extends AdapterOptions {
  /**
   * The rate must hold this many consecutive minutes; the Workbook's shortest window is 5 minutes.
   * @default 5
   */
  readonly sustainMinutes?: number;
}

/** A series CloudWatch could not deliver (`Forbidden`, `InternalError`): names the tenant and the status. */
export class LoadSeriesError extends Error {
  constructor(
    readonly tenant: string,
    readonly status: string,
  ) {
    super(`request series of tenant ${JSON.stringify(tenant)}: ${status}`);
    this.name = 'LoadSeriesError';
  }
}

const SERVICE = 'cloudwatch';
const PERIOD_SECONDS = 60;
const WEEK_MS = 7 * DAY_MS;
const FAILED_STATUSES = new Set(['Forbidden', 'InternalError']);

interface Span {
  readonly from: number;
  readonly to: number;
}

function isExpression(query: PlannedQuery): query is ExpressionQuery {
  return 'Expression' in query;
}

/** The batch's total expressions and the metrics they read; bad-side queries are dropped, as each metric is billed. */
export function totalQueries(batch: QueryBatch): PlannedQuery[] {
  const totals = batch.queries.filter((query): query is ExpressionQuery => isExpression(query) && batch.returned.get(query.Id)?.side === 'total');
  const needed = new Set(totals.flatMap((query) => referencedIds(query.Expression)));
  return [...batch.queries.filter((query) => !isExpression(query) && needed.has(query.Id)), ...totals];
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

function rateText(perMinute: number): string {
  return `${perMinute >= 100 ? Math.round(perMinute) : round2(perMinute)}/min`;
}

export class LoadCollector {
  private readonly options: ResolvedAdapterOptions;
  private readonly sustainMinutes: number;

  constructor(
    private readonly client: CloudWatchClient,
    options: LoadCollectorOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
    this.sustainMinutes = integerOption(options.sustainMinutes, 5, 'options.sustainMinutes', 60);
  }

  async collect(request: CollectRequest<LoadScope>): Promise<CollectorReport> {
    const session = new ApiSession(SERVICE, this.options);
    return collectSafely('load', session, async () => {
      validateWindow(request);
      const { slo, factor, minRate, baseline } = this.scope(request);
      if (!Array.isArray(request.tenants) || request.tenants.length === 0) {
        throw new AdapterInputError('request.tenants', 'at least one tenant id (load is compared per tenant)', request.tenants);
      }
      // Whole minutes, so the window and both baselines are made of complete one-minute buckets.
      const window: Span = { from: Math.floor(request.from / MINUTE_MS) * MINUTE_MS, to: Math.ceil(request.to / MINUTE_MS) * MINUTE_MS };
      // Only the history the baseline needs is read: each GetMetricData series is billed.
      const dayBefore = baseline !== 'same-hour-last-week';
      const recent = await this.requestCounts(session, 'recent', slo, request.tenants, { from: window.from - (dayBefore ? DAY_MS : 0), to: window.to });
      const weekAgo =
        baseline === 'previous-24h-median'
          ? new Map<string, MinuteCount[]>()
          : await this.requestCounts(session, 'week-ago', slo, request.tenants, { from: window.from - WEEK_MS, to: window.to - WEEK_MS });
      const items: EvidenceItem[] = [];
      for (const tenant of new Set(request.tenants)) {
        const jump = assessTrafficJump({
          windowStart: window.from,
          windowEnd: window.to,
          recent: recent.get(tenant) ?? [],
          weekAgo: weekAgo.get(tenant) ?? [],
          factor,
          sustainMinutes: this.sustainMinutes,
          minRequestsPerMinute: minRate,
        });
        if (jump.isJump && jump.jumpAt !== null) items.push(this.evidence(slo, tenant, jump, { at: jump.jumpAt, factor, baseline }, window));
      }
      return items;
    });
  }

  private scope(request: CollectRequest<LoadScope>): { slo: SloDefinition; factor: number; minRate: number; baseline: LoadBaseline } {
    const slo = request.scope?.slo;
    if (typeof slo !== 'object' || slo === null || typeof slo.name !== 'string' || slo.sli === undefined) {
      throw new AdapterInputError('scope.slo', 'an SLO definition with a name and an SLI', slo);
    }
    const factor = request.scope.trafficJumpFactor ?? 2;
    if (!(Number.isFinite(factor) && factor >= 1)) throw new AdapterInputError('scope.trafficJumpFactor', 'a finite number >= 1', request.scope.trafficJumpFactor);
    const minRate = request.scope.minRequestsPerMinute ?? 1;
    if (!(Number.isFinite(minRate) && minRate >= 0)) {
      throw new AdapterInputError('scope.minRequestsPerMinute', 'a finite number >= 0', request.scope.minRequestsPerMinute);
    }
    const baseline = request.scope.baseline ?? 'larger-of-both';
    if (!LOAD_BASELINES.includes(baseline)) throw new AdapterInputError('scope.baseline', `one of ${LOAD_BASELINES.join(', ')}`, baseline);
    return { slo, factor, minRate, baseline };
  }

  /** Per tenant, requests per minute over `span`, from the SLI's total expression. */
  private async requestCounts(session: ApiSession, label: string, slo: SloDefinition, tenants: readonly string[], span: Span): Promise<Map<string, MinuteCount[]>> {
    const plan = planCountQueries(slo, tenants, { ...span, periodSeconds: PERIOD_SECONDS });
    const counts = new Map<string, MinuteCount[]>();
    for (const [index, batch] of plan.batches.entries()) {
      const queries = totalQueries(batch);
      const results = await session.paginate(`GetMetricData ${label} batch ${index}`, async (nextToken) => {
        const out = await this.client.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: new Date(span.from),
            EndTime: new Date(span.to),
            ScanBy: 'TimestampAscending',
            NextToken: nextToken,
          }),
        );
        return { items: out.MetricDataResults ?? [], nextToken: out.NextToken };
      });
      this.addResults(counts, batch, results);
    }
    return counts;
  }

  private addResults(counts: Map<string, MinuteCount[]>, batch: QueryBatch, results: readonly MetricDataResult[]): void {
    for (const result of results) {
      const returned = result.Id === undefined ? undefined : batch.returned.get(result.Id);
      if (returned === undefined || returned.side !== 'total') continue;
      if (result.StatusCode !== undefined && FAILED_STATUSES.has(result.StatusCode)) throw new LoadSeriesError(returned.tenant, result.StatusCode);
      const points = counts.get(returned.tenant) ?? [];
      const values = result.Values ?? [];
      (result.Timestamps ?? []).forEach((timestamp, i) => {
        const total = values[i];
        if (total !== undefined) points.push({ start: timestamp.getTime(), total });
      });
      counts.set(returned.tenant, points);
    }
  }

  private evidence(slo: SloDefinition, tenant: string, jump: TrafficJump, compared: { at: number; factor: number; baseline: LoadBaseline }, window: Span): EvidenceItem {
    const { at, factor, baseline } = compared;
    const day = `median ${jump.dayMedianRate === null ? 'unknown' : rateText(jump.dayMedianRate)} over the previous 24 h`;
    const week = `${jump.weekAgoMedianRate === null ? 'no data' : rateText(jump.weekAgoMedianRate)} a week earlier`;
    const baselines = baseline === 'previous-24h-median' ? day : baseline === 'same-hour-last-week' ? week : `${day}, ${week}`;
    const versus =
      jump.baselineRate === null
        ? 'with no earlier traffic data to compare'
        : jump.jumpFactor === null
          ? `up from a baseline of ${rateText(jump.baselineRate)} (${baselines})`
          : `${round2(jump.jumpFactor)}x its baseline of ${rateText(jump.baselineRate)} (${baselines})`;
    return {
      source: 'load',
      failureMode: 'overload',
      resource: `${slo.name}/${tenant}`,
      at,
      endedAt: null,
      summary: `load: tenant ${tenant} at ${rateText(jump.peakRate)} for ${this.sustainMinutes}+ min, ${versus}`,
      tenants: [tenant],
      details: {
        slo: slo.name,
        tenant,
        trafficJumpFactor: jump.jumpFactor === null ? null : round2(jump.jumpFactor),
        factorThreshold: factor,
        baseline,
        peakRequestsPerMinute: round2(jump.peakRate),
        windowMeanRequestsPerMinute: round2(jump.meanRate),
        dayMedianRequestsPerMinute: jump.dayMedianRate,
        weekAgoMedianRequestsPerMinute: jump.weekAgoMedianRate,
        baselineRequestsPerMinute: jump.baselineRate,
        sustainMinutes: this.sustainMinutes,
        windowStart: window.from,
        windowEnd: window.to,
      },
    };
  }
}
