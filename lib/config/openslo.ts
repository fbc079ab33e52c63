/**
 * OpenSLO v1 import: an `apiVersion: openslo/v1`, `kind: SLO` document becomes the same `SloProps` a
 * burnwatch.yaml SLO gives, so the stack and `burnwatch backtest` accept either.
 *
 * Mapping (every other combination is refused with the field named):
 * - `metadata.name` -> name; `spec.description` -> description.
 * - `spec.objectives[0].target` (0..1) or `targetPercent` -> objective (percent). Exactly one objective.
 * - `spec.timeWindow[0].duration` (`28d`, `4w`) with `isRolling: true` -> periodDays. `duration: 1M` with
 *   `isRolling: false` and `calendar: { startTime, timeZone }` -> a calendar month in that zone (startTime, when
 *   given, must be midnight on a 1st); periodDays stays at its nominal 30.
 * - `spec.budgetingMethod` `Occurrences` (or none) / `Timeslices` -> budgeting; with Timeslices the objective's
 *   `timeSliceWindow` (whole minutes, e.g. `1m`) -> timeSliceMinutes and, for a ratio SLI, `timeSliceTarget`.
 * - `spec.indicator.spec.ratioMetric` good/bad + total with `metricSource.type: CloudWatch` and
 *   `spec: { namespace, metricName, stat, dimensions }` -> one metric each (ids `good`, `bad`, `total`).
 * - `spec.indicator.spec.thresholdMetric` (a CloudWatch metric with its statistic, e.g. p99) with the objective's
 *   `op` and `value` -> a threshold SLI; it needs Timeslices. Its `timeSliceTarget` has no effect: one statistic
 *   is read per slice, so the share of good points in a slice is 0 or 1.
 * - OpenSLO has no tenant: the annotation `burnwatch.io/tenant-dimension` names the dimension that carries it.
 * - `spec.alertPolicies[].spec.conditions[]` (inline, `kind: burnrate`) -> one rule each: long window =
 *   `lookbackWindow`, short window = long / 12 (the Workbook's ratio), burnRate = `threshold`. Severity is the
 *   condition's `spec.severity`, else a `severity` label on the condition or the policy; without one, a
 *   threshold >= 6 pages and a lower one opens a ticket. No alert policies: the Workbook policy.
 */
import { defaultShortWindowMinutes, formatWindow } from '../../lambda/domain/policy';
import { THRESHOLD_OPERATORS } from '../../lambda/domain/model';
import type { Severity, ThresholdOperator, TrafficGuard } from '../../lambda/domain/model';
import { SLO_DEFAULTS } from './defaults';
import { BurnwatchConfigError, formatPath, formatProblem } from './errors';
import type { ConfigPath, ConfigProblem } from './errors';
import type { BudgetingMethod, BurnRateRuleProps, CalendarProps, RatioSliProps, SliMetricProps, SliProps, SloProps } from './props';
import { ConfigChecker, defaultTrafficGuard, isTimeZone, SLO_NAME_PATTERN, validateBurnwatchProps } from './validate';
import type { SliKind } from './validate';

export const OPENSLO_API_VERSION = 'openslo/v1';
/** Annotation naming the CloudWatch dimension whose value is the tenant id, e.g. `TenantId`. */
export const TENANT_DIMENSION_ANNOTATION = 'burnwatch.io/tenant-dimension';
/** A condition without a severity pages from this burn rate up (the Workbook's slowest page is 6x), else tickets. */
export const PAGE_THRESHOLD = 6;

const MINUTES_PER_DAY = 24 * 60;
const MAX_PERIOD_DAYS = 90;
const RATIO_SIDES = ['good', 'bad', 'total'] as const;
type RatioSide = (typeof RATIO_SIDES)[number];

const DOCUMENT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'];
const METADATA_FIELDS = ['name', 'displayName', 'labels', 'annotations'];
const SLO_SPEC_FIELDS = ['description', 'service', 'indicator', 'indicatorRef', 'timeWindow', 'budgetingMethod', 'objectives', 'alertPolicies'];
const INDICATOR_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'];
const SLI_SPEC_FIELDS = ['description', 'ratioMetric', 'thresholdMetric'];
const RATIO_FIELDS = ['counter', 'good', 'bad', 'total', 'rawType', 'raw'];
const METRIC_SOURCE_FIELDS = ['metricSourceRef', 'type', 'spec'];
const CLOUDWATCH_FIELDS = ['region', 'accountId', 'namespace', 'metricName', 'stat', 'dimensions', 'sql', 'json'];
const TIME_WINDOW_FIELDS = ['duration', 'isRolling', 'calendar'];
const CALENDAR_FIELDS = ['startTime', 'timeZone'];
/** OpenSLO's calendar start, e.g. `2024-01-01 00:00:00`. */
const START_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const OBJECTIVE_PATH: ConfigPath = ['spec', 'objectives', 0];
const WINDOW_PATH: ConfigPath = ['spec', 'timeWindow', 0];
const OBJECTIVE_FIELDS = ['displayName', 'op', 'value', 'target', 'targetPercent', 'timeSliceTarget', 'timeSliceWindow'];
const POLICY_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'alertPolicyRef'];
const POLICY_SPEC_FIELDS = ['description', 'alertWhenNoData', 'alertWhenResolved', 'alertWhenBreaching', 'conditions', 'notificationTargets'];
const CONDITION_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'conditionRef'];
const CONDITION_SPEC_FIELDS = ['description', 'severity', 'condition'];
const BURN_RATE_FIELDS = ['kind', 'op', 'threshold', 'lookbackWindow', 'alertAfter'];

