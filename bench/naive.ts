/**
 * The baseline a user would write first, done properly but without Burnwatch's two ideas (a cached hourly tier and
 * writes only on change): every tick, for every tenant, every SLI metric and every window the rules use (and the
 * SLO period for the budget), one GetMetricData query whose Period is the whole window, so CloudWatch returns the
 * window's Sum as a single datapoint; then the same burn-rate evaluation, and the tenant's state written every tick.
 *
 * It is not crippled: queries are packed 500 to a call (one call per window, since StartTime is per call), calls run
 * with the same concurrency as the evaluator, throttling is retried with the same backoff, pages are followed.
 */
import { GetMetricDataCommand, type CloudWatchClient, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { mapWithConcurrency } from '../lambda/adapters/concurrency';
import { isRetryableAwsError, isThrottlingError, withRetry, type RetryOptions } from '../lambda/adapters/retry';
import { nextAlertState } from '../lambda/domain/alert-state';
import { MINUTE_MS } from '../lambda/domain/model';
import type { CountBucket, RatioSli, SloDefinition, TenantAlertState, WindowCounts } from '../lambda/domain/model';
import { MAX_QUERIES_PER_CALL, tokenizeMetricMath, type QueryDimension } from '../lambda/domain/query-plan';
import { evaluateTenant } from '../lambda/domain/rules';
import type { TieredCounts } from '../lambda/domain/windows';
import type { StateStore } from '../lambda/ports';
import { evaluationEnd } from '../lambda/usecases/evaluate-tick';
import { describeError } from '../lambda/usecases/describe-error';

/** An SLI the naive baseline cannot read with one MetricStat per metric: names the field and what it needs. */
export class NaiveSliError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'NaiveSliError';
  }
}

/** Window sums that are not nested (a shorter window with more events than a longer one). */
export class NaiveWindowSumsError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'NaiveWindowSumsError';
  }
}

/** Structurally the SDK's `MetricDataQuery`: one metric over one whole window. */
export interface NaiveQuery {
  readonly Id: string;
  readonly MetricStat: {
    readonly Metric: { readonly Namespace: string; readonly MetricName: string; readonly Dimensions: QueryDimension[] };
    readonly Period: number;
    readonly Stat: string;
  };
  readonly ReturnData: true;
}

export interface NaiveBatch {
  readonly windowMinutes: number;
  /** StartTime (inclusive) and EndTime (exclusive), epoch ms. */
  readonly from: number;
  readonly to: number;
  readonly queries: NaiveQuery[];
  /** Query id to the tenant and SLI metric id it reads. */
  readonly returned: ReadonlyMap<string, { readonly tenant: string; readonly metricId: string }>;
}

/** Every distinct window the SLO's rules use, plus the SLO period, ascending (what the evaluation needs). */
export function naiveWindowMinutes(slo: SloDefinition): number[] {
  const windows = new Set<number>([slo.periodDays * 24 * 60]);
  for (const rule of slo.rules) windows.add(rule.longWindowMinutes).add(rule.shortWindowMinutes);
  return [...windows].sort((a, b) => a - b);
}

/** The metric ids of an expression that is a plain sum (`a + b`); anything else needs metric math. */
function sumTerms(expression: string, field: string): string[] {
  const tokens = tokenizeMetricMath(expression);
  const ids = tokens.filter((_, index) => index % 2 === 0);
  const plus = tokens.filter((_, index) => index % 2 === 1);
  const isSum =
    tokens.length % 2 === 1 && ids.every((t) => t.kind === 'identifier' && !t.isCall) && plus.every((t) => t.text === '+');
  if (!isSum) throw new NaiveSliError(field, `the naive baseline reads sums of metric ids (e.g. "errors5xx + timeouts"); got ${JSON.stringify(expression)}`);
  return ids.map((t) => t.text);
}

/** Which metric ids add up to bad and total events; bad is total minus good when the SLI gives `good`. */
export interface NaiveSliTerms {
  readonly total: readonly string[];
  readonly bad: readonly string[];
  /** Subtracted from total to get bad, when the SLI gives `good`. */
  readonly good: readonly string[];
}

/** The baseline reads ratio SLIs only: a threshold SLI's statistic per window is not a sum it could add up. */
function ratioSliOf(slo: SloDefinition): RatioSli {
  if (slo.sli.kind !== 'ratio') {
    throw new NaiveSliError('sli.kind', `the naive baseline reads ratio SLIs (bad/good over total); got ${JSON.stringify(slo.sli.kind)}`);
  }
  return slo.sli;
}

