/**
 * Plans the CloudWatch GetMetricData calls that read an SLI for many tenants: a ratio SLI's bad and total counts,
 * or a threshold SLI's statistic per slice. Pure: it only builds plain query objects (structurally the SDK's
 * `MetricDataQuery`) and splits tenants into batches that respect the API's limits, so the adapter never sends a
 * call CloudWatch would reject or cut short.
 */
import type { MetricDefinition, RatioSli, SloDefinition, ThresholdSli } from './model';

/** At most this many MetricDataQuery structures in one GetMetricData call. */
export const MAX_QUERIES_PER_CALL = 500;
/** At most this many datapoints returned by one GetMetricData call. */
export const MAX_DATAPOINTS_PER_CALL = 100_800;

/** GetMetricData datapoints per second for one account and Region, by how far back a call's StartTime is. */
export interface DatapointRates {
  /** StartTime within 3 hours of now. */
  readonly recent: number;
  /** StartTime more than 3 hours back. */
  readonly older: number;
}

/**
 * CloudWatch's GetMetricData datapoints-per-second quotas (not adjustable; the CloudWatch quotas page and the
 * Knowledge Center article on GetMetricData): what every caller in the account and Region shares.
 */
export const GET_METRIC_DATA_DATAPOINT_QUOTA: DatapointRates = { recent: 180_000, older: 396_000 };

/** A call whose StartTime is at most this long before its EndTime counts against the `recent` quota. */
export const RECENT_START_MS = 3 * 60 * 60 * 1000;
/** CloudWatch query ids: a lowercase letter first, then letters, digits and underscores. */
export const QUERY_ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;
export const MAX_QUERY_ID_LENGTH = 255;
/** Longest `Expression` CloudWatch accepts. */
export const MAX_EXPRESSION_LENGTH = 2048;

/** Bare words metric math reads as keywords, not as query ids (e.g. `FILL(m1, REPEAT)`). */
const MATH_KEYWORDS: ReadonlySet<string> = new Set(['REPEAT', 'LINEAR', 'AND', 'OR', 'NOT']);

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/** A metric-math expression that cannot be tokenised; `position` is the 0-based character offset. */
export class MetricMathSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly position: number,
    detail: string,
  ) {
    super(`${detail} at position ${position} of expression ${JSON.stringify(expression)}`);
    this.name = 'MetricMathSyntaxError';
  }
}

/** An SLI expression that cannot be planned: names the SLO, the field, and what is wrong. */
export class SliExpressionError extends Error {
  constructor(
    readonly slo: string,
    readonly field: string,
    detail: string,
  ) {
    super(`SLO ${JSON.stringify(slo)} ${field}: ${detail}`);
    this.name = 'SliExpressionError';
  }
}

