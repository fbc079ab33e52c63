import { MINUTE_MS } from '../../lambda/domain/model';
import { SeriesShapeError, parseCountSeries } from '../../lambda/domain/series-parse';

const T0 = Date.UTC(2025, 2, 10, 12);
const at = (minute: number): number => T0 + minute * MINUTE_MS;

describe('parseCountSeries', () => {
  it('aligns bad and total by timestamp and sorts buckets ascending', () => {
    // Prepare: CloudWatch's default scan order is newest first, and the two series need not share an order.
    const total = { timestamps: [at(2), at(1), at(0)], values: [300, 200, 100] };
    const bad = { timestamps: [at(0), at(2), at(1)], values: [1, 3, 2] };

    // Act
    const parsed = parseCountSeries(60, bad, total);

    // Assess
    expect(parsed.series).toEqual({
      periodSeconds: 60,
      buckets: [
        { start: at(0), total: 100, bad: 1 },
        { start: at(1), total: 200, bad: 2 },
        { start: at(2), total: 300, bad: 3 },
      ],
    });
    expect(parsed.rejected).toEqual([]);
    expect(parsed.clamped).toEqual([]);
  });

  it('counts bad as 0 where total has a datapoint and bad has none', () => {
    // Prepare
    const total = { timestamps: [at(0), at(1)], values: [100, 200] };
    const bad = { timestamps: [at(1)], values: [5] };

    // Act
    const parsed = parseCountSeries(60, bad, total);

    // Assess
    expect(parsed.series.buckets).toEqual([
      { start: at(0), total: 100, bad: 0 },
      { start: at(1), total: 200, bad: 5 },
    ]);
  });

  it('returns an empty series when neither series has data (no traffic is not an outage)', () => {
    // Act
    const parsed = parseCountSeries(3600, undefined, { timestamps: [], values: [] });

    // Assess
    expect(parsed).toEqual({ series: { periodSeconds: 3600, buckets: [] }, rejected: [], clamped: [] });
  });

  it.each([
    { case: 'a NaN total', badValue: 1, totalValue: Number.NaN, reason: 'total is NaN' },
    { case: 'an infinite total', badValue: 1, totalValue: Number.POSITIVE_INFINITY, reason: 'total is Infinity' },
    { case: 'a negative total', badValue: 0, totalValue: -5, reason: 'total is -5' },
    { case: 'a NaN bad count', badValue: Number.NaN, totalValue: 100, reason: 'bad is NaN' },
    { case: 'a negative bad count', badValue: -1, totalValue: 100, reason: 'bad is -1' },
  ])('drops the bucket with $case and reports why', ({ badValue, totalValue, reason }) => {
    // Prepare: minute 0 is healthy, minute 1 carries the bad value.
    const total = { timestamps: [at(0), at(1)], values: [100, totalValue] };
    const bad = { timestamps: [at(0), at(1)], values: [2, badValue] };

    // Act
    const parsed = parseCountSeries(60, bad, total);

    // Assess
    expect(parsed.series.buckets).toEqual([{ start: at(0), total: 100, bad: 2 }]);
    expect(parsed.rejected).toEqual([{ start: at(1), reason }]);
  });

  it('clamps bad to total when bad exceeds total, and reports it', () => {
    // Prepare
    const total = { timestamps: [at(0)], values: [10] };
    const bad = { timestamps: [at(0)], values: [12] };

    // Act
    const parsed = parseCountSeries(60, bad, total);

    // Assess
    expect(parsed.series.buckets).toEqual([{ start: at(0), total: 10, bad: 10 }]);
    expect(parsed.clamped).toEqual([{ start: at(0), reason: 'bad 12 > total 10' }]);
    expect(parsed.rejected).toEqual([]);
  });

  it.each([
    {
      case: 'bad without total',
      bad: { timestamps: [at(0)], values: [3] },
      total: { timestamps: [], values: [] },
      reason: 'bad without total',
    },
    {
      case: 'a timestamp twice in one series',
      bad: { timestamps: [], values: [] },
      total: { timestamps: [at(0), at(0)], values: [10, 11] },
      reason: 'duplicate timestamp in total',
    },
  ])('drops $case', ({ bad, total, reason }) => {
    // Act
    const parsed = parseCountSeries(60, bad, total);

    // Assess
    expect(parsed.series.buckets).toEqual([]);
    expect(parsed.rejected).toEqual([{ start: at(0), reason }]);
  });

  it('refuses series whose timestamps and values differ in length', () => {
    // Prepare
    const total = { timestamps: [at(0), at(1)], values: [10] };

    // Act
    const parse = (): unknown => parseCountSeries(60, undefined, total);

    // Assess
    expect(parse).toThrow(SeriesShapeError);
    expect(parse).toThrow('total: timestamps and values must have the same length; got 2 timestamps and 1 values');
  });
});
