import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  type GetMetricDataCommandInput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import type { SloDefinition } from '../../lambda/domain/model';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { Log } from '../../lambda/ports';
import { apiSlo } from '../support/slo-fixture';

const T0 = Date.UTC(2025, 2, 10, 12);
const at = (minute: number): number => T0 + minute * MINUTE_MS;
const NS = 'Shop/Api';

function stat(id: string, metricName: string, tenant: string, period = 60, statName = 'Sum', returnData = true): MetricDataQuery {
  return {
    Id: id,
    MetricStat: { Metric: { Namespace: NS, MetricName: metricName, Dimensions: [{ Name: 'TenantId', Value: tenant }] }, Period: period, Stat: statName },
    ReturnData: returnData,
  };
}

function request(queries: MetricDataQuery[], fromMinute: number, toMinute: number): GetMetricDataCommandInput {
  return { MetricDataQueries: queries, StartTime: new Date(at(fromMinute)), EndTime: new Date(at(toMinute)), ScanBy: 'TimestampAscending' };
}

const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('LocalCloudWatch MetricStat', () => {
  it.each([
    // Minute m (0-based) holds the value m + 1, so each minute's sum is m + 1.
    { periodSeconds: 60, expected: Array.from({ length: 120 }, (_, m) => m + 1) },
    // Hour sums: 1 + ... + 60 = 60 * 61 / 2 = 1,830; 61 + ... + 120 = 120 * 121 / 2 - 1,830 = 5,430.
    { periodSeconds: 3600, expected: [1830, 5430] },
  ])('sums per-minute data at a $periodSeconds s period', async ({ periodSeconds, expected }) => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    for (let minute = 0; minute < 120; minute += 1) cloudwatch.put(NS, 'Requests', { TenantId: 'acme' }, at(minute) + 15_000, minute + 1);

    // Act
    const output = await cloudwatch.getMetricData(request([stat('r', 'Requests', 'acme', periodSeconds)], 0, 120));

    // Assess
    const [result] = output.MetricDataResults ?? [];
    expect(result?.Values).toEqual(expected);
    expect(result?.Timestamps?.map((date) => date.getTime())).toEqual(expected.map((_, i) => T0 + i * periodSeconds * 1000));
    expect(result?.StatusCode).toBe('Complete');
  });

  it.each([
    // Samples 2, 2, 2 (one put with count 3) and 8 in the same minute.
    { statName: 'Sum', expected: 2 * 3 + 8 },
    { statName: 'SampleCount', expected: 4 },
    { statName: 'Average', expected: (2 * 3 + 8) / 4 },
    { statName: 'Minimum', expected: 2 },
    { statName: 'Maximum', expected: 8 },
  ])('answers $statName from the minute aggregates', async ({ statName, expected }) => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    cloudwatch.put(NS, 'Latency', { TenantId: 'acme' }, at(0), 2, 3);
    cloudwatch.put(NS, 'Latency', { TenantId: 'acme' }, at(0) + 30_000, 8);

    // Act
    const output = await cloudwatch.getMetricData(request([stat('l', 'Latency', 'acme', 60, statName)], 0, 1));

    // Assess
    expect(output.MetricDataResults?.[0]?.Values).toEqual([expected]);
  });

  it('matches a metric by its full dimension set, in any order', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    cloudwatch.putMinute(NS, 'Requests', { TenantId: 'acme', Service: 'api' }, at(0), { sum: 40, sampleCount: 1 });
    cloudwatch.putMinute(NS, 'Requests', { TenantId: 'acme' }, at(0), { sum: 7, sampleCount: 1 });
    const both: MetricDataQuery = {
      Id: 'both',
      MetricStat: {
        Metric: { Namespace: NS, MetricName: 'Requests', Dimensions: [{ Name: 'Service', Value: 'api' }, { Name: 'TenantId', Value: 'acme' }] },
        Period: 60,
        Stat: 'Sum',
      },
    };

    // Act
    const output = await cloudwatch.getMetricData(request([both, stat('tenantOnly', 'Requests', 'acme')], 0, 1));

    // Assess
    expect(output.MetricDataResults?.map((result) => result.Values)).toEqual([[40], [7]]);
  });

  it('loads consecutive minutes in bulk, NaN meaning no data that minute', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    cloudwatch.putMinutes(NS, 'Latency', { TenantId: 'acme' }, at(0), [30, Number.NaN, 12], [3, 1, 4]);

    // Act
    const output = await cloudwatch.getMetricData(
      request([stat('s', 'Latency', 'acme', 60, 'Sum'), stat('n', 'Latency', 'acme', 60, 'SampleCount'), stat('a', 'Latency', 'acme', 60, 'Average')], 0, 3),
    );

    // Assess
    expect(output.MetricDataResults?.map((result) => result.Values)).toEqual([
      [30, 12],
      [3, 4],
      [30 / 3, 12 / 4],
    ]);
    expect(output.MetricDataResults?.[0]?.Timestamps?.map((date) => date.getTime())).toEqual([at(0), at(2)]);
  });

  it.each([
    { case: 'a NaN value', load: (cw: LocalCloudWatch) => cw.put(NS, 'R', {}, at(0), Number.NaN), message: 'finite sum' },
    { case: 'a zero sample count', load: (cw: LocalCloudWatch) => cw.putMinute(NS, 'R', {}, at(0), { sum: 1, sampleCount: 0 }), message: 'sampleCount greater than 0' },
    { case: 'counts that do not match the sums', load: (cw: LocalCloudWatch) => cw.putMinutes(NS, 'R', {}, at(0), [1, 2], [1]), message: 'one entry per sum (2); got 1' },
  ])('refuses to store $case', ({ load, message }) => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();

    // Act
    const store = (): void => load(cloudwatch);

    // Assess
    expect(store).toThrow(message);
  });

  it('returns newest first unless asked for TimestampAscending, as CloudWatch does', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    for (let minute = 0; minute < 3; minute += 1) cloudwatch.put(NS, 'Requests', { TenantId: 'acme' }, at(minute), minute + 1);

    // Act
    const output = await cloudwatch.getMetricData({ ...request([stat('r', 'Requests', 'acme')], 0, 3), ScanBy: undefined });

    // Assess
    expect(output.MetricDataResults?.[0]?.Values).toEqual([3, 2, 1]);
  });
});

