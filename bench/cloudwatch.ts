/**
 * The benchmark's CloudWatch: the local in-memory CloudWatch (its limits, TPS token bucket and latency), with what
 * a benchmark of 100,000 tenants needs on top.
 *
 * 1. Traffic profiles. LocalCloudWatch keeps minute data in one 1,920-byte chunk per metric and hour, so 30 days
 *    of history for 100,000 tenants would need about 290 GB even with one aggregate per hour. Instead every tenant
 *    is mapped to one of a few traffic profiles (stored in their own namespace, so tenant discovery does not find
 *    them; the tenants themselves are listed by ListMetrics from a list kept here), and each query's metric is
 *    rewritten to its tenant's profile before the store reads it. Every call is
 *    still planned, admitted (TPS quota, latency) and answered per tenant, so calls, metrics requested, datapoints
 *    and the evaluator's work are those of distinct tenants; only the numbers repeat across tenants of a profile.
 * 2. Canonical answers. Queries that differ only by tenant are answered once per profile, range and period and the
 *    answer is reused across calls: the store's aggregation stays proportional to profiles, not tenants, which
 *    keeps a 100,000-tenant run within minutes. Each original query still gets its own fresh arrays.
 * 3. Service CPU. The store's own work (aggregating minutes, metric math) is CPU this process spends that a real
 *    account would spend inside CloudWatch. It is measured per call so the bench reports the evaluator's CPU without
 *    it. Building each query's Date and number arrays stands in for the SDK's deserialisation and stays in the
 *    evaluator's CPU (real deserialisation of the wire format costs more: the figure is a lower bound).
 */
import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import type {
  GetMetricDataCommandInput,
  GetMetricDataCommandOutput,
  ListMetricsCommandInput,
  ListMetricsCommandOutput,
  MessageData,
  Metric,
  MetricDataQuery,
  MetricDataResult,
  MetricStat,
} from '@aws-sdk/client-cloudwatch';
import { LocalCloudWatch } from '../lambda/adapters/local-cloudwatch';
import { sleepMs } from '../lambda/adapters/retry';
import { DatapointPacer } from '../lambda/adapters/datapoint-pacer';
import {
  GET_METRIC_DATA_DATAPOINT_QUOTA,
  MAX_DATAPOINTS_PER_CALL,
  MAX_QUERIES_PER_CALL,
  MAX_QUERY_ID_LENGTH,
  QUERY_ID_PATTERN,
  referencedIds,
  rewriteIds,
} from '../lambda/domain/query-plan';
import type { DatapointRates } from '../lambda/domain/query-plan';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../lambda/domain/model';
import type { SloDefinition } from '../lambda/domain/model';
import { seededRandom } from '../cli/demo/scenario';

/** Simulated GetMetricData / ListMetrics latency: uniform in [minMs, maxMs]. */
export interface LatencyRange {
  readonly minMs: number;
  readonly maxMs: number;
}

export interface BenchCloudWatchOptions {
  readonly latency: LatencyRange;
  /** GetMetricData (and, separately, ListMetrics) calls per second before `Throttling`. */
  readonly maxTps: number;
  /** The dimension whose value the profile mapping rewrites. */
  readonly tenantDimension: string;
  /** Tenant id to the id its data is stored under. */
  readonly profileOf: ReadonlyMap<string, string>;
  readonly seed: number;
  /**
   * GetMetricData datapoints per second before `Throttling`, as the account-wide quota: `recent` for calls whose
   * StartTime is within 3 hours of their EndTime, `older` for the others (AWS: 180,000 and 396,000 by default).
   * @default unlimited
   */
  readonly maxDatapointsPerSecond?: DatapointQuota;
}

/** The account's datapoint quotas as the bench simulates them: by default AWS's (GET_METRIC_DATA_DATAPOINT_QUOTA). */
export type DatapointQuota = DatapointRates;
export const DEFAULT_DATAPOINT_QUOTA: DatapointQuota = GET_METRIC_DATA_DATAPOINT_QUOTA;

/** A call's StartTime and EndTime in epoch ms (NaN where absent: such a call is the store's to refuse). */
function callSpan(input: GetMetricDataCommandInput): { readonly start: number; readonly end: number } {
  return {
    start: input.StartTime instanceof Date ? input.StartTime.getTime() : Number.NaN,
    end: input.EndTime instanceof Date ? input.EndTime.getTime() : Number.NaN,
  };
}

