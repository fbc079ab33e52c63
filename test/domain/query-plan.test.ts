import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { RatioSli, SloDefinition } from '../../lambda/domain/model';
import { DAY_MS, HOUR_MS } from '../../lambda/domain/model';
import {
  MAX_DATAPOINTS_PER_CALL,
  MAX_QUERIES_PER_CALL,
  MetricMathSyntaxError,
  QueryPlanError,
  SliExpressionError,
  discoveryMetric,
  planCountQueries,
  referencedIds,
  rewriteIds,
  type ExpressionQuery,
  type MetricStatQuery,
  type PlannedQuery,
} from '../../lambda/domain/query-plan';

import { apiSlo } from '../support/slo-fixture';

const FROM = Date.UTC(2025, 2, 10, 12);
const CLOUDWATCH_ID = /^[a-z][a-zA-Z0-9_]*$/;

function sloWith(sli: Partial<RatioSli> = {}, changes: Partial<Omit<SloDefinition, 'sli'>> & { readonly sli?: Partial<RatioSli> } = {}): SloDefinition {
  // The timeouts metric lives in another namespace with an extra dimension, to show both are carried through.
  const metrics = [
    { id: 'mRequests', metricName: 'Requests', stat: 'Sum' },
    { id: 'm5xx', metricName: 'Errors5xx', stat: 'Sum' },
    { id: 'mTimeouts', metricName: 'Timeouts', stat: 'Sum', namespace: 'Shop/Edge', dimensions: { Stage: 'prod' } },
  ];
  const { sli: sliChanges, ...rest } = changes;
  return apiSlo({ sli: { metrics, ...sli, ...sliChanges }, ...rest });
}

const tenantsNamed = (count: number): string[] => Array.from({ length: count }, (_, i) => `tenant-${String(i).padStart(4, '0')}`);
const isExpression = (query: PlannedQuery): query is ExpressionQuery => 'Expression' in query;
const isMetricStat = (query: PlannedQuery): query is MetricStatQuery => 'MetricStat' in query;
const hourRange = { from: FROM, to: FROM + HOUR_MS, periodSeconds: 60 };

