import type { RatioSli, SloDefinition, TenantEvaluation, ThresholdSli } from '../../lambda/domain/model';

/**
 * The SLO most tests use: `api-availability` at 99.9% over 30 days, bad = 5xx + timeouts over requests, per
 * `TenantId`, no rules and no traffic guard unless a test sets them. `sli` changes merge into the SLI.
 */
export function apiSlo(changes: Partial<Omit<SloDefinition, 'sli'>> & { readonly sli?: Partial<RatioSli> } = {}): SloDefinition {
  const { sli, ...rest } = changes;
  return {
    name: 'api-availability',
    objectivePercent: 99.9,
    periodDays: 30,
    sli: {
      kind: 'ratio',
      namespace: 'Shop/Api',
      tenantDimension: 'TenantId',
      dimensions: { Service: 'api' },
      metrics: [
        { id: 'mRequests', metricName: 'Requests', stat: 'Sum' },
        { id: 'm5xx', metricName: 'Errors5xx', stat: 'Sum' },
        { id: 'mTimeouts', metricName: 'Timeouts', stat: 'Sum' },
      ],
      bad: 'm5xx + mTimeouts',
      total: 'mRequests',
      ...sli,
    },
    rules: [],
    trafficGuard: { minEventsInLongWindow: 0, minBadEventsInShortWindow: 0 },
    tenants: { mode: 'discover', refreshMinutes: 15, exclude: [] },
    overrides: {},
    resolveAfterMinutes: 30,
    hysteresisRatio: 1,
    ...rest,
  };
}

/** An evaluation with only its identity filled (for code that reads who and when, such as incident grouping). */
export function identityEvaluation(slo: SloDefinition, tenant: string, at: number): TenantEvaluation {
  return {
    slo: slo.name,
    tenant,
    objectivePercent: slo.objectivePercent,
    evaluatedAt: at,
    windows: [],
    rules: [],
    level: 'ok',
    budgetConsumed: 0.1,
    budgetRemaining: 0.9,
    timeToExhaustionMinutes: null,
    periodEvents: { total: 0, bad: 0 },
  };
}

/** A threshold SLI: a slice is good when the API's p99 latency is at most 300 ms. */
export const P99_SLI: ThresholdSli = {
  kind: 'threshold',
  namespace: 'Shop/Api',
  tenantDimension: 'TenantId',
  dimensions: { Service: 'api' },
  metric: { id: 'latency', metricName: 'Latency', stat: 'p99' },
  op: 'lte',
  threshold: 300,
};
