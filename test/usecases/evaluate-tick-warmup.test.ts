/**
 * A cold start warmed over several ticks: with `warmupDatapointsPerTick`, a tick reads at most that many datapoints
 * to fill empty caches, evaluates the tenants it warmed (alerting ones first) and reports the rest as warming;
 * once warm, every tenant is evaluated exactly as with no budget.
 */
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { RuntimeConfig, TenantAlertState } from '../../lambda/domain/model';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { TickReport } from '../../lambda/usecases/evaluate-tick';
import { CHECKOUT_NAMESPACE, checkoutSlo, quietLog, recordingDeps, tickConfig } from '../support/tick-fixture';
import { tenantState } from '../support/state-fixture';

const T0 = Date.UTC(2026, 10, 20, 0, 30, 0);
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'soylent', 'stark', 'wayne', 'tyrell', 'hooli'];
const PERIOD_DAYS = 7;
const slo = checkoutSlo(TENANTS, PERIOD_DAYS);

/**
 * What one cold tenant costs on the tick `tick` minutes after T0. At T0 (now 00:30, so windows end at 00:29 after
 * the 1-minute data delay) the fine tier from 18:00 the day before (6 hours back from 00:29, aligned down to the
 * hour) to 00:29 is 389 minutes, one more each minute after; the coarse tier is the 7-day period in hours, 168; two
 * series each (bad and total).
 */
const coldCost = (tick: number): number => 2 * (389 + tick) + 2 * PERIOD_DAYS * 24;
const COLD_COST = coldCost(0);

function configWith(warmupDatapointsPerTick: number | undefined): RuntimeConfig {
  const base = tickConfig(slo);
  return { ...base, evaluator: { ...base.evaluator, ...(warmupDatapointsPerTick === undefined ? {} : { warmupDatapointsPerTick }) } };
}

/** 600 requests a minute for every tenant over the period and a day more; hooli fails 30 % from T0 - 20m (a page). */
function localCloudWatch(clock: () => number): LocalCloudWatch {
  const cw = new LocalCloudWatch({ clock });
  const from = T0 - (PERIOD_DAYS + 1) * DAY_MS;
  const minutes = (PERIOD_DAYS + 1) * 24 * 60 + 60;
  TENANTS.forEach((tenant, index) => {
    const dims = { Service: 'checkout', TenantId: tenant };
    const errors = new Float64Array(minutes);
    for (let i = 0; i < minutes; i += 1) {
      const at = from + i * MINUTE_MS;
      errors[i] = tenant === 'hooli' && at >= T0 - 20 * MINUTE_MS ? 180 : (Math.floor(at / HOUR_MS) + index) % 13 === 0 ? 4 : 0;
    }
    cw.putMinutes(CHECKOUT_NAMESPACE, 'Requests', dims, from, new Float64Array(minutes).fill(600));
    cw.putMinutes(CHECKOUT_NAMESPACE, 'Errors', dims, from, errors);
  });
  return cw;
}

/** Runs ticks at T0, T0 + 1m, ... with one evaluator cache, as a warm container does. */
async function runTicks(config: RuntimeConfig, ticks: number, seed: readonly TenantAlertState[] = []) {
  let clock = T0;
  const cw = localCloudWatch(() => clock);
  const metrics = new CloudWatchMetricSource(cw.client(), { maxConcurrentRequests: 4, sleep: async () => undefined, logger: quietLog });
  const emitted: Record<string, unknown>[] = [];
  const run = recordingDeps(metrics);
  const deps = { ...run.deps, emitMetrics: (documents: readonly Record<string, unknown>[]) => emitted.push(...documents) };
  for (const state of seed) await deps.store.putTenantState(state, 0);
  const cache = newEvaluatorCache();
  const reports: TickReport[] = [];
  for (let tick = 0; tick < ticks; tick += 1) {
    clock = T0 + tick * MINUTE_MS;
    reports.push(await evaluateTick(config, deps, cache, clock));
  }
  const summaries = emitted.filter((document) => 'TenantsWarming' in document);
  return { reports, evaluations: run.evaluations, store: deps.store, summaries };
}

