/**
 * Threshold SLIs, time-slice budgeting and calendar periods in the Burnwatch props: what they normalise to, and
 * every combination that cannot work refused with the field, what is allowed and what was given.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatProblem } from '../../lib/config/errors';
import { normalizeBurnwatchProps } from '../../lib/config/normalize';
import { isTimeZone, validateBurnwatchProps } from '../../lib/config/validate';
import { mutableProps, workbookBurnRate } from './fixtures';

type Props = Record<string, any>;

/** The fixture with its SLO turned into a p99 <= 300 ms threshold SLO, then changed by `change`. */
function thresholdProps(change: (slo: Props) => void = () => undefined): Props {
  const props = mutableProps();
  const slo = props.slos[0] as Props;
  slo.name = 'checkout-p99';
  slo.objective = 99;
  slo.sli = {
    namespace: 'Shop/Checkout',
    tenantDimension: 'TenantId',
    dimensions: { Service: 'checkout' },
    threshold: { metric: { metricName: 'Latency', stat: 'p99' }, op: 'lte', value: 300 },
  };
  change(slo);
  return props;
}

/** The fixture's ratio SLO, changed by `change`. */
function ratioProps(change: (slo: Props) => void = () => undefined): Props {
  const props = mutableProps();
  change(props.slos[0] as Props);
  return props;
}

const problemsOf = (props: unknown): string[] => validateBurnwatchProps(props).map(formatProblem);
const sloOf = (props: Props) => normalizeBurnwatchProps(props as never).runtime.slos[0]!;

const STATISTIC_PREFIX = 'must be a CloudWatch statistic: Sum, SampleCount, ';

describe('threshold SLIs and time slices: valid configurations', () => {
  it('normalises a p99 threshold SLI to a threshold SLI budgeted by 1-minute slices', () => {
    // Act
    const slo = sloOf(thresholdProps());

    // Assess
    expect(slo.sli).toEqual({
      kind: 'threshold',
      namespace: 'Shop/Checkout',
      tenantDimension: 'TenantId',
      dimensions: { Service: 'checkout' },
      metric: { id: 'value', metricName: 'Latency', stat: 'p99' },
      op: 'lte',
      threshold: 300,
    });
    expect(slo.timeSlices).toEqual({ sliceMinutes: 1, timeSliceTarget: null });
    expect(slo).not.toHaveProperty('calendar');
  });

  it('gives a time-slice SLO the traffic guard in minutes: 10 minutes with data, 2 bad minutes', () => {
    // Act
    const slo = sloOf(thresholdProps());

    // Assess
    expect(slo.trafficGuard).toEqual({ minEventsInLongWindow: 10, minBadEventsInShortWindow: 2 });
  });

  it('keeps a written traffic guard under time slices', () => {
    // Act
    const slo = sloOf(thresholdProps((s) => (s.alerting = { trafficGuard: { minEventsInLongWindow: 30, minBadEventsInShortWindow: 3 } })));

    // Assess
    expect(slo.trafficGuard).toEqual({ minEventsInLongWindow: 30, minBadEventsInShortWindow: 3 });
  });

  it('derives the SRE Workbook burn rates of a time-slice SLO from its period, as for events', () => {
    // Act
    const slo = sloOf(thresholdProps());

    // Assess
    expect(slo.rules.map((rule) => rule.name)).toEqual(['1h/5m', '6h/30m', '3d/6h']);
    expect(slo.rules[0]!.burnRate).toBeCloseTo(workbookBurnRate(2, 60, 30));
    expect(slo.rules[1]!.burnRate).toBeCloseTo(workbookBurnRate(5, 360, 30));
    expect(slo.rules[2]!.burnRate).toBeCloseTo(workbookBurnRate(10, 3 * 24 * 60, 30));
  });

  it.each(['p99', 'tm99', 'Average', 'Maximum', 'TC(:300)', 'PR(:300)', 'Sum'])('judges a slice by the statistic %s', (stat) => {
    // Act
    const problems = problemsOf(thresholdProps((s) => (s.sli.threshold.metric.stat = stat)));

    // Assess
    expect(problems).toEqual([]);
  });

  it.each(['lt', 'lte', 'gt', 'gte'])('accepts the operator %s', (op) => {
    // Act
    const slo = sloOf(thresholdProps((s) => (s.sli.threshold.op = op)));

    // Assess
    expect(slo.sli.kind === 'threshold' && slo.sli.op).toBe(op);
  });

  it('budgets a ratio SLI by time slices: a slice is good when its good ratio reaches timeSliceTarget', () => {
    // Act
    const slo = sloOf(ratioProps((s) => Object.assign(s, { budgeting: 'timeslices', timeSliceMinutes: 5, timeSliceTarget: 0.95 })));

    // Assess
    expect(slo.sli.kind).toBe('ratio');
    expect(slo.timeSlices).toEqual({ sliceMinutes: 5, timeSliceTarget: 0.95 });
  });

  it('leaves a ratio SLI without budgeting counting events, as before', () => {
    // Act
    const slo = sloOf(ratioProps());

    // Assess
    expect(slo).not.toHaveProperty('timeSlices');
    expect(slo).not.toHaveProperty('calendar');
    expect(slo.trafficGuard).toEqual({ minEventsInLongWindow: 100, minBadEventsInShortWindow: 3 });
  });

  it('allows a 90-day time-slice period with hourly slices, which CloudWatch keeps beyond 63 days', () => {
    // Prepare
    const props = thresholdProps((s) => {
      s.periodDays = 90;
      s.timeSliceMinutes = 60;
      s.alerting = { rules: [{ severity: 'page', longWindow: '6h', shortWindow: '1h', burnRate: 6 }] };
    });

    // Act / Assess
    expect(problemsOf(props)).toEqual([]);
  });
});

