/**
 * The incremental fine tier against a full read: the same ticks over the same local CloudWatch, once with an
 * evaluator cache kept between ticks (each tick reads only the newest minutes plus the re-read margin) and once with
 * a fresh cache every tick (each tick reads the whole horizon), must evaluate every tenant the same.
 */
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { RuntimeConfig, SloDefinition, TenantEvaluation } from '../../lambda/domain/model';
import type { CountsRequest, CountsResult, MetricSource } from '../../lambda/ports';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { EvaluatorCache, EvaluatorDeps } from '../../lambda/usecases/evaluate-tick';
import { FINE_REREAD_MINUTES, FineTierCache } from '../../lambda/usecases/series-cache';
import { CHECKOUT_NAMESPACE, checkoutSlo, quietLog, recordingDeps, tickConfig } from '../support/tick-fixture';

const T0 = Date.UTC(2026, 10, 20, 0, 30, 0);
const NS = CHECKOUT_NAMESPACE;
const sloFor = (tenants: readonly string[]): SloDefinition => checkoutSlo(tenants);
const configFor = (slo: SloDefinition): RuntimeConfig => tickConfig(slo);
const quiet = quietLog;
const TENANTS = ['acme', 'globex', 'initech', 'umbrella'];
const LATE_TENANT = 'hooli';

/** 600 requests a minute; acme fails 40 % of them from T0+20m to T0+50m (a page), the others 0.05 %. */
function loadTraffic(cw: LocalCloudWatch, from: number, minutes: number): void {
  for (const tenant of [...TENANTS, LATE_TENANT]) {
    const dims = { Service: 'checkout', TenantId: tenant };
    const requests = new Float64Array(minutes).fill(600);
    const errors = new Float64Array(minutes);
    for (let i = 0; i < minutes; i += 1) {
      const at = from + i * MINUTE_MS;
      const burning = tenant === 'acme' && at >= T0 + 20 * MINUTE_MS && at < T0 + 50 * MINUTE_MS;
      errors[i] = burning ? 240 : i % 7 === 0 ? 2 : 0;
    }
    cw.putMinutes(NS, 'Requests', dims, from, requests);
    cw.putMinutes(NS, 'Errors', dims, from, errors);
  }
}


/** Fails `tenant`'s fine read at the tick whose end is `failingEnd`, as a Forbidden query result would. */
function failingOnce(real: MetricSource, tenant: string, failingEnd: number): MetricSource {
  return {
    listTenants: (slo) => real.listTenants(slo),
    fetchCounts: async (request: CountsRequest): Promise<CountsResult> => {
      const result = await real.fetchCounts(request);
      if (request.periodSeconds === 60 && request.to === failingEnd && result.series.delete(tenant)) {
        result.failures.set(tenant, 'Forbidden: not authorized for this metric');
      }
      return result;
    },
  };
}

interface Run {
  readonly deps: EvaluatorDeps;
  readonly evaluations: Map<number, Map<string, TenantEvaluation>>;
  datapoints: number;
  metricsRequested: number;
}

function runOver(cw: LocalCloudWatch, failingEnd: number): Run {
  const real = new CloudWatchMetricSource(cw.client(), { maxConcurrentRequests: 4, sleep: async () => undefined, logger: quiet });
  return { ...recordingDeps(failingOnce(real, 'globex', failingEnd)), datapoints: 0, metricsRequested: 0 };
}

describe('the incremental fine tier', () => {
  it('evaluates every tenant exactly as a full read does, through late data, a missed tick, a failed read and a new tenant', async () => {
    // Prepare: four days of history and 70 ticks; they cross an hour at minute 31, so fineFrom moves
    let clock = T0;
    const cw = new LocalCloudWatch({ clock: () => clock });
    loadTraffic(cw, T0 - 4 * 24 * HOUR_MS, 4 * 24 * 60 + 150);
    const failingEnd = T0 + 45 * MINUTE_MS;
    const incremental = runOver(cw, failingEnd);
    const full = runOver(cw, failingEnd);
    const kept: EvaluatorCache = newEvaluatorCache();
    const missedTicks = new Set([30, 31, 32]);
    const compared: number[] = [];

    // Act
    for (let minute = 0; minute <= 70; minute += 1) {
      const now = T0 + minute * MINUTE_MS;
      clock = now;
      const end = now - MINUTE_MS;
      // Late data: the oldest minute this tick re-reads (FINE_REREAD_MINUTES before the previous tick's end,
      // end - 1m) gets 60 more requests and 5 more errors after earlier ticks read it.
      const late = end - MINUTE_MS - FINE_REREAD_MINUTES * MINUTE_MS;
      for (const tenant of TENANTS) {
        cw.put(NS, 'Requests', { Service: 'checkout', TenantId: tenant }, late, 1, 60);
        cw.put(NS, 'Errors', { Service: 'checkout', TenantId: tenant }, late, 1, 5);
      }
      // A tenant joins the list at minute 60.
      const config = configFor(sloFor(minute >= 60 ? [...TENANTS, LATE_TENANT] : TENANTS));
      const ranFull = await evaluateTick(config, full.deps, newEvaluatorCache(), now);
      if (missedTicks.has(minute)) continue;
      const ranIncremental = await evaluateTick(config, incremental.deps, kept, now);
      full.datapoints += ranFull.slos[0]?.fetch.datapoints ?? 0;
      incremental.datapoints += ranIncremental.slos[0]?.fetch.datapoints ?? 0;
      compared.push(end);
    }

    // Assess: the same evaluations at every compared tick, for every tenant (globex absent from both when its read failed)
    for (const end of compared) {
      expect({ end, evaluations: incremental.evaluations.get(end) }).toEqual({ end, evaluations: full.evaluations.get(end) });
    }
    expect(incremental.evaluations.get(failingEnd)?.has('globex')).toBe(false);
    expect(incremental.evaluations.get(T0 + 59 * MINUTE_MS)?.get(LATE_TENANT)).toBeDefined();
    // The burn is seen (a page), so the comparison covers firing rules and hysteresis, not only quiet tenants.
    expect(incremental.evaluations.get(T0 + 40 * MINUTE_MS)?.get('acme')?.level).toBe('page');
    // And it reads far fewer minutes: 6 a series a tick instead of 6 to 7 hours of them.
    expect(incremental.datapoints).toBeLessThan(full.datapoints / 10);
  });
});

