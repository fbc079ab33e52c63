/**
 * Fixtures for tests that run evaluator ticks over the local CloudWatch: a checkout availability SLO on the
 * `Shop` namespace (Requests / Errors sums, tenant dimension TenantId), its runtime config, and deps that record
 * every tick's evaluations so two runs over the same data can be compared.
 */
import { DEFAULT_TRAFFIC_GUARD, sreWorkbookPolicy } from '../../lambda/domain/policy';
import type { RuntimeConfig, SloDefinition, TenantEvaluation } from '../../lambda/domain/model';
import type { Log, MetricSource, WorkflowStarter } from '../../lambda/ports';
import type { EvaluatorDeps } from '../../lambda/usecases/evaluate-tick';
import { MemoryStateStore } from '../../bench/memory-state-store';
import { apiSlo } from './slo-fixture';

export const CHECKOUT_NAMESPACE = 'Shop';

/** The listed tenants' checkout availability with the SRE Workbook policy for the period. */
export function checkoutSlo(tenants: readonly string[], periodDays = 30): SloDefinition {
  return apiSlo({
    name: 'checkout-availability',
    sli: {
      namespace: CHECKOUT_NAMESPACE,
      dimensions: { Service: 'checkout' },
      metrics: [
        { id: 'requests', metricName: 'Requests', stat: 'Sum' },
        { id: 'errors', metricName: 'Errors', stat: 'Sum' },
      ],
      bad: 'errors',
      total: 'requests',
    },
    periodDays,
    rules: sreWorkbookPolicy(periodDays),
    trafficGuard: DEFAULT_TRAFFIC_GUARD,
    tenants: { mode: 'list', tenants },
    resolveAfterMinutes: 10,
    hysteresisRatio: 0.9,
  });
}

export function tickConfig(slo: SloDefinition, slowRefreshMinutes = 60): RuntimeConfig {
  return {
    schemaVersion: 1,
    slos: [slo],
    evaluator: {
      dataDelayMinutes: 1,
      slowRefreshMinutes,
      maxConcurrentRequests: 4,
      heartbeatMinutes: 60,
      historyTtlDays: 35,
      groupingIntervalMinutes: 5,
      groupingTenantShare: 0.5,
    },
  };
}

export const quietLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
export const namingStarter: WorkflowStarter = {
  start: async (input) => ({ executionArn: `arn:local:${input.incidentId}`, alreadyStarted: false }),
};

/** Deps over `metrics` with a fresh in-memory store; every tick's evaluations are kept by evaluatedAt and tenant. */
export function recordingDeps(metrics: MetricSource): { deps: EvaluatorDeps; evaluations: Map<number, Map<string, TenantEvaluation>> } {
  const evaluations = new Map<number, Map<string, TenantEvaluation>>();
  const deps: EvaluatorDeps = {
    metrics,
    store: new MemoryStateStore(),
    workflow: namingStarter,
    log: quietLog,
    onEvaluated: (_slo, evaluated) => {
      const at = evaluated[0]?.evaluatedAt ?? 0;
      evaluations.set(at, new Map(evaluated.map((evaluation) => [evaluation.tenant, evaluation])));
    },
  };
  return { deps, evaluations };
}
