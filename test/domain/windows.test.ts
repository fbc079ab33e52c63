import { DomainInputError } from '../../lambda/domain/burn';
import type { CountBucket, CountSeries } from '../../lambda/domain/model';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import { ringSlot, sumSeries, sumWindow, sumWindows, toPrefixSeries } from '../../lambda/domain/windows';
import type { RingSeries, TieredCounts } from '../../lambda/domain/windows';

const H = Date.UTC(2025, 0, 15, 12); // hour-aligned: where the fine tier takes over

function series(periodSeconds: number, buckets: CountBucket[]): CountSeries {
  return { periodSeconds, buckets };
}

describe('sumSeries', () => {
  // Prepare: four minute buckets with totals 1, 2, 4, 8 and bad 0, 1, 2, 3.
  const minutes = series(60, [
    { start: H, total: 1, bad: 0 },
    { start: H + MINUTE_MS, total: 2, bad: 1 },
    { start: H + 2 * MINUTE_MS, total: 4, bad: 2 },
    { start: H + 3 * MINUTE_MS, total: 8, bad: 3 },
  ]);

  it.each([
    { range: 'all four buckets', from: H, to: H + 4 * MINUTE_MS, expected: { total: 15, bad: 6 } },
    { range: 'the middle two buckets', from: H + MINUTE_MS, to: H + 3 * MINUTE_MS, expected: { total: 6, bad: 3 } },
    { range: 'a start inside a bucket (bucket left out)', from: H + 30_000, to: H + 2 * MINUTE_MS, expected: { total: 2, bad: 1 } },
    { range: 'an end at a bucket start (end exclusive)', from: H, to: H + MINUTE_MS, expected: { total: 1, bad: 0 } },
    { range: 'a range before the data', from: H - HOUR_MS, to: H, expected: { total: 0, bad: 0 } },
    { range: 'an empty range', from: H + MINUTE_MS, to: H + MINUTE_MS, expected: { total: 0, bad: 0 } },
  ])('sums $range', ({ from, to, expected }) => {
    // Act
    const counts = sumSeries(minutes, from, to);
    // Assess
    expect(counts).toEqual(expected);
  });

  it('refuses buckets out of order and names the bucket', () => {
    // Prepare
    const unsorted = series(60, [
      { start: H + MINUTE_MS, total: 1, bad: 0 },
      { start: H, total: 1, bad: 0 },
    ]);
    // Act / Assess
    expect(() => sumSeries(unsorted, H, H + HOUR_MS)).toThrow(DomainInputError);
    expect(() => sumSeries(unsorted, H, H + HOUR_MS)).toThrow(/^buckets\[1\]\.start must be greater than the previous/);
  });
});

