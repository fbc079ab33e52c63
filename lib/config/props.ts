/**
 * The user-facing configuration of Burnwatch: what a team writes in `burnwatch.yaml` or passes to the stack.
 * Every optional field documents its default; `normalizeBurnwatchProps` applies exactly those defaults and turns
 * the result into the domain's `RuntimeConfig`. Units are in the field names (`...Minutes`, `...Days`, `...Seconds`);
 * windows are written like `5m`, `1h`, `3d`.
 *
 * New top-level sections (alert channels, incident workflow) are added as optional fields of `BurnwatchProps`
 * with their own validator in `validate.ts`.
 */
import type { Severity, ThresholdOperator } from '../../lambda/domain/model';
import type { AlertsProps } from './alerts';
import type { WorkflowProps } from './workflow';
import type { ReportsProps } from './reports';

/** Everything Burnwatch watches and how the evaluator runs. */
export interface BurnwatchProps {
  /** The SLOs to evaluate every tick, each per tenant. At least one. */
  readonly slos: readonly SloProps[];
  /**
   * How the evaluator function runs.
   * @default - every field at its documented default
   */
  readonly evaluator?: EvaluatorProps;
  /**
   * How the incident workflow collects context and mitigates (see lib/config/workflow.ts).
   * @default - recommend mode: plan and alert, change nothing; no resources mapped
   */
  readonly workflow?: WorkflowProps;
  /**
   * Where alerts go: email, HTTPS, Slack (AWS Chatbot), PagerDuty, and the operators of Burnwatch itself.
   * @default - alerts are published to the stack's topic only (output `AlertTopicArn`)
   */
  readonly alerts?: AlertsProps;
  /**
   * The monthly per-tenant SLO report, written to the forensic bucket under `reports/YYYY-MM/` and announced on the
   * alert topic (see lib/config/reports.ts).
   * @default - enabled, 02:00 UTC on the 1st of each month, 300 s timeout
   */
  readonly reports?: ReportsProps;
}

/** One service level objective, evaluated separately for every tenant. */
export interface SloProps {
  /** Unique name, 1-64 characters: a letter or digit, then letters, digits, `.`, `_` or `-`. Used in alerts and state keys. */
  readonly name: string;
  /**
   * What the SLO promises, in words, shown in alerts.
   * @default - no description
   */
  readonly description?: string;
  /** Objective in percent, greater than 0 and less than 100, e.g. `99.9`. */
  readonly objective: number;
  /**
   * Length of the rolling period the error budget covers, in whole days from 1 to 90. With `calendar` it is the
   * nominal length of a month (28 to 31) that burn-rate factors are derived from: the budget itself covers the
   * calendar month so far. Time-slice budgeting with slices shorter than 60 minutes allows at most 63 days
   * (CloudWatch keeps 5-minute data for 63 days).
   * @default 30
   */
  readonly periodDays?: number;
  /**
   * A calendar budget period instead of a rolling one: the budget resets when each month starts (an SLA that
   * resets on the 1st).
   * @default - a rolling period of `periodDays`
   */
  readonly calendar?: CalendarProps;
  /**
   * What the error budget counts: `occurrences` (bad events of all events) or `timeslices` (bad slices of all
   * slices with data, e.g. minutes whose p99 missed its threshold). A threshold SLI is always `timeslices`.
   * @default - 'timeslices' for a threshold SLI, 'occurrences' for a ratio SLI
   */
  readonly budgeting?: BudgetingMethod;
  /**
   * Length of a time slice in minutes, with `budgeting: timeslices`: 1, 5, 10, 15, 20, 30 or 60 (it divides an
   * hour, and data older than 15 days, kept at 5-minute resolution, can be read in whole slices). Every rule window
   * must be a whole number of slices.
   * @default 1
   */
  readonly timeSliceMinutes?: number;
  /**
   * Ratio SLIs budgeted by time slices only, and required there: a slice is good when good / total in it reaches
   * this share, greater than 0 and at most 1 (e.g. `0.95`).
   * @default - none; required for a ratio SLI with `budgeting: timeslices`
   */
  readonly timeSliceTarget?: number;
  /**
   * How good and bad are judged, per tenant: a ratio of event counts (`metrics` with `bad`/`good` and `total`), or
   * a threshold on one metric's statistic per time slice (`threshold`).
   */
  readonly sli: SliProps;
  /**
   * When to alert.
   * @default - the SRE Workbook policy with the default traffic guard, resolve delay and hysteresis
   */
  readonly alerting?: SloAlertingProps;
  /**
   * Which tenants to evaluate.
   * @default - discover tenants from the SLI metrics every 15 minutes, excluding none
   */
  readonly tenants?: TenantsProps;
  /**
   * Per-tenant exceptions, keyed by tenant id.
   * @default - no overrides
   */
  readonly overrides?: Readonly<Record<string, TenantOverrideProps>>;
}

