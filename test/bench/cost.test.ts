/**
 * The benchmark's cost model. Expected figures are worked out by hand from the list prices and the usage (shown in
 * each case), not read back from the code.
 */
import {
  TICKS_PER_MONTH,
  customMetricsPerHour,
  lambdaBilledSeconds,
  lambdaMemoryFor,
  monthlyCost,
  storedBytes,
  tenantsWithinQuotas,
  tieredCost,
} from '../../bench/cost';
import type { StandingUsage, TickUsage } from '../../bench/cost';
import { PRICES } from '../../bench/prices';

const idle: TickUsage = {
  tenants: 1_000,
  metricsRequested: 0,
  listMetricsCalls: 0,
  dynamoWriteUnits: 0,
  dynamoReadUnits: 0,
  lambdaSeconds: 0,
  lambdaMemoryMb: 1024,
  emfBytes: 0,
};
const nothingStanding: StandingUsage = { customMetricsPerHour: 0, dynamoStoredBytes: 0 };

describe('monthlyCost', () => {
  it('counts a month as 30 days of one tick a minute', () => {
    // Assess
    expect(TICKS_PER_MONTH).toBe(43_200);
  });

  it.each([
    // 1,000 tenants x (2 fine metrics every tick + 2 hourly metrics once an hour) = 2,033.33 a tick;
    // x 43,200 ticks = 87,840,000 metrics x $0.01 / 1,000 = $878.40, i.e. $0.8784 per tenant.
    ['Burnwatch: 2 metrics a tick plus 2 an hour', 1_000 * (2 + 2 / 60), 878.4, 0.8784],
    // 12 metrics per tenant per tick: 12,000 x 43,200 x $0.00001 = $5,184, i.e. $5.184 per tenant.
    ['the naive baseline: 12 metrics a tick', 12_000, 5_184, 5.184],
  ])('prices GetMetricData per metric requested: %s', (_, metricsRequested, total, perTenant) => {
    // Act
    const cost = monthlyCost({ ...idle, metricsRequested }, nothingStanding, PRICES);

    // Assess
    expect(cost.breakdown.getMetricData).toBeCloseTo(total, 6);
    // Plus the only other item left: the Lambda's 43,200 requests ($0.00864) shared by the 1,000 tenants.
    expect(cost.perTenantUsd).toBeCloseTo(perTenant + 43_200 * 0.0000002 / 1_000, 6);
  });

  it('prices DynamoDB writes per write unit: a heartbeat of 2 items an hour per tenant', () => {
    // Prepare: 1,000 tenants x 2 units / 60 ticks = 33.33 units a tick; x 43,200 = 1,440,000 units x $0.625 / 1M = $0.90
    const usage = { ...idle, dynamoWriteUnits: (1_000 * 2) / 60 };

    // Act
    const cost = monthlyCost(usage, nothingStanding, PRICES);

    // Assess
    expect(cost.breakdown.dynamoWrites).toBeCloseTo(0.9, 6);
  });

  it('prices strongly consistent reads per read unit: every tenant read every tick', () => {
    // Prepare: 1,000 units a tick x 43,200 = 43,200,000 units x $0.125 / 1M = $5.40
    const cost = monthlyCost({ ...idle, dynamoReadUnits: 1_000 }, nothingStanding, PRICES);

    // Assess
    expect(cost.breakdown.dynamoReads).toBeCloseTo(5.4, 6);
  });

  it('prices Lambda by GB-second on arm64 and by request', () => {
    // Prepare: 2 s at 1 GB a tick = 86,400 GB-s x $0.0000133334 = $1.15201; 43,200 requests x $0.20 / 1M = $0.00864
    const cost = monthlyCost({ ...idle, lambdaSeconds: 2 }, nothingStanding, PRICES);

    // Assess
    expect(cost.breakdown.lambdaDuration).toBeCloseTo(1.15201, 4);
    expect(cost.breakdown.lambdaRequests).toBeCloseTo(0.00864, 8);
  });

  it('prorates custom metrics by the hour over a 730-hour billing month', () => {
    // Prepare: 730 metrics published every hour of a 720-hour month = 720 metric-months x $0.30 = $216
    const cost = monthlyCost(idle, { customMetricsPerHour: 730, dynamoStoredBytes: 0 }, PRICES);

    // Assess
    expect(cost.breakdown.customMetrics).toBeCloseTo(216, 6);
  });

  it('prices EMF log lines as CloudWatch Logs ingestion', () => {
    // Prepare: 1 GiB / 43,200 bytes a tick makes exactly 1 GiB a month: $0.50
    const cost = monthlyCost({ ...idle, emfBytes: 1024 ** 3 / 43_200 }, nothingStanding, PRICES);

    // Assess
    expect(cost.breakdown.emfLogs).toBeCloseTo(0.5, 6);
  });

  it('prices table storage per GB-month', () => {
    // Prepare: 4 GiB x $0.25 = $1.00
    const cost = monthlyCost(idle, { customMetricsPerHour: 0, dynamoStoredBytes: 4 * 1024 ** 3 }, PRICES);

    // Assess
    expect(cost.breakdown.dynamoStorage).toBeCloseTo(1, 6);
  });

  it('refuses a deployment of no tenants, naming the field', () => {
    // Act
    const attempt = (): unknown => monthlyCost({ ...idle, tenants: 0 }, nothingStanding, PRICES);

    // Assess
    expect(attempt).toThrow('tenants must be greater than 0; got 0');
  });
});

