import { Lazy } from 'aws-cdk-lib';
import { BurnwatchConfigError, formatProblem } from '../../lib/config/errors';
import { assertValidBurnwatchProps, validateBurnwatchProps } from '../../lib/config/validate';
import { mutableProps, validProps } from './fixtures';

type Props = Record<string, any>;

/** The problems of a copy of the valid fixture after `mutate`, as the lines the error message shows. */
function problemsAfter(mutate: (props: Props) => void): string[] {
  const props = mutableProps();
  mutate(props);
  return validateBurnwatchProps(props).map(formatProblem);
}

const rules = (props: Props, ...list: object[]): void => {
  props.slos[0].alerting = { rules: list };
};

describe('validateBurnwatchProps', () => {
  it('accepts the example configuration', () => {
    // Act
    const problems = validateBurnwatchProps(validProps());

    // Assess
    expect(problems).toEqual([]);
  });

  it.each<{ rule: string; mutate: (props: Props) => void; expected: string[] }>([
    {
      rule: 'an objective of 100, outside (0, 100)',
      mutate: (p) => (p.slos[0].objective = 100),
      expected: ['slos[0].objective: must be a number > 0 and < 100, got 100'],
    },
    {
      rule: 'an objective of 0, outside (0, 100)',
      mutate: (p) => (p.slos[0].objective = 0),
      expected: ['slos[0].objective: must be a number > 0 and < 100, got 0'],
    },
    {
      rule: 'an objective written as text',
      mutate: (p) => (p.slos[0].objective = '99.9'),
      expected: ['slos[0].objective: must be a number > 0 and < 100, got "99.9"'],
    },
    {
      rule: 'a missing objective',
      mutate: (p) => delete p.slos[0].objective,
      expected: ['slos[0].objective: must be a number > 0 and < 100, got nothing'],
    },
    {
      rule: 'a period of 91 days',
      mutate: (p) => (p.slos[0].periodDays = 91),
      expected: ['slos[0].periodDays: must be an integer from 1 to 90, got 91'],
    },
    {
      rule: 'a period of 7.5 days',
      mutate: (p) => {
        p.slos[0].periodDays = 7.5;
        rules(p, { severity: 'page', longWindow: '1h', burnRate: 10 });
      },
      expected: ['slos[0].periodDays: must be an integer from 1 to 90, got 7.5'],
    },
    {
      rule: 'two SLOs with the same name',
      mutate: (p) => p.slos.push(JSON.parse(JSON.stringify(p.slos[0]))),
      expected: ['slos[1].name: must be unique (slos[0] has the same name), got "api-availability"'],
    },
    {
      rule: 'an SLO name with a space',
      mutate: (p) => (p.slos[0].name = 'api availability'),
      expected: ['slos[0].name: must be 1-64 characters: a letter or digit, then letters, digits, ".", "_" or "-", got "api availability"'],
    },
    {
      rule: 'an SLO name starting with a dash',
      mutate: (p) => (p.slos[0].name = '-api'),
      expected: ['slos[0].name: must be 1-64 characters: a letter or digit, then letters, digits, ".", "_" or "-", got "-api"'],
    },
    {
      rule: 'an SLO name of 65 characters',
      mutate: (p) => (p.slos[0].name = 'a'.repeat(65)),
      expected: [`slos[0].name: must be 1-64 characters: a letter or digit, then letters, digits, ".", "_" or "-", got "${'a'.repeat(65)}"`],
    },
    {
      rule: 'a metric id starting with an uppercase letter',
      mutate: (p) => {
        p.slos[0].sli.metrics = { Requests: { metricName: 'Requests' } };
        p.slos[0].sli.bad = 'Requests';
        p.slos[0].sli.total = 'Requests';
      },
      expected: ['slos[0].sli.metrics.Requests: must be a metric id: a lowercase letter, then letters, digits or "_", got "Requests"'],
    },
    {
      rule: 'a metric id with a dash',
      mutate: (p) => (p.slos[0].sli.metrics['req-count'] = { metricName: 'Requests' }),
      expected: ['slos[0].sli.metrics["req-count"]: must be a metric id: a lowercase letter, then letters, digits or "_", got "req-count"'],
    },
    {
      rule: 'an expression using an unknown metric id',
      mutate: (p) => (p.slos[0].sli.bad = 'errors5xx + mTimeouts'),
      expected: [
        'slos[0].sli.bad: may use only the metric ids requests, errors5xx, timeouts and metric-math functions (unknown: mTimeouts), got "errors5xx + mTimeouts"',
      ],
    },
    {
      rule: 'an expression using an unknown function',
      mutate: (p) => (p.slos[0].sli.total = 'SEARCH(requests)'),
      expected: [
        'slos[0].sli.total: may use only the metric ids requests, errors5xx, timeouts and metric-math functions (unknown: SEARCH), got "SEARCH(requests)"',
      ],
    },
    {
      rule: 'an expression with an unclosed parenthesis',
      mutate: (p) => (p.slos[0].sli.bad = 'FILL(errors5xx, 0'),
      expected: [
        'slos[0].sli.bad: must be a metric-math expression of metric ids, numbers, operators and functions (unclosed "("), got "FILL(errors5xx, 0"',
      ],
    },
    {
      rule: 'an expression of constants only',
      mutate: (p) => (p.slos[0].sli.total = '100'),
      expected: ['slos[0].sli.total: must reference at least one metric id, got "100"'],
    },
    {
      rule: 'neither bad nor good',
      mutate: (p) => delete p.slos[0].sli.bad,
      expected: ['slos[0].sli: must give exactly one of bad or good (the other is derived as total minus it), got neither'],
    },
    {
      rule: 'both bad and good',
      mutate: (p) => (p.slos[0].sli.good = 'requests - errors5xx'),
      expected: ['slos[0].sli: must give exactly one of bad or good (the other is derived as total minus it), got both'],
    },
    {
      rule: 'a missing total',
      mutate: (p) => delete p.slos[0].sli.total,
      expected: ['slos[0].sli.total: must be a metric-math expression over the metric ids, e.g. "requests", got nothing'],
    },
    {
      rule: 'a fixed dimension that is the tenant dimension',
      mutate: (p) => (p.slos[0].sli.dimensions = { TenantId: 'acme' }),
      expected: ['slos[0].sli.dimensions.TenantId: must not set the tenant dimension TenantId (Burnwatch sets it for each tenant), got "acme"'],
    },
    {
      rule: 'a short window as long as the long window',
      mutate: (p) => rules(p, { severity: 'page', longWindow: '1h', shortWindow: '60m', burnRate: 14.4 }),
      expected: ['slos[0].alerting.rules[0].shortWindow: must be shorter than longWindow (1h), got "60m"'],
    },
    {
      rule: 'a long window longer than the SLO period',
      mutate: (p) => {
        p.slos[0].periodDays = 7;
        rules(p, { severity: 'ticket', longWindow: '8d', burnRate: 1 });
      },
      expected: ['slos[0].alerting.rules[0].longWindow: must be at most the SLO period (7d), got "8d"'],
    },
    {
      rule: 'a period too short for the SRE Workbook policy',
      mutate: (p) => (p.slos[0].periodDays = 2),
      expected: [
        'slos[0].periodDays: must be at least 3 for the SRE Workbook policy (its longest window is 3d); give alerting.rules for a shorter period, got 2',
      ],
    },
    ...['1 hour', '90s', '0m', '1w', ''].map((window) => ({
      rule: `the window ${JSON.stringify(window)}`,
      mutate: (p: Props) => rules(p, { severity: 'page', longWindow: window, burnRate: 14.4 }),
      expected: [
        `slos[0].alerting.rules[0].longWindow: must be a whole number of minutes, hours or days greater than 0, like "5m", "1h" or "3d", got ${JSON.stringify(window)}`,
      ],
    })),
    {
      rule: 'a rule with both budgetPercent and burnRate',
      mutate: (p) => rules(p, { severity: 'page', longWindow: '1h', budgetPercent: 2, burnRate: 14.4 }),
      expected: ['slos[0].alerting.rules[0]: must give exactly one of budgetPercent or burnRate, got both'],
    },
    {
      rule: 'a rule with neither budgetPercent nor burnRate',
      mutate: (p) => rules(p, { severity: 'page', longWindow: '1h' }),
      expected: ['slos[0].alerting.rules[0]: must give exactly one of budgetPercent or burnRate, got neither'],
    },
    {
      rule: 'a burn rate of 0',
      mutate: (p) => rules(p, { severity: 'page', longWindow: '1h', burnRate: 0 }),
      expected: ['slos[0].alerting.rules[0].burnRate: must be a number > 0, got 0'],
    },
    {
      rule: 'a negative burn rate',
      mutate: (p) => rules(p, { severity: 'page', longWindow: '1h', burnRate: -2 }),
      expected: ['slos[0].alerting.rules[0].burnRate: must be a number > 0, got -2'],
    },
    {
      rule: 'a budget percent of 0',
      mutate: (p) => rules(p, { severity: 'page', longWindow: '1h', budgetPercent: 0 }),
      expected: ['slos[0].alerting.rules[0].budgetPercent: must be a number > 0 and <= 100, got 0'],
    },
    {
      rule: 'a budget percent above 100',
      mutate: (p) => rules(p, { severity: 'page', longWindow: '1h', budgetPercent: 101 }),
      expected: ['slos[0].alerting.rules[0].budgetPercent: must be a number > 0 and <= 100, got 101'],
    },
    {
      rule: 'a severity that is neither page nor ticket',
      mutate: (p) => rules(p, { severity: 'warn', longWindow: '1h', burnRate: 14.4 }),
      expected: ['slos[0].alerting.rules[0].severity: must be "page" or "ticket", got "warn"'],
    },
    {
      rule: 'two rules on the same window pair',
      mutate: (p) =>
        rules(p, { severity: 'page', longWindow: '1h', burnRate: 14.4 }, { severity: 'ticket', longWindow: '60m', shortWindow: '5m', burnRate: 10 }),
      expected: ['slos[0].alerting.rules[1]: must use a window pair not used by another rule (rules[0] is also 1h/5m), got "1h/5m"'],
    },
    {
      rule: 'an empty rule list',
      mutate: (p) => rules(p),
      expected: ['slos[0].alerting.rules: must be a non-empty list of rules (omit it for the SRE Workbook policy), got []'],
    },
    {
      rule: 'a negative traffic guard',
      mutate: (p) => (p.slos[0].alerting = { trafficGuard: { minEventsInLongWindow: -1 } }),
      expected: ['slos[0].alerting.trafficGuard.minEventsInLongWindow: must be a number >= 0, got -1'],
    },
    {
      rule: 'a hysteresis ratio of 0',
      mutate: (p) => (p.slos[0].alerting = { hysteresisRatio: 0 }),
      expected: ['slos[0].alerting.hysteresisRatio: must be a number > 0 and <= 1, got 0'],
    },
    {
      rule: 'a hysteresis ratio above 1',
      mutate: (p) => (p.slos[0].alerting = { hysteresisRatio: 1.5 }),
      expected: ['slos[0].alerting.hysteresisRatio: must be a number > 0 and <= 1, got 1.5'],
    },
    {
      rule: 'an empty tenant list',
      mutate: (p) => (p.slos[0].tenants = { list: [] }),
      expected: ['slos[0].tenants.list: must be a non-empty list of tenant ids, got []'],
    },
    {
      rule: 'a tenant listed twice',
      mutate: (p) => (p.slos[0].tenants = { list: ['acme', 'globex', 'acme'] }),
      expected: ['slos[0].tenants.list[2]: must not repeat an entry (already at index 0), got "acme"'],
    },
    {
      rule: 'both discover and list',
      mutate: (p) => (p.slos[0].tenants = { discover: {}, list: ['acme'] }),
      expected: ['slos[0].tenants: must give either discover or list, not both, got both'],
    },
    {
      rule: 'an override objective of 100',
      mutate: (p) => (p.slos[0].overrides = { 'premium-tier': { objective: 100 } }),
      expected: ['slos[0].overrides["premium-tier"].objective: must be a number > 0 and < 100, got 100'],
    },
    {
      rule: 'an override for a tenant not in the list',
      mutate: (p) => {
        p.slos[0].tenants = { list: ['acme'] };
        p.slos[0].overrides = { globex: { muted: true } };
      },
      expected: ['slos[0].overrides.globex: must name a tenant in tenants.list (acme), got "globex"'],
    },
    {
      rule: 'an objective at which the 14.4 page rule can never fire',
      mutate: (p) => (p.slos[0].objective = 90),
      expected: [
        'slos[0].objective: must be at least 93.06 for the SRE Workbook rule 1h/5m (burn rate 14.4) to be able to fire; at this objective even 100 % bad events burn at only 10, got 90',
      ],
    },
    {
      rule: 'a custom burn rate above what the objective allows',
      mutate: (p) => {
        p.slos[0].objective = 99;
        rules(p, { severity: 'page', longWindow: '1h', burnRate: 200 });
      },
      expected: [
        'slos[0].objective: must be at least 99.5 for the custom rule 1h/5m (burn rate 200) to be able to fire; at this objective even 100 % bad events burn at only 100, got 99',
      ],
    },
    {
      rule: 'a tenant objective at which the 14.4 page rule can never fire',
      mutate: (p) => (p.slos[0].overrides = { 'free-tier': { objective: 90 } }),
      expected: [
        'slos[0].overrides["free-tier"].objective: must be at least 93.06 for the SRE Workbook rule 1h/5m (burn rate 14.4) to be able to fire; at this objective even 100 % bad events burn at only 10, got 90',
      ],
    },
    {
      rule: 'a misspelt field',
      mutate: (p) => (p.slos[0].objectve = 99),
      expected: ['slos[0].objectve: unknown field (allowed: name, description, objective, periodDays, calendar, budgeting, timeSliceMinutes, timeSliceTarget, sli, alerting, tenants, overrides), got 99'],
    },
    {
      rule: 'metrics given as a list',
      mutate: (p) => (p.slos[0].sli.metrics = [{ metricName: 'Requests' }]),
      expected: [
        'slos[0].sli.metrics: must be a map of metric id to metric, with at least one metric, got [{"metricName":"Requests"}]',
        'slos[0].sli.bad: may use only the metric ids (none defined) and metric-math functions (unknown: errors5xx, timeouts), got "errors5xx + timeouts"',
        'slos[0].sli.total: may use only the metric ids (none defined) and metric-math functions (unknown: requests), got "requests"',
      ],
    },
    {
      rule: 'slos that is not a list',
      mutate: (p) => (p.slos = { name: 'x' }),
      expected: ['slos: must be a non-empty list of SLOs, got {"name":"x"}'],
    },
    {
      rule: 'a timeout longer than the schedule interval',
      mutate: (p) => (p.evaluator = { timeoutSeconds: 120 }),
      expected: ['evaluator.timeoutSeconds: must be at most scheduleMinutes x 60 (60) so one run ends before the next tick, got 120'],
    },
  ])('reports $rule', ({ mutate, expected }) => {
    // Act
    const problems = problemsAfter(mutate);

    // Assess
    expect(problems).toEqual(expected);
  });

  it.each([
    { field: 'scheduleMinutes', value: 0, allowed: 'must be an integer from 1 to 60' },
    { field: 'dataDelayMinutes', value: -1, allowed: 'must be an integer from 0 to 60' },
    { field: 'slowRefreshMinutes', value: 1441, allowed: 'must be an integer from 1 to 1440' },
    { field: 'maxConcurrentRequests', value: 51, allowed: 'must be an integer from 1 to 50' },
    { field: 'heartbeatMinutes', value: 0, allowed: 'must be an integer from 1 to 1440' },
    { field: 'historyTtlDays', value: 0.5, allowed: 'must be an integer from 1 to 3650' },
    { field: 'groupingIntervalMinutes', value: -5, allowed: 'must be an integer from 0 to 1440' },
    { field: 'groupingTenantShare', value: 0, allowed: 'must be a number > 0 and <= 1' },
    { field: 'getMetricDataQuotaShare', value: 0, allowed: 'must be a number > 0 and <= 1' },
    { field: 'getMetricDataQuotaShare', value: 1.2, allowed: 'must be a number > 0 and <= 1' },
    { field: 'getMetricDataTps', value: 0, allowed: 'must be an integer from 1 to 10000' },
    { field: 'getMetricDataTps', value: 50.5, allowed: 'must be an integer from 1 to 10000' },
    { field: 'timeoutSeconds', value: 901, allowed: 'must be an integer from 1 to 900' },
    { field: 'timeoutSeconds', value: 0, allowed: 'must be an integer from 1 to 900' },
    { field: 'reservedConcurrency', value: 0, allowed: 'must be an integer from 1 to 1000' },
    { field: 'memorySize', value: 64, allowed: 'must be an integer from 128 to 10240' },
    { field: 'warmupDatapointsPerTick', value: 9_999, allowed: 'must be an integer from 10000 to 1000000000' },
    { field: 'warmupDatapointsPerTick', value: 1_000_000_001, allowed: 'must be an integer from 10000 to 1000000000' },
    { field: 'warmupDatapointsPerTick', value: 6_000_000.5, allowed: 'must be an integer from 10000 to 1000000000' },
    { field: 'warmupDatapointsPerTick', value: 0, allowed: 'must be an integer from 10000 to 1000000000' },
    { field: 'discoveryTimeoutSeconds', value: 1, allowed: 'must be an integer from 2 to 60' },
    { field: 'discoveryTimeoutSeconds', value: 61, allowed: 'must be an integer from 2 to 60' },
    { field: 'discoveryTimeoutSeconds', value: 7.5, allowed: 'must be an integer from 2 to 60' },
  ])('reports evaluator.$field = $value as out of range', ({ field, value, allowed }) => {
    // Act
    const problems = problemsAfter((p) => (p.evaluator = { scheduleMinutes: 60, [field]: value }));

    // Assess
    expect(problems).toEqual([`evaluator.${field}: ${allowed}, got ${value}`]);
  });

  it.each<{ case: string; mutate: (props: Props) => void }>([
    { case: 'good instead of bad', mutate: (p) => {
      delete p.slos[0].sli.bad;
      p.slos[0].sli.good = 'requests - errors5xx - timeouts';
    } },
    { case: 'metric-math functions and operators', mutate: (p) => (p.slos[0].sli.bad = 'FILL(errors5xx, 0) + IF(timeouts > 0, timeouts, 0) * 1.0') },
    { case: '"ticket at 10 %, page at 25 % of the monthly budget"', mutate: (p) =>
      rules(p, { severity: 'page', longWindow: '6h', budgetPercent: 25 }, { severity: 'ticket', longWindow: '3d', shortWindow: '6h', budgetPercent: 10 }) },
    { case: 'a tenant list with overrides for listed tenants', mutate: (p) => {
      p.slos[0].tenants = { list: ['acme', 'globex'] };
      p.slos[0].overrides = { acme: { objective: 99.95 }, globex: { muted: true } };
    } },
    { case: 'the smallest warm-up budget', mutate: (p) => (p.evaluator = { warmupDatapointsPerTick: 10_000 }) },
    { case: 'the largest warm-up budget', mutate: (p) => (p.evaluator = { warmupDatapointsPerTick: 1_000_000_000 }) },
    { case: 'discovery with exclusions', mutate: (p) => (p.slos[0].tenants = { discover: { refreshMinutes: 5, exclude: [] } }) },
    { case: 'a one-day period with custom rules', mutate: (p) => {
      p.slos[0].periodDays = 1;
      rules(p, { severity: 'page', longWindow: '1h', burnRate: 10 });
    } },
  ])('accepts $case', ({ mutate }) => {
    // Act
    const problems = problemsAfter(mutate);

    // Assess
    expect(problems).toEqual([]);
  });

  it('skips values that are unresolved CDK tokens', () => {
    // Prepare: deploy-time values where the stack only passes them through
    const props = mutableProps();
    props.slos[0].objective = Lazy.number({ produce: () => 99.9 });
    props.slos[0].sli.namespace = Lazy.string({ produce: () => 'MyService' });
    props.evaluator = { memorySize: Lazy.number({ produce: () => 2048 }) };

    // Act
    const problems = validateBurnwatchProps(props);

    // Assess
    expect(problems).toEqual([]);
  });

  it('reports a token where synth computes with the value', () => {
    // Prepare: the period sets the burn-rate factors, so it must be known at synth
    const props = mutableProps();
    props.slos[0].periodDays = Lazy.number({ produce: () => 30 });

    // Act
    const problems = validateBurnwatchProps(props).map(formatProblem);

    // Assess
    expect(problems).toEqual(['slos[0].periodDays: must be an integer from 1 to 90 known at synth time, got a deploy-time token']);
  });
});