/**
 * The quota as a service enforces it: a call is charged the datapoints it can return (every returned query's periods
 * in its range, what FILL(m, 0) returns) before it is answered, and is throttled as a whole when they are not there,
 * as a TPS-throttled call is. The buckets are the evaluator's pacer's (one per quota class, one second of burst),
 * used the way a service refuses rather than waits.
 */
class DatapointBuckets {
  private readonly buckets: DatapointPacer;
  throttled = 0;

  constructor(private readonly quota: DatapointQuota) {
    for (const [name, rate] of Object.entries(quota)) {
      if (!(rate > 0)) throw new RangeError(`maxDatapointsPerSecond.${name} must be greater than 0; got ${rate}`);
    }
    this.buckets = new DatapointPacer(quota);
  }

  admit(input: GetMetricDataCommandInput): void {
    const { start, end } = callSpan(input);
    if (!(end > start)) return; // the store refuses it with its own error
    const returned = (input.MetricDataQueries ?? []).filter((query) => query.ReturnData !== false);
    const cost = returned.reduce((sum, query) => sum + Math.ceil((end - start) / ((query.MetricStat?.Period ?? query.Period ?? 60) * 1000)), 0);
    if (this.buckets.tryTake(start, end, cost) === 0) return;
    this.throttled += 1;
    const kind = DatapointPacer.kindOf(start, end);
    throw new CloudWatchServiceException({
      name: 'Throttling',
      message: `Rate exceeded: GetMetricData is limited to ${this.quota[kind]} datapoints per second (${kind === 'recent' ? 'StartTime within 3 hours' : 'StartTime older than 3 hours'})`,
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
  }
}

/** Where profile data is stored: apart from the tenants' metrics, so ListMetrics on the SLI does not list profiles. */
export function profileNamespace(namespace: string): string {
  return `${namespace}/Profiles`;
}

function cpuMicrosSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/** A canonical query's answer, kept between calls: the store's data does not change during a run. */
interface CachedResult {
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
  readonly statusCode: MetricDataResult['StatusCode'];
  readonly messages: readonly MessageData[];
}

/** How one call is answered from canonical (per-profile) queries. */
interface CanonicalPlan {
  /** Per returned original query, in order: its id, label and canonical key. */
  readonly returned: readonly { readonly id: string; readonly label: string; readonly key: string }[];
  /** Canonical queries to send to the store (those not cached yet, plus what they reference). */
  readonly request: MetricDataQuery[];
  /** Canonical key of each returned query in `request`, by its canonical id. */
  readonly requestKeys: ReadonlyMap<string, string>;
  readonly rangeKey: string;
  readonly originalMetricStats: number;
}

const CACHE_LIMIT = 50_000;
/** ListMetrics returns at most this many metrics a page. */
const LIST_METRICS_PAGE_SIZE = 500;
/** A namespace nothing is stored under: a ListMetrics call there is admitted by the store and matches nothing. */
const ADMISSION_ONLY_NAMESPACE = 'Bench/AdmissionOnly';

function decodeListToken(token: string, requestKey: string): number {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { requestKey?: unknown; offset?: unknown };
    if (cursor.requestKey === requestKey && Number.isInteger(cursor.offset)) return cursor.offset as number;
  } catch {
    // reported below, as for a token of another request
  }
  throw new CloudWatchServiceException({ name: 'InvalidNextToken', message: 'The NextToken does not belong to this request', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

export class BenchCloudWatch extends LocalCloudWatch {
  /** CPU spent answering calls (the simulated service's work), microseconds. */
  serviceCpuMicros = 0;
  private readonly afterLatency: { start: NodeJS.CpuUsage | null };
  private readonly tenantDimension: string;
  private readonly profileOf: ReadonlyMap<string, string>;
  private readonly cache = new Map<string, CachedResult>();
  private readonly listed: Metric[] = [];
  private readonly listings = new Map<string, Metric[]>();
  private readonly datapointBuckets: DatapointBuckets | null;

  constructor(options: BenchCloudWatchOptions) {
    const { minMs, maxMs } = options.latency;
    if (!(minMs >= 0 && maxMs >= minMs)) {
      throw new RangeError(`latency must be 0 <= minMs <= maxMs; got ${minMs}-${maxMs}`);
    }
    const random = seededRandom(options.seed);
    // Marks when a call's simulated latency is over: from there to its return is the store's own work. Timer
    // callbacks run one at a time with their microtasks, so no other call's work falls in between.
    const afterLatency: { start: NodeJS.CpuUsage | null } = { start: null };
    super({
      maxTps: options.maxTps,
      latencyMs: () => minMs + random() * (maxMs - minMs),
      sleep: async (ms) => {
        await sleepMs(ms);
        afterLatency.start = process.cpuUsage();
      },
    });
    this.afterLatency = afterLatency;
    this.tenantDimension = options.tenantDimension;
    this.profileOf = options.profileOf;
    this.datapointBuckets = options.maxDatapointsPerSecond === undefined ? null : new DatapointBuckets(options.maxDatapointsPerSecond);
  }

  /** Datapoints returned by calls whose StartTime is within 3 hours of their EndTime (the `recent` quota's). */
  recentDatapointsReturned = 0;

  private countRecent(input: GetMetricDataCommandInput, points: number): void {
    const { start, end } = callSpan(input);
    if (end > start && DatapointPacer.kindOf(start, end) === 'recent') this.recentDatapointsReturned += points;
  }

  /** Calls throttled by the datapoints-per-second quota (also counted in `counters.throttled`). */
  get datapointThrottled(): number {
    return this.datapointBuckets?.throttled ?? 0;
  }

  /**
   * Answers the call through the store once per distinct canonical query (a tenant's query with its profile in
   * place of the tenant), caching answers between calls, then hands every original query its own copy, built the way
   * the SDK's deserialiser would (fresh Date and number arrays per series): that copy is client-side work and is
   * not counted as service CPU. Calls the shortcut cannot answer exactly (paging, invalid input) go to the store as
   * they are, with only the tenant dimension rewritten.
   */
  override async getMetricData(input: GetMetricDataCommandInput): Promise<GetMetricDataCommandOutput> {
    if (this.datapointBuckets !== null) {
      try {
        this.datapointBuckets.admit(input);
      } catch (error) {
        this.counters.throttled += 1;
        throw error;
      }
    }
    const planStart = process.cpuUsage();
    const plan = this.canonicalPlan(input);
    if (plan === null) {
      const rewritten = { ...input, MetricDataQueries: input.MetricDataQueries?.map((query) => this.toProfile(query)) };
      this.serviceCpuMicros += cpuMicrosSince(planStart);
      const plain = await this.measured(() => super.getMetricData(rewritten));
      this.countRecent(input, (plain.MetricDataResults ?? []).reduce((sum, result) => sum + (result.Values?.length ?? 0), 0));
      return plain;
    }
    this.serviceCpuMicros += cpuMicrosSince(planStart);
    const output = await this.measured(() => super.getMetricData({ ...input, MetricDataQueries: plan.request }));

    const storeStart = process.cpuUsage();
    let canonicalPoints = 0;
    for (const result of output.MetricDataResults ?? []) {
      const key = plan.requestKeys.get(result.Id ?? '');
      if (key === undefined) continue;
      canonicalPoints += result.Values?.length ?? 0;
      this.cache.set(`${plan.rangeKey}|${key}`, {
        timestamps: (result.Timestamps ?? []).map((date) => date.getTime()),
        values: result.Values ?? [],
        statusCode: result.StatusCode,
        messages: result.Messages ?? [],
      });
    }
    const metricStatsSent = plan.request.filter((query) => query.MetricStat !== undefined).length;
    this.serviceCpuMicros += cpuMicrosSince(storeStart);

    const results: MetricDataResult[] = plan.returned.map(({ id, label, key }) => {
      const cached = this.cache.get(`${plan.rangeKey}|${key}`) as CachedResult;
      return {
        Id: id,
        Label: label,
        Timestamps: cached.timestamps.map((ms) => new Date(ms)),
        Values: cached.values.slice(),
        StatusCode: cached.statusCode,
        Messages: cached.messages.map((message) => ({ ...message })),
      };
    });
    // The store counted the canonical call; bill and count what the original call asked for.
    const points = results.reduce((sum, result) => sum + (result.Values?.length ?? 0), 0);
    this.counters.metricsRequested += plan.originalMetricStats - metricStatsSent;
    this.counters.datapointsReturned += points - canonicalPoints;
    this.countRecent(input, points);
    return { ...output, MetricDataResults: results };
  }

  /** Makes `tenants` discoverable: ListMetrics lists this metric once per tenant, as AWS lists metrics that have data. */
  listTenantMetrics(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>, tenantDimension: string, tenants: readonly string[]): void {
    for (const tenant of tenants) {
      const all = { ...dimensions, [tenantDimension]: tenant };
      this.listed.push({ Namespace: namespace, MetricName: metricName, Dimensions: Object.keys(all).sort().map((Name) => ({ Name, Value: all[Name] as string })) });
    }
  }

  /**
   * ListMetrics over the tenants' metrics kept here (a stored metric per tenant would cost 2 KB each, and the store
   * scans every metric for every page). The store still admits each call (TPS quota, latency) and counts it; the
   * matching list is built once per request and paged from, 500 metrics a page as ListMetrics does.
   */
  override async listMetrics(input: ListMetricsCommandInput): Promise<ListMetricsCommandOutput> {
    const requestKey = JSON.stringify([input.Namespace, input.MetricName, input.Dimensions ?? [], input.RecentlyActive]);
    const offset = input.NextToken === undefined ? 0 : decodeListToken(input.NextToken, requestKey);
    const admitted = await this.measured(() => super.listMetrics({ Namespace: ADMISSION_ONLY_NAMESPACE }));
    const pageStart = process.cpuUsage();
    let matching = this.listings.get(requestKey);
    if (matching === undefined) {
      const filters = input.Dimensions ?? [];
      matching = this.listed.filter(
        (metric) =>
          (input.Namespace === undefined || metric.Namespace === input.Namespace) &&
          (input.MetricName === undefined || metric.MetricName === input.MetricName) &&
          filters.every((f) => metric.Dimensions?.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))),
      );
      this.listings.set(requestKey, matching);
    }
    const page = matching.slice(offset, offset + LIST_METRICS_PAGE_SIZE).map((metric) => ({ ...metric, Dimensions: metric.Dimensions?.map((d) => ({ ...d })) }));
    const next = offset + page.length;
    this.serviceCpuMicros += cpuMicrosSince(pageStart);
    return {
      Metrics: page,
      ...(next < matching.length ? { NextToken: Buffer.from(JSON.stringify({ requestKey, offset: next })).toString('base64url') } : {}),
      $metadata: admitted.$metadata,
    };
  }

  private async measured<T>(call: () => Promise<T>): Promise<T> {
    const entered = process.cpuUsage();
    this.afterLatency.start = null;
    const output = await call();
    // With zero latency there is no sleep to mark the start: count from the call's entry.
    this.serviceCpuMicros += cpuMicrosSince(this.afterLatency.start ?? entered);
    this.afterLatency.start = null;
    return output;
  }

  /** The canonical form of a call, or null when only the store itself can answer it faithfully. */
  private canonicalPlan(input: GetMetricDataCommandInput): CanonicalPlan | null {
    const queries = input.MetricDataQueries;
    const { StartTime: startTime, EndTime: endTime } = input;
    if (input.NextToken !== undefined || queries === undefined || queries.length === 0 || queries.length > MAX_QUERIES_PER_CALL) return null;
    if (!(startTime instanceof Date) || !(endTime instanceof Date)) return null;
    const ids = new Set<string>();
    for (const query of queries) {
      const id = query.Id ?? '';
      if (!QUERY_ID_PATTERN.test(id) || id.length > MAX_QUERY_ID_LENGTH || ids.has(id)) return null;
      if ((query.MetricStat === undefined) === (query.Expression === undefined)) return null;
      ids.add(id);
    }
    const keyOf = new Map<string, string>();
    const metricStatOf = new Map<string, MetricStat>();
    for (const query of queries) {
      const stat = query.MetricStat;
      if (stat === undefined) continue;
      const profiled = this.toProfile(query).MetricStat as MetricStat;
      const dimensions = [...(profiled.Metric?.Dimensions ?? [])].sort((a, b) => ((a.Name ?? '') < (b.Name ?? '') ? -1 : 1));
      const key = JSON.stringify(['stat', profiled.Metric?.Namespace, profiled.Metric?.MetricName, dimensions, profiled.Period, profiled.Stat, profiled.Unit]);
      keyOf.set(query.Id as string, key);
      metricStatOf.set(key, profiled);
    }
    const expressionOf = new Map<string, { readonly expression: string; readonly period: number | undefined; readonly refs: ReadonlyMap<string, string> }>();
    for (const query of queries) {
      if (query.Expression === undefined) continue;
      const refs = new Map<string, string>();
      let canonical: string;
      try {
        for (const ref of referencedIds(query.Expression)) refs.set(ref, keyOf.get(ref) ?? '');
        canonical = rewriteIds(query.Expression, (ref) => `\u0000${refs.get(ref) ?? ''}\u0000`);
      } catch {
        return null;
      }
      // Expressions over other expressions (or unknown ids) are left to the store.
      if ([...refs.values()].some((key) => key === '' || !key.startsWith('["stat"'))) return null;
      const key = JSON.stringify(['expr', canonical, query.Period]);
      keyOf.set(query.Id as string, key);
      expressionOf.set(key, { expression: query.Expression, period: query.Period, refs });
    }
    const returnedQueries = queries.filter((query) => query.ReturnData !== false);
    const start = Math.floor(startTime.getTime() / MINUTE_MS) * MINUTE_MS;
    const end = endTime.getTime();
    // Paging is the store's to do: leave calls that could return more than one page to it.
    const limit = Math.min(input.MaxDatapoints ?? MAX_DATAPOINTS_PER_CALL, MAX_DATAPOINTS_PER_CALL);
    const bound = returnedQueries.reduce((sum, query) => {
      const period = query.MetricStat?.Period ?? query.Period ?? 60;
      return sum + Math.ceil((end - start) / (period * 1000));
    }, 0);
    if (!(end > start) || bound > limit || returnedQueries.length === 0) return null;

    // Cleared before a call, never during one, so every answer this call needs is either kept or sent for.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    const rangeKey = `${start}|${end}|${input.ScanBy ?? ''}`;
    const returned = returnedQueries.map((query) => ({
      id: query.Id as string,
      label: query.Label ?? (query.Id as string),
      key: keyOf.get(query.Id as string) as string,
    }));
    const missing = [...new Set(returned.map((r) => r.key))].filter((key) => !this.cache.has(`${rangeKey}|${key}`));
    // Every call is admitted (TPS quota, latency) by the store, so one answered wholly from the cache still sends one query.
    const toSend = missing.length > 0 ? missing : [(returned[0] as { key: string }).key];

    // MetricStats first (returned or not), then the expressions over them, each under a short canonical id.
    const statIds = new Map<string, string>();
    const statsToSend = new Map<string, boolean>();
    for (const key of toSend) {
      const expression = expressionOf.get(key);
      if (expression === undefined) statsToSend.set(key, true);
      else for (const ref of expression.refs.values()) if (!statsToSend.has(ref)) statsToSend.set(ref, false);
    }
    const request: MetricDataQuery[] = [];
    const requestKeys = new Map<string, string>();
    for (const [key, returnData] of statsToSend) {
      const id = `c${statIds.size}`;
      statIds.set(key, id);
      request.push({ Id: id, MetricStat: metricStatOf.get(key), ReturnData: returnData });
      if (returnData) requestKeys.set(id, key);
    }
    toSend.forEach((key, index) => {
      const expression = expressionOf.get(key);
      if (expression === undefined) return;
      const id = `e${index}`;
      const rewritten = rewriteIds(expression.expression, (ref) => statIds.get(expression.refs.get(ref) as string) as string);
      request.push({ Id: id, Expression: rewritten, ...(expression.period === undefined ? {} : { Period: expression.period }), ReturnData: true });
      requestKeys.set(id, key);
    });
    return { returned, request, requestKeys, rangeKey, originalMetricStats: queries.filter((q) => q.MetricStat !== undefined).length };
  }

  private toProfile(query: MetricDataQuery): MetricDataQuery {
    const stat = query.MetricStat;
    const dimensions = stat?.Metric?.Dimensions;
    if (stat === undefined || dimensions === undefined || !dimensions.some((d) => d.Name === this.tenantDimension)) return query;
    return {
      ...query,
      MetricStat: {
        ...stat,
        Metric: {
          ...stat.Metric,
          Namespace: profileNamespace(stat.Metric?.Namespace ?? ''),
          Dimensions: dimensions.map((d) =>
            d.Name === this.tenantDimension ? { Name: d.Name, Value: this.profileOf.get(d.Value ?? '') ?? d.Value } : d,
          ),
        },
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Data: per profile, what the evaluator reads; per tenant, one datapoint so ListMetrics discovers it
// ---------------------------------------------------------------------------------------------------------

export interface TrafficProfile {
  readonly id: string;
  /** Mean requests per minute at the daily peak. */
  readonly requestsPerMinute: number;
  /** Share of requests that fail; kept below every rule's threshold so the run is a steady state without alerts. */
  readonly errorRate: number;
}

/** Profiles spread over two orders of magnitude of traffic and error rates of 0.5 % to 40 % of the budget. */
export function trafficProfiles(count: number, seed: number, budget: number): TrafficProfile[] {
  const random = seededRandom(seed ^ 0x9e3779b9);
  return Array.from({ length: count }, (_, index) => ({
    id: `profile-${String(index).padStart(3, '0')}`,
    requestsPerMinute: Math.round(20 * 100 ** random()),
    errorRate: budget * (0.005 + 0.395 * random()),
  }));
}

export interface LoadWindow {
  /** Minute data from here (epoch ms, hour-aligned) ... */
  readonly minuteFrom: number;
  /** ... to here (exclusive). */
  readonly minuteTo: number;
  /** One aggregate per hour from here up to `minuteFrom`. */
  readonly hourlyFrom: number;
}

/**
 * What the evaluator reads over ticks in [firstTick, lastTick]: the fine tier (up to `fineHorizonMinutes`, hour
 * aligned, ending one delayed minute before the tick) in minutes, and the rest of the SLO period as hourly
 * aggregates. An hourly query sums the minutes of each hour, so one aggregate at the hour's first minute answers
 * it exactly as 60 minutes would.
 */
export function loadWindow(slo: SloDefinition, fineHorizonMinutes: number, dataDelayMinutes: number, firstTick: number, lastTick: number): LoadWindow {
  const firstEnd = firstTick - dataDelayMinutes * MINUTE_MS;
  const minuteFrom = Math.floor((firstEnd - fineHorizonMinutes * MINUTE_MS) / HOUR_MS) * HOUR_MS;
  const minuteTo = Math.ceil(lastTick / HOUR_MS) * HOUR_MS;
  const hourlyFrom = Math.floor((firstEnd - slo.periodDays * DAY_MS) / HOUR_MS) * HOUR_MS;
  return { minuteFrom, minuteTo, hourlyFrom };
}

/** Daily cycle: busiest mid-afternoon UTC, a quarter of the peak at night. */
function dailyCycle(at: number): number {
  const hourOfDay = (at % DAY_MS) / HOUR_MS;
  return 0.25 + 0.75 * (0.5 + 0.5 * Math.sin(((hourOfDay - 9) / 24) * 2 * Math.PI));
}

/** Integer count with expectation `mean`: the fraction is rounded up with that probability. */
function roundRandomly(mean: number, random: () => number): number {
  const whole = Math.floor(mean);
  return whole + (random() < mean - whole ? 1 : 0);
}

export interface SliMetricNames {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly tenantDimension: string;
  readonly totalMetric: string;
  readonly badMetric: string;
}

/** Loads every profile's minutes and hourly aggregates; returns the datapoints written. */
export function loadProfiles(cw: LocalCloudWatch, sli: SliMetricNames, profiles: readonly TrafficProfile[], window: LoadWindow, seed: number): number {
  const random = seededRandom(seed ^ 0x51ed);
  let written = 0;
  for (const profile of profiles) {
    const dims = { ...sli.dimensions, [sli.tenantDimension]: profile.id };
    const namespace = profileNamespace(sli.namespace);
    const put = (metric: string, at: number, sum: number): void => {
      // A zero-count minute has no datapoint, as CloudWatch would have it.
      if (sum > 0) cw.putMinute(namespace, metric, dims, at, { sum, sampleCount: 1 });
    };
    for (let hour = window.hourlyFrom; hour < window.minuteFrom; hour += HOUR_MS) {
      const requests = roundRandomly(profile.requestsPerMinute * 60 * dailyCycle(hour), random);
      put(sli.totalMetric, hour, requests);
      put(sli.badMetric, hour, roundRandomly(requests * profile.errorRate, random));
      written += 2;
    }
    const minutes = (window.minuteTo - window.minuteFrom) / MINUTE_MS;
    const requests = new Float64Array(minutes);
    const errors = new Float64Array(minutes);
    for (let i = 0; i < minutes; i += 1) {
      const at = window.minuteFrom + i * MINUTE_MS;
      requests[i] = roundRandomly(profile.requestsPerMinute * dailyCycle(at) * (0.8 + 0.4 * random()), random);
      errors[i] = roundRandomly((requests[i] as number) * profile.errorRate, random);
    }
    cw.putMinutes(namespace, sli.totalMetric, dims, window.minuteFrom, requests);
    cw.putMinutes(namespace, sli.badMetric, dims, window.minuteFrom, errors);
    written += 2 * minutes;
  }
  return written;
}
