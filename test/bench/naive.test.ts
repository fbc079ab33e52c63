/**
 * The naive baseline's query planner: one query per tenant, SLI metric and window, each returning the window's Sum,
 * so its cost is what a first implementation pays, not a strawman.
 */
import { DEFAULT_TRAFFIC_GUARD, sreWorkbookPolicy } from '../../lambda/domain/policy';
import { MINUTE_MS } from '../../lambda/domain/model';
import { apiSlo } from '../support/slo-fixture';
import type { RatioSli, SloDefinition } from '../../lambda/domain/model';
import { evaluateTenant } from '../../lambda/domain/rules';
import { sumWindows } from '../../lambda/domain/windows';
import {
  NaiveSliError,
  NaiveWindowSumsError,
  naiveSliTerms,
  naiveWindowMinutes,
  planNaiveQueries,
  tieredFromWindowSums,
} from '../../bench/naive';

const END = Date.UTC(2026, 10, 23, 14, 0, 0);

/** The shared test SLO under the SRE Workbook policy, reading bad = 5xx over requests unless a case changes the SLI. */
function slo(sli: Partial<RatioSli> = {}): SloDefinition {
  return apiSlo({ rules: sreWorkbookPolicy(30), trafficGuard: DEFAULT_TRAFFIC_GUARD, sli: { bad: 'm5xx', ...sli } });
}

const tenants = (count: number): string[] => Array.from({ length: count }, (_, i) => `tenant-${i}`);

describe('naiveWindowMinutes', () => {
  it('lists the SRE Workbook windows (5m, 30m, 1h, 6h, 3d) and the 30-day period, ascending', () => {
    // Act
    const windows = naiveWindowMinutes(slo());

    // Assess: page 1h/5m, page 6h/30m, ticket 3d/6h share the 6h window; the budget needs 30 days.
    expect(windows).toEqual([5, 30, 60, 6 * 60, 3 * 24 * 60, 30 * 24 * 60]);
  });
});

describe('planNaiveQueries', () => {
  it('requests 12 metrics per tenant per tick for a bad/total SLI under the default policy', () => {
    // Prepare: 2 metrics (5xx, requests) x 6 windows
    const plan = planNaiveQueries(slo(), tenants(10), END);

    // Act
    const metricsRequested = plan.reduce((sum, batch) => sum + batch.queries.length, 0);

    // Assess
    expect(metricsRequested / 10).toBe(12);
  });

  it.each([
    ['250 tenants fit one call per window', 250, 6],
    ['251 tenants need a second call per window', 251, 12],
    ['1,000 tenants need 4 calls per window', 1000, 24],
  ])('%s (500 queries of 2 metrics per tenant)', (_, count, calls) => {
    // Act
    const plan = planNaiveQueries(slo(), tenants(count), END);

    // Assess
    expect(plan).toHaveLength(calls);
    expect(Math.max(...plan.map((batch) => batch.queries.length))).toBeLessThanOrEqual(500);
  });

  it.each(naiveWindowMinutes(slo()).map((minutes) => [minutes]))(
    'reads the %s-minute window as one Sum over one period spanning it',
    (minutes) => {
      // Act
      const batch = planNaiveQueries(slo(), tenants(3), END).find((b) => b.windowMinutes === minutes);

      // Assess
      expect(batch?.from).toBe(END - minutes * MINUTE_MS);
      expect(batch?.to).toBe(END);
      expect(batch?.queries.every((q) => q.MetricStat.Period === minutes * 60 && q.MetricStat.Stat === 'Sum')).toBe(true);
    },
  );

  it('queries only the metrics the expressions use, each with the tenant and the fixed dimensions', () => {
    // Act
    const [batch] = planNaiveQueries(slo({ bad: 'm5xx + mTimeouts' }), ['acme'], END);

    // Assess
    expect(batch?.queries.map((q) => q.MetricStat.Metric.MetricName).sort()).toEqual(['Errors5xx', 'Requests', 'Timeouts']);
    expect(batch?.queries[0]?.MetricStat.Metric.Dimensions).toEqual([
      { Name: 'Service', Value: 'api' },
      { Name: 'TenantId', Value: 'acme' },
    ]);
    expect([...(batch?.returned.values() ?? [])].every((r) => r.tenant === 'acme')).toBe(true);
  });

  it('refuses an expression naming a metric the SLI does not define', () => {
    // Act
    const attempt = (): unknown => planNaiveQueries(slo({ bad: 'mMissing' }), ['acme'], END);

    // Assess
    expect(attempt).toThrow(NaiveSliError);
    expect(attempt).toThrow('sli: unknown metric id "mMissing"');
  });

  it('gives every query an id CloudWatch accepts, unique within its call', () => {
    // Act
    const plan = planNaiveQueries(slo(), tenants(600), END);

    // Assess
    for (const batch of plan) {
      const ids = batch.queries.map((q) => q.Id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.every((id) => /^[a-z][a-zA-Z0-9_]*$/.test(id))).toBe(true);
    }
  });
});

