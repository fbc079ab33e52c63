/**
 * The evaluator's rules over time slices and calendar periods: a p99 latency breach pages at the minute the SRE
 * Workbook's detection-time formula gives, a ratio SLI judged per minute against its timeSliceTarget does the same,
 * and a calendar month that starts in the middle of the data counts only its own minutes in the budget while the
 * burn-rate windows keep rolling across the month boundary.
 */
import { DomainInputError } from '../../lambda/domain/burn';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { BurnRateRule, CountBucket, CountSeries, SloDefinition, TenantEvaluation } from '../../lambda/domain/model';
import { activeRuleNames, calendarTimeToExhaustionMinutes, evaluateTenant } from '../../lambda/domain/rules';
import { ratioSlices, thresholdSlices } from '../../lambda/domain/time-slices';
import type { StatisticPoint } from '../../lambda/domain/time-slices';
import { P99_SLI, apiSlo } from '../support/slo-fixture';

// The Workbook's policy for a 30-day period, written out so these tests do not depend on policy.ts.
const WORKBOOK_RULES: BurnRateRule[] = [
  { name: '1h/5m', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 },
  { name: '6h/30m', severity: 'page', longWindowMinutes: 360, shortWindowMinutes: 30, burnRate: 6 },
  { name: '3d/6h', severity: 'ticket', longWindowMinutes: 4320, shortWindowMinutes: 360, burnRate: 1 },
];
const NO_GUARD = { minEventsInLongWindow: 0, minBadEventsInShortWindow: 0 };


/** 99 % of minutes with p99 <= 300 ms over 30 days. */
const P99_SLO: SloDefinition = {
  ...apiSlo({ objectivePercent: 99, rules: WORKBOOK_RULES, trafficGuard: NO_GUARD }),
  name: 'api-latency',
  sli: P99_SLI,
  timeSlices: { sliceMinutes: 1, timeSliceTarget: null },
};

const T0 = Date.UTC(2026, 2, 2); // an hour boundary
const at = (minute: number): number => T0 + minute * MINUTE_MS;

/** Evaluates every minute end in [fromEnd, toEnd] over one fine series (only buckets before each end count). */
function evaluateEachMinute(slo: SloDefinition, fine: CountSeries, fromEnd: number, toEnd: number): TenantEvaluation[] {
  const evaluations: TenantEvaluation[] = [];
  let active: readonly string[] = [];
  for (let end = fromEnd; end <= toEnd; end += MINUTE_MS) {
    const evaluation = evaluateTenant({ slo, tenant: 'acme', counts: { fine, fineFrom: 0, coarse: null }, evaluatedAt: end, previouslyActiveRules: active });
    active = activeRuleNames(evaluation);
    evaluations.push(evaluation);
  }
  return evaluations;
}

/** The first end (as minutes from T0) at which `rule` fires, or null; and the first after that at which it stops. */
function firingSpan(evaluations: readonly TenantEvaluation[], rule: string): { firedAt: number | null; stoppedAt: number | null } {
  const fires = (evaluation: TenantEvaluation): boolean => evaluation.rules.some((result) => result.rule.name === rule && result.firing);
  const first = evaluations.findIndex(fires);
  if (first < 0) return { firedAt: null, stoppedAt: null };
  const stop = evaluations.findIndex((evaluation, index) => index > first && !fires(evaluation));
  const minuteOf = (evaluation: TenantEvaluation | undefined): number | null =>
    evaluation === undefined ? null : (evaluation.evaluatedAt - T0) / MINUTE_MS;
  return { firedAt: minuteOf(evaluations[first]), stoppedAt: stop < 0 ? null : minuteOf(evaluations[stop]) };
}

