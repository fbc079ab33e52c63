import {
  CloudWatchClient,
  CloudWatchServiceException,
  GetMetricDataCommand,
  ListMetricsCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetricSource, type CloudWatchMetricSourceOptions } from '../../lambda/adapters/cloudwatch-metric-source';
import { mapWithConcurrency } from '../../lambda/adapters/concurrency';
import type { SloDefinition, TenantSelection } from '../../lambda/domain/model';
import { DAY_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { CountsRequest, Log } from '../../lambda/ports';

import { apiSlo } from '../support/slo-fixture';

const cloudwatch = mockClient(CloudWatchClient);
const T0 = Date.UTC(2025, 2, 10, 12);
const at = (minute: number): number => T0 + minute * MINUTE_MS;

function sloWith(tenants: TenantSelection = { mode: 'discover', refreshMinutes: 15, exclude: [] }): SloDefinition {
  return apiSlo({ tenants });
}

const tenantsNamed = (count: number): string[] => Array.from({ length: count }, (_, i) => `tenant-${String(i).padStart(4, '0')}`);

function countsRequest(tenants: readonly string[], minutes = 3, periodSeconds = 60): CountsRequest {
  return { slo: sloWith(), tenants, from: at(0), to: at(minutes), periodSeconds };
}

function logSpy(): Log & { warn: jest.Mock } {
  return { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

/** Options with an instant sleep and fixed jitter: retries never wait for real. */
function options(overrides: CloudWatchMetricSourceOptions = {}): CloudWatchMetricSourceOptions {
  return { sleep: async () => undefined, random: () => 0.5, logger: logSpy(), ...overrides };
}

/** The tenant a returned query (b<i> / t<i>) belongs to, read from the MetricStat queries of the same call. */
function tenantOf(input: GetMetricDataCommandInput, returnedId: string): string {
  const prefix = `q${returnedId.slice(1)}_`;
  const metric = input.MetricDataQueries?.find((query) => query.Id?.startsWith(prefix));
  return metric?.MetricStat?.Metric?.Dimensions?.find((dimension) => dimension.Name === 'TenantId')?.Value ?? '?';
}

type Side = 'bad' | 'total';

/** Answers every returned query of a call in one complete page, with per-minute values from `valueOf`. */
function answerAll(valueOf: (tenant: string, side: Side, minute: number) => number) {
  return (input: GetMetricDataCommandInput): GetMetricDataCommandOutput => {
    const start = (input.StartTime as Date).getTime();
    const minutes = ((input.EndTime as Date).getTime() - start) / MINUTE_MS;
    const results: MetricDataResult[] = (input.MetricDataQueries ?? [])
      .filter((query) => query.ReturnData !== false)
      .map((query) => {
        const id = query.Id as string;
        const side: Side = id.startsWith('b') ? 'bad' : 'total';
        const minuteList = Array.from({ length: minutes }, (_, minute) => minute);
        return {
          Id: id,
          Timestamps: minuteList.map((minute) => new Date(start + minute * MINUTE_MS)),
          Values: minuteList.map((minute) => valueOf(tenantOf(input, id), side, minute)),
          StatusCode: 'Complete',
        };
      });
    return { MetricDataResults: results, $metadata: {} };
  };
}

/** Answers every returned query of a call with an empty, complete series: tenants without traffic. */
function answerEmpty(input: GetMetricDataCommandInput): GetMetricDataCommandOutput {
  const returned = (input.MetricDataQueries ?? []).filter((query) => query.ReturnData !== false);
  return { MetricDataResults: returned.map((query) => ({ Id: query.Id, Timestamps: [], Values: [], StatusCode: 'Complete' })), $metadata: {} };
}

function throttling(): CloudWatchServiceException {
  return new CloudWatchServiceException({ name: 'Throttling', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

beforeEach(() => {
  cloudwatch.reset();
});

describe('CloudWatchMetricSource.fetchCounts: batching', () => {
  // Each tenant costs 3 MetricStat + 2 expression queries and 2 returned series of `points` datapoints;
  // tenants per call = min(floor(500 / 5), floor(100,800 / (2 x points))).
  it.each([
    { window: 'one hour of minutes', minutes: 60, periodSeconds: 60, tenantsPerCall: Math.min(100, Math.floor(100_800 / (2 * 60))) },
    { window: 'one day of minutes', minutes: 24 * 60, periodSeconds: 60, tenantsPerCall: Math.min(100, Math.floor(100_800 / (2 * 1440))) },
    { window: 'thirty days of hours', minutes: (30 * DAY_MS) / MINUTE_MS, periodSeconds: 3600, tenantsPerCall: Math.min(100, Math.floor(100_800 / (2 * 720))) },
  ])('reads 1,200 tenants over $window in ceil(1,200 / $tenantsPerCall) calls within both limits', async ({ minutes, periodSeconds, tenantsPerCall }) => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).callsFake(answerEmpty);
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());
    const tenants = tenantsNamed(1200);
    const points = (minutes * 60) / periodSeconds;

    // Act
    const result = await source.fetchCounts(countsRequest(tenants, minutes, periodSeconds));

    // Assess
    const calls = cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(Math.ceil(1200 / tenantsPerCall));
    for (const input of calls) {
      const queries = input.MetricDataQueries ?? [];
      const returned = queries.filter((query) => query.ReturnData !== false).length;
      expect(queries.length).toBeLessThanOrEqual(500);
      expect(returned * points).toBeLessThanOrEqual(100_800);
      expect(input).toMatchObject({ ScanBy: 'TimestampAscending', StartTime: new Date(at(0)), EndTime: new Date(at(minutes)) });
    }
    expect(result.stats).toEqual({ calls: calls.length, metricsRequested: 1200 * 3, datapoints: 0, throttledRetries: 0 });
    expect([...result.series.keys()].sort()).toEqual(tenants);
  });

  it('turns each tenant\'s bad and total series into count buckets', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).callsFake(answerAll((tenant, side, minute) => (side === 'total' ? 100 : tenant === 'globex' ? minute : 0)));
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const result = await source.fetchCounts(countsRequest(['acme', 'globex']));

    // Assess
    expect(result.series.get('globex')).toEqual({
      periodSeconds: 60,
      buckets: [
        { start: at(0), total: 100, bad: 0 },
        { start: at(1), total: 100, bad: 1 },
        { start: at(2), total: 100, bad: 2 },
      ],
    });
    expect(result.series.get('acme')?.buckets.map((bucket) => bucket.bad)).toEqual([0, 0, 0]);
    expect(result.stats.datapoints).toBe(2 * 2 * 3);
  });

  it('runs at most maxConcurrentRequests calls at once', async () => {
    // Prepare: 1,000 tenants at 100 per call = 10 calls, each held open until the test counts them.
    let inFlight = 0;
    let peak = 0;
    cloudwatch.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataCommandInput) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return answerEmpty(input);
    });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options({ maxConcurrentRequests: 3 }));

    // Act
    const counts = await source.fetchCounts(countsRequest(tenantsNamed(1000)));

    // Assess
    expect(counts.series.size).toBe(1000);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(10);
    expect(peak).toBe(3);
  });
});

