/**
 * The `steady` tick plan and how a run's ticks become figures: the warm-up of the cold container (up to the first tick
 * that evaluates every tenant) and the amortised steady hour (minutes 60 to 119). The ticks here are synthetic, with
 * figures worked out from the evaluator's design: 2 fine metrics per tenant a tick, the 2 hourly metrics of
 * ceil(n / 60) tenants a tick, 12 fine datapoints per tenant a tick and 30 days of hours (720 x 2 series = 1,440
 * datapoints) per hourly refresh.
 */
import { emptyStoreCounts } from '../../bench/counting-state-store';
import type { StoreCounts } from '../../bench/counting-state-store';
import type { RunMeasurement, TickSample } from '../../bench/harness';
import { BenchSummaryError, renderTable, renderWarmup, summarise, warmupFigures, warmupTicks } from '../../bench/report';
import { LAST_BENCH_MINUTE, STEADY_HOUR_FROM, tickPlan } from '../../bench/scenario';
import type { TickPlanKind } from '../../bench/scenario';

const TENANTS = 600;
/** ceil(600 / 60) tenants' hourly series are refreshed on each tick of the steady hour. */
const REFRESHED_PER_TICK = 10;
const HOURLY_DATAPOINTS_PER_REFRESH = 30 * 24 * 2;
const FINE_DATAPOINTS_PER_TENANT = 12;

function sample(minute: number, weight: number, changes: Partial<Omit<TickSample, 'store'>> & { writes?: number } = {}): TickSample {
  const { writes = 0, ...rest } = changes;
  const store: StoreCounts = { ...emptyStoreCounts(), writeRequests: writes, tenantStateWrites: writes, readRequests: 1, keysRead: writes };
  return {
    minute,
    weight,
    wallMs: 1_000,
    cpuMs: 500,
    serviceCpuMs: 100,
    getMetricDataCalls: 10,
    metricsRequested: 2 * TENANTS,
    datapoints: FINE_DATAPOINTS_PER_TENANT * TENANTS,
    throttled: 0,
    listMetricsCalls: 0,
    store,
    tenantsEvaluated: TENANTS,
    tenantsWarming: 0,
    tenantsFailed: 0,
    emfBytes: 0,
    customMetrics: [],
    retainedHeapMb: 50,
    ...rest,
  };
}

/** A steady tick: the fine tier's newest minutes for every tenant plus the hourly refresh of ten of them. */
function steadyTick(minute: number, weight: number, changes: Partial<Omit<TickSample, 'store'>> & { writes?: number } = {}): TickSample {
  return sample(minute, weight, {
    metricsRequested: 2 * TENANTS + 2 * REFRESHED_PER_TICK,
    datapoints: FINE_DATAPOINTS_PER_TENANT * TENANTS + REFRESHED_PER_TICK * HOURLY_DATAPOINTS_PER_REFRESH,
    getMetricDataCalls: 12,
    writes: 10,
    wallMs: 2_000,
    cpuMs: 600,
    ...changes,
  });
}

/**
 * Two hours from a cold container with a warm-up budget of 150 tenants a tick: minutes 0 to 3 fill the caches
 * (150, 300, 450, then all 600 evaluated), slow and heavy; the rest of the first hour reads no hourly series (each
 * is fresh for a cycle after its cold read); the second hour is the steady state, with one slower tick at minute 90.
 */
function twoHoursFromCold(): TickSample[] {
  const warmupEvaluated = [150, 300, 450, 600];
  return tickPlan('steady', 'burnwatch').map(({ minute, weight }) => {
    if (minute < warmupEvaluated.length) {
      const evaluated = warmupEvaluated[minute] ?? 0;
      return sample(minute, weight, {
        wallMs: 40_000 - minute * 1_000,
        cpuMs: 20_000 + minute * 100,
        getMetricDataCalls: 60,
        datapoints: 150 * 2_278,
        tenantsEvaluated: evaluated,
        tenantsWarming: TENANTS - evaluated,
        writes: 30,
      });
    }
    if (minute < STEADY_HOUR_FROM) return sample(minute, weight, { writes: 25, wallMs: 3_000, cpuMs: 900 });
    return minute === 90 ? steadyTick(minute, weight, { wallMs: 8_000, cpuMs: 1_200 }) : steadyTick(minute, weight);
  });
}

