import {
  budgetConsumedInWindow,
  burnRate,
  burnRateFactor,
  DomainInputError,
  errorBudget,
  minutesToDetect,
  timeToExhaustionMinutes,
} from '../../lambda/domain/burn';

// Workbook notation: budget share b spent within window w of period T needs burn rate b x T / w.
const DAYS_30_IN_MINUTES = 30 * 24 * 60;
const DAYS_28_IN_MINUTES = 28 * 24 * 60;

describe('errorBudget', () => {
  it.each([
    { objectivePercent: 99.9, expected: 0.001 },
    { objectivePercent: 99.99, expected: 0.0001 },
    { objectivePercent: 99, expected: 0.01 },
    { objectivePercent: 95, expected: 0.05 },
  ])('an objective of $objectivePercent% leaves $expected of events as budget', ({ objectivePercent, expected }) => {
    // Act
    const budget = errorBudget(objectivePercent);
    // Assess
    expect(budget).toBeCloseTo(expected, 12);
  });

  it.each([0, 100, 120, -1, Number.NaN])('an objective of %p is refused with the field named', (objectivePercent) => {
    // Act / Assess
    expect(() => errorBudget(objectivePercent)).toThrow(DomainInputError);
    expect(() => errorBudget(objectivePercent)).toThrow(/objectivePercent must be .*between 0 and 100.*got/);
  });
});

describe('burnRate', () => {
  it.each([
    { total: 1000, bad: 1, objectivePercent: 99.9, expected: 1, why: 'spending exactly the budget' },
    { total: 10_000, bad: 144, objectivePercent: 99.9, expected: 14.4, why: 'the 1h page factor' },
    { total: 1000, bad: 1000, objectivePercent: 99.9, expected: 1000, why: 'a full outage: 1 / 0.001' },
    { total: 1000, bad: 10, objectivePercent: 99, expected: 1, why: '1 % errors against a 1 % budget' },
    { total: 0, bad: 0, objectivePercent: 99.9, expected: 0, why: 'no traffic is not an outage' },
  ])('$bad bad of $total at $objectivePercent% burns at $expected ($why)', ({ total, bad, objectivePercent, expected }) => {
    // Act
    const rate = burnRate({ total, bad }, objectivePercent);
    // Assess
    expect(rate).toBeCloseTo(expected, 9);
  });
});

describe('burnRateFactor', () => {
  it.each([
    { budgetPercent: 2, windowMinutes: 60, periodDays: 30, expected: (0.02 * DAYS_30_IN_MINUTES) / 60 }, // 14.4
    { budgetPercent: 5, windowMinutes: 360, periodDays: 30, expected: (0.05 * DAYS_30_IN_MINUTES) / 360 }, // 6
    { budgetPercent: 10, windowMinutes: 4320, periodDays: 30, expected: (0.1 * DAYS_30_IN_MINUTES) / 4320 }, // 1
    { budgetPercent: 2, windowMinutes: 60, periodDays: 28, expected: (0.02 * DAYS_28_IN_MINUTES) / 60 }, // 13.44
    { budgetPercent: 5, windowMinutes: 360, periodDays: 28, expected: (0.05 * DAYS_28_IN_MINUTES) / 360 }, // 5.6
    { budgetPercent: 10, windowMinutes: 4320, periodDays: 28, expected: (0.1 * DAYS_28_IN_MINUTES) / 4320 }, // 0.933
  ])(
    'spending $budgetPercent% of a $periodDays-day budget within $windowMinutes minutes needs a burn rate of $expected',
    ({ budgetPercent, windowMinutes, periodDays, expected }) => {
      // Act
      const factor = burnRateFactor(budgetPercent, windowMinutes, periodDays);
      // Assess
      expect(factor).toBeCloseTo(expected, 9);
    },
  );

  it.each([
    { budgetPercent: 0, windowMinutes: 60, periodDays: 30, field: 'budgetPercent' },
    { budgetPercent: 150, windowMinutes: 60, periodDays: 30, field: 'budgetPercent' },
    { budgetPercent: 2, windowMinutes: 0, periodDays: 30, field: 'windowMinutes' },
    { budgetPercent: 2, windowMinutes: 60, periodDays: -1, field: 'periodDays' },
  ])('refuses a bad $field and names it', ({ budgetPercent, windowMinutes, periodDays, field }) => {
    // Act / Assess
    expect(() => burnRateFactor(budgetPercent, windowMinutes, periodDays)).toThrow(new RegExp(`^${field} must be`));
  });
});