describe('evaluateTenant over 1-minute time slices', () => {
  // Three days and an hour of p99 = 120 ms (so every window, 3d included, is full of slices), then p99 = 900 ms for
  // 30 minutes, then 120 ms again for 90 minutes.
  const BREACH_START = 3 * 24 * 60 + 60;
  const BREACH_MINUTES = 30;
  const SERIES_MINUTES = BREACH_START + 120;
  const points: StatisticPoint[] = Array.from({ length: SERIES_MINUTES }, (_, minute) => ({
    start: at(minute),
    value: minute >= BREACH_START && minute < BREACH_START + BREACH_MINUTES ? 900 : 120,
  }));
  const evaluations = evaluateEachMinute(P99_SLO, thresholdSlices(P99_SLI, 60, points), at(BREACH_START), at(SERIES_MINUTES));

  // With every minute a slice, after k bad minutes the 1h window's burn rate is (k / 60) / 0.01 and the 5m window's
  // (min(k, 5) / 5) / 0.01. The 5m window reaches 14.4 at k = 1 (20); the 1h window when k / 60 >= 14.4 x 0.01,
  // i.e. k >= 0.01 x 14.4 x 60 = 8.64 (the Workbook's detection time at 100 % errors), so on the 9th bad minute.
  // 6h/30m: k / 360 >= 6 x 0.01 -> k >= 21.6, the 22nd minute (the 30m window: k / 30 >= 0.06 at k = 2).
  // 3d/6h: k / 4320 >= 1 x 0.01 needs k >= 43.2 bad minutes: a 30-minute breach never opens the ticket (with less
  // than 3 days of slices it would: the 3d window holds only the minutes that have data).
  it.each([
    { rule: '1h/5m', detection: Math.ceil(0.01 * 14.4 * 60) },
    { rule: '6h/30m', detection: Math.ceil(0.01 * 6 * 360) },
  ])('pages on $rule at the end of bad minute $detection of the breach', ({ rule, detection }) => {
    // Act
    const span = firingSpan(evaluations, rule);

    // Assess
    expect(span.firedAt).toBe(BREACH_START + detection);
  });

  it('burns at the Workbook rates on the 9th bad minute: 1h at 9/60/0.01 = 15, 5m at 5/5/0.01 = 100', () => {
    // Act
    const ninth = evaluations.find((evaluation) => evaluation.evaluatedAt === at(BREACH_START + 9));
    const burn = (minutes: number): number | undefined => ninth?.windows.find((window) => window.windowMinutes === minutes)?.burnRate;

    // Assess
    expect(burn(60)).toBeCloseTo(15, 9);
    expect(burn(5)).toBeCloseTo(100, 9);
    expect(ninth?.level).toBe('page');
  });

  it('stops 1h/5m once the 5m window is clean: 5 minutes after the breach ends', () => {
    // Act
    const span = firingSpan(evaluations, '1h/5m');

    // Assess: the 5m window [450, 455) holds no bad minute, so its burn rate is 0 at end 455
    expect(span.stoppedAt).toBe(BREACH_START + BREACH_MINUTES + 5);
  });

  it('never opens the 3d/6h ticket on a 30-minute breach', () => {
    // Act
    const span = firingSpan(evaluations, '3d/6h');

    // Assess
    expect(span.firedAt).toBeNull();
  });

  it('counts slice minutes in the budget: 30 bad of the 4,500 minutes with data spend (30 / 4,500) / 0.01 of it', () => {
    // Act
    const last = evaluations[evaluations.length - 1]!;

    // Assess: minutes without data are no slices, so the 30-day period holds only the 4,500 minutes read
    expect(last.periodEvents).toEqual({ total: 4500, bad: 30 });
    expect(last.budgetConsumed).toBeCloseTo(30 / 4500 / 0.01, 9);
  });

  it('pages a ratio SLI judged per minute against timeSliceTarget 0.99 at the same minute as the p99 breach', () => {
    // Prepare: 1,000 requests a minute; 5 bad (0.995, good) except 20 bad (0.98, bad slice) in the breach
    const slo: SloDefinition = { ...apiSlo({ objectivePercent: 99, rules: WORKBOOK_RULES, trafficGuard: NO_GUARD }), timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.99 } };
    const counts: CountBucket[] = Array.from({ length: SERIES_MINUTES }, (_, minute) => ({
      start: at(minute),
      total: 1000,
      bad: minute >= BREACH_START && minute < BREACH_START + BREACH_MINUTES ? 20 : 5,
    }));

    // Act
    const ratioEvaluations = evaluateEachMinute(slo, ratioSlices(0.99, { periodSeconds: 60, buckets: counts }), at(BREACH_START), at(BREACH_START + 60));

    // Assess: as above, the 9th bad minute (by events the 1h window would burn at only 20 x 9 / 60,000 / 0.01 = 0.3)
    expect(firingSpan(ratioEvaluations, '1h/5m').firedAt).toBe(BREACH_START + Math.ceil(0.01 * 14.4 * 60));
  });
});