describe('LocalCloudWatch expressions', () => {
  // a has minutes 0 and 2, b has minutes 1 and 2 (of 0..3).
  function storeWithGaps(): LocalCloudWatch {
    const cloudwatch = new LocalCloudWatch();
    cloudwatch.put(NS, 'A', { TenantId: 'acme' }, at(0), 10);
    cloudwatch.put(NS, 'A', { TenantId: 'acme' }, at(2), 30);
    cloudwatch.put(NS, 'B', { TenantId: 'acme' }, at(1), 2);
    cloudwatch.put(NS, 'B', { TenantId: 'acme' }, at(2), 3);
    return cloudwatch;
  }
  const hidden = [stat('a', 'A', 'acme', 60, 'Sum', false), stat('b', 'B', 'acme', 60, 'Sum', false)];

  it.each([
    { expression: 'a + b', values: [33], minutes: [2], why: 'series combine only where both have a datapoint' },
    { expression: 'FILL(a, 0) + FILL(b, 0)', values: [10, 2, 33], minutes: [0, 1, 2], why: 'FILL gives every minute of the range a value' },
    { expression: 'FILL(b, -1)', values: [-1, 2, 3], minutes: [0, 1, 2], why: 'FILL accepts a negative fill value' },
    { expression: '(a - b) * 2 / 4', values: [13.5], minutes: [2], why: 'precedence and parentheses follow arithmetic' },
    { expression: '-a + 100', values: [90, 70], minutes: [0, 2], why: 'unary minus and numbers apply per datapoint' },
    { expression: 'FILL(c, 0)', values: [0, 0, 0], minutes: [0, 1, 2], why: 'FILL of a metric with no data at all is all fill' },
  ])('evaluates $expression: $why', async ({ expression, values, minutes }) => {
    // Prepare
    const cloudwatch = storeWithGaps();
    const queries = [...hidden, stat('c', 'NeverPublished', 'acme', 60, 'Sum', false), { Id: 'e', Expression: expression }];

    // Act
    const output = await cloudwatch.getMetricData(request(queries, 0, 3));

    // Assess: only the expression comes back; ReturnData false queries are not returned.
    expect(output.MetricDataResults?.map((result) => result.Id)).toEqual(['e']);
    expect(output.MetricDataResults?.[0]?.Values).toEqual(values);
    expect(output.MetricDataResults?.[0]?.Timestamps?.map((date) => date.getTime())).toEqual(minutes.map(at));
  });

  it.each([
    { expression: 'a + ', message: 'expected a value at the end' },
    { expression: 'RATE(a)', message: 'unsupported function RATE' },
    { expression: 'a + zz', message: 'Unknown query id "zz"' },
    { expression: '5', message: 'must return a time series' },
    { expression: 'a # b', message: 'unexpected character "#"' },
  ])('rejects the expression $expression with a ValidationError', async ({ expression, message }) => {
    // Prepare
    const cloudwatch = storeWithGaps();

    // Act
    const call = cloudwatch.getMetricData(request([...hidden, { Id: 'e', Expression: expression }], 0, 3));

    // Assess
    await expect(call).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining(message) });
  });
});