/** An OpenSLO document Burnwatch cannot use; lists every problem with its OpenSLO field path. */
export class OpenSloError extends BurnwatchConfigError {
  constructor(problems: readonly ConfigProblem[], source: string) {
    super(problems, source);
    this.name = 'OpenSloError';
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    this.message = `Cannot use the OpenSLO document in ${source} (${count}):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`;
  }
}

export interface OpenSloConversion {
  readonly props: SloProps;
  /**
   * Why the SLI cannot be read from CloudWatch (another metric source, no tenant dimension); empty when it can.
   * With problems here `props.sli` is a stand-in that must not be queried: the backtest can still replay a CSV.
   */
  readonly sliProblems: readonly ConfigProblem[];
  /** Fields that were read but have no effect in Burnwatch, each with the reason, for the caller to show. */
  readonly notes: readonly string[];
}

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when the YAML value looks like an OpenSLO object (it has `apiVersion` or `kind`). */
export function isOpenSloDocument(value: unknown): boolean {
  return isRecord(value) && ('apiVersion' in value || 'kind' in value);
}

/** OpenSLO duration shorthand in minutes; `M`, `Q`, `Y` have no fixed length and are refused. */
function parseDuration(c: ConfigChecker, path: ConfigPath, value: unknown, required: boolean): number | undefined {
  const allowed = 'must be an OpenSLO duration of whole minutes, hours, days or weeks, like "5m", "1h", "28d" or "4w"';
  if (value === undefined) {
    if (required) c.fail(path, allowed, value);
    return undefined;
  }
  const match = typeof value === 'string' ? /^(\d+)([mhdwMQY])$/.exec(value) : null;
  const amount = match ? Number(match[1]) : 0;
  const unit = match?.[2];
  if (unit === 'M' || unit === 'Q' || unit === 'Y') {
    c.fail(path, `${allowed} (calendar units M, Q and Y have no fixed length: write days, e.g. "30d")`, value);
    return undefined;
  }
  const minutesPerUnit: Record<string, number> = { m: 1, h: 60, d: MINUTES_PER_DAY, w: 7 * MINUTES_PER_DAY };
  const perUnit = unit === undefined ? undefined : minutesPerUnit[unit];
  if (perUnit === undefined || !(amount > 0)) {
    c.fail(path, allowed, value);
    return undefined;
  }
  return amount * perUnit;
}

function refuse(c: ConfigChecker, path: ConfigPath, value: unknown, allowed: string): void {
  if (value !== undefined) c.fail(path, allowed, value);
}

function checkHeader(c: ConfigChecker, doc: Raw, kind: string): void {
  if (doc.apiVersion !== OPENSLO_API_VERSION) c.fail(['apiVersion'], `must be "${OPENSLO_API_VERSION}"`, doc.apiVersion);
  if (doc.kind !== kind) c.fail(['kind'], `must be "${kind}"`, doc.kind);
}

/** Maps a path of the Burnwatch props built here back to the OpenSLO field it came from. */
interface Origin {
  readonly propsPath: ConfigPath;
  readonly openSloPath: ConfigPath;
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);
}

interface Objective {
  readonly percent?: number;
  readonly path: ConfigPath;
  /** The first objective, whose op, value and time-slice fields are read with the SLI and budgeting method. */
  readonly item?: Raw;
}

function objective(c: ConfigChecker, spec: Raw): Objective {
  const path: ConfigPath = ['spec', 'objectives'];
  const list = c.list(path, spec.objectives, 'a list with exactly one objective', true);
  if (list === undefined) return { path };
  if (list.length > 1) {
    c.failDescribed(path, 'must have exactly one objective (Burnwatch evaluates one objective per SLO: write one SLO per objective)', `${list.length} objectives`);
  }
  const itemPath: ConfigPath = [...path, 0];
  const item = c.object(itemPath, list[0], OBJECTIVE_FIELDS, 'an objective with target or targetPercent', true);
  if (item === undefined) return { path: itemPath };
  if (item.target !== undefined && item.targetPercent !== undefined) {
    c.failDescribed(itemPath, 'must give exactly one of target (0..1) or targetPercent (0..100)', 'both');
    return { path: itemPath, item };
  }
  if (item.target !== undefined) {
    const target = c.number([...itemPath, 'target'], item.target, { min: 0, minExclusive: true, max: 1, maxExclusive: true });
    // toPrecision drops the float noise of the scaling (0.999 * 100 is 99.89999999999999).
    return { percent: target === undefined ? undefined : Number((target * 100).toPrecision(12)), path: [...itemPath, 'target'], item };
  }
  if (item.targetPercent !== undefined) {
    const percent = c.number([...itemPath, 'targetPercent'], item.targetPercent, { min: 0, minExclusive: true, max: 100, maxExclusive: true });
    return { percent, path: [...itemPath, 'targetPercent'], item };
  }
  c.failDescribed(itemPath, 'must give exactly one of target (0..1) or targetPercent (0..100)', 'neither');
  return { path: itemPath, item };
}

function budgetingMethod(c: ConfigChecker, spec: Raw): BudgetingMethod | undefined {
  const methods: Readonly<Record<string, BudgetingMethod>> = { Occurrences: 'occurrences', Timeslices: 'timeslices' };
  if (spec.budgetingMethod === undefined) return 'occurrences';
  const method = typeof spec.budgetingMethod === 'string' && Object.hasOwn(methods, spec.budgetingMethod) ? methods[spec.budgetingMethod] : undefined;
  if (method === undefined) {
    c.fail(['spec', 'budgetingMethod'], 'must be "Occurrences" or "Timeslices" (RatioTimeslices is not supported)', spec.budgetingMethod);
  }
  return method;
}