function measurement(plan: TickPlanKind, samples: readonly TickSample[]): RunMeasurement {
  return {
    options: { mode: 'burnwatch', tenants: TENANTS, latency: { minMs: 0, maxMs: 0 }, maxTps: 50, maxDps: null, plan, store: 'memory', profiles: 4, seed: 1 },
    samples,
    peakRssMb: 300,
    baselineRssMb: 200,
    baselineHeapMb: 40,
    loadSeconds: 1,
    stateItemBytes: 470,
    historyItemBytes: 500,
    lambdaMemoryMb: 1024,
    lambdaTimeoutSeconds: 60,
    historyTtlDays: 35,
    maxConcurrentRequests: 5,
    warnings: 0,
    firstProblems: [],
  };
}

describe('tickPlan', () => {
  it.each([
    ['hour', 'burnwatch', 60, 0, 59, 60],
    ['sampled', 'burnwatch', 16, 0, 15, 60],
    ['sampled', 'naive', 2, 30, 31, 60],
    ['steady', 'burnwatch', 120, 0, 119, 60],
    ['steady', 'naive', 120, 0, 119, 60],
  ] as const)('the %s plan of the %s mode runs %i ticks from minute %i to %i whose weights stand for %i minutes', (kind, mode, ticks, first, last, weight) => {
    // Act
    const plan = tickPlan(kind, mode);

    // Assess
    expect(plan).toHaveLength(ticks);
    expect(plan[0]?.minute).toBe(first);
    expect(plan[plan.length - 1]?.minute).toBe(last);
    expect(plan.reduce((sum, tick) => sum + tick.weight, 0)).toBe(weight);
  });

  it('runs the steady plan as consecutive ticks from the cold start at minute 0 to the last bench minute', () => {
    // Act
    const minutes = tickPlan('steady', 'burnwatch').map((tick) => tick.minute);

    // Assess
    expect(LAST_BENCH_MINUTE).toBe(119);
    expect(minutes).toEqual(Array.from({ length: 120 }, (_, minute) => minute));
  });

  it.each([
    [0, 0],
    [1, 0],
    [59, 0],
    [60, 1],
    [90, 1],
    [119, 1],
  ])('gives the steady plan\'s minute %i a weight of %i (only the second hour is amortised)', (minute, weight) => {
    // Act
    const planned = tickPlan('steady', 'burnwatch').find((tick) => tick.minute === minute);

    // Assess
    expect(planned?.weight).toBe(weight);
  });
});

