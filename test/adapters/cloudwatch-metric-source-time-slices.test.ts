/**
 * CloudWatchMetricSource for time-slice SLOs and latency SLIs, against aws-sdk-client-mock: the exact
 * MetricDataQueries of a threshold SLI (p99 per tenant) and of a request-based latency SLI (TC(:T) fast requests
 * over SampleCount), pagination of the statistic series, and the conversion of what comes back into slice buckets.
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { RatioSli, SloDefinition, ThresholdSli } from '../../lambda/domain/model';
import type { Log } from '../../lambda/ports';
import { apiSlo } from '../support/slo-fixture';

const cloudwatch = mockClient(CloudWatchClient);
const T0 = Date.UTC(2026, 2, 2, 12);
const at = (minute: number): number => T0 + minute * MINUTE_MS;
const stamp = (...minutes: number[]): Date[] => minutes.map((minute) => new Date(at(minute)));

const P99_SLI: ThresholdSli = {
  kind: 'threshold',
  namespace: 'Shop/Checkout',
  tenantDimension: 'TenantId',
  dimensions: { Service: 'checkout' },
  metric: { id: 'latency', metricName: 'Latency', stat: 'p99' },
  op: 'lte',
  threshold: 300,
};
const P99_SLO: SloDefinition = { ...apiSlo(), name: 'checkout-p99', sli: P99_SLI, timeSlices: { sliceMinutes: 1, timeSliceTarget: null } };

/** Request-based latency: fast requests are those at or under 300 ms (TC(:300) counts them), all are SampleCount. */
const LATENCY_SLI: RatioSli = {
  kind: 'ratio',
  namespace: 'Shop/Checkout',
  tenantDimension: 'TenantId',
  dimensions: { Service: 'checkout' },
  metrics: [
    { id: 'fast', metricName: 'Latency', stat: 'TC(:300)' },
    { id: 'all', metricName: 'Latency', stat: 'SampleCount' },
  ],
  good: 'fast',
  total: 'all',
};