/** `1m`, `5m`, `1h`, or seconds in whole minutes (`60s`): the slice length in minutes. */
function sliceWindowMinutes(c: ConfigChecker, path: ConfigPath, value: unknown): number | undefined {
  const allowed = 'must be a duration of whole minutes, like "1m" or "5m" (CloudWatch\'s finest per-tenant metric period is one minute)';
  const match = typeof value === 'string' ? /^(\d+)([smh])$/.exec(value) : null;
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'] : 0;
  if (!(seconds > 0 && seconds % 60 === 0)) {
    c.fail(path, allowed, value);
    return undefined;
  }
  return seconds / 60;
}

/** The objective's fields that depend on the SLI kind and the budgeting method. */
interface ObjectiveSlices {
  readonly timeSliceMinutes?: number;
  readonly timeSliceTarget?: unknown;
  readonly op?: ThresholdOperator;
  readonly value?: number;
}

function objectiveSlices(c: ConfigChecker, item: Raw | undefined, method: BudgetingMethod | undefined, kind: SliKind | undefined, notes: string[]): ObjectiveSlices {
  if (item === undefined) return {};
  const at = (field: string): ConfigPath => [...OBJECTIVE_PATH, field];
  let threshold: Pick<ObjectiveSlices, 'op' | 'value'> = {};
  if (kind === 'ratio') {
    const why = 'must be omitted for a ratioMetric SLI: op and value compare a thresholdMetric with its threshold';
    refuse(c, at('op'), item.op, why);
    refuse(c, at('value'), item.value, why);
  } else if (kind === 'threshold') {
    const op = c.choice(at('op'), item.op, THRESHOLD_OPERATORS, `must be ${THRESHOLD_OPERATORS.map((o) => JSON.stringify(o)).join(', ')} for a thresholdMetric: a slice is good when its statistic op value holds`, { required: true });
    const value = c.number(at('value'), item.value, {}, true);
    threshold = { ...(op !== undefined && { op }), ...(value !== undefined && { value }) };
  }
  if (method !== 'timeslices') {
    const why = 'must be omitted unless spec.budgetingMethod is "Timeslices"';
    refuse(c, at('timeSliceTarget'), item.timeSliceTarget, why);
    refuse(c, at('timeSliceWindow'), item.timeSliceWindow, why);
    return threshold;
  }
  const timeSliceMinutes = sliceWindowMinutes(c, at('timeSliceWindow'), item.timeSliceWindow);
  const slices = { ...threshold, ...(timeSliceMinutes !== undefined && { timeSliceMinutes }) };
  if (kind !== 'threshold') return { ...slices, ...(item.timeSliceTarget !== undefined && { timeSliceTarget: item.timeSliceTarget }) };
  // One statistic per slice makes the share of good points in it 0 or 1: every target in (0, 1] judges alike, so
  // only a target below 1 (which reads as "95 % of the points") is worth a note.
  const target = c.number(at('timeSliceTarget'), item.timeSliceTarget, { min: 0, minExclusive: true, max: 1 });
  if (target !== undefined && target < 1) {
    notes.push(`${formatPath(at('timeSliceTarget'))} has no effect for a thresholdMetric: Burnwatch reads one statistic per slice, so the slice is good exactly when it meets op value`);
  }
  return slices;
}

/** The budget period: rolling days, or a calendar month; `invalid` when the window is given but unusable. */
interface Period {
  readonly days?: number;
  readonly calendar?: CalendarProps;
  readonly invalid?: true;
}

function timeWindow(c: ConfigChecker, spec: Raw): Period {
  const path: ConfigPath = ['spec', 'timeWindow'];
  if (spec.timeWindow === undefined) return {};
  const list = c.list(path, spec.timeWindow, 'a list with exactly one time window', false);
  if (list === undefined) return { invalid: true };
  if (list.length !== 1) c.failDescribed(path, 'must have exactly one time window', `${list.length} windows`);
  const window = c.object(WINDOW_PATH, list[0], TIME_WINDOW_FIELDS, 'a time window with duration and isRolling', true);
  if (window === undefined) return { invalid: true };
  // OpenSLO reads a window with a calendar and no isRolling as calendar-aligned.
  const calendarAligned = window.isRolling === false || (window.isRolling === undefined && window.calendar !== undefined);
  if (calendarAligned) return calendarMonth(c, window);
  if (window.isRolling !== true) c.fail([...WINDOW_PATH, 'isRolling'], 'must be true (a rolling window) or false (a calendar month)', window.isRolling);
  refuse(c, [...WINDOW_PATH, 'calendar'], window.calendar, 'must be omitted for a rolling window (isRolling: true)');
  const minutes = parseDuration(c, [...WINDOW_PATH, 'duration'], window.duration, true);
  if (minutes === undefined) return { invalid: true };
  const days = minutes / MINUTES_PER_DAY;
  if (!(Number.isInteger(days) && days >= 1 && days <= MAX_PERIOD_DAYS)) {
    c.fail([...WINDOW_PATH, 'duration'], `must be a whole number of days from 1 to ${MAX_PERIOD_DAYS}, like "28d" or "4w"`, window.duration);
    return { invalid: true };
  }
  return { days };
}