describe('LocalCloudWatch limits', () => {
  it('rejects more than 500 queries with a ValidationError naming the limit', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    const queries = Array.from({ length: 501 }, (_, i) => stat(`m${i}`, 'Requests', `t${i}`));

    // Act
    const call = cloudwatch.getMetricData(request(queries, 0, 60));

    // Assess
    await expect(call).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('must not have a size greater than 500; got 501'),
      $metadata: { httpStatusCode: 400 },
    });
  });

  it.each([
    { id: 'Requests', why: 'an uppercase first letter' },
    { id: '1m', why: 'a digit first' },
    { id: 'm-1', why: 'a dash' },
    { id: `m${'x'.repeat(255)}`, why: 'more than 255 characters' },
  ])('rejects the query id with $why', async ({ id }) => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();

    // Act
    const call = cloudwatch.getMetricData(request([stat(id, 'Requests', 'acme')], 0, 60));

    // Assess
    await expect(call).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('.Id must start with a lowercase letter') });
  });

  it('returns at most 100,800 datapoints, then continues with NextToken', async () => {
    // Prepare: 3 series x 30 days of minutes = 3 x 43,200 = 129,600 datapoints.
    const cloudwatch = new LocalCloudWatch();
    const minutes = (30 * DAY_MS) / MINUTE_MS;
    for (const tenant of ['a', 'b', 'c']) cloudwatch.putMinutes(NS, 'Requests', { TenantId: tenant }, at(0), new Float64Array(minutes).fill(1));
    const input = request([stat('a', 'Requests', 'a'), stat('b', 'Requests', 'b'), stat('c', 'Requests', 'c')], 0, minutes);

    // Act
    const first = await cloudwatch.getMetricData(input);
    const second = await cloudwatch.getMetricData({ ...input, NextToken: first.NextToken });

    // Assess: page 1 holds a and b whole (86,400) and 100,800 - 86,400 = 14,400 of c; page 2 the other 28,800.
    expect(first.MetricDataResults?.map((r) => [r.Id, r.Values?.length, r.StatusCode])).toEqual([
      ['a', minutes, 'Complete'],
      ['b', minutes, 'Complete'],
      ['c', 100_800 - 2 * minutes, 'PartialData'],
    ]);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(second.MetricDataResults?.map((r) => [r.Id, r.Values?.length, r.StatusCode])).toEqual([
      ['a', 0, 'Complete'],
      ['b', 0, 'Complete'],
      ['c', 3 * minutes - 100_800, 'Complete'],
    ]);
    expect(second.NextToken).toBeUndefined();
    expect(cloudwatch.counters).toMatchObject({ calls: 2, metricsRequested: 6, datapointsReturned: 3 * minutes });
  });

  it('refuses a NextToken from another request', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    cloudwatch.put(NS, 'Requests', { TenantId: 'a' }, at(0), 1);
    const first = await cloudwatch.getMetricData({ ...request([stat('a', 'Requests', 'a')], 0, 2), MaxDatapoints: 1 });
    cloudwatch.put(NS, 'Requests', { TenantId: 'a' }, at(1), 1);
    const other = await cloudwatch.getMetricData({ ...request([stat('a', 'Requests', 'a')], 0, 2), MaxDatapoints: 1 });

    // Act
    const call = cloudwatch.getMetricData({ ...request([stat('a', 'Requests', 'a')], 0, 3), NextToken: other.NextToken });

    // Assess
    expect(first.NextToken).toBeUndefined();
    await expect(call).rejects.toMatchObject({ name: 'InvalidNextToken' });
  });

  it('throttles calls over the TPS quota and serves again once the bucket refills', async () => {
    // Prepare: 2 calls per second, clock frozen until moved.
    let now = T0;
    const cloudwatch = new LocalCloudWatch({ maxTps: 2, clock: () => now });
    const input = request([stat('a', 'Requests', 'a')], 0, 1);
    await cloudwatch.getMetricData(input);
    await cloudwatch.getMetricData(input);

    // Act
    const third = cloudwatch.getMetricData(input);
    await expect(third).rejects.toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    now += 500; // half a second refills 2 x 0.5 = 1 token
    const fourth = await cloudwatch.getMetricData(input);

    // Assess
    expect(fourth.MetricDataResults).toHaveLength(1);
    expect(cloudwatch.counters).toMatchObject({ calls: 3, throttled: 1 });
  });

  it('waits the simulated latency through the injected sleep', async () => {
    // Prepare
    const waits: number[] = [];
    const cloudwatch = new LocalCloudWatch({ latencyMs: () => 35, sleep: async (ms) => void waits.push(ms) });

    // Act
    await cloudwatch.getMetricData(request([stat('a', 'Requests', 'a')], 0, 1));
    await cloudwatch.listMetrics({});

    // Assess
    expect(waits).toEqual([35, 35]);
  });
});

