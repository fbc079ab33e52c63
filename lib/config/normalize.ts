/**
 * Turns validated `BurnwatchProps` into the domain's `RuntimeConfig` (every default applied, rules computed) plus
 * the settings only the CDK side needs (schedule, timeout, concurrency, memory).
 */
import type {
  CalendarPeriod,
  EvaluatorSettings,
  MetricDefinition,
  RuntimeConfig,
  SliDefinition,
  SloDefinition,
  TenantOverride,
  TenantSelection,
  TimeSliceBudgeting,
} from '../../lambda/domain/model';
import { EVALUATOR_DEFAULTS, SLO_DEFAULTS, defaultTimeoutSeconds } from './defaults';
import type {
  BudgetingMethod,
  BurnwatchProps,
  EvaluatorProps,
  SliMetricProps,
  SliProps,
  SloProps,
  TenantOverrideProps,
  TenantsProps,
  ThresholdSliProps,
} from './props';
import { resolveBurnRateRules } from './rules';
import { GET_METRIC_DATA_DATAPOINT_QUOTA } from '../../lambda/domain/query-plan';
import type { DatapointRates } from '../../lambda/domain/query-plan';
import { assertValidBurnwatchProps, defaultTrafficGuard } from './validate';
import type { AlertsProps } from './alerts';
import { normalizeWorkflowProps } from './workflow';
import type { NormalizedWorkflowConfig } from './workflow';

/** How the evaluator function is deployed; not part of what the function reads at run time. */
export interface EvaluatorFunctionSettings {
  readonly scheduleMinutes: number;
  readonly timeoutSeconds: number;
  readonly reservedConcurrency: number;
  readonly memorySize: number;
  /** Set only when `evaluator.shards` is above 1: the tick fans out over tenant shards through a Step Functions Map. */
  readonly fanout?: EvaluatorFanoutSettings;
}

/** How a sharded tick fans out. */
export interface EvaluatorFanoutSettings {
  /** Tenant shards per tick (above 1). */
  readonly shards: number;
  /** Shards evaluated at once (the Map's MaxConcurrency). */
  readonly maxConcurrentShards: number;
  /**
   * How long the tick waits for its `Discover` step before the shards run without it (the task's TimeoutSeconds).
   * @default 10 (`EVALUATOR_DEFAULTS.discoveryTimeoutSeconds`)
   */
  readonly discoveryTimeoutSeconds?: number;
}

export interface NormalizedBurnwatchConfig {
  /** What the evaluator reads from `BURNWATCH_CONFIG`. */
  readonly runtime: RuntimeConfig;
  readonly evaluatorFunction: EvaluatorFunctionSettings;
  /** What the incident workflow's functions read, and what its construct needs. */
  readonly workflow: NormalizedWorkflowConfig;
  /** Alert delivery, as configured (validated; the stack turns it into subscriptions). */
  readonly alerts: AlertsProps;
}

/** The id a threshold SLI's one metric gets (it is not written in the props: nothing refers to it). */
export const THRESHOLD_METRIC_ID = 'value';

/** A threshold SLI is the one with a `threshold`; a ratio SLI has none. */
export function isThresholdSli(sli: SliProps): sli is ThresholdSliProps {
  return sli.threshold !== undefined;
}

/** What the budget counts: as written, else time slices for a threshold SLI and events for a ratio SLI. */
export function budgetingOf(slo: SloProps): BudgetingMethod {
  return slo.budgeting ?? (isThresholdSli(slo.sli) ? 'timeslices' : 'occurrences');
}

function normalizeMetric(id: string, metric: SliMetricProps): MetricDefinition {
  return {
    id,
    metricName: metric.metricName,
    stat: metric.stat ?? SLO_DEFAULTS.stat,
    ...(metric.namespace !== undefined && { namespace: metric.namespace }),
    ...(metric.dimensions !== undefined && { dimensions: { ...metric.dimensions } }),
  };
}

