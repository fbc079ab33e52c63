/**
 * Cold-start evidence for the configured Lambda functions: the `ColdStart` metric Powertools Metrics emits,
 * compared per minute with the minutes before the window, plus the AWS/Lambda `Duration` p99 and
 * `ConcurrentExecutions` that show what the cold starts cost.
 */
import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type Dimension,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { EvidenceItem } from '../../domain/model';
import { MINUTE_MS } from '../../domain/model';
import {
  numberAtLeast,
  integerOption,
  ApiSession,
  affectedTenants,
  chunks,
  collectSafely,
  requireString,
  resolveAdapterOptions,
  scopeList,
  validateWindow,
  type AdapterOptions,
  type CollectRequest,
  type CollectorReport,
  type ResolvedAdapterOptions,
  type TenantMapping,
} from './common';

export interface ColdStartFunctionScope extends TenantMapping {
  /** Lambda function name (the AWS/Lambda `FunctionName` dimension). */
  readonly functionName: string;
  /** Powertools Metrics namespace the function publishes `ColdStart` to. */
  readonly namespace: string;
  /** Powertools service name: the `service` dimension. */
  readonly service: string;
  /**
   * Powertools adds `function_name` to `ColdStart` when it knows the function (middleware or decorator).
   * @default true
   */
  readonly functionNameDimension?: boolean;
  /**
   * Default dimensions the function adds to every metric; CloudWatch matches the whole dimension set.
   * @default {}
   */
  readonly extraDimensions?: Readonly<Record<string, string>>;
}

export interface ColdStartScope {
  readonly functions: readonly ColdStartFunctionScope[];
}

export interface ColdStartCollectorOptions extends AdapterOptions {
  /**
   * Minutes before the window used as the baseline rate of cold starts.
   * @default 30
   */
  readonly baselineMinutes?: number;
  /**
   * The window's cold starts per minute must reach this multiple of the baseline's to count as a spike.
   * @default 3
   */
  readonly spikeFactor?: number;
  /**
   * Fewer cold starts than this in the window never count as a spike (a few are normal after a deploy).
   * @default 5
   */
  readonly minColdStarts?: number;
}

const SERVICE = 'cloudwatch';
const PERIOD_SECONDS = 60;
// Lambda function names: letters, digits, hyphens and underscores, 64 at most.
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const METRIC_TEXT = /^.{1,255}$/s;
// Three queries per function; GetMetricData takes at most 500 queries per call.
const FUNCTIONS_PER_CALL = 150;

interface ConfiguredFunction {
  readonly scope: ColdStartFunctionScope;
  readonly functionName: string;
  readonly tenants: readonly string[];
}

/** Minute start (epoch ms) -> value, per query id. */
type SeriesById = Map<string, Map<number, number>>;

function queriesFor(fn: ConfiguredFunction, index: number): MetricDataQuery[] {
  const coldStartDimensions: Dimension[] = [{ Name: 'service', Value: fn.scope.service }];
  if (fn.scope.functionNameDimension !== false) coldStartDimensions.push({ Name: 'function_name', Value: fn.functionName });
  for (const [name, value] of Object.entries(fn.scope.extraDimensions ?? {})) coldStartDimensions.push({ Name: name, Value: value });
  const lambdaDimensions: Dimension[] = [{ Name: 'FunctionName', Value: fn.functionName }];
  return [
    {
      Id: `cold${index}`,
      MetricStat: {
        Metric: { Namespace: fn.scope.namespace, MetricName: 'ColdStart', Dimensions: coldStartDimensions },
        Period: PERIOD_SECONDS,
        Stat: 'Sum',
      },
    },
    {
      Id: `p99${index}`,
      MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: lambdaDimensions }, Period: PERIOD_SECONDS, Stat: 'p99' },
    },
    {
      Id: `conc${index}`,
      MetricStat: {
        Metric: { Namespace: 'AWS/Lambda', MetricName: 'ConcurrentExecutions', Dimensions: lambdaDimensions },
        Period: PERIOD_SECONDS,
        Stat: 'Maximum',
      },
    },
  ];
}

function addResults(series: SeriesById, results: readonly MetricDataResult[]): void {
  for (const result of results) {
    if (result.Id === undefined) continue;
    const points = series.get(result.Id) ?? new Map<number, number>();
    const timestamps = result.Timestamps ?? [];
    const values = result.Values ?? [];
    timestamps.forEach((timestamp, i) => {
      const value = values[i];
      if (value !== undefined) points.set(timestamp.getTime(), value);
    });
    series.set(result.Id, points);
  }
}

interface Span {
  readonly start: number;
  readonly end: number;
}

function valuesIn(points: Map<number, number> | undefined, span: Span): [number, number][] {
  return [...(points ?? new Map<number, number>())].filter(([t]) => t >= span.start && t < span.end).sort((a, b) => a[0] - b[0]);
}

function sumIn(points: Map<number, number> | undefined, span: Span): number {
  return valuesIn(points, span).reduce((total, [, value]) => total + value, 0);
}