describe('LocalCloudWatch ListMetrics', () => {
  it('filters by namespace, name and dimensions, and pages 500 metrics at a time', async () => {
    // Prepare: 600 tenants of api, 5 of web, and one api metric without a tenant.
    const cloudwatch = new LocalCloudWatch();
    for (let i = 0; i < 600; i += 1) cloudwatch.put(NS, 'Requests', { Service: 'api', TenantId: `t${i}` }, at(0), 1);
    for (let i = 0; i < 5; i += 1) cloudwatch.put(NS, 'Requests', { Service: 'web', TenantId: `w${i}` }, at(0), 1);
    cloudwatch.put(NS, 'Requests', { Service: 'api' }, at(0), 1);
    const input = { Namespace: NS, MetricName: 'Requests', Dimensions: [{ Name: 'Service', Value: 'api' }, { Name: 'TenantId' }] };

    // Act
    const first = await cloudwatch.listMetrics(input);
    const second = await cloudwatch.listMetrics({ ...input, NextToken: first.NextToken });

    // Assess
    expect(first.Metrics).toHaveLength(500);
    expect(second.Metrics).toHaveLength(100);
    expect(second.NextToken).toBeUndefined();
    expect(second.Metrics?.[0]).toEqual({
      Namespace: NS,
      MetricName: 'Requests',
      Dimensions: [
        { Name: 'Service', Value: 'api' },
        { Name: 'TenantId', Value: 't500' },
      ],
    });
  });

  it('lists only metrics with data in the last 3 hours for RecentlyActive PT3H', async () => {
    // Prepare
    const now = T0 + DAY_MS;
    const cloudwatch = new LocalCloudWatch({ clock: () => now });
    cloudwatch.put(NS, 'Requests', { TenantId: 'recent' }, now - HOUR_MS, 1);
    cloudwatch.put(NS, 'Requests', { TenantId: 'stale' }, now - 4 * HOUR_MS, 1);

    // Act
    const output = await cloudwatch.listMetrics({ Namespace: NS, RecentlyActive: 'PT3H' });

    // Assess
    expect(output.Metrics?.map((metric) => metric.Dimensions?.[0]?.Value)).toEqual(['recent']);
  });
});