describe('CloudWatchMetricSource.fetchCounts: pages and statuses', () => {
  const stamp = (...minutes: number[]): Date[] => minutes.map((minute) => new Date(at(minute)));

  it('follows NextToken and merges the pages of each query id', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'b0', Timestamps: stamp(0, 1), Values: [1, 2], StatusCode: 'PartialData' },
          { Id: 't0', Timestamps: stamp(0, 1), Values: [10, 20], StatusCode: 'PartialData' },
        ],
        NextToken: 'page-2',
        $metadata: {},
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'b0', Timestamps: stamp(2), Values: [3], StatusCode: 'Complete' },
          { Id: 't0', Timestamps: stamp(2), Values: [30], StatusCode: 'Complete' },
        ],
        $metadata: {},
      });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const result = await source.fetchCounts(countsRequest(['acme']));

    // Assess
    const calls = cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input.NextToken);
    expect(calls).toEqual([undefined, 'page-2']);
    expect(result.series.get('acme')?.buckets).toEqual([
      { start: at(0), total: 10, bad: 1 },
      { start: at(1), total: 20, bad: 2 },
      { start: at(2), total: 30, bad: 3 },
    ]);
    // Every page requests (and bills) the 3 metrics again.
    expect(result.stats).toMatchObject({ calls: 2, metricsRequested: 6, datapoints: 6 });
    expect(result.failures).toEqual(new Map());
  });

  it('continues a PartialData result with the NextToken until it is complete', async () => {
    // Prepare: the bad series is complete on page 1; only total needs page 2.
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'b0', Timestamps: stamp(0, 1, 2), Values: [0, 0, 1], StatusCode: 'Complete' },
          { Id: 't0', Timestamps: stamp(0), Values: [10], StatusCode: 'PartialData' },
        ],
        NextToken: 'more',
        $metadata: {},
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'b0', Timestamps: [], Values: [], StatusCode: 'Complete' },
          { Id: 't0', Timestamps: stamp(1, 2), Values: [10, 10], StatusCode: 'Complete' },
        ],
        $metadata: {},
      });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const result = await source.fetchCounts(countsRequest(['acme']));

    // Assess
    expect(result.series.get('acme')?.buckets.map((bucket) => [bucket.total, bucket.bad])).toEqual([
      [10, 0],
      [10, 0],
      [10, 1],
    ]);
    expect(result.failures).toEqual(new Map());
  });

  it.each([
    {
      status: 'Forbidden',
      result: { StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'no access to Shop/Api' }] },
      reason: 'bad series b1: Forbidden (Forbidden: no access to Shop/Api)',
    },
    { status: 'InternalError', result: { StatusCode: 'InternalError' }, reason: 'bad series b1: InternalError' },
    {
      status: 'Complete with a message',
      result: { StatusCode: 'Complete', Messages: [{ Code: 'MaxQueryTimeRangeExceed', Value: 'range too long' }] },
      reason: 'bad series b1: MaxQueryTimeRangeExceed: range too long',
    },
    { status: 'PartialData with no NextToken', result: { StatusCode: 'PartialData' }, reason: 'bad series b1: PartialData with no NextToken to continue' },
  ])('fails only the tenant whose query came back $status', async ({ result, reason }) => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      const answer = answerAll((_tenant, side) => (side === 'total' ? 50 : 1))(input);
      const results = (answer.MetricDataResults ?? []).map((entry) => (entry.Id === 'b1' ? { ...entry, ...result } : entry));
      return { ...answer, MetricDataResults: results };
    });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const counts = await source.fetchCounts(countsRequest(['acme', 'globex', 'initech']));

    // Assess
    expect(counts.failures).toEqual(new Map([['globex', reason]]));
    expect([...counts.series.keys()]).toEqual(['acme', 'initech']);
  });

  it('fails a tenant whose series did not come back at all', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'b0', Timestamps: [], Values: [], StatusCode: 'Complete' }], $metadata: {} });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const counts = await source.fetchCounts(countsRequest(['acme']));

    // Assess
    expect(counts.failures.get('acme')).toBe('total series t0: no result returned');
  });

  it('drops NaN and negative buckets, keeps the rest, and logs what it dropped', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'b0', Timestamps: stamp(0, 1, 2), Values: [1, Number.NaN, 2], StatusCode: 'Complete' },
        { Id: 't0', Timestamps: stamp(0, 1, 2), Values: [10, 10, -4], StatusCode: 'Complete' },
      ],
      $metadata: {},
    });
    const logger = logSpy();
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options({ logger }));

    // Act
    const counts = await source.fetchCounts(countsRequest(['acme']));

    // Assess
    expect(counts.series.get('acme')?.buckets).toEqual([{ start: at(0), total: 10, bad: 1 }]);
    expect(logger.warn).toHaveBeenCalledWith(
      'Buckets rejected or clamped',
      expect.objectContaining({
        tenant: 'acme',
        rejected: 2,
        examples: [
          { start: at(1), reason: 'bad is NaN' },
          { start: at(2), reason: 'total is -4' },
        ],
      }),
    );
  });

  it('stops paging when CloudWatch repeats a NextToken, failing that batch\'s tenants', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [], NextToken: 'same', $metadata: {} });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const counts = await source.fetchCounts(countsRequest(['acme']));

    // Assess
    expect(counts.failures.get('acme')).toBe('GetMetricData failed: PaginationLoopError: GetMetricData returned the same NextToken twice; stopped paging');
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(2);
  });
});

