/**
 * The bench CloudWatch's datapoints-per-second quota: a call is charged the datapoints it can return, against the
 * `recent` bucket when its StartTime is within 3 hours of its EndTime and the `older` one otherwise.
 */
import type { GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { BenchCloudWatch } from '../../bench/cloudwatch';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';

const END = Date.UTC(2026, 10, 23, 14, 0, 0);
// Quotas a second apart from any refill a test could see: a call of 1,000 datapoints empties a bucket.
const QUOTA = { recent: 1_000, older: 2_000 };

function benchCloudWatch(): BenchCloudWatch {
  return new BenchCloudWatch({ latency: { minMs: 0, maxMs: 0 }, maxTps: 1_000, tenantDimension: 'TenantId', profileOf: new Map(), seed: 1, maxDatapointsPerSecond: QUOTA });
}

/** One call of `queries` MetricStats of `periodSeconds` over `[END - spanMs, END)`: queries x span / period datapoints. */
function call(queries: number, spanMs: number, periodSeconds: number): GetMetricDataCommandInput {
  return {
    StartTime: new Date(END - spanMs),
    EndTime: new Date(END),
    MetricDataQueries: Array.from({ length: queries }, (_, index) => ({
      Id: `m${index}`,
      MetricStat: { Metric: { Namespace: 'Shop', MetricName: 'Requests', Dimensions: [{ Name: 'TenantId', Value: `t${index}` }] }, Period: periodSeconds, Stat: 'Sum' },
    })),
  };
}

describe('the bench CloudWatch datapoints-per-second quota', () => {
  it.each([
    // name, outcome of the second call, first call, second call
    ['a recent call after a full second of recent datapoints', 'throttled', call(10, 100 * MINUTE_MS, 60), call(1, 10 * MINUTE_MS, 60)],
    ['an older call after the recent bucket is spent (the buckets are apart)', 'answered', call(10, 100 * MINUTE_MS, 60), call(1, 4 * HOUR_MS, 3600)],
    ['a second older call after half the older quota', 'answered', call(4, 250 * MINUTE_MS, 60), call(4, 250 * MINUTE_MS, 60)],
    ['an older call of 1,000 after 1,500 of the 2,000 older datapoints', 'throttled', call(6, 250 * MINUTE_MS, 60), call(4, 250 * MINUTE_MS, 60)],
  ])('%s is %s', async (_name, expected, first, second) => {
    const throttled = expected === 'throttled';
    // Prepare
    const cw = benchCloudWatch();
    await cw.getMetricData(first);

    // Act
    const outcome = await cw.getMetricData(second).then(
      () => 'answered',
      (error: Error) => error.name,
    );

    // Assess
    expect(outcome).toBe(throttled ? 'Throttling' : 'answered');
    expect(cw.datapointThrottled).toBe(throttled ? 1 : 0);
    expect(cw.counters.throttled).toBe(throttled ? 1 : 0);
  });

  it('names the quota it throttled on', async () => {
    // Prepare
    const cw = benchCloudWatch();
    await cw.getMetricData(call(10, 100 * MINUTE_MS, 60));

    // Act / Assess
    await expect(cw.getMetricData(call(1, 100 * MINUTE_MS, 60))).rejects.toThrow('GetMetricData is limited to 1000 datapoints per second (StartTime within 3 hours)');
  });

  it('refuses a quota that is not positive, naming it', () => {
    // Act / Assess
    expect(
      () => new BenchCloudWatch({ latency: { minMs: 0, maxMs: 0 }, maxTps: 10, tenantDimension: 'TenantId', profileOf: new Map(), seed: 1, maxDatapointsPerSecond: { recent: 0, older: 5 } }),
    ).toThrow('maxDatapointsPerSecond.recent must be greater than 0; got 0');
  });
});
