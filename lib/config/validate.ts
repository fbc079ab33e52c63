/**
 * Synth-time validation of `BurnwatchProps`. It takes `unknown` so the same checks cover typed props and a YAML
 * file, collects every problem (never stops at the first) and runs before any resource is created.
 * Values that are unresolved CDK tokens are skipped, except where synth itself computes with them (windows,
 * expressions, budget percentages, the SLO period), which must be literals.
 */
import { Token } from 'aws-cdk-lib';
import { THRESHOLD_OPERATORS } from '../../lambda/domain/model';
import type { BurnRateRule, SliDefinition, TrafficGuard } from '../../lambda/domain/model';
import { DomainInputError } from '../../lambda/domain/burn';
import { DEFAULT_TRAFFIC_GUARD, formatWindow, parseWindow, sreWorkbookPolicy } from '../../lambda/domain/policy';
import { EVALUATOR_DEFAULTS, SLO_DEFAULTS, TIME_SLICE_TRAFFIC_GUARD, defaultTimeoutSeconds } from './defaults';
import { BurnwatchConfigError, formatGiven } from './errors';
import type { ConfigPath, ConfigProblem } from './errors';
import type { BudgetingMethod, BurnwatchProps, BurnRateRuleProps, EvaluatorProps } from './props';
import { resolveBurnRateRule } from './rules';
import { checkWorkflow } from './workflow';
import { checkAlerts } from './alerts';
import { checkReports } from './reports';

export const SLO_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const METRIC_ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;
/** CloudWatch allows dimension values of up to 1024 characters; tenant ids are dimension values. */
const MAX_TENANT_ID_LENGTH = 1024;
const MAX_NAME_LENGTH = 255;
const MINUTES_PER_DAY = 24 * 60;

/**
 * Metric-math functions and keywords that may appear in SLI expressions. Functions over several series
 * (METRICS, SEARCH, INSIGHT_RULE_METRIC ...) are left out: each expression is evaluated per tenant.
 */
export const METRIC_MATH_FUNCTIONS: ReadonlySet<string> = new Set([
  'ABS', 'AND', 'AVG', 'CEIL', 'DATAPOINT_COUNT', 'DATE', 'DAY', 'DIFF', 'DIFF_TIME', 'EPOCH', 'FILL', 'FIRST',
  'FLOOR', 'HOUR', 'IF', 'LAST', 'LINEAR', 'LOG', 'LOG10', 'MAX', 'MIN', 'MINUTE', 'MONTH', 'NOT', 'OR', 'PERIOD',
  'RATE', 'REMOVE_EMPTY', 'REPEAT', 'RUNNING_SUM', 'STDDEV', 'SUM', 'TIME_SERIES', 'YEAR',
]);

/** The allowed range of a number; bounds are inclusive unless marked exclusive. */
export interface NumberRule {
  readonly integer?: boolean;
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  /** Synth computes with the value (e.g. burn-rate factors), so a deploy-time token cannot stand in for it. */
  readonly literal?: boolean;
}

const OBJECTIVE: NumberRule = { min: 0, minExclusive: true, max: 100, maxExclusive: true };
const PERIOD_DAYS: NumberRule = { integer: true, min: 1, max: 90, literal: true };
const BUDGET_PERCENT: NumberRule = { min: 0, minExclusive: true, max: 100, literal: true };
const BURN_RATE: NumberRule = { min: 0, minExclusive: true, literal: true };
const EVENT_COUNT: NumberRule = { min: 0 };
const RESOLVE_AFTER_MINUTES: NumberRule = { integer: true, min: 0, max: 1440 };
const HYSTERESIS_RATIO: NumberRule = { min: 0, minExclusive: true, max: 1 };
const REFRESH_MINUTES: NumberRule = { integer: true, min: 1, max: 1440 };

export const EVALUATOR_RULES: Readonly<Record<keyof EvaluatorProps, NumberRule>> = {
  scheduleMinutes: { integer: true, min: 1, max: 60 },
  dataDelayMinutes: { integer: true, min: 0, max: 60 },
  slowRefreshMinutes: { integer: true, min: 1, max: 1440 },
  maxConcurrentRequests: { integer: true, min: 1, max: 50 },
  heartbeatMinutes: { integer: true, min: 1, max: 1440 },
  historyTtlDays: { integer: true, min: 1, max: 3650 },
  groupingIntervalMinutes: { integer: true, min: 0, max: 1440 },
  groupingTenantShare: { min: 0, minExclusive: true, max: 1 },
  timeoutSeconds: { integer: true, min: 1, max: 900 },
  reservedConcurrency: { integer: true, min: 1, max: 1000 },
  memorySize: { integer: true, min: 128, max: 10240 },
  shards: { integer: true, min: 1, max: 1000 },
  // An inline Map runs at most 40 iterations at once; a higher MaxConcurrency would not be honoured.
  maxConcurrentShards: { integer: true, min: 1, max: 40 },
  // A sharded tick of one minute must still hold the discovery and at least one wave of shards.
  // The roster check and a listing before the shards share it: at least a second each.
  discoveryTimeoutSeconds: { integer: true, min: 2, max: 60 },
  // At least 10,000 also gives each of at most 1,000 shards a positive share (floor(value / shards) >= 10); the
  // evaluator warms one tenant per tick even when its share is smaller than one tenant's history.
  warmupDatapointsPerTick: { integer: true, min: 10_000, max: 1_000_000_000 },
  getMetricDataQuotaShare: { min: 0, minExclusive: true, max: 1 },
  getMetricDataTps: { integer: true, min: 1, max: 10_000 },
};

/** An Express execution runs at most 5 minutes: every shard of a tick must finish within it. */
export const EXPRESS_MAX_DURATION_SECONDS = 300;

/** How long one sharded tick may run: until the next tick, and never beyond an Express execution's limit. */
export function shardedTickSeconds(scheduleMinutes: number): number {
  return Math.min(scheduleMinutes * 60, EXPRESS_MAX_DURATION_SECONDS);
}

const SLO_FIELDS = [
  'name', 'description', 'objective', 'periodDays', 'calendar', 'budgeting', 'timeSliceMinutes', 'timeSliceTarget',
  'sli', 'alerting', 'tenants', 'overrides',
] as const;
const RATIO_ONLY_FIELDS = ['metrics', 'bad', 'good', 'total'] as const;
const SLI_FIELDS = ['namespace', 'tenantDimension', 'dimensions', ...RATIO_ONLY_FIELDS, 'threshold'] as const;
const THRESHOLD_FIELDS = ['metric', 'op', 'value'] as const;
const CALENDAR_FIELDS = ['unit', 'timeZone'] as const;
const METRIC_FIELDS = ['metricName', 'stat', 'namespace', 'dimensions'] as const;
const ALERTING_FIELDS = ['rules', 'trafficGuard', 'resolveAfterMinutes', 'hysteresisRatio'] as const;
const RULE_FIELDS = ['severity', 'longWindow', 'shortWindow', 'budgetPercent', 'burnRate'] as const;
const TRAFFIC_GUARD_FIELDS = ['minEventsInLongWindow', 'minBadEventsInShortWindow'] as const;
const TENANTS_FIELDS = ['discover', 'list'] as const;
const DISCOVER_FIELDS = ['refreshMinutes', 'exclude'] as const;
const OVERRIDE_FIELDS = ['objective', 'muted'] as const;