function normalizeSli(sli: SliProps): SliDefinition {
  if (isThresholdSli(sli)) {
    return {
      kind: 'threshold',
      namespace: sli.namespace,
      tenantDimension: sli.tenantDimension,
      dimensions: { ...sli.dimensions },
      metric: normalizeMetric(THRESHOLD_METRIC_ID, sli.threshold.metric),
      op: sli.threshold.op,
      threshold: sli.threshold.value,
    };
  }
  const metrics = Object.entries(sli.metrics).map(([id, metric]) => normalizeMetric(id, metric));
  return {
    kind: 'ratio',
    namespace: sli.namespace,
    tenantDimension: sli.tenantDimension,
    dimensions: { ...sli.dimensions },
    metrics,
    ...(sli.bad !== undefined && { bad: sli.bad }),
    ...(sli.good !== undefined && { good: sli.good }),
    total: sli.total,
  };
}

function normalizeTenants(tenants: TenantsProps | undefined): TenantSelection {
  if (tenants?.list !== undefined) return { mode: 'list', tenants: [...tenants.list] };
  return {
    mode: 'discover',
    refreshMinutes: tenants?.discover?.refreshMinutes ?? SLO_DEFAULTS.tenantRefreshMinutes,
    exclude: [...(tenants?.discover?.exclude ?? [])],
  };
}

function normalizeOverrides(overrides: Readonly<Record<string, TenantOverrideProps>> | undefined): Record<string, TenantOverride> {
  const result: Record<string, TenantOverride> = {};
  for (const [tenant, override] of Object.entries(overrides ?? {})) {
    result[tenant] = {
      ...(override.objective !== undefined && { objectivePercent: override.objective }),
      ...(override.muted !== undefined && { muted: override.muted }),
    };
  }
  return result;
}

function normalizeTimeSlices(slo: SloProps): TimeSliceBudgeting | undefined {
  if (budgetingOf(slo) !== 'timeslices') return undefined;
  return {
    sliceMinutes: slo.timeSliceMinutes ?? SLO_DEFAULTS.timeSliceMinutes,
    // Validation requires it for a ratio SLI and refuses it for a threshold SLI.
    timeSliceTarget: isThresholdSli(slo.sli) ? null : (slo.timeSliceTarget ?? null),
  };
}

function normalizeCalendar(slo: SloProps): CalendarPeriod | undefined {
  if (slo.calendar === undefined) return undefined;
  return { unit: slo.calendar.unit ?? SLO_DEFAULTS.calendarUnit, timeZone: slo.calendar.timeZone ?? SLO_DEFAULTS.timeZone };
}

