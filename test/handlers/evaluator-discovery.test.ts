/**
 * The sharded evaluator's tenant roster through the handler: the roster check (`{ time, discover: 'check' }`) says,
 * without listing, whether a listing is due and whether the shards can use the stored rosters meanwhile; the
 * discovery invocation (`{ time, discover: true }`) lists each discover-mode SLO's tenants at most once per refresh
 * interval and stores them; a shard invocation
 * (`{ time, shard }`) evaluates the roster's tenants of its shard and lists them itself only when the roster is
 * missing, stale or unreadable. Real CloudWatch adapter over the in-memory CloudWatch, in-memory roster and store.
 */
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { RuntimeConfig, SloDefinition } from '../../lambda/domain/model';
import { tenantsOfShard } from '../../lambda/domain/shards';
import type { ShardSpec } from '../../lambda/domain/shards';
import {
  InvalidScheduleEventError,
  runEvaluatorTick,
  runRosterCheck,
  runTenantDiscovery,
  TenantDiscoveryError,
  tickDiscover,
} from '../../lambda/handlers/evaluator';
import type { CountsRequest, CountsResult, MetricSource, TenantRoster, TenantRosterSnapshot, WriteOutcome } from '../../lambda/ports';
import { newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import { MemoryTenantRoster } from '../../bench/memory-roster';
import { MemoryStateStore } from '../../bench/memory-state-store';
import { checkoutSlo, healthy, loadTraffic, RecordingLog, runtimeConfig, T0 } from '../support/faults';

const REFRESH_MINUTES = 15;
const TENANTS = Array.from({ length: 24 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
const discovered: SloDefinition = checkoutSlo({ tenants: { mode: 'discover', refreshMinutes: REFRESH_MINUTES, exclude: [] } });
const listed: SloDefinition = checkoutSlo({ name: 'listed-availability', tenants: { mode: 'list', tenants: ['acme'] } });
const config: RuntimeConfig = { ...runtimeConfig(discovered), slos: [discovered, listed] };
const at = (minutes: number): string => new Date(T0 + minutes * MINUTE_MS).toISOString();
const SHARD: ShardSpec = { index: 1, count: 3 };

/** The real metric source, counting tenant discoveries (ListMetrics) and optionally failing them for one SLO. */
class CountingMetrics implements MetricSource {
  listTenantsCalls = 0;
  constructor(
    private readonly inner: MetricSource,
    private readonly failFor?: string,
  ) {}
  fetchCounts(request: CountsRequest): Promise<CountsResult> {
    return this.inner.fetchCounts(request);
  }
  async listTenants(slo: SloDefinition): Promise<string[]> {
    this.listTenantsCalls += 1;
    if (slo.name === this.failFor) throw new Error('AccessDenied: not authorized to perform cloudwatch:ListMetrics');
    return this.inner.listTenants(slo);
  }
}

/** A roster whose reads fail, as a corrupt chunk or a throttled table would. */
class UnreadableRoster implements TenantRoster {
  async putRoster(): Promise<WriteOutcome> {
    return 'written';
  }
  async getRoster(): Promise<TenantRosterSnapshot | null> {
    throw new Error('CorruptItemError: Item pk="ROSTER#x#g1#0000" sk="ROSTER_CHUNK": field "tenants" must be a list');
  }
  async getDiscoveredAt(): Promise<number | null> {
    throw new Error('CorruptItemError: Item pk="ROSTER#x" sk="ROSTER_HEAD": field "discoveredAt" must be an integer >= 0');
  }
}

function rig(failFor?: string) {
  const cw = new LocalCloudWatch({ clock: () => T0 });
  loadTraffic(cw, discovered, TENANTS, T0 - 2 * HOUR_MS, 2 * 60 + 30, healthy);
  const metrics = new CountingMetrics(new CloudWatchMetricSource(cw.client(), { maxConcurrentRequests: 4, sleep: async () => undefined }), failFor);
  const roster = new MemoryTenantRoster({ now: () => T0 });
  const log = new RecordingLog();
  const evaluated: string[] = [];
  const deps = {
    metrics,
    store: new MemoryStateStore(),
    workflow: { start: async () => ({ executionArn: 'arn', alreadyStarted: false }) },
    log,
    onEvaluated: (_slo: string, evaluations: readonly { readonly tenant: string }[]) => evaluated.push(...evaluations.map((e) => e.tenant)),
  };
  return { metrics, roster, log, evaluated, deps };
}

describe('runTenantDiscovery (the fan-out\'s Discover invocation)', () => {
  it('lists and stores the tenants of every discover-mode SLO as of the tick, and leaves listed SLOs alone', async () => {
    // Prepare
    const { metrics, roster, deps } = rig();

    // Act
    const report = await runTenantDiscovery({ time: at(0), discover: true }, T0 + 20_000, { config, deps, roster });

    // Assess
    expect(report).toEqual({ discoveredAt: T0, slos: [{ slo: discovered.name, outcome: 'written', tenants: TENANTS.length }] });
    expect(metrics.listTenantsCalls).toBe(1);
    expect(await roster.getRoster(discovered.name)).toEqual({ tenants: TENANTS, discoveredAt: T0 });
    expect(await roster.getRoster(listed.name)).toBeNull();
  });

  it.each([
    ['none stored', null, true],
    ['discovered this tick', 0, false],
    ['discovered 14 minutes ago', 14, false],
    ['discovered 15 minutes (one refresh interval) ago', 15, true],
    ['discovered an hour ago', 60, true],
  ])('with a roster %s, lists the tenants again: %p', async (_label, ageMinutes, lists) => {
    // Prepare
    const { metrics, roster, deps } = rig();
    if (ageMinutes !== null) await roster.putRoster(discovered.name, ['old'], T0 - ageMinutes * MINUTE_MS, T0 + HOUR_MS);

    // Act
    const report = await runTenantDiscovery({ time: at(0), discover: true }, T0, { config, deps, roster });

    // Assess
    expect(metrics.listTenantsCalls).toBe(lists ? 1 : 0);
    expect(report.slos).toEqual([{ slo: discovered.name, outcome: lists ? 'written' : 'fresh', tenants: lists ? TENANTS.length : null }]);
  });

  it('lists the tenants again, with a warning, when the stored roster cannot be read', async () => {
    // Prepare
    const { metrics, log, deps } = rig();

    // Act
    const report = await runTenantDiscovery({ time: at(0), discover: true }, T0, { config, deps, roster: new UnreadableRoster() });

    // Assess
    expect(metrics.listTenantsCalls).toBe(1);
    expect(report.slos).toEqual([{ slo: discovered.name, outcome: 'written', tenants: TENANTS.length }]);
    expect(log.messages('warn')).toEqual(['Tenant roster unreadable; discovering again']);
  });

  it('stores every other SLO\'s roster when one SLO\'s discovery fails, then fails naming that SLO', async () => {
    // Prepare
    const other = checkoutSlo({ name: 'other-availability', tenants: { mode: 'discover', refreshMinutes: REFRESH_MINUTES, exclude: [] } });
    const { roster, log, deps } = rig(discovered.name);

    // Act
    const outcome = runTenantDiscovery({ time: at(0), discover: true }, T0, { config: { ...config, slos: [discovered, other] }, deps, roster });

    // Assess
    await expect(outcome).rejects.toThrow(TenantDiscoveryError);
    await expect(outcome).rejects.toThrow(`Tenant discovery failed for 1 SLO(s): ${discovered.name} (Error: AccessDenied: not authorized to perform cloudwatch:ListMetrics)`);
    expect(await roster.getRoster(discovered.name)).toBeNull();
    expect((await roster.getRoster(other.name))?.discoveredAt).toBe(T0);
    expect(log.messages('error')).toEqual(['Tenant discovery failed']);
  });
});

describe('a shard invocation with the tenant roster', () => {
  // The roster holds a different list from CloudWatch's, so the tenants evaluated tell which one the shard used.
  const ROSTER_TENANTS = TENANTS.slice(0, 18);

  it.each([
    ['discovered this tick', 0],
    ['discovered 29 minutes ago (under two refresh intervals)', 29],
  ])('evaluates its shard of a roster %s without calling ListMetrics', async (_label, ageMinutes) => {
    // Prepare
    const { metrics, roster, log, evaluated, deps } = rig();
    await roster.putRoster(discovered.name, ROSTER_TENANTS, T0 - ageMinutes * MINUTE_MS, T0 + HOUR_MS);

    // Act
    const report = await runEvaluatorTick({ time: at(0), shard: SHARD }, T0, { config: { ...config, slos: [discovered] }, deps, roster }, newEvaluatorCache());

    // Assess
    expect(metrics.listTenantsCalls).toBe(0);
    expect(evaluated.sort()).toEqual(tenantsOfShard(ROSTER_TENANTS, SHARD));
    expect(report.slos[0]?.tenants).toBe(tenantsOfShard(ROSTER_TENANTS, SHARD).length);
    expect(log.messages('warn')).toEqual([]);
  });

  it.each([
    ['none is stored', async () => new MemoryTenantRoster({ now: () => T0 }), 'none stored'],
    [
      'it is two refresh intervals old',
      async () => {
        const stale = new MemoryTenantRoster({ now: () => T0 });
        await stale.putRoster(discovered.name, ROSTER_TENANTS, T0 - 30 * MINUTE_MS, T0 + HOUR_MS);
        return stale;
      },
      `stale, discovered at ${at(-30)}`,
    ],
    ['it cannot be read', async () => new UnreadableRoster(), 'CorruptItemError: Item pk="ROSTER#x#g1#0000"'],
  ])('lists its tenants with ListMetrics, with a warning, when %s', async (_label, makeRoster, reason) => {
    // Prepare
    const { metrics, log, evaluated, deps } = rig();
    const roster = await makeRoster();

    // Act
    await runEvaluatorTick({ time: at(0), shard: SHARD }, T0, { config: { ...config, slos: [discovered] }, deps, roster }, newEvaluatorCache());

    // Assess
    expect(metrics.listTenantsCalls).toBe(1);
    expect(evaluated.sort()).toEqual(tenantsOfShard(TENANTS, SHARD));
    const warning = log.entries.find((entry) => entry.message === 'Tenant roster not usable; listing tenants with ListMetrics');
    expect(warning?.data).toMatchObject({ slo: discovered.name });
    expect(String(warning?.data.roster)).toContain(reason);
  });

  it('keeps the roster\'s list until the next discovery is due, then reads the roster again', async () => {
    // Prepare: the roster of minute 0, then the one minute 15's discovery stores.
    const { metrics, roster, deps } = rig();
    const cache = newEvaluatorCache();
    const wiring = { config: { ...config, slos: [discovered] }, deps, roster };
    await roster.putRoster(discovered.name, ROSTER_TENANTS, T0, T0 + HOUR_MS);
    await runEvaluatorTick({ time: at(0), shard: SHARD }, T0, wiring, cache);
    await roster.putRoster(discovered.name, TENANTS, T0 + 15 * MINUTE_MS, T0 + HOUR_MS);

    // Act
    await runEvaluatorTick({ time: at(14), shard: SHARD }, T0 + 14 * MINUTE_MS, wiring, cache);
    const readsBefore = roster.calls.getRoster;
    await runEvaluatorTick({ time: at(15), shard: SHARD }, T0 + 15 * MINUTE_MS, wiring, cache);

    // Assess: minute 14 used the cached list (one read in all so far), minute 15 read the new roster.
    expect(readsBefore).toBe(1);
    expect(roster.calls.getRoster).toBe(2);
    expect(cache.tenants.get(discovered.name)).toEqual({ list: TENANTS, fetchedAt: T0 + 15 * MINUTE_MS });
    expect(metrics.listTenantsCalls).toBe(0);
  });

  it('is never read by an unsharded invocation, which lists its tenants itself', async () => {
    // Prepare
    const { metrics, roster, log, deps } = rig();
    await roster.putRoster(discovered.name, ROSTER_TENANTS, T0, T0 + HOUR_MS);

    // Act
    await runEvaluatorTick({ time: at(0) }, T0, { config: { ...config, slos: [discovered] }, deps, roster }, newEvaluatorCache());

    // Assess
    expect(roster.calls.getRoster).toBe(0);
    expect(metrics.listTenantsCalls).toBe(1);
    expect(log.messages('warn')).toEqual([]);
  });
});

describe('runRosterCheck (the fan-out\'s Discover invocation, before any listing)', () => {
  const other = checkoutSlo({ name: 'other-availability', tenants: { mode: 'discover', refreshMinutes: REFRESH_MINUTES, exclude: [] } });
  const twoDiscovered: RuntimeConfig = { ...config, slos: [discovered, other, listed] };

  // Due once a roster is one refresh interval (15 min) old or missing; usable by shards while younger than two (30 min).
  it.each([
    { label: 'none is stored for either SLO', ageMinutes: null, otherAgeMinutes: null, due: true, usable: false },
    { label: 'both were discovered this tick', ageMinutes: 0, otherAgeMinutes: 0, due: false, usable: true },
    { label: 'both were discovered 14 minutes ago', ageMinutes: 14, otherAgeMinutes: 14, due: false, usable: true },
    { label: 'one was discovered one refresh interval (15 minutes) ago', ageMinutes: 15, otherAgeMinutes: 0, due: true, usable: true },
    { label: 'one was discovered 29 minutes ago', ageMinutes: 29, otherAgeMinutes: 0, due: true, usable: true },
    { label: 'one was discovered two refresh intervals (30 minutes) ago', ageMinutes: 30, otherAgeMinutes: 0, due: true, usable: false },
    { label: 'one is missing and the other fresh', ageMinutes: null, otherAgeMinutes: 0, due: true, usable: false },
  ])('when $label, reports due $due and usable $usable without listing or storing', async ({ ageMinutes, otherAgeMinutes, due, usable }) => {
    // Prepare
    const { metrics, roster, deps } = rig();
    if (ageMinutes !== null) await roster.putRoster(discovered.name, ['old'], T0 - ageMinutes * MINUTE_MS, T0 + HOUR_MS);
    if (otherAgeMinutes !== null) await roster.putRoster(other.name, ['old'], T0 - otherAgeMinutes * MINUTE_MS, T0 + HOUR_MS);
    const writesBefore = roster.calls.putRoster;

    // Act
    const check = await runRosterCheck({ time: at(0), discover: 'check' }, T0 + 20_000, { config: twoDiscovered, deps, roster });

    // Assess
    expect(check).toEqual({ discoveredAt: T0, due, usable });
    expect(metrics.listTenantsCalls).toBe(0);
    expect(roster.calls.putRoster).toBe(writesBefore);
    expect(roster.calls.getRoster).toBe(0);
  });

  it('reports a roster whose head cannot be read as due and not usable, with a warning, as the listing treats it', async () => {
    // Prepare
    const { metrics, log, deps } = rig();

    // Act
    const check = await runRosterCheck({ time: at(0), discover: 'check' }, T0, { config, deps, roster: new UnreadableRoster() });

    // Assess
    expect(check).toEqual({ discoveredAt: T0, due: true, usable: false });
    expect(metrics.listTenantsCalls).toBe(0);
    expect(log.messages('warn')).toEqual(['Tenant roster unreadable; discovering again']);
  });

  it('reports nothing due when no SLO discovers its tenants', async () => {
    // Prepare
    const { roster, deps } = rig();

    // Act
    const check = await runRosterCheck({ time: at(0), discover: 'check' }, T0, { config: { ...config, slos: [listed] }, deps, roster });

    // Assess
    expect(check).toEqual({ discoveredAt: T0, due: false, usable: true });
    expect(roster.calls.getDiscoveredAt).toBe(0);
  });

  it.each([
    ['runRosterCheck given a listing event', () => runRosterCheck({ time: at(0), discover: true }, T0, { config, ...rig() }), 'event.discover: must be "check" for runRosterCheck (the roster check), got true'],
    ['runRosterCheck given a schedule event', () => runRosterCheck({ time: at(0) }, T0, { config, ...rig() }), 'event.discover: must be "check" for runRosterCheck (the roster check), got none'],
    ['runTenantDiscovery given a check event', () => runTenantDiscovery({ time: at(0), discover: 'check' }, T0, { config, ...rig() }), 'event.discover: must be true for runTenantDiscovery (the listing), got "check"'],
  ])('rejects %s, naming the field', async (_label, run, message) => {
    // Act / Assess
    await expect(run()).rejects.toThrow(new InvalidScheduleEventError(message));
  });
});

describe('tickDiscover (the evaluator event of the discovery)', () => {
  it.each([
    [{ time: at(0), discover: true }, 'list'],
    [{ time: at(0), discover: 'check' }, 'check'],
    [{ time: at(0) }, null],
    [{ time: at(0), shard: SHARD }, null],
    [undefined, null],
  ])('reads %p as the discovery phase %p', (event, expected) => {
    // Act / Assess
    expect(tickDiscover(event)).toBe(expected);
  });

  it.each([
    [{ discover: 'yes' }, 'event.discover: must be true or "check" (or absent), got "yes"'],
    [{ discover: 'CHECK' }, 'event.discover: must be true or "check" (or absent), got "CHECK"'],
    [{ discover: false }, 'event.discover: must be true or "check" (or absent), got false'],
    [{ discover: true, shard: SHARD }, 'event.shard: must be absent from a discovery event ({ time, discover: true | "check" }), got a shard'],
    [{ discover: 'check', shard: SHARD }, 'event.shard: must be absent from a discovery event ({ time, discover: true | "check" }), got a shard'],
  ])('rejects %p naming the field', (event, message) => {
    // Act / Assess
    expect(() => tickDiscover(event)).toThrow(new InvalidScheduleEventError(message));
  });

  it.each([[{ time: at(0), discover: true }], [{ time: at(0), discover: 'check' }]])('refuses to run the discovery event %p as a tick', async (event) => {
    // Prepare
    const { roster, deps } = rig();

    // Act
    const outcome = runEvaluatorTick(event, T0, { config, deps, roster }, newEvaluatorCache());

    // Assess
    await expect(outcome).rejects.toThrow(InvalidScheduleEventError);
  });
});