describe('warmupTicks', () => {
  // [evaluated, warming, failed] per tick, 10,000 tenants. A budget of 6,000,000 datapoints at 2,278 a cold tenant
  // warms floor(6,000,000 / 2,278) = 2,633 tenants a tick: 2,633, 5,266, 7,899, then the last 2,101 and everyone.
  const BUDGETED: readonly (readonly [number, number, number])[] = [
    [2_633, 7_367, 0],
    [5_266, 4_734, 0],
    [7_899, 2_101, 0],
    [10_000, 0, 0],
    [10_000, 0, 0],
  ];
  it.each([
    ['the whole history read on the first tick', [[10_000, 0, 0], [10_000, 0, 0]], 1, true],
    ['a warm-up budget that fills the caches over four ticks', BUDGETED, 4, true],
    ['tenants that failed, which count with the evaluated', [[9_990, 0, 10], [10_000, 0, 0]], 1, true],
    ['a tick that left none warming but missed tenants, which does not end it', [[9_000, 0, 0], [10_000, 0, 0]], 2, true],
    ['a warm-up that never ends, which covers every tick', [[2_633, 7_367, 0], [5_266, 4_734, 0]], 2, false],
  ] as const)('with %s, the warm-up is %i tick(s) (completed: %s)', (_case, ticks, expected, completed) => {
    // Prepare
    const samples = ticks.map(([evaluated, warming, failed], minute) => sample(minute, 1, { tenantsEvaluated: evaluated, tenantsWarming: warming, tenantsFailed: failed }));

    // Act
    const warmup = warmupTicks(samples, 10_000);

    // Assess
    expect(warmup.ticks.map((tick) => tick.minute)).toEqual(Array.from({ length: expected }, (_, minute) => minute));
    expect(warmup.completed).toBe(completed);
  });

  it('reports the warm-up ticks\' slowest wall and CPU, datapoints and tenants evaluated per tick', () => {
    // Act
    const warmup = warmupFigures(twoHoursFromCold(), TENANTS);

    // Assess: minutes 0 to 3; the slowest wall is minute 0's 40 s, the slowest CPU minute 3's 20.3 s;
    // 4 ticks x 150 tenants x 2,278 datapoints = 1,366,800 datapoints, 2,278 per tenant.
    expect(warmup).toEqual({
      ticks: 4,
      completed: true,
      fromMinute: 0,
      toMinute: 3,
      maxTickWallMs: 40_000,
      maxTickCpuMs: 20_300,
      datapoints: 1_366_800,
      datapointsPerTenant: 2_278,
      getMetricDataCalls: 240,
      tenantsEvaluatedPerTick: [150, 300, 450, 600],
      tenantsWarmingPerTick: [450, 300, 150, 0],
    });
  });
});

describe('summarise', () => {
  it('takes the steady plan\'s headline figures from minutes 60 to 119 only, each tick weighted alike', () => {
    // Act
    const figures = summarise(measurement('steady', twoHoursFromCold()));

    // Assess: the second hour is 59 ticks of 2,000 ms / 600 ms CPU and minute 90's 8,000 / 1,200:
    // wall (59 x 2,000 + 8,000) / 60 = 2,100 ms, CPU (59 x 600 + 1,200) / 60 = 610 ms.
    expect(figures).toMatchObject({
      tenants: TENANTS,
      ticksSimulated: 120,
      ticksAmortised: 60,
      amortisedFromMinute: 60,
      amortisedToMinute: 119,
      wallMsPerTick: 2_100,
      maxTickWallMs: 8_000,
      cpuMsPerTick: 610,
      maxTickCpuMs: 1_200,
      getMetricDataCallsPerTick: 12,
      dynamoWritesPerTick: 10,
      tenantsFailedPerTick: 0,
    });
    // 2 fine metrics a tenant and 2 hourly metrics for a sixtieth of the tenants: 2 + 2 / 60 = 2.033.
    expect(figures.metricsRequestedPerTenantPerTick).toBeCloseTo(2 + 2 / 60, 3);
    // 12 fine datapoints and a sixtieth of a 1,440-datapoint refresh: 12 + 1,440 / 60 = 36.
    expect(figures.datapointsPerTenantPerTick).toBeCloseTo(36, 1);
    // 2.0333 metrics x 43,200 ticks x $0.01 per 1,000 metrics = $0.8784 per tenant-month.
    expect(figures.cost.breakdown.getMetricData / TENANTS).toBeCloseTo(0.8784, 4);
    expect(figures.warmup).toMatchObject({ ticks: 4, completed: true, maxTickWallMs: 40_000 });
  });

  it('gives the steady plan the figures of its second hour alone, as if the first hour had not been measured', () => {
    // Prepare: the same second hour, measured as an hour plan of its own (minutes renumbered 0 to 59).
    const steadyRun = measurement('steady', twoHoursFromCold());
    const secondHour = twoHoursFromCold()
      .filter((tick) => tick.minute >= STEADY_HOUR_FROM)
      .map((tick) => ({ ...tick, minute: tick.minute - STEADY_HOUR_FROM }));

    // Act
    const steady = summarise(steadyRun);
    const alone = summarise(measurement('hour', secondHour));

    // Assess
    for (const field of ['wallMsPerTick', 'cpuMsPerTick', 'getMetricDataCallsPerTick', 'metricsRequestedPerTenantPerTick', 'dynamoWritesPerTick', 'costPerTenantMonthUsd'] as const) {
      expect(steady[field]).toBe(alone[field]);
    }
  });

  it.each([
    // Minute 0 at 6,000 ms, every other tick 1,000 ms: (6,000 + 59 x 1,000) / 60 = 1,083.
    ['hour', tickPlan('hour', 'burnwatch'), 1_083],
    // Minute 0 (weight 1) 6,000, minutes 1 to 14 (weight 4) 1,000, minute 15 (weight 3) 1,000: (6,000 + 59 x 1,000) / 60 = 1,083.
    ['sampled', tickPlan('sampled', 'burnwatch'), 1_083],
  ] as const)('keeps the %s plan\'s figures the weighted mean over every tick, the cold minute 0 included', (kind, plan, wallMsPerTick) => {
    // Prepare
    const samples = plan.map(({ minute, weight }) => sample(minute, weight, { wallMs: minute === 0 ? 6_000 : 1_000, writes: 10 }));

    // Act
    const figures = summarise(measurement(kind, samples));

    // Assess
    expect(figures.wallMsPerTick).toBe(wallMsPerTick);
    expect(figures.maxTickWallMs).toBe(6_000);
    expect(figures.ticksAmortised).toBe(plan.length);
    expect(figures.warmup).toMatchObject({ ticks: 1, completed: true, fromMinute: 0, toMinute: 0 });
  });

  it('refuses a run with no tick to amortise, naming the run', () => {
    // Prepare: a steady run stopped within its first hour.
    const firstHour = twoHoursFromCold().filter((tick) => tick.minute < STEADY_HOUR_FROM);

    // Act / Assess
    expect(() => summarise(measurement('steady', firstHour))).toThrow(BenchSummaryError);
    expect(() => summarise(measurement('steady', firstHour))).toThrow('burnwatch at 600 tenants (steady plan): no tick with a weight above 0 among the 60 run');
  });
});