export function describeNumberRule(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  const { min, max } = rule;
  if (rule.integer && min !== undefined && max !== undefined && !rule.minExclusive && !rule.maxExclusive) {
    return `must be ${kind} from ${min} to ${max}`;
  }
  const bounds: string[] = [];
  if (min !== undefined) bounds.push(`${rule.minExclusive ? '>' : '>='} ${min}`);
  if (max !== undefined) bounds.push(`${rule.maxExclusive ? '<' : '<='} ${max}`);
  return bounds.length === 0 ? `must be ${kind}` : `must be ${kind} ${bounds.join(' and ')}`;
}

function isWithin(value: number, rule: NumberRule): boolean {
  if (!Number.isFinite(value)) return false;
  if (rule.integer && !Number.isInteger(value)) return false;
  if (rule.min !== undefined && (rule.minExclusive ? value <= rule.min : value < rule.min)) return false;
  if (rule.max !== undefined && (rule.maxExclusive ? value >= rule.max : value > rule.max)) return false;
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Round for messages without printing float noise (14.399999999 -> 14.4). */
function round(value: number, digits = 4): number {
  return Number(value.toFixed(digits));
}

const DEPLOY_TIME_TOKEN = 'a deploy-time token';

/** Collects problems; each check returns the value when it is usable, `undefined` when absent, invalid or a token. */
export class ConfigChecker {
  readonly problems: ConfigProblem[] = [];

  fail(path: ConfigPath, allowed: string, given: unknown): void {
    this.problems.push({ path, allowed, given: formatGiven(given) });
  }

  /** For a `given` that is a description (`both`, `neither`) rather than a value. */
  failDescribed(path: ConfigPath, allowed: string, givenText: string): void {
    this.problems.push({ path, allowed, given: givenText });
  }

  /** An object with known fields; each unknown field is a problem (typos must not silently fall back to defaults). */
  object(path: ConfigPath, value: unknown, fields: readonly string[], what: string, required: boolean): Record<string, unknown> | undefined {
    if (value === undefined) {
      if (required) this.fail(path, `must be ${what}`, value);
      return undefined;
    }
    if (!isPlainObject(value)) {
      this.fail(path, `must be ${what}`, value);
      return undefined;
    }
    for (const [key, field] of Object.entries(value)) {
      if (!fields.includes(key)) this.fail([...path, key], `unknown field (allowed: ${fields.join(', ')})`, field);
    }
    return value;
  }

  /** An object with free keys (dimensions, metrics, overrides). */
  map(path: ConfigPath, value: unknown, what: string, required: boolean): Record<string, unknown> | undefined {
    if (value === undefined && !required) return undefined;
    if (!isPlainObject(value)) {
      this.fail(path, `must be ${what}`, value);
      return undefined;
    }
    return value;
  }

  list(path: ConfigPath, value: unknown, what: string, required: boolean, allowEmpty = false): readonly unknown[] | undefined {
    if (value === undefined && !required) return undefined;
    if (Token.isUnresolved(value)) return undefined;
    if (!Array.isArray(value) || (value.length === 0 && !allowEmpty)) {
      this.fail(path, `must be ${what}`, value);
      return undefined;
    }
    return value;
  }

  number(path: ConfigPath, value: unknown, rule: NumberRule, required = false): number | undefined {
    if (value === undefined) {
      if (required) this.fail(path, describeNumberRule(rule), value);
      return undefined;
    }
    if (typeof value === 'number' && Token.isUnresolved(value)) {
      if (rule.literal) this.failDescribed(path, `${describeNumberRule(rule)} known at synth time`, DEPLOY_TIME_TOKEN);
      return undefined;
    }
    if (typeof value !== 'number' || !isWithin(value, rule)) {
      this.fail(path, describeNumberRule(rule), value);
      return undefined;
    }
    return value;
  }

  /** The value, its default when absent, or `undefined` when invalid or a token. */
  numberOr(path: ConfigPath, value: unknown, rule: NumberRule, fallback: number): number | undefined {
    return value === undefined ? fallback : this.number(path, value, rule);
  }

  string(
    path: ConfigPath,
    value: unknown,
    options: { readonly required?: boolean; readonly pattern?: RegExp; readonly allowed?: string; readonly literal?: boolean; readonly maxLength?: number } = {},
  ): string | undefined {
    const maxLength = options.maxLength ?? MAX_NAME_LENGTH;
    const allowed = options.allowed ?? `must be a non-empty string of at most ${maxLength} characters`;
    if (value === undefined) {
      if (options.required) this.fail(path, allowed, value);
      return undefined;
    }
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      if (options.literal) this.failDescribed(path, `${allowed}, known at synth time`, DEPLOY_TIME_TOKEN);
      return undefined;
    }
    const valid =
      typeof value === 'string' &&
      value.trim() !== '' &&
      value.length <= maxLength &&
      (options.pattern === undefined || options.pattern.test(value));
    if (!valid) {
      this.fail(path, allowed, value);
      return undefined;
    }
    return value;
  }

  /** One of a fixed set of values (compared exactly, as YAML gives them). */
  choice<T extends string | number>(
    path: ConfigPath,
    value: unknown,
    options: readonly T[],
    allowed: string,
    flags: { readonly required?: boolean; readonly literal?: boolean } = {},
  ): T | undefined {
    if (value === undefined) {
      if (flags.required) this.fail(path, allowed, value);
      return undefined;
    }
    if (Token.isUnresolved(value)) {
      if (flags.literal) this.failDescribed(path, `${allowed}, known at synth time`, DEPLOY_TIME_TOKEN);
      return undefined;
    }
    const match = options.find((option) => option === value);
    if (match === undefined) this.fail(path, allowed, value);
    return match;
  }

  boolean(path: ConfigPath, value: unknown): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') {
      this.fail(path, 'must be true or false', value);
      return undefined;
    }
    return value;
  }

  /** A window like `5m`, `1h`, `3d`, in minutes. */
  window(path: ConfigPath, value: unknown, required: boolean): number | undefined {
    const allowed = 'must be a whole number of minutes, hours or days greater than 0, like "5m", "1h" or "3d"';
    const text = this.string(path, value, { required, allowed, literal: true });
    if (text === undefined) return undefined;
    try {
      return parseWindow(text);
    } catch (error) {
      if (!(error instanceof DomainInputError)) throw error;
      this.fail(path, allowed, value);
      return undefined;
    }
  }

  /** A list of distinct non-empty strings (tenant ids). */
  stringList(path: ConfigPath, value: unknown, what: string, required: boolean, allowEmpty = false): readonly string[] | undefined {
    const items = this.list(path, value, what, required, allowEmpty);
    if (items === undefined) return undefined;
    const seen = new Map<string, number>();
    const valid: string[] = [];
    items.forEach((item, index) => {
      const text = this.string([...path, index], item, { maxLength: MAX_TENANT_ID_LENGTH });
      if (text === undefined) return;
      const first = seen.get(text);
      if (first !== undefined) {
        this.fail([...path, index], `must not repeat an entry (already at index ${first})`, text);
        return;
      }
      seen.set(text, index);
      valid.push(text);
    });
    return valid;
  }
}

// ---------------------------------------------------------------------------------------------------------
// SLI
// ---------------------------------------------------------------------------------------------------------