describe('calendar periods: valid configurations', () => {
  it('defaults a calendar period to months in UTC with a nominal 30 days', () => {
    // Act
    const slo = sloOf(ratioProps((s) => (s.calendar = {})));

    // Assess
    expect(slo.calendar).toEqual({ unit: 'month', timeZone: 'UTC' });
    expect(slo.periodDays).toBe(30);
  });

  it('derives burn rates from the nominal month length: 2 % in 1h of a 31-day month', () => {
    // Act
    const slo = sloOf(ratioProps((s) => ((s.calendar = { unit: 'month', timeZone: 'Europe/Paris' }), (s.periodDays = 31))));

    // Assess
    expect(slo.calendar).toEqual({ unit: 'month', timeZone: 'Europe/Paris' });
    expect(slo.rules[0]!.burnRate).toBeCloseTo(workbookBurnRate(2, 60, 31));
  });

  it.each(['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'])('knows the time zone %s', (zone) => {
    // Act / Assess
    expect(isTimeZone(zone)).toBe(true);
  });
});

describe('threshold SLIs, time slices and calendar periods: refused', () => {
  it.each<[string, Props, string[]]>([
    [
      'a threshold SLI budgeted by occurrences',
      thresholdProps((s) => (s.budgeting = 'occurrences')),
      [
        'slos[0].budgeting: must be "timeslices" (or omitted) for a threshold SLI: a statistic such as p99 judges a slice, it counts no events; ' +
          'to budget by events write a ratio SLI that counts samples, e.g. good: TC(:300) over total: SampleCount, got "occurrences"',
      ],
    ],
    ['an unknown budgeting method', ratioProps((s) => (s.budgeting = 'slices')), ['slos[0].budgeting: must be "occurrences" or "timeslices", got "slices"']],
    [
      'an operator outside the list',
      thresholdProps((s) => (s.sli.threshold.op = 'le')),
      ['slos[0].sli.threshold.op: must be "lt", "lte", "gt", "gte": a slice is good when its statistic op value holds, got "le"'],
    ],
    ['a threshold given as text', thresholdProps((s) => (s.sli.threshold.value = '300')), ['slos[0].sli.threshold.value: must be a number, got "300"']],
    ['an infinite threshold', thresholdProps((s) => (s.sli.threshold.value = Infinity)), ['slos[0].sli.threshold.value: must be a number, got Infinity']],
    [
      'a threshold SLI that also gives ratio expressions',
      thresholdProps((s) => (s.sli.total = 'requests')),
      ['slos[0].sli.total: must be omitted in a threshold SLI: metrics, bad, good and total make a ratio SLI, threshold judges one statistic per slice, got "requests"'],
    ],
    [
      'a misspelt threshold field',
      thresholdProps((s) => ((s.sli.threshold.threshold = 300), delete s.sli.threshold.value)),
      [
        'slos[0].sli.threshold.threshold: unknown field (allowed: metric, op, value), got 300',
        'slos[0].sli.threshold.value: must be a number, got nothing',
      ],
    ],
    [
      'a slice length that does not divide an hour',
      thresholdProps((s) => (s.timeSliceMinutes = 7)),
      ["slos[0].timeSliceMinutes: must be one of 1, 5, 10, 15, 20, 30, 60: whole minutes that divide an hour and fit CloudWatch's 5-minute resolution for data older than 15 days, got 7"],
    ],
    [
      'a slice length that divides an hour but not 5-minute data',
      thresholdProps((s) => (s.timeSliceMinutes = 2)),
      ["slos[0].timeSliceMinutes: must be one of 1, 5, 10, 15, 20, 30, 60: whole minutes that divide an hour and fit CloudWatch's 5-minute resolution for data older than 15 days, got 2"],
    ],
    [
      'a slice length on an SLO that counts events',
      ratioProps((s) => (s.timeSliceMinutes = 5)),
      ['slos[0].timeSliceMinutes: may be given only with budgeting: "timeslices", got 5'],
    ],
    [
      'a time-slice target on an SLO that counts events',
      ratioProps((s) => (s.timeSliceTarget = 0.9)),
      ['slos[0].timeSliceTarget: may be given only with budgeting: "timeslices", got 0.9'],
    ],
    [
      'a time-slice target on a threshold SLI',
      thresholdProps((s) => (s.timeSliceTarget = 0.9)),
      ['slos[0].timeSliceTarget: must be omitted for a threshold SLI: its slice is good when threshold.op holds (timeSliceTarget is for ratio SLIs), got 0.9'],
    ],
    [
      'a ratio SLI by time slices without a target',
      ratioProps((s) => (s.budgeting = 'timeslices')),
      ['slos[0].timeSliceTarget: must be given for a ratio SLI with budgeting: "timeslices": a number > 0 and <= 1, the share of good events that makes a slice good, got nothing'],
    ],
    [
      'a time-slice target of 0',
      ratioProps((s) => Object.assign(s, { budgeting: 'timeslices', timeSliceTarget: 0 })),
      ['slos[0].timeSliceTarget: must be a number > 0 and <= 1, got 0'],
    ],
    [
      'a time-slice target above 1',
      ratioProps((s) => Object.assign(s, { budgeting: 'timeslices', timeSliceTarget: 1.2 })),
      ['slos[0].timeSliceTarget: must be a number > 0 and <= 1, got 1.2'],
    ],
    [
      'slices longer than the SRE Workbook policy\'s 5-minute short window',
      thresholdProps((s) => (s.timeSliceMinutes = 10)),
      ['slos[0].timeSliceMinutes: must divide every window of the SRE Workbook policy (1h/5m does not fit whole slices); give alerting.rules whose windows hold whole slices, got 10'],
    ],
    [
      'a written short window that is not whole slices',
      thresholdProps((s) => ((s.timeSliceMinutes = 5), (s.alerting = { rules: [{ severity: 'page', longWindow: '1h', shortWindow: '7m', burnRate: 14.4 }] }))),
      ['slos[0].alerting.rules[0].shortWindow: must be a whole number of time slices (timeSliceMinutes 5), got "7m"'],
    ],
    [
      'a long window that is not whole slices',
      thresholdProps((s) => ((s.timeSliceMinutes = 10), (s.alerting = { rules: [{ severity: 'page', longWindow: '65m', shortWindow: '10m', burnRate: 14.4 }] }))),
      ['slos[0].alerting.rules[0].longWindow: must be a whole number of time slices (timeSliceMinutes 10), got "65m"'],
    ],
    [
      'a derived short window that is not whole slices',
      thresholdProps((s) => ((s.timeSliceMinutes = 10), (s.alerting = { rules: [{ severity: 'page', longWindow: '1h', burnRate: 14.4 }] }))),
      ['slos[0].alerting.rules[0].shortWindow: must be a whole number of time slices (timeSliceMinutes 10); give it, got nothing (derived as a twelfth of longWindow: 5m)'],
    ],
    [
      'an event-sized traffic guard that no 1-hour window of minutes can meet',
      thresholdProps((s) => (s.alerting = { trafficGuard: { minEventsInLongWindow: 100 } })),
      ['slos[0].alerting.trafficGuard.minEventsInLongWindow: must be at most 60 with time-slice budgeting: it counts minutes, and the long window of rule 1h/5m holds only 60, got 100'],
    ],
    [
      'a default guard that a rule\'s short window cannot meet',
      thresholdProps((s) => (s.alerting = { rules: [{ severity: 'page', longWindow: '12m', shortWindow: '1m', burnRate: 14.4 }] })),
      ['slos[0].alerting.trafficGuard.minBadEventsInShortWindow: must be at most 1 with time-slice budgeting: it counts minutes, and the short window of rule 12m/1m holds only 1; give it, got nothing (the time-slice default 2)'],
    ],
    [
      'a time-slice period beyond the 63 days CloudWatch keeps 5-minute data',
      thresholdProps((s) => ((s.periodDays = 90), (s.alerting = { rules: [{ severity: 'ticket', longWindow: '3d', shortWindow: '6h', burnRate: 1 }] }))),
      ['slos[0].periodDays: must be at most 63 with time slices under 60 minutes (timeSliceMinutes 1): CloudWatch keeps 5-minute data for 63 days, then hourly only, got 90'],
    ],
    ['a calendar unit other than month', ratioProps((s) => (s.calendar = { unit: 'week' })), ['slos[0].calendar.unit: must be "month": calendar months are the only calendar period, got "week"']],
    [
      'a time zone Intl does not know',
      ratioProps((s) => (s.calendar = { timeZone: 'Mars/Olympus' })),
      ['slos[0].calendar.timeZone: must be an IANA time zone name such as "UTC" or "Europe/Paris", got "Mars/Olympus"'],
    ],
    ['a misspelt calendar field', ratioProps((s) => (s.calendar = { timezone: 'UTC' })), ['slos[0].calendar.timezone: unknown field (allowed: unit, timeZone), got "UTC"']],
    [
      'a calendar month of 90 days',
      ratioProps((s) => ((s.calendar = { timeZone: 'UTC' }), (s.periodDays = 90))),
      ['slos[0].periodDays: must be an integer from 28 to 31 with a calendar period: the nominal length of a month, from which burn-rate factors are derived, got 90'],
    ],
  ])('refuses %s, naming the field', (_label, props, expected) => {
    // Act
    const problems = problemsOf(props);

    // Assess
    expect(problems).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['TC(:)', 'needs at least one bound', '"TC(:)"'],
    ['p101', 'the percentage after p must be from 0 to 100', '"p101"'],
    ['sum', 'not a statistic CloudWatch knows', '"sum"'],
  ])('refuses the threshold statistic %s: %s', (stat, detail, given) => {
    // Act
    const problems = problemsOf(thresholdProps((s) => (s.sli.threshold.metric.stat = stat)));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`slos[0].sli.threshold.metric.stat: ${STATISTIC_PREFIX}`);
    expect(problems[0]).toContain(detail);
    expect(problems[0]!.endsWith(`got ${given}`)).toBe(true);
  });

  it('requires the statistic of a threshold metric: no Sum by default', () => {
    // Act
    const problems = problemsOf(thresholdProps((s) => delete s.sli.threshold.metric.stat));

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^slos\[0\]\.sli\.threshold\.metric\.stat: must be a CloudWatch statistic: .*, got nothing$/)]);
  });

  it('lists every problem of a threshold SLO at once', () => {
    // Prepare
    const props = thresholdProps((s) => {
      s.budgeting = 'occurrences';
      s.sli.threshold = { metric: { metricName: 'Latency', stat: 'p99' }, op: 'below' };
      s.calendar = { timeZone: 'Nowhere/Land' };
    });

    // Act
    const paths = validateBurnwatchProps(props).map((problem) => problem.path.join('.'));

    // Assess
    expect(paths).toEqual(['slos.0.sli.threshold.op', 'slos.0.sli.threshold.value', 'slos.0.budgeting', 'slos.0.calendar.timeZone']);
  });
});

