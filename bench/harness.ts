/**
 * One benchmark run in this process: builds the local world for N tenants (CloudWatch with latency, TPS quota and
 * profiles; a counting state store seeded as the previous hour left it), then runs the planned ticks of one mode
 * (`burnwatch`: the real evaluator; `naive`: the baseline) and measures each tick.
 *
 * A run is one evaluator instance over all tenants. A sharded run (the Distributed Map fan-out) would build the
 * same world once and make a `TickRunner` that calls `evaluateTick` once per shard (`TickOptions.shard`, each with
 * its own evaluator cache), concurrently, against the one CloudWatch, so the shards share its TPS quota as they
 * share the account's; `measureTicks` already takes any runner.
 */
import { CloudWatchMetricSource } from '../lambda/adapters/cloudwatch-metric-source';
import { pacing } from '../lambda/adapters/datapoint-pacer';
import { DynamoStateStore } from '../lambda/adapters/dynamo-state-store';
import { MINUTE_MS } from '../lambda/domain/model';
import type { Log, StateStore, WorkflowStarter } from '../lambda/ports';
import { evaluateTick, fineHorizonMinutes, newEvaluatorCache } from '../lambda/usecases/evaluate-tick';
import type { EvaluatorDeps, SloTickReport, TickReport } from '../lambda/usecases/evaluate-tick';
import { startLocalDynamo } from '../cli/local/dynalite';
import type { LocalDynamo } from '../cli/local/dynalite';
import { BenchCloudWatch, loadProfiles, loadWindow, trafficProfiles } from './cloudwatch';
import type { DatapointQuota, LatencyRange } from './cloudwatch';
import { CountingStateStore } from './counting-state-store';
import type { StoreCounts } from './counting-state-store';
import { MemoryStateStore } from './memory-state-store';
import { naiveTick } from './naive';
import { BENCH_SLI, BENCH_START, benchConfig, profileMap, seedStates, tenantIds, tickPlan } from './scenario';
import type { BenchConfig, TickPlanKind } from './scenario';

export type RunMode = 'burnwatch' | 'naive';
export type StoreKind = 'memory' | 'dynalite';

export interface HarnessOptions {
  readonly mode: RunMode;
  readonly tenants: number;
  readonly latency: LatencyRange;
  readonly maxTps: number;
  /** GetMetricData datapoints-per-second quota, or null for none. */
  readonly maxDps: DatapointQuota | null;
  readonly plan: TickPlanKind;
  readonly store: StoreKind;
  readonly profiles: number;
  readonly seed: number;
}

/** What one tick did and cost. CPU excludes the simulated CloudWatch's own work, which is reported beside it. */
export interface TickSample {
  readonly minute: number;
  readonly weight: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly serviceCpuMs: number;
  readonly getMetricDataCalls: number;
  readonly metricsRequested: number;
  readonly datapoints: number;
  readonly throttled: number;
  readonly listMetricsCalls: number;
  readonly store: StoreCounts;
  readonly tenantsEvaluated: number;
  /** Tenants left for a later tick because the warm-up budget was spent (`SloTickReport.warming`, summed over SLOs). */
  readonly tenantsWarming: number;
  readonly tenantsFailed: number;
  readonly emfBytes: number;
  /** Custom metrics (namespace, dimensions, name) the tick's EMF output defined. */
  readonly customMetrics: readonly string[];
  /** V8 heap still in use after a full garbage collection right after the tick (what the evaluator keeps between ticks). */
  readonly retainedHeapMb: number;
}

export interface RunMeasurement {
  readonly options: HarnessOptions;
  readonly samples: readonly TickSample[];
  /** The process's peak resident set (kernel maxRSS), data and simulated services included. */
  readonly peakRssMb: number;
  /** Resident set after loading data and seeding state, before the first tick. */
  readonly baselineRssMb: number;
  /** V8 heap in use after a full GC before the first tick (local CloudWatch data, seeded states). */
  readonly baselineHeapMb: number;
  readonly loadSeconds: number;
  readonly stateItemBytes: number;
  readonly historyItemBytes: number;
  readonly lambdaMemoryMb: number;
  readonly lambdaTimeoutSeconds: number;
  readonly historyTtlDays: number;
  readonly maxConcurrentRequests: number;
  readonly warnings: number;
  readonly firstProblems: readonly string[];
}

/** A quiet log that counts what it is told, so the run can report problems without printing into the JSON. */
export class CountingLog implements Log {
  warnings = 0;
  readonly firstProblems: string[] = [];
  info(): void {}
  warn(message: string, data?: Record<string, unknown>): void {
    this.record('WARN', message, data);
  }
  error(message: string, data?: Record<string, unknown>): void {
    this.record('ERROR', message, data);
  }
  private record(level: string, message: string, data?: Record<string, unknown>): void {
    this.warnings += 1;
    if (this.firstProblems.length < 5) this.firstProblems.push(`${level} ${message} ${JSON.stringify(data ?? {})}`.slice(0, 300));
  }
}