describe('LocalCloudWatch.client()', () => {
  it('answers GetMetricDataCommand and ListMetricsCommand through a real CloudWatchClient', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    cloudwatch.put(NS, 'Requests', { TenantId: 'acme' }, at(0), 5);
    const client = cloudwatch.client();

    // Act
    const data = await client.send(new GetMetricDataCommand(request([stat('r', 'Requests', 'acme')], 0, 1)));
    const listed = await client.send(new ListMetricsCommand({ Namespace: NS }));

    // Assess
    expect(data.MetricDataResults?.[0]?.Values).toEqual([5]);
    expect(data.$metadata.httpStatusCode).toBe(200);
    expect(listed.Metrics?.map((metric) => metric.MetricName)).toEqual(['Requests']);
  });

  it('refuses commands it does not serve instead of reaching for the network', async () => {
    // Prepare
    const client = new LocalCloudWatch().client();

    // Act
    const call = client.send(new DescribeAlarmsCommand({}));

    // Assess
    await expect(call).rejects.toMatchObject({ name: 'InvalidAction', message: expect.stringContaining('DescribeAlarmsCommand') });
  });

  it('passes Throttling through the SDK unchanged, so the adapter sees what AWS would send', async () => {
    // Prepare
    const client = new LocalCloudWatch({ maxTps: 1, clock: () => T0 }).client();
    const input = request([stat('r', 'Requests', 'acme')], 0, 1);
    await client.send(new GetMetricDataCommand(input));

    // Act
    const call = client.send(new GetMetricDataCommand(input));

    // Assess
    await expect(call).rejects.toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
  });
});

