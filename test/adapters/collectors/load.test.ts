import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { LoadCollector, type LoadCollectorOptions, type LoadScope } from '../../../lambda/adapters/collectors/load';
import { DAY_MS } from '../../../lambda/domain/model';
import { apiSlo } from '../../support/slo-fixture';
import { MIN, NO_WAIT, T0, serviceError } from './aws-errors';

const cloudwatch = mockClient(CloudWatchClient);
const FROM = T0;
const TO = T0 + 30 * MIN;
const WEEK = 7 * DAY_MS;

// bad = m5xx + mTimeouts, total = mRequests: only mRequests should be read.
const SLO = apiSlo();
const SCOPE: LoadScope = { slo: SLO };

/** `count` minutes at `rate` requests each, from `start`, as [epoch ms, value] pairs. */
function minutes(start: number, count: number, rate: number): [number, number][] {
  return Array.from({ length: count }, (_, i) => [start + i * MIN, rate]);
}

function series(id: string, points: readonly [number, number][], status: MetricDataResult['StatusCode'] = 'Complete'): MetricDataResult {
  return { Id: id, Timestamps: points.map(([at]) => new Date(at)), Values: points.map(([, value]) => value), StatusCode: status };
}

// The previous 24 h: 720 minutes at 100/min then 720 at 120/min: median (100 + 120) / 2 = 110.
const DAY = [...minutes(FROM - DAY_MS, 720, 100), ...minutes(FROM - DAY_MS / 2, 720, 120)];
// The window: 10 minutes at 100/min, then 20 at 400/min.
const JUMP = [...minutes(FROM, 10, 100), ...minutes(FROM + 10 * MIN, 20, 400)];

/** Answers the 24 h + window call with `recent` and the week-ago call with `weekAgo`, for tenant index 0. */
function answer(recent: readonly [number, number][], weekAgo: readonly [number, number][]): void {
  cloudwatch.on(GetMetricDataCommand, { StartTime: new Date(FROM - DAY_MS) }).resolves({ MetricDataResults: [series('t0', recent)] });
  cloudwatch.on(GetMetricDataCommand, { StartTime: new Date(FROM - WEEK) }).resolves({ MetricDataResults: [series('t0', weekAgo)] });
}

function collector(options: LoadCollectorOptions = {}): LoadCollector {
  return new LoadCollector(new CloudWatchClient({}), { retry: NO_WAIT, ...options });
}

