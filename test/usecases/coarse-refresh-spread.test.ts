/**
 * The coarse tier refreshed per tenant, spread over `slowRefreshMinutes`, against a fresh cache every tick: the same
 * ticks over the same local CloudWatch must evaluate every tenant the same, while a warm tick reads the hourly series
 * of only the tenants whose refresh minute has come.
 */
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { RuntimeConfig, SloDefinition, TenantEvaluation } from '../../lambda/domain/model';
import type { CountsRequest, CountsResult, MetricSource } from '../../lambda/ports';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { EvaluatorDeps } from '../../lambda/usecases/evaluate-tick';
import { CoarseCoverageError, CoarseTierCache } from '../../lambda/usecases/series-cache';
import { CHECKOUT_NAMESPACE, checkoutSlo, quietLog, recordingDeps, tickConfig } from '../support/tick-fixture';

const T0 = Date.UTC(2026, 10, 20, 0, 30, 0);
const NS = CHECKOUT_NAMESPACE;
const quiet = quietLog;
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'soylent', 'stark', 'wayne', 'tyrell'];
const LATE_TENANT = 'hooli';
const REFRESH_MINUTES = 60;
// A week keeps the history small; the coarse tier is still needed (the period is longer than the 6-hour fine tier).
const PERIOD_DAYS = 7;
const sloFor = (tenants: readonly string[]): SloDefinition => checkoutSlo(tenants, PERIOD_DAYS);
const configFor = (slo: SloDefinition): RuntimeConfig => tickConfig(slo, REFRESH_MINUTES);

/**
 * 600 requests a minute from `from`; errors differ from hour to hour and tenant to tenant (30 in one hour of 11,
 * a few otherwise), so a budget window that started an hour early or late, or a coarse hour counted twice or not at
 * all, would change the budget. acme fails 40 % of its requests from T0+20m to T0+50m (a page).
 */
function loadTraffic(cw: LocalCloudWatch, from: number, minutes: number): void {
  [...TENANTS, LATE_TENANT].forEach((tenant, index) => {
    const dims = { Service: 'checkout', TenantId: tenant };
    const requests = new Float64Array(minutes).fill(600);
    const errors = new Float64Array(minutes);
    for (let i = 0; i < minutes; i += 1) {
      const at = from + i * MINUTE_MS;
      const burning = tenant === 'acme' && at >= T0 + 20 * MINUTE_MS && at < T0 + 50 * MINUTE_MS;
      const badHour = (Math.floor(at / HOUR_MS) * 7 + index) % 11 === 0;
      errors[i] = burning ? 240 : badHour ? 30 : i % 7 === 0 ? 2 : 0;
    }
    cw.putMinutes(NS, 'Requests', dims, from, requests);
    cw.putMinutes(NS, 'Errors', dims, from, errors);
  });
}


interface Run {
  readonly deps: EvaluatorDeps;
  readonly evaluations: Map<number, Map<string, TenantEvaluation>>;
  /** Tenants whose hourly series each tick requested, by tick `now`. */
  readonly coarseRequested: Map<number, string[]>;
  coarseFailuresInjected: number;
}

/**
 * A run over `source`; `failCoarse` says which tenants' hourly reads fail at `now` (as a Forbidden query result would).
 */
function runOver(source: MetricSource, clock: () => number, failCoarse: (tenant: string, now: number) => boolean = () => false): Run {
  const coarseRequested = new Map<number, string[]>();
  const metrics: MetricSource = {
    listTenants: (slo) => source.listTenants(slo),
    fetchCounts: async (request: CountsRequest): Promise<CountsResult> => {
      const result = await source.fetchCounts(request);
      if (request.periodSeconds !== 3600) return result;
      const now = clock();
      coarseRequested.set(now, [...(coarseRequested.get(now) ?? []), ...request.tenants]);
      for (const tenant of request.tenants) {
        if (failCoarse(tenant, now) && result.series.delete(tenant)) {
          result.failures.set(tenant, 'Forbidden: not authorized for this metric');
          run.coarseFailuresInjected += 1;
        }
      }
      return result;
    },
  };
  const run: Run = { ...recordingDeps(metrics), coarseRequested, coarseFailuresInjected: 0 };
  return run;
}