/** A request the planner cannot turn into valid GetMetricData calls: names the field, what is allowed and what was given. */
export class QueryPlanError extends Error {
  constructor(
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`${field} must be ${allowed}; got ${typeof given === 'string' ? JSON.stringify(given) : String(given)}`);
    this.name = 'QueryPlanError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Metric-math tokens
// ---------------------------------------------------------------------------------------------------------

export type MathTokenKind = 'number' | 'identifier' | 'string' | 'symbol';

export interface MathToken {
  readonly kind: MathTokenKind;
  readonly text: string;
  /** Offset of the first character in the expression. */
  readonly start: number;
  /** For identifiers: followed by `(`, i.e. a function name such as `FILL`, not a query id. */
  readonly isCall: boolean;
}

const NUMBER = /\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const SYMBOLS = '+-*/^(),[]<>=!&|';

/** Splits a metric-math expression into tokens (numbers are consumed whole, so `1e3` is not the id `e3`). */
export function tokenizeMetricMath(expression: string): MathToken[] {
  const tokens: MathToken[] = [];
  let at = 0;
  while (at < expression.length) {
    const char = expression.charAt(at);
    if (/\s/.test(char)) {
      at += 1;
      continue;
    }
    const number = matchAt(NUMBER, expression, at);
    if (number !== null) {
      tokens.push({ kind: 'number', text: number, start: at, isCall: false });
      at += number.length;
      continue;
    }
    const identifier = matchAt(IDENTIFIER, expression, at);
    if (identifier !== null) {
      const after = expression.slice(at + identifier.length).trimStart();
      tokens.push({ kind: 'identifier', text: identifier, start: at, isCall: after.startsWith('(') });
      at += identifier.length;
      continue;
    }
    if (char === '"' || char === "'") {
      const close = expression.indexOf(char, at + 1);
      if (close < 0) throw new MetricMathSyntaxError(expression, at, 'unterminated string');
      tokens.push({ kind: 'string', text: expression.slice(at, close + 1), start: at, isCall: false });
      at = close + 1;
      continue;
    }
    if (SYMBOLS.includes(char)) {
      tokens.push({ kind: 'symbol', text: char, start: at, isCall: false });
      at += 1;
      continue;
    }
    throw new MetricMathSyntaxError(expression, at, `unexpected character ${JSON.stringify(char)}`);
  }
  return tokens;
}

function matchAt(pattern: RegExp, text: string, at: number): string | null {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  return match === null ? null : match[0];
}

/** The query ids an expression refers to, in order of first use (function names and keywords excluded). */
export function referencedIds(expression: string): string[] {
  const ids: string[] = [];
  for (const token of tokenizeMetricMath(expression)) {
    if (isQueryIdToken(token) && !ids.includes(token.text)) ids.push(token.text);
  }
  return ids;
}

/** Replaces every query id in `expression` (tokenised, so `m1` inside `m10` or `FILL` is never touched). */
export function rewriteIds(expression: string, replace: (id: string) => string): string {
  let rewritten = '';
  let copiedUpTo = 0;
  for (const token of tokenizeMetricMath(expression)) {
    if (!isQueryIdToken(token)) continue;
    rewritten += expression.slice(copiedUpTo, token.start) + replace(token.text);
    copiedUpTo = token.start + token.text.length;
  }
  return rewritten + expression.slice(copiedUpTo);
}

function isQueryIdToken(token: MathToken): boolean {
  return token.kind === 'identifier' && !token.isCall && !MATH_KEYWORDS.has(token.text);
}

// ---------------------------------------------------------------------------------------------------------
// Query plan
// ---------------------------------------------------------------------------------------------------------

/** A CloudWatch dimension (Name/Value, the SDK's casing). */
export interface QueryDimension {
  readonly Name: string;
  readonly Value: string;
}

/**
 * Structurally the SDK's `MetricDataQuery` for a MetricStat; arrays are mutable so it passes to the SDK as-is.
 * A ratio SLI's metrics feed expressions (ReturnData false); a threshold SLI's statistic is returned itself.
 */
export interface MetricStatQuery {
  readonly Id: string;
  readonly MetricStat: {
    readonly Metric: { readonly Namespace: string; readonly MetricName: string; readonly Dimensions: QueryDimension[] };
    readonly Period: number;
    readonly Stat: string;
  };
  readonly ReturnData: boolean;
}

/** Structurally the SDK's `MetricDataQuery` for a metric-math expression. */
export interface ExpressionQuery {
  readonly Id: string;
  readonly Expression: string;
  readonly Label: string;
  readonly Period: number;
  readonly ReturnData: true;
}

export type PlannedQuery = MetricStatQuery | ExpressionQuery;

/** `bad` and `total` of a ratio SLI, or the `value` (statistic) of a threshold SLI. */
export type SeriesSide = 'bad' | 'total' | 'value';

/** Which tenant, and which side of the ratio (or the threshold SLI's statistic), a returned query id carries. */
export interface ReturnedSeries {
  readonly tenant: string;
  readonly side: SeriesSide;
}

/** One GetMetricData call's worth of queries. */
export interface QueryBatch {
  readonly queries: PlannedQuery[];
  readonly tenants: readonly string[];
  /** Every returned query id (`b<i>`, `t<i>`, or `v<i>` for a threshold SLI) back to its tenant and side. */
  readonly returned: ReadonlyMap<string, ReturnedSeries>;
  /** MetricStat queries in the call: the unit CloudWatch bills for GetMetricData. */
  readonly metricsRequested: number;
  /** Upper bound of the datapoints the call returns: returned series per tenant (2, or 1) x points per series. */
  readonly maxDatapoints: number;
}

export interface QueryPlan {
  readonly batches: readonly QueryBatch[];
  readonly pointsPerSeries: number;
  readonly tenantsPerBatch: number;
  /** MetricStat queries over all batches. */
  readonly metricsRequested: number;
}

export interface QueryRange {
  /** Inclusive start, epoch ms. */
  readonly from: number;
  /** Exclusive end, epoch ms. */
  readonly to: number;
  readonly periodSeconds: number;
}

/** The SLI, resolved once per plan: which metrics the expressions use and the expressions to rewrite. */
interface ResolvedSli {
  readonly context: RatioSli;
  readonly metrics: readonly MetricDefinition[];
  readonly bad: { readonly field: string; readonly expression: string };
  readonly total: string;
}

/**
 * Builds the GetMetricData batches that read bad and total counts for `tenants` over [from, to).
 *
 * Per tenant i: one MetricStat query `q<i>_<metricId>` per metric the expressions use (ReturnData false),
 * and the returned expressions `b<i>` (bad) and `t<i>` (total). Each metric id in the SLI's expressions
 * becomes `FILL(q<i>_<metricId>, 0)`, so a metric absent in a minute counts 0 while the others have data.
 * With only `good` given, bad is `(total) - (good)`.
 */
export function planCountQueries(slo: SloDefinition, tenants: readonly string[], range: QueryRange): QueryPlan {
  const pointsPerSeries = requireRange(range);
  requireSlicePeriod(slo, range.periodSeconds);
  if (slo.sli.kind === 'threshold') return planThresholdQueries(slo.sli, tenants, range, pointsPerSeries);
  const sli = resolveSli(slo, slo.sli);
  const queriesPerTenant = sli.metrics.length + 2;
  const datapointsPerTenant = 2 * pointsPerSeries;
  if (queriesPerTenant > MAX_QUERIES_PER_CALL) {
    throw new QueryPlanError(
      `slo ${JSON.stringify(slo.name)} sli.metrics used by the expressions`,
      `at most ${MAX_QUERIES_PER_CALL - 2} so one tenant fits into ${MAX_QUERIES_PER_CALL} queries`,
      sli.metrics.length,
    );
  }
  if (datapointsPerTenant > MAX_DATAPOINTS_PER_CALL) {
    throw new QueryPlanError(
      'to - from',
      `at most ${MAX_DATAPOINTS_PER_CALL / 2} periods of ${range.periodSeconds} s so one tenant's 2 series fit into ${MAX_DATAPOINTS_PER_CALL} datapoints`,
      `${pointsPerSeries} periods`,
    );
  }
  const tenantsPerBatch = Math.min(
    Math.floor(MAX_QUERIES_PER_CALL / queriesPerTenant),
    Math.floor(MAX_DATAPOINTS_PER_CALL / datapointsPerTenant),
  );

  const unique = requireTenants(tenants);
  const batches: QueryBatch[] = [];
  for (let first = 0; first < unique.length; first += tenantsPerBatch) {
    const batchTenants = unique.slice(first, first + tenantsPerBatch);
    const queries: PlannedQuery[] = [];
    const returned = new Map<string, ReturnedSeries>();
    batchTenants.forEach((tenant, offset) => {
      const index = first + offset;
      queries.push(...tenantQueries(slo, sli, tenant, index, range.periodSeconds));
      returned.set(`b${index}`, { tenant, side: 'bad' });
      returned.set(`t${index}`, { tenant, side: 'total' });
    });
    batches.push({
      queries,
      tenants: batchTenants,
      returned,
      metricsRequested: batchTenants.length * sli.metrics.length,
      maxDatapoints: batchTenants.length * datapointsPerTenant,
    });
  }
  return {
    batches,
    pointsPerSeries,
    tenantsPerBatch,
    metricsRequested: unique.length * sli.metrics.length,
  };
}

/**
 * A threshold SLI: per tenant i one MetricStat `v<i>` returning the statistic itself (e.g. p99) per period, so
 * each datapoint is one slice. No FILL: a slice without data counts neither good nor bad.
 */
function planThresholdQueries(
  sli: ThresholdSli,
  tenants: readonly string[],
  range: QueryRange,
  pointsPerSeries: number,
): QueryPlan {
  if (pointsPerSeries > MAX_DATAPOINTS_PER_CALL) {
    throw new QueryPlanError(
      'to - from',
      `at most ${MAX_DATAPOINTS_PER_CALL} periods of ${range.periodSeconds} s so one tenant's series fits into ${MAX_DATAPOINTS_PER_CALL} datapoints`,
      `${pointsPerSeries} periods`,
    );
  }
  const tenantsPerBatch = Math.min(MAX_QUERIES_PER_CALL, Math.floor(MAX_DATAPOINTS_PER_CALL / pointsPerSeries));
  const unique = requireTenants(tenants);
  const batches: QueryBatch[] = [];
  for (let first = 0; first < unique.length; first += tenantsPerBatch) {
    const batchTenants = unique.slice(first, first + tenantsPerBatch);
    const returned = new Map<string, ReturnedSeries>();
    const queries: PlannedQuery[] = batchTenants.map((tenant, offset) => {
      const id = `v${first + offset}`;
      returned.set(id, { tenant, side: 'value' });
      return metricStatQuery(sli, sli.metric, id, tenant, range.periodSeconds, true);
    });
    batches.push({
      queries,
      tenants: batchTenants,
      returned,
      metricsRequested: batchTenants.length,
      maxDatapoints: batchTenants.length * pointsPerSeries,
    });
  }
  return { batches, pointsPerSeries, tenantsPerBatch, metricsRequested: unique.length };
}

function metricStatQuery(
  sli: SliMetricContext,
  metric: MetricDefinition,
  id: string,
  tenant: string,
  period: number,
  returnData: boolean,
): MetricStatQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: metric.namespace ?? sli.namespace,
        MetricName: metric.metricName,
        Dimensions: toDimensions({ ...sli.dimensions, ...metric.dimensions, [sli.tenantDimension]: tenant }),
      },
      Period: period,
      Stat: metric.stat,
    },
    ReturnData: returnData,
  };
}