const EXPRESSION_TOKEN = /\s+|([A-Za-z_][A-Za-z0-9_]*)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(&&|\|\||==|!=|<=|>=|[-+*/^(),<>!])/y;

interface ScannedExpression {
  readonly identifiers: readonly string[];
  readonly error?: string;
}

/** Tokenises a metric-math expression enough to find the identifiers it uses and obvious syntax slips. */
export function scanExpression(text: string): ScannedExpression {
  const identifiers: string[] = [];
  let depth = 0;
  let position = 0;
  while (position < text.length) {
    EXPRESSION_TOKEN.lastIndex = position;
    const match = EXPRESSION_TOKEN.exec(text);
    if (!match) return { identifiers, error: `unexpected ${JSON.stringify(text[position])} at position ${position + 1}` };
    if (match[1] !== undefined) identifiers.push(match[1]);
    if (match[3] === '(') depth += 1;
    if (match[3] === ')') {
      depth -= 1;
      if (depth < 0) return { identifiers, error: `unmatched ")" at position ${position + 1}` };
    }
    position = EXPRESSION_TOKEN.lastIndex;
  }
  return depth > 0 ? { identifiers, error: 'unclosed "("' } : { identifiers };
}

function checkExpression(c: ConfigChecker, path: ConfigPath, value: unknown, metricIds: ReadonlySet<string>, example: string): void {
  const text = c.string(path, value, {
    required: true,
    literal: true,
    maxLength: 1024,
    allowed: `must be a metric-math expression over the metric ids, e.g. ${JSON.stringify(example)}`,
  });
  if (text === undefined) return;
  const scanned = scanExpression(text);
  if (scanned.error !== undefined) {
    c.fail(path, `must be a metric-math expression of metric ids, numbers, operators and functions (${scanned.error})`, text);
    return;
  }
  const unknown = [...new Set(scanned.identifiers.filter((id) => !METRIC_MATH_FUNCTIONS.has(id) && !metricIds.has(id)))];
  if (unknown.length > 0) {
    const known = metricIds.size > 0 ? [...metricIds].join(', ') : '(none defined)';
    c.fail(path, `may use only the metric ids ${known} and metric-math functions (unknown: ${unknown.join(', ')})`, text);
    return;
  }
  if (!scanned.identifiers.some((id) => metricIds.has(id))) {
    c.fail(path, 'must reference at least one metric id', text);
  }
}

function checkDimensions(c: ConfigChecker, path: ConfigPath, value: unknown, tenantDimension: string | undefined): void {
  const dimensions = c.map(path, value, 'a map of dimension name to value', false);
  if (!dimensions) return;
  for (const [name, dimensionValue] of Object.entries(dimensions)) {
    if (name === tenantDimension) {
      c.fail([...path, name], `must not set the tenant dimension ${tenantDimension} (Burnwatch sets it for each tenant)`, dimensionValue);
      continue;
    }
    c.string([...path, name], dimensionValue, { required: true, maxLength: MAX_TENANT_ID_LENGTH });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Statistics: CloudWatch's syntax, and which statistics a ratio SLI can count events with
// ---------------------------------------------------------------------------------------------------------

export const STATISTIC_ALLOWED =
  'a CloudWatch statistic: Sum, SampleCount, Average, Minimum, Maximum, IQM, pNN or pNN.N, tmNN, tcNN, tsNN, wmNN, ' +
  'or TM(a:b), TC(a:b), TS(a:b), WM(a:b), PR(a:b) with at least one bound (values, or percentages like 10%:90%; PR values only)';

/** Statistics whose value is a number of events (the ratio SLI's unit). */
export const COUNT_STATISTICS_ALLOWED =
  'Sum, SampleCount or TC with a value bound, e.g. "TC(:250)" (requests at or under 250 ms)';

/** What a statistic is, as far as the SLI cares: a count of events, or a value of one (latency, percentage). */
export interface ParsedStatistic {
  readonly text: string;
  /** True for Sum, SampleCount and TC(...) with value bounds: the numbers a good/bad/total ratio can be built from. */
  readonly countsEvents: boolean;
  /** Why it is not a count, for the message; empty when it is one. */
  readonly notCountBecause: string;
}

const SIMPLE_STATISTICS: Readonly<Record<string, string>> = {
  Sum: '',
  SampleCount: '',
  Average: 'an average of sample values',
  Minimum: 'a sample value',
  Maximum: 'a sample value',
  IQM: 'a mean of sample values',
};
const SHORTHAND_STATISTIC = /^(p|tm|tc|ts|wm)(\d+(?:\.\d+)?)$/;
const BOUNDED_STATISTIC = /^(TM|TC|TS|WM|PR)\(([^:()]*):([^:()]*)\)$/;
const BOUND = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(%?)$/;
/** What each family measures, for "not a count" messages. */
const FAMILY_MEANING: Readonly<Record<string, string>> = {
  p: 'a percentile of sample values',
  tm: 'a trimmed mean of sample values',
  ts: 'a trimmed sum of sample values',
  wm: 'a winsorized mean of sample values',
  tc: 'a count of a fixed share of the samples, whatever their values (use TC with a value bound)',
  pr: 'a percentage of samples, not a count (use TC with the same bound for the good events)',
};

/** Thrown by `parseStatistic` for text that is not a CloudWatch statistic; `detail` says what is wrong. */
export class StatisticSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly detail: string,
  ) {
    super(`${JSON.stringify(text)}: ${detail}`);
    this.name = 'StatisticSyntaxError';
  }
}

function percentInRange(value: number): boolean {
  return value >= 0 && value <= 100;
}

/** Parses a CloudWatch statistic (case-sensitive, as CloudWatch is). Throws `StatisticSyntaxError`. */
export function parseStatistic(text: string): ParsedStatistic {
  const simple = SIMPLE_STATISTICS[text];
  if (simple !== undefined && Object.hasOwn(SIMPLE_STATISTICS, text)) return { text, countsEvents: simple === '', notCountBecause: simple };
  const shorthand = SHORTHAND_STATISTIC.exec(text);
  if (shorthand) {
    const family = shorthand[1] as string;
    if (!percentInRange(Number(shorthand[2]))) throw new StatisticSyntaxError(text, `the percentage after ${family} must be from 0 to 100`);
    return { text, countsEvents: false, notCountBecause: FAMILY_MEANING[family] as string };
  }
  const bounded = BOUNDED_STATISTIC.exec(text);
  if (!bounded) throw new StatisticSyntaxError(text, 'not a statistic CloudWatch knows');
  const family = bounded[1] as string;
  const bounds = [bounded[2] as string, bounded[3] as string].map((bound) => bound.trim());
  // `TC(:)` bounds nothing: CloudWatch refuses it, and as an SLI it would count every request as good.
  if (bounds.every((bound) => bound === '')) throw new StatisticSyntaxError(text, `${family}(a:b) needs at least one bound, e.g. ${family}(:250)`);
  const parsed = bounds.filter((bound) => bound !== '').map((bound) => {
    const match = BOUND.exec(bound);
    if (!match) throw new StatisticSyntaxError(text, `bound ${JSON.stringify(bound)} must be a number or a percentage like 90%`);
    return { value: Number(match[1]), percent: match[2] === '%' };
  });
  const percent = parsed.some((bound) => bound.percent);
  if (percent && parsed.some((bound) => !bound.percent)) throw new StatisticSyntaxError(text, 'bounds must both be percentages or both be values');
  if (percent && family === 'PR') throw new StatisticSyntaxError(text, 'PR bounds must be values, not percentages');
  if (percent && !parsed.every((bound) => percentInRange(bound.value))) throw new StatisticSyntaxError(text, 'percentage bounds must be from 0% to 100%');
  const [lower, upper] = bounds[0] === '' || bounds[1] === '' ? [undefined, undefined] : [parsed[0]?.value, parsed[1]?.value];
  if (lower !== undefined && upper !== undefined && lower > upper) throw new StatisticSyntaxError(text, 'the lower bound must not be above the upper bound');
  if (family === 'TC' && !percent) return { text, countsEvents: true, notCountBecause: '' };
  return { text, countsEvents: false, notCountBecause: FAMILY_MEANING[family.toLowerCase()] as string };
}

