import { DomainInputError } from '../../lambda/domain/burn';
import {
  DEFAULT_TRAFFIC_GUARD,
  formatWindow,
  InvalidWindowError,
  parseWindow,
  ruleFromBudget,
  ruleFromFactor,
  sreWorkbookPolicy,
} from '../../lambda/domain/policy';

describe('formatWindow', () => {
  it.each([
    { minutes: 5, text: '5m' },
    { minutes: 30, text: '30m' },
    { minutes: 60, text: '1h' },
    { minutes: 90, text: '90m' },
    { minutes: 360, text: '6h' },
    { minutes: 1440, text: '1d' },
    { minutes: 4320, text: '3d' },
    { minutes: 43_200, text: '30d' },
  ])('$minutes minutes read as $text', ({ minutes, text }) => {
    // Act / Assess
    expect(formatWindow(minutes)).toBe(text);
  });

  it.each([0, -5, 1.5])('%p minutes is refused', (minutes) => {
    // Act / Assess
    expect(() => formatWindow(minutes)).toThrow(/^windowMinutes must be a whole number of minutes greater than 0; got/);
  });
});

describe('parseWindow', () => {
  it.each([
    { text: '90m', minutes: 90 },
    { text: '1h', minutes: 60 },
    { text: '6h', minutes: 360 },
    { text: '3d', minutes: 4320 },
    { text: ' 5m ', minutes: 5 },
  ])('"$text" is $minutes minutes', ({ text, minutes }) => {
    // Act / Assess
    expect(parseWindow(text)).toBe(minutes);
  });

  it.each(['', '1w', '0h', '1.5h', 'h', '-1h', '60', '1H'])('"%s" is refused with the field and the allowed form', (text) => {
    // Act
    const parse = (): number => parseWindow(text, 'rules[0].longWindow');
    // Assess
    expect(parse).toThrow(InvalidWindowError);
    expect(parse).toThrow(
      'rules[0].longWindow must be a whole number of minutes, hours or days greater than 0, ' +
        `written like "5m", "1h" or "3d"; got ${JSON.stringify(text)}`,
    );
  });

  it.each([5, 30, 60, 90, 360, 1440, 4320])('%p minutes survive formatting and parsing unchanged', (minutes) => {
    // Act / Assess
    expect(parseWindow(formatWindow(minutes))).toBe(minutes);
  });
});

describe('sreWorkbookPolicy', () => {
  it.each([
    // factor = budget share x period minutes / long window minutes
    { periodDays: 30, factors: [(0.02 * 43_200) / 60, (0.05 * 43_200) / 360, (0.1 * 43_200) / 4320] }, // 14.4, 6, 1
    { periodDays: 28, factors: [(0.02 * 40_320) / 60, (0.05 * 40_320) / 360, (0.1 * 40_320) / 4320] }, // 13.44, 5.6, 0.93
  ])('for a $periodDays-day period pages at 2 % / 1h and 5 % / 6h and tickets at 10 % / 3d', ({ periodDays, factors }) => {
    // Act
    const rules = sreWorkbookPolicy(periodDays);
    // Assess
    expect(rules.map((rule) => [rule.name, rule.severity, rule.longWindowMinutes, rule.shortWindowMinutes])).toEqual([
      ['1h/5m', 'page', 60, 5],
      ['6h/30m', 'page', 360, 30],
      ['3d/6h', 'ticket', 4320, 360],
    ]);
    rules.forEach((rule, index) => expect(rule.burnRate).toBeCloseTo(factors[index]!, 9));
  });

  it('uses the Workbook factors 14.4, 6 and 1 for the default 30-day period', () => {
    // Act
    const rules = sreWorkbookPolicy();
    // Assess
    expect(rules[0]!.burnRate).toBeCloseTo(14.4, 9);
    expect(rules[1]!.burnRate).toBeCloseTo(6, 9);
    expect(rules[2]!.burnRate).toBeCloseTo(1, 9);
  });
});

describe('custom policies', () => {
  it.each([
    {
      policy: 'ticket at 10 % of the monthly budget within 3 days',
      input: { severity: 'ticket' as const, longWindowMinutes: 4320, budgetPercent: 10, periodDays: 30 },
      name: '3d/6h',
      factor: (0.1 * 43_200) / 4320,
    },
    {
      policy: 'page at 25 % of the monthly budget within a day',
      input: { severity: 'page' as const, longWindowMinutes: 1440, budgetPercent: 25, periodDays: 30 },
      name: '1d/2h',
      factor: (0.25 * 43_200) / 1440,
    },
    {
      policy: 'page at 25 % of the monthly budget within 6 hours, 15-minute short window',
      input: { severity: 'page' as const, longWindowMinutes: 360, shortWindowMinutes: 15, budgetPercent: 25, periodDays: 30 },
      name: '6h/15m',
      factor: (0.25 * 43_200) / 360,
    },
  ])('"$policy" becomes rule $name', ({ input, name, factor }) => {
    // Act
    const rule = ruleFromBudget(input);
    // Assess
    expect(rule.name).toBe(name);
    expect(rule.severity).toBe(input.severity);
    expect(rule.burnRate).toBeCloseTo(factor, 9);
  });

  it('takes a factor as given, with the short window 1/12 of the long one by default', () => {
    // Act
    const rule = ruleFromFactor({ severity: 'page', longWindowMinutes: 120, burnRate: 10 });
    // Assess
    expect(rule).toEqual({ name: '2h/10m', severity: 'page', longWindowMinutes: 120, shortWindowMinutes: 10, burnRate: 10 });
  });

  it.each([
    { input: { severity: 'page' as const, longWindowMinutes: 60, shortWindowMinutes: 60, burnRate: 14.4 }, field: 'shortWindowMinutes' },
    { input: { severity: 'page' as const, longWindowMinutes: 0, burnRate: 14.4 }, field: 'longWindowMinutes' },
    { input: { severity: 'page' as const, longWindowMinutes: 60, burnRate: 0 }, field: 'burnRate' },
    { input: { severity: 'sms' as unknown as 'page', longWindowMinutes: 60, burnRate: 14.4 }, field: 'severity' },
  ])('a rule with a bad $field is refused and the field named', ({ input, field }) => {
    // Act / Assess
    expect(() => ruleFromFactor(input)).toThrow(DomainInputError);
    expect(() => ruleFromFactor(input)).toThrow(new RegExp(`^${field} must be .*; got`));
  });
});

describe('DEFAULT_TRAFFIC_GUARD', () => {
  it('needs 100 events in the long window and 3 bad events in the short window', () => {
    // Assess
    expect(DEFAULT_TRAFFIC_GUARD).toEqual({ minEventsInLongWindow: 100, minBadEventsInShortWindow: 3 });
  });
});