/** A calendar-aligned window: one month (`1M`) starting at midnight on the 1st in the calendar's time zone. */
function calendarMonth(c: ConfigChecker, window: Raw): Period {
  const problemsBefore = c.problems.length;
  if (window.duration !== '1M') {
    c.fail([...WINDOW_PATH, 'duration'], 'must be "1M" for a calendar-aligned window: calendar months are the only calendar period (or set isRolling: true)', window.duration);
  }
  const calendarPath: ConfigPath = [...WINDOW_PATH, 'calendar'];
  const calendar = c.object(calendarPath, window.calendar, CALENDAR_FIELDS, 'a calendar with startTime and timeZone for a calendar-aligned window', true);
  const zoneAllowed = 'must be an IANA time zone name such as "UTC" or "Europe/Paris"';
  const timeZone = c.string([...calendarPath, 'timeZone'], calendar?.timeZone, { required: calendar !== undefined, allowed: zoneAllowed });
  if (timeZone !== undefined && !isTimeZone(timeZone)) c.fail([...calendarPath, 'timeZone'], zoneAllowed, timeZone);
  if (calendar?.startTime !== undefined) {
    const start = typeof calendar.startTime === 'string' ? START_TIME.exec(calendar.startTime) : null;
    if (start === null || start[3] !== '01' || start.slice(4).some((part) => Number(part) !== 0)) {
      c.fail(
        [...calendarPath, 'startTime'],
        'must be midnight on the 1st of a month, like "2024-01-01 00:00:00": the budget resets when each calendar month starts',
        calendar.startTime,
      );
    }
  }
  if (c.problems.length > problemsBefore || timeZone === undefined) return { invalid: true };
  return { calendar: { unit: 'month', timeZone } };
}

interface SideMetric {
  readonly metric?: SliMetricProps;
  /** Why this side cannot be read from CloudWatch. */
  readonly problem?: ConfigProblem;
}

/** Fixed dimensions from `[{name, value}]` (the OpenSLO CloudWatch form) or a plain map. */
function cloudWatchDimensions(c: ConfigChecker, path: ConfigPath, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (isRecord(value)) {
    const dimensions: Record<string, string> = {};
    for (const [name, dimension] of Object.entries(value)) {
      const text = c.string([...path, name], dimension, { required: true });
      if (text !== undefined) dimensions[name] = text;
    }
    return dimensions;
  }
  const list = c.list(path, value, 'a list of { name, value } or a map of dimension name to value', false, true);
  if (list === undefined) return undefined;
  const dimensions: Record<string, string> = {};
  list.forEach((entry, index) => {
    const item = c.object([...path, index], entry, ['name', 'value'], 'a dimension { name, value }', true);
    const name = c.string([...path, index, 'name'], item?.name, { required: true });
    const text = c.string([...path, index, 'value'], item?.value, { required: true });
    if (name !== undefined && text !== undefined) dimensions[name] = text;
  });
  return dimensions;
}

function sideMetric(c: ConfigChecker, path: ConfigPath, value: unknown, notes: string[]): SideMetric {
  const side = c.object(path, value, ['metricSource'], 'an object with metricSource', true);
  const sourcePath: ConfigPath = [...path, 'metricSource'];
  const source = c.object(sourcePath, side?.metricSource, METRIC_SOURCE_FIELDS, 'a metric source with type and spec', side !== undefined);
  if (source === undefined) return {};
  if (source.type !== 'CloudWatch') {
    const given = source.type === undefined ? `nothing (metricSourceRef ${JSON.stringify(source.metricSourceRef)} is not resolved)` : JSON.stringify(source.type);
    return { problem: { path: [...sourcePath, 'type'], allowed: 'must be "CloudWatch" for Burnwatch to read the SLI itself', given } };
  }
  const specPath: ConfigPath = [...sourcePath, 'spec'];
  const spec = c.object(specPath, source.spec, CLOUDWATCH_FIELDS, 'a CloudWatch metric: namespace, metricName, stat, dimensions', true);
  if (spec === undefined) return {};
  refuse(c, [...specPath, 'sql'], spec.sql, 'must be omitted: Metrics Insights queries are not supported; give namespace, metricName, stat, dimensions');
  refuse(c, [...specPath, 'json'], spec.json, 'must be omitted: metric-math JSON is not supported; give namespace, metricName, stat, dimensions');
  if (spec.region !== undefined || spec.accountId !== undefined) {
    notes.push(`${formatPath(specPath)}: region and accountId are not used; Burnwatch reads CloudWatch in the stack's own account and region`);
  }
  const namespace = c.string([...specPath, 'namespace'], spec.namespace, { required: true });
  const metricName = c.string([...specPath, 'metricName'], spec.metricName, { required: true });
  const stat = c.string([...specPath, 'stat'], spec.stat, { allowed: 'must be a CloudWatch statistic such as "Sum" or "SampleCount"', maxLength: 64 });
  const dimensions = cloudWatchDimensions(c, [...specPath, 'dimensions'], spec.dimensions);
  if (namespace === undefined || metricName === undefined) return {};
  return {
    metric: {
      metricName,
      namespace,
      ...(stat !== undefined && { stat }),
      ...(dimensions !== undefined && Object.keys(dimensions).length > 0 && { dimensions }),
    },
  };
}

interface SliResult {
  readonly kind?: SliKind;
  readonly ratio?: RatioSliProps;
  /** A threshold SLI's metric (its namespace included); op and value come from the objective. */
  readonly threshold?: { readonly metric: SliMetricProps; readonly tenantDimension: string };
  readonly problems: readonly ConfigProblem[];
}