/** One SLI metric; returns its parsed statistic when it has a valid one. */
function checkMetric(c: ConfigChecker, path: ConfigPath, value: unknown, tenantDimension: string | undefined, statRequired: boolean): ParsedStatistic | undefined {
  const metric = c.object(path, value, METRIC_FIELDS, `an object with metricName${statRequired ? ', stat' : ''} and optional ${statRequired ? '' : 'stat, '}namespace, dimensions`, true);
  if (!metric) return undefined;
  c.string([...path, 'metricName'], metric.metricName, { required: true });
  const stat = c.string([...path, 'stat'], metric.stat, { required: statRequired, allowed: `must be ${STATISTIC_ALLOWED}`, maxLength: 64 });
  c.string([...path, 'namespace'], metric.namespace);
  checkDimensions(c, [...path, 'dimensions'], metric.dimensions, tenantDimension);
  if (stat === undefined) return undefined;
  try {
    return parseStatistic(stat);
  } catch (error) {
    if (!(error instanceof StatisticSyntaxError)) throw error;
    c.fail([...path, 'stat'], `must be ${STATISTIC_ALLOWED} (${error.detail})`, stat);
    return undefined;
  }
}

/**
 * A ratio SLI divides event counts, so each metric its good/bad/total expressions use must be counted with a
 * count statistic: a p99 or an Average in `good` would be compared with a request count and mean nothing.
 */
function checkStatisticsCount(c: ConfigChecker, path: ConfigPath, sli: Record<string, unknown>, stats: ReadonlyMap<string, ParsedStatistic>): void {
  const usedIn = new Map<string, string[]>();
  for (const field of ['good', 'bad', 'total'] as const) {
    const expression = sli[field];
    if (typeof expression !== 'string') continue;
    for (const id of new Set(scanExpression(expression).identifiers)) usedIn.set(id, [...(usedIn.get(id) ?? []), `sli.${field}`]);
  }
  for (const [id, stat] of stats) {
    const fields = usedIn.get(id);
    if (fields === undefined || stat.countsEvents) continue;
    c.fail(
      [...path, 'metrics', id, 'stat'],
      `must be a count statistic for a ratio SLI (${COUNT_STATISTICS_ALLOWED}); it is used in ${fields.join(', ')} and ${stat.text} is ${stat.notCountBecause}`,
      stat.text,
    );
  }
}

export type SliKind = SliDefinition['kind'];

/** Checks either kind of SLI; returns its kind (a `threshold` field makes it a threshold SLI), undefined when it is not an object. */
function checkSli(c: ConfigChecker, path: ConfigPath, value: unknown): SliKind | undefined {
  const sli = c.object(
    path,
    value,
    SLI_FIELDS,
    'an object with namespace, tenantDimension and either metrics, total and bad or good (a ratio SLI) or threshold (a threshold SLI)',
    true,
  );
  if (!sli) return undefined;
  c.string([...path, 'namespace'], sli.namespace, { required: true });
  const tenantDimension = c.string([...path, 'tenantDimension'], sli.tenantDimension, { required: true });
  checkDimensions(c, [...path, 'dimensions'], sli.dimensions, tenantDimension);
  if (sli.threshold === undefined) {
    checkRatioSli(c, path, sli, tenantDimension);
    return 'ratio';
  }
  checkThresholdSli(c, path, sli, tenantDimension);
  return 'threshold';
}

const THRESHOLD_OP_ALLOWED = `must be ${THRESHOLD_OPERATORS.map((op) => JSON.stringify(op)).join(', ')}: a slice is good when its statistic op value holds`;

function checkThresholdSli(c: ConfigChecker, path: ConfigPath, sli: Record<string, unknown>, tenantDimension: string | undefined): void {
  for (const field of RATIO_ONLY_FIELDS) {
    if (sli[field] !== undefined) {
      c.fail([...path, field], 'must be omitted in a threshold SLI: metrics, bad, good and total make a ratio SLI, threshold judges one statistic per slice', sli[field]);
    }
  }
  const thresholdPath = [...path, 'threshold'];
  const threshold = c.object(thresholdPath, sli.threshold, THRESHOLD_FIELDS, 'an object with metric, op and value', true);
  if (!threshold) return;
  // Any CloudWatch statistic is a value per slice (p99, tm99, Average, Maximum, TC(:300) ...); only its syntax can be wrong.
  checkMetric(c, [...thresholdPath, 'metric'], threshold.metric, tenantDimension, true);
  c.choice([...thresholdPath, 'op'], threshold.op, THRESHOLD_OPERATORS, THRESHOLD_OP_ALLOWED, { required: true });
  c.number([...thresholdPath, 'value'], threshold.value, {}, true);
}

function checkRatioSli(c: ConfigChecker, path: ConfigPath, sli: Record<string, unknown>, tenantDimension: string | undefined): void {
  // Every key counts as defined, so a malformed id is reported once (its syntax), not again in each expression.
  const metricIds = new Set<string>();
  const stats = new Map<string, ParsedStatistic>();
  const metrics = c.map([...path, 'metrics'], sli.metrics, 'a map of metric id to metric, with at least one metric', true);
  if (metrics && Object.keys(metrics).length === 0) c.fail([...path, 'metrics'], 'must define at least one metric', metrics);
  for (const [id, metricValue] of Object.entries(metrics ?? {})) {
    metricIds.add(id);
    const metricPath = [...path, 'metrics', id];
    if (!METRIC_ID_PATTERN.test(id)) {
      c.failDescribed(metricPath, 'must be a metric id: a lowercase letter, then letters, digits or "_"', JSON.stringify(id));
    }
    const stat = checkMetric(c, metricPath, metricValue, tenantDimension, false);
    if (stat !== undefined) stats.set(id, stat);
  }

  const oneOf = 'must give exactly one of bad or good (the other is derived as total minus it)';
  if (sli.bad === undefined && sli.good === undefined) c.failDescribed(path, oneOf, 'neither');
  if (sli.bad !== undefined && sli.good !== undefined) c.failDescribed(path, oneOf, 'both');
  if (sli.bad !== undefined) checkExpression(c, [...path, 'bad'], sli.bad, metricIds, 'errors5xx + timeouts');
  if (sli.good !== undefined) checkExpression(c, [...path, 'good'], sli.good, metricIds, 'requests - errors5xx');
  checkExpression(c, [...path, 'total'], sli.total, metricIds, 'requests');
  checkStatisticsCount(c, path, sli, stats);
}