describe('the coarse tier refreshed per tenant', () => {
  it('evaluates every tenant exactly as a fresh cache does, through the spread refresh, a failing hourly read and a new tenant', async () => {
    // Prepare: 8 days of history (the 7-day period plus one) and an hour and a half of ticks from a cold start;
    // globex's hourly reads fail from minute 60 on in the spread run only, so it keeps its series of minute 0.
    let clock = T0;
    const cw = new LocalCloudWatch({ clock: () => clock });
    loadTraffic(cw, T0 - (PERIOD_DAYS + 1) * DAY_MS, (PERIOD_DAYS + 1) * 24 * 60 + 120);
    const real = new CloudWatchMetricSource(cw.client(), { maxConcurrentRequests: 4, sleep: async () => undefined, logger: quiet });
    const spread = runOver(real, () => clock, (tenant, now) => tenant === 'globex' && now >= T0 + 60 * MINUTE_MS);
    const fresh = runOver(real, () => clock);
    const kept = newEvaluatorCache();
    const ticks: number[] = [];

    // Act
    for (let minute = 0; minute < 90; minute += 1) {
      clock = T0 + minute * MINUTE_MS;
      // A tenant joins the list at minute 70: the spread run reads its hourly series at once.
      const config = configFor(sloFor(minute >= 70 ? [...TENANTS, LATE_TENANT] : TENANTS));
      await evaluateTick(config, fresh.deps, newEvaluatorCache(), clock);
      await evaluateTick(config, spread.deps, kept, clock);
      ticks.push(clock - MINUTE_MS);
    }

    // Assess: the same evaluations at every tick, for every tenant
    for (const end of ticks) {
      expect({ end, evaluations: spread.evaluations.get(end) }).toEqual({ end, evaluations: fresh.evaluations.get(end) });
      expect(spread.evaluations.get(end)?.size).toBe(end >= T0 + 69 * MINUTE_MS ? TENANTS.length + 1 : TENANTS.length);
    }
    // The comparison covers a firing page, the injected failures and the refreshes after the first cycle.
    expect(spread.evaluations.get(T0 + 40 * MINUTE_MS)?.get('acme')?.level).toBe('page');
    expect(spread.coarseFailuresInjected).toBeGreaterThan(0);
    expect(spread.coarseRequested.get(T0 + 70 * MINUTE_MS)).toContain(LATE_TENANT);
    // Tenants refreshed at their own minute (not the failing globex, not the new hooli) after the first cycle.
    const refreshedAfterCycle = [...spread.coarseRequested].filter(([now]) => now >= T0 + 60 * MINUTE_MS).flatMap(([, tenants]) => tenants);
    expect(refreshedAfterCycle.filter((tenant) => tenant !== 'globex' && tenant !== LATE_TENANT).length).toBeGreaterThan(0);
  });
});