const SLI_SPEC_PATH: ConfigPath = ['spec', 'indicator', 'spec'];
const ANNOTATION_PATH: ConfigPath = ['metadata', 'annotations', TENANT_DIMENSION_ANNOTATION];

/** The annotation naming the tenant dimension, or the problem that it is missing. */
function tenantDimensionOf(doc: Raw): { readonly tenantDimension?: string; readonly problem?: ConfigProblem } {
  const annotations = isRecord(doc.metadata) && isRecord(doc.metadata.annotations) ? doc.metadata.annotations : {};
  const tenantDimension = annotations[TENANT_DIMENSION_ANNOTATION];
  if (typeof tenantDimension === 'string' && tenantDimension.trim() !== '') return { tenantDimension };
  return {
    problem: {
      path: ANNOTATION_PATH,
      allowed: 'must name the CloudWatch dimension that carries the tenant id, e.g. TenantId (OpenSLO has no notion of tenants)',
      given: tenantDimension === undefined ? 'nothing' : JSON.stringify(tenantDimension),
    },
  };
}

/** The SLI when every metric is a CloudWatch one and the tenant dimension is named; otherwise why not. */
function indicator(c: ConfigChecker, doc: Raw, spec: Raw, notes: string[]): SliResult {
  refuse(c, ['spec', 'indicatorRef'], spec.indicatorRef, 'must be omitted: put the SLI inline under spec.indicator (references are not supported yet)');
  const path: ConfigPath = ['spec', 'indicator'];
  const inline = c.object(path, spec.indicator, INDICATOR_FIELDS, 'an inline SLI with metadata and spec.ratioMetric or spec.thresholdMetric', spec.indicatorRef === undefined);
  if (inline === undefined) return { problems: [] };
  const sliSpec = c.object(SLI_SPEC_PATH, inline.spec, SLI_SPEC_FIELDS, 'an SLI spec with ratioMetric or thresholdMetric', true);
  if (sliSpec === undefined) return { problems: [] };
  if (sliSpec.ratioMetric !== undefined && sliSpec.thresholdMetric !== undefined) {
    c.failDescribed(SLI_SPEC_PATH, 'must give exactly one of ratioMetric or thresholdMetric', 'both');
    return { problems: [] };
  }
  if (sliSpec.thresholdMetric !== undefined) return thresholdIndicator(c, doc, sliSpec.thresholdMetric, notes);
  return ratioIndicator(c, doc, sliSpec.ratioMetric, notes);
}

function thresholdIndicator(c: ConfigChecker, doc: Raw, value: unknown, notes: string[]): SliResult {
  const path: ConfigPath = [...SLI_SPEC_PATH, 'thresholdMetric'];
  const result = sideMetric(c, path, value, notes);
  if (result.metric !== undefined && result.metric.stat === undefined) {
    c.fail([...path, 'metricSource', 'spec', 'stat'], 'must be given for a thresholdMetric: the CloudWatch statistic judged per slice, e.g. "p99"', undefined);
  }
  const tenant = tenantDimensionOf(doc);
  const problems = [result.problem, tenant.problem].filter((problem) => problem !== undefined);
  if (problems.length > 0 || result.metric === undefined || tenant.tenantDimension === undefined) return { kind: 'threshold', problems };
  return { kind: 'threshold', threshold: { metric: result.metric, tenantDimension: tenant.tenantDimension }, problems: [] };
}

function ratioIndicator(c: ConfigChecker, doc: Raw, value: unknown, notes: string[]): SliResult {
  const ratioPath: ConfigPath = [...SLI_SPEC_PATH, 'ratioMetric'];
  const ratio = c.object(ratioPath, value, RATIO_FIELDS, 'a ratioMetric with total and good or bad', true);
  if (ratio === undefined) return { problems: [] };
  refuse(c, [...ratioPath, 'raw'], ratio.raw, 'must be omitted: precomputed ratios cannot be summed over windows; give good or bad, and total');
  refuse(c, [...ratioPath, 'rawType'], ratio.rawType, 'must be omitted: precomputed ratios cannot be summed over windows; give good or bad, and total');
  if (ratio.counter !== undefined) {
    notes.push(`${formatPath([...ratioPath, 'counter'])} is not used: CloudWatch statistics are already counts per minute`);
  }
  if (ratio.good !== undefined && ratio.bad !== undefined) {
    c.failDescribed(ratioPath, 'must give exactly one of good or bad, with total', 'both');
  } else if (ratio.good === undefined && ratio.bad === undefined) {
    c.failDescribed(ratioPath, 'must give exactly one of good or bad, with total', 'neither');
  }

  const metrics: Partial<Record<RatioSide, SliMetricProps>> = {};
  const problems: ConfigProblem[] = [];
  for (const side of RATIO_SIDES) {
    if (side !== 'total' && ratio[side] === undefined) continue;
    const result = sideMetric(c, [...ratioPath, side], ratio[side], notes);
    if (result.metric) metrics[side] = result.metric;
    if (result.problem) problems.push(result.problem);
  }
  const { tenantDimension, problem } = tenantDimensionOf(doc);
  if (problem !== undefined) problems.push(problem);
  const total = metrics.total;
  const numerator: RatioSide = ratio.good !== undefined ? 'good' : 'bad';
  if (problems.length > 0 || total === undefined || metrics[numerator] === undefined || tenantDimension === undefined) {
    return { kind: 'ratio', problems };
  }
  const sli: RatioSliProps = {
    namespace: total.namespace ?? '',
    tenantDimension,
    metrics: Object.fromEntries(
      RATIO_SIDES.filter((side) => metrics[side] !== undefined).map((side) => {
        const { namespace, ...metric } = metrics[side] as SliMetricProps;
        // The SLI namespace is total's; only a metric from another namespace carries its own.
        return [side, namespace === total.namespace ? metric : { ...metric, namespace }];
      }),
    ),
    [numerator]: numerator,
    total: 'total',
  };
  return { kind: 'ratio', ratio: sli, problems: [] };
}