function logSpy(): Log & { warn: jest.Mock } {
  return { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

function source(log: Log = logSpy()): CloudWatchMetricSource {
  return new CloudWatchMetricSource(new CloudWatchClient({}), { sleep: async () => undefined, random: () => 0.5, logger: log });
}

function sentQueries(): MetricDataQuery[][] {
  return cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input.MetricDataQueries ?? []);
}

const checkoutDimensions = (tenant: string) => [
  { Name: 'Service', Value: 'checkout' },
  { Name: 'TenantId', Value: tenant },
];

beforeEach(() => {
  cloudwatch.reset();
});

describe('CloudWatchMetricSource: a threshold SLI (p99 per minute)', () => {
  it('sends one p99 MetricStat per tenant and turns each minute into a slice, bad above 300 ms', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'v0', Timestamps: stamp(0, 1, 2), Values: [120, 300, 301], StatusCode: 'Complete' },
        // globex had no data in minute 1: no slice, neither good nor bad
        { Id: 'v1', Timestamps: stamp(0, 2), Values: [900, 80], StatusCode: 'Complete' },
      ],
      $metadata: {},
    });

    // Act
    const result = await source().fetchCounts({ slo: P99_SLO, tenants: ['acme', 'globex'], from: at(0), to: at(3), periodSeconds: 60 });

    // Assess
    expect(sentQueries()).toEqual([
      [
        { Id: 'v0', MetricStat: { Metric: { Namespace: 'Shop/Checkout', MetricName: 'Latency', Dimensions: checkoutDimensions('acme') }, Period: 60, Stat: 'p99' }, ReturnData: true },
        { Id: 'v1', MetricStat: { Metric: { Namespace: 'Shop/Checkout', MetricName: 'Latency', Dimensions: checkoutDimensions('globex') }, Period: 60, Stat: 'p99' }, ReturnData: true },
      ],
    ]);
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect([input.StartTime, input.EndTime, input.ScanBy]).toEqual([new Date(at(0)), new Date(at(3)), 'TimestampAscending']);
    expect(result.series.get('acme')).toEqual({
      periodSeconds: 60,
      buckets: [
        { start: at(0), total: 1, bad: 0 },
        { start: at(1), total: 1, bad: 0 },
        { start: at(2), total: 1, bad: 1 },
      ],
    });
    expect(result.series.get('globex')?.buckets).toEqual([
      { start: at(0), total: 1, bad: 1 },
      { start: at(2), total: 1, bad: 0 },
    ]);
    expect(result.stats).toMatchObject({ calls: 1, metricsRequested: 2, datapoints: 5 });
    expect(result.failures).toEqual(new Map());
  });

  it('reads the coarse tier as 5-minute p99 slices of 5 minutes each', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'v0', Timestamps: stamp(0, 5), Values: [200, 450], StatusCode: 'Complete' }],
      $metadata: {},
    });

    // Act
    const result = await source().fetchCounts({ slo: P99_SLO, tenants: ['acme'], from: at(0), to: at(10), periodSeconds: 300 });

    // Assess
    expect(sentQueries()[0]![0]?.MetricStat).toMatchObject({ Period: 300, Stat: 'p99' });
    expect(result.series.get('acme')).toEqual({
      periodSeconds: 300,
      buckets: [
        { start: at(0), total: 5, bad: 0 },
        { start: at(5), total: 5, bad: 5 },
      ],
    });
  });

  it('follows NextToken and merges the pages of the statistic before judging the slices', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'v0', Timestamps: stamp(0, 1), Values: [100, 500], StatusCode: 'PartialData' }], NextToken: 'page-2', $metadata: {} })
      .resolvesOnce({ MetricDataResults: [{ Id: 'v0', Timestamps: stamp(2), Values: [250], StatusCode: 'Complete' }], $metadata: {} });

    // Act
    const result = await source().fetchCounts({ slo: P99_SLO, tenants: ['acme'], from: at(0), to: at(3), periodSeconds: 60 });

    // Assess
    expect(cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    expect(result.series.get('acme')?.buckets).toEqual([
      { start: at(0), total: 1, bad: 0 },
      { start: at(1), total: 1, bad: 1 },
      { start: at(2), total: 1, bad: 0 },
    ]);
    expect(result.stats).toMatchObject({ calls: 2, metricsRequested: 2, datapoints: 3 });
  });

  it('splits 1,200 tenants over calls of at most 500 queries', async () => {
    // Prepare
    const tenants = Array.from({ length: 1200 }, (_, i) => `tenant-${i}`);
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput): GetMetricDataCommandOutput => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((query) => ({ Id: query.Id, Timestamps: stamp(0), Values: [100], StatusCode: 'Complete' })),
      $metadata: {},
    }));

    // Act
    const result = await source().fetchCounts({ slo: P99_SLO, tenants, from: at(0), to: at(60), periodSeconds: 60 });

    // Assess
    expect(sentQueries().map((queries) => queries.length)).toEqual([500, 500, 200]);
    expect(result.series.size).toBe(1200);
    expect(result.series.get('tenant-1199')?.buckets).toEqual([{ start: at(0), total: 1, bad: 0 }]);
  });

  it('drops a NaN p99 and logs it, keeping the tenant\'s other slices', async () => {
    // Prepare
    const log = logSpy();
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'v0', Timestamps: stamp(0, 1), Values: [Number.NaN, 90], StatusCode: 'Complete' }],
      $metadata: {},
    });

    // Act
    const result = await source(log).fetchCounts({ slo: P99_SLO, tenants: ['acme'], from: at(0), to: at(2), periodSeconds: 60 });

    // Assess
    expect(result.series.get('acme')?.buckets).toEqual([{ start: at(1), total: 1, bad: 0 }]);
    expect(log.warn).toHaveBeenCalledWith('Buckets rejected or clamped', expect.objectContaining({ tenant: 'acme', rejected: 1 }));
  });

  it('fails the tenant whose statistic came back Forbidden, not the others', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'v0', Timestamps: [], Values: [], StatusCode: 'Forbidden' },
        { Id: 'v1', Timestamps: stamp(0), Values: [100], StatusCode: 'Complete' },
      ],
      $metadata: {},
    });

    // Act
    const result = await source().fetchCounts({ slo: P99_SLO, tenants: ['acme', 'globex'], from: at(0), to: at(1), periodSeconds: 60 });

    // Assess
    expect(result.failures).toEqual(new Map([['acme', 'value series v0: Forbidden']]));
    expect(result.series.get('globex')?.buckets).toEqual([{ start: at(0), total: 1, bad: 0 }]);
  });
});