describe('a cold start warmed within warmupDatapointsPerTick', () => {
  it.each([
    // budget in cold tenants, then the tenants evaluated and warming on each tick until all are warm
    ['three tenants a tick', 3 * coldCost(2), [[3, 6], [6, 3], [9, 0]]],
    ['a datapoint short of three tenants: two a tick', 3 * COLD_COST - 1, [[2, 7], [4, 5], [6, 3], [8, 1], [9, 0]]],
    ['less than one tenant: one a tick, so each tick makes progress', 10, [[1, 8], [2, 7], [3, 6]]],
    ['no budget: every tenant on the first tick', undefined, [[9, 0], [9, 0]]],
  ])('with %s, evaluates the warm tenants and reports the rest as warming', async (_name, budget, expected) => {
    // Act
    const { reports, summaries } = await runTicks(configWith(budget), expected.length);

    // Assess
    const seen = reports.map((report) => [report.slos[0]?.evaluated, report.slos[0]?.warming]);
    expect(seen).toEqual(expected);
    expect(reports.every((report) => report.slos[0]?.failures.length === 0 && report.slos[0]?.tenants === TENANTS.length)).toBe(true);
    expect(summaries.map((summary) => summary.TenantsWarming)).toEqual(expected.map(([, warming]) => warming));
  });

  it('reads at most the budget on a cold tick', async () => {
    // Prepare: room for four cold tenants
    const budget = 4 * COLD_COST;

    // Act
    const { reports } = await runTicks(configWith(budget), 1);

    // Assess: every datapoint of the first tick is a cold read
    const fetched = reports[0]?.slos[0]?.fetch.datapoints ?? 0;
    expect(fetched).toBeGreaterThan(3 * COLD_COST);
    expect(fetched).toBeLessThanOrEqual(budget);
  });

  it('warms an alerting tenant first, wherever it is in the list', async () => {
    // Prepare: hooli, last in the list, was paging before the container went cold; room for one tenant a tick
    const paging = tenantState({ slo: slo.name, tenant: 'hooli', level: 'page', levelSince: T0 - 15 * MINUTE_MS, lastFiringAt: T0 - 2 * MINUTE_MS, incidentId: null, updatedAt: T0 - 2 * MINUTE_MS });

    // Act
    const { evaluations } = await runTicks(configWith(COLD_COST), 1, [paging]);

    // Assess
    const first = evaluations.get(T0 - MINUTE_MS);
    expect([...(first?.keys() ?? [])]).toEqual(['hooli']);
    expect(first?.get('hooli')?.level).toBe('page');
  });

  it('writes no state for a waiting tenant, even with its heartbeat due', async () => {
    // Prepare: every tenant last written two hours ago (heartbeat every 60 minutes): each would be rewritten
    const stale = TENANTS.map((tenant) =>
      tenantState({ slo: slo.name, tenant, level: 'ok', levelSince: null, lastFiringAt: null, activeRules: [], incidentId: null, burnRates: {}, updatedAt: T0 - 2 * HOUR_MS }),
    );

    // Act: room for two tenants; tenants ranked equal go in list order
    const { store, reports } = await runTicks(configWith(2 * COLD_COST), 1, stale);

    // Assess
    const read = await store.getTenantStates(slo.name, TENANTS);
    const rewritten = TENANTS.filter((tenant) => (read.states.get(tenant)?.version ?? 0) > 1);
    expect(rewritten).toEqual(['acme', 'globex']);
    expect(reports[0]?.slos[0]?.stateWrites).toBe(2);
  });

  it('evaluates every tenant exactly as with no budget once they are warm', async () => {
    // Prepare / Act: the same six ticks with two tenants a tick and with no budget
    const budgeted = await runTicks(configWith(2 * coldCost(5)), 6);
    const unlimited = await runTicks(configWith(undefined), 6);

    // Assess: tenants evaluated on a tick are evaluated the same; from the fifth tick on all of them are
    for (let tick = 0; tick < 6; tick += 1) {
      const end = T0 + (tick - 1) * MINUTE_MS;
      const warm = budgeted.evaluations.get(end);
      for (const [tenant, evaluation] of warm ?? []) expect(evaluation).toEqual(unlimited.evaluations.get(end)?.get(tenant));
    }
    expect(budgeted.evaluations.get(T0 + 4 * MINUTE_MS)?.size).toBe(TENANTS.length);
    expect(budgeted.evaluations.get(T0 + 4 * MINUTE_MS)?.get('hooli')?.level).toBe('page');
  });
});