function maxIn(points: Map<number, number> | undefined, span: Span): number | null {
  const values = valuesIn(points, span).map(([, value]) => value);
  return values.length === 0 ? null : Math.max(...values);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export class LambdaColdStartCollector {
  private readonly options: ResolvedAdapterOptions;
  private readonly baselineMinutes: number;
  private readonly spikeFactor: number;
  private readonly minColdStarts: number;

  constructor(
    private readonly client: CloudWatchClient,
    options: ColdStartCollectorOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
    this.baselineMinutes = integerOption(options.baselineMinutes, 30, 'options.baselineMinutes', 1_440);
    this.spikeFactor = numberAtLeast(options.spikeFactor, 3, 'options.spikeFactor', 1);
    this.minColdStarts = numberAtLeast(options.minColdStarts, 5, 'options.minColdStarts', 1);
  }

  async collect(request: CollectRequest<ColdStartScope>): Promise<CollectorReport> {
    const session = new ApiSession(SERVICE, this.options);
    return collectSafely('lambda', session, async () => {
      validateWindow(request);
      const functions = this.configured(request);
      // Whole minutes, so the window and the baseline are made of complete one-minute buckets.
      const window: Span = { start: Math.floor(request.from / MINUTE_MS) * MINUTE_MS, end: Math.ceil(request.to / MINUTE_MS) * MINUTE_MS };
      const baseline: Span = { start: window.start - this.baselineMinutes * MINUTE_MS, end: window.start };
      const items: EvidenceItem[] = [];
      for (const [batchIndex, batch] of chunks(functions, FUNCTIONS_PER_CALL).entries()) {
        const series: SeriesById = new Map();
        const queries = batch.flatMap((fn, i) => queriesFor(fn, i));
        const results = await session.paginate(`GetMetricData batch ${batchIndex}`, async (nextToken) => {
          const out = await this.client.send(
            new GetMetricDataCommand({
              MetricDataQueries: queries,
              StartTime: new Date(baseline.start),
              EndTime: new Date(window.end),
              ScanBy: 'TimestampAscending',
              NextToken: nextToken,
            }),
          );
          return { items: out.MetricDataResults ?? [], nextToken: out.NextToken };
        });
        addResults(series, results);
        batch.forEach((fn, i) => {
          const item = this.spikeEvidence(fn, i, series, window, baseline);
          if (item !== null) items.push(item);
        });
      }
      return items;
    });
  }

  private configured(request: CollectRequest<ColdStartScope>): ConfiguredFunction[] {
    return scopeList(request.scope?.functions, 'scope.functions').flatMap((scope, i) => {
      const field = `scope.functions[${i}]`;
      const functionName = requireString(scope?.functionName, `${field}.functionName`, FUNCTION_NAME, 'a Lambda function name (letters, digits, - or _, 64 at most)');
      requireString(scope.namespace, `${field}.namespace`, METRIC_TEXT, 'a CloudWatch namespace (1..255 characters)');
      requireString(scope.service, `${field}.service`, METRIC_TEXT, 'a Powertools service name (1..255 characters)');
      for (const [name, value] of Object.entries(scope.extraDimensions ?? {})) {
        requireString(value, `${field}.extraDimensions.${name}`, METRIC_TEXT, 'a dimension value (1..255 characters)');
      }
      const tenants = affectedTenants(scope, request.tenants, field);
      return tenants === null ? [] : [{ scope, functionName, tenants }];
    });
  }

  /**
   * A spike: at least `minColdStarts` in the window, and a window rate (cold starts per minute) of at least
   * `spikeFactor` times the baseline rate. It starts at the first window minute above the baseline rate.
   */
  private spikeEvidence(fn: ConfiguredFunction, index: number, series: SeriesById, window: Span, baseline: Span): EvidenceItem | null {
    const coldStarts = series.get(`cold${index}`);
    const windowMinutes = (window.end - window.start) / MINUTE_MS;
    const inWindow = sumIn(coldStarts, window);
    const inBaseline = sumIn(coldStarts, baseline);
    const rate = inWindow / windowMinutes;
    const baselineRate = inBaseline / this.baselineMinutes;
    if (inWindow < this.minColdStarts || rate < this.spikeFactor * baselineRate) return null;
    const firstAbove = valuesIn(coldStarts, window).find(([, value]) => value > baselineRate);
    const p99 = series.get(`p99${index}`);
    const concurrency = series.get(`conc${index}`);
    return {
      source: 'lambda',
      failureMode: 'cold-start',
      resource: fn.functionName,
      at: firstAbove?.[0] ?? window.start,
      endedAt: null,
      summary:
        `function ${fn.functionName}: ${inWindow} cold starts in ${windowMinutes} min (${round2(rate)}/min)` +
        ` vs ${round2(baselineRate)}/min in the ${this.baselineMinutes} min before`,
      tenants: fn.tenants,
      details: {
        coldStarts: inWindow,
        baselineColdStarts: inBaseline,
        windowMinutes,
        baselineMinutes: this.baselineMinutes,
        coldStartsPerMinute: round2(rate),
        baselineColdStartsPerMinute: round2(baselineRate),
        spikeRatio: baselineRate === 0 ? null : round2(rate / baselineRate),
        durationP99MaxMs: maxIn(p99, window),
        baselineDurationP99MaxMs: maxIn(p99, baseline),
        maxConcurrentExecutions: maxIn(concurrency, window),
        baselineMaxConcurrentExecutions: maxIn(concurrency, baseline),
      },
    };
  }
}