describe('CloudWatchMetricSource end-to-end against LocalCloudWatch.client()', () => {
  const slo: SloDefinition = apiSlo({
    sli: { namespace: NS },
    tenants: { mode: 'discover', refreshMinutes: 15, exclude: ['t007'] },
  });
  const tenantIds = Array.from({ length: 150 }, (_, i) => `t${String(i).padStart(3, '0')}`);

  /** Tenant i: 100 requests a minute; i % 4 5xx errors a minute; timeouts only for even i, 1 a minute in even minutes. */
  function publish(cloudwatch: LocalCloudWatch, minutes: number): void {
    const perMinute = (value: (minute: number) => number): number[] => Array.from({ length: minutes }, (_, minute) => value(minute));
    tenantIds.forEach((tenant, i) => {
      const dimensions = { Service: 'api', TenantId: tenant };
      cloudwatch.putMinutes(NS, 'Requests', dimensions, at(0), perMinute(() => 100));
      if (i % 4 > 0) cloudwatch.putMinutes(NS, 'Errors5xx', dimensions, at(0), perMinute(() => i % 4));
      if (i % 2 === 0) cloudwatch.putMinutes(NS, 'Timeouts', dimensions, at(0), perMinute((minute) => (minute % 2 === 0 ? 1 : Number.NaN)));
    });
  }

  it('reads every tenant in as few calls as the limits allow, with FILL making absent minutes 0', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    publish(cloudwatch, 60);
    const source = new CloudWatchMetricSource(cloudwatch.client(), { logger: silentLog });

    // Act
    const result = await source.fetchCounts({ slo, tenants: tenantIds, from: at(0), to: at(60), periodSeconds: 60 });

    // Assess: 5 queries per tenant -> 100 tenants per call -> 2 calls for 150 tenants.
    expect(result.failures).toEqual(new Map());
    expect(result.stats).toEqual({ calls: 2, metricsRequested: 150 * 3, datapoints: 150 * 2 * 60, throttledRetries: 0 });
    expect(cloudwatch.counters).toMatchObject({ calls: 2, metricsRequested: 450, datapointsReturned: 18_000 });
    const t006 = result.series.get('t006')?.buckets ?? [];
    // t006: 6 % 4 = 2 errors a minute, plus 1 timeout in even minutes.
    expect(t006.slice(0, 2)).toEqual([
      { start: at(0), total: 100, bad: 3 },
      { start: at(1), total: 100, bad: 2 },
    ]);
    // t004: no 5xx ever, timeouts in even minutes only: 30 bad of 6,000 in the hour.
    const t004 = result.series.get('t004')?.buckets ?? [];
    expect(t004.reduce((sum, bucket) => sum + bucket.bad, 0)).toBe(30);
    expect(t004.reduce((sum, bucket) => sum + bucket.total, 0)).toBe(6000);
  });

  it('sums hours at a 3600 s period', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    publish(cloudwatch, 120);
    const source = new CloudWatchMetricSource(cloudwatch.client(), { logger: silentLog });

    // Act
    const result = await source.fetchCounts({ slo, tenants: ['t003'], from: at(0), to: at(120), periodSeconds: 3600 });

    // Assess: t003 has 3 errors a minute and no timeouts: 180 bad of 6,000 an hour.
    expect(result.series.get('t003')?.buckets).toEqual([
      { start: at(0), total: 6000, bad: 180 },
      { start: at(60), total: 6000, bad: 180 },
    ]);
  });

  it('retries Throttling with backoff until the TPS quota allows the call', async () => {
    // Prepare: 1 call per second; the injected sleep moves the clock, so no real time passes.
    let now = T0;
    const cloudwatch = new LocalCloudWatch({ maxTps: 1, clock: () => now });
    publish(cloudwatch, 5);
    const source = new CloudWatchMetricSource(cloudwatch.client(), {
      logger: silentLog,
      maxConcurrentRequests: 1,
      maxAttempts: 8,
      random: () => 0.99,
      sleep: async (ms) => {
        now += ms;
      },
    });

    // Act
    const result = await source.fetchCounts({ slo, tenants: tenantIds, from: at(0), to: at(5), periodSeconds: 60 });

    // Assess: call 2 finds the bucket empty; waits of floor(0.99 x 100 x 2^(k-1)) = 99, 198, 396, 792 ms add up to
    // 99, 297, 693, 1,485 ms, and only the fourth passes the 1,000 ms one token takes to refill.
    expect(result.failures).toEqual(new Map());
    expect(result.series.size).toBe(150);
    expect(result.stats.throttledRetries).toBe(4);
    expect(cloudwatch.counters.throttled).toBe(4);
  });

  it('discovers tenants through ListMetrics, leaving out the excluded ones', async () => {
    // Prepare
    const cloudwatch = new LocalCloudWatch();
    publish(cloudwatch, 1);
    cloudwatch.put(NS, 'Requests', { Service: 'web', TenantId: 'not-api' }, at(0), 1);
    const source = new CloudWatchMetricSource(cloudwatch.client(), { logger: silentLog });

    // Act
    const tenants = await source.listTenants(slo);

    // Assess
    expect(tenants).toEqual(tenantIds.filter((tenant) => tenant !== 't007'));
  });
});