describe('evaluateTenant over a calendar month that starts mid-series', () => {
  // 99.5 % of requests per UTC calendar month. 1,000 requests a minute from 28 February 18:00 UTC; 1 % bad (10 a
  // minute) until midnight, 0.1 % (1 a minute) in March.
  const MARCH = Date.UTC(2026, 2, 1);
  const SERIES_START = MARCH - 6 * 60 * MINUTE_MS;
  const slo: SloDefinition = apiSlo({
    objectivePercent: 99.5,
    rules: WORKBOOK_RULES,
    trafficGuard: NO_GUARD,
    calendar: { unit: 'month', timeZone: 'UTC' },
  });
  const buckets: CountBucket[] = Array.from({ length: 12 * 60 }, (_, minute) => {
    const start = SERIES_START + minute * MINUTE_MS;
    return { start, total: 1000, bad: start < MARCH ? 10 : 1 };
  });
  const evaluate = (end: number, subject: SloDefinition = slo): TenantEvaluation =>
    evaluateTenant({ slo: subject, tenant: 'acme', counts: { fine: { periodSeconds: 60, buckets }, fineFrom: 0, coarse: null }, evaluatedAt: end, previouslyActiveRules: [] });

  it.each([
    // March 06:00: the period is the 360 March minutes, 360 bad of 360,000: 0.001 / 0.005 = 0.2 of the budget.
    { name: 'six hours into March', end: MARCH + 360 * MINUTE_MS, periodMinutes: 360, total: 360_000, bad: 360, consumed: 0.001 / 0.005 },
    // One minute into March: only March's first minute, 1 of 1,000.
    { name: 'one minute into March', end: MARCH + MINUTE_MS, periodMinutes: 1, total: 1000, bad: 1, consumed: 0.001 / 0.005 },
    // February 23:00: February so far (28 days minus an hour); the series holds its last 5 hours at 1 %: 2 x the budget.
    { name: 'an hour before March', end: MARCH - 60 * MINUTE_MS, periodMinutes: 28 * 24 * 60 - 60, total: 300_000, bad: 3000, consumed: 0.01 / 0.005 },
  ])('$name: the period window is $periodMinutes minutes and $consumed of the budget is spent', ({ end, periodMinutes, total, bad, consumed }) => {
    // Act
    const evaluation = evaluate(end);

    // Assess
    expect(evaluation.windows.map((window) => window.windowMinutes)).toContain(periodMinutes);
    expect(evaluation.periodEvents).toEqual({ total, bad });
    expect(evaluation.budgetConsumed).toBeCloseTo(consumed, 9);
    expect(evaluation.budgetRemaining).toBeCloseTo(1 - consumed, 9);
  });

  it('counts February in a rolling 30-day period at the same instant: (3,600 + 360) / 720,000 / 0.005 = 1.1', () => {
    // Prepare
    const rolling: SloDefinition = { ...slo, calendar: undefined };

    // Act
    const evaluation = evaluate(MARCH + 360 * MINUTE_MS, rolling);

    // Assess
    expect(evaluation.periodEvents).toEqual({ total: 720_000, bad: 3960 });
    expect(evaluation.budgetConsumed).toBeCloseTo(3960 / 720_000 / 0.005, 9);
  });

  it('keeps the burn-rate windows rolling across the month start: at 00:30 the 1h window holds 30 February minutes', () => {
    // Act
    const evaluation = evaluate(MARCH + 30 * MINUTE_MS);
    const hour = evaluation.windows.find((window) => window.windowMinutes === 60);

    // Assess: 30 x 10 + 30 x 1 bad of 60,000; burn rate 0.0055 / 0.005 = 1.1
    expect(hour).toMatchObject({ total: 60_000, bad: 330 });
    expect(hour?.burnRate).toBeCloseTo(330 / 60_000 / 0.005, 9);
  });

  it('gives the time until the whole month\'s budget is gone, though the month so far is over budget', () => {
    // Prepare: March 05:00-06:00 at 10 % bad: the 1h window burns at 0.1 / 0.005 = 20
    const burning = buckets.map((bucket) =>
      bucket.start >= MARCH + 300 * MINUTE_MS ? { ...bucket, bad: 100 } : bucket,
    );
    const end = MARCH + 360 * MINUTE_MS;

    // Act
    const evaluation = evaluateTenant({ slo, tenant: 'acme', counts: { fine: { periodSeconds: 60, buckets: burning }, fineFrom: 0, coarse: null }, evaluatedAt: end, previouslyActiveRules: [] });

    // Assess: consumed (300 + 6,000) / 360,000 / 0.005 = 3.5 of the month-to-date budget. March has 44,640 minutes
    // of budget at this traffic, 3.5 x 360 = 1,260 of them spent: the other 43,380 last 43,380 / 20 = 2,169 minutes.
    expect(evaluation.budgetConsumed).toBeCloseTo(3.5, 9);
    expect(evaluation.timeToExhaustionMinutes).toBeCloseTo((31 * 24 * 60 - 3.5 * 360) / 20, 6);
  });
});