describe('the commented SLOs of examples/burnwatch.yaml', () => {
  /** The commented-out SLO list items: lines `  # - ...` and `  #   ...`, uncommented. */
  function commentedSlos(): unknown {
    const text = readFileSync(join(__dirname, '..', '..', 'examples', 'burnwatch.yaml'), 'utf8');
    const lines = text.split('\n').filter((line) => /^ {2}# (- | {2})/.test(line)).map((line) => `  ${line.slice(4)}`);
    return parse(`slos:\n${lines.join('\n')}\n`);
  }

  it('are valid once uncommented: a p99 threshold SLO and a calendar-month SLA by time slices', () => {
    // Act
    const { runtime } = normalizeBurnwatchProps(commentedSlos() as never);

    // Assess
    const [latency, sla] = runtime.slos;
    expect(runtime.slos).toHaveLength(2);
    expect(latency).toMatchObject({ name: 'checkout-p99', sli: { kind: 'threshold', op: 'lte', threshold: 300 }, timeSlices: { sliceMinutes: 1, timeSliceTarget: null } });
    expect(sla).toMatchObject({
      name: 'api-monthly-sla',
      calendar: { unit: 'month', timeZone: 'Europe/Paris' },
      timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.95 },
      sli: { kind: 'ratio' },
    });
  });
});
