import { newEvaluatorCache, evaluateTick } from '../../lambda/usecases/evaluate-tick';
import type { TenantAlertState } from '../../lambda/domain/model';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DISCOVERY_FAILED_ERROR, SHARDS_FAILED_ERROR } from '../../lib/constructs/evaluator-fanout';
import { buildFanoutWorld, FanoutOptionError, runFanout, shardedEvaluator } from '../../bench/fanout';
import type { FanoutOptions } from '../../bench/fanout';
import { tenantCapacity, DEFAULT_QUOTAS } from '../../bench/quotas';
import { BENCH_START, benchConfig } from '../../bench/scenario';

const BURNING = ['tenant-007', 'tenant-042', 'tenant-123', 'tenant-188'];

const SMALL: FanoutOptions = {
  tenants: 200,
  shards: 4,
  maxConcurrentShards: 2,
  latency: { minMs: 0, maxMs: 0 },
  maxTps: 10_000,
  maxDps: null,
  profiles: 4,
  seed: 1,
  minutes: [0],
  burningTenants: BURNING,
};

describe('the evaluator fanned out over tenant shards by the synthesized Express state machine', () => {
  it('evaluates every tenant exactly once across the shards and opens one incident for tenants burning in several shards', async () => {
    // Act
    const run = await runFanout(SMALL);

    // Assess
    const [tick] = run.ticks;
    expect(tick).toMatchObject({ succeeded: true, error: null, shardsFinished: 4, distinctTenantsEvaluated: 200, tenantsEvaluated: 200, tenantsEvaluatedMoreThanOnce: 0 });
    expect(tick!.shards.map((s) => s.index)).toEqual([0, 1, 2, 3]);
    expect(tick!.shards.reduce((sum, s) => sum + s.tenants, 0)).toBe(200);
    // The burning tenants fall in more than one shard, yet one incident is opened and one workflow started.
    expect(new Set(tick!.shards.filter((s) => s.incidentsOpened.length > 0).map((s) => s.index)).size).toBe(1);
    expect(tick!.incidentsOpened).toHaveLength(1);
    expect(tick!.workflowStarts).toEqual(tick!.incidentsOpened);
  });

  it('leaves every tenant in the alert state one invocation over all tenants leaves it in', async () => {
    // Prepare
    const world = await buildFanoutWorld(SMALL);
    await runFanout(SMALL, world);
    const fanned = (await world.store.getTenantStates(world.config.slo.name, world.tenants)).states;
    const single = await buildFanoutWorld(SMALL);
    const starts: string[] = [];
    const deps = {
      metrics: new CloudWatchMetricSource(single.cw.client()),
      store: single.store,
      workflow: { start: async (input: { incidentId: string }, name: string) => (starts.push(name), { executionArn: input.incidentId, alreadyStarted: false }) },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };

    // Act
    await evaluateTick(single.config.runtime, deps, newEvaluatorCache(), BENCH_START);
    const alone = (await single.store.getTenantStates(single.config.slo.name, single.tenants)).states;

    // Assess
    const levels = (states: Map<string, TenantAlertState>): Record<string, string> =>
      Object.fromEntries([...states].map(([tenant, state]) => [tenant, state.level]));
    expect(levels(fanned)).toEqual(levels(alone));
    expect(Object.entries(levels(alone)).filter(([, level]) => level !== 'ok').map(([tenant]) => tenant)).toEqual(BURNING);
    expect(starts).toHaveLength(1);
  });

  it.each([
    [4, 2],
    [5, 3],
    [3, 1],
  ])('runs %p shards at most %p at a time (the Map\'s MaxConcurrency)', async (shards, maxConcurrentShards) => {
    // Act
    const run = await runFanout({ ...SMALL, shards, maxConcurrentShards, burningTenants: [] });

    // Assess
    const [tick] = run.ticks;
    expect(tick!.shardsFinished).toBe(shards);
    expect(tick!.maxConcurrentShardsObserved).toBeLessThanOrEqual(maxConcurrentShards);
    expect(tick!.maxConcurrentShardsObserved).toBe(Math.min(shards, maxConcurrentShards));
  });

  it('fails the execution with EvaluatorShardsFailed naming the failed shard, after the other shards evaluated', async () => {
    // Act
    const run = await runFanout({
      ...SMALL,
      burningTenants: [],
      hooks: {
        beforeShard: (shard) => {
          if (shard.index === 2) throw new Error('shard 2 ran out of memory');
        },
      },
    });

    // Assess
    const [tick] = run.ticks;
    expect(tick!.succeeded).toBe(false);
    expect(tick!.error).toContain(SHARDS_FAILED_ERROR);
    expect(tick!.error).toContain('shard 2: Error: shard 2 ran out of memory');
    expect(tick!.shards.filter((s) => s.error === null).map((s) => s.index)).toEqual([0, 1, 3]);
    expect(tick!.withinMinute).toBe(false);
  });

  it('keeps each shard\'s cache between ticks: the second tick lists no tenants and fetches no hourly series', async () => {
    // Act
    const run = await runFanout({ ...SMALL, burningTenants: [], minutes: [0, 1] });

    // Assess
    const [first, second] = run.ticks;
    expect(first!.discovery).toMatchObject({ listed: 200, error: null });
    expect(second!.discovery).toMatchObject({ listed: null, error: null });
    expect(second!.listMetricsCalls).toBe(0);
    // Every shard fetches its fine tier each tick and its hourly tier only on the first.
    expect(second!.getMetricDataCalls).toBeLessThan(first!.getMetricDataCalls);
    expect(second!.distinctTenantsEvaluated).toBe(200);
  });

  it.each([
    ['4 shards and 200 tenants', 4, 200, [0, 1, 15]],
    ['8 shards and 1,200 tenants', 8, 1_200, [0]],
    ['4 shards and 200 tenants, ticks past the first hour', 4, 200, [0, 1, 60, 61, 105, 119]],
  ])('with %s, calls ListMetrics once per discovery tick (tenants / 500 pages), not once per shard', async (_label, shards, tenants, minutes) => {
    // Prepare: discovery is due at the first tick and again one refresh interval (15 minutes) later.
    const world = await buildFanoutWorld({ ...SMALL, tenants, minutes, burningTenants: [] });
    const options = { ...SMALL, shards, tenants, minutes, burningTenants: [] };

    // Act
    const run = await runFanout(options, world);

    // Assess: ceil(tenants / 500) pages per discovery, where each shard listing for itself would make shards times that.
    const pages = Math.ceil(tenants / 500);
    const expected = minutes.map((minute) => (minute % 15 === 0 ? pages : 0));
    expect(run.ticks.map((tick) => tick.listMetricsCalls)).toEqual(expected);
    expect(run.ticks.map((tick) => tick.distinctTenantsEvaluated)).toEqual(minutes.map(() => tenants));
    expect(run.ticks.map((tick) => tick.tenantsWarming)).toEqual(minutes.map(() => 0));
    // Each shard read the roster on the first tick and again after each new discovery, never in between.
    expect(world.roster.calls.getRoster).toBe(shards * expected.filter((calls) => calls > 0).length);
    expect(run.warnings).toBe(0);
  });

  it('evaluates every tenant, each shard listing its own, then fails the execution with EvaluatorDiscoveryFailed when the discovery fails', async () => {
    // Act
    const run = await runFanout({
      ...SMALL,
      burningTenants: [],
      hooks: {
        beforeDiscover: () => {
          throw new Error('ListMetrics access denied');
        },
      },
    });

    // Assess: no roster, so the 4 shards fall back to one ListMetrics page each, as without discovery.
    const [tick] = run.ticks;
    expect(tick).toMatchObject({ succeeded: false, shardsFinished: 4, distinctTenantsEvaluated: 200, listMetricsCalls: 4 });
    expect(tick!.error).toContain(DISCOVERY_FAILED_ERROR);
    expect(tick!.error).toContain('Error: ListMetrics access denied');
    expect(tick!.discovery?.error).toBe('Error: ListMetrics access denied');
    expect(run.warnings).toBe(4);
  });

  it.each([
    [{ shards: 1 }, 'shards: must be an integer from 2 to 1000, got 1'],
    [{ maxConcurrentShards: 41 }, 'maxConcurrentShards: must be an integer from 1 to 40, got 41'],
    [{ minutes: [] }, 'minutes: must be one or more whole minutes from 0 to 119, got []'],
    [{ minutes: [0, 120] }, 'minutes: must be one or more whole minutes from 0 to 119, got [0,120]'],
  ])('rejects %p', async (change, message) => {
    // Act / Assess
    const outcome = runFanout({ ...SMALL, ...change });
    await expect(outcome).rejects.toThrow(FanoutOptionError);
    await expect(outcome).rejects.toThrow(message);
  });
});

