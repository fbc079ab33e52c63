/**
 * GetMetricData paced to a datapoints-per-second rate: one bucket per quota class (StartTime within 3 hours, or
 * older), refilled continuously with one second of burst. Time is a fake clock that only the pacer's sleeps advance.
 */
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DatapointPacer, DatapointRateError } from '../../lambda/adapters/datapoint-pacer';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import { apiSlo } from '../support/slo-fixture';

const T0 = Date.UTC(2026, 10, 25, 12);

/** A pacer on a fake clock; `sleeps` records every wait. */
function fakePacer(rates: { recent: number; older: number }, callsPerSecond?: number) {
  const time = { now: T0 };
  const sleeps: number[] = [];
  const pacer = new DatapointPacer(rates, {
    ...(callsPerSecond === undefined ? {} : { callsPerSecond }),
    clock: () => time.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      time.now += ms;
    },
  });
  return { pacer, time, sleeps };
}

describe('DatapointPacer', () => {
  it.each([
    // name, calls as [span, datapoints], waits expected (ms): rate 1,000 recent and 2,000 older per second
    ['calls within the first second of burst go out at once', [[HOUR_MS, 600], [HOUR_MS, 400]], []],
    ['a call beyond the burst waits for the missing datapoints at the rate', [[HOUR_MS, 600], [HOUR_MS, 600]], [200]],
    ['the older class has its own bucket', [[HOUR_MS, 1_000], [4 * HOUR_MS, 2_000]], []],
    ['an older call after the older bucket is spent waits for its refill', [[4 * HOUR_MS, 2_000], [4 * HOUR_MS, 500]], [250]],
    ['a call larger than one second of rate waits for a full bucket only', [[HOUR_MS, 1_000], [HOUR_MS, 5_000]], [1_000]],
    // after a call of 5,000 on a full bucket of 1,000, the bucket owes 4,000: the next call of 100 waits 4.1 s
    ['a call larger than one second of rate leaves a debt the next call waits out', [[HOUR_MS, 5_000], [HOUR_MS, 100]], [4_100]],
    ['exactly 3 hours back still counts as recent', [[3 * HOUR_MS, 1_000], [3 * HOUR_MS, 100]], [100]],
  ])('%s', async (_name, calls, waits) => {
    // Prepare
    const { pacer, sleeps } = fakePacer({ recent: 1_000, older: 2_000 });

    // Act
    for (const [span, datapoints] of calls as [number, number][]) await pacer.take(T0 - span, T0, datapoints);

    // Assess
    expect(sleeps).toEqual(waits);
    expect(pacer.waitedMs).toBe((waits as number[]).reduce((sum, ms) => sum + ms, 0));
  });

  it.each([
    // calls a second, calls made at once, waits expected (ms): each call one token, one second of burst
    [2, 3, [500]],
    [4, 4, []],
    [4, 6, [250, 250]],
    [0.5, 2, [2_000]],
  ])('with %p calls a second, %p calls at once wait %p', async (callsPerSecond, calls, waits) => {
    // Prepare: datapoints far below their rate, so only calls are paced
    const { pacer, sleeps } = fakePacer({ recent: 1_000_000, older: 1_000_000 }, callsPerSecond);

    // Act
    for (let call = 0; call < calls; call += 1) await pacer.take(T0 - HOUR_MS, T0, 10);

    // Assess
    expect(sleeps).toEqual(waits);
  });

  it('refills while no call is made', async () => {
    // Prepare: the recent bucket spent, then half a second passes
    const { pacer, time, sleeps } = fakePacer({ recent: 1_000, older: 2_000 });
    await pacer.take(T0 - HOUR_MS, T0, 1_000);
    time.now += 500;

    // Act
    await pacer.take(T0 - HOUR_MS, T0, 500);

    // Assess
    expect(sleeps).toEqual([]);
  });

  it.each([
    [{ recent: 0, older: 1 }, 'datapointsPerSecond.recent must be a number of datapoints per second greater than 0; got 0'],
    [{ recent: 1, older: Number.NaN }, 'datapointsPerSecond.older must be a number of datapoints per second greater than 0; got NaN'],
    [{ recent: Number.POSITIVE_INFINITY, older: 1 }, 'datapointsPerSecond.recent must be a number of datapoints per second greater than 0; got Infinity'],
  ])('refuses the rates %p, naming the field', (rates, message) => {
    // Act / Assess
    expect(() => new DatapointPacer(rates)).toThrow(DatapointRateError);
    expect(() => new DatapointPacer(rates)).toThrow(message);
  });
});

it('refuses a calls-per-second rate of 0, naming it', () => {
  // Act / Assess
  expect(() => new DatapointPacer({ recent: 1, older: 1 }, { callsPerSecond: 0 })).toThrow('callsPerSecond must be a number of calls per second greater than 0; got 0');
});

describe('CloudWatchMetricSource with a pacer', () => {
  const cloudwatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudwatch.reset());

  it('charges every call the datapoints its returned series can hold, and waits when they exceed the rate', async () => {
    // Prepare: 3 tenants over an hour of minutes: 3 x 2 series x 60 minutes = 360 datapoints a call, recent class
    const { pacer, time, sleeps } = fakePacer({ recent: 1_000, older: 396_000 });
    const sentAt: number[] = [];
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput): GetMetricDataCommandOutput => {
      sentAt.push(time.now);
      const returned = (input.MetricDataQueries ?? []).filter((query) => query.ReturnData !== false);
      return { MetricDataResults: returned.map((query) => ({ Id: query.Id, Timestamps: [], Values: [], StatusCode: 'Complete' })), $metadata: {} };
    });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), { pacer, sleep: async () => undefined, logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    const request = { slo: apiSlo(), tenants: ['acme', 'globex', 'initech'], from: T0 - 60 * MINUTE_MS, to: T0, periodSeconds: 60 };

    // Act: three reads; the bucket of 1,000 holds two (720) and the third waits for 80 more
    for (let read = 0; read < 3; read += 1) await source.fetchCounts(request);

    // Assess
    expect(sentAt).toEqual([T0, T0, T0 + 80]);
    expect(sleeps).toEqual([80]);
  });

  it.each([
    // recent rate, tenants, tenants per call: an hour of minutes is 2 x 60 = 120 datapoints a tenant
    [1_000, 20, [8, 8, 4]],
    [120, 3, [1, 1, 1]],
    [10, 2, [1, 1]],
    [396_000, 20, [20]],
  ])('with %p recent datapoints a second, splits %p tenants into calls of %p', async (rate, count, perCall) => {
    // Prepare
    const { pacer } = fakePacer({ recent: rate, older: 396_000 });
    const tenantsPerCall: number[] = [];
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput): GetMetricDataCommandOutput => {
      const returned = (input.MetricDataQueries ?? []).filter((query) => query.ReturnData !== false);
      tenantsPerCall.push(returned.length / 2);
      return { MetricDataResults: returned.map((query) => ({ Id: query.Id, Timestamps: [], Values: [], StatusCode: 'Complete' })), $metadata: {} };
    });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), { pacer, maxConcurrentRequests: 1, sleep: async () => undefined, logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    const tenants = Array.from({ length: count }, (_, index) => `tenant-${index}`);

    // Act
    const result = await source.fetchCounts({ slo: apiSlo(), tenants, from: T0 - 60 * MINUTE_MS, to: T0, periodSeconds: 60 });

    // Assess: every tenant read, none failed
    expect(tenantsPerCall).toEqual(perCall);
    expect([...result.series.keys()].sort()).toEqual([...tenants].sort());
    expect(result.failures.size).toBe(0);
  });
});