describe('the sharded tick\'s time budget', () => {
  // budget = min(scheduleMinutes x 60, 300); waves = ceil(shards / maxConcurrentShards); with a discover-mode SLO
  // the tick first waits up to discoveryTimeoutSeconds, so discoveryTimeoutSeconds + waves x timeoutSeconds <= budget.
  const listOnly = (p: Props): void => {
    p.slos[0].tenants = { list: ['acme', 'globex'] };
  };
  const withListedSlo = (p: Props): void => {
    p.slos.push({ ...p.slos[0], name: 'api-listed', tenants: { list: ['acme'] } });
  };
  const discoveryMessage = (largest: number, shards: number, concurrent: number, discovery: number, waves: number, budget: number): string =>
    `must be at most ${largest} with ${shards} shards run ${concurrent} at a time (discoveryTimeoutSeconds ${discovery} + ${waves} waves x timeoutSeconds ` +
    `must fit in min(scheduleMinutes x 60, 300) = ${budget} s); or raise maxConcurrentShards or lower discoveryTimeoutSeconds`;

  it.each<{ rule: string; evaluator: Props; mutate?: (p: Props) => void; expected: string[] }>([
    {
      // 10 + 2 x 30 = 70 > 60; largest floor((60 - 10) / 2) = 25
      rule: 'counts the discovery when the SLO discovers its tenants',
      evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 30 },
      expected: [`evaluator.timeoutSeconds: ${discoveryMessage(25, 20, 10, 10, 2, 60)}, got 30`],
    },
    {
      // one discover-mode SLO among listed ones is enough to run a Discover step
      rule: 'counts the discovery when one of several SLOs discovers its tenants',
      evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 30 },
      mutate: withListedSlo,
      expected: [`evaluator.timeoutSeconds: ${discoveryMessage(25, 20, 10, 10, 2, 60)}, got 30`],
    },
    {
      // no discovery: 2 x 31 = 62 > 60; largest floor(60 / 2) = 30
      rule: 'does not count a discovery when every SLO lists its tenants',
      evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 10, timeoutSeconds: 31 },
      mutate: listOnly,
      expected: [
        'evaluator.timeoutSeconds: must be at most 30 with 20 shards run 10 at a time (2 waves must fit in min(scheduleMinutes x 60, 300) = 60 s); or raise maxConcurrentShards, got 31',
      ],
    },
    {
      // 20 + 2 x 21 = 62 > 60; largest floor((60 - 20) / 2) = 20
      rule: 'counts a longer discovery timeout as given',
      evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 21, discoveryTimeoutSeconds: 20 },
      expected: [`evaluator.timeoutSeconds: ${discoveryMessage(20, 20, 10, 20, 2, 60)}, got 21`],
    },
    {
      // 300 s cap even for a 10-minute schedule: 60 + 10 x 25 = 310 > 300; largest floor((300 - 60) / 10) = 24
      rule: 'caps the budget at the 5 minutes of an Express execution',
      evaluator: { scheduleMinutes: 10, shards: 100, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 25, discoveryTimeoutSeconds: 60 },
      expected: [`evaluator.timeoutSeconds: ${discoveryMessage(24, 100, 10, 60, 10, 300)}, got 25`],
    },
    {
      // the sharded default 45: 10 + 2 x 45 = 100 > 60
      rule: 'names the default timeout when it does not fit',
      evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 11 },
      expected: [`evaluator.timeoutSeconds: ${discoveryMessage(25, 20, 10, 10, 2, 60)}; give it, got nothing (the default 45 with shards above 1)`],
    },
    {
      // 1,000 waves of 1 shard cannot fit 300 - 10 s at even 1 s each
      rule: 'says when no timeout fits',
      evaluator: { scheduleMinutes: 5, shards: 1000, maxConcurrentShards: 1, reservedConcurrency: 2, timeoutSeconds: 1 },
      expected: [
        'evaluator.timeoutSeconds: has no value that fits with 1000 shards run 1 at a time (discoveryTimeoutSeconds 10 + 1000 waves x timeoutSeconds must fit in min(scheduleMinutes x 60, 300) = 300 s); raise maxConcurrentShards or lower discoveryTimeoutSeconds, got 1',
      ],
    },
    {
      // a discovery past its timeout still runs beside the first min(4, 4) = 4 shards: 5 executions
      rule: 'reserves one more concurrent execution for a discovery that outlives its timeout',
      evaluator: { shards: 4, maxConcurrentShards: 4, reservedConcurrency: 4, timeoutSeconds: 45 },
      expected: [
        'evaluator.reservedConcurrency: must be at least min(shards, maxConcurrentShards) + 1 (5) so concurrent shards are not throttled, also beside a tenant discovery that outlives discoveryTimeoutSeconds, got 4',
      ],
    },
    {
      rule: 'reports an out-of-range discovery timeout and skips the budget it cannot compute',
      evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 30, discoveryTimeoutSeconds: 61 },
      expected: ['evaluator.discoveryTimeoutSeconds: must be an integer from 2 to 60, got 61'],
    },
  ])('$rule', ({ evaluator, mutate, expected }) => {
    // Act
    const problems = problemsAfter((p) => {
      p.evaluator = evaluator;
      mutate?.(p);
    });

    // Assess
    expect(problems).toEqual(expected);
  });

  it.each<{ case: string; evaluator: Props; mutate?: (p: Props) => void }>([
    // 10 + 2 x 25 = 60 <= 60
    { case: 'a discovery and two waves that fill the minute exactly', evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 25 } },
    // 10 + 45 = 55 <= 60
    { case: 'the sharded default timeout with one wave', evaluator: { shards: 10, maxConcurrentShards: 10, reservedConcurrency: 11 } },
    // 2 x 30 = 60 <= 60 without a Discover step, and min(20, 10) = 10 executions suffice
    { case: 'two waves of 30 s when every SLO lists its tenants', evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 10, timeoutSeconds: 30 }, mutate: listOnly },
    // only meaningful when sharded: one shard ignores it (within its range)
    { case: 'a discovery timeout with one shard', evaluator: { discoveryTimeoutSeconds: 60 } },
  ])('accepts $case', ({ evaluator, mutate }) => {
    // Act
    const problems = problemsAfter((p) => {
      p.evaluator = evaluator;
      mutate?.(p);
    });

    // Assess
    expect(problems).toEqual([]);
  });
});

