/**
 * The defaults documented with `@default` in props.ts, in one place so the normaliser and the validator's
 * cross-checks apply the same values. Burn-rate rules and the traffic guard default to the domain's policy
 * (`sreWorkbookPolicy`, `DEFAULT_TRAFFIC_GUARD`).
 */
import type { EvaluatorProps } from './props';

export const SLO_DEFAULTS = {
  periodDays: 30,
  stat: 'Sum',
  resolveAfterMinutes: 15,
  hysteresisRatio: 0.9,
  tenantRefreshMinutes: 15,
} as const;

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
};