describe('FineTierCache', () => {
  const H = Date.UTC(2026, 0, 1, 6);
  const capacity = 420;
  const fineFrom = H - 6 * HOUR_MS;

  /** A cache that holds `tenant`'s minutes [fineFrom, end). */
  function holding(tenant: string, end: number): FineTierCache {
    const cache = new FineTierCache(capacity, '360/60');
    cache.store(tenant, { periodSeconds: 60, buckets: [{ start: end - MINUTE_MS, total: 10, bad: 1 }] }, fineFrom, end);
    return cache;
  }

  it.each([
    { case: 'the next tick re-reads the margin', cachedEnd: H, end: H + MINUTE_MS, from: H - FINE_REREAD_MINUTES * MINUTE_MS, full: false },
    { case: 'three missed ticks widen the read by three minutes', cachedEnd: H, end: H + 4 * MINUTE_MS, from: H - FINE_REREAD_MINUTES * MINUTE_MS, full: false },
    { case: 'the same tick again re-reads the margin', cachedEnd: H, end: H, from: H - FINE_REREAD_MINUTES * MINUTE_MS, full: false },
    { case: 'a tick older than the cached end reads the horizon', cachedEnd: H, end: H - MINUTE_MS, from: fineFrom, full: true },
  ])('plans the read: $case', ({ cachedEnd, end, from, full }) => {
    // Prepare
    const cache = holding('acme', cachedEnd);
    // Act
    const plan = cache.plan(['acme'], fineFrom, end);
    // Assess
    expect(plan).toEqual([{ from, tenants: ['acme'], full }]);
  });

  it('reads the whole horizon for a tenant it does not hold, and the margin for one it does, in separate fetches', () => {
    // Prepare
    const cache = holding('acme', H);
    // Act
    const plan = cache.plan(['acme', 'globex'], fineFrom, H + MINUTE_MS);
    // Assess
    expect(plan).toEqual([
      { from: H - FINE_REREAD_MINUTES * MINUTE_MS, tenants: ['acme'], full: false },
      { from: fineFrom, tenants: ['globex'], full: true },
    ]);
  });

  it('reads the whole horizon again once fineFrom passes the oldest minute held', () => {
    // Prepare: held from an hour-aligned start one hour later than fineFrom
    const cache = new FineTierCache(capacity, '360/60');
    cache.store('acme', { periodSeconds: 60, buckets: [] }, fineFrom + HOUR_MS, H);
    // Act
    const plan = cache.plan(['acme'], fineFrom, H + MINUTE_MS);
    // Assess
    expect(plan).toEqual([{ from: fineFrom, tenants: ['acme'], full: true }]);
  });

  it('clears a re-read minute that came back empty, and forgets tenants no longer listed', () => {
    // Prepare
    const cache = holding('acme', H);
    // Act: the re-read of the margin finds no traffic in the minute that had 10 events
    cache.store('acme', { periodSeconds: 60, buckets: [] }, H - FINE_REREAD_MINUTES * MINUTE_MS, H + MINUTE_MS);
    const ring = cache.view('acme');
    cache.retain(['globex']);
    // Assess
    expect(ring === null ? -1 : [...ring.total].reduce((sum, value) => sum + value, 0)).toBe(0);
    expect(cache.view('acme')).toBeNull();
  });

  it('refuses a bucket outside the fetched range, names it, and forgets the tenant', () => {
    // Prepare
    const cache = holding('acme', H);
    // Act / Assess
    expect(() => cache.store('acme', { periodSeconds: 60, buckets: [{ start: H + MINUTE_MS, total: 1, bad: 0 }] }, H - 5 * MINUTE_MS, H + MINUTE_MS)).toThrow(
      /^buckets\[0\]\.start must be a whole minute in/,
    );
    expect(cache.view('acme')).toBeNull();
  });
});
