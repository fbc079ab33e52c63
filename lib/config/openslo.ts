/**
 * OpenSLO v1 import: an `apiVersion: openslo/v1`, `kind: SLO` document becomes the same `SloProps` a
 * burnwatch.yaml SLO gives, so the stack and `burnwatch backtest` accept either.
 *
 * Mapping (every other combination is refused with the field named):
 * - `metadata.name` -> name; `spec.description` -> description.
 * - `spec.objectives[0].target` (0..1) or `targetPercent` -> objective (percent). Exactly one objective.
 * - `spec.timeWindow[0].duration` (`28d`, `4w`) with `isRolling: true` -> periodDays.
 * - `spec.indicator.spec.ratioMetric` good/bad + total with `metricSource.type: CloudWatch` and
 *   `spec: { namespace, metricName, stat, dimensions }` -> one metric each (ids `good`, `bad`, `total`). OpenSLO
 *   has no tenant: the annotation `burnwatch.io/tenant-dimension` names the dimension that carries it.
 * - `spec.alertPolicies[].spec.conditions[]` (inline, `kind: burnrate`) -> one rule each: long window =
 *   `lookbackWindow`, short window = long / 12 (the Workbook's ratio), burnRate = `threshold`. Severity is the
 *   condition's `spec.severity`, else a `severity` label on the condition or the policy; without one, a
 *   threshold >= 6 pages and a lower one opens a ticket. No alert policies: the Workbook policy.
 */
import { defaultShortWindowMinutes, formatWindow } from '../../lambda/domain/policy';
import type { Severity } from '../../lambda/domain/model';
import { SLO_DEFAULTS } from './defaults';
import { BurnwatchConfigError, formatPath, formatProblem } from './errors';
import type { ConfigPath, ConfigProblem } from './errors';
import type { BurnRateRuleProps, RatioSliProps, SliMetricProps, SloProps } from './props';
import { ConfigChecker, SLO_NAME_PATTERN, validateBurnwatchProps } from './validate';

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

function objective(c: ConfigChecker, spec: Raw): { percent?: number; path: ConfigPath } {
  const path: ConfigPath = ['spec', 'objectives'];
  const list = c.list(path, spec.objectives, 'a list with exactly one objective', true);
  if (list === undefined) return { path };
  if (list.length > 1) {
    c.failDescribed(path, 'must have exactly one objective (Burnwatch evaluates one objective per SLO: write one SLO per objective)', `${list.length} objectives`);
  }
  const itemPath: ConfigPath = [...path, 0];
  const item = c.object(itemPath, list[0], OBJECTIVE_FIELDS, 'an objective with target or targetPercent', true);
  if (item === undefined) return { path: itemPath };
  refuse(c, [...itemPath, 'op'], item.op, 'must be omitted: op and value belong to thresholdMetric SLIs, which are not supported yet');
  refuse(c, [...itemPath, 'value'], item.value, 'must be omitted: op and value belong to thresholdMetric SLIs, which are not supported yet');
  refuse(c, [...itemPath, 'timeSliceTarget'], item.timeSliceTarget, 'must be omitted: Timeslices budgeting is not supported yet');
  refuse(c, [...itemPath, 'timeSliceWindow'], item.timeSliceWindow, 'must be omitted: Timeslices budgeting is not supported yet');
  if (item.target !== undefined && item.targetPercent !== undefined) {
    c.failDescribed(itemPath, 'must give exactly one of target (0..1) or targetPercent (0..100)', 'both');
    return { path: itemPath };
  }
  if (item.target !== undefined) {
    const target = c.number([...itemPath, 'target'], item.target, { min: 0, minExclusive: true, max: 1, maxExclusive: true });
    // toPrecision drops the float noise of the scaling (0.999 * 100 is 99.89999999999999).
    return { percent: target === undefined ? undefined : Number((target * 100).toPrecision(12)), path: [...itemPath, 'target'] };
  }
  if (item.targetPercent !== undefined) {
    const percent = c.number([...itemPath, 'targetPercent'], item.targetPercent, { min: 0, minExclusive: true, max: 100, maxExclusive: true });
    return { percent, path: [...itemPath, 'targetPercent'] };
  }
  c.failDescribed(itemPath, 'must give exactly one of target (0..1) or targetPercent (0..100)', 'neither');
  return { path: itemPath };
}

function periodDays(c: ConfigChecker, spec: Raw): number | undefined {
  const path: ConfigPath = ['spec', 'timeWindow'];
  if (spec.timeWindow === undefined) return undefined;
  const list = c.list(path, spec.timeWindow, 'a list with exactly one time window', false);
  if (list === undefined) return undefined;
  if (list.length !== 1) c.failDescribed(path, 'must have exactly one time window', `${list.length} windows`);
  const windowPath: ConfigPath = [...path, 0];
  const window = c.object(windowPath, list[0], TIME_WINDOW_FIELDS, 'a time window with duration and isRolling: true', true);
  if (window === undefined) return undefined;
  const calendarAligned = window.isRolling === false || (window.isRolling === undefined && window.calendar !== undefined);
  if (calendarAligned) {
    c.fail([...windowPath, 'isRolling'], 'must be true: calendar-aligned windows are not supported yet', window.isRolling);
  } else if (window.isRolling !== true) {
    c.fail([...windowPath, 'isRolling'], 'must be true (a rolling window)', window.isRolling);
  }
  refuse(c, [...windowPath, 'calendar'], window.calendar, 'must be omitted: calendar-aligned windows are not supported yet');
  const minutes = parseDuration(c, [...windowPath, 'duration'], window.duration, true);
  if (minutes === undefined) return undefined;
  const days = minutes / MINUTES_PER_DAY;
  if (!(Number.isInteger(days) && days >= 1 && days <= MAX_PERIOD_DAYS)) {
    c.fail([...windowPath, 'duration'], `must be a whole number of days from 1 to ${MAX_PERIOD_DAYS}, like "28d" or "4w"`, window.duration);
    return undefined;
  }
  return days;
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
  readonly sli?: RatioSliProps;
  readonly problems: readonly ConfigProblem[];
}