async function collectOk(scope: LoadScope = SCOPE, tenants: readonly string[] = ['acme']) {
  const result = await collector().collect({ from: FROM, to: TO, tenants, scope });
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.reason}`);
  return result;
}

describe('LoadCollector', () => {
  beforeEach(() => cloudwatch.reset());

  it('reports a burn after a traffic jump as overload, with the factor against the larger baseline', async () => {
    // Prepare: last week 150/min at this time; baseline max(110, 150) = 150; sustained 400/min from minute 10.
    answer([...DAY, ...JUMP], minutes(FROM - WEEK, 30, 150));
    // Act
    const { items } = await collectOk();
    // Assess: 400 / 150 = 2.67 >= 2; the window mean is (10 x 100 + 20 x 400) / 30 = 300.
    expect(items).toEqual([
      {
        source: 'load',
        failureMode: 'overload',
        resource: 'api-availability/acme',
        at: FROM + 10 * MIN,
        endedAt: null,
        summary: 'load: tenant acme at 400/min for 5+ min, 2.67x its baseline of 150/min (median 110/min over the previous 24 h, 150/min a week earlier)',
        tenants: ['acme'],
        details: {
          slo: 'api-availability',
          tenant: 'acme',
          trafficJumpFactor: 2.67,
          factorThreshold: 2,
          baseline: 'larger-of-both',
          peakRequestsPerMinute: 400,
          windowMeanRequestsPerMinute: 300,
          dayMedianRequestsPerMinute: 110,
          weekAgoMedianRequestsPerMinute: 150,
          baselineRequestsPerMinute: 150,
          sustainMinutes: 5,
          windowStart: FROM,
          windowEnd: TO,
        },
      },
    ]);
  });

  it.each([
    ['a busy hour last week (250/min) makes 400/min only 1.6x', minutes(FROM - WEEK, 30, 250), 2],
    ['a factor of 3 in scope is not reached by 400 / 150 = 2.67', minutes(FROM - WEEK, 30, 150), 3],
  ])('reports no overload when %s', async (_sentence, weekAgo, factor) => {
    // Prepare
    answer([...DAY, ...JUMP], weekAgo);
    // Act
    const { items } = await collectOk({ slo: SLO, trafficJumpFactor: factor });
    // Assess
    expect(items).toEqual([]);
  });

  it('reads only the total expression and its metrics, over the 24 h before the window and the same window a week earlier', async () => {
    // Prepare
    answer([], []);
    // Act
    await collectOk();
    // Assess
    const inputs = cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.StartTime, input.EndTime])).toEqual([
      [new Date(FROM - DAY_MS), new Date(TO)],
      [new Date(FROM - WEEK), new Date(TO - WEEK)],
    ]);
    expect(inputs[0]?.MetricDataQueries).toEqual([
      {
        Id: 'q0_mRequests',
        MetricStat: {
          Metric: { Namespace: 'Shop/Api', MetricName: 'Requests', Dimensions: [{ Name: 'Service', Value: 'api' }, { Name: 'TenantId', Value: 'acme' }] },
          Period: 60,
          Stat: 'Sum',
        },
        ReturnData: false,
      },
      { Id: 't0', Expression: 'FILL(q0_mRequests, 0)', Label: 'acme total', Period: 60, ReturnData: true },
    ]);
  });

  it.each([
    {
      baseline: 'previous-24h-median' as const,
      // Only the 24 h median 110 counts: 400 / 110 = 3.64; no week-ago call is made.
      spans: [[FROM - DAY_MS, TO]],
      factor: 3.64,
      text: '3.64x its baseline of 110/min (median 110/min over the previous 24 h)',
    },
    {
      baseline: 'same-hour-last-week' as const,
      // Only last week's 150 counts: 400 / 150 = 2.67; the recent call reads the window alone.
      spans: [[FROM, TO], [FROM - WEEK, TO - WEEK]],
      factor: 2.67,
      text: '2.67x its baseline of 150/min (150/min a week earlier)',
    },
  ])('compares with the $baseline baseline only, reading only the history it needs', async ({ baseline, spans, factor, text }) => {
    // Prepare: the recent call is answered whatever its start, so the window is seen either way.
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('t0', [...DAY, ...JUMP])] });
    cloudwatch.on(GetMetricDataCommand, { StartTime: new Date(FROM - WEEK) }).resolves({ MetricDataResults: [series('t0', minutes(FROM - WEEK, 30, 150))] });
    // Act
    const { items } = await collectOk({ slo: SLO, baseline });
    // Assess
    const inputs = cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.StartTime?.getTime(), input.EndTime?.getTime()])).toEqual(spans);
    expect(items[0]?.details).toMatchObject({ baseline, trafficJumpFactor: factor });
    expect(items[0]?.summary).toContain(text);
  });

  it('compares each incident tenant with its own baseline', async () => {
    // Prepare: globex (t1) stays at its usual 110/min.
    cloudwatch
      .on(GetMetricDataCommand, { StartTime: new Date(FROM - DAY_MS) })
      .resolves({ MetricDataResults: [series('t0', [...DAY, ...JUMP]), series('t1', [...DAY, ...minutes(FROM, 30, 110)])] });
    cloudwatch.on(GetMetricDataCommand, { StartTime: new Date(FROM - WEEK) }).resolves({ MetricDataResults: [] });
    // Act
    const { items } = await collectOk(SCOPE, ['acme', 'globex']);
    // Assess: acme 400 / 110 = 3.64x; globex 110 / 110 = 1x.
    expect(items.map((item) => [item.resource, item.details.trafficJumpFactor])).toEqual([['api-availability/acme', 3.64]]);
  });

  it('merges the datapoints of one tenant across pages', async () => {
    // Prepare: the 24 h on page 1, the jump on page 2; only both together show the jump against 110/min.
    cloudwatch
      .on(GetMetricDataCommand, { StartTime: new Date(FROM - DAY_MS) })
      .resolvesOnce({ MetricDataResults: [series('t0', DAY)], NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: [series('t0', JUMP)] });
    cloudwatch.on(GetMetricDataCommand, { StartTime: new Date(FROM - WEEK) }).resolves({ MetricDataResults: [] });
    // Act
    const { items } = await collectOk();
    // Assess
    expect(items[0]?.details).toMatchObject({ dayMedianRequestsPerMinute: 110, weekAgoMedianRequestsPerMinute: null, trafficJumpFactor: 3.64 });
  });

  it('retries a throttled GetMetricData', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .rejectsOnce(serviceError(CloudWatchServiceException, 'Throttling', 400, 'Rate exceeded'))
      .resolves({ MetricDataResults: [] });
    // Act
    const { details } = await collectOk();
    // Assess
    expect(details).toMatchObject({ throttledRetries: 1, calls: 3 });
  });

  it('reports access denied as unavailable without retrying', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).rejects(serviceError(CloudWatchServiceException, 'AccessDenied', 403, 'no cloudwatch:GetMetricData'));
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants: ['acme'], scope: SCOPE });
    // Assess
    expect(result).toMatchObject({
      source: 'load',
      status: 'unavailable',
      reason: 'cloudwatch: AccessDenied: no cloudwatch:GetMetricData',
      details: { errorKind: 'access-denied', calls: 1 },
    });
  });

  it('reports a series CloudWatch could not deliver as unavailable, naming the tenant', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('t0', [], 'Forbidden')] });
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants: ['acme'], scope: SCOPE });
    // Assess
    expect(result).toMatchObject({ status: 'unavailable', reason: 'cloudwatch: LoadSeriesError: request series of tenant "acme": Forbidden' });
  });

  it.each([
    ['no tenants', [], SCOPE, 'request.tenants must be at least one tenant id (load is compared per tenant); got []'],
    ['a factor below 1', ['acme'], { slo: SLO, trafficJumpFactor: 0.5 }, 'scope.trafficJumpFactor must be a finite number >= 1; got 0.5'],
    ['a negative rate floor', ['acme'], { slo: SLO, minRequestsPerMinute: -1 }, 'scope.minRequestsPerMinute must be a finite number >= 0; got -1'],
    ['an unknown baseline', ['acme'], { slo: SLO, baseline: 'yesterday' as never }, 'scope.baseline must be one of previous-24h-median, same-hour-last-week, larger-of-both; got "yesterday"'],
  ])('reports %s as unavailable, naming the field', async (_sentence, tenants, scope, message) => {
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants, scope });
    // Assess
    expect(result).toMatchObject({ status: 'unavailable', reason: `cloudwatch: AdapterInputError: ${message}` });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it('refuses a sustain of 0 minutes at construction', () => {
    expect(() => collector({ sustainMinutes: 0 })).toThrow('options.sustainMinutes must be an integer from 1 to 60; got 0');
  });
});