function severityLabel(value: unknown): unknown {
  return isRecord(value) && isRecord(value.labels) ? value.labels.severity : undefined;
}

function severity(c: ConfigChecker, path: ConfigPath, given: unknown, threshold: number | undefined): Severity | undefined {
  if (given === undefined) return threshold === undefined ? undefined : threshold >= PAGE_THRESHOLD ? 'page' : 'ticket';
  const text = typeof given === 'string' ? given.toLowerCase() : undefined;
  if (text === 'page' || text === 'ticket') return text;
  c.fail(path, `must be "page" or "ticket", or omitted to page from burn rate ${PAGE_THRESHOLD} up and ticket below`, given);
  return undefined;
}

interface RuleResult {
  readonly rule: BurnRateRuleProps;
  readonly path: ConfigPath;
}

/** What the alert conditions are checked against: the period, and the traffic guard when it counts minutes. */
interface RuleLimits {
  readonly periodMinutes: number;
  /** Set under Timeslices: the guard Burnwatch applies, in minutes, which OpenSLO has no field to change. */
  readonly sliceGuard?: TrafficGuard;
}

/**
 * Under Timeslices the traffic guard counts minutes and OpenSLO cannot set it, so a lookback window too short to
 * hold the guard's minutes (or whose short window, a twelfth of it, cannot) would give a rule that never fires.
 */
function guardFits(c: ConfigChecker, path: ConfigPath, given: unknown, longWindow: number, guard: TrafficGuard): boolean {
  const shortWindow = defaultShortWindowMinutes(longWindow);
  if (longWindow >= guard.minEventsInLongWindow && shortWindow >= guard.minBadEventsInShortWindow) return true;
  c.fail(
    path,
    `must hold at least ${guard.minEventsInLongWindow} minutes with Timeslices, and its short window (a twelfth of it, here ` +
      `${formatWindow(shortWindow)}) at least ${guard.minBadEventsInShortWindow}: Burnwatch's traffic guard counts minutes with data and bad minutes`,
    given,
  );
  return false;
}

function condition(c: ConfigChecker, path: ConfigPath, value: unknown, policy: Raw, limits: RuleLimits, notes: string[]): RuleResult | undefined {
  const { periodMinutes } = limits;
  const entry = c.object(path, value, CONDITION_FIELDS, 'an inline alert condition with kind: AlertCondition and spec.condition', true);
  if (entry === undefined) return undefined;
  if (entry.conditionRef !== undefined) {
    c.fail([...path, 'conditionRef'], 'must be omitted: put the AlertCondition inline (references are not supported yet)', entry.conditionRef);
    return undefined;
  }
  if (entry.kind !== 'AlertCondition') c.fail([...path, 'kind'], 'must be "AlertCondition"', entry.kind);
  const specPath: ConfigPath = [...path, 'spec'];
  const spec = c.object(specPath, entry.spec, CONDITION_SPEC_FIELDS, 'an AlertCondition spec with severity and condition', true);
  const burnPath: ConfigPath = [...specPath, 'condition'];
  const burn = c.object(burnPath, spec?.condition, BURN_RATE_FIELDS, 'a burnrate condition with threshold and lookbackWindow', spec !== undefined);
  if (spec === undefined || burn === undefined) return undefined;
  if (burn.kind !== undefined && burn.kind !== 'burnrate') c.fail([...burnPath, 'kind'], 'must be "burnrate"', burn.kind);
  if (burn.op !== undefined && burn.op !== 'gte' && burn.op !== 'gt') {
    c.fail([...burnPath, 'op'], 'must be "gte" (or "gt", read as gte): an alert fires when the burn rate reaches the threshold', burn.op);
  }
  const threshold = c.number([...burnPath, 'threshold'], burn.threshold, { min: 0, minExclusive: true }, true);
  const longWindow = parseDuration(c, [...burnPath, 'lookbackWindow'], burn.lookbackWindow, true);
  if (longWindow !== undefined && longWindow < 2) {
    c.fail([...burnPath, 'lookbackWindow'], 'must be at least "2m" (the short window, a twelfth of it, must fit inside)', burn.lookbackWindow);
  }
  if (longWindow !== undefined && longWindow > periodMinutes) {
    c.fail([...burnPath, 'lookbackWindow'], `must be at most the SLO's time window (${formatWindow(periodMinutes)})`, burn.lookbackWindow);
  }
  if (parseDuration(c, [...burnPath, 'alertAfter'], burn.alertAfter, false) !== undefined) {
    notes.push(
      `${formatPath([...burnPath, 'alertAfter'])} is not used: the short window (a twelfth of lookbackWindow) must burn too, ` +
        'which already confirms the burn is still going on',
    );
  }
  const given = spec.severity ?? severityLabel(entry.metadata) ?? severityLabel(policy.metadata);
  const level = severity(c, [...specPath, 'severity'], given, threshold);
  if (threshold === undefined || longWindow === undefined || longWindow < 2 || longWindow > periodMinutes || level === undefined) return undefined;
  if (limits.sliceGuard !== undefined && !guardFits(c, [...burnPath, 'lookbackWindow'], burn.lookbackWindow, longWindow, limits.sliceGuard)) return undefined;
  return {
    path,
    rule: {
      severity: level,
      longWindow: formatWindow(longWindow),
      shortWindow: formatWindow(defaultShortWindowMinutes(longWindow)),
      burnRate: threshold,
    },
  };
}

