/**
 * The defaults documented with `@default` in props.ts, in one place so the normaliser and the validator's
 * cross-checks apply the same values. Burn-rate rules and the traffic guard default to the domain's policy
 * (`sreWorkbookPolicy`, `DEFAULT_TRAFFIC_GUARD`).
 */
import type { TrafficGuard } from '../../lambda/domain/model';
import type { EvaluatorProps } from './props';

export const SLO_DEFAULTS = {
  periodDays: 30,
  stat: 'Sum',
  resolveAfterMinutes: 15,
  hysteresisRatio: 0.9,
  tenantRefreshMinutes: 15,
  timeSliceMinutes: 1,
  calendarUnit: 'month',
  timeZone: 'UTC',
} as const;

/**
 * The traffic guard of a time-slice SLO, whose counts are minutes, not events: the event default (100 in the long
 * window) could never be met in a 1-hour window of 60 minutes. 10 minutes with data in the long window keep a
 * tenant that was seen in two or three minutes from paging on them; 2 bad minutes in the short window mean one
 * stray bad minute never pages, as 3 bad events do for event counts.
 */
export const TIME_SLICE_TRAFFIC_GUARD: TrafficGuard = {
  minEventsInLongWindow: 10,
  minBadEventsInShortWindow: 2,
};

export const EVALUATOR_DEFAULTS: Readonly<Required<EvaluatorProps>> = {
  scheduleMinutes: 1,
  dataDelayMinutes: 1,
  slowRefreshMinutes: 60,
  maxConcurrentRequests: 5,
  heartbeatMinutes: 60,
  historyTtlDays: 35,
  groupingIntervalMinutes: 5,
  groupingTenantShare: 0.5,
  timeoutSeconds: 55,
  reservedConcurrency: 1,
  memorySize: 1024,
  shards: 1,
  maxConcurrentShards: 10,
  discoveryTimeoutSeconds: 10,
  // About 16 s of 80 % of the GetMetricData quota (396,000 datapoints/s): 2,190 cold tenants of 2,280 datapoints per tick.
  warmupDatapointsPerTick: 5_000_000,
  getMetricDataQuotaShare: 0.8,
  getMetricDataTps: 50,
};

/**
 * The evaluator's timeout with `shards` above 1 when none is given: a sharded tick waits up to
 * `discoveryTimeoutSeconds` for its discovery before the shards, and 10 + 45 fits a 1-minute tick.
 */
export const SHARDED_TIMEOUT_SECONDS = 45;

/** The default `timeoutSeconds` for a number of shards (documented `@default 55 (45 with shards above 1)`). */
export function defaultTimeoutSeconds(shards: number): number {
  return shards > 1 ? SHARDED_TIMEOUT_SECONDS : EVALUATOR_DEFAULTS.timeoutSeconds;
}