export function naiveSliTerms(slo: SloDefinition): NaiveSliTerms {
  const sli = ratioSliOf(slo);
  const total = sumTerms(sli.total, 'sli.total');
  if (sli.bad !== undefined) return { total, bad: sumTerms(sli.bad, 'sli.bad'), good: [] };
  if (sli.good !== undefined) return { total, bad: [], good: sumTerms(sli.good, 'sli.good') };
  throw new NaiveSliError('sli.bad', 'one of sli.bad or sli.good is required; neither was given');
}

/** The GetMetricData calls of one naive tick ending at `end`: per window, tenants packed 500 queries to a call. */
export function planNaiveQueries(slo: SloDefinition, tenants: readonly string[], end: number): NaiveBatch[] {
  const terms = naiveSliTerms(slo);
  const sli = ratioSliOf(slo);
  const used = new Set([...terms.total, ...terms.bad, ...terms.good]);
  const metrics = sli.metrics.filter((metric) => used.has(metric.id));
  for (const id of used) {
    if (!metrics.some((metric) => metric.id === id)) throw new NaiveSliError('sli', `unknown metric id ${JSON.stringify(id)}`);
  }
  const tenantsPerCall = Math.floor(MAX_QUERIES_PER_CALL / metrics.length);
  const batches: NaiveBatch[] = [];
  for (const windowMinutes of naiveWindowMinutes(slo)) {
    for (let first = 0; first < tenants.length; first += tenantsPerCall) {
      const queries: NaiveQuery[] = [];
      const returned = new Map<string, { tenant: string; metricId: string }>();
      tenants.slice(first, first + tenantsPerCall).forEach((tenant, offset) => {
        for (const metric of metrics) {
          const id = `m${first + offset}_${metric.id}`;
          const dimensions = { ...sli.dimensions, ...metric.dimensions, [sli.tenantDimension]: tenant };
          queries.push({
            Id: id,
            MetricStat: {
              Metric: {
                Namespace: metric.namespace ?? sli.namespace,
                MetricName: metric.metricName,
                Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
              },
              // One period spanning the whole window: CloudWatch returns the window's Sum as one datapoint.
              Period: windowMinutes * 60,
              Stat: metric.stat,
            },
            ReturnData: true,
          });
          returned.set(id, { tenant, metricId: metric.id });
        }
      });
      batches.push({ windowMinutes, from: end - windowMinutes * MINUTE_MS, to: end, queries, returned });
    }
  }
  return batches;
}

/**
 * Window sums (windows ascending, all ending at `end`) as tiered counts the domain's evaluation reads: one bucket
 * per ring between consecutive windows, starting at the ring's older edge, so every window sums back exactly.
 */
export function tieredFromWindowSums(windowMinutes: readonly number[], sums: readonly WindowCounts[], end: number): TieredCounts {
  const buckets: CountBucket[] = [];
  for (let i = windowMinutes.length - 1; i >= 0; i -= 1) {
    const outer = sums[i] as WindowCounts;
    const inner = i > 0 ? (sums[i - 1] as WindowCounts) : { total: 0, bad: 0 };
    const total = outer.total - inner.total;
    const bad = outer.bad - inner.bad;
    if (total < 0 || bad < 0) {
      throw new NaiveWindowSumsError(
        `sums[${i}]`,
        `each window must count at least as many events as the shorter one; got ${JSON.stringify(outer)} after ${JSON.stringify(inner)}`,
      );
    }
    buckets.push({ start: end - (windowMinutes[i] as number) * MINUTE_MS, total, bad });
  }
  const longest = windowMinutes[windowMinutes.length - 1] ?? 0;
  return { fine: { periodSeconds: 60, buckets }, fineFrom: end - longest * MINUTE_MS, coarse: null };
}

export interface NaiveDeps {
  readonly client: CloudWatchClient;
  readonly store: StateStore;
  readonly maxConcurrentRequests: number;
  readonly retry: Omit<RetryOptions, 'onRetry' | 'isRetryable'>;
}

export interface NaiveSettings {
  readonly dataDelayMinutes: number;
  readonly resolveAfterMinutes: number;
  readonly heartbeatMinutes: number;
}