describe('tenantCapacity', () => {
  it('takes the smallest of the GetMetricData TPS, datapoints, ListMetrics and shard-throughput bounds', () => {
    // Prepare: 1,000 tenants, 10 calls and 800,000 datapoints, a discovery tick at 200 ms a page
    const demand = { tenants: 1_000, getMetricDataCalls: 10, datapoints: 800_000, discovered: true, listMetricsLatencyMs: 200, slowestShardMs: 6_000, slowestShardTenants: 100 };

    // Act
    const capacity = tenantCapacity(demand, DEFAULT_QUOTAS);

    // Assess: 500 x 60 x 100; 396,000 x 60 / 800; 25 x 60 x 500 (one discovery, whatever the shards); 60 / 0.2 x 500; 40 x 100 x 10
    expect(capacity.bounds).toEqual({
      'GetMetricData TPS': 3_000_000,
      'GetMetricData datapoints/s': 29_700,
      'ListMetrics TPS': 750_000,
      'ListMetrics paging': 150_000,
      'shard throughput': 40_000,
    });
    expect(capacity).toMatchObject({ largest: 29_700, bindingBound: 'GetMetricData datapoints/s' });
  });

  it.each([
    // recent of 10,000 datapoints for 1,000 tenants: 180,000 x 60 / (recent / 1,000) against 396,000 x 60 / (older / 1,000)
    [0, 2_376_000],
    [10_000, 1_080_000],
    [4_000, Math.min(2_700_000, 3_960_000)],
    [8_000, Math.min(1_350_000, 11_880_000)],
  ])('bounds the tenants by each datapoint quota with %p recent datapoints: %p', (recentDatapoints, bound) => {
    // Act
    const capacity = tenantCapacity({ tenants: 1_000, getMetricDataCalls: 10, datapoints: 10_000, recentDatapoints, discovered: false, listMetricsLatencyMs: 200, slowestShardMs: 0, slowestShardTenants: 0 });

    // Assess
    expect(capacity.bounds['GetMetricData datapoints/s']).toBe(bound);
  });

  it('leaves out the ListMetrics bounds on a tick without discovery', () => {
    // Act
    const capacity = tenantCapacity({ tenants: 1_000, getMetricDataCalls: 10, datapoints: 10_000, discovered: false, listMetricsLatencyMs: 200, slowestShardMs: 6_000, slowestShardTenants: 100 });

    // Assess: 396,000 x 60 / 10 = 2,376,000 datapoints-bound; 40 x 100 x 10 = 40,000 shard-bound
    expect(Object.keys(capacity.bounds)).not.toContain('ListMetrics TPS');
    expect(capacity).toMatchObject({ largest: 40_000, bindingBound: 'shard throughput' });
  });
});

describe('the sharded config a fan-out run evaluates with', () => {
  it.each([
    // shards, at once: warm-up 5,000,000 / shards; datapoints 80 % of 180,000 / 396,000 over the shards at once
    [1, 10, 5_000_000, { recent: 144_000, older: 316_800 }],
    [4, 2, 1_250_000, { recent: 72_000, older: 158_400 }],
    [40, 10, 125_000, { recent: 14_400, older: 31_680 }],
    [40, 40, 125_000, { recent: 3_600, older: 7_920 }],
  ])('gives each of %d shards run %d at once a warm-up budget of %d and its part of the datapoint quotas', (shards, atOnce, budget, rates) => {
    // Act
    const { runtime } = benchConfig(shardedEvaluator(shards, atOnce));

    // Assess
    expect(runtime.evaluator.warmupDatapointsPerTick).toBe(budget);
    expect(runtime.evaluator.datapointsPerSecond).toEqual(rates);
  });
});