describe('sumWindow', () => {
  // Prepare: hourly buckets before H (100, 200, 400 events), one hourly bucket at H that the fine tier replaces,
  // ten minute buckets of 10 events (1 bad) from H, one minute bucket before H and one at the window end.
  const coarse = series(3600, [
    { start: H - 3 * HOUR_MS, total: 100, bad: 1 },
    { start: H - 2 * HOUR_MS, total: 200, bad: 2 },
    { start: H - HOUR_MS, total: 400, bad: 4 },
    { start: H, total: 9999, bad: 999 },
  ]);
  const fineBuckets: CountBucket[] = [{ start: H - MINUTE_MS, total: 5555, bad: 555 }];
  for (let minute = 0; minute < 10; minute += 1) fineBuckets.push({ start: H + minute * MINUTE_MS, total: 10, bad: 1 });
  fineBuckets.push({ start: H + 10 * MINUTE_MS, total: 7777, bad: 777 });
  const fine = series(60, fineBuckets);
  const end = H + 10 * MINUTE_MS;
  const tiered: TieredCounts = { fine, fineFrom: H, coarse };

  it.each([
    { windowMinutes: 5, expected: { total: 50, bad: 5 }, why: 'the last five minute buckets' },
    { windowMinutes: 10, expected: { total: 100, bad: 10 }, why: 'all fine buckets from fineFrom, none before it' },
    { windowMinutes: 70, expected: { total: 500, bad: 14 }, why: 'fine buckets plus the hour that starts at the window start' },
    { windowMinutes: 90, expected: { total: 500, bad: 14 }, why: 'without the hour straddling its start' },
    { windowMinutes: 190, expected: { total: 800, bad: 17 }, why: 'three whole hours plus the fine buckets' },
  ])('a $windowMinutes-minute window sums $why', ({ windowMinutes, expected }) => {
    // Act
    const counts = sumWindow(tiered, end, windowMinutes);
    // Assess
    expect(counts).toEqual(expected);
  });

  it('uses only the fine tier when there is no coarse series', () => {
    // Act
    const counts = sumWindow({ fine, fineFrom: H, coarse: null }, end, 190);
    // Assess
    expect(counts).toEqual({ total: 100, bad: 10 });
  });

  it('refuses a fineFrom that is not aligned to the coarse period', () => {
    // Prepare
    const misaligned: TieredCounts = { fine, fineFrom: H + MINUTE_MS, coarse };
    // Act / Assess
    expect(() => sumWindow(misaligned, end, 190)).toThrow(/^fineFrom must be aligned to the coarse period \(3600 s\); got/);
  });

  it('refuses a window of zero minutes', () => {
    // Act / Assess
    expect(() => sumWindow(tiered, end, 0)).toThrow(/^windowMinutes must be a finite number greater than 0; got 0$/);
  });

  it.each([60, 180, 360, 1440, 4320])(
    'a %p-minute window ending on the hour matches the plain minute-level sum of the same traffic',
    (windowMinutes) => {
      // Prepare: four days of minute data with a varying pattern; the coarse tier holds the same data per hour.
      const start = H - 4 * 24 * HOUR_MS;
      const fineFrom = H - 6 * HOUR_MS;
      const minuteBuckets: CountBucket[] = [];
      for (let at = start; at < H; at += MINUTE_MS) {
        const index = (at - start) / MINUTE_MS;
        minuteBuckets.push({ start: at, total: 50 + (index % 7), bad: index % 5 === 0 ? 3 : 0 });
      }
      const minuteSeries = series(60, minuteBuckets);
      const hourBuckets: CountBucket[] = [];
      for (let at = start; at < fineFrom; at += HOUR_MS) {
        hourBuckets.push({ start: at, ...sumSeries(minuteSeries, at, at + HOUR_MS) });
      }
      const tieredDays: TieredCounts = { fine: minuteSeries, fineFrom, coarse: series(3600, hourBuckets) };
      // Act
      const counts = sumWindow(tieredDays, H, windowMinutes);
      // Assess
      expect(counts).toEqual(sumSeries(minuteSeries, H - windowMinutes * MINUTE_MS, H));
    },
  );
});

describe('sumWindows', () => {
  // Prepare: six hours of minute buckets (total 60 + minute % 11, 2 bad every 7th minute) and hourly buckets before.
  const fineFrom = H;
  const end = H + 6 * HOUR_MS + 17 * MINUTE_MS;
  const fineBuckets: CountBucket[] = [];
  for (let at = fineFrom; at < end + HOUR_MS; at += MINUTE_MS) {
    const minute = (at - fineFrom) / MINUTE_MS;
    fineBuckets.push({ start: at, total: 60 + (minute % 11), bad: minute % 7 === 0 ? 2 : 0 });
  }
  const hourBuckets: CountBucket[] = [];
  for (let at = H - 80 * HOUR_MS; at < fineFrom; at += HOUR_MS) hourBuckets.push({ start: at, total: 3600, bad: (at / HOUR_MS) % 3 });
  const tiered: TieredCounts = { fine: series(60, fineBuckets), fineFrom, coarse: series(3600, hourBuckets) };
  const windows = [5, 30, 60, 360, 4320];

  it('gives every window the same counts as summing it on its own', () => {
    // Act
    const together = sumWindows(tiered, end, windows);
    // Assess
    expect(together).toEqual(windows.map((windowMinutes) => sumWindow(tiered, end, windowMinutes)));
  });

  it('gives a 5-minute window the five minute buckets before the end and none at or after it', () => {
    // Prepare: minutes 372..376 after fineFrom; 372 = 53 x 7 + 1 has no bad events, so only totals vary.
    const expectedTotal = [372, 373, 374, 375, 376].reduce((sum, minute) => sum + 60 + (minute % 11), 0);
    // Act
    const [fiveMinutes] = sumWindows(tiered, end, [5]);
    // Assess
    expect(fiveMinutes).toEqual({ total: expectedTotal, bad: 0 });
  });

  it.each([
    {
      windows: [60, 5],
      message: /^windowMinutes\[1\] must be a finite number greater than windowMinutes\[0\] \(60\): windows ascending; got 5$/,
    },
    { windows: [0, 5], message: /^windowMinutes\[0\] must be a finite number greater than 0; got 0$/ },
  ])('refuses windows $windows that are not ascending and positive', ({ windows: bad, message }) => {
    // Act / Assess
    expect(() => sumWindows(tiered, end, bad)).toThrow(message);
  });

  it('refuses minute buckets out of order and names the bucket', () => {
    // Prepare
    const unsorted: TieredCounts = {
      fine: series(60, [
        { start: H + 2 * MINUTE_MS, total: 1, bad: 0 },
        { start: H + MINUTE_MS, total: 1, bad: 0 },
        { start: H + 3 * MINUTE_MS, total: 1, bad: 0 },
      ]),
      fineFrom: H,
      coarse: null,
    };
    // Act / Assess
    expect(() => sumWindows(unsorted, H + 4 * MINUTE_MS, [5])).toThrow(
      /^fine\.buckets\[0\]\.start must be less than the next bucket's start/,
    );
  });
});