// ---------------------------------------------------------------------------------------------------------
// Budgeting (events or time slices) and the budget period (rolling or calendar)
// ---------------------------------------------------------------------------------------------------------

/**
 * Slice lengths in minutes. Each divides an hour, and is 1 or whole 5-minute steps: CloudWatch keeps only 5-minute
 * data after 15 days, so the older part of a period is read in 5-minute buckets (or whole slices when longer).
 */
export const TIME_SLICE_MINUTES: readonly number[] = [1, 5, 10, 15, 20, 30, 60];
/** CloudWatch keeps 5-minute data for 63 days; older data only hourly, which a slice under an hour cannot be read from. */
export const FIVE_MINUTE_RETENTION_DAYS = 63;
/** A calendar month's nominal length, from which burn-rate factors are derived. */
export const CALENDAR_PERIOD_DAYS: NumberRule = { integer: true, min: 28, max: 31, literal: true };
const TIME_SLICE_TARGET: NumberRule = { min: 0, minExclusive: true, max: 1 };
const BUDGETING_METHODS: readonly BudgetingMethod[] = ['occurrences', 'timeslices'];

/** What the SLO's budget counts; `sliceMinutes` only with time slices. */
export type CheckedBudgeting = { readonly method: 'occurrences' } | { readonly method: 'timeslices'; readonly sliceMinutes: number };

/** Whether Intl knows the IANA time zone (the runtime computes calendar months with the same Intl). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

function checkBudgeting(c: ConfigChecker, path: ConfigPath, slo: Record<string, unknown>, sliKind: SliKind | undefined): CheckedBudgeting | undefined {
  const budgetingPath = [...path, 'budgeting'];
  const given = c.choice(budgetingPath, slo.budgeting, BUDGETING_METHODS, 'must be "occurrences" or "timeslices"', { literal: true });
  if (sliKind === 'threshold' && given === 'occurrences') {
    c.fail(
      budgetingPath,
      'must be "timeslices" (or omitted) for a threshold SLI: a statistic such as p99 judges a slice, it counts no events; ' +
        'to budget by events write a ratio SLI that counts samples, e.g. good: TC(:300) over total: SampleCount',
      given,
    );
    return undefined;
  }
  if (slo.budgeting !== undefined && given === undefined) return undefined;
  const method = given ?? (sliKind === 'threshold' ? 'timeslices' : sliKind === 'ratio' ? 'occurrences' : undefined);
  if (method !== 'timeslices') {
    for (const field of ['timeSliceMinutes', 'timeSliceTarget'] as const) {
      if (slo[field] !== undefined) c.fail([...path, field], 'may be given only with budgeting: "timeslices"', slo[field]);
    }
    return method === undefined ? undefined : { method };
  }
  const sliceMinutes =
    slo.timeSliceMinutes === undefined
      ? SLO_DEFAULTS.timeSliceMinutes
      : c.choice(
          [...path, 'timeSliceMinutes'],
          slo.timeSliceMinutes,
          TIME_SLICE_MINUTES,
          `must be one of ${TIME_SLICE_MINUTES.join(', ')}: whole minutes that divide an hour and fit CloudWatch's 5-minute resolution for data older than 15 days`,
          { literal: true },
        );
  const targetPath = [...path, 'timeSliceTarget'];
  if (sliKind === 'threshold' && slo.timeSliceTarget !== undefined) {
    c.fail(targetPath, 'must be omitted for a threshold SLI: its slice is good when threshold.op holds (timeSliceTarget is for ratio SLIs)', slo.timeSliceTarget);
  } else if (sliKind === 'ratio' && slo.timeSliceTarget === undefined) {
    c.fail(targetPath, `must be given for a ratio SLI with budgeting: "timeslices": ${describeNumberRule(TIME_SLICE_TARGET).slice('must be '.length)}, the share of good events that makes a slice good`, undefined);
  } else {
    c.number(targetPath, slo.timeSliceTarget, TIME_SLICE_TARGET);
  }
  return sliceMinutes === undefined ? undefined : { method, sliceMinutes };
}

/** True when the SLO has a calendar period (valid or not), so periodDays is read as a month's nominal length. */
function checkCalendar(c: ConfigChecker, path: ConfigPath, value: unknown): boolean {
  const calendar = c.object(path, value, CALENDAR_FIELDS, 'an object with unit: month and timeZone', false);
  if (!calendar) return value !== undefined;
  c.choice([...path, 'unit'], calendar.unit, ['month'], 'must be "month": calendar months are the only calendar period');
  const timeZone = c.string([...path, 'timeZone'], calendar.timeZone, { allowed: 'must be an IANA time zone name such as "UTC" or "Europe/Paris"' });
  if (timeZone !== undefined && !isTimeZone(timeZone)) c.fail([...path, 'timeZone'], 'must be an IANA time zone name such as "UTC" or "Europe/Paris"', timeZone);
  return true;
}

function checkPeriodDays(c: ConfigChecker, path: ConfigPath, value: unknown, calendar: boolean, budgeting: CheckedBudgeting | undefined): number | undefined {
  const periodDays = c.numberOr(path, value, PERIOD_DAYS, SLO_DEFAULTS.periodDays);
  if (periodDays === undefined) return undefined;
  if (calendar && !isWithin(periodDays, CALENDAR_PERIOD_DAYS)) {
    c.fail(path, `${describeNumberRule(CALENDAR_PERIOD_DAYS)} with a calendar period: the nominal length of a month, from which burn-rate factors are derived`, periodDays);
    return undefined;
  }
  if (budgeting?.method === 'timeslices' && budgeting.sliceMinutes < 60 && periodDays > FIVE_MINUTE_RETENTION_DAYS) {
    c.fail(
      path,
      `must be at most ${FIVE_MINUTE_RETENTION_DAYS} with time slices under 60 minutes (timeSliceMinutes ${budgeting.sliceMinutes}): CloudWatch keeps 5-minute data for ${FIVE_MINUTE_RETENTION_DAYS} days, then hourly only`,
      periodDays,
    );
    return undefined;
  }
  return periodDays;
}

// ---------------------------------------------------------------------------------------------------------
// Alerting
// ---------------------------------------------------------------------------------------------------------

interface CheckedRule {
  readonly path: ConfigPath;
  readonly rule: BurnRateRule;
  /** The rule as written (the Workbook policy's rules have none). */
  readonly written?: Record<string, unknown>;
}

