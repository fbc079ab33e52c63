/**
 * What every benchmark run evaluates: one SLO with every documented default (the SRE Workbook policy, tenant
 * discovery every 15 minutes, the default evaluator settings), N tenants, and a simulated hour (or two) of ticks.
 */
import { STATE_SCHEMA_VERSION } from '../lambda/domain/model';
import type { RuntimeConfig, SloDefinition, TenantAlertState } from '../lambda/domain/model';
import type { StateStore } from '../lambda/ports';
import { lastHeartbeatBefore } from '../lambda/domain/alert-state';
import { mapWithConcurrency } from '../lambda/adapters/concurrency';
import { normalizeBurnwatchProps } from '../lib/config/normalize';
import type { EvaluatorFunctionSettings } from '../lib/config/normalize';
import type { EvaluatorProps } from '../lib/config/props';
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

/**
 * The config a user gets by writing only the SLO: every other field takes its documented default, except the
 * evaluator settings given (a sharded run's), which normalize as a user's would (per-shard budgets and quota shares).
 */
export function benchConfig(evaluator: EvaluatorProps = {}): BenchConfig {
  const normalized = normalizeBurnwatchProps({
    evaluator,
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

/**
 * One measured tick: its minute after BENCH_START, and how many minutes of the amortised hour it stands for. A weight
 * of 0 means the tick is run (ticks are consecutive: each depends on the one before) but left out of the per-tick
 * figures, as the `steady` plan's first hour is.
 */
export interface PlannedTick {
  readonly minute: number;
  readonly weight: number;
}

export type TickPlanKind = 'hour' | 'sampled' | 'steady';
export const TICK_PLAN_KINDS: readonly TickPlanKind[] = ['hour', 'sampled', 'steady'];

/** The first minute of the `steady` plan's amortised hour: a warm container in its second hour. */
export const STEADY_HOUR_FROM = TICKS_PER_HOUR;
/** The last minute any bench tick runs at (the `steady` plan's last; the local data and seeded states reach it). */
export const LAST_BENCH_MINUTE = 2 * TICKS_PER_HOUR - 1;

/**
 * `hour`: all 60 ticks. `sampled`: the ticks of each kind the hour has, weighted by how often the kind occurs
 * (weights sum to 60). For the evaluator: minute 0 (a cold container: tenant discovery, the hourly refresh and a full
 * read of the fine tier), minutes 1 to 14 (ordinary ticks: the newest minutes and the heartbeats that come due,
 * about one tenant in 59 each; 56 such ticks, so weight 4 each) and minute 15 (discovery, as at 30 and 45). The ticks
 * are consecutive because each depends on the one before: a tick after a gap would read the missed minutes and write
 * the missed heartbeats. The naive loop has no cache and writes every tick, so its ticks differ only by discovery:
 * minute 30 (the first tick a run makes discovers, as 4 ticks an hour do) and minute 31 (56).
 * `steady`: minutes 0 to 119 from a cold container; the first hour (the warm-up and the hour after it, while every
 * tenant's hourly series is still fresh from the cold read) has weight 0, and minutes 60 to 119 weight 1: the steady
 * state, where each tenant's hourly refresh falls on its own minute (about ceil(n / 60) tenants a tick).
 */
export function tickPlan(kind: TickPlanKind, mode: 'burnwatch' | 'naive'): PlannedTick[] {
  if (kind === 'hour') return Array.from({ length: TICKS_PER_HOUR }, (_, minute) => ({ minute, weight: 1 }));
  if (kind === 'steady') {
    return Array.from({ length: LAST_BENCH_MINUTE + 1 }, (_, minute) => ({ minute, weight: minute >= STEADY_HOUR_FROM ? 1 : 0 }));
  }
  if (mode === 'naive') {
    return [
      { minute: 30, weight: 4 },
      { minute: 31, weight: 56 },
    ];
  }
  const ordinary = Array.from({ length: 14 }, (_, index) => ({ minute: index + 1, weight: 4 }));
  return [{ minute: 0, weight: 1 }, ...ordinary, { minute: 15, weight: 3 }];
}

/**
 * Every tenant's state as the previous hour's ticks left it: ok, no rule active, last written at its latest
 * heartbeat instant before the first tick (heartbeats are spread by tenant, so about one in 59 comes due on any
 * tick), on the same UTC day (so no daily history snapshot falls in the measured hour; BENCHMARKS.md adds it).
 */
export async function seedStates(
  store: StateStore,
  slo: SloDefinition,
  tenants: readonly string[],
  start: number,
  heartbeatMinutes = benchConfig().runtime.evaluator.heartbeatMinutes,
): Promise<void> {
  await mapWithConcurrency(tenants, 16, async (tenant) => {
    const writtenAt = lastHeartbeatBefore(tenant, start, heartbeatMinutes);
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