describe('calendarTimeToExhaustionMinutes', () => {
  const monthly = apiSlo({ calendar: { unit: 'month', timeZone: 'UTC' } });
  const MARCH = Date.UTC(2026, 2, 1);
  const MARCH_MINUTES = 31 * 24 * 60;

  it.each([
    // The month's first minute, nothing spent: 44,640 / 14.4 = 3,100 minutes (the rolling formula over a month).
    { name: 'at 14.4x on the month\'s first minute', end: MARCH + MINUTE_MS, consumed: 0, burnRate: 14.4, minutes: MARCH_MINUTES / 14.4 },
    // 30 days in at 1.05 x the budget: 45,360 minutes' worth spent of 44,640.
    { name: 'once the month\'s whole budget is spent', end: MARCH + 30 * 1440 * MINUTE_MS, consumed: 1.05, burnRate: 2, minutes: 0 },
    // 30 days in at half the budget, burning 1x: (44,640 - 21,600) / 1 = 23,040 minutes, but the month ends in 1,440.
    { name: 'when the month resets before the budget runs out', end: MARCH + 30 * 1440 * MINUTE_MS, consumed: 0.5, burnRate: 1, minutes: null },
    { name: 'when not burning', end: MARCH + 60 * MINUTE_MS, consumed: 0.1, burnRate: 0, minutes: null },
  ])('$name: $minutes', ({ end, consumed, burnRate, minutes }) => {
    // Act
    const result = calendarTimeToExhaustionMinutes(monthly, end, consumed, burnRate);

    // Assess
    if (minutes === null) expect(result).toBeNull();
    else expect(result).toBeCloseTo(minutes, 6);
  });

  it('refuses a time zone that is not an IANA name, naming the field', () => {
    // Prepare
    const slo = apiSlo({ calendar: { unit: 'month', timeZone: 'Nowhere/Special' } });

    // Act
    const act = (): number | null => calendarTimeToExhaustionMinutes(slo, MARCH, 0.1, 2);

    // Assess
    expect(act).toThrow(DomainInputError);
    expect(act).toThrow(/calendar\.timeZone/);
  });
});