describe('assertValidBurnwatchProps', () => {
  it('reports several problems together in one error', () => {
    // Prepare
    const props = mutableProps();
    props.slos[0].objective = 100;
    props.slos[0].sli.bad = 'errors5xx + mTimeouts';
    props.evaluator = { timeoutSeconds: 0 };

    // Act
    let thrown: unknown;
    try {
      assertValidBurnwatchProps(props);
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(BurnwatchConfigError);
    const error = thrown as BurnwatchConfigError;
    expect(error.problems.map((p) => p.path.join('.'))).toEqual(['slos.0.objective', 'slos.0.sli.bad', 'evaluator.timeoutSeconds']);
    expect(error.message).toBe(
      [
        'Invalid Burnwatch configuration (3 problems):',
        '  - slos[0].objective: must be a number > 0 and < 100, got 100',
        '  - slos[0].sli.bad: may use only the metric ids requests, errors5xx, timeouts and metric-math functions (unknown: mTimeouts), got "errors5xx + mTimeouts"',
        '  - evaluator.timeoutSeconds: must be an integer from 1 to 900, got 0',
      ].join('\n'),
    );
  });

  it('returns quietly for a valid configuration', () => {
    // Act / Assess
    expect(() => assertValidBurnwatchProps(validProps())).not.toThrow();
  });
});