describe('the printed report', () => {
  it('shows the amortised minutes and a warm-up row in the table, and a warm-up line with the tenants evaluated per tick', () => {
    // Prepare
    const figures = summarise(measurement('steady', twoHoursFromCold()));

    // Act
    const table = renderTable([{ title: '600 Burnwatch', figures }]);
    const line = renderWarmup('600 Burnwatch', figures);

    // Assess
    expect(table).toMatch(/ticks simulated \(plan\)\s+120 \(steady\)/);
    expect(table).toMatch(/ticks in the figures \(minutes\)\s+60 \(60-119\)/);
    expect(table).toMatch(/warm-up ticks \(slowest wall\/CPU s\)\s+4 \(40\.0\/20\.3\)/);
    expect(table).toMatch(/wall ms per tick \(mean\)\s+2,100/);
    expect(line).toBe(
      'Warm-up of 600 Burnwatch: 4 ticks (minutes 0-3); slowest tick 40.0 s wall, 20.3 s CPU; 1,366,800 datapoints (2,278.0 per tenant) in 240 calls; ' +
        'tenants evaluated per tick 150 / 300 / 450 / 600, warming 450 / 300 / 150 / 0',
    );
  });

  it('says when the warm-up did not complete in the ticks run', () => {
    // Prepare: every tick leaves tenants warming.
    const samples = tickPlan('steady', 'burnwatch').map(({ minute, weight }) => sample(minute, weight, { tenantsEvaluated: 500, tenantsWarming: 100, writes: 10 }));

    // Act
    const figures = summarise(measurement('steady', samples));

    // Assess
    expect(figures.warmup).toMatchObject({ ticks: 120, completed: false });
    expect(renderTable([{ title: '600 Burnwatch', figures }])).toMatch(/warm-up ticks \(slowest wall\/CPU s\)\s+120\+/);
    expect(renderWarmup('600 Burnwatch', figures)).toContain('NOT completed in the 120 ticks run (minutes 0-119)');
  });
});