describe('CloudWatchMetricSource.fetchCounts: retries', () => {
  it('retries a throttled call after an injected backoff and then succeeds', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .callsFake(answerAll((_tenant, side) => (side === 'total' ? 100 : 1)));
    const waits: number[] = [];
    const source = new CloudWatchMetricSource(
      new CloudWatchClient({}),
      options({ sleep: async (ms) => void waits.push(ms), random: () => 0.5, baseDelayMs: 100 }),
    );

    // Act
    const counts = await source.fetchCounts(countsRequest(['acme']));

    // Assess: full jitter waits 0.5 x 100 x 2^0, then 0.5 x 100 x 2^1.
    expect(waits).toEqual([50, 100]);
    expect(counts.stats).toMatchObject({ calls: 1, throttledRetries: 2 });
    expect(counts.series.get('acme')?.buckets).toHaveLength(3);
  });

  it('gives up after maxAttempts: that batch\'s tenants fail while another batch succeeds', async () => {
    // Prepare: 101 tenants at 100 per call; the call holding tenant 100 (ids q100_*, b100, t100) is always throttled.
    const tenants = tenantsNamed(101);
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      if (input.MetricDataQueries?.some((query) => query.Id === 'b100')) throw throttling();
      return answerAll((_tenant, side) => (side === 'total' ? 100 : 0))(input);
    });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options({ maxAttempts: 3 }));

    // Act
    const counts = await source.fetchCounts(countsRequest(tenants));

    // Assess
    expect(counts.failures).toEqual(new Map([['tenant-0100', 'GetMetricData failed: Throttling: Rate exceeded']]));
    expect(counts.series.size).toBe(100);
    // 1 call for the first batch + 3 attempts for the second; 2 of those were throttled retries.
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(1 + 3);
    expect(counts.stats).toMatchObject({ calls: 1, throttledRetries: 2 });
  });

  it('does not retry an access error: the batch fails at once', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).rejects(
      new CloudWatchServiceException({ name: 'AccessDenied', message: 'not allowed', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const counts = await source.fetchCounts(countsRequest(['acme', 'globex']));

    // Assess
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    expect([...counts.failures.values()]).toEqual(['GetMetricData failed: AccessDenied: not allowed', 'GetMetricData failed: AccessDenied: not allowed']);
  });

  it.each([
    { option: 'maxConcurrentRequests', value: 0 },
    { option: 'maxAttempts', value: 1.5 },
  ])('refuses $option = $value', ({ option, value }) => {
    // Act
    const build = (): unknown => new CloudWatchMetricSource(new CloudWatchClient({}), options({ [option]: value }));

    // Assess
    expect(build).toThrow(`${option} must be an integer of at least 1; got ${value}`);
  });
});

