/**
 * Time-slice budgeting: a slice is judged good or bad (a statistic against its threshold, or a good ratio against
 * its target) and becomes a bucket of its length in minutes, bad or not; a slice without data counts neither way.
 */
import { DomainInputError } from '../../lambda/domain/burn';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { CountSeries, ThresholdOperator, ThresholdSli } from '../../lambda/domain/model';
import { meetsTarget, meetsThreshold, ratioSlices, ratioSliceTarget, sliceBucket, thresholdSlices } from '../../lambda/domain/time-slices';
import { apiSlo } from '../support/slo-fixture';

const T0 = Date.UTC(2026, 2, 2, 10);
const at = (minute: number): number => T0 + minute * MINUTE_MS;

function p99Sli(op: ThresholdOperator, threshold: number): ThresholdSli {
  return {
    kind: 'threshold',
    namespace: 'Shop/Api',
    tenantDimension: 'TenantId',
    dimensions: { Service: 'api' },
    metric: { id: 'latency', metricName: 'Latency', stat: 'p99' },
    op,
    threshold,
  };
}

describe('meetsThreshold', () => {
  it.each([
    { value: 299, op: 'lte', threshold: 300, good: true },
    { value: 300, op: 'lte', threshold: 300, good: true },
    { value: 301, op: 'lte', threshold: 300, good: false },
    { value: 299, op: 'lt', threshold: 300, good: true },
    { value: 300, op: 'lt', threshold: 300, good: false },
    { value: 0.99, op: 'gte', threshold: 0.99, good: true },
    { value: 0.98, op: 'gte', threshold: 0.99, good: false },
    { value: 0.99, op: 'gt', threshold: 0.99, good: false },
    { value: 1, op: 'gt', threshold: 0.99, good: true },
  ] as const)('a slice of $value is good for "$op $threshold": $good', ({ value, op, threshold, good }) => {
    // Act
    const judged = meetsThreshold(value, op, threshold);

    // Assess
    expect(judged).toBe(good);
  });
});

describe('meetsTarget', () => {
  it.each([
    { name: '999 good of 1,000 reaches 0.999 exactly', total: 1000, bad: 1, target: 0.999, good: true },
    { name: '998 good of 1,000 misses 0.999', total: 1000, bad: 2, target: 0.999, good: false },
    { name: 'all good reaches a target of 1', total: 7, bad: 0, target: 1, good: true },
    { name: 'one bad event misses a target of 1', total: 7, bad: 1, target: 1, good: false },
    { name: 'a slice without events counts neither way', total: 0, bad: 0, target: 0.99, good: null },
  ])('$name', ({ total, bad, target, good }) => {
    // Act
    const judged = meetsTarget({ total, bad }, target);

    // Assess
    expect(judged).toBe(good);
  });
});

describe('thresholdSlices', () => {
  it('turns a p99 per minute into 1-minute slices, bad where p99 is above 300 ms', () => {
    // Prepare
    const points = [
      { start: at(0), value: 120 },
      { start: at(1), value: 300 },
      { start: at(2), value: 301 },
      { start: at(4), value: 950 },
    ];

    // Act
    const series = thresholdSlices(p99Sli('lte', 300), 60, points);

    // Assess: minute 3 had no data, so it is no slice at all
    expect(series).toEqual({
      periodSeconds: 60,
      buckets: [
        { start: at(0), total: 1, bad: 0 },
        { start: at(1), total: 1, bad: 0 },
        { start: at(2), total: 1, bad: 1 },
        { start: at(4), total: 1, bad: 1 },
      ],
    });
  });

  it('counts a 5-minute statistic as a 5-minute slice', () => {
    // Act
    const series = thresholdSlices(p99Sli('lte', 300), 300, [
      { start: at(0), value: 200 },
      { start: at(5), value: 400 },
    ]);

    // Assess
    expect(series.buckets).toEqual([sliceBucket(at(0), 5, true), sliceBucket(at(5), 5, false)]);
    expect(series.buckets[1]).toEqual({ start: at(5), total: 5, bad: 5 });
  });

  it.each([
    { name: 'a NaN statistic', periodSeconds: 60, value: Number.NaN, message: /points\[0\]\.value must be a finite number; got NaN/ },
    { name: 'a period that is not whole minutes', periodSeconds: 30, value: 1, message: /periodSeconds must be a positive multiple of 60 .*; got 30/ },
  ])('refuses $name, naming the field', ({ periodSeconds, value, message }) => {
    // Act
    const act = (): CountSeries => thresholdSlices(p99Sli('lte', 300), periodSeconds, [{ start: at(0), value }]);

    // Assess
    expect(act).toThrow(DomainInputError);
    expect(act).toThrow(message);
  });
});

describe('ratioSlices', () => {
  it('judges each minute by its good ratio against the target and leaves out minutes without events', () => {
    // Prepare: target 0.99
    const counts: CountSeries = {
      periodSeconds: 60,
      buckets: [
        { start: at(0), total: 100, bad: 1 }, // 0.99: good
        { start: at(1), total: 100, bad: 2 }, // 0.98: bad
        { start: at(2), total: 0, bad: 0 }, // no events: neither
        { start: at(3), total: 3, bad: 0 }, // 1: good
      ],
    };

    // Act
    const slices = ratioSlices(0.99, counts);

    // Assess
    expect(slices).toEqual({
      periodSeconds: 60,
      buckets: [
        { start: at(0), total: 1, bad: 0 },
        { start: at(1), total: 1, bad: 1 },
        { start: at(3), total: 1, bad: 0 },
      ],
    });
  });

  it.each([0, 1.5, Number.NaN])('refuses a target of %s', (target) => {
    // Act
    const act = (): CountSeries => ratioSlices(target, { periodSeconds: 60, buckets: [] });

    // Assess
    expect(act).toThrow(/timeSliceTarget must be a number in \(0, 1\]/);
  });
});

describe('ratioSliceTarget', () => {
  it.each([
    { name: 'an event-counted ratio SLO has none', slo: apiSlo(), target: null },
    { name: 'a time-slice ratio SLO has its target', slo: apiSlo({ timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.95 } }), target: 0.95 },
  ])('$name', ({ slo, target }) => {
    // Act
    const found = ratioSliceTarget(slo);

    // Assess
    expect(found).toBe(target);
  });

  it('names the SLO and the field when a time-slice ratio SLO has no target', () => {
    // Prepare
    const slo = apiSlo({ timeSlices: { sliceMinutes: 1, timeSliceTarget: null } });

    // Act
    const act = (): number | null => ratioSliceTarget(slo);

    // Assess
    expect(act).toThrow(/slo "api-availability" timeSlices\.timeSliceTarget must be a number in \(0, 1\] for a ratio SLI budgeted by time slices; got null/);
  });
});