/** Steady state has no incidents; a start would mean the scenario is not what it claims, so it fails the run. */
const noIncidents: WorkflowStarter = {
  start: async (input) => {
    throw new Error(`the bench scenario has no burning tenant, but incident ${input.incidentId} was started`);
  },
};

interface TickOutcome {
  readonly evaluated: number;
  /** Tenants not evaluated because a cold cache is filled over several ticks (not failures). */
  readonly warming: number;
  readonly failed: number;
}

/** Runs the tick at `now`; returns how many tenants it evaluated, how many wait for their warm-up and how many failed. */
export type TickRunner = (now: number) => Promise<TickOutcome>;

function rssMb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
}

export interface World {
  readonly config: BenchConfig;
  readonly tenants: readonly string[];
  readonly cw: BenchCloudWatch;
  readonly store: CountingStateStore;
  readonly log: CountingLog;
  readonly dynamo: LocalDynamo | null;
}

async function buildWorld(options: HarnessOptions): Promise<World> {
  // The evaluator paces its calls to the account quota the run simulates, as a user sets getMetricDataTps to theirs.
  const config = benchConfig({ getMetricDataTps: options.maxTps });
  const { slo, runtime } = config;
  const tenants = tenantIds(options.tenants);
  const profiles = trafficProfiles(options.profiles, options.seed, 1 - slo.objectivePercent / 100);
  const cw = new BenchCloudWatch({
    latency: options.latency,
    maxTps: options.maxTps,
    ...(options.maxDps === null ? {} : { maxDatapointsPerSecond: options.maxDps }),
    tenantDimension: BENCH_SLI.tenantDimension,
    profileOf: profileMap(tenants, profiles.map((p) => p.id)),
    seed: options.seed,
  });
  const lastTick = BENCH_START + Math.max(...tickPlan(options.plan, options.mode).map((tick) => tick.minute)) * MINUTE_MS;
  loadProfiles(cw, BENCH_SLI, profiles, loadWindow(slo, fineHorizonMinutes(slo), runtime.evaluator.dataDelayMinutes, BENCH_START, lastTick), options.seed);
  cw.listTenantMetrics(BENCH_SLI.namespace, BENCH_SLI.totalMetric, BENCH_SLI.dimensions, BENCH_SLI.tenantDimension, tenants);

  let dynamo: LocalDynamo | null = null;
  let inner: StateStore;
  if (options.store === 'dynalite') {
    dynamo = await startLocalDynamo();
    await dynamo.createTable('burnwatch-bench');
    inner = new DynamoStateStore(dynamo.doc, 'burnwatch-bench');
  } else {
    inner = new MemoryStateStore();
  }
  await seedStates(inner, slo, tenants, BENCH_START, runtime.evaluator.heartbeatMinutes);
  return { config, tenants, cw, store: new CountingStateStore(inner), log: new CountingLog(), dynamo };
}

interface EmfTally {
  bytes: number;
  metrics: Set<string>;
}

function burnwatchRunner(world: World, emf: EmfTally): TickRunner {
  const { config, cw, store, log } = world;
  const deps: EvaluatorDeps = {
    metrics: new CloudWatchMetricSource(cw.client(), {
      maxConcurrentRequests: config.runtime.evaluator.maxConcurrentRequests,
      logger: log,
      ...pacing(config.runtime.evaluator),
    }),
    store,
    workflow: noIncidents,
    log,
    // What the Lambda prints to stdout: serialised here too, so its CPU is part of the tick.
    emitMetrics: (documents) => {
      for (const document of documents) {
        emf.bytes += JSON.stringify(document).length + 1;
        recordMetricIdentities(document, emf.metrics);
      }
    },
  };
  const cache = newEvaluatorCache();
  return async (now) => {
    const report: TickReport = await evaluateTick(config.runtime, deps, cache, now);
    if (report.skipped.length > 0) throw new Error(`SLO skipped: ${JSON.stringify(report.skipped)}`);
    const sum = (value: (slo: SloTickReport) => number): number => report.slos.reduce((total, slo) => total + value(slo), 0);
    return { evaluated: sum((slo) => slo.evaluated), warming: sum((slo) => slo.warming), failed: sum((slo) => slo.failures.length) };
  };
}

/** Adds `namespace|dimension values|metric name` for every metric an EMF document defines. */
function recordMetricIdentities(document: Record<string, unknown>, into: Set<string>): void {
  const aws = document._aws as { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } | undefined;
  for (const directive of aws?.CloudWatchMetrics ?? []) {
    for (const dimensionSet of directive.Dimensions) {
      const values = dimensionSet.map((name) => `${name}=${String(document[name])}`).join(',');
      for (const metric of directive.Metrics) into.add(`${directive.Namespace}|${values}|${metric.Name}`);
    }
  }
}