describe('CloudWatchMetricSource: a request-based latency SLI (TC(:300) over SampleCount)', () => {
  const latencySlo = (changes: Partial<SloDefinition> = {}): SloDefinition => ({ ...apiSlo(), name: 'checkout-latency', sli: LATENCY_SLI, ...changes });

  it('sends TC(:300) and SampleCount MetricStats and derives bad as all minus fast', async () => {
    // Prepare: 200 requests in the minute, 190 of them fast
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'b0', Timestamps: stamp(0), Values: [10], StatusCode: 'Complete' },
        { Id: 't0', Timestamps: stamp(0), Values: [200], StatusCode: 'Complete' },
      ],
      $metadata: {},
    });

    // Act
    const result = await source().fetchCounts({ slo: latencySlo(), tenants: ['acme'], from: at(0), to: at(1), periodSeconds: 60 });

    // Assess
    expect(sentQueries()).toEqual([
      [
        { Id: 'q0_fast', MetricStat: { Metric: { Namespace: 'Shop/Checkout', MetricName: 'Latency', Dimensions: checkoutDimensions('acme') }, Period: 60, Stat: 'TC(:300)' }, ReturnData: false },
        { Id: 'q0_all', MetricStat: { Metric: { Namespace: 'Shop/Checkout', MetricName: 'Latency', Dimensions: checkoutDimensions('acme') }, Period: 60, Stat: 'SampleCount' }, ReturnData: false },
        { Id: 'b0', Expression: '(FILL(q0_all, 0)) - (FILL(q0_fast, 0))', Label: 'acme bad', Period: 60, ReturnData: true },
        { Id: 't0', Expression: 'FILL(q0_all, 0)', Label: 'acme total', Period: 60, ReturnData: true },
      ],
    ]);
    expect(result.series.get('acme')?.buckets).toEqual([{ start: at(0), total: 200, bad: 10 }]);
  });

  it('budgeted by time slices with target 0.95, turns each minute into a slice by its share of fast requests', async () => {
    // Prepare: minute 0 is 190 of 200 fast (0.95: good), minute 1 is 180 of 200 (0.9: bad), minute 2 has no requests
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'b0', Timestamps: stamp(0, 1, 2), Values: [10, 20, 0], StatusCode: 'Complete' },
        { Id: 't0', Timestamps: stamp(0, 1, 2), Values: [200, 200, 0], StatusCode: 'Complete' },
      ],
      $metadata: {},
    });
    const slo = latencySlo({ timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.95 } });

    // Act
    const result = await source().fetchCounts({ slo, tenants: ['acme'], from: at(0), to: at(3), periodSeconds: 60 });

    // Assess
    expect(sentQueries()[0]!.map((query) => query.MetricStat?.Stat ?? query.Expression)).toEqual([
      'TC(:300)',
      'SampleCount',
      '(FILL(q0_all, 0)) - (FILL(q0_fast, 0))',
      'FILL(q0_all, 0)',
    ]);
    expect(result.series.get('acme')?.buckets).toEqual([
      { start: at(0), total: 1, bad: 0 },
      { start: at(1), total: 1, bad: 1 },
    ]);
  });
});
