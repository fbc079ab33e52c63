/**
 * The shared vocabulary of Burnwatch: every type that crosses a boundary between the domain, the adapters,
 * the handlers, the Step Functions workflow and DynamoDB. Pure types and constants, no behaviour.
 *
 * Time is always epoch milliseconds (UTC) in the domain; ISO-8601 strings only at the edges (alerts, files).
 */

import type { DatapointRates } from './query-plan';
export type Severity = 'page' | 'ticket';
/** A tenant's alert level for one SLO: `ok`, or the highest severity currently firing. */
export type AlertLevel = 'ok' | Severity;
export const ALERT_LEVELS: readonly AlertLevel[] = ['ok', 'ticket', 'page'];
/** Numeric rank so levels compare: ok < ticket < page. */
export const LEVEL_RANK: Readonly<Record<AlertLevel, number>> = { ok: 0, ticket: 1, page: 2 };

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

// ---------------------------------------------------------------------------------------------------------
// SLO definitions (normalised runtime form: every default applied, every field validated at synth)
// ---------------------------------------------------------------------------------------------------------

/** One CloudWatch metric of an SLI, referenced by `id` from the bad/good/total expressions. */
export interface MetricDefinition {
  /** Metric-math id: starts with a lowercase letter, then letters, digits and underscores. */
  readonly id: string;
  readonly metricName: string;
  /** CloudWatch statistic, e.g. `Sum`, `SampleCount`, `TC(:250)`. */
  readonly stat: string;
  /** Overrides the SLI namespace for this metric. */
  readonly namespace?: string;
  /** Extra fixed dimensions for this metric, merged over the SLI's dimensions. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * A ratio SLI: events counted per minute, per tenant. `total` and one of `bad` / `good` are metric-math
 * expressions over the metric ids; the missing one of bad/good is derived as `total - other`.
 */
export interface RatioSli {
  readonly kind: 'ratio';
  readonly namespace: string;
  /** Name of the dimension that carries the tenant id, e.g. `TenantId`. */
  readonly tenantDimension: string;
  /** Fixed dimensions shared by all metrics, e.g. `{ Service: 'api' }`. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricDefinition[];
  readonly bad?: string;
  readonly good?: string;
  readonly total: string;
}

/** How a threshold SLI compares a slice's statistic with its threshold: the slice is good when `value op threshold`. */
export type ThresholdOperator = 'lt' | 'lte' | 'gt' | 'gte';
export const THRESHOLD_OPERATORS: readonly ThresholdOperator[] = ['lt', 'lte', 'gt', 'gte'];

/**
 * A threshold SLI (OpenSLO `thresholdMetric`): one statistic per tenant and time slice, e.g. the p99 of a latency
 * metric; a slice is good when `value op threshold` holds. It is always budgeted by time slices.
 */
export interface ThresholdSli {
  readonly kind: 'threshold';
  readonly namespace: string;
  /** Name of the dimension that carries the tenant id, e.g. `TenantId`. */
  readonly tenantDimension: string;
  /** Fixed dimensions shared by the metric, e.g. `{ Service: 'api' }`. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** The metric and its per-slice statistic, e.g. `p99` of `Latency`. */
  readonly metric: MetricDefinition;
  readonly op: ThresholdOperator;
  readonly threshold: number;
}

export type SliDefinition = RatioSli | ThresholdSli;

/**
 * Time-slice budgeting (OpenSLO `budgetingMethod: Timeslices`): the budget counts bad slices (minutes), not bad
 * events. In the count series a slice is a bucket with `total` = its length in minutes and `bad` = that length when
 * the slice is bad, 0 when good; a slice with no data counts neither way.
 */
export interface TimeSliceBudgeting {
  /** Length of a slice in minutes (a whole number that divides 60). */
  readonly sliceMinutes: number;
  /** Ratio SLIs only: a slice is good when good / total reaches this, in (0, 1]. Null for threshold SLIs. */
  readonly timeSliceTarget: number | null;
}

/** A calendar budget period (OpenSLO `isRolling: false`): the budget resets when each calendar month starts in `timeZone`. */
export interface CalendarPeriod {
  readonly unit: 'month';
  /** IANA time zone name, e.g. `UTC` or `Europe/Paris`. */
  readonly timeZone: string;
}

/** A multiwindow burn-rate rule: fires when both windows burn at or above `burnRate`. */
export interface BurnRateRule {
  /** Stable name, `<long>/<short>` e.g. `1h/5m`. */
  readonly name: string;
  readonly severity: Severity;
  readonly longWindowMinutes: number;
  readonly shortWindowMinutes: number;
  /** Burn-rate factor, e.g. 14.4. */
  readonly burnRate: number;
}

/** Low-traffic protection: a rule only fires with enough evidence. */
export interface TrafficGuard {
  /** Minimum total events in the rule's long window. */
  readonly minEventsInLongWindow: number;
  /** Minimum bad events in the rule's short window. */
  readonly minBadEventsInShortWindow: number;
}

export type TenantSelection =
  | { readonly mode: 'list'; readonly tenants: readonly string[] }
  | { readonly mode: 'discover'; readonly refreshMinutes: number; readonly exclude: readonly string[] };

export interface TenantOverride {
  readonly objectivePercent?: number;
  /** Evaluated but never alerted (e.g. internal test tenants). */
  readonly muted?: boolean;
}

export interface SloDefinition {
  readonly name: string;
  readonly description?: string;
  /** Objective in percent, in (0, 100), e.g. 99.9. */
  readonly objectivePercent: number;
  /**
   * Rolling period of the error budget, in days. With a `calendar` period it is the nominal length that burn-rate
   * factors are derived from (e.g. 30 for a month).
   */
  readonly periodDays: number;
  readonly sli: SliDefinition;
  /** Time-slice budgeting; absent: every event counts (OpenSLO `Occurrences`). Always present for a threshold SLI. */
  readonly timeSlices?: TimeSliceBudgeting;
  /** A calendar period; absent: the budget period rolls over the last `periodDays`. */
  readonly calendar?: CalendarPeriod;
  readonly rules: readonly BurnRateRule[];
  readonly trafficGuard: TrafficGuard;
  readonly tenants: TenantSelection;
  readonly overrides: Readonly<Record<string, TenantOverride>>;
  /** An alert level drops only after no rule of that level fired for this long. */
  readonly resolveAfterMinutes: number;
  /**
   * While a rule is firing it keeps firing until both windows fall below `burnRate * hysteresisRatio`,
   * so an alert does not flap at the threshold. 1 disables hysteresis.
   */
  readonly hysteresisRatio: number;
}

export interface EvaluatorSettings {
  /** The newest minutes are incomplete in CloudWatch; windows end this many whole minutes before now. */
  readonly dataDelayMinutes: number;
  /** How often the coarse (hourly) series used for long windows and the period budget is refreshed. */
  readonly slowRefreshMinutes: number;
  /** Concurrent GetMetricData calls. */
  readonly maxConcurrentRequests: number;
  /** Unchanged state is rewritten at least this often, so readers can tell a live tenant from a stale one. */
  readonly heartbeatMinutes: number;
  /** History items expire after this many days (DynamoDB TTL). */
  readonly historyTtlDays: number;
  /** Burns on one SLO that start within this interval may join one incident. */
  readonly groupingIntervalMinutes: number;
  /** A burn on more than this share (0..1) of an SLO's tenants is treated as one shared incident. */
  readonly groupingTenantShare: number;
  /**
   * Datapoints one invocation may read in a tick to fill empty caches (a cold container, a tenant new to it or out
   * of step): the whole fine horizon and the hourly series of the period. Tenants beyond it are not evaluated this
   * tick but reported as warming, and go first on the next (the account's GetMetricData datapoints-per-second quota
   * cannot serve every tenant's history in one minute at scale). At least one tenant is warmed per tick.
   * The stack sets it (per shard); absent, a cold tick reads every tenant at once (the demo, most tests).
   */
  readonly warmupDatapointsPerTick?: number;
  /**
   * The GetMetricData datapoints per second this invocation paces its reads to: its share of the account's quotas
   * (GET_METRIC_DATA_DATAPOINT_QUOTA), so a warm-up waits for quota instead of being throttled into failures.
   * The stack sets it; absent, reads are not paced (the demo, most tests).
   */
  readonly datapointsPerSecond?: DatapointRates;
  /** The GetMetricData calls per second this invocation paces its reads to, its share of the account's quota. */
  readonly getMetricDataCallsPerSecond?: number;
}

export interface RuntimeConfig {
  readonly schemaVersion: 1;
  readonly slos: readonly SloDefinition[];
  readonly evaluator: EvaluatorSettings;
}

// ---------------------------------------------------------------------------------------------------------
// Metric series
// ---------------------------------------------------------------------------------------------------------

/** Event counts in one bucket that starts at `start` (epoch ms). Absent buckets mean no traffic. */
export interface CountBucket {
  readonly start: number;
  readonly total: number;
  readonly bad: number;
}

/** A tenant's SLI counts at one resolution, buckets sorted by start. */
export interface CountSeries {
  readonly periodSeconds: number;
  readonly buckets: readonly CountBucket[];
}

export interface WindowCounts {
  readonly total: number;
  readonly bad: number;
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation results
// ---------------------------------------------------------------------------------------------------------

export interface WindowBurn {
  readonly windowMinutes: number;
  readonly total: number;
  readonly bad: number;
  /** bad / total; 0 when there was no traffic. */
  readonly errorRatio: number;
  /** errorRatio / (1 - objective). */
  readonly burnRate: number;
}

export interface RuleResult {
  readonly rule: BurnRateRule;
  readonly longBurnRate: number;
  readonly shortBurnRate: number;
  /** Both windows at or above the factor and the traffic guard satisfied. */
  readonly firing: boolean;
  /** Burn rates were high enough but the traffic guard held the rule back. */
  readonly guarded: boolean;
}

export interface TenantEvaluation {
  readonly slo: string;
  readonly tenant: string;
  readonly objectivePercent: number;
  /** End of the evaluated windows (epoch ms, exclusive). */
  readonly evaluatedAt: number;
  readonly windows: readonly WindowBurn[];
  readonly rules: readonly RuleResult[];
  /** Highest severity among firing rules. */
  readonly level: AlertLevel;
  /** Share of the period's error budget consumed, 0..(>1 when breached). */
  readonly budgetConsumed: number;
  /** 1 - budgetConsumed (negative when breached). */
  readonly budgetRemaining: number;
  /** Minutes until the remaining budget is gone at the shortest window's burn rate; null when not burning. */
  readonly timeToExhaustionMinutes: number | null;
  readonly periodEvents: WindowCounts;
}

// ---------------------------------------------------------------------------------------------------------
// Persistent state (DynamoDB)
// ---------------------------------------------------------------------------------------------------------

export const STATE_SCHEMA_VERSION = 1;

/** Per tenant+SLO alert state. `version` increases by one on every write (optimistic concurrency). */
export interface TenantAlertState {
  readonly schemaVersion: number;
  readonly slo: string;
  readonly tenant: string;
  readonly level: AlertLevel;
  /** When the current non-ok level was first entered. */
  readonly levelSince: number | null;
  /** Last time any rule of the current level was firing. */
  readonly lastFiringAt: number | null;
  /** Names of rules firing (or held by hysteresis) at the last evaluation. */
  readonly activeRules: readonly string[];
  readonly incidentId: string | null;
  /** Burn rate per window in minutes, e.g. `{ "5": 20.1, "60": 15.2 }`. */
  readonly burnRates: Readonly<Record<string, number>>;
  readonly budgetRemaining: number;
  readonly timeToExhaustionMinutes: number | null;
  readonly updatedAt: number;
  readonly version: number;
}

export type AlertTransition = 'none' | 'opened' | 'escalated' | 'deescalated' | 'resolved';

// ---------------------------------------------------------------------------------------------------------
// Incidents: one or more tenants from day one
// ---------------------------------------------------------------------------------------------------------

export type IncidentStatus = 'open' | 'mitigating' | 'resolved';

export interface IncidentTenant {
  readonly tenant: string;
  readonly joinedAt: number;
  readonly level: Severity;
  readonly burnRates: Readonly<Record<string, number>>;
  readonly budgetRemainingAtJoin: number;
  readonly recoveredAt: number | null;
  /** Budget (share of the period) lost between joining and recovery. */
  readonly budgetLost: number | null;
}

export interface TimelineEntry {
  readonly at: number;
  readonly step: string;
  readonly detail: string;
}

export interface Incident {
  readonly id: string;
  readonly slo: string;
  readonly severity: Severity;
  readonly status: IncidentStatus;
  readonly openedAt: number;
  readonly resolvedAt: number | null;
  readonly tenants: readonly IncidentTenant[];
  readonly executionArn: string | null;
  readonly suspectedCause: string | null;
  readonly failureMode: FailureMode | null;
  readonly forensicUri: string | null;
  readonly timeline: readonly TimelineEntry[];
  readonly version: number;
}

// ---------------------------------------------------------------------------------------------------------
// Incident workflow: evidence, correlation, mitigation
// ---------------------------------------------------------------------------------------------------------

export type FailureMode = 'deployment' | 'capacity' | 'database-failover' | 'cold-start' | 'overload' | 'dependency' | 'unknown';
export const FAILURE_MODES: readonly FailureMode[] = [
  'deployment',
  'capacity',
  'database-failover',
  'cold-start',
  'overload',
  'dependency',
  'unknown',
];

export type EvidenceSource = 'autoscaling' | 'rds' | 'codedeploy' | 'lambda' | 'xray' | 'logs' | 'load';

/** One event or observation a collector found, in a form correlation can rank. */
export interface EvidenceItem {
  readonly source: EvidenceSource;
  /** What this evidence suggests, if it were the cause. */
  readonly failureMode: FailureMode;
  /** The resource it concerns (ARN or name), used for grouping and for acting once per resource. */
  readonly resource: string;
  /** When it happened (start), epoch ms. */
  readonly at: number;
  /** When it ended, if it has. */
  readonly endedAt: number | null;
  /** One line a responder can read, e.g. `deployment d-4F2 to api-prod (InProgress)`. */
  readonly summary: string;
  /** Tenants it is known to affect; empty when it is shared infrastructure. */
  readonly tenants: readonly string[];
  /** Source-specific facts (ids, counts, statuses). */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

/** What one collector returned: its evidence, or why it could not look. */
export type CollectorResult =
  | { readonly source: EvidenceSource; readonly status: 'ok'; readonly items: readonly EvidenceItem[] }
  | { readonly source: EvidenceSource; readonly status: 'unavailable'; readonly reason: string };

export interface RankedCause {
  readonly evidence: EvidenceItem;
  /** 0..1 */
  readonly score: number;
  /** Why it ranked where it did, in words. */
  readonly reasons: readonly string[];
}

export interface Correlation {
  readonly suspectedCause: string;
  readonly failureMode: FailureMode;
  /** 0..1 */
  readonly confidence: number;
  readonly ranked: readonly RankedCause[];
}

export type MitigationMode = 'off' | 'recommend' | 'auto';
export type ActionKind = 'codedeploy-rollback' | 'asg-scale-out' | 'notify-only';

export interface PlannedAction {
  readonly kind: ActionKind;
  readonly resource: string;
  /** e.g. `{ deploymentId: 'd-123' }` or `{ newMax: 12, newDesired: 10 }`. */
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** Whether the guards allow executing it now; otherwise it is recommended only. */
  readonly allowed: boolean;
  /** Why the guards blocked it (empty when allowed). */
  readonly blockedBy: readonly string[];
  readonly requiresApproval: boolean;
  readonly reason: string;
}

export type ActionOutcome = 'succeeded' | 'failed' | 'skipped';

export interface ActionResult {
  readonly action: PlannedAction;
  readonly outcome: ActionOutcome;
  readonly detail: string;
  readonly at: number;
}

/** What an action achieved in the past for one failure mode (the workflow learns from this). */
export interface ActionStats {
  readonly failureMode: FailureMode;
  readonly kind: ActionKind;
  readonly attempts: number;
  readonly recoveries: number;
  readonly totalRecoveryMinutes: number;
}

// ---------------------------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------------------------

export type AlertEventType = 'opened' | 'escalated' | 'mitigated' | 'resolved';