/** One SLO in runtime form. The props must be valid (see `validateBurnwatchProps`). */
export function normalizeSlo(slo: SloProps): SloDefinition {
  const periodDays = slo.periodDays ?? SLO_DEFAULTS.periodDays;
  const alerting = slo.alerting;
  const timeSlices = normalizeTimeSlices(slo);
  const calendar = normalizeCalendar(slo);
  const guard = defaultTrafficGuard(budgetingOf(slo));
  return {
    name: slo.name,
    ...(slo.description !== undefined && { description: slo.description }),
    objectivePercent: slo.objective,
    periodDays,
    sli: normalizeSli(slo.sli),
    ...(timeSlices !== undefined && { timeSlices }),
    ...(calendar !== undefined && { calendar }),
    rules: resolveBurnRateRules(alerting?.rules, periodDays),
    trafficGuard: {
      minEventsInLongWindow: alerting?.trafficGuard?.minEventsInLongWindow ?? guard.minEventsInLongWindow,
      minBadEventsInShortWindow: alerting?.trafficGuard?.minBadEventsInShortWindow ?? guard.minBadEventsInShortWindow,
    },
    tenants: normalizeTenants(slo.tenants),
    overrides: normalizeOverrides(slo.overrides),
    resolveAfterMinutes: alerting?.resolveAfterMinutes ?? SLO_DEFAULTS.resolveAfterMinutes,
    hysteresisRatio: alerting?.hysteresisRatio ?? SLO_DEFAULTS.hysteresisRatio,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function withEvaluatorDefaults(evaluator: EvaluatorProps | undefined): Required<EvaluatorProps> {
  const merged: Mutable<Required<EvaluatorProps>> = { ...EVALUATOR_DEFAULTS };
  // An explicit `undefined` means "not set", so it must not replace the default the way a spread would.
  for (const [field, value] of Object.entries(evaluator ?? {}) as [keyof EvaluatorProps, number | undefined][]) {
    if (value !== undefined) merged[field] = value;
  }
  // The same default validation checked: a sharded tick leaves room for its discovery.
  if (evaluator?.timeoutSeconds === undefined) merged.timeoutSeconds = defaultTimeoutSeconds(merged.shards);
  return merged;
}

/** Evaluator invocations that run at once: one, or the shards the Map runs together. */
function concurrentInvocations(evaluator: Required<EvaluatorProps>): number {
  return evaluator.shards > 1 ? Math.min(evaluator.shards, evaluator.maxConcurrentShards) : 1;
}

/**
 * One invocation's part of the account's GetMetricData datapoint quotas: the configured share, split evenly over the
 * invocations that run at once (the Map runs at most maxConcurrentShards shards together).
 */
function datapointShare(evaluator: Required<EvaluatorProps>): DatapointRates {
  const concurrent = concurrentInvocations(evaluator);
  const part = (rate: number): number => Math.max(1, Math.floor((rate * evaluator.getMetricDataQuotaShare) / concurrent));
  return { recent: part(GET_METRIC_DATA_DATAPOINT_QUOTA.recent), older: part(GET_METRIC_DATA_DATAPOINT_QUOTA.older) };
}

/** Validates (throwing one `BurnwatchConfigError` with every problem), then applies every documented default. */
export function normalizeBurnwatchProps(props: BurnwatchProps, source?: string): NormalizedBurnwatchConfig {
  assertValidBurnwatchProps(props, source);
  const evaluator = withEvaluatorDefaults(props.evaluator);
  const settings: EvaluatorSettings = {
    dataDelayMinutes: evaluator.dataDelayMinutes,
    slowRefreshMinutes: evaluator.slowRefreshMinutes,
    maxConcurrentRequests: evaluator.maxConcurrentRequests,
    heartbeatMinutes: evaluator.heartbeatMinutes,
    historyTtlDays: evaluator.historyTtlDays,
    groupingIntervalMinutes: evaluator.groupingIntervalMinutes,
    groupingTenantShare: evaluator.groupingTenantShare,
    // The budget is per tick across the deployment: every shard of a tick reads within the same minute against the
    // same account-wide GetMetricData quota, so each invocation gets an equal share (validation keeps it >= 10).
    warmupDatapointsPerTick: Math.floor(evaluator.warmupDatapointsPerTick / evaluator.shards),
    datapointsPerSecond: datapointShare(evaluator),
    getMetricDataCallsPerSecond: (evaluator.getMetricDataTps * evaluator.getMetricDataQuotaShare) / concurrentInvocations(evaluator),
  };
  return {
    runtime: { schemaVersion: 1, slos: props.slos.map(normalizeSlo), evaluator: settings },
    evaluatorFunction: {
      scheduleMinutes: evaluator.scheduleMinutes,
      timeoutSeconds: evaluator.timeoutSeconds,
      reservedConcurrency: evaluator.reservedConcurrency,
      memorySize: evaluator.memorySize,
      // One shard is the plain scheduled function: no fan-out settings, so nothing about it changes.
      ...(evaluator.shards > 1 && {
        fanout: {
          shards: evaluator.shards,
          maxConcurrentShards: evaluator.maxConcurrentShards,
          discoveryTimeoutSeconds: evaluator.discoveryTimeoutSeconds,
        },
      }),
    },
    workflow: normalizeWorkflowProps(props.workflow),
    alerts: props.alerts ?? {},
  };
}
