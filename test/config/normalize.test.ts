import { BurnwatchConfigError } from '../../lib/config/errors';
import { normalizeBurnwatchProps } from '../../lib/config/normalize';
import { validProps, validSlo, workbookBurnRate } from './fixtures';

describe('normalizeBurnwatchProps', () => {
  it('applies every documented default to a minimal SLO', () => {
    // Prepare: only the required fields
    const props = validProps();

    // Act
    const { runtime, evaluatorFunction } = normalizeBurnwatchProps(props);

    // Assess: the values written next to @default in props.ts
    const slo = runtime.slos[0]!;
    expect(runtime.schemaVersion).toBe(1);
    expect(slo.periodDays).toBe(30);
    expect(slo.trafficGuard).toEqual({ minEventsInLongWindow: 100, minBadEventsInShortWindow: 3 });
    expect(slo.resolveAfterMinutes).toBe(15);
    expect(slo.hysteresisRatio).toBe(0.9);
    expect(slo.tenants).toEqual({ mode: 'discover', refreshMinutes: 15, exclude: [] });
    expect(slo.overrides).toEqual({});
    expect(slo.sli.dimensions).toEqual({});
    expect(runtime.evaluator).toEqual({
      dataDelayMinutes: 1,
      slowRefreshMinutes: 60,
      maxConcurrentRequests: 5,
      heartbeatMinutes: 60,
      historyTtlDays: 35,
      groupingIntervalMinutes: 5,
      groupingTenantShare: 0.5,
      // 5,000,000 datapoints: about 16 s at 80 % of the 396,000 datapoints/s GetMetricData quota, all to the one shard
      warmupDatapointsPerTick: 5_000_000,
      // 80 % of the account's GetMetricData quotas (180,000 and 396,000 datapoints/s), all to the one invocation
      datapointsPerSecond: { recent: 144_000, older: 316_800 },
      // 80 % of the 50 GetMetricData requests a second
      getMetricDataCallsPerSecond: 40,
    });
    expect(evaluatorFunction).toEqual({ scheduleMinutes: 1, timeoutSeconds: 55, reservedConcurrency: 1, memorySize: 1024 });
  });

  it('defaults a metric statistic to Sum and keeps the metrics in their written order', () => {
    // Prepare
    const props = validProps({
      slos: [
        validSlo({
          sli: {
            namespace: 'MyService',
            tenantDimension: 'TenantId',
            dimensions: { Service: 'api' },
            metrics: {
              requests: { metricName: 'Requests' },
              slow: { metricName: 'Latency', stat: 'TC(2000:)', namespace: 'Edge', dimensions: { Stage: 'prod' } },
            },
            good: 'requests - slow',
            total: 'requests',
          },
        }),
      ],
    });

    // Act
    const sli = normalizeBurnwatchProps(props).runtime.slos[0]!.sli;

    // Assess
    expect(sli).toEqual({
      kind: 'ratio',
      namespace: 'MyService',
      tenantDimension: 'TenantId',
      dimensions: { Service: 'api' },
      metrics: [
        { id: 'requests', metricName: 'Requests', stat: 'Sum' },
        { id: 'slow', metricName: 'Latency', stat: 'TC(2000:)', namespace: 'Edge', dimensions: { Stage: 'prod' } },
      ],
      good: 'requests - slow',
      total: 'requests',
    });
  });

  it.each([
    { periodDays: 30, budgets: [2, 5, 10] },
    { periodDays: 28, budgets: [2, 5, 10] },
    { periodDays: 7, budgets: [2, 5, 10] },
  ])('derives the SRE Workbook rules for a $periodDays-day period', ({ periodDays, budgets }) => {
    // Prepare
    const props = validProps({ slos: [validSlo({ periodDays })] });

    // Act
    const rules = normalizeBurnwatchProps(props).runtime.slos[0]!.rules;

    // Assess: page 2 % in 1h (5m), page 5 % in 6h (30m), ticket 10 % in 3d (6h)
    expect(rules.map((r) => [r.name, r.severity, r.longWindowMinutes, r.shortWindowMinutes])).toEqual([
      ['1h/5m', 'page', 60, 5],
      ['6h/30m', 'page', 360, 30],
      ['3d/6h', 'ticket', 4320, 360],
    ]);
    rules.forEach((rule, index) => {
      expect(rule.burnRate).toBeCloseTo(workbookBurnRate(budgets[index]!, rule.longWindowMinutes, periodDays), 10);
    });
  });

  it('turns "page at 25 %, ticket at 10 % of the monthly budget" into burn rates', () => {
    // Prepare
    const props = validProps({
      slos: [
        validSlo({
          alerting: {
            rules: [
              { severity: 'page', longWindow: '6h', budgetPercent: 25 },
              { severity: 'ticket', longWindow: '3d', shortWindow: '2h', budgetPercent: 10 },
              { severity: 'ticket', longWindow: '1d', burnRate: 2 },
            ],
          },
        }),
      ],
    });

    // Act
    const rules = normalizeBurnwatchProps(props).runtime.slos[0]!.rules;

    // Assess: short window defaults to long / 12
    expect(rules.map((r) => [r.name, r.severity, r.longWindowMinutes, r.shortWindowMinutes])).toEqual([
      ['6h/30m', 'page', 360, 30],
      ['3d/2h', 'ticket', 4320, 120],
      ['1d/2h', 'ticket', 1440, 120],
    ]);
    expect(rules[0]!.burnRate).toBeCloseTo(workbookBurnRate(25, 360, 30), 10);
    expect(rules[1]!.burnRate).toBeCloseTo(workbookBurnRate(10, 4320, 30), 10);
    expect(rules[2]!.burnRate).toBeCloseTo(2, 10);
  });

  it('carries tenants, overrides and alerting settings through', () => {
    // Prepare
    const props = validProps({
      slos: [
        validSlo({
          tenants: { list: ['acme', 'premium-tier'] },
          overrides: { 'premium-tier': { objective: 99.95 }, acme: { muted: true } },
          alerting: { trafficGuard: { minEventsInLongWindow: 500 }, resolveAfterMinutes: 30, hysteresisRatio: 1 },
        }),
      ],
      evaluator: { scheduleMinutes: 5, timeoutSeconds: 120, memorySize: 2048 },
    });

    // Act
    const { runtime, evaluatorFunction } = normalizeBurnwatchProps(props);

    // Assess
    const slo = runtime.slos[0]!;
    expect(slo.tenants).toEqual({ mode: 'list', tenants: ['acme', 'premium-tier'] });
    expect(slo.overrides).toEqual({ 'premium-tier': { objectivePercent: 99.95 }, acme: { muted: true } });
    expect(slo.trafficGuard).toEqual({ minEventsInLongWindow: 500, minBadEventsInShortWindow: 3 });
    expect([slo.resolveAfterMinutes, slo.hysteresisRatio]).toEqual([30, 1]);
    expect(evaluatorFunction).toEqual({ scheduleMinutes: 5, timeoutSeconds: 120, reservedConcurrency: 1, memorySize: 2048 });
  });

  // Every shard of a tick reads in the same minute against one account quota: each gets floor(budget / shards).
  it.each([
    { case: 'an explicit budget with one shard keeps it whole', evaluator: { warmupDatapointsPerTick: 20_000_000 }, perInvocation: 20_000_000 },
    { case: 'the default budget over 4 shards gives each a quarter', evaluator: { shards: 4, reservedConcurrency: 5 }, perInvocation: 1_250_000 },
    // 5,000,000 / 7 = 714,285.71: rounded down so the shards together never exceed the budget
    { case: 'the default budget over 7 shards rounds each share down', evaluator: { shards: 7, reservedConcurrency: 8 }, perInvocation: 714_285 },
    {
      case: 'the smallest budget over the most shards still gives each a positive share',
      // 1,000 shards in 25 waves of 40 must fit a 5-minute tick after the 10 s discovery: 10 + 25 x 11 s = 285 s <= 300 s
      evaluator: { warmupDatapointsPerTick: 10_000, shards: 1_000, maxConcurrentShards: 40, reservedConcurrency: 41, scheduleMinutes: 5, timeoutSeconds: 11 },
      perInvocation: 10,
    },
  ])('$case ($perInvocation datapoints per invocation)', ({ evaluator, perInvocation }) => {
    // Prepare
    const props = validProps({ evaluator });

    // Act
    const { runtime } = normalizeBurnwatchProps(props);

    // Assess
    expect(runtime.evaluator.warmupDatapointsPerTick).toBe(perInvocation);
  });

  // The invocations running at once share the configured part of the account's 180,000 / 396,000 datapoints/s.
  it.each([
    { case: 'one invocation takes 80 % by default', evaluator: {}, rates: { recent: 144_000, older: 316_800 } },
    { case: 'a share of 0.5 halves the quotas', evaluator: { getMetricDataQuotaShare: 0.5 }, rates: { recent: 90_000, older: 198_000 } },
    { case: '4 shards, all at once, take a quarter of 80 % each', evaluator: { shards: 4, reservedConcurrency: 5 }, rates: { recent: 36_000, older: 79_200 } },
    // 20 shards run 10 at a time: a tenth of 80 % each, whatever the shard count
    {
      case: '20 shards run 10 at a time take a tenth of 80 % each',
      evaluator: { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 25 },
      rates: { recent: 14_400, older: 31_680 },
    },
  ])('$case', ({ evaluator, rates }) => {
    // Act
    const { runtime } = normalizeBurnwatchProps(validProps({ evaluator }));

    // Assess
    expect(runtime.evaluator.datapointsPerSecond).toEqual(rates);
  });

  // The same share of the account's GetMetricData requests per second, split the same way.
  it.each([
    { case: 'one invocation paces to 80 % of 50 calls a second', evaluator: {}, callsPerSecond: 40 },
    { case: 'an account quota of 500 gives 400', evaluator: { getMetricDataTps: 500 }, callsPerSecond: 400 },
    {
      case: '40 shards run 10 at a time get a tenth of 80 % of 50 each',
      evaluator: { shards: 40, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 12 },
      callsPerSecond: 4,
    },
  ])('$case', ({ evaluator, callsPerSecond }) => {
    // Act
    const { runtime } = normalizeBurnwatchProps(validProps({ evaluator }));

    // Assess
    expect(runtime.evaluator.getMetricDataCallsPerSecond).toBeCloseTo(callsPerSecond, 9);
  });

  // A sharded tick first waits up to discoveryTimeoutSeconds (10) for the discovery: 10 + 45 fits a 1-minute tick, 10 + 55 would not.
  it.each([
    { case: 'one shard keeps the whole-minute default', evaluator: {}, timeoutSeconds: 55 },
    { case: 'two shards default to 45 s, leaving the discovery its 10 s', evaluator: { shards: 2, reservedConcurrency: 3 }, timeoutSeconds: 45 },
    { case: 'an explicit timeout with one shard is kept', evaluator: { timeoutSeconds: 40 }, timeoutSeconds: 40 },
    { case: 'an explicit timeout with shards is kept', evaluator: { shards: 2, reservedConcurrency: 3, timeoutSeconds: 30 }, timeoutSeconds: 30 },
    // Validation skips an unset value: undefined is not a written timeout.
    { case: 'an undefined timeout with shards takes the sharded default', evaluator: { shards: 2, reservedConcurrency: 3, timeoutSeconds: undefined }, timeoutSeconds: 45 },
  ])('$case ($timeoutSeconds s)', ({ evaluator, timeoutSeconds }) => {
    // Prepare
    const props = validProps({ evaluator });

    // Act
    const { evaluatorFunction } = normalizeBurnwatchProps(props);

    // Assess
    expect(evaluatorFunction.timeoutSeconds).toBe(timeoutSeconds);
  });

  it.each([
    { case: 'the default discovery timeout reaches the fan-out settings', evaluator: { shards: 3, maxConcurrentShards: 2, reservedConcurrency: 3, timeoutSeconds: 25 }, discoveryTimeoutSeconds: 10 },
    // 20 + 2 waves x 20 s = 60 s: the longest discovery two waves of 20 s leave in a 1-minute tick
    { case: 'a given discovery timeout reaches the fan-out settings', evaluator: { shards: 3, maxConcurrentShards: 2, reservedConcurrency: 3, timeoutSeconds: 20, discoveryTimeoutSeconds: 20 }, discoveryTimeoutSeconds: 20 },
  ])('$case', ({ evaluator, discoveryTimeoutSeconds }) => {
    // Prepare
    const props = validProps({ evaluator });

    // Act
    const { evaluatorFunction } = normalizeBurnwatchProps(props);

    // Assess
    expect(evaluatorFunction.fanout).toEqual({ shards: 3, maxConcurrentShards: 2, discoveryTimeoutSeconds });
  });

  it('refuses a warm-up budget below 10,000, naming the field, the allowed range and the value', () => {
    // Prepare
    const props = validProps({ evaluator: { warmupDatapointsPerTick: 5_000 } });

    // Act / Assess
    expect(() => normalizeBurnwatchProps(props)).toThrow('evaluator.warmupDatapointsPerTick: must be an integer from 10000 to 1000000000, got 5000');
  });

  it('validates first and throws every problem', () => {
    // Prepare
    const props = validProps({ slos: [validSlo({ objective: 100, periodDays: 0 })] });

    // Act / Assess
    expect(() => normalizeBurnwatchProps(props)).toThrow(BurnwatchConfigError);
    expect(() => normalizeBurnwatchProps(props)).toThrow(/slos\[0\]\.objective: .*\n.*slos\[0\]\.periodDays: /);
  });
});