describe('the spread of the coarse refresh over the refresh interval', () => {
  const TENANT_COUNT = 600;
  const MANY = Array.from({ length: TENANT_COUNT }, (_, i) => `tenant-${String(i).padStart(4, '0')}`);

  /** Every tenant answered with no datapoints: the test counts requests, not burn. */
  const silent: MetricSource = {
    listTenants: async () => [...MANY],
    fetchCounts: async (request) => ({
      series: new Map(request.tenants.map((tenant) => [tenant, { periodSeconds: request.periodSeconds, buckets: [] }])),
      failures: new Map(),
      stats: { calls: 1, metricsRequested: 2 * request.tenants.length, datapoints: 0, throttledRetries: 0 },
    }),
  };

  it('requests at most ceil(tenants / 60) + 1 tenants a warm tick, and every tenant once a cycle', async () => {
    // Prepare
    let clock = T0;
    const run = runOver(silent, () => clock);
    const cache = newEvaluatorCache();
    const config = configFor(sloFor(MANY));
    const perTick: number[] = [];

    // Act: a cold start and a bit more than two cycles
    for (let minute = 0; minute <= 130; minute += 1) {
      clock = T0 + minute * MINUTE_MS;
      await evaluateTick(config, run.deps, cache, clock);
      perTick.push(run.coarseRequested.get(clock)?.length ?? 0);
    }

    // Assess
    const bound = Math.ceil(TENANT_COUNT / REFRESH_MINUTES) + 1;
    expect(perTick[0]).toBe(TENANT_COUNT);
    expect(Math.max(...perTick.slice(1))).toBeLessThanOrEqual(bound);
    // Nothing in the first cycle after the cold read (the same reads per hour as one refresh of all), then each
    // tenant once in the next cycle.
    expect(perTick.slice(1, 60).every((count) => count === 0)).toBe(true);
    const secondCycle = [...run.coarseRequested].filter(([now]) => now >= T0 + 60 * MINUTE_MS && now < T0 + 120 * MINUTE_MS).flatMap(([, t]) => t);
    expect(secondCycle).toHaveLength(TENANT_COUNT);
    expect(new Set(secondCycle).size).toBe(TENANT_COUNT);
  });

  it.each([
    { case: 'a tenant new to the list', joinAt: 5, failAt: null },
    { case: 'a tenant whose first hourly read failed', joinAt: 0, failAt: 0 },
  ])('reads the hourly series of $case on the next tick, not at its refresh minute', async ({ joinAt, failAt }) => {
    // Prepare
    let clock = T0;
    const newcomer = 'tenant-new';
    const run = runOver(silent, () => clock, (tenant, now) => tenant === newcomer && now === T0 + (failAt ?? -1) * MINUTE_MS);
    const cache = newEvaluatorCache();
    const withNewcomer = [...MANY.slice(0, 60), newcomer];
    const without = MANY.slice(0, 60);

    // Act
    for (let minute = 0; minute <= joinAt + 1; minute += 1) {
      clock = T0 + minute * MINUTE_MS;
      await evaluateTick(configFor(sloFor(minute >= joinAt ? withNewcomer : without)), run.deps, cache, clock);
    }

    // Assess: requested on the tick it joined (and again on the next one when that read failed), and never otherwise
    const requested = [...run.coarseRequested].filter(([, tenants]) => tenants.includes(newcomer)).map(([now]) => (now - T0) / MINUTE_MS);
    expect(requested).toEqual(failAt === null ? [joinAt] : [joinAt, joinAt + 1]);
  });
});

describe('CoarseTierCache', () => {
  const H = Date.UTC(2026, 0, 31, 12);
  const periodFrom = H - PERIOD_DAYS * DAY_MS;
  const fineFrom = H - 6 * HOUR_MS;

  /** A cache holding acme's hours [from, to), read at `readAt`. */
  function holding(from: number, to: number, readAt: number): CoarseTierCache {
    const cache = new CoarseTierCache(3600, REFRESH_MINUTES);
    cache.retain(['acme']);
    cache.store('acme', { periodSeconds: 3600, buckets: [{ start: from, total: 100, bad: 1 }] }, from, to, readAt);
    return cache;
  }

  it.each([
    { case: 'a series ending before fineFrom (a gap before the fine tier)', to: fineFrom - HOUR_MS, from: periodFrom, field: 'to' },
    { case: 'a series starting after the budget period start', to: H, from: periodFrom + HOUR_MS, field: 'from' },
  ])('refuses $case with a CoarseCoverageError and marks the tenant due', ({ to, from, field }) => {
    // Prepare
    const cache = holding(from, to, H);
    // Act
    const covering = (): unknown => cache.covering('acme', fineFrom, periodFrom);
    // Assess
    expect(covering).toThrow(CoarseCoverageError);
    expect(covering).toThrow(new RegExp(`${field} must be`));
    expect(cache.dueAmong(['acme'], H, fineFrom, periodFrom)).toEqual(['acme']);
  });

  it('serves a series read up to a cycle ago that starts an hour before the budget period and ends after fineFrom', () => {
    // Prepare: read an hour ago, so its range is one hour earlier than a read now would be
    const cache = holding(periodFrom - HOUR_MS, H - HOUR_MS, H - HOUR_MS + MINUTE_MS);
    // Act
    const series = cache.covering('acme', fineFrom, periodFrom);
    // Assess
    expect(series.from).toBe(periodFrom - HOUR_MS);
    expect(cache.dueAmong(['acme'], H, fineFrom, periodFrom)).toEqual([]);
  });
});