describe('tieredCost', () => {
  it.each([
    ['within the first tier', 5_000, 5_000 * 0.3],
    ['across the first two tiers', 15_000, 10_000 * 0.3 + 5_000 * 0.1],
    ['into the last tier', 1_200_000, 10_000 * 0.3 + 240_000 * 0.1 + 750_000 * 0.05 + 200_000 * 0.02],
    ['of nothing', 0, 0],
  ])('bills each tier at its own rate: %s', (_, units, expected) => {
    // Act
    const cost = tieredCost(units, PRICES.cloudwatch.customMetricMonthTiers);

    // Assess
    expect(cost).toBeCloseTo(expected, 6);
  });
});

describe('lambdaMemoryFor', () => {
  it.each([
    ['keeps the configured 1,024 MB when the peak fits with 10 % headroom', 900, 1024],
    ['moves up to 2,048 MB when 1,024 MB would leave less than 10 % headroom', 950, 2048],
    ['picks 4,096 MB for a 3,000 MB peak (3,333 MB with headroom)', 3000, 4096],
    ['stops at the 10,240 MB maximum', 20_000, 10240],
  ])('%s', (_, peakRssMb, expected) => {
    // Act
    const memory = lambdaMemoryFor(peakRssMb, 1024);

    // Assess
    expect(memory).toBe(expected);
  });
});

describe('lambdaBilledSeconds', () => {
  it.each([
    ['bills the wall time when CPU fits in the CPU share', 3_000, 1_000, 1024, 3],
    // 1,024 MB has 1,024 / 1,769 of a vCPU: 1,000 ms of CPU takes 1,727.5 ms there.
    ['stretches CPU time to the CPU share of 1,024 MB when that is longer', 1_200, 1_000, 1024, 1.7275],
    ['never stretches beyond one vCPU', 500, 1_000, 4096, 1],
  ])('%s', (_, wallMs, cpuMs, memoryMb, expected) => {
    // Act
    const seconds = lambdaBilledSeconds(wallMs, cpuMs, memoryMb);

    // Assess
    expect(seconds).toBeCloseTo(expected, 3);
  });
});

describe('storedBytes', () => {
  it('keeps one state item per tenant and every history item until its TTL', () => {
    // Prepare: 1,000 x 500 B = 500,000 B; 1,000 / 60 history items a tick x 1,440 ticks a day x 35 days x 500 B = 420,000,000 B
    const bytes = storedBytes(1_000, 500, 1_000 / 60, 500, 35);

    // Assess
    expect(bytes).toBeCloseTo(420_500_000, 0);
  });
});

describe('tenantsWithinQuotas', () => {
  it('takes the smallest of the TPS, per-call datapoint and DPS limits', () => {
    // Prepare: 50 TPS x 60 s = 3,000 calls a tick.
    //   queries:    3,000 x 500 / 4 queries per tenant              = 375,000 tenants
    //   datapoints: 3,000 x 100,800 / 780 datapoints per tenant     = 387,692 tenants
    //   DPS:        396,000 x 60 / 780                              =  30,461 tenants
    const limits = tenantsWithinQuotas({
      getMetricDataTps: 50,
      getMetricDataDps: 396_000,
      queriesPerCall: 500,
      datapointsPerCall: 100_800,
      queriesPerTenantPerTick: 4,
      datapointsPerTenantPerTick: 780,
      tickSeconds: 60,
    });

    // Assess
    expect(limits).toEqual({ byTpsAndQueries: 375_000, byTpsAndDatapointsPerCall: 387_692, byDps: 30_461, limit: 30_461 });
  });
});

describe('customMetricsPerHour', () => {
  const tick = (minute: number, tenants: readonly string[]): { minute: number; metrics: string[] } => ({
    minute,
    metrics: ['summary', ...tenants.map((t) => `burn:${t}`)],
  });

  it.each([
    ['one tick', [tick(0, ['a', 'b'])], 3],
    ['two ticks sharing a tenant: summary + a + b + c', [tick(0, ['a', 'b']), tick(1, ['b', 'c'])], 4],
    ['no tick', [], 0],
  ])('counts each distinct metric once: %s', (_, ticks, expected) => {
    // Act
    const count = customMetricsPerHour(ticks);

    // Assess
    expect(count).toBe(expected);
  });
});