/** What every SLI kind shares for addressing its metrics. */
type SliMetricContext = Pick<RatioSli | ThresholdSli, 'namespace' | 'dimensions' | 'tenantDimension'>;

/**
 * A time-slice SLO's series must be read in whole slices: a period shorter than the slice would judge parts of
 * it (a 1-minute p99 is not a 5-minute slice's p99), and a longer period must hold whole slices.
 */
function requireSlicePeriod(slo: SloDefinition, periodSeconds: number): void {
  if (slo.timeSlices === undefined) return;
  const sliceSeconds = slo.timeSlices.sliceMinutes * 60;
  if (periodSeconds % sliceSeconds !== 0) {
    throw new QueryPlanError(
      'periodSeconds',
      `a multiple of the slice length (${sliceSeconds} s, timeSlices.sliceMinutes ${slo.timeSlices.sliceMinutes}) for the time-slice SLO ${JSON.stringify(slo.name)}`,
      periodSeconds,
    );
  }
}

function tenantQueries(slo: SloDefinition, sli: ResolvedSli, tenant: string, index: number, period: number): PlannedQuery[] {
  const metricQueryId = (metricId: string): string => `q${index}_${metricId}`;
  const queries: PlannedQuery[] = sli.metrics.map((metric) =>
    metricStatQuery(
      sli.context,
      metric,
      requireQueryId(slo.name, `sli.metrics id ${JSON.stringify(metric.id)}`, metricQueryId(metric.id)),
      tenant,
      period,
      false,
    ),
  );
  // resolveSli checked every id, so each one names a queried metric.
  const filled = (id: string): string => `FILL(${metricQueryId(id)}, 0)`;
  const expression = (field: string, source: string, id: string, label: string): ExpressionQuery => {
    const rewritten = rewriteIds(source, filled);
    if (rewritten.length > MAX_EXPRESSION_LENGTH) {
      throw new SliExpressionError(
        slo.name,
        field,
        `the rewritten expression must be at most ${MAX_EXPRESSION_LENGTH} characters; got ${rewritten.length}`,
      );
    }
    return { Id: id, Expression: rewritten, Label: label, Period: period, ReturnData: true };
  };
  queries.push(
    expression(sli.bad.field, sli.bad.expression, `b${index}`, `${tenant} bad`),
    expression('sli.total', sli.total, `t${index}`, `${tenant} total`),
  );
  return queries;
}