function alertRules(c: ConfigChecker, spec: Raw, limits: RuleLimits, notes: string[]): RuleResult[] | undefined {
  const path: ConfigPath = ['spec', 'alertPolicies'];
  if (spec.alertPolicies === undefined) return undefined;
  const policies = c.list(path, spec.alertPolicies, 'a list of inline alert policies, or omitted for the SRE Workbook policy', false);
  if (policies === undefined) return undefined;
  const rules: RuleResult[] = [];
  policies.forEach((value, index) => {
    const policyPath: ConfigPath = [...path, index];
    const policy = c.object(policyPath, value, POLICY_FIELDS, 'an inline alert policy with kind: AlertPolicy and spec.conditions', true);
    if (policy === undefined) return;
    if (policy.alertPolicyRef !== undefined) {
      c.fail([...policyPath, 'alertPolicyRef'], 'must be omitted: put the AlertPolicy inline (references are not supported yet)', policy.alertPolicyRef);
      return;
    }
    if (policy.kind !== 'AlertPolicy') c.fail([...policyPath, 'kind'], 'must be "AlertPolicy"', policy.kind);
    const specPath: ConfigPath = [...policyPath, 'spec'];
    const policySpec = c.object(specPath, policy.spec, POLICY_SPEC_FIELDS, 'an AlertPolicy spec with conditions', true);
    if (policySpec === undefined) return;
    if (policySpec.alertWhenNoData === true) {
      c.fail([...specPath, 'alertWhenNoData'], 'must be false or omitted: Burnwatch reads a minute without data as no traffic, never as an outage', true);
    }
    if (policySpec.alertWhenBreaching === false) {
      c.fail([...specPath, 'alertWhenBreaching'], 'must be true or omitted: a policy that never alerts on a breach has nothing to map to', false);
    }
    if (policySpec.notificationTargets !== undefined || policySpec.alertWhenResolved !== undefined) {
      notes.push(`${formatPath(specPath)}: notificationTargets and alertWhenResolved are not used; route alerts with SNS subscriptions and filter policies`);
    }
    const conditions = c.list([...specPath, 'conditions'], policySpec.conditions, 'a list of inline alert conditions', true);
    conditions?.forEach((entry, conditionIndex) => {
      const rule = condition(c, [...specPath, 'conditions', conditionIndex], entry, policy, limits, notes);
      if (rule) rules.push(rule);
    });
  });
  return rules;
}

/** Used as the SLI when the document's SLI is not a CloudWatch one, so the rest can still be validated and replayed. */
const STAND_IN_SLI: RatioSliProps = {
  namespace: 'OpenSLO/NotCloudWatch',
  tenantDimension: 'Tenant',
  metrics: { total: { metricName: 'Total' }, bad: { metricName: 'Bad' } },
  bad: 'bad',
  total: 'total',
};
const STAND_IN_THRESHOLD_METRIC: SliMetricProps = { metricName: 'Value', stat: 'Average' };

/** The Burnwatch SLI: the converted one, or a stand-in of the same kind when the metrics are not CloudWatch's. */
function sliProps(sli: SliResult, slices: ObjectiveSlices): SliProps | undefined {
  if (sli.kind !== 'threshold') return sli.ratio ?? STAND_IN_SLI;
  if (slices.op === undefined || slices.value === undefined) return undefined;
  const { namespace, ...metric } = sli.threshold?.metric ?? STAND_IN_THRESHOLD_METRIC;
  return {
    namespace: namespace ?? STAND_IN_SLI.namespace,
    tenantDimension: sli.threshold?.tenantDimension ?? STAND_IN_SLI.tenantDimension,
    threshold: { metric: { ...metric, stat: metric.stat ?? 'Average' }, op: slices.op, value: slices.value },
  };
}

function translate(problem: ConfigProblem, origins: readonly Origin[]): ConfigProblem {
  const origin = origins.filter((o) => startsWith(problem.path, o.propsPath)).sort((a, b) => b.propsPath.length - a.propsPath.length)[0];
  if (origin === undefined) return problem;
  const rest = problem.path.slice(origin.propsPath.length);
  // The remainder names the Burnwatch field the OpenSLO one became, which explains the constraint.
  const allowed = rest.length === 0 ? problem.allowed : `(as Burnwatch ${formatPath(rest)}) ${problem.allowed}`;
  return { path: origin.openSloPath, allowed, given: problem.given };
}

/**
 * Converts one OpenSLO v1 SLO document. Throws `OpenSloError` listing every problem outside the SLI; SLI problems
 * (a metric source other than CloudWatch, no tenant dimension) are returned, because a CSV backtest does not need
 * the SLI. Use `openSloToSloProps` where the SLI must be readable.
 */
