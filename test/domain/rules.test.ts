import type { BurnRateRule, CountBucket, RuleResult, SloDefinition, TenantEvaluation, WindowCounts } from '../../lambda/domain/model';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import { DEFAULT_TRAFFIC_GUARD } from '../../lambda/domain/policy';
import { activeRuleNames, evaluateTenant } from '../../lambda/domain/rules';
import type { TieredCounts } from '../../lambda/domain/windows';

// The Workbook's policy for a 99.9 % / 30-day SLO, written out so these tests do not depend on policy.ts.
const WORKBOOK_RULES: BurnRateRule[] = [
  { name: '1h/5m', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 },
  { name: '6h/30m', severity: 'page', longWindowMinutes: 360, shortWindowMinutes: 30, burnRate: 6 },
  { name: '3d/6h', severity: 'ticket', longWindowMinutes: 4320, shortWindowMinutes: 360, burnRate: 1 },
];
const BUDGET = 1 - 0.999;
const PERIOD_MINUTES = 30 * 24 * 60;
const T = Date.UTC(2025, 2, 10, 12); // hour-aligned reference instant
const PER_MINUTE = 1000;

function sloWith(changes: Partial<SloDefinition> = {}): SloDefinition {
  return {
    name: 'checkout-availability',
    objectivePercent: 99.9,
    periodDays: 30,
    sli: {
      kind: 'ratio',
      namespace: 'Shop/Checkout',
      tenantDimension: 'TenantId',
      dimensions: {},
      metrics: [
        { id: 'requests', metricName: 'Requests', stat: 'Sum' },
        { id: 'errors', metricName: 'Errors', stat: 'Sum' },
      ],
      bad: 'errors',
      total: 'requests',
    },
    rules: WORKBOOK_RULES,
    trafficGuard: DEFAULT_TRAFFIC_GUARD,
    tenants: { mode: 'list', tenants: ['acme', 'gold'] },
    overrides: {},
    resolveAfterMinutes: 30,
    hysteresisRatio: 0.9,
    ...changes,
  };
}

/**
 * The tiers the evaluator would fetch for `traffic` (counts of the minute starting at the argument): minute
 * buckets for the last `fineHours` (from an hour boundary), hourly sums before that, `days` further back.
 */
function tieredCounts(end: number, traffic: (minuteStart: number) => WindowCounts, days: number, fineHours = 12): TieredCounts {
  const fineFrom = Math.floor((end - fineHours * HOUR_MS) / HOUR_MS) * HOUR_MS;
  const fine: CountBucket[] = [];
  for (let at = fineFrom; at < end; at += MINUTE_MS) {
    const counts = traffic(at);
    if (counts.total > 0) fine.push({ start: at, ...counts });
  }
  const coarse: CountBucket[] = [];
  for (let hour = fineFrom - days * DAY_MS; hour < fineFrom; hour += HOUR_MS) {
    let total = 0;
    let bad = 0;
    for (let at = hour; at < hour + HOUR_MS; at += MINUTE_MS) {
      const counts = traffic(at);
      total += counts.total;
      bad += counts.bad;
    }
    if (total > 0) coarse.push({ start: hour, total, bad });
  }
  return { fine: { periodSeconds: 60, buckets: fine }, fineFrom, coarse: { periodSeconds: 3600, buckets: coarse } };
}

/** Steady traffic with `errorRatio` errors from `from` on (clean before). */
function burningFrom(from: number, errorRatio: number, until = Infinity): (at: number) => WindowCounts {
  return (at) => ({ total: PER_MINUTE, bad: at >= from && at < until ? PER_MINUTE * errorRatio : 0 });
}

function ruleResult(evaluation: TenantEvaluation, name: string): RuleResult {
  const result = evaluation.rules.find((candidate) => candidate.rule.name === name);
  if (!result) throw new Error(`rule ${name} not evaluated`);
  return result;
}