function resolveSli(slo: SloDefinition, sli: RatioSli): ResolvedSli {
  const seen = new Set<string>();
  for (const metric of sli.metrics) {
    requireQueryId(slo.name, 'sli.metrics id', metric.id);
    if (seen.has(metric.id)) throw new SliExpressionError(slo.name, 'sli.metrics', `duplicate metric id ${JSON.stringify(metric.id)}`);
    seen.add(metric.id);
  }
  // Check each expression as written, so an unknown id is reported against the field the user wrote it in.
  const used = new Set<string>();
  const checkIds = (field: string, expression: string): void => {
    for (const id of idsOf(slo.name, field, expression)) {
      if (!seen.has(id)) {
        throw new SliExpressionError(slo.name, field, `unknown metric id ${JSON.stringify(id)} in ${JSON.stringify(expression)}; known ids: ${[...seen].join(', ')}`);
      }
      used.add(id);
    }
  };
  checkIds('sli.total', sli.total);
  let bad: ResolvedSli['bad'];
  if (sli.bad !== undefined) {
    checkIds('sli.bad', sli.bad);
    bad = { field: 'sli.bad', expression: sli.bad };
  } else if (sli.good !== undefined) {
    checkIds('sli.good', sli.good);
    // Derive bad from good: every event not good is bad.
    bad = { field: 'sli.good', expression: `(${sli.total}) - (${sli.good})` };
  } else {
    throw new SliExpressionError(slo.name, 'sli.bad', 'one of sli.bad or sli.good is required; neither was given');
  }
  // Only metrics an expression uses are queried: every MetricStat query is billed.
  return { context: sli, metrics: sli.metrics.filter((metric) => used.has(metric.id)), bad, total: sli.total };
}