function checkRule(c: ConfigChecker, path: ConfigPath, value: unknown, periodDays: number | undefined): CheckedRule | undefined {
  const rule = c.object(path, value, RULE_FIELDS, 'a rule with severity, longWindow and budgetPercent or burnRate', true);
  if (!rule) return undefined;
  const problemsBefore = c.problems.length;
  if (rule.severity !== 'page' && rule.severity !== 'ticket') c.fail([...path, 'severity'], 'must be "page" or "ticket"', rule.severity);
  const longWindow = c.window([...path, 'longWindow'], rule.longWindow, true);
  const shortWindow = c.window([...path, 'shortWindow'], rule.shortWindow, false);
  if (longWindow !== undefined && longWindow < 2) {
    c.fail([...path, 'longWindow'], 'must be at least "2m" (the short window must fit inside it)', rule.longWindow);
  }
  if (longWindow !== undefined && shortWindow !== undefined && shortWindow >= longWindow) {
    c.fail([...path, 'shortWindow'], `must be shorter than longWindow (${formatWindow(longWindow)})`, rule.shortWindow);
  }
  if (longWindow !== undefined && periodDays !== undefined && longWindow > periodDays * MINUTES_PER_DAY) {
    c.fail([...path, 'longWindow'], `must be at most the SLO period (${periodDays}d)`, rule.longWindow);
  }
  const oneOf = 'must give exactly one of budgetPercent or burnRate';
  if (rule.budgetPercent === undefined && rule.burnRate === undefined) c.failDescribed(path, oneOf, 'neither');
  if (rule.budgetPercent !== undefined && rule.burnRate !== undefined) c.failDescribed(path, oneOf, 'both');
  const budgetPercent = c.number([...path, 'budgetPercent'], rule.budgetPercent, BUDGET_PERCENT);
  const burnRate = c.number([...path, 'burnRate'], rule.burnRate, BURN_RATE);
  const complete = budgetPercent !== undefined || burnRate !== undefined;
  if (c.problems.length > problemsBefore || !complete || periodDays === undefined) return undefined;
  try {
    return { path, rule: resolveBurnRateRule(rule as unknown as BurnRateRuleProps, periodDays), written: rule };
  } catch (error) {
    // The domain's own checks are the last word; report them like any other problem.
    if (!(error instanceof DomainInputError)) throw error;
    c.fail([...path, error.field], `must be ${error.allowed}`, error.given);
    return undefined;
  }
}

/**
 * Even when every event is bad the burn rate is only 1 / (1 - objective), so a rule with a higher factor can
 * never fire: 14.4 needs an objective of at least 93.06 %.
 */
function checkRulesCanFire(c: ConfigChecker, objectivePath: ConfigPath, objective: number, rules: readonly BurnRateRule[], policy: string): void {
  const maxBurnRate = 100 / (100 - objective);
  const strictest = rules.reduce<BurnRateRule | undefined>((top, rule) => (top === undefined || rule.burnRate > top.burnRate ? rule : top), undefined);
  if (strictest === undefined || strictest.burnRate <= maxBurnRate * (1 + 1e-9)) return;
  const minObjective = Math.ceil((100 - 100 / strictest.burnRate) * 100) / 100;
  c.fail(
    objectivePath,
    `must be at least ${minObjective} for ${policy} rule ${strictest.name} (burn rate ${round(strictest.burnRate)}) to be able to fire; ` +
      `at this objective even 100 % bad events burn at only ${round(maxBurnRate)}`,
    objective,
  );
}

interface CheckedAlerting {
  readonly rules?: readonly BurnRateRule[];
  readonly policy: string;
}

/** The traffic guard an SLO gets when it writes none: its counts are minutes under time slices. */
export function defaultTrafficGuard(budgeting: BudgetingMethod): TrafficGuard {
  return budgeting === 'timeslices' ? TIME_SLICE_TRAFFIC_GUARD : DEFAULT_TRAFFIC_GUARD;
}

/** The guard's thresholds as they will apply (written or default); undefined where a written one is invalid. */
type EffectiveGuard = { readonly [K in keyof TrafficGuard]: { readonly value: number | undefined; readonly written: boolean } };

function checkTrafficGuard(c: ConfigChecker, path: ConfigPath, value: unknown, budgeting: CheckedBudgeting | undefined): EffectiveGuard {
  const guard = c.object(path, value, TRAFFIC_GUARD_FIELDS, 'an object with minEventsInLongWindow, minBadEventsInShortWindow', false);
  const defaults = defaultTrafficGuard(budgeting?.method ?? 'occurrences');
  const field = (name: keyof TrafficGuard) => {
    const written = guard?.[name] !== undefined;
    return { value: c.numberOr([...path, name], guard?.[name], EVENT_COUNT, defaults[name]), written };
  };
  return { minEventsInLongWindow: field('minEventsInLongWindow'), minBadEventsInShortWindow: field('minBadEventsInShortWindow') };
}

/**
 * Under time slices a window must hold whole slices (a 5m window cannot hold half of a 10-minute slice), and the
 * traffic guard counts minutes, so it must be reachable within every rule's windows or that rule never fires.
 */
function checkRulesFitSlices(
  c: ConfigChecker,
  sloPath: ConfigPath,
  rules: readonly CheckedRule[],
  custom: boolean,
  sliceMinutes: number,
  guard: EffectiveGuard,
): void {
  const wholeSlices = `must be a whole number of time slices (timeSliceMinutes ${sliceMinutes})`;
  for (const { path, rule, written } of rules) {
    const longFits = rule.longWindowMinutes % sliceMinutes === 0;
    const shortFits = rule.shortWindowMinutes % sliceMinutes === 0;
    if (longFits && shortFits) continue;
    if (!custom) {
      c.fail(
        [...sloPath, 'timeSliceMinutes'],
        `must divide every window of the SRE Workbook policy (${rule.name} does not fit whole slices); give alerting.rules whose windows hold whole slices`,
        sliceMinutes,
      );
      break;
    }
    if (!longFits) c.fail([...path, 'longWindow'], wholeSlices, written?.longWindow);
    if (!shortFits && written?.shortWindow !== undefined) c.fail([...path, 'shortWindow'], wholeSlices, written.shortWindow);
    if (!shortFits && written?.shortWindow === undefined) {
      c.failDescribed([...path, 'shortWindow'], `${wholeSlices}; give it`, `nothing (derived as a twelfth of longWindow: ${formatWindow(rule.shortWindowMinutes)})`);
    }
  }
  const guardPath = [...sloPath, 'alerting', 'trafficGuard'];
  const reach = (name: keyof TrafficGuard, windowOf: (rule: BurnRateRule) => number, window: string): void => {
    const { value, written } = guard[name];
    const tightest = rules.reduce<BurnRateRule | undefined>((top, { rule }) => (top === undefined || windowOf(rule) < windowOf(top) ? rule : top), undefined);
    if (value === undefined || tightest === undefined || value <= windowOf(tightest)) return;
    const allowed = `must be at most ${windowOf(tightest)} with time-slice budgeting: it counts minutes, and the ${window} of rule ${tightest.name} holds only ${windowOf(tightest)}`;
    if (written) c.fail([...guardPath, name], allowed, value);
    else c.failDescribed([...guardPath, name], `${allowed}; give it`, `nothing (the time-slice default ${value})`);
  };
  reach('minEventsInLongWindow', (rule) => rule.longWindowMinutes, 'long window');
  reach('minBadEventsInShortWindow', (rule) => rule.shortWindowMinutes, 'short window');
}

function checkAlerting(
  c: ConfigChecker,
  sloPath: ConfigPath,
  value: unknown,
  periodDays: number | undefined,
  budgeting: CheckedBudgeting | undefined,
): CheckedAlerting {
  const path = [...sloPath, 'alerting'];
  const alerting = c.object(path, value, ALERTING_FIELDS, 'an object with rules, trafficGuard, resolveAfterMinutes, hysteresisRatio', false);
  const guard = checkTrafficGuard(c, [...path, 'trafficGuard'], alerting?.trafficGuard, budgeting);
  c.number([...path, 'resolveAfterMinutes'], alerting?.resolveAfterMinutes, RESOLVE_AFTER_MINUTES);
  c.number([...path, 'hysteresisRatio'], alerting?.hysteresisRatio, HYSTERESIS_RATIO);
  const checked = checkAlertingRules(c, sloPath, alerting, periodDays);
  if (budgeting?.method === 'timeslices') checkRulesFitSlices(c, sloPath, checked.entries, alerting?.rules !== undefined, budgeting.sliceMinutes, guard);
  return checked.alerting;
}