/** The same minute buckets in a ring of `capacity` slots starting at slot `offset` of arrays shared with other series. */
function ringOf(buckets: readonly CountBucket[], from: number, to: number, capacity: number, offset = 0): RingSeries {
  const total = new Float64Array(offset + capacity + 3).fill(-1e9);
  const bad = new Float64Array(offset + capacity + 3).fill(-1e9);
  for (let at = from; at < to; at += MINUTE_MS) {
    total[ringSlot(offset, capacity, MINUTE_MS, at)] = 0;
    bad[ringSlot(offset, capacity, MINUTE_MS, at)] = 0;
  }
  for (const bucket of buckets) {
    if (bucket.start < from || bucket.start >= to) continue;
    total[ringSlot(offset, capacity, MINUTE_MS, bucket.start)] = bucket.total;
    bad[ringSlot(offset, capacity, MINUTE_MS, bucket.start)] = bucket.bad;
  }
  return { layout: 'ring', periodSeconds: 60, from, to, offset, capacity, total, bad };
}

describe('compact layouts', () => {
  // Prepare: the sumWindow fixture again: hourly buckets of 100, 200, 400 events (1, 2, 4 bad) before H, ten minute
  // buckets of 10 events (1 bad) from H; the window ends at H + 10 minutes.
  const hourly: CountBucket[] = [
    { start: H - 3 * HOUR_MS, total: 100, bad: 1 },
    { start: H - 2 * HOUR_MS, total: 200, bad: 2 },
    { start: H - HOUR_MS, total: 400, bad: 4 },
  ];
  const minutes: CountBucket[] = [];
  for (let minute = 0; minute < 10; minute += 1) minutes.push({ start: H + minute * MINUTE_MS, total: 10, bad: 1 });
  const end = H + 10 * MINUTE_MS;
  const coarse = toPrefixSeries(series(3600, hourly), H - 5 * HOUR_MS, H + HOUR_MS);

  it.each([
    { windowMinutes: 5, expected: { total: 50, bad: 5 }, why: 'the last five minute slots' },
    { windowMinutes: 10, expected: { total: 100, bad: 10 }, why: 'all minute slots from fineFrom' },
    { windowMinutes: 70, expected: { total: 500, bad: 14 }, why: 'the minutes plus the hour that starts at the window start' },
    { windowMinutes: 90, expected: { total: 500, bad: 14 }, why: 'without the hour straddling its start' },
    { windowMinutes: 190, expected: { total: 800, bad: 17 }, why: 'three whole hours plus the minutes' },
  ])('a $windowMinutes-minute window over a ring and prefix sums sums $why', ({ windowMinutes, expected }) => {
    // Prepare: a 15-slot ring whose slots wrap (minute numbers since the epoch modulo 15), at offset 7 of shared arrays
    const ring = ringOf(minutes, H, end, 15, 7);
    // Act
    const counts = sumWindow({ fine: ring, fineFrom: H, coarse }, end, windowMinutes);
    // Assess
    expect(counts).toEqual(expected);
  });

  it('counts nothing for minutes after the ring ends or before it starts', () => {
    // Prepare: the ring holds minutes 2..7 only
    const ring = ringOf(minutes, H + 2 * MINUTE_MS, H + 8 * MINUTE_MS, 15);
    // Act
    const [five, ten] = sumWindows({ fine: ring, fineFrom: H, coarse: null }, end, [5, 10]);
    // Assess: minutes 5, 6, 7 of the last five; minutes 2..7 of the last ten
    expect(five).toEqual({ total: 30, bad: 3 });
    expect(ten).toEqual({ total: 60, bad: 6 });
  });

  it('refuses a ring that claims more minutes than it has slots', () => {
    // Prepare
    const ring = { ...ringOf(minutes, H, end, 15), from: end - 16 * MINUTE_MS };
    // Act / Assess
    expect(() => sumWindows({ fine: ring, fineFrom: H, coarse: null }, end, [5])).toThrow(/^fine\.to must be from .* to at most 15 periods after it/);
  });

  it.each([60, 180, 360, 1440, 4320])(
    'gives a %p-minute window exactly the counts of the bucket-object layout over the same traffic',
    (windowMinutes) => {
      // Prepare: four days of minutes with fractional counts (where a different order of additions would show)
      const start = H - 4 * 24 * HOUR_MS;
      const fineFrom = H - 6 * HOUR_MS;
      const stop = H + 17 * MINUTE_MS;
      const minuteBuckets: CountBucket[] = [];
      for (let at = start; at < stop; at += MINUTE_MS) {
        const index = (at - start) / MINUTE_MS;
        if (index % 13 === 0) continue; // minutes without traffic
        minuteBuckets.push({ start: at, total: 50.1 + (index % 7) * 0.37, bad: index % 5 === 0 ? 0.3 : 0 });
      }
      const minuteSeries = series(60, minuteBuckets);
      const hourBuckets: CountBucket[] = [];
      for (let at = start; at < fineFrom; at += HOUR_MS) hourBuckets.push({ start: at, ...sumSeries(minuteSeries, at, at + HOUR_MS) });
      const objects: TieredCounts = { fine: minuteSeries, fineFrom, coarse: series(3600, hourBuckets) };
      const compact: TieredCounts = {
        fine: ringOf(minuteBuckets, fineFrom, stop, 7 * 60),
        fineFrom,
        coarse: toPrefixSeries(series(3600, hourBuckets), start, fineFrom),
      };
      // Act
      const fromCompact = sumWindow(compact, stop, windowMinutes);
      // Assess
      expect(fromCompact).toEqual(sumWindow(objects, stop, windowMinutes));
    },
  );
});

