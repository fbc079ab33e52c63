/**
 * The GetMetricData plan of a threshold SLI (one returned MetricStat of the statistic per tenant) and of time-slice
 * SLOs (periods in whole slices), within both limits of a call: 500 queries and 100,800 datapoints.
 */
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { SloDefinition, ThresholdSli } from '../../lambda/domain/model';
import { MAX_DATAPOINTS_PER_CALL, MAX_QUERIES_PER_CALL, QueryPlanError, discoveryMetric, planCountQueries } from '../../lambda/domain/query-plan';
import { apiSlo } from '../support/slo-fixture';

const FROM = Date.UTC(2026, 2, 2, 12);
const DAY_MINUTES = 24 * 60;

const P99_SLI: ThresholdSli = {
  kind: 'threshold',
  namespace: 'Shop/Api',
  tenantDimension: 'TenantId',
  dimensions: { Service: 'api' },
  metric: { id: 'latency', metricName: 'Latency', stat: 'p99', dimensions: { Stage: 'prod' } },
  op: 'lte',
  threshold: 300,
};

function p99Slo(sliceMinutes = 1): SloDefinition {
  return { ...apiSlo(), name: 'api-latency', sli: P99_SLI, timeSlices: { sliceMinutes, timeSliceTarget: null } };
}

const tenantsNamed = (count: number): string[] => Array.from({ length: count }, (_, i) => `tenant-${i}`);

describe('planCountQueries: a threshold SLI', () => {
  it('asks one p99 MetricStat per tenant, returned as it is, with the SLI and metric dimensions and the tenant', () => {
    // Act
    const plan = planCountQueries(p99Slo(), ['acme', 'globex'], { from: FROM, to: FROM + HOUR_MS, periodSeconds: 60 });

    // Assess
    expect(plan.batches).toHaveLength(1);
    expect(plan.batches[0]!.queries).toEqual([
      {
        Id: 'v0',
        MetricStat: {
          Metric: {
            Namespace: 'Shop/Api',
            MetricName: 'Latency',
            Dimensions: [
              { Name: 'Service', Value: 'api' },
              { Name: 'Stage', Value: 'prod' },
              { Name: 'TenantId', Value: 'acme' },
            ],
          },
          Period: 60,
          Stat: 'p99',
        },
        ReturnData: true,
      },
      {
        Id: 'v1',
        MetricStat: {
          Metric: {
            Namespace: 'Shop/Api',
            MetricName: 'Latency',
            Dimensions: [
              { Name: 'Service', Value: 'api' },
              { Name: 'Stage', Value: 'prod' },
              { Name: 'TenantId', Value: 'globex' },
            ],
          },
          Period: 60,
          Stat: 'p99',
        },
        ReturnData: true,
      },
    ]);
    expect([...plan.batches[0]!.returned]).toEqual([
      ['v0', { tenant: 'acme', side: 'value' }],
      ['v1', { tenant: 'globex', side: 'value' }],
    ]);
    expect(plan.metricsRequested).toBe(2);
  });

  it.each([
    // 1 hour of minutes: 60 points a tenant, so the 500-query limit binds: 500 tenants a call.
    { name: 'an hour of minutes', minutes: 60, periodSeconds: 60, tenants: 1200, perBatch: 500, batches: 3 },
    // 15 days of minutes: 21,600 points, floor(100,800 / 21,600) = 4 tenants a call.
    { name: '15 days of minutes', minutes: 15 * DAY_MINUTES, periodSeconds: 60, tenants: 10, perBatch: 4, batches: 3 },
    // The coarse tier of a 31-day month in 5-minute slices: 8,928 points, floor(100,800 / 8,928) = 11 tenants a call.
    { name: '31 days of 5-minute slices', minutes: 31 * DAY_MINUTES, periodSeconds: 300, tenants: 23, perBatch: 11, batches: 3 },
  ])('$name for $tenants tenants: $perBatch tenants a call in $batches calls, within both limits', ({ minutes, periodSeconds, tenants, perBatch, batches }) => {
    // Act
    const plan = planCountQueries(p99Slo(), tenantsNamed(tenants), { from: FROM, to: FROM + minutes * MINUTE_MS, periodSeconds });

    // Assess
    expect(plan.tenantsPerBatch).toBe(perBatch);
    expect(plan.batches).toHaveLength(batches);
    for (const batch of plan.batches) {
      expect(batch.queries.length).toBeLessThanOrEqual(MAX_QUERIES_PER_CALL);
      expect(batch.maxDatapoints).toBeLessThanOrEqual(MAX_DATAPOINTS_PER_CALL);
    }
    expect(plan.batches.flatMap((batch) => batch.tenants)).toEqual(tenantsNamed(tenants));
  });

  it('refuses a range whose one series would exceed 100,800 datapoints', () => {
    // Act: 71 days of minutes is 102,240 points
    const act = () => planCountQueries(p99Slo(), ['acme'], { from: FROM, to: FROM + 71 * DAY_MINUTES * MINUTE_MS, periodSeconds: 60 });

    // Assess
    expect(act).toThrow(QueryPlanError);
    expect(act).toThrow(/to - from must be at most 100800 periods of 60 s .*; got "102240 periods"/);
  });

  it('discovers tenants on the threshold SLI\'s metric, with its fixed dimensions', () => {
    // Act
    const metric = discoveryMetric(p99Slo());

    // Assess
    expect(metric).toEqual({
      namespace: 'Shop/Api',
      metricName: 'Latency',
      dimensions: [
        { Name: 'Service', Value: 'api' },
        { Name: 'Stage', Value: 'prod' },
      ],
      tenantDimension: 'TenantId',
    });
  });
});

describe('planCountQueries: periods of a time-slice SLO', () => {
  it.each([
    { name: '1-minute slices read at 60 s (the fine tier)', sliceMinutes: 1, periodSeconds: 60 },
    { name: '1-minute slices read at 300 s (the coarse tier)', sliceMinutes: 1, periodSeconds: 300 },
    { name: '5-minute slices read at 300 s', sliceMinutes: 5, periodSeconds: 300 },
  ])('accepts $name', ({ sliceMinutes, periodSeconds }) => {
    // Act
    const plan = planCountQueries(p99Slo(sliceMinutes), ['acme'], { from: FROM, to: FROM + HOUR_MS, periodSeconds });

    // Assess
    expect(plan.batches[0]!.queries[0]).toMatchObject({ MetricStat: { Period: periodSeconds } });
  });

  it.each([
    { name: 'a threshold SLO', slo: p99Slo(5) },
    { name: 'a ratio SLO', slo: apiSlo({ timeSlices: { sliceMinutes: 5, timeSliceTarget: 0.99 } }) },
  ])('refuses to read 5-minute slices of $name at 60 s, naming the slice length', ({ slo }) => {
    // Act
    const act = () => planCountQueries(slo, ['acme'], { from: FROM, to: FROM + HOUR_MS, periodSeconds: 60 });

    // Assess
    expect(act).toThrow(QueryPlanError);
    expect(act).toThrow(/periodSeconds must be a multiple of the slice length \(300 s, timeSlices\.sliceMinutes 5\) .*; got 60/);
  });

  it('reads a ratio SLO with time slices as bad and total, as an event-counted one', () => {
    // Prepare
    const slo = apiSlo({ timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.99 } });

    // Act
    const plan = planCountQueries(slo, ['acme'], { from: FROM, to: FROM + HOUR_MS, periodSeconds: 60 });

    // Assess
    expect([...plan.batches[0]!.returned.values()].map((series) => series.side)).toEqual(['bad', 'total']);
  });
});