function checkAlertingRules(
  c: ConfigChecker,
  sloPath: ConfigPath,
  alerting: Record<string, unknown> | undefined,
  periodDays: number | undefined,
): { readonly alerting: CheckedAlerting; readonly entries: readonly CheckedRule[] } {
  const path = [...sloPath, 'alerting'];
  if (alerting?.rules === undefined) {
    const policy = 'the SRE Workbook';
    if (periodDays === undefined) return { alerting: { policy }, entries: [] };
    const rules = sreWorkbookPolicy(periodDays);
    const longest = Math.max(...rules.map((rule) => rule.longWindowMinutes));
    if (longest > periodDays * MINUTES_PER_DAY) {
      c.fail(
        [...sloPath, 'periodDays'],
        `must be at least ${longest / MINUTES_PER_DAY} for the SRE Workbook policy (its longest window is ${formatWindow(longest)}); give alerting.rules for a shorter period`,
        periodDays,
      );
      return { alerting: { policy }, entries: [] };
    }
    return { alerting: { rules, policy }, entries: rules.map((rule) => ({ path, rule })) };
  }

  const items = c.list([...path, 'rules'], alerting.rules, 'a non-empty list of rules (omit it for the SRE Workbook policy)', true);
  if (!items) return { alerting: { policy: 'the custom' }, entries: [] };
  const checked = items.map((item, index) => checkRule(c, [...path, 'rules', index], item, periodDays));
  const byName = new Map<string, number>();
  checked.forEach((entry, index) => {
    if (!entry) return;
    // The name `<long>/<short>` keys a rule in the tenant's state, so two rules may not share a window pair.
    const first = byName.get(entry.rule.name);
    if (first !== undefined) c.fail(entry.path, `must use a window pair not used by another rule (rules[${first}] is also ${entry.rule.name})`, entry.rule.name);
    else byName.set(entry.rule.name, index);
  });
  const entries = checked.filter((entry) => entry !== undefined);
  const complete = entries.length === checked.length;
  return { alerting: complete ? { rules: entries.map((entry) => entry.rule), policy: 'the custom' } : { policy: 'the custom' }, entries };
}

// ---------------------------------------------------------------------------------------------------------
// Tenants and overrides
// ---------------------------------------------------------------------------------------------------------

type CheckedTenants = { readonly mode: 'list'; readonly tenants: ReadonlySet<string> } | { readonly mode: 'discover'; readonly exclude: ReadonlySet<string> };

function checkTenants(c: ConfigChecker, path: ConfigPath, value: unknown): CheckedTenants | undefined {
  const tenants = c.object(path, value, TENANTS_FIELDS, 'an object with either discover or list', false);
  if (!tenants) return value === undefined ? { mode: 'discover', exclude: new Set() } : undefined;
  if (tenants.discover !== undefined && tenants.list !== undefined) {
    c.failDescribed(path, 'must give either discover or list, not both', 'both');
    return undefined;
  }
  if (tenants.list !== undefined) {
    const list = c.stringList([...path, 'list'], tenants.list, 'a non-empty list of tenant ids', true);
    return list ? { mode: 'list', tenants: new Set(list) } : undefined;
  }
  const discover = c.object([...path, 'discover'], tenants.discover, DISCOVER_FIELDS, 'an object with refreshMinutes, exclude', false);
  c.number([...path, 'discover', 'refreshMinutes'], discover?.refreshMinutes, REFRESH_MINUTES);
  const exclude = c.stringList([...path, 'discover', 'exclude'], discover?.exclude, 'a list of tenant ids', false, true);
  return { mode: 'discover', exclude: new Set(exclude ?? []) };
}