describe('toPrefixSeries', () => {
  const hours = series(3600, [
    { start: H + HOUR_MS, total: 5, bad: 1 },
    { start: H + 3 * HOUR_MS, total: 7, bad: 2 },
  ]);

  it('holds running sums from the range start, absent hours counting 0', () => {
    // Act
    const prefix = toPrefixSeries(hours, H, H + 4 * HOUR_MS);
    // Assess: hours 0..3 are 0, 5, 0, 7 events
    expect([...prefix.total]).toEqual([0, 0, 5, 5, 12]);
    expect([...prefix.bad]).toEqual([0, 0, 1, 1, 3]);
    expect(sumSeries(prefix, H + HOUR_MS, H + 3 * HOUR_MS)).toEqual({ total: 5, bad: 1 });
  });

  it('writes a refresh of the same length into the previous arrays', () => {
    // Prepare
    const previous = toPrefixSeries(hours, H, H + 4 * HOUR_MS);
    const later = series(3600, [{ start: H + 2 * HOUR_MS, total: 3, bad: 0 }]);
    // Act
    const refreshed = toPrefixSeries(later, H + HOUR_MS, H + 5 * HOUR_MS, previous);
    // Assess
    expect(refreshed.total).toBe(previous.total);
    expect([...refreshed.total]).toEqual([0, 0, 3, 3, 3]);
    expect(refreshed.from).toBe(H + HOUR_MS);
  });

  it.each([
    { case: 'a bucket off the hour', bucket: { start: H + MINUTE_MS, total: 1, bad: 0 } },
    { case: 'a bucket after the range', bucket: { start: H + 4 * HOUR_MS, total: 1, bad: 0 } },
  ])('refuses $case, names it, and leaves the arrays it was given as they were', ({ bucket }) => {
    // Prepare
    const previous = toPrefixSeries(hours, H, H + 4 * HOUR_MS);
    const before = [...previous.total];
    // Act / Assess
    expect(() => toPrefixSeries(series(3600, [bucket]), H, H + 4 * HOUR_MS, previous)).toThrow(/^buckets\[0\]\.start must be after the previous/);
    expect([...previous.total]).toEqual(before);
  });
});