export interface NaiveTickReport {
  readonly calls: number;
  readonly metricsRequested: number;
  readonly datapoints: number;
  readonly throttledRetries: number;
  readonly evaluated: number;
  readonly failures: readonly { readonly tenant: string; readonly reason: string }[];
  readonly stateWrites: number;
  readonly writeConflicts: number;
}

/** One naive tick: query every window, evaluate every tenant, write every tenant's state. */
export async function naiveTick(slo: SloDefinition, tenants: readonly string[], deps: NaiveDeps, settings: NaiveSettings, now: number): Promise<NaiveTickReport> {
  const end = evaluationEnd(now, settings.dataDelayMinutes);
  const windows = naiveWindowMinutes(slo);
  const terms = naiveSliTerms(slo);
  const batches = planNaiveQueries(slo, tenants, end);
  const stats = { calls: 0, metricsRequested: 0, datapoints: 0, throttledRetries: 0 };
  // values.get(tenant)[window][metricId] = the window's Sum.
  const values = new Map<string, Map<string, number>[]>(tenants.map((tenant) => [tenant, windows.map(() => new Map<string, number>())]));
  const failed = new Map<string, string>();

  const [, states] = await Promise.all([
    mapWithConcurrency(batches, deps.maxConcurrentRequests, async (batch) => {
      const windowIndex = windows.indexOf(batch.windowMinutes);
      try {
        let nextToken: string | undefined;
        do {
          const output: GetMetricDataCommandOutput = await withRetry(
            () =>
              deps.client.send(
                new GetMetricDataCommand({ MetricDataQueries: batch.queries, StartTime: new Date(batch.from), EndTime: new Date(batch.to), NextToken: nextToken }),
              ),
            {
              ...deps.retry,
              isRetryable: isRetryableAwsError,
              onRetry: (error) => {
                if (isThrottlingError(error)) stats.throttledRetries += 1;
              },
            },
          );
          stats.calls += 1;
          stats.metricsRequested += batch.queries.length;
          for (const result of output.MetricDataResults ?? []) {
            const target = batch.returned.get(result.Id ?? '');
            if (target === undefined) continue;
            const sum = (result.Values ?? []).reduce((a, b) => a + b, 0);
            stats.datapoints += result.Values?.length ?? 0;
            values.get(target.tenant)?.[windowIndex]?.set(target.metricId, sum);
          }
          nextToken = output.NextToken;
        } while (nextToken !== undefined);
      } catch (error) {
        for (const { tenant } of batch.returned.values()) failed.set(tenant, `GetMetricData failed: ${describeError(error)}`);
      }
    }),
    deps.store.getTenantStates(slo.name, tenants),
  ]);

  const alertSettings = { resolveAfterMinutes: settings.resolveAfterMinutes, heartbeatMinutes: settings.heartbeatMinutes };
  const failures: { tenant: string; reason: string }[] = [];
  let evaluated = 0;
  let stateWrites = 0;
  let writeConflicts = 0;
  const add = (metrics: Map<string, number>, ids: readonly string[]): number => ids.reduce((sum, id) => sum + (metrics.get(id) ?? 0), 0);
  for (const tenant of tenants) {
    const reason = failed.get(tenant) ?? states.unreadable.get(tenant);
    if (reason !== undefined) {
      failures.push({ tenant, reason });
      continue;
    }
    let next: TenantAlertState;
    const prev = states.states.get(tenant) ?? null;
    try {
      const sums = (values.get(tenant) ?? []).map((metrics): WindowCounts => {
        const total = add(metrics, terms.total);
        return { total, bad: terms.good.length > 0 ? total - add(metrics, terms.good) : add(metrics, terms.bad) };
      });
      const evaluation = evaluateTenant({
        slo,
        tenant,
        counts: tieredFromWindowSums(windows, sums, end),
        evaluatedAt: end,
        previouslyActiveRules: prev?.activeRules ?? [],
      });
      const step = nextAlertState(prev, evaluation, alertSettings, now);
      // The naive loop writes every tenant every tick, changed or not.
      next = { ...step.next, updatedAt: now, version: (prev?.version ?? 0) + 1 };
      evaluated += 1;
    } catch (error) {
      failures.push({ tenant, reason: describeError(error) });
      continue;
    }
    if ((await deps.store.putTenantState(next, prev?.version ?? 0)) === 'conflict') writeConflicts += 1;
    else stateWrites += 1;
  }
  return { ...stats, evaluated, failures, stateWrites, writeConflicts };
}