describe('planCountQueries: queries of one tenant', () => {
  it('rewrites each metric id to FILL(<per-tenant id>, 0), so a metric absent in a minute counts 0', () => {
    // Prepare
    const slo = sloWith();

    // Act
    const [batch] = planCountQueries(slo, ['acme'], hourRange).batches;

    // Assess
    const expressions = (batch?.queries ?? []).filter(isExpression);
    expect(expressions).toEqual([
      { Id: 'b0', Expression: 'FILL(q0_m5xx, 0) + FILL(q0_mTimeouts, 0)', Label: 'acme bad', Period: 60, ReturnData: true },
      { Id: 't0', Expression: 'FILL(q0_mRequests, 0)', Label: 'acme total', Period: 60, ReturnData: true },
    ]);
  });

  it('queries each metric with the SLI, metric and tenant dimensions and does not return it', () => {
    // Prepare
    const slo = sloWith();

    // Act
    const [batch] = planCountQueries(slo, ['acme'], hourRange).batches;

    // Assess
    const timeouts = (batch?.queries ?? []).find((query) => query.Id === 'q0_mTimeouts');
    expect(timeouts).toEqual({
      Id: 'q0_mTimeouts',
      MetricStat: {
        Metric: {
          Namespace: 'Shop/Edge',
          MetricName: 'Timeouts',
          Dimensions: [
            { Name: 'Service', Value: 'api' },
            { Name: 'Stage', Value: 'prod' },
            { Name: 'TenantId', Value: 'acme' },
          ],
        },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    });
  });

  it('derives bad as (total) - (good) when only good is given', () => {
    // Prepare
    const slo = sloWith({
      metrics: [
        { id: 'mRequests', metricName: 'Requests', stat: 'Sum' },
        { id: 'm2xx', metricName: 'Ok2xx', stat: 'Sum' },
      ],
      bad: undefined,
      good: 'm2xx',
    });

    // Act
    const [batch] = planCountQueries(slo, ['acme'], hourRange).batches;

    // Assess
    const bad = (batch?.queries ?? []).find((query) => query.Id === 'b0');
    expect(bad).toMatchObject({ Expression: '(FILL(q0_mRequests, 0)) - (FILL(q0_m2xx, 0))' });
  });

  it('gives every query an id CloudWatch accepts, unique within the call', () => {
    // Prepare
    const slo = sloWith();

    // Act
    const plan = planCountQueries(slo, tenantsNamed(250), hourRange);

    // Assess
    for (const batch of plan.batches) {
      const ids = batch.queries.map((query) => query.Id);
      expect(ids.filter((id) => !CLOUDWATCH_ID.test(id) || id.length > 255)).toEqual([]);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('queries only the metrics an expression uses, because every MetricStat is billed', () => {
    // Prepare
    const slo = sloWith({
      metrics: [
        { id: 'mRequests', metricName: 'Requests', stat: 'Sum' },
        { id: 'm5xx', metricName: 'Errors5xx', stat: 'Sum' },
        { id: 'mLatency', metricName: 'Latency', stat: 'Average' },
      ],
      bad: 'm5xx',
    });

    // Act
    const plan = planCountQueries(slo, ['acme', 'globex'], hourRange);

    // Assess
    const metricIds = plan.batches.flatMap((batch) => batch.queries.filter(isMetricStat).map((query) => query.Id));
    expect(metricIds).toEqual(['q0_mRequests', 'q0_m5xx', 'q1_mRequests', 'q1_m5xx']);
    expect(plan.metricsRequested).toBe(4);
  });

  it('maps each returned query id back to its tenant and side', () => {
    // Prepare
    const slo = sloWith();

    // Act
    const [batch] = planCountQueries(slo, ['acme', 'globex'], hourRange).batches;

    // Assess
    expect([...(batch?.returned ?? new Map())]).toEqual([
      ['b0', { tenant: 'acme', side: 'bad' }],
      ['t0', { tenant: 'acme', side: 'total' }],
      ['b1', { tenant: 'globex', side: 'bad' }],
      ['t1', { tenant: 'globex', side: 'total' }],
    ]);
  });

  it('passes to the SDK as MetricDataQuery objects without conversion', () => {
    // Prepare
    const [batch] = planCountQueries(sloWith(), ['acme'], hourRange).batches;

    // Act
    const sdkQueries: MetricDataQuery[] = batch?.queries ?? [];

    // Assess
    expect(sdkQueries).toHaveLength(5);
  });
});

describe('planCountQueries: batching within GetMetricData limits', () => {
  // Per tenant: one MetricStat per metric + 2 expressions (queries), 2 series x points (datapoints).
  // tenantsPerCall = min(floor(500 / queriesPerTenant), floor(100,800 / (2 x points))).
  it.each([
    {
      scenario: '1,200 tenants over 1 hour of minutes is bound by the 500-query limit',
      window: HOUR_MS,
      periodSeconds: 60,
      tenantsPerCall: Math.min(Math.floor(500 / 5), Math.floor(100_800 / (2 * 60))),
    },
    {
      scenario: '1,200 tenants over 1 day of minutes is bound by the 100,800-datapoint limit',
      window: DAY_MS,
      periodSeconds: 60,
      tenantsPerCall: Math.min(Math.floor(500 / 5), Math.floor(100_800 / (2 * 1440))),
    },
    {
      scenario: '1,200 tenants over 30 days of hours is bound by the datapoint limit',
      window: 30 * DAY_MS,
      periodSeconds: 3600,
      tenantsPerCall: Math.min(Math.floor(500 / 5), Math.floor(100_800 / (2 * 720))),
    },
  ])('$scenario', ({ window, periodSeconds, tenantsPerCall }) => {
    // Prepare
    const tenants = tenantsNamed(1200);
    const points = window / (periodSeconds * 1000);

    // Act
    const plan = planCountQueries(sloWith(), tenants, { from: FROM, to: FROM + window, periodSeconds });

    // Assess
    expect(plan.tenantsPerBatch).toBe(tenantsPerCall);
    expect(plan.batches).toHaveLength(Math.ceil(1200 / tenantsPerCall));
    for (const batch of plan.batches) {
      const returnedSeries = batch.queries.filter(isExpression).length;
      expect(batch.queries.length).toBeLessThanOrEqual(MAX_QUERIES_PER_CALL);
      expect(returnedSeries * points).toBeLessThanOrEqual(MAX_DATAPOINTS_PER_CALL);
      expect(batch.maxDatapoints).toBe(returnedSeries * points);
    }
    expect(plan.batches.flatMap((batch) => batch.tenants)).toEqual(tenants);
    expect(plan.metricsRequested).toBe(1200 * 3);
  });

  it('plans no call for no tenants', () => {
    // Act
    const plan = planCountQueries(sloWith(), [], hourRange);

    // Assess
    expect(plan.batches).toEqual([]);
  });

  it('queries a tenant listed twice once', () => {
    // Act
    const plan = planCountQueries(sloWith(), ['acme', 'acme', 'globex'], hourRange);

    // Assess
    expect(plan.batches.flatMap((batch) => batch.tenants)).toEqual(['acme', 'globex']);
  });
});

describe('planCountQueries: bad input', () => {
  it.each([
    { field: 'sli.bad', sli: { bad: 'm5xx + mTypo' }, id: 'mTypo' },
    { field: 'sli.total', sli: { total: 'mRequests + mOther' }, id: 'mOther' },
    { field: 'sli.good', sli: { bad: undefined, good: 'm2xx' }, id: 'm2xx' },
  ])('names the SLO, $field and the unknown id $id', ({ field, sli, id }) => {
    // Prepare
    const slo = sloWith(sli);

    // Act
    const plan = (): unknown => planCountQueries(slo, [], hourRange);

    // Assess
    expect(plan).toThrow(SliExpressionError);
    expect(plan).toThrow(new RegExp(`api-availability.*${field.replace('.', '\\.')}.*${id}`));
  });

  it.each([
    { case: 'a metric id with an uppercase first letter', metricId: 'Requests' },
    { case: 'a metric id with a dash', metricId: 'm-5xx' },
  ])('rejects $case', ({ metricId }) => {
    // Prepare
    const slo = sloWith({ metrics: [{ id: metricId, metricName: 'Requests', stat: 'Sum' }], bad: metricId, total: metricId });

    // Act
    const plan = (): unknown => planCountQueries(slo, ['acme'], hourRange);

    // Assess
    expect(plan).toThrow(SliExpressionError);
  });

  it('requires one of bad or good', () => {
    // Prepare
    const slo = sloWith({ bad: undefined, good: undefined });

    // Act
    const plan = (): unknown => planCountQueries(slo, ['acme'], hourRange);

    // Assess
    expect(plan).toThrow(/sli\.bad.*neither was given/);
  });

  it.each([
    { case: 'a period that is not a CloudWatch period', range: { from: FROM, to: FROM + HOUR_MS, periodSeconds: 45 }, field: 'periodSeconds' },
    { case: 'an empty range', range: { from: FROM, to: FROM, periodSeconds: 60 }, field: 'to' },
    // 2 series x 57,600 minutes > 100,800: one tenant alone would not fit in a call.
    { case: 'a window too long for one tenant', range: { from: FROM, to: FROM + 40 * DAY_MS, periodSeconds: 60 }, field: 'to - from' },
  ])('rejects $case, naming $field', ({ range, field }) => {
    // Act
    const plan = (): unknown => planCountQueries(sloWith(), ['acme'], range);

    // Assess
    expect(plan).toThrow(QueryPlanError);
    expect(plan).toThrow(field);
  });

  it('rejects an empty tenant id', () => {
    // Act
    const plan = (): unknown => planCountQueries(sloWith(), ['acme', ''], hourRange);

    // Assess
    expect(plan).toThrow(/tenants\[1\]/);
  });
});

describe('metric-math identifiers', () => {
  it.each([
    { expression: 'm10 + m1', ids: ['m10', 'm1'], rewritten: '<m10> + <m1>' },
    { expression: 'FILL(m1, REPEAT) * 1e3', ids: ['m1'], rewritten: 'FILL(<m1>, REPEAT) * 1e3' },
    { expression: 'SUM([m1, m2]) / PERIOD(m1)', ids: ['m1', 'm2'], rewritten: 'SUM([<m1>, <m2>]) / PERIOD(<m1>)' },
    { expression: '(errors_total-errors_ok)/2', ids: ['errors_total', 'errors_ok'], rewritten: '(<errors_total>-<errors_ok>)/2' },
  ])('finds $ids in $expression and rewrites only them', ({ expression, ids, rewritten }) => {
    // Act
    const found = referencedIds(expression);
    const replaced = rewriteIds(expression, (id) => `<${id}>`);

    // Assess
    expect(found).toEqual(ids);
    expect(replaced).toBe(rewritten);
  });

  it('names the character and position it cannot read', () => {
    // Act
    const read = (): unknown => referencedIds('m1 # m2');

    // Assess
    expect(read).toThrow(MetricMathSyntaxError);
    expect(read).toThrow('unexpected character "#" at position 3');
  });
});

describe('discoveryMetric', () => {
  it('uses the first metric of total with its fixed dimensions, the tenant dimension by name only', () => {
    // Prepare
    const slo = sloWith({ total: 'mTimeouts + mRequests' });

    // Act
    const metric = discoveryMetric(slo);

    // Assess
    expect(metric).toEqual({
      namespace: 'Shop/Edge',
      metricName: 'Timeouts',
      dimensions: [
        { Name: 'Service', Value: 'api' },
        { Name: 'Stage', Value: 'prod' },
      ],
      tenantDimension: 'TenantId',
    });
  });
});