/** The SLI when every side is a CloudWatch metric and the tenant dimension is named; otherwise why not. */
function indicator(c: ConfigChecker, doc: Raw, spec: Raw, notes: string[]): SliResult {
  refuse(c, ['spec', 'indicatorRef'], spec.indicatorRef, 'must be omitted: put the SLI inline under spec.indicator (references are not supported yet)');
  const path: ConfigPath = ['spec', 'indicator'];
  const inline = c.object(path, spec.indicator, INDICATOR_FIELDS, 'an inline SLI with metadata and spec.ratioMetric', spec.indicatorRef === undefined);
  if (inline === undefined) return { problems: [] };
  const sliPath: ConfigPath = [...path, 'spec'];
  const sliSpec = c.object(sliPath, inline.spec, SLI_SPEC_FIELDS, 'an SLI spec with ratioMetric', true);
  if (sliSpec === undefined) return { problems: [] };
  refuse(c, [...sliPath, 'thresholdMetric'], sliSpec.thresholdMetric, 'must be omitted: thresholdMetric SLIs are not supported yet; use ratioMetric');
  const ratioPath: ConfigPath = [...sliPath, 'ratioMetric'];
  const ratio = c.object(ratioPath, sliSpec.ratioMetric, RATIO_FIELDS, 'a ratioMetric with total and good or bad', sliSpec.thresholdMetric === undefined);
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
  const annotationPath: ConfigPath = ['metadata', 'annotations', TENANT_DIMENSION_ANNOTATION];
  const annotations = isRecord(doc.metadata) && isRecord(doc.metadata.annotations) ? doc.metadata.annotations : {};
  const tenantDimension = annotations[TENANT_DIMENSION_ANNOTATION];
  if (typeof tenantDimension !== 'string' || tenantDimension.trim() === '') {
    problems.push({
      path: annotationPath,
      allowed: 'must name the CloudWatch dimension that carries the tenant id, e.g. TenantId (OpenSLO has no notion of tenants)',
      given: tenantDimension === undefined ? 'nothing' : JSON.stringify(tenantDimension),
    });
  }
  const total = metrics.total;
  const numerator: RatioSide = ratio.good !== undefined ? 'good' : 'bad';
  if (problems.length > 0 || total === undefined || metrics[numerator] === undefined || typeof tenantDimension !== 'string') {
    return { problems };
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
  return { sli, problems: [] };
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

function condition(c: ConfigChecker, path: ConfigPath, value: unknown, policy: Raw, periodMinutes: number, notes: string[]): RuleResult | undefined {
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

function alertRules(c: ConfigChecker, spec: Raw, periodMinutes: number, notes: string[]): RuleResult[] | undefined {
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
      const rule = condition(c, [...specPath, 'conditions', conditionIndex], entry, policy, periodMinutes, notes);
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
  if (spec.budgetingMethod !== undefined && spec.budgetingMethod !== 'Occurrences') {
    c.fail(['spec', 'budgetingMethod'], 'must be "Occurrences" (Timeslices and RatioTimeslices are not supported yet)', spec.budgetingMethod);
  }
  const target = objective(c, spec);
  const days = periodDays(c, spec);
  const sli = indicator(c, root, spec, notes);
  // No time window: Burnwatch's default period. An invalid one is already reported: lookback windows go unchecked.
  const periodMinutes = spec.timeWindow === undefined ? SLO_DEFAULTS.periodDays * MINUTES_PER_DAY : days === undefined ? Infinity : days * MINUTES_PER_DAY;
  const rules = alertRules(c, spec, periodMinutes, notes);
  if (rules !== undefined && rules.length === 0 && c.problems.length === 0) {
    c.failDescribed(['spec', 'alertPolicies'], 'must hold at least one burnrate condition, or be omitted for the SRE Workbook policy', 'none');
  }
  if (c.problems.length > 0 || name === undefined || target.percent === undefined) throw new OpenSloError(c.problems, source);

  const props: SloProps = {
    name,
    ...(description !== undefined && { description }),
    objective: target.percent,
    ...(days !== undefined && { periodDays: days }),
    sli: sli.sli ?? STAND_IN_SLI,
    ...(rules !== undefined && { alerting: { rules: rules.map((r) => r.rule) } }),
  };
  // The Burnwatch validator has the last word (duplicate window pairs, rules that cannot fire, SLI expressions).
  const slo: ConfigPath = ['slos', 0];
  const origins: Origin[] = [
    { propsPath: slo, openSloPath: [] },
    { propsPath: [...slo, 'name'], openSloPath: ['metadata', 'name'] },
    { propsPath: [...slo, 'objective'], openSloPath: target.path },
    { propsPath: [...slo, 'periodDays'], openSloPath: ['spec', 'timeWindow', 0, 'duration'] },
    { propsPath: [...slo, 'sli'], openSloPath: ['spec', 'indicator', 'spec', 'ratioMetric'] },
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