describe('budgetConsumedInWindow', () => {
  it.each([
    { rate: 14.4, windowMinutes: 60, periodDays: 30, expected: 0.02 },
    { rate: 6, windowMinutes: 360, periodDays: 30, expected: 0.05 },
    { rate: 1, windowMinutes: 4320, periodDays: 30, expected: 0.1 },
    { rate: 1, windowMinutes: DAYS_30_IN_MINUTES, periodDays: 30, expected: 1 },
    { rate: 0, windowMinutes: 60, periodDays: 30, expected: 0 },
  ])(
    'burning at $rate for $windowMinutes minutes of a $periodDays-day period spends $expected of the budget',
    ({ rate, windowMinutes, periodDays, expected }) => {
      // Act
      const consumed = budgetConsumedInWindow(rate, windowMinutes, periodDays);
      // Assess
      expect(consumed).toBeCloseTo(expected, 9);
    },
  );
});

describe('timeToExhaustionMinutes', () => {
  it.each([
    { budgetRemaining: 1, rate: 1, expected: DAYS_30_IN_MINUTES, why: 'burn rate 1 spends the budget in one period' },
    { budgetRemaining: 0.5, rate: 14.4, expected: (0.5 * DAYS_30_IN_MINUTES) / 14.4, why: 'half the budget at 14.4x' },
    { budgetRemaining: 0.98, rate: 14.4, expected: 2940, why: 'after one hour at 14.4x' },
    { budgetRemaining: 0, rate: 14.4, expected: 0, why: 'the budget is spent' },
    { budgetRemaining: -0.2, rate: 2, expected: 0, why: 'the budget is overspent' },
    { budgetRemaining: 0.5, rate: 0, expected: null, why: 'nothing is burning' },
  ])('$budgetRemaining of the budget at $rate lasts $expected minutes ($why)', ({ budgetRemaining, rate, expected }) => {
    // Act
    const minutes = timeToExhaustionMinutes(budgetRemaining, rate, 30);
    // Assess
    if (expected === null) expect(minutes).toBeNull();
    else expect(minutes).toBeCloseTo(expected, 6);
  });
});

describe('minutesToDetect', () => {
  it.each([
    // Workbook: detection time = (1 - SLO) x factor x long window / error ratio.
    { rule: 14.4, longWindowMinutes: 60, errorRatio: 1, expected: 0.001 * 14.4 * 60 }, // 0.864
    { rule: 6, longWindowMinutes: 360, errorRatio: 1, expected: 0.001 * 6 * 360 }, // 2.16
    { rule: 1, longWindowMinutes: 4320, errorRatio: 1, expected: 0.001 * 1 * 4320 }, // 4.32
    { rule: 14.4, longWindowMinutes: 60, errorRatio: 0.1, expected: (0.001 * 14.4 * 60) / 0.1 }, // 8.64
  ])(
    'at 99.9% with $errorRatio errors the $rule x / $longWindowMinutes-minute rule detects in $expected minutes',
    ({ rule, longWindowMinutes, errorRatio, expected }) => {
      // Act
      const minutes = minutesToDetect(rule, 99.9, longWindowMinutes, errorRatio);
      // Assess
      expect(minutes).toBeCloseTo(expected, 9);
    },
  );

  it.each([
    { errorRatio: 0, why: 'there are no errors' },
    { errorRatio: 0.01, why: '1 % errors stay below the 1.44 % the 14.4x rule needs' },
  ])('the 14.4x / 1h rule never detects when $why', ({ errorRatio }) => {
    // Act / Assess
    expect(minutesToDetect(14.4, 99.9, 60, errorRatio)).toBeNull();
  });

  it('refuses an error ratio above 1 and names the field', () => {
    // Act / Assess
    expect(() => minutesToDetect(14.4, 99.9, 60, 1.5)).toThrow(/^errorRatio must be a number from 0 to 1; got 1.5$/);
  });
});
