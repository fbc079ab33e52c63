/**
 * What every benchmark run evaluates: one SLO with every documented default (the SRE Workbook policy, tenant
 * discovery every 15 minutes, the default evaluator settings), N tenants, and a simulated hour of ticks.
 */
import { MINUTE_MS, STATE_SCHEMA_VERSION } from '../lambda/domain/model';
import type { RuntimeConfig, SloDefinition, TenantAlertState } from '../lambda/domain/model';
import type { StateStore } from '../lambda/ports';
import { mapWithConcurrency } from '../lambda/adapters/concurrency';
import { normalizeBurnwatchProps } from '../lib/config/normalize';
import type { EvaluatorFunctionSettings } from '../lib/config/normalize';
import type { SliMetricNames } from './cloudwatch';

/** A Monday at 14:00 UTC: daytime traffic; the hour boundary is where the hourly refresh falls. */
export const BENCH_START = Date.UTC(2026, 10, 23, 14, 0, 0);
export const TICKS_PER_HOUR = 60;

export const BENCH_SLI: SliMetricNames = {
  namespace: 'BenchService',
  dimensions: { Service: 'api' },
  tenantDimension: 'TenantId',
  totalMetric: 'Requests',
  badMetric: 'Errors5xx',
};

export interface BenchConfig {
  readonly runtime: RuntimeConfig;
  readonly slo: SloDefinition;
  readonly evaluatorFunction: EvaluatorFunctionSettings;
}

/** The config a user gets by writing only the SLO: every other field takes its documented default. */
export function benchConfig(): BenchConfig {
  const normalized = normalizeBurnwatchProps({
    slos: [
      {
        name: 'api-availability',
        objective: 99.9,
        sli: {
          namespace: BENCH_SLI.namespace,
          tenantDimension: BENCH_SLI.tenantDimension,
          dimensions: BENCH_SLI.dimensions,
          metrics: { requests: { metricName: BENCH_SLI.totalMetric }, errors: { metricName: BENCH_SLI.badMetric } },
          bad: 'errors',
          total: 'requests',
        },
      },
    ],
  });
  const slo = normalized.runtime.slos[0];
  if (slo === undefined) throw new Error('the bench config has one SLO');
  return { runtime: normalized.runtime, slo, evaluatorFunction: normalized.evaluatorFunction };
}

export function tenantIds(count: number): string[] {
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, index) => `tenant-${String(index).padStart(width, '0')}`);
}

/** Tenant i gets profile i mod profiles, so every profile serves about the same number of tenants. */
export function profileMap(tenants: readonly string[], profileIds: readonly string[]): Map<string, string> {
  return new Map(tenants.map((tenant, index) => [tenant, profileIds[index % profileIds.length] as string]));
}

/** One measured tick: its minute in the hour, and how many minutes of the hour it stands for. */
export interface PlannedTick {
  readonly minute: number;
  readonly weight: number;
}

export type TickPlanKind = 'hour' | 'sampled';

/**
 * `hour`: all 60 ticks. `sampled`: one tick of each kind the hour has, weighted by how often it occurs (weights sum
 * to 60). For the evaluator: minute 0 (tenant discovery, the hourly refresh and every tenant's heartbeat write),
 * minute 30 (discovery, as at 15 and 45) and minute 31 (only the fine query and the evaluation; 56 such ticks).
 * Mid-hour ticks stand for the hour's mean: the fine series grows from 6 to 7 hours of minutes as the hour passes.
 * The naive loop has no hourly tier and writes every tick, so its ticks differ only by discovery: minute 30 (the
 * first tick a run makes discovers, as 4 ticks an hour do) and minute 31 (56).
 */
export function tickPlan(kind: TickPlanKind, mode: 'burnwatch' | 'naive'): PlannedTick[] {
  if (kind === 'hour') return Array.from({ length: TICKS_PER_HOUR }, (_, minute) => ({ minute, weight: 1 }));
  if (mode === 'naive') {
    return [
      { minute: 30, weight: 4 },
      { minute: 31, weight: 56 },
    ];
  }
  return [
    { minute: 0, weight: 1 },
    { minute: 30, weight: 3 },
    { minute: 31, weight: 56 },
  ];
}

/**
 * Every tenant's state as the previous hour's ticks left it: ok, no rule active, last written an hour before the
 * first tick (so its heartbeat falls on the first tick, with every other tenant's, as after a deployment).
 */
export async function seedStates(store: StateStore, slo: SloDefinition, tenants: readonly string[], start: number): Promise<void> {
  const writtenAt = start - TICKS_PER_HOUR * MINUTE_MS;
  await mapWithConcurrency(tenants, 16, async (tenant) => {
    const state: TenantAlertState = {
      schemaVersion: STATE_SCHEMA_VERSION,
      slo: slo.name,
      tenant,
      level: 'ok',
      levelSince: null,
      lastFiringAt: null,
      activeRules: [],
      incidentId: null,
      burnRates: {},
      budgetRemaining: 1,
      timeToExhaustionMinutes: null,
      updatedAt: writtenAt,
      version: 1,
    };
    const outcome = await store.putTenantState(state, 0);
    if (outcome !== 'written') throw new Error(`seeding ${tenant}: the store already had a state`);
  });
}
