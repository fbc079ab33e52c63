/**
 * An in-memory CloudWatch for the demo, the benchmarks and the tests. It serves the subset of GetMetricData
 * and ListMetrics that Burnwatch uses, with the real API's limits (500 queries and 100,800 datapoints per
 * call, query id syntax, a TPS quota), so code that works against it respects those limits in AWS too.
 *
 * Data is kept as per-minute aggregates (sum, sampleCount, min, max) per metric, as CloudWatch stores
 * 1-minute data; periods are whole multiples of 60 s.
 */
import { createHash } from 'node:crypto';
import {
  CloudWatchClient,
  CloudWatchServiceException,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type ListMetricsCommandInput,
  type ListMetricsCommandOutput,
  type Metric,
  type MetricDataQuery,
  type MetricDataResult,
  type MetricStat,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-cloudwatch';
import { MINUTE_MS } from '../domain/model';
import {
  MAX_DATAPOINTS_PER_CALL,
  MAX_QUERIES_PER_CALL,
  MAX_QUERY_ID_LENGTH,
  MetricMathSyntaxError,
  QUERY_ID_PATTERN,
  tokenizeMetricMath,
  type MathToken,
} from '../domain/query-plan';
import { sleepMs } from './retry';

export interface LocalCloudWatchOptions {
  /** Simulated service latency per call, ms. @default no latency */
  readonly latencyMs?: () => number;
  /** Calls per second per operation before `Throttling` (token bucket, burst = maxTps). @default unlimited */
  readonly maxTps?: number;
  /** Epoch ms, for the token bucket and ListMetrics `RecentlyActive`. @default Date.now */
  readonly clock?: () => number;
  /** @default a setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One minute of a metric: what CloudWatch keeps for 1-minute data. */
export interface MinuteAggregate {
  readonly sum: number;
  readonly sampleCount: number;
  /** @default sum / sampleCount */
  readonly min?: number;
  /** @default sum / sampleCount */
  readonly max?: number;
}

export interface LocalCloudWatchCounters {
  /** GetMetricData calls answered (throttled ones not included). */
  calls: number;
  listMetricsCalls: number;
  /** MetricStat queries over all answered GetMetricData calls: what CloudWatch bills. */
  metricsRequested: number;
  datapointsReturned: number;
  throttled: number;
}

export type LocalStatistic = 'Sum' | 'SampleCount' | 'Average' | 'Minimum' | 'Maximum';
const STATISTICS: readonly LocalStatistic[] = ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'];

/** ListMetrics returns at most this many metrics per page. */
const LIST_METRICS_PAGE_SIZE = 500;
const HOUR_MINUTES = 60;
/** Per minute: sum, sampleCount, min, max. */
const SLOT_WIDTH = 4;
const RECENTLY_ACTIVE_MS = 3 * 60 * MINUTE_MS;

/** Minute aggregates in hour chunks: compact for dense data, and empty hours cost nothing to skip. */
interface StoredMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly { readonly Name: string; readonly Value: string }[];
  readonly hours: Map<number, Float64Array>;
  latestMinuteMs: number;
}

/** A time series on the query's period grid, timestamps ascending. */
interface Series {
  readonly timestamps: number[];
  readonly values: number[];
}

type BinaryOp = '+' | '-' | '*' | '/';

type MathNode =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'ref'; readonly id: string }
  | { readonly kind: 'negate'; readonly operand: MathNode }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: MathNode; readonly right: MathNode }
  | { readonly kind: 'fill'; readonly series: MathNode; readonly value: number };

/** What evaluating a math node gives: a time series, or a scalar. */
type MathValue = Series | number;

/** What a NextToken encodes. ListMetrics uses `point` alone, as the offset of the next metric. */
interface PageCursor {
  /** Digest of the request the token belongs to. */
  readonly request: string;
  /** Index into the returned series, and the point in it where the next page starts. */
  readonly series: number;
  readonly point: number;
}