function naiveRunner(world: World): TickRunner {
  const { config, cw, store, log } = world;
  const { slo, runtime } = config;
  // The naive loop discovers tenants the same way (and as often) as the evaluator: not crippled.
  const discovery = new CloudWatchMetricSource(cw.client(), { logger: log });
  const client = cw.client();
  let tenants: { list: readonly string[]; fetchedAt: number } | null = null;
  const refreshMs = slo.tenants.mode === 'discover' ? slo.tenants.refreshMinutes * MINUTE_MS : Infinity;
  return async (now) => {
    if (tenants === null || now - tenants.fetchedAt >= refreshMs) tenants = { list: await discovery.listTenants(slo), fetchedAt: now };
    const report = await naiveTick(
      slo,
      tenants.list,
      {
        client,
        store,
        maxConcurrentRequests: runtime.evaluator.maxConcurrentRequests,
        retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5000, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: Math.random },
      },
      { dataDelayMinutes: runtime.evaluator.dataDelayMinutes, resolveAfterMinutes: slo.resolveAfterMinutes, heartbeatMinutes: runtime.evaluator.heartbeatMinutes },
      now,
    );
    for (const failure of report.failures.slice(0, 3)) log.warn('Naive tenant not evaluated', { ...failure });
    return { evaluated: report.evaluated, warming: 0, failed: report.failures.length };
  };
}

/** Runs and measures every planned tick (in minute order) with `runner`. */
export async function measureTicks(
  world: World,
  options: HarnessOptions,
  runner: TickRunner,
  emf: EmfTally,
  onSample: (sample: TickSample) => void,
): Promise<TickSample[]> {
  const samples: TickSample[] = [];
  for (const planned of tickPlan(options.plan, options.mode)) {
    const now = BENCH_START + planned.minute * MINUTE_MS;
    const cw = { ...world.cw.counters };
    const store = { ...world.store.counts };
    const serviceMicros = world.cw.serviceCpuMicros;
    const emfBytes = emf.bytes;
    emf.metrics = new Set();
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    const outcome = await runner(now);
    const wallMs = performance.now() - wallStart;
    const cpu = process.cpuUsage(cpuStart);
    // Outside the measured span: what survives a full collection is what the tick keeps (caches, the store's data).
    collectGarbage();
    const retainedHeapMb = rssMb(process.memoryUsage().heapUsed);
    const serviceCpuMs = (world.cw.serviceCpuMicros - serviceMicros) / 1000;
    const storeDelta = Object.fromEntries(
      Object.entries(world.store.counts).map(([key, value]) => [key, value - store[key as keyof StoreCounts]]),
    ) as unknown as StoreCounts;
    const sample: TickSample = {
      minute: planned.minute,
      weight: planned.weight,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000 - serviceCpuMs,
      serviceCpuMs,
      getMetricDataCalls: world.cw.counters.calls - cw.calls,
      metricsRequested: world.cw.counters.metricsRequested - cw.metricsRequested,
      datapoints: world.cw.counters.datapointsReturned - cw.datapointsReturned,
      throttled: world.cw.counters.throttled - cw.throttled,
      listMetricsCalls: world.cw.counters.listMetricsCalls - cw.listMetricsCalls,
      store: storeDelta,
      tenantsEvaluated: outcome.evaluated,
      tenantsWarming: outcome.warming,
      tenantsFailed: outcome.failed,
      emfBytes: emf.bytes - emfBytes,
      customMetrics: [...emf.metrics],
      retainedHeapMb,
    };
    samples.push(sample);
    onSample(sample);
  }
  return samples;
}

/** Builds the world, runs the planned ticks and measures them; `onSample` hears of each tick as it completes. */
export async function runHarness(options: HarnessOptions, onSample: (sample: TickSample) => void = () => undefined): Promise<RunMeasurement> {
  const loadStart = performance.now();
  const world = await buildWorld(options);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  try {
    collectGarbage();
    const baselineRssMb = rssMb(process.memoryUsage.rss());
    const baselineHeapMb = rssMb(process.memoryUsage().heapUsed);
    const emf: EmfTally = { bytes: 0, metrics: new Set<string>() };
    const runner = options.mode === 'burnwatch' ? burnwatchRunner(world, emf) : naiveRunner(world);
    const samples = await measureTicks(world, options, runner, emf, onSample);
    const sizes = world.store.itemSizes();
    return {
      options,
      samples,
      peakRssMb: rssMb(process.resourceUsage().maxRSS * 1024),
      baselineRssMb,
      baselineHeapMb,
      loadSeconds,
      ...sizes,
      lambdaMemoryMb: world.config.evaluatorFunction.memorySize,
      lambdaTimeoutSeconds: world.config.evaluatorFunction.timeoutSeconds,
      historyTtlDays: world.config.runtime.evaluator.historyTtlDays,
      maxConcurrentRequests: world.config.runtime.evaluator.maxConcurrentRequests,
      warnings: world.log.warnings,
      firstProblems: world.log.firstProblems,
    };
  } finally {
    await world.dynamo?.stop();
  }
}