export function convertOpenSlo(doc: unknown, source: string): OpenSloConversion {
  const c = new ConfigChecker();
  const notes: string[] = [];
  const root = c.object([], doc, DOCUMENT_FIELDS, 'an OpenSLO document with apiVersion, kind, metadata and spec', true);
  if (root === undefined) throw new OpenSloError(c.problems, source);
  checkHeader(c, root, 'SLO');
  // Another version or kind has other fields: listing them all as unknown would bury the one real problem.
  if (c.problems.length > 0) throw new OpenSloError(c.problems, source);
  const metadata = c.object(['metadata'], root.metadata, METADATA_FIELDS, 'metadata with name', true);
  const name = c.string(['metadata', 'name'], metadata?.name, {
    required: true,
    pattern: SLO_NAME_PATTERN,
    allowed: 'must be 1-64 characters: a letter or digit, then letters, digits, ".", "_" or "-"',
  });
  const spec = c.object(['spec'], root.spec, SLO_SPEC_FIELDS, 'an SLO spec', true);
  if (spec === undefined) throw new OpenSloError(c.problems, source);
  const description = c.string(['spec', 'description'], spec.description, { maxLength: 1050 });
  const method = budgetingMethod(c, spec);
  const target = objective(c, spec);
  const period = timeWindow(c, spec);
  const sli = indicator(c, root, spec, notes);
  if (sli.kind === 'threshold' && method === 'occurrences') {
    c.fail(
      ['spec', 'budgetingMethod'],
      'must be "Timeslices" for a thresholdMetric SLI: a statistic such as p99 judges a time slice, it counts no events ' +
        '(for Occurrences, count the samples in a ratioMetric, e.g. good: stat TC(:300), total: stat SampleCount)',
      spec.budgetingMethod,
    );
  }
  const slices = objectiveSlices(c, target.item, method, sli.kind, notes);
  // No time window: Burnwatch's default period; a calendar month: its nominal length. An invalid window is already
  // reported: lookback windows go unchecked.
  const periodMinutes = period.invalid ? Infinity : (period.days ?? SLO_DEFAULTS.periodDays) * MINUTES_PER_DAY;
  const limits: RuleLimits = { periodMinutes, ...(method === 'timeslices' && { sliceGuard: defaultTrafficGuard('timeslices') }) };
  const rules = alertRules(c, spec, limits, notes);
  if (rules !== undefined && rules.length === 0 && c.problems.length === 0) {
    c.failDescribed(['spec', 'alertPolicies'], 'must hold at least one burnrate condition, or be omitted for the SRE Workbook policy', 'none');
  }
  const sliProp = sliProps(sli, slices);
  if (c.problems.length > 0 || name === undefined || target.percent === undefined || sliProp === undefined) throw new OpenSloError(c.problems, source);

  const props: SloProps = {
    name,
    ...(description !== undefined && { description }),
    objective: target.percent,
    ...(period.days !== undefined && { periodDays: period.days }),
    ...(period.calendar !== undefined && { calendar: period.calendar }),
    ...(method === 'timeslices' && { budgeting: method }),
    ...(slices.timeSliceMinutes !== undefined && { timeSliceMinutes: slices.timeSliceMinutes }),
    ...(slices.timeSliceTarget !== undefined && { timeSliceTarget: slices.timeSliceTarget as number }),
    sli: sliProp,
    ...(rules !== undefined && { alerting: { rules: rules.map((r) => r.rule) } }),
  };
  // The Burnwatch validator has the last word (duplicate window pairs, rules that cannot fire, SLI expressions).
  const slo: ConfigPath = ['slos', 0];
  const sliPath: ConfigPath = [...SLI_SPEC_PATH, sli.kind === 'threshold' ? 'thresholdMetric' : 'ratioMetric'];
  const origins: Origin[] = [
    { propsPath: slo, openSloPath: [] },
    { propsPath: [...slo, 'name'], openSloPath: ['metadata', 'name'] },
    { propsPath: [...slo, 'objective'], openSloPath: target.path },
    { propsPath: [...slo, 'periodDays'], openSloPath: [...WINDOW_PATH, 'duration'] },
    { propsPath: [...slo, 'calendar'], openSloPath: [...WINDOW_PATH, 'calendar'] },
    { propsPath: [...slo, 'budgeting'], openSloPath: ['spec', 'budgetingMethod'] },
    { propsPath: [...slo, 'timeSliceMinutes'], openSloPath: [...OBJECTIVE_PATH, 'timeSliceWindow'] },
    { propsPath: [...slo, 'timeSliceTarget'], openSloPath: [...OBJECTIVE_PATH, 'timeSliceTarget'] },
    { propsPath: [...slo, 'sli'], openSloPath: sliPath },
    { propsPath: [...slo, 'sli', 'threshold', 'metric'], openSloPath: [...sliPath, 'metricSource', 'spec'] },
    { propsPath: [...slo, 'sli', 'threshold', 'op'], openSloPath: [...OBJECTIVE_PATH, 'op'] },
    { propsPath: [...slo, 'sli', 'threshold', 'value'], openSloPath: [...OBJECTIVE_PATH, 'value'] },
    { propsPath: [...slo, 'alerting', 'rules'], openSloPath: ['spec', 'alertPolicies'] },
    ...(rules ?? []).map((r, index) => ({ propsPath: [...slo, 'alerting', 'rules', index], openSloPath: r.path })),
  ];
  const problems = validateBurnwatchProps({ slos: [props] }).map((problem) => translate(problem, origins));
  if (problems.length > 0) throw new OpenSloError(problems, source);
  return { props, sliProblems: sli.problems, notes };
}

/** The `SloProps` of an OpenSLO v1 SLO document whose SLI Burnwatch can read from CloudWatch; throws `OpenSloError`. */
export function openSloToSloProps(doc: unknown, source: string): SloProps {
  const conversion = convertOpenSlo(doc, source);
  if (conversion.sliProblems.length > 0) throw new OpenSloError(conversion.sliProblems, source);
  return conversion.props;
}