/** What the error budget counts (OpenSLO `budgetingMethod` `Occurrences` / `Timeslices`). */
export type BudgetingMethod = 'occurrences' | 'timeslices';

/** A calendar budget period. */
export interface CalendarProps {
  /**
   * The calendar unit the budget resets on; only months are supported.
   * @default 'month'
   */
  readonly unit?: 'month';
  /**
   * IANA time zone whose midnight on the 1st starts each period, e.g. `Europe/Paris`.
   * @default 'UTC'
   */
  readonly timeZone?: string;
}

/** An SLI: a ratio of event counts, or a threshold on a statistic per time slice. */
export type SliProps = RatioSliProps | ThresholdSliProps;

/** Where an SLI's metrics live; shared by both kinds of SLI. */
export interface SliSourceProps {
  /** CloudWatch namespace of the metrics, e.g. `MyService`. */
  readonly namespace: string;
  /** The dimension whose value is the tenant id, e.g. `TenantId`. */
  readonly tenantDimension: string;
  /**
   * Fixed dimensions every metric carries besides the tenant dimension, e.g. `{ Service: api }`.
   * @default - none
   */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * A ratio SLI over CloudWatch metrics published per tenant. `bad`, `good` and `total` are metric-math expressions
 * over the ids in `metrics`, e.g. `bad: errors5xx + timeouts`, `total: requests`. Give exactly one of `bad` or
 * `good`; the other is derived as `total` minus it.
 */
export interface RatioSliProps extends SliSourceProps {
  /** The metrics, keyed by metric-math id: a lowercase letter, then letters, digits or `_`. At least one. */
  readonly metrics: Readonly<Record<string, SliMetricProps>>;
  /**
   * Expression counting bad events. Give this or `good`, not both.
   * @default - derived as `total - (good)`
   */
  readonly bad?: string;
  /**
   * Expression counting good events. Give this or `bad`, not both.
   * @default - derived as `total - (bad)`
   */
  readonly good?: string;
  /** Expression counting all events. */
  readonly total: string;
  readonly threshold?: never;
}

/**
 * A threshold SLI (OpenSLO `thresholdMetric`): per tenant and time slice, one statistic of one metric, e.g. the
 * minute's p99 latency; the slice is good when `statistic op value` holds. Budgeted by time slices.
 */
export interface ThresholdSliProps extends SliSourceProps {
  /** The metric, its per-slice statistic and the threshold a good slice meets. */
  readonly threshold: SliThresholdProps;
  readonly metrics?: never;
  readonly bad?: never;
  readonly good?: never;
  readonly total?: never;
}

/** A good slice: `metric`'s statistic over the slice `op` `value`, e.g. p99 `lte` 300. */
export interface SliThresholdProps {
  /** The metric and the statistic judged per slice. */
  readonly metric: ThresholdMetricProps;
  /** How the statistic compares with `value` in a good slice: `lt`, `lte`, `gt` or `gte`. */
  readonly op: ThresholdOperator;
  /** The threshold, in the metric's unit (e.g. milliseconds): a finite number. */
  readonly value: number;
}

/** One CloudWatch metric of an SLI. */
export interface SliMetricProps {
  /** CloudWatch metric name, e.g. `Requests`. */
  readonly metricName: string;
  /**
   * Statistic that turns a minute of the metric into an event count.
   * @default 'Sum'
   */
  readonly stat?: string;
  /**
   * Namespace of this metric when it differs from the SLI's.
   * @default - the SLI's namespace
   */
  readonly namespace?: string;
  /**
   * Fixed dimensions of this metric, merged over the SLI's dimensions.
   * @default - the SLI's dimensions only
   */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * The metric of a threshold SLI. Its `stat` is required: any CloudWatch statistic, e.g. `p99`, `tm99`, `Average`,
 * `Maximum`, `TC(:300)` (a TC needs a bound).
 */
export interface ThresholdMetricProps extends SliMetricProps {
  /** Statistic judged per slice, e.g. `p99`. */
  readonly stat: string;
}

/** When an SLO alerts. */
export interface SloAlertingProps {
  /**
   * Multiwindow burn-rate rules. Each pair of windows may appear once.
   * @default - the SRE Workbook policy: page at 2 % of the period's budget in 1h (5m), page at 5 % in 6h (30m),
   * ticket at 10 % in 3d (6h); for a 30-day period the burn rates 14.4, 6 and 1
   */
  readonly rules?: readonly BurnRateRuleProps[];
  /**
   * Minimum evidence before any rule may fire, so low-traffic tenants do not page on one or two errors.
   * @default - 100 events in the long window and 3 bad events in the short window; with time-slice budgeting,
   * where the counts are minutes, 10 minutes with data and 2 bad minutes
   */
  readonly trafficGuard?: TrafficGuardProps;
  /**
   * An alert level resolves only after no rule of that level fired for this many minutes (0 to 1440).
   * @default 15
   */
  readonly resolveAfterMinutes?: number;
  /**
   * A firing rule keeps firing until both windows drop below `burnRate * hysteresisRatio`, so an alert does
   * not flap at the threshold. Greater than 0 and at most 1; 1 disables hysteresis.
   * @default 0.9
   */
  readonly hysteresisRatio?: number;
}

/**
 * One multiwindow rule: fires when both the long and the short window burn at least at its burn rate. Give exactly
 * one of `budgetPercent` ("ticket when 10 % of the monthly budget is spent within 3 days") or `burnRate`.
 */
export interface BurnRateRuleProps {
  readonly severity: Severity;
  /** The long window, e.g. `1h`; at most the SLO period. */
  readonly longWindow: string;
  /**
   * The short window, shorter than the long one; it makes the alert reset soon after the burn stops.
   * @default - one twelfth of the long window, rounded to whole minutes (`1h` -> `5m`)
   */
  readonly shortWindow?: string;
  /**
   * Share of the period's error budget, in percent (greater than 0, at most 100), that spent within the long
   * window should alert. Give this or `burnRate`.
   * @default - none; `burnRate` is used
   */
  readonly budgetPercent?: number;
  /**
   * Burn-rate factor both windows must reach (1 spends exactly the budget over the period). Give this or `budgetPercent`.
   * @default - none; derived from `budgetPercent`
   */
  readonly burnRate?: number;
}

/** Low-traffic protection. */
export interface TrafficGuardProps {
  /**
   * Minimum events in a rule's long window before its error ratio counts as evidence. With time-slice budgeting
   * the events are minutes with data (a 5-minute slice counts 5), so it must fit in every rule's long window.
   * @default 100 (10 with time-slice budgeting)
   */
  readonly minEventsInLongWindow?: number;
  /**
   * Minimum bad events in a rule's short window before it may fire. With time-slice budgeting, bad minutes; it must
   * fit in every rule's short window.
   * @default 3 (2 with time-slice budgeting)
   */
  readonly minBadEventsInShortWindow?: number;
}

/** Tenant selection: discover them from the metrics, or list them. */
export type TenantsProps = DiscoveredTenantsProps | ListedTenantsProps;

export interface DiscoveredTenantsProps {
  /**
   * Find tenants from the values of the tenant dimension (CloudWatch ListMetrics).
   * @default - refresh every 15 minutes, exclude none
   */
  readonly discover?: TenantDiscoveryProps;
  readonly list?: never;
}

export interface ListedTenantsProps {
  /** Exactly these tenant ids, no duplicates. At least one. */
  readonly list: readonly string[];
  readonly discover?: never;
}

export interface TenantDiscoveryProps {
  /**
   * How often the tenant list is refreshed, in minutes (1 to 1440).
   * @default 15
   */
  readonly refreshMinutes?: number;
  /**
   * Tenant ids never evaluated (e.g. synthetic canaries).
   * @default - none
   */
  readonly exclude?: readonly string[];
}

/** Exceptions for one tenant. */
export interface TenantOverrideProps {
  /**
   * This tenant's objective in percent, e.g. `99.95` for a premium tier.
   * @default - the SLO's objective
   */
  readonly objective?: number;
  /**
   * Evaluate the tenant but never alert on it (e.g. an internal test tenant).
   * @default false
   */
  readonly muted?: boolean;
}

/** How the evaluator function runs. Every field is optional. */
export interface EvaluatorProps {
  /**
   * Minutes between evaluations (1 to 60).
   * @default 1
   */
  readonly scheduleMinutes?: number;
  /**
   * CloudWatch's newest minutes are incomplete; windows end this many whole minutes before now (0 to 60).
   * @default 1
   */
  readonly dataDelayMinutes?: number;
  /**
   * How often the hourly series used for long windows and the period budget is refreshed, in minutes (1 to 1440).
   * @default 60
   */
  readonly slowRefreshMinutes?: number;
  /**
   * Concurrent GetMetricData calls (1 to 50).
   * @default 5
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Unchanged tenant state is rewritten at least this often, in minutes (1 to 1440), so a live tenant can be told from a stale one.
   * @default 60
   */
  readonly heartbeatMinutes?: number;
  /**
   * History items expire after this many days (1 to 3650).
   * @default 35
   */
  readonly historyTtlDays?: number;
  /**
   * Burns on one SLO starting within this many minutes (0 to 1440) may join one incident.
   * @default 5
   */
  readonly groupingIntervalMinutes?: number;
  /**
   * A burn on more than this share (greater than 0, at most 1) of an SLO's tenants is treated as one shared incident.
   * @default 0.5
   */
  readonly groupingTenantShare?: number;
  /**
   * Function timeout in seconds (1 to 900), at most the schedule interval so runs never overlap. With `shards` above
   * 1 the default leaves room for the tick's tenant discovery: `discoveryTimeoutSeconds` + 45 fits a 1-minute tick.
   * An explicit value is always kept.
   * @default 55 (45 with shards above 1)
   */
  readonly timeoutSeconds?: number;
  /**
   * Reserved concurrency of the function (1 to 1000); 1 keeps two ticks from evaluating at once.
   * @default 1
   */
  readonly reservedConcurrency?: number;
  /**
   * Function memory in MB (128 to 10240); CPU scales with it.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Tenant shards per tick (1 to 1000). Above 1, the schedule starts an Express state machine whose Map invokes the
   * evaluator once per shard, each on a disjoint, stable set of tenants (hash of the tenant id modulo `shards`);
   * incidents are still grouped across shards. Rule of thumb: `shards = ceil(tenants / tenantsPerShard)`, where
   * `tenantsPerShard` is what one invocation evaluates well within `timeoutSeconds` (measure it with the
   * evaluator's `Tick complete` log and Duration metric; no per-shard limit is published in this repo yet).
   * When above 1, `reservedConcurrency` must be at least `min(shards, maxConcurrentShards)` and every wave of
   * shards must fit in one tick: `ceil(shards / maxConcurrentShards) x timeoutSeconds <= min(scheduleMinutes x 60, 300)`.
   * When some SLO discovers its tenants (`tenants.discover`, the default), the tick first waits up to
   * `discoveryTimeoutSeconds` for the discovery, so `discoveryTimeoutSeconds + ceil(shards / maxConcurrentShards) x
   * timeoutSeconds` must fit instead, and `reservedConcurrency` must be at least `min(shards, maxConcurrentShards) + 1`:
   * a discovery that outlives its wait keeps running beside the first wave of shards.
   * @default 1
   */
  readonly shards?: number;
  /**
   * Shards evaluated at once (1 to 40: an inline Map runs at most 40 iterations concurrently). Each shard runs up to
   * `maxConcurrentRequests` GetMetricData calls, so keep `maxConcurrentShards x maxConcurrentRequests` within the
   * account's GetMetricData quota (50 transactions per second by default).
   * @default 10
   */
  readonly maxConcurrentShards?: number;
  /**
   * How long a sharded tick may wait, in seconds (2 to 60), before its shards start: for the roster check
   * (`Discover`, one item read per SLO) and, when no stored roster is usable (the first tick after the first
   * deploy, or a roster two refresh intervals old), the tenant listing before the shards. A listing that takes
   * longer is caught like a failed one: the shards list their own tenants and the tick reports
   * `EvaluatorDiscoveryFailed`; the invocation finishes in the background and stores its roster for the next tick.
   * A refresh while the previous roster is usable runs beside the shards instead, for up to `timeoutSeconds`. Only
   * meaningful with `shards` above 1 and at least one SLO whose tenants are discovered (`tenants.discover`); it then
   * counts in the tick's time budget (see `shards`).
   * @default 10
   */
  readonly discoveryTimeoutSeconds?: number;
  /**
   * Datapoints a tick may read, across all shards of the deployment, to fill cold caches (10,000 to 1,000,000,000):
   * after a deploy or on a new Lambda instance every tenant's whole fine horizon (about 7 hours of 1-minute counts)
   * and hourly period series (30 days) must be read, about 2,300 datapoints per tenant. Tenants beyond the budget
   * wait for a later tick (alerting tenants first) and are counted in the `TenantsWarming` metric. Reads are paced
   * to `getMetricDataQuotaShare` of the account's 396,000 datapoints per second (for a StartTime over 3 hours back,
   * as cold reads are): the default takes about 16 s of the default 80 % share, so a warm-up tick stays within
   * 20 s. A cold start of N tenants takes about `ceil(N x 2,300 / warmupDatapointsPerTick)` ticks (10,000 tenants:
   * 5; 100,000: 46); raise both together to warm faster. Each shard gets an equal share
   * (`floor(warmupDatapointsPerTick / shards)`).
   * @default 5000000
   */
  readonly warmupDatapointsPerTick?: number;
  /**
   * Share (greater than 0, at most 1) of the account's GetMetricData datapoints-per-second quotas (180,000 a second
   * for a StartTime within 3 hours, 396,000 for older ones; not adjustable) that the evaluator paces its reads to.
   * The invocations that run at once (one, or `min(shards, maxConcurrentShards)`) get an equal part each, so a cold
   * start's reads wait for quota instead of being throttled until tenants fail. The rest is left to dashboards and
   * other tools in the account.
   * @default 0.8
   */
  readonly getMetricDataQuotaShare?: number;
  /**
   * The account's GetMetricData requests-per-second quota (1 to 10,000; see the Service Quotas console: older AWS
   * documentation gives 50, the current quotas table 500). The evaluator paces its calls to
   * `getMetricDataQuotaShare` of it, split as the datapoint quotas are, so 40 shards calling at once are not
   * throttled until their tenants fail.
   * @default 50
   */
  readonly getMetricDataTps?: number;
}
