/**
 * Turns validated `BurnwatchProps` into the domain's `RuntimeConfig` (every default applied, rules computed) plus
 * the settings only the CDK side needs (schedule, timeout, concurrency, memory).
 */
import type {
  EvaluatorSettings,
  MetricDefinition,
  RatioSli,
  RuntimeConfig,
  SloDefinition,
  TenantOverride,
  TenantSelection,
} from '../../lambda/domain/model';
import { DEFAULT_TRAFFIC_GUARD } from '../../lambda/domain/policy';
import { EVALUATOR_DEFAULTS, SLO_DEFAULTS } from './defaults';
import type { BurnwatchProps, EvaluatorProps, RatioSliProps, SloProps, TenantOverrideProps, TenantsProps } from './props';
import { resolveBurnRateRules } from './rules';
import { assertValidBurnwatchProps } from './validate';
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

function normalizeSli(sli: RatioSliProps): RatioSli {
  const metrics: MetricDefinition[] = Object.entries(sli.metrics).map(([id, metric]) => ({
    id,
    metricName: metric.metricName,
    stat: metric.stat ?? SLO_DEFAULTS.stat,
    ...(metric.namespace !== undefined && { namespace: metric.namespace }),
    ...(metric.dimensions !== undefined && { dimensions: { ...metric.dimensions } }),
  }));
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

/** One SLO in runtime form. The props must be valid (see `validateBurnwatchProps`). */
export function normalizeSlo(slo: SloProps): SloDefinition {
  const periodDays = slo.periodDays ?? SLO_DEFAULTS.periodDays;
  const alerting = slo.alerting;
  return {
    name: slo.name,
    ...(slo.description !== undefined && { description: slo.description }),
    objectivePercent: slo.objective,
    periodDays,
    sli: normalizeSli(slo.sli),
    rules: resolveBurnRateRules(alerting?.rules, periodDays),
    trafficGuard: {
      minEventsInLongWindow: alerting?.trafficGuard?.minEventsInLongWindow ?? DEFAULT_TRAFFIC_GUARD.minEventsInLongWindow,
      minBadEventsInShortWindow: alerting?.trafficGuard?.minBadEventsInShortWindow ?? DEFAULT_TRAFFIC_GUARD.minBadEventsInShortWindow,
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
  return merged;
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
  };
  return {
    runtime: { schemaVersion: 1, slos: props.slos.map(normalizeSlo), evaluator: settings },
    evaluatorFunction: {
      scheduleMinutes: evaluator.scheduleMinutes,
      timeoutSeconds: evaluator.timeoutSeconds,
      reservedConcurrency: evaluator.reservedConcurrency,
      memorySize: evaluator.memorySize,
      // One shard is the plain scheduled function: no fan-out settings, so nothing about it changes.
      ...(evaluator.shards > 1 && { fanout: { shards: evaluator.shards, maxConcurrentShards: evaluator.maxConcurrentShards } }),
    },
    workflow: normalizeWorkflowProps(props.workflow),
    alerts: props.alerts ?? {},
  };
}