function checkOverrides(
  c: ConfigChecker,
  path: ConfigPath,
  value: unknown,
  tenants: CheckedTenants | undefined,
  alerting: CheckedAlerting,
): void {
  const overrides = c.map(path, value, 'a map of tenant id to override', false);
  for (const [tenant, overrideValue] of Object.entries(overrides ?? {})) {
    const overridePath = [...path, tenant];
    if (tenants?.mode === 'list' && !tenants.tenants.has(tenant)) {
      c.failDescribed(overridePath, `must name a tenant in tenants.list (${[...tenants.tenants].join(', ')})`, JSON.stringify(tenant));
    }
    if (tenants?.mode === 'discover' && tenants.exclude.has(tenant)) {
      c.failDescribed(overridePath, 'must not name a tenant excluded from discovery', JSON.stringify(tenant));
    }
    const override = c.object(overridePath, overrideValue, OVERRIDE_FIELDS, 'an object with objective and/or muted', true);
    const objective = c.number([...overridePath, 'objective'], override?.objective, OBJECTIVE);
    c.boolean([...overridePath, 'muted'], override?.muted);
    if (objective !== undefined && alerting.rules) checkRulesCanFire(c, [...overridePath, 'objective'], objective, alerting.rules, alerting.policy);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------------------

function checkSlo(c: ConfigChecker, path: ConfigPath, value: unknown): string | undefined {
  const slo = c.object(path, value, SLO_FIELDS, 'an SLO with name, objective and sli', true);
  if (!slo) return undefined;
  const name = c.string([...path, 'name'], slo.name, {
    required: true,
    literal: true,
    pattern: SLO_NAME_PATTERN,
    allowed: 'must be 1-64 characters: a letter or digit, then letters, digits, ".", "_" or "-"',
  });
  c.string([...path, 'description'], slo.description, { maxLength: 1024 });
  const objective = c.number([...path, 'objective'], slo.objective, OBJECTIVE, true);
  const sliKind = checkSli(c, [...path, 'sli'], slo.sli);
  const budgeting = checkBudgeting(c, path, slo, sliKind);
  const calendar = checkCalendar(c, [...path, 'calendar'], slo.calendar);
  const periodDays = checkPeriodDays(c, [...path, 'periodDays'], slo.periodDays, calendar, budgeting);
  const alerting = checkAlerting(c, path, slo.alerting, periodDays, budgeting);
  if (objective !== undefined && alerting.rules) checkRulesCanFire(c, [...path, 'objective'], objective, alerting.rules, alerting.policy);
  const tenants = checkTenants(c, [...path, 'tenants'], slo.tenants);
  checkOverrides(c, [...path, 'overrides'], slo.overrides, tenants, alerting);
  return name;
}

function checkSlos(c: ConfigChecker, path: ConfigPath, value: unknown): void {
  const slos = c.list(path, value, 'a non-empty list of SLOs', true);
  const firstIndexByName = new Map<string, number>();
  slos?.forEach((slo, index) => {
    const name = checkSlo(c, [...path, index], slo);
    if (name === undefined) return;
    const first = firstIndexByName.get(name);
    if (first !== undefined) c.fail([...path, index, 'name'], `must be unique (slos[${first}] has the same name)`, name);
    else firstIndexByName.set(name, index);
  });
}

function checkEvaluator(c: ConfigChecker, path: ConfigPath, value: unknown, discoversTenants: boolean): void {
  const fields = Object.keys(EVALUATOR_RULES) as (keyof EvaluatorProps)[];
  const evaluator = c.object(path, value, fields, 'an object with evaluator settings', false);
  const checked = new Map<keyof EvaluatorProps, number | undefined>();
  for (const field of fields) {
    if (field === 'timeoutSeconds') continue;
    checked.set(field, c.numberOr([...path, field], evaluator?.[field], EVALUATOR_RULES[field], EVALUATOR_DEFAULTS[field]));
  }
  // Its default depends on the shards (an invalid shard count leaves the one-shard default: that check fails anyway).
  const timeoutDefault = defaultTimeoutSeconds(checked.get('shards') ?? EVALUATOR_DEFAULTS.shards);
  checked.set('timeoutSeconds', c.numberOr([...path, 'timeoutSeconds'], evaluator?.timeoutSeconds, EVALUATOR_RULES.timeoutSeconds, timeoutDefault));
  const scheduleMinutes = checked.get('scheduleMinutes');
  const timeoutSeconds = checked.get('timeoutSeconds');
  if (scheduleMinutes !== undefined && timeoutSeconds !== undefined && timeoutSeconds > scheduleMinutes * 60) {
    c.fail([...path, 'timeoutSeconds'], `must be at most scheduleMinutes x 60 (${scheduleMinutes * 60}) so one run ends before the next tick`, timeoutSeconds);
  }
  checkShards(c, path, checked, { discoversTenants, timeoutWritten: evaluator?.timeoutSeconds !== undefined });
}

/**
 * Cross-checks of a sharded evaluator: every shard of a tick can run, and the tick (its discovery, when some SLO
 * discovers tenants, then every wave of shards) finishes within its execution's timeout.
 */
function checkShards(
  c: ConfigChecker,
  path: ConfigPath,
  checked: ReadonlyMap<keyof EvaluatorProps, number | undefined>,
  flags: { readonly discoversTenants: boolean; readonly timeoutWritten: boolean },
): void {
  const shards = checked.get('shards');
  const maxConcurrentShards = checked.get('maxConcurrentShards');
  if (shards === undefined || maxConcurrentShards === undefined || shards <= 1) return;
  checkShardConcurrency(c, path, checked.get('reservedConcurrency'), Math.min(shards, maxConcurrentShards), flags.discoversTenants);
  const scheduleMinutes = checked.get('scheduleMinutes');
  const timeoutSeconds = checked.get('timeoutSeconds');
  const discoverySeconds = flags.discoversTenants ? checked.get('discoveryTimeoutSeconds') : 0;
  if (scheduleMinutes === undefined || timeoutSeconds === undefined || discoverySeconds === undefined) return;
  const waves = Math.ceil(shards / maxConcurrentShards);
  const budget = shardedTickSeconds(scheduleMinutes);
  if (discoverySeconds + waves * timeoutSeconds <= budget) return;
  const largest = Math.floor((budget - discoverySeconds) / waves);
  const sharding = `with ${shards} shards run ${maxConcurrentShards} at a time`;
  const fit = flags.discoversTenants
    ? `(discoveryTimeoutSeconds ${discoverySeconds} + ${waves} waves x timeoutSeconds must fit in min(scheduleMinutes x 60, ${EXPRESS_MAX_DURATION_SECONDS}) = ${budget} s)`
    : `(${waves} waves must fit in min(scheduleMinutes x 60, ${EXPRESS_MAX_DURATION_SECONDS}) = ${budget} s)`;
  const remedy = flags.discoversTenants ? 'raise maxConcurrentShards or lower discoveryTimeoutSeconds' : 'raise maxConcurrentShards';
  // Below 1 s a wave no timeout fits: only fewer waves (or a shorter discovery) can.
  const allowed = largest >= 1 ? `must be at most ${largest} ${sharding} ${fit}; or ${remedy}` : `has no value that fits ${sharding} ${fit}; ${remedy}`;
  if (flags.timeoutWritten) c.fail([...path, 'timeoutSeconds'], allowed, timeoutSeconds);
  else c.failDescribed([...path, 'timeoutSeconds'], largest >= 1 ? `${allowed}; give it` : allowed, `nothing (the default ${timeoutSeconds} with shards above 1)`);
}

/**
 * Concurrent shards must not be throttled by the function's reserved concurrency. With a discovery, one more: a
 * discovery that outlives discoveryTimeoutSeconds keeps its execution while the first shards run.
 */
function checkShardConcurrency(c: ConfigChecker, path: ConfigPath, reservedConcurrency: number | undefined, concurrent: number, discoversTenants: boolean): void {
  const needed = discoversTenants ? concurrent + 1 : concurrent;
  if (reservedConcurrency === undefined || reservedConcurrency >= needed) return;
  const allowed = discoversTenants
    ? `must be at least min(shards, maxConcurrentShards) + 1 (${needed}) so concurrent shards are not throttled, also beside a tenant discovery that outlives discoveryTimeoutSeconds`
    : `must be at least min(shards, maxConcurrentShards) (${needed}) so concurrent shards are not throttled`;
  c.fail([...path, 'reservedConcurrency'], allowed, reservedConcurrency);
}

/**
 * Whether some SLO discovers its tenants (no `tenants`, or `tenants` without `list`), as normalize.ts decides it;
 * an unusable SLO list counts as none (its own problems are reported).
 */
function discoversTenants(slos: unknown): boolean {
  if (!Array.isArray(slos)) return false;
  return slos.some((slo: unknown) => isPlainObject(slo) && !(isPlainObject(slo.tenants) && slo.tenants.list !== undefined));
}

/**
 * One validator per top-level section of `BurnwatchProps`. The record type makes a new section in props.ts fail
 * to compile until its validator is added here.
 */
const SECTIONS: Readonly<Record<keyof BurnwatchProps, (c: ConfigChecker, path: ConfigPath, value: unknown, root: Record<string, unknown>) => void>> = {
  slos: checkSlos,
  evaluator: (c, path, value, root) => checkEvaluator(c, path, value, discoversTenants(root.slos)),
  workflow: (c, path, value, root) => checkWorkflow(c, path, value, sloNamesOf(root.slos)),
  alerts: checkAlerts,
  reports: checkReports,
};

/** The names the SLOs give, for sections that refer to SLOs; undefined when the list itself is unusable. */
function sloNamesOf(slos: unknown): ReadonlySet<string> | undefined {
  if (!Array.isArray(slos)) return undefined;
  return new Set(slos.flatMap((slo: unknown) => (isPlainObject(slo) && typeof slo.name === 'string' ? [slo.name] : [])));
}

/** Every problem in the configuration, in document order; empty when it is valid. */
export function validateBurnwatchProps(props: unknown): ConfigProblem[] {
  const c = new ConfigChecker();
  const sections = Object.keys(SECTIONS) as (keyof BurnwatchProps)[];
  const root = c.object([], props, sections, `an object with ${sections.join(', ')}`, true);
  if (root) {
    for (const section of sections) SECTIONS[section](c, [section], root[section], root);
  }
  return c.problems;
}

/** Throws one `BurnwatchConfigError` listing every problem; returns the props typed when there is none. */
export function assertValidBurnwatchProps(props: unknown, source?: string): asserts props is BurnwatchProps {
  const problems = validateBurnwatchProps(props);
  if (problems.length > 0) throw new BurnwatchConfigError(problems, source);
}