function idsOf(slo: string, field: string, expression: string): string[] {
  try {
    return referencedIds(expression);
  } catch (error) {
    if (error instanceof MetricMathSyntaxError) throw new SliExpressionError(slo, field, error.message);
    throw error;
  }
}

function requireQueryId(slo: string, field: string, id: string): string {
  if (!QUERY_ID_PATTERN.test(id) || id.length > MAX_QUERY_ID_LENGTH) {
    throw new SliExpressionError(
      slo,
      field,
      `query ids must start with a lowercase letter, then letters, digits or underscores, at most ${MAX_QUERY_ID_LENGTH} characters; got ${JSON.stringify(id)}`,
    );
  }
  return id;
}

function requireRange(range: QueryRange): number {
  const { from, to, periodSeconds } = range;
  if (!isValidPeriod(periodSeconds)) {
    throw new QueryPlanError('periodSeconds', '1, 5, 10, 30 or a positive multiple of 60', periodSeconds);
  }
  if (!Number.isFinite(from)) throw new QueryPlanError('from', 'a finite epoch-ms timestamp', from);
  if (!(Number.isFinite(to) && to > from)) throw new QueryPlanError('to', `a finite epoch-ms timestamp after from (${from})`, to);
  return Math.ceil((to - from) / (periodSeconds * 1000));
}

/** CloudWatch periods: high resolution 1/5/10/30 s, otherwise whole minutes. */
export function isValidPeriod(periodSeconds: number): boolean {
  return [1, 5, 10, 30].includes(periodSeconds) || (Number.isInteger(periodSeconds) && periodSeconds > 0 && periodSeconds % 60 === 0);
}

function requireTenants(tenants: readonly string[]): string[] {
  tenants.forEach((tenant, index) => {
    if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > 1024) {
      throw new QueryPlanError(`tenants[${index}]`, 'a dimension value of 1 to 1024 characters', tenant);
    }
  });
  // A tenant listed twice would be queried and billed twice for the same series.
  return [...new Set(tenants)];
}

function toDimensions(dimensions: Readonly<Record<string, string>>): QueryDimension[] {
  return Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }));
}

// ---------------------------------------------------------------------------------------------------------
// Tenant discovery
// ---------------------------------------------------------------------------------------------------------

/** The metric ListMetrics searches to discover tenants: the first metric `total` uses, or a threshold SLI's metric. */
export interface DiscoveryMetric {
  readonly namespace: string;
  readonly metricName: string;
  /** Fixed dimensions (SLI + metric) the metric must carry; the tenant dimension is matched by name only. */
  readonly dimensions: readonly QueryDimension[];
  readonly tenantDimension: string;
}

export function discoveryMetric(slo: SloDefinition): DiscoveryMetric {
  const sli = slo.sli;
  const metric = sli.kind === 'threshold' ? sli.metric : firstTotalMetric(slo.name, sli);
  const fixed = { ...sli.dimensions, ...metric.dimensions };
  delete fixed[sli.tenantDimension];
  return {
    namespace: metric.namespace ?? sli.namespace,
    metricName: metric.metricName,
    dimensions: toDimensions(fixed),
    tenantDimension: sli.tenantDimension,
  };
}

function firstTotalMetric(slo: string, sli: RatioSli): MetricDefinition {
  const firstId = idsOf(slo, 'sli.total', sli.total).find((id) => sli.metrics.some((metric) => metric.id === id));
  const metric = sli.metrics.find((candidate) => candidate.id === firstId);
  if (metric === undefined) {
    throw new SliExpressionError(slo, 'sli.total', `uses no metric id of sli.metrics; got ${JSON.stringify(sli.total)}`);
  }
  return metric;
}