describe('evaluateTenant', () => {
  describe('detection of a full outage', () => {
    // Workbook detection time of the 1h/5m rule at 100 % errors: (1 - SLO) x 14.4 x 60 min / 1.
    const workbookDetectionMinutes = BUDGET * 14.4 * 60; // 0.864

    it.each([
      { outageMinutes: 0, firing: false },
      { outageMinutes: 1, firing: true },
    ])('a 100% outage at 99.9% after $outageMinutes whole minute(s) of minute data: 1h/5m firing $firing', (row) => {
      const { outageMinutes, firing } = row;
      // Prepare
      const evaluatedAt = T + outageMinutes * MINUTE_MS;
      const counts = tieredCounts(evaluatedAt, burningFrom(T, 1), 4);
      // Act
      const evaluation = evaluateTenant({ slo: sloWith(), tenant: 'acme', counts, evaluatedAt, previouslyActiveRules: [] });
      // Assess
      const rule = ruleResult(evaluation, '1h/5m');
      expect(outageMinutes >= workbookDetectionMinutes).toBe(firing);
      expect(rule.firing).toBe(firing);
      expect(rule.longBurnRate).toBeCloseTo(outageMinutes / 60 / BUDGET, 6);
      expect(evaluation.level).toBe(firing ? 'page' : 'ok');
    });
  });

  describe('the short window resets the alert', () => {
    // A 10-minute full outage; the 5-minute short window (1/12 of 1h) empties 5 minutes after it ends.
    it.each([
      { minutesAfterOutage: 4, badMinutesInShortWindow: 1, firing: true },
      { minutesAfterOutage: 5, badMinutesInShortWindow: 0, firing: false },
    ])(
      '$minutesAfterOutage minutes after a 10-minute outage the 1h/5m rule firing is $firing while the 1h burn stays above 14.4',
      ({ minutesAfterOutage, badMinutesInShortWindow, firing }) => {
        // Prepare
        const evaluatedAt = T + (10 + minutesAfterOutage) * MINUTE_MS;
        const counts = tieredCounts(evaluatedAt, burningFrom(T, 1, T + 10 * MINUTE_MS), 4);
        // Act
        const evaluation = evaluateTenant({ slo: sloWith(), tenant: 'acme', counts, evaluatedAt, previouslyActiveRules: ['1h/5m'] });
        // Assess
        const rule = ruleResult(evaluation, '1h/5m');
        expect(rule.longBurnRate).toBeCloseTo(10 / 60 / BUDGET, 6); // 166.7, far above 14.4
        expect(rule.shortBurnRate).toBeCloseTo(badMinutesInShortWindow / 5 / BUDGET, 6);
        expect(rule.firing).toBe(firing);
      },
    );
  });

  describe('a slow burn', () => {
    // At 2x the 3d window reaches factor 1 after 1 x 3d / 2 = 36 hours of burning.
    it.each([
      { hoursBurning: 35, ticket: false },
      { hoursBurning: 37, ticket: true },
    ])('a 2x steady burn for $hoursBurning hours fires the ticket rule: $ticket, and never a page rule', ({ hoursBurning, ticket }) => {
      // Prepare
      const counts = tieredCounts(T, burningFrom(T - hoursBurning * HOUR_MS, 2 * BUDGET), 31);
      // Act
      const evaluation = evaluateTenant({ slo: sloWith(), tenant: 'acme', counts, evaluatedAt: T, previouslyActiveRules: [] });
      // Assess
      const ticketRule = ruleResult(evaluation, '3d/6h');
      expect(ticketRule.longBurnRate).toBeCloseTo((2 * hoursBurning) / 72, 6);
      expect(ticketRule.shortBurnRate).toBeCloseTo(2, 6);
      expect(ticketRule.firing).toBe(ticket);
      expect(ruleResult(evaluation, '1h/5m').firing).toBe(false);
      expect(ruleResult(evaluation, '6h/30m').firing).toBe(false);
      expect(evaluation.level).toBe(ticket ? 'ticket' : 'ok');
      // Budget consumed = burn rate x window / period.
      expect(evaluation.budgetConsumed).toBeCloseTo((2 * hoursBurning * 60) / PERIOD_MINUTES, 6);
    });
  });

  describe('budget over the period', () => {
    it('one hour at 14.4x in an otherwise clean 30 days spends 2 % of the budget and pages', () => {
      // Prepare: 14.4 x 60 min / 43 200 min = 0.02.
      const counts = tieredCounts(T, burningFrom(T - HOUR_MS, 14.4 * BUDGET), 31);
      // Act
      const evaluation = evaluateTenant({ slo: sloWith(), tenant: 'acme', counts, evaluatedAt: T, previouslyActiveRules: [] });
      // Assess
      expect(evaluation.budgetConsumed).toBeCloseTo((14.4 * 60) / PERIOD_MINUTES, 9);
      expect(evaluation.budgetRemaining).toBeCloseTo(1 - (14.4 * 60) / PERIOD_MINUTES, 9);
      expect(evaluation.periodEvents.total).toBe(PERIOD_MINUTES * PER_MINUTE);
      expect(ruleResult(evaluation, '1h/5m').firing).toBe(true);
      // 0.98 of the budget at the 1h window's 14.4x lasts 0.98 x 43 200 / 14.4 minutes.
      expect(evaluation.timeToExhaustionMinutes).toBeCloseTo((0.98 * PERIOD_MINUTES) / 14.4, 6);
    });

    it('a tenant without traffic burns nothing and keeps its whole budget', () => {
      // Prepare
      const counts = tieredCounts(T, () => ({ total: 0, bad: 0 }), 31);
      // Act
      const evaluation = evaluateTenant({ slo: sloWith(), tenant: 'acme', counts, evaluatedAt: T, previouslyActiveRules: [] });
      // Assess
      expect(evaluation.windows.map((window) => [window.windowMinutes, window.burnRate])).toEqual([
        [5, 0],
        [30, 0],
        [60, 0],
        [360, 0],
        [4320, 0],
        [PERIOD_MINUTES, 0],
      ]);
      expect(evaluation.level).toBe('ok');
      expect(evaluation.budgetRemaining).toBe(1);
      expect(evaluation.timeToExhaustionMinutes).toBeNull();
    });
  });

  describe('the traffic guard', () => {
    // Both rows burn at 5 % errors over the hour: 0.05 / 0.001 = 50x, far above 14.4.
    it.each([
      {
        tenant: 'a tenant with 20 requests an hour and one failure',
        traffic: (at: number): WindowCounts => {
          const minutesBack = (T - at) / MINUTE_MS;
          return minutesBack % 3 === 1 ? { total: 1, bad: minutesBack === 1 ? 1 : 0 } : { total: 0, bad: 0 };
        },
        firing: false,
        guarded: true,
      },
      {
        tenant: 'a tenant with 6000 requests an hour and 300 failures in the last 5 minutes',
        traffic: (at: number): WindowCounts => ({ total: 100, bad: at >= T - 5 * MINUTE_MS ? 60 : 0 }),
        firing: true,
        guarded: false,
      },
    ])('$tenant: 1h/5m firing $firing, guarded $guarded', ({ traffic, firing, guarded }) => {
      // Prepare
      const counts = tieredCounts(T, traffic, 4);
      // Act
      const evaluation = evaluateTenant({ slo: sloWith(), tenant: 'acme', counts, evaluatedAt: T, previouslyActiveRules: [] });
      // Assess
      const rule = ruleResult(evaluation, '1h/5m');
      expect(rule.longBurnRate).toBeCloseTo(0.05 / BUDGET, 6);
      expect(rule.firing).toBe(firing);
      expect(rule.guarded).toBe(guarded);
      expect(evaluation.level).toBe(firing ? 'page' : 'ok');
    });
  });

  describe('hysteresis', () => {
    it.each([
      { share: 0.95, previouslyActive: true, hysteresisRatio: 0.9, firing: true, why: 'a firing rule is held above 0.9 x the factor' },
      { share: 0.95, previouslyActive: false, hysteresisRatio: 0.9, firing: false, why: 'hysteresis never starts a rule' },
      { share: 0.95, previouslyActive: true, hysteresisRatio: 1, firing: false, why: 'ratio 1 disables hysteresis' },
      { share: 0.85, previouslyActive: true, hysteresisRatio: 0.9, firing: false, why: 'below 0.9 x the factor the rule stops' },
    ])('a burn at $share x 14.4 (previously active: $previouslyActive): $why', ({ share, previouslyActive, hysteresisRatio, firing }) => {
      // Prepare
      const counts = tieredCounts(T, burningFrom(T - 2 * HOUR_MS, share * 14.4 * BUDGET), 0, 3);
      const slo = sloWith({ hysteresisRatio });
      // Act
      const previouslyActiveRules = previouslyActive ? ['1h/5m'] : [];
      const evaluation = evaluateTenant({ slo, tenant: 'acme', counts, evaluatedAt: T, previouslyActiveRules });
      // Assess
      const rule = ruleResult(evaluation, '1h/5m');
      expect(rule.longBurnRate).toBeCloseTo(share * 14.4, 6);
      expect(rule.shortBurnRate).toBeCloseTo(share * 14.4, 6);
      expect(rule.firing).toBe(firing);
      expect(rule.guarded).toBe(false);
    });
  });

  it('14.4 % errors at 99 %, exactly 14.4x on paper, fire the 1h/5m rule despite floating-point rounding', () => {
    // Prepare: 144 bad of 1000 a minute; 0.144 / (1 - 0.99) evaluates to 14.39999..., a hair below 14.4.
    const counts = tieredCounts(T, burningFrom(T - 2 * HOUR_MS, 0.144), 0, 3);
    // Act
    const evaluation = evaluateTenant({
      slo: sloWith({ objectivePercent: 99 }),
      tenant: 'acme',
      counts,
      evaluatedAt: T,
      previouslyActiveRules: [],
    });
    // Assess
    const rule = ruleResult(evaluation, '1h/5m');
    expect(rule.longBurnRate).toBeCloseTo(0.144 / 0.01, 9);
    expect(rule.firing).toBe(true);
  });

  describe('tenant objective override', () => {
    // 0.2 % errors: 0.002 / 0.001 = 2x at 99.9 %, 0.002 / 0.0001 = 20x at 99.99 %.
    it.each([
      { tenant: 'acme', objectivePercent: 99.9, oneHourBurn: 2, level: 'ok' },
      { tenant: 'gold', objectivePercent: 99.99, oneHourBurn: 20, level: 'page' },
    ])('$tenant is held to $objectivePercent%: 1h burn $oneHourBurn, level $level', ({ tenant, objectivePercent, oneHourBurn, level }) => {
      // Prepare
      const slo = sloWith({ overrides: { gold: { objectivePercent: 99.99 } } });
      const counts = tieredCounts(T, burningFrom(T - 12 * HOUR_MS, 0.002), 4);
      // Act
      const evaluation = evaluateTenant({ slo, tenant, counts, evaluatedAt: T, previouslyActiveRules: [] });
      // Assess
      expect(evaluation.objectivePercent).toBe(objectivePercent);
      expect(ruleResult(evaluation, '1h/5m').longBurnRate).toBeCloseTo(oneHourBurn, 6);
      expect(evaluation.level).toBe(level);
    });
  });
});

describe('activeRuleNames', () => {
  it('lists the firing rules in policy order', () => {
    // Prepare: 100 % errors for 6 hours fire both page rules; the 3d window is at 6h / 72h / 0.001 = 83x too.
    const counts = tieredCounts(T, burningFrom(T - 6 * HOUR_MS, 1), 4);
    const evaluation = evaluateTenant({ slo: sloWith(), tenant: 'acme', counts, evaluatedAt: T, previouslyActiveRules: [] });
    // Act
    const names = activeRuleNames(evaluation);
    // Assess
    expect(names).toEqual(['1h/5m', '6h/30m', '3d/6h']);
  });
});