describe('CloudWatchMetricSource.listTenants', () => {
  it('pages through ListMetrics on the first total metric and returns distinct tenants, sorted, minus exclusions', async () => {
    // Prepare
    const metric = (tenant: string) => ({
      Namespace: 'Shop/Api',
      MetricName: 'Requests',
      Dimensions: [
        { Name: 'Service', Value: 'api' },
        { Name: 'TenantId', Value: tenant },
      ],
    });
    cloudwatch
      .on(ListMetricsCommand)
      .resolvesOnce({ Metrics: [metric('umbrella'), metric('acme'), metric('test-tenant')], NextToken: 'p2', $metadata: {} })
      .resolvesOnce({ Metrics: [metric('globex'), metric('acme')], $metadata: {} });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());
    const slo = sloWith({ mode: 'discover', refreshMinutes: 15, exclude: ['test-tenant'] });

    // Act
    const tenants = await source.listTenants(slo);

    // Assess
    expect(tenants).toEqual(['acme', 'globex', 'umbrella']);
    const inputs = cloudwatch.commandCalls(ListMetricsCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      {
        Namespace: 'Shop/Api',
        MetricName: 'Requests',
        Dimensions: [{ Name: 'Service', Value: 'api' }, { Name: 'TenantId' }],
        NextToken: undefined,
      },
      expect.objectContaining({ NextToken: 'p2' }),
    ]);
  });

  it('excludes nothing when the SLO lists its tenants', async () => {
    // Prepare
    cloudwatch.on(ListMetricsCommand).resolves({
      Metrics: [{ Namespace: 'Shop/Api', MetricName: 'Requests', Dimensions: [{ Name: 'TenantId', Value: 'test-tenant' }] }],
      $metadata: {},
    });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const tenants = await source.listTenants(sloWith({ mode: 'list', tenants: ['acme'] }));

    // Assess
    expect(tenants).toEqual(['test-tenant']);
  });

  it('retries a throttled ListMetrics call', async () => {
    // Prepare
    cloudwatch
      .on(ListMetricsCommand)
      .rejectsOnce(throttling())
      .resolves({ Metrics: [{ Dimensions: [{ Name: 'TenantId', Value: 'acme' }] }], $metadata: {} });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), options());

    // Act
    const tenants = await source.listTenants(sloWith());

    // Assess
    expect(tenants).toEqual(['acme']);
    expect(cloudwatch.commandCalls(ListMetricsCommand)).toHaveLength(2);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps the order of the input even when later items finish first', async () => {
    // Prepare: item i finishes after (5 - i) event-loop turns.
    const turns = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i += 1) await new Promise((resolve) => setImmediate(resolve));
    };

    // Act
    const results = await mapWithConcurrency([0, 1, 2, 3, 4], 5, async (item) => {
      await turns(5 - item);
      return item * 10;
    });

    // Assess
    expect(results).toEqual([0, 10, 20, 30, 40]);
  });

  it('starts no new item after one fails', async () => {
    // Prepare
    const started: number[] = [];

    // Act
    const run = mapWithConcurrency([0, 1, 2, 3], 1, async (item) => {
      started.push(item);
      if (item === 1) throw new Error('item 1 failed');
      return item;
    });

    // Assess
    await expect(run).rejects.toThrow('item 1 failed');
    expect(started).toEqual([0, 1]);
  });

  it('refuses a limit below 1', async () => {
    // Act
    const run = mapWithConcurrency([1], 0, async (item) => item);

    // Assess
    await expect(run).rejects.toThrow('limit must be an integer of at least 1; got 0');
  });
});
