/**
 * Raw GetMetricData series of time-slice SLOs: a threshold SLI's statistic per slice (sorted, NaN and repeated
 * timestamps dropped and reported) and the SLO-level parse that turns a tenant's raw series into slice buckets.
 */
import { MINUTE_MS } from '../../lambda/domain/model';
import type { SloDefinition } from '../../lambda/domain/model';
import { SeriesShapeError, parseSliSeries, parseStatisticSeries } from '../../lambda/domain/series-parse';
import { apiSlo } from '../support/slo-fixture';

const T0 = Date.UTC(2026, 2, 2, 12);
const at = (minute: number): number => T0 + minute * MINUTE_MS;

const P99_SLO: SloDefinition = {
  ...apiSlo(),
  sli: {
    kind: 'threshold',
    namespace: 'Shop/Api',
    tenantDimension: 'TenantId',
    dimensions: {},
    metric: { id: 'latency', metricName: 'Latency', stat: 'p99' },
    op: 'lte',
    threshold: 300,
  },
  timeSlices: { sliceMinutes: 1, timeSliceTarget: null },
};

describe('parseStatisticSeries', () => {
  it('sorts the points ascending, whatever order CloudWatch gave', () => {
    // Act
    const parsed = parseStatisticSeries({ timestamps: [at(2), at(0), at(1)], values: [250, 90, 410] });

    // Assess
    expect(parsed.points).toEqual([
      { start: at(0), value: 90 },
      { start: at(1), value: 410 },
      { start: at(2), value: 250 },
    ]);
    expect(parsed.rejected).toEqual([]);
  });

  it.each([
    { name: 'a NaN value', timestamps: [at(0), at(1)], values: [Number.NaN, 100], rejected: [{ start: at(0), reason: 'value is NaN' }] },
    { name: 'an infinite value', timestamps: [at(0), at(1)], values: [100, Infinity], rejected: [{ start: at(1), reason: 'value is Infinity' }] },
    { name: 'a timestamp given twice', timestamps: [at(0), at(0), at(1)], values: [100, 120, 100], rejected: [{ start: at(0), reason: 'duplicate timestamp in value' }] },
  ])('drops and reports $name, keeping the other points', ({ timestamps, values, rejected }) => {
    // Act
    const parsed = parseStatisticSeries({ timestamps, values });

    // Assess
    expect(parsed.rejected).toEqual(rejected);
    expect(parsed.points).toHaveLength(1);
  });

  it('reads a missing series as no points (a tenant without data in the range)', () => {
    // Act
    const parsed = parseStatisticSeries(undefined);

    // Assess
    expect(parsed).toEqual({ points: [], rejected: [] });
  });

  it('refuses timestamps and values of different lengths', () => {
    // Act
    const act = () => parseStatisticSeries({ timestamps: [at(0), at(1)], values: [1] });

    // Assess
    expect(act).toThrow(SeriesShapeError);
    expect(act).toThrow(/value: timestamps and values must have the same length; got 2 timestamps and 1 values/);
  });
});

describe('parseSliSeries', () => {
  it('turns a threshold SLI\'s p99 into slices, reporting the point it dropped', () => {
    // Act
    const parsed = parseSliSeries(P99_SLO, 60, { value: { timestamps: [at(0), at(1), at(2)], values: [120, Number.NaN, 301] } });

    // Assess
    expect(parsed.series.buckets).toEqual([
      { start: at(0), total: 1, bad: 0 },
      { start: at(2), total: 1, bad: 1 },
    ]);
    expect(parsed.rejected).toEqual([{ start: at(1), reason: 'value is NaN' }]);
  });

  it('judges a ratio SLI\'s minutes against timeSliceTarget after the usual count checks', () => {
    // Prepare: target 0.99; minute 1's bad exceeds total and is clamped to all bad
    const slo = apiSlo({ timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.99 } });
    const total = { timestamps: [at(0), at(1), at(2)], values: [100, 10, 100] };
    const bad = { timestamps: [at(0), at(1), at(2)], values: [1, 12, 2] };

    // Act
    const parsed = parseSliSeries(slo, 60, { bad, total });

    // Assess
    expect(parsed.series.buckets).toEqual([
      { start: at(0), total: 1, bad: 0 },
      { start: at(1), total: 1, bad: 1 },
      { start: at(2), total: 1, bad: 1 },
    ]);
    expect(parsed.clamped).toEqual([{ start: at(1), reason: 'bad 12 > total 10' }]);
  });

  it('keeps event counts for an SLO without time slices', () => {
    // Act
    const parsed = parseSliSeries(apiSlo(), 60, { bad: { timestamps: [at(0)], values: [3] }, total: { timestamps: [at(0)], values: [1000] } });

    // Assess
    expect(parsed.series.buckets).toEqual([{ start: at(0), total: 1000, bad: 3 }]);
  });
});