describe('naiveSliTerms', () => {
  it.each([
    ['bad given as a sum', { bad: 'm5xx + mTimeouts' }, { total: ['mRequests'], bad: ['m5xx', 'mTimeouts'], good: [] }],
    ['good given instead of bad', { bad: undefined, good: 'mServed' }, { total: ['mRequests'], bad: [], good: ['mServed'] }],
  ])('reads %s', (_, sli, expected) => {
    // Act
    const terms = naiveSliTerms(slo(sli));

    // Assess
    expect(terms).toEqual(expected);
  });

  it.each([
    ['a product', { bad: 'm5xx * 2' }, 'sli.bad'],
    ['a difference', { total: 'mRequests - mTimeouts' }, 'sli.total'],
    ['a function', { bad: 'FILL(m5xx, 0)' }, 'sli.bad'],
  ])('refuses %s, naming the field, since one Sum per metric cannot express it', (_, sli, field) => {
    // Act
    const attempt = (): unknown => naiveSliTerms(slo(sli));

    // Assess
    expect(attempt).toThrow(NaiveSliError);
    expect(attempt).toThrow(new RegExp(`^${field.replace('.', '\\.')}: `));
  });
});

describe('tieredFromWindowSums', () => {
  const windows = [5, 60, 360];
  const sums = [
    { total: 500, bad: 20 },
    { total: 6_000, bad: 30 },
    { total: 36_000, bad: 42 },
  ];

  it('gives back every window sum when the domain sums the windows again', () => {
    // Prepare
    const tiered = tieredFromWindowSums(windows, sums, END);

    // Act
    const resummed = sumWindows(tiered, END, windows);

    // Assess
    expect(resummed).toEqual(sums);
  });

  it('feeds the domain evaluation the burn rate of each window: bad / total / (1 - objective)', () => {
    // Prepare: all six windows; the 1h window has 6 bad in 600 (1 %), ten times the 0.1 % budget.
    const all = naiveWindowMinutes(slo());
    const counts = [
      { total: 50, bad: 1 },
      { total: 300, bad: 3 },
      { total: 600, bad: 6 },
      { total: 3_600, bad: 9 },
      { total: 43_200, bad: 20 },
      { total: 432_000, bad: 100 },
    ];

    // Act
    const evaluation = evaluateTenant({ slo: slo(), tenant: 'acme', counts: tieredFromWindowSums(all, counts, END), evaluatedAt: END, previouslyActiveRules: [] });

    // Assess
    counts.forEach((c, i) => expect(evaluation.windows[i]?.burnRate).toBeCloseTo(c.bad / c.total / 0.001, 6));
    expect(evaluation.budgetRemaining).toBeCloseTo(1 - 100 / 432_000 / 0.001, 6);
  });

  it('refuses window sums that are not nested, naming the window', () => {
    // Act
    const attempt = (): unknown => tieredFromWindowSums([5, 60], [{ total: 100, bad: 5 }, { total: 90, bad: 5 }], END);

    // Assess
    expect(attempt).toThrow(NaiveWindowSumsError);
    expect(attempt).toThrow(/^sums\[1\]: /);
  });
});