function serviceError(name: string, message: string): CloudWatchServiceException {
  return new CloudWatchServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function validationError(message: string): CloudWatchServiceException {
  return serviceError('ValidationError', message);
}

function answeredMetadata(): GetMetricDataCommandOutput['$metadata'] {
  return { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 };
}

/**
 * The store and the two operations. Use `client()` to hand a real `CloudWatchClient` to adapters; call
 * `getMetricData` / `listMetrics` directly only to test this class itself.
 */
export class LocalCloudWatch {
  readonly counters: LocalCloudWatchCounters = {
    calls: 0,
    listMetricsCalls: 0,
    metricsRequested: 0,
    datapointsReturned: 0,
    throttled: 0,
  };
  private readonly metrics = new Map<string, StoredMetric>();
  private readonly buckets = new Map<string, { tokens: number; refilledAt: number }>();
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: LocalCloudWatchOptions = {}) {
    if (options.maxTps !== undefined && !(options.maxTps > 0)) {
      throw new RangeError(`maxTps must be a number greater than 0; got ${options.maxTps}`);
    }
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? sleepMs;
  }

  /** Records `count` samples of `value` at `timestampMs` (PutMetricData's Values/Counts). */
  put(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    timestampMs: number,
    value: number,
    count = 1,
  ): void {
    this.putMinute(namespace, metricName, dimensions, timestampMs, { sum: value * count, sampleCount: count, min: value, max: value });
  }

  /** Adds a whole minute's aggregate at once (merged with what the minute already has), without per-sample work. */
  putMinute(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    minuteStartMs: number,
    aggregate: MinuteAggregate,
  ): void {
    const { sum, sampleCount } = aggregate;
    const mean = sum / sampleCount;
    addToMinute(this.metricFor(namespace, metricName, dimensions), minuteStartMs, sum, sampleCount, aggregate.min ?? mean, aggregate.max ?? mean);
  }

  /**
   * Bulk load: consecutive minutes from `firstMinuteMs`, one sum per minute (each one sample unless
   * `sampleCounts` says otherwise). NaN entries are minutes without data. The metric is looked up once, so this
   * is the fast path for demo and benchmark data.
   */
  putMinutes(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    firstMinuteMs: number,
    sums: ArrayLike<number>,
    sampleCounts?: ArrayLike<number>,
  ): void {
    if (sampleCounts !== undefined && sampleCounts.length !== sums.length) {
      throw new RangeError(`sampleCounts must have one entry per sum (${sums.length}); got ${sampleCounts.length}`);
    }
    const metric = this.metricFor(namespace, metricName, dimensions);
    for (let i = 0; i < sums.length; i += 1) {
      const sum = sums[i] as number;
      if (sum !== sum) continue; // NaN: no data this minute
      const sampleCount = sampleCounts === undefined ? 1 : (sampleCounts[i] as number);
      const mean = sum / sampleCount;
      addToMinute(metric, firstMinuteMs + i * MINUTE_MS, sum, sampleCount, mean, mean);
    }
  }

  /** A real CloudWatchClient whose calls are answered from this store; nothing goes to the network. */
  client(): CloudWatchClient {
    const client = new CloudWatchClient({
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    // The initialize step runs before serialisation, signing and the HTTP handler: answering here keeps the
    // SDK's command, middleware and `send` path real while nothing leaves the process.
    client.middlewareStack.add(
      (_next, context) => async (args) => ({ output: await this.answer(context.commandName, args.input), response: {} }),
      { step: 'initialize', name: 'localCloudWatchResponder', priority: 'low' },
    );
    return client;
  }

  async getMetricData(input: GetMetricDataCommandInput): Promise<GetMetricDataCommandOutput> {
    await this.admit('GetMetricData');
    const queries = validateQueries(input.MetricDataQueries);
    const { start, end } = validateRange(input.StartTime, input.EndTime);
    const limit = Math.min(input.MaxDatapoints ?? MAX_DATAPOINTS_PER_CALL, MAX_DATAPOINTS_PER_CALL);
    if (!(Number.isInteger(limit) && limit > 0)) throw validationError(`MaxDatapoints must be a positive integer; got ${input.MaxDatapoints}`);
    const descending = input.ScanBy !== 'TimestampAscending';
    const requestDigest = digest({ queries, start, end, descending, limit });
    const cursor = input.NextToken === undefined ? { request: requestDigest, series: 0, point: 0 } : decodeToken(input.NextToken);
    if (cursor.request !== requestDigest) {
      throw serviceError('InvalidNextToken', 'The NextToken does not belong to this request');
    }

    const evaluator = new QueryEvaluator((stat) => this.readMetricStat(stat, start, end), queries, start, end);
    const returned = queries.filter((query) => query.ReturnData !== false);
    const results: MetricDataResult[] = [];
    let remaining = limit;
    let next: PageCursor | null = null;
    for (const [index, query] of returned.entries()) {
      const series = evaluator.series(query.Id as string);
      const timestamps = descending ? [...series.timestamps].reverse() : series.timestamps;
      const values = descending ? [...series.values].reverse() : series.values;
      const offset = index < cursor.series ? timestamps.length : index === cursor.series ? cursor.point : 0;
      const take = Math.min(timestamps.length - offset, remaining);
      remaining -= take;
      const complete = offset + take === timestamps.length;
      if (!complete && next === null) next = { request: requestDigest, series: index, point: offset + take };
      results.push({
        Id: query.Id,
        Label: query.Label ?? query.Id,
        Timestamps: timestamps.slice(offset, offset + take).map((ms) => new Date(ms)),
        Values: values.slice(offset, offset + take),
        StatusCode: complete ? 'Complete' : 'PartialData',
        Messages: [],
      });
    }

    this.counters.calls += 1;
    this.counters.metricsRequested += queries.filter((query) => query.MetricStat !== undefined).length;
    this.counters.datapointsReturned += limit - remaining;
    return {
      MetricDataResults: results,
      Messages: [],
      ...(next === null ? {} : { NextToken: encodeToken(next) }),
      $metadata: answeredMetadata(),
    };
  }

  async listMetrics(input: ListMetricsCommandInput): Promise<ListMetricsCommandOutput> {
    await this.admit('ListMetrics');
    const filters = input.Dimensions ?? [];
    filters.forEach((filter, index) => {
      if (typeof filter.Name !== 'string' || filter.Name.length === 0) {
        throw validationError(`Dimensions[${index}].Name must be a non-empty string; got ${String(filter.Name)}`);
      }
    });
    if (filters.length > 10) throw validationError(`Dimensions must have at most 10 filters; got ${filters.length}`);
    const activeSince = input.RecentlyActive === 'PT3H' ? this.clock() - RECENTLY_ACTIVE_MS : -Infinity;
    const matching = [...this.metrics.values()]
      .filter(
        (metric) =>
          (input.Namespace === undefined || metric.namespace === input.Namespace) &&
          (input.MetricName === undefined || metric.metricName === input.MetricName) &&
          metric.latestMinuteMs >= activeSince &&
          filters.every((filter) =>
            metric.dimensions.some((dimension) => dimension.Name === filter.Name && (filter.Value === undefined || dimension.Value === filter.Value)),
          ),
      )
      .map((metric): Metric => ({ Namespace: metric.namespace, MetricName: metric.metricName, Dimensions: metric.dimensions.map((d) => ({ ...d })) }));
    const requestDigest = digest({ namespace: input.Namespace, name: input.MetricName, filters, recentlyActive: input.RecentlyActive });
    const cursor = input.NextToken === undefined ? { request: requestDigest, series: 0, point: 0 } : decodeToken(input.NextToken);
    if (cursor.request !== requestDigest) throw serviceError('InvalidNextToken', 'The NextToken does not belong to this request');
    const start = cursor.point;
    const page = matching.slice(start, start + LIST_METRICS_PAGE_SIZE);
    const nextStart = start + page.length;
    this.counters.listMetricsCalls += 1;
    return {
      Metrics: page,
      ...(nextStart < matching.length ? { NextToken: encodeToken({ request: requestDigest, series: 0, point: nextStart }) } : {}),
      $metadata: answeredMetadata(),
    };
  }

  /** A MetricStat's buckets over [start, end); CloudWatch matches the metric's full dimension set. */
  private readMetricStat(metricStat: MetricStat, start: number, end: number): Series {
    const { Metric: metric, Period: period, Stat: stat } = metricStat;
    const dimensions = Object.fromEntries((metric?.Dimensions ?? []).map((d) => [d.Name as string, d.Value as string]));
    const stored = this.metrics.get(metricKey(metric?.Namespace ?? '', metric?.MetricName ?? '', dimensions));
    // validateQueries checked Period and Stat.
    return aggregate(stored, stat as LocalStatistic, start, end, (period as number) * 1000);
  }

  private async answer(commandName: string | undefined, input: ServiceInputTypes): Promise<ServiceOutputTypes> {
    // The command name tells which input type the SDK passed in.
    switch (commandName) {
      case 'GetMetricDataCommand':
        return this.getMetricData(input as GetMetricDataCommandInput);
      case 'ListMetricsCommand':
        return this.listMetrics(input as ListMetricsCommandInput);
      default:
        throw serviceError('InvalidAction', `LocalCloudWatch serves GetMetricData and ListMetrics only; got ${String(commandName)}`);
    }
  }

  /** Token bucket per operation (CloudWatch's TPS quotas are per API), then the simulated latency. */
  private async admit(operation: string): Promise<void> {
    const maxTps = this.options.maxTps;
    if (maxTps !== undefined) {
      const now = this.clock();
      const bucket = this.buckets.get(operation) ?? { tokens: maxTps, refilledAt: now };
      bucket.tokens = Math.min(maxTps, bucket.tokens + ((now - bucket.refilledAt) / 1000) * maxTps);
      bucket.refilledAt = now;
      this.buckets.set(operation, bucket);
      if (bucket.tokens < 1) {
        this.counters.throttled += 1;
        throw serviceError('Throttling', `Rate exceeded: ${operation} is limited to ${maxTps} calls per second`);
      }
      bucket.tokens -= 1;
    }
    const latency = this.options.latencyMs?.() ?? 0;
    if (latency > 0) await this.sleep(latency);
  }

  private metricFor(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): StoredMetric {
    const key = metricKey(namespace, metricName, dimensions);
    let metric = this.metrics.get(key);
    if (metric === undefined) {
      metric = {
        namespace,
        metricName,
        dimensions: sortedDimensions(dimensions),
        hours: new Map(),
        latestMinuteMs: -Infinity,
      };
      this.metrics.set(key, metric);
    }
    return metric;
  }
}

/** Merges one minute's aggregate into the metric's hour chunk. */
function addToMinute(metric: StoredMetric, minuteStartMs: number, sum: number, sampleCount: number, min: number, max: number): void {
  if (!(Number.isFinite(sum) && Number.isFinite(sampleCount) && sampleCount > 0 && Number.isFinite(minuteStartMs))) {
    throw new RangeError(
      `a minute needs a finite timestamp, a finite sum and a sampleCount greater than 0; got timestamp ${minuteStartMs}, sum ${sum}, sampleCount ${sampleCount}`,
    );
  }
  const minute = Math.floor(minuteStartMs / MINUTE_MS);
  const hour = Math.floor(minute / HOUR_MINUTES);
  let chunk = metric.hours.get(hour);
  if (chunk === undefined) {
    chunk = new Float64Array(HOUR_MINUTES * SLOT_WIDTH);
    metric.hours.set(hour, chunk);
  }
  const slot = (minute - hour * HOUR_MINUTES) * SLOT_WIDTH;
  const empty = chunk[slot + 1] === 0;
  chunk[slot] = (chunk[slot] as number) + sum;
  chunk[slot + 1] = (chunk[slot + 1] as number) + sampleCount;
  chunk[slot + 2] = empty ? min : Math.min(chunk[slot + 2] as number, min);
  chunk[slot + 3] = empty ? max : Math.max(chunk[slot + 3] as number, max);
  if (minute * MINUTE_MS > metric.latestMinuteMs) metric.latestMinuteMs = minute * MINUTE_MS;
}

/** Aggregates a metric's minutes into `periodMs` buckets starting at `start`, for [start, end). */
function aggregate(metric: StoredMetric | undefined, stat: LocalStatistic, start: number, end: number, periodMs: number): Series {
  const series: Series = { timestamps: [], values: [] };
  if (metric === undefined) return series;
  const bucketCount = Math.ceil((end - start) / periodMs);
  const sums = new Float64Array(bucketCount);
  const counts = new Float64Array(bucketCount);
  const mins = new Float64Array(bucketCount).fill(Infinity);
  const maxes = new Float64Array(bucketCount).fill(-Infinity);
  const firstHour = Math.floor(start / MINUTE_MS / HOUR_MINUTES);
  const lastHour = Math.floor((end - 1) / MINUTE_MS / HOUR_MINUTES);
  for (let hour = firstHour; hour <= lastHour; hour += 1) {
    const chunk = metric.hours.get(hour);
    if (chunk === undefined) continue;
    for (let minute = 0; minute < HOUR_MINUTES; minute += 1) {
      const slot = minute * SLOT_WIDTH;
      const sampleCount = chunk[slot + 1] as number;
      const at = (hour * HOUR_MINUTES + minute) * MINUTE_MS;
      if (sampleCount === 0 || at < start || at >= end) continue;
      const bucket = Math.floor((at - start) / periodMs);
      sums[bucket] = (sums[bucket] as number) + (chunk[slot] as number);
      counts[bucket] = (counts[bucket] as number) + sampleCount;
      mins[bucket] = Math.min(mins[bucket] as number, chunk[slot + 2] as number);
      maxes[bucket] = Math.max(maxes[bucket] as number, chunk[slot + 3] as number);
    }
  }
  for (let bucket = 0; bucket < bucketCount; bucket += 1) {
    const sampleCount = counts[bucket] as number;
    if (sampleCount === 0) continue;
    const sum = sums[bucket] as number;
    const byStat: Record<LocalStatistic, number> = {
      Sum: sum,
      SampleCount: sampleCount,
      Average: sum / sampleCount,
      Minimum: mins[bucket] as number,
      Maximum: maxes[bucket] as number,
    };
    series.timestamps.push(start + bucket * periodMs);
    series.values.push(byStat[stat]);
  }
  return series;
}

/** Evaluates the queries of one GetMetricData call: MetricStats from the store, expressions by metric math. */
class QueryEvaluator {
  private readonly byId = new Map<string, MetricDataQuery>();
  private readonly done = new Map<string, Series>();
  private readonly inProgress = new Set<string>();
  /** Expressions without their own Period use the first MetricStat's period (the grid FILL fills). */
  private readonly defaultPeriodSeconds: number;

  constructor(
    private readonly readMetricStat: (metricStat: MetricStat) => Series,
    queries: readonly MetricDataQuery[],
    private readonly start: number,
    private readonly end: number,
  ) {
    for (const query of queries) this.byId.set(query.Id as string, query);
    this.defaultPeriodSeconds = queries.find((query) => query.MetricStat !== undefined)?.MetricStat?.Period ?? 60;
  }

  series(id: string): Series {
    const cached = this.done.get(id);
    if (cached !== undefined) return cached;
    const query = this.byId.get(id);
    if (query === undefined) throw validationError(`Unknown query id ${JSON.stringify(id)} in an expression`);
    if (this.inProgress.has(id)) throw validationError(`Circular reference through query ${JSON.stringify(id)}`);
    this.inProgress.add(id);
    let result: Series;
    if (query.MetricStat !== undefined) {
      result = this.readMetricStat(query.MetricStat);
    } else {
      const periodMs = (query.Period ?? this.defaultPeriodSeconds) * 1000;
      const value = this.evaluate(parseExpression(query.Expression as string), periodMs);
      if (typeof value === 'number') throw validationError(`Expression of ${JSON.stringify(id)} must return a time series, not a number`);
      result = value;
    }
    this.inProgress.delete(id);
    this.done.set(id, result);
    return result;
  }

  private evaluate(node: MathNode, periodMs: number): MathValue {
    switch (node.kind) {
      case 'number':
        return node.value;
      case 'ref':
        return this.series(node.id);
      case 'negate':
        return combine(0, this.evaluate(node.operand, periodMs), '-');
      case 'binary':
        return combine(this.evaluate(node.left, periodMs), this.evaluate(node.right, periodMs), node.op);
      case 'fill': {
        const series = this.evaluate(node.series, periodMs);
        if (typeof series === 'number') throw validationError('FILL needs a time series as its first argument');
        return fill(series, node.value, this.start, this.end, periodMs);
      }
    }
  }
}

/** Arithmetic over series: points combine where both series have the timestamp (metric math drops the rest). */
function combine(left: MathValue, right: MathValue, op: BinaryOp): MathValue {
  const apply = (a: number, b: number): number => (op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b);
  if (typeof left === 'number' && typeof right === 'number') return apply(left, right);
  const result: Series = { timestamps: [], values: [] };
  const push = (at: number, value: number): void => {
    // Division by zero has no datapoint rather than an Infinity no client could read.
    if (Number.isFinite(value)) {
      result.timestamps.push(at);
      result.values.push(value);
    }
  };
  if (typeof left === 'number') {
    const series = right as Series;
    series.timestamps.forEach((at, i) => push(at, apply(left, series.values[i] as number)));
  } else if (typeof right === 'number') {
    left.timestamps.forEach((at, i) => push(at, apply(left.values[i] as number, right)));
  } else {
    let j = 0;
    for (let i = 0; i < left.timestamps.length; i += 1) {
      const at = left.timestamps[i] as number;
      while (j < right.timestamps.length && (right.timestamps[j] as number) < at) j += 1;
      if (right.timestamps[j] === at) push(at, apply(left.values[i] as number, right.values[j] as number));
    }
  }
  return result;
}

/**
 * FILL(series, value): every period of [start, end) without a datapoint gets `value`, also when the series has
 * no datapoint at all (so `FILL(a, 0) + FILL(b, 0)` keeps a's data when b was never published).
 */
function fill(series: Series, value: number, start: number, end: number, periodMs: number): Series {
  const result: Series = { timestamps: [], values: [] };
  let j = 0;
  for (let at = start; at < end; at += periodMs) {
    const has = series.timestamps[j] === at;
    result.timestamps.push(at);
    result.values.push(has ? (series.values[j] as number) : value);
    if (has) j += 1;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Expression parsing: + - * / unary minus, parentheses, numbers, query ids and FILL(x, n)
// ---------------------------------------------------------------------------------------------------------

function parseExpression(expression: string): MathNode {
  let tokens: MathToken[];
  try {
    tokens = tokenizeMetricMath(expression);
  } catch (error) {
    if (error instanceof MetricMathSyntaxError) throw validationError(error.message);
    throw error;
  }
  let at = 0;
  const peek = (): MathToken | undefined => tokens[at];
  const fail = (detail: string): never => {
    const token = peek();
    throw validationError(`${detail} at ${token === undefined ? 'the end' : `position ${token.start}`} of expression ${JSON.stringify(expression)}`);
  };
  const expect = (text: string): void => {
    if (peek()?.text !== text) fail(`expected ${JSON.stringify(text)}`);
    at += 1;
  };
  // One precedence level: operands joined left to right by any of `ops`.
  const level =
    (ops: readonly BinaryOp[], operand: () => MathNode) =>
    (): MathNode => {
      let node = operand();
      for (let op = peek()?.text; ops.some((candidate) => candidate === op); op = peek()?.text) {
        at += 1;
        node = { kind: 'binary', op: op as BinaryOp, left: node, right: operand() };
      }
      return node;
    };
  const sum = (): MathNode => level(['+', '-'], product)();
  const product = (): MathNode => level(['*', '/'], unary)();
  const unary = (): MathNode => {
    if (peek()?.text === '-') {
      at += 1;
      return { kind: 'negate', operand: unary() };
    }
    return primary();
  };
  const primary = (): MathNode => {
    const token = peek();
    if (token === undefined) return fail('expected a value');
    if (token.kind === 'number') {
      at += 1;
      return { kind: 'number', value: Number(token.text) };
    }
    if (token.text === '(') {
      at += 1;
      const inner = sum();
      expect(')');
      return inner;
    }
    if (token.kind === 'identifier' && token.isCall) {
      if (token.text !== 'FILL') return fail(`unsupported function ${token.text} (LocalCloudWatch supports FILL)`);
      at += 1;
      expect('(');
      const series = sum();
      expect(',');
      const negative = peek()?.text === '-';
      if (negative) at += 1;
      const fillToken = peek();
      if (fillToken?.kind !== 'number') return fail('FILL needs a number as its second argument');
      at += 1;
      expect(')');
      return { kind: 'fill', series, value: (negative ? -1 : 1) * Number(fillToken.text) };
    }
    if (token.kind === 'identifier') {
      at += 1;
      return { kind: 'ref', id: token.text };
    }
    return fail(`unexpected ${JSON.stringify(token.text)}`);
  };
  const root = sum();
  if (at < tokens.length) fail('unexpected trailing input');
  return root;
}

// ---------------------------------------------------------------------------------------------------------
// Request validation, keys and tokens
// ---------------------------------------------------------------------------------------------------------

function validateQueries(queries: readonly MetricDataQuery[] | undefined): readonly MetricDataQuery[] {
  if (queries === undefined || queries.length === 0) throw validationError('MetricDataQueries must have at least 1 query');
  if (queries.length > MAX_QUERIES_PER_CALL) {
    throw validationError(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES_PER_CALL}; got ${queries.length}`);
  }
  const ids = new Set<string>();
  queries.forEach((query, index) => {
    const id = query.Id;
    if (typeof id !== 'string' || !QUERY_ID_PATTERN.test(id) || id.length > MAX_QUERY_ID_LENGTH) {
      throw validationError(
        `MetricDataQueries[${index}].Id must start with a lowercase letter, then letters, digits or underscores (at most ${MAX_QUERY_ID_LENGTH}); got ${JSON.stringify(id)}`,
      );
    }
    if (ids.has(id)) throw validationError(`MetricDataQueries[${index}].Id ${JSON.stringify(id)} is used twice`);
    ids.add(id);
    if ((query.MetricStat === undefined) === (query.Expression === undefined)) {
      throw validationError(`MetricDataQueries[${index}] (${id}) must have exactly one of MetricStat and Expression`);
    }
    const period = query.MetricStat?.Period ?? query.Period;
    if (query.MetricStat !== undefined || period !== undefined) {
      if (!(Number.isInteger(period) && (period as number) > 0 && (period as number) % 60 === 0)) {
        throw validationError(`MetricDataQueries[${index}] (${id}) Period must be a positive multiple of 60 in LocalCloudWatch; got ${period}`);
      }
    }
    const stat = query.MetricStat?.Stat;
    if (query.MetricStat !== undefined && !STATISTICS.includes(stat as LocalStatistic)) {
      throw validationError(`MetricDataQueries[${index}] (${id}) Stat must be one of ${STATISTICS.join(', ')}; got ${JSON.stringify(stat)}`);
    }
  });
  return queries;
}

function validateRange(startTime: Date | undefined, endTime: Date | undefined): { start: number; end: number } {
  if (!(startTime instanceof Date) || !(endTime instanceof Date)) throw validationError('StartTime and EndTime are required');
  // CloudWatch rounds a recent StartTime down to the whole minute.
  const start = Math.floor(startTime.getTime() / MINUTE_MS) * MINUTE_MS;
  const end = endTime.getTime();
  if (!(end > start)) throw validationError(`EndTime must be after StartTime; got ${startTime.toISOString()} to ${endTime.toISOString()}`);
  return { start, end };
}

function sortedDimensions(dimensions: Readonly<Record<string, string>>): { Name: string; Value: string }[] {
  return Object.entries(dimensions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([Name, Value]) => ({ Name, Value }));
}

/** Hot in bulk loads: plain string building, no intermediate objects. NUL never occurs in CloudWatch names. */
function metricKey(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): string {
  let key = `${namespace}\u0000${metricName}`;
  for (const name of Object.keys(dimensions).sort()) key += `\u0000${name}\u0000${dimensions[name] as string}`;
  return key;
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}

function encodeToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeToken(token: string): PageCursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageCursor;
    if (typeof cursor.request === 'string' && Number.isInteger(cursor.series) && Number.isInteger(cursor.point)) return cursor;
  } catch {
    // fall through to the same error as a well-formed token of another request
  }
  throw serviceError('InvalidNextToken', 'The NextToken is not valid');
}
