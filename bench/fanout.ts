/**
 * The evaluator beyond one Lambda, run locally: the EvaluatorFanout construct's Express state machine (synthesized,
 * then executed by aws-local-stepfunctions), whose Map item task is bound to the real evaluator invocation
 * (`runEvaluatorTick` with the item `{ time, shard }`, as the handler runs it). Every shard is its own simulated
 * Lambda: its own CloudWatch client and metric source, its own EvaluatorCache kept between ticks (a warm container).
 * What the shards share is what they share in AWS: one CloudWatch with one GetMetricData (and one ListMetrics) TPS
 * quota and per-call latency (bench/cloudwatch.ts), one state store with conditional writes, and the tenant roster
 * (bench/memory-roster.ts) that the `Discover` task (bound to `runTenantDiscovery`, its own simulated Lambda)
 * writes once per refresh interval and every shard reads, so ListMetrics is called once per discovery tick.
 *
 * All shards run in this one Node.js process, so they share its CPU (two cores here), where in AWS each has its own
 * vCPU share: the measured wall time is an upper bound of a tick's wall time in AWS when the evaluator's CPU matters.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { CloudWatchMetricSource } from '../lambda/adapters/cloudwatch-metric-source';
import { pacing } from '../lambda/adapters/datapoint-pacer';
import { MINUTE_MS } from '../lambda/domain/model';
import type { IncidentWorkflowInput, WorkflowStarter } from '../lambda/ports';
import { runEvaluatorTick, runRosterCheck, runTenantDiscovery } from '../lambda/handlers/evaluator';
import type { EvaluatorWiring } from '../lambda/handlers/evaluator';
import type { ShardSpec } from '../lambda/domain/shards';
import { fineHorizonMinutes, newEvaluatorCache } from '../lambda/usecases/evaluate-tick';
import type { EvaluatorCache } from '../lambda/usecases/evaluate-tick';
import { DISCOVER_STATE, EvaluatorFanout, LIST_TENANTS_BESIDE_STATE, LIST_TENANTS_FIRST_STATE } from '../lib/constructs/evaluator-fanout';
import type { EvaluatorFanoutSettings } from '../lib/config/normalize';
import { EVALUATOR_DEFAULTS } from '../lib/config/defaults';
import type { EvaluatorProps } from '../lib/config/props';
import { ensurePromiseWithResolvers, LOCAL_ACCOUNT, LOCAL_REGION, WorkflowDefinitionError } from '../cli/local/workflow-runner';
import type { Json } from '../cli/local/workflow-runner';
import { BenchCloudWatch, loadProfiles, loadWindow, trafficProfiles } from './cloudwatch';
import type { DatapointQuota, LatencyRange, TrafficProfile } from './cloudwatch';
import { CountingStateStore } from './counting-state-store';
import { MemoryTenantRoster } from './memory-roster';
import { MemoryStateStore } from './memory-state-store';
import { CountingLog } from './harness';
import { tenantCapacity } from './quotas';
import type { AccountQuotas, TenantCapacity } from './quotas';
import { BENCH_SLI, BENCH_START, LAST_BENCH_MINUTE, benchConfig, profileMap, seedStates, tenantIds } from './scenario';
import type { BenchConfig } from './scenario';

/** The Map's item task: the one state the local run binds to the evaluator. */
export const SHARD_TASK_STATE = 'EvaluateShard';
const EVALUATOR_ARN = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:burnwatch-evaluator`;
/** The profile a burning tenant's data follows: a fifth of its requests fail, 200 times the 99.9 % SLO's budget. */
const BURNING_PROFILE: TrafficProfile = { id: 'profile-burning', requestsPerMinute: 200, errorRate: 0.2 };

export class FanoutOptionError extends Error {
  constructor(field: string, allowed: string, given: unknown) {
    super(`${field}: must be ${allowed}, got ${JSON.stringify(given)}`);
    this.name = 'FanoutOptionError';
  }
}

export interface FanoutHooks {
  /** Runs inside a shard's invocation before it evaluates; throwing fails that invocation (the Lambda failed). */
  beforeShard?(shard: ShardSpec, minute: number): void | Promise<void>;
  /** Runs inside the discovery invocation before it lists tenants; throwing fails it (and so the tick). */
  beforeDiscover?(minute: number): void | Promise<void>;
  /** Runs after each tick with its figures (the command line prints progress from it). */
  afterTick?(tick: FanoutTick): void;
}

export interface FanoutOptions {
  readonly tenants: number;
  readonly shards: number;
  /** The Map's MaxConcurrency (1 to 40, as the config allows). */
  readonly maxConcurrentShards: number;
  readonly latency: LatencyRange;
  /** GetMetricData (and, separately, ListMetrics) calls per second for the whole account: every shard shares it. */
  readonly maxTps: number;
  /** GetMetricData datapoints per second for the whole account (StartTime within 3 hours, older), or null for none. */
  readonly maxDps: DatapointQuota | null;
  readonly profiles: number;
  readonly seed: number;
  /** Ticks to run, in order, as minutes after BENCH_START (0: the first hour's first tick) up to LAST_BENCH_MINUTE. */
  readonly minutes: readonly number[];
  /**
   * Override the synthesized execution timeout (the schedule's 60 s) to see how long a tick that does not fit would
   * take. @default the synthesized TimeoutSeconds
   */
  readonly timeoutSeconds?: number;
  /** Tenants whose traffic burns their budget from the start (the bench's own runs have none). */
  readonly burningTenants?: readonly string[];
  readonly hooks?: FanoutHooks;
}

/** The discovery invocation of one tick, before its shards. */
export interface DiscoveryRun {
  readonly wallMs: number;
  /** Tenants listed with ListMetrics and stored in the roster; null when the roster was fresh (nothing listed). */
  readonly listed: number | null;
  readonly error: string | null;
}

/** One shard invocation within one tick. */
export interface ShardRun {
  readonly index: number;
  readonly wallMs: number;
  readonly tenants: number;
  readonly evaluated: number;
  /** Tenants this shard left for a later tick because its warm-up budget was spent (`SloTickReport.warming`). */
  readonly warming: number;
  readonly failed: number;
  readonly getMetricDataCalls: number;
  readonly throttledRetries: number;
  readonly incidentsOpened: readonly string[];
  readonly error: string | null;
}

export interface FanoutTick {
  readonly minute: number;
  /** From StartExecution to the execution's end (success, failure or timeout). */
  readonly wallMs: number;
  /** This process's CPU during the tick and its late shards, the local CloudWatch's own work excluded (every shard together). */
  readonly cpuMs: number;
  readonly succeeded: boolean;
  /** The execution's error (`EvaluatorShardsFailed`, `EvaluatorDiscoveryFailed`, a timeout) and cause, when it did not succeed. */
  readonly error: string | null;
  /** The tick's discovery invocation (null if the execution ended before it ran). */
  readonly discovery: DiscoveryRun | null;
  readonly shards: readonly ShardRun[];
  /** Shard invocations that ended before the execution did. */
  readonly shardsFinished: number;
  /** Shard invocations still running when the execution ended (timed out), which ran on to their end. */
  readonly shardsFinishedAfterEnd: number;
  /** Most shard invocations running at once, as observed in the task handler. */
  readonly maxConcurrentShardsObserved: number;
  readonly slowestShardMs: number;
  readonly getMetricDataCalls: number;
  readonly throttled: number;
  readonly listMetricsCalls: number;
  readonly metricsRequested: number;
  readonly datapoints: number;
  /** Of `datapoints`, those of calls whose StartTime is within 3 hours (the 180,000/s quota's). */
  readonly recentDatapoints: number;
  readonly tenantsEvaluated: number;
  /** Tenants every shard together left waiting for their warm-up (a cold shard fills its caches over several ticks). */
  readonly tenantsWarming: number;
  readonly distinctTenantsEvaluated: number;
  readonly tenantsEvaluatedMoreThanOnce: number;
  readonly incidentsOpened: readonly string[];
  /** Execution names of incident workflows started. */
  readonly workflowStarts: readonly string[];
  readonly withinMinute: boolean;
}

export interface FanoutRun {
  readonly tenants: number;
  readonly shards: number;
  readonly maxConcurrentShards: number;
  readonly latency: LatencyRange;
  readonly maxTps: number;
  readonly maxDps: DatapointQuota | null;
  readonly timeoutSeconds: number;
  readonly ticks: readonly FanoutTick[];
  readonly loadSeconds: number;
  readonly peakRssMb: number;
  readonly warnings: number;
  readonly firstProblems: readonly string[];
}

/** Synthesizes only the EvaluatorFanout construct and returns its state machine definition. */
export function synthesizeFanout(settings: EvaluatorFanoutSettings, scheduleMinutes = 1): StateMachineDefinition {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'LocalFanout', { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
  const evaluator = LambdaFunction.fromFunctionArn(stack, 'Evaluator', EVALUATOR_ARN);
  new EvaluatorFanout(stack, 'EvaluatorFanout', { evaluator, settings, scheduleMinutes });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const machines = Object.values(resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');
  const body = machines[0]?.Properties.DefinitionString;
  if (machines.length !== 1 || body === undefined) throw new WorkflowDefinitionError(`expected one state machine, got ${machines.length}`);
  if (typeof body === 'string') return JSON.parse(body) as StateMachineDefinition;
  const join = (body as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  const parts = join?.[1].map((part) => {
    if (typeof part !== 'string') throw new WorkflowDefinitionError(`unexpected reference in the fan-out definition: ${JSON.stringify(part)}`);
    return part;
  });
  if (join === undefined || parts === undefined) throw new WorkflowDefinitionError(`unexpected DefinitionString: ${JSON.stringify(body).slice(0, 200)}`);
  return JSON.parse(parts.join(join[0])) as StateMachineDefinition;
}

/** Records every start; the real starter names executions after the incident, so a repeated name is a repeated start. */
class RecordingWorkflowStarter implements WorkflowStarter {
  readonly started: string[] = [];
  async start(input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const alreadyStarted = this.started.includes(executionName);
    this.started.push(executionName);
    return { executionArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:burnwatch-incident:${input.incidentId}`, alreadyStarted };
  }
}

/** The simulated time: the instant of the tick being run (the roster expires by it). */
export class TickClock {
  at = BENCH_START;
  now(): number {
    return this.at;
  }
}

export interface FanoutWorld {
  readonly config: BenchConfig;
  readonly tenants: readonly string[];
  readonly cw: BenchCloudWatch;
  readonly store: CountingStateStore;
  readonly clock: TickClock;
  readonly roster: MemoryTenantRoster;
}

/**
 * The evaluator props of a deployment with these shards, so each shard gets what a deployed one would: its part of
 * the warm-up budget and of the datapoint quotas. A 5-minute schedule (300 s) and the largest timeout its waves allow
 * only make the config valid for any shard count; the run's own execution timeout is FanoutOptions.timeoutSeconds.
 */
export function shardedEvaluator(shards: number, maxConcurrentShards: number): EvaluatorProps {
  if (shards === 1) return {};
  const waves = Math.ceil(shards / maxConcurrentShards);
  const discoveryTimeoutSeconds = EVALUATOR_DEFAULTS.discoveryTimeoutSeconds;
  return {
    shards,
    maxConcurrentShards,
    reservedConcurrency: Math.min(shards, maxConcurrentShards) + 1,
    scheduleMinutes: 5,
    timeoutSeconds: Math.max(1, Math.floor((300 - discoveryTimeoutSeconds) / waves)),
  };
}

/** The bench's world (bench/harness.ts builds the same for one invocation), with optional burning tenants. */
export async function buildFanoutWorld(
  options: Pick<FanoutOptions, 'tenants' | 'shards' | 'maxConcurrentShards' | 'latency' | 'maxTps' | 'maxDps' | 'profiles' | 'seed' | 'burningTenants' | 'minutes'>,
): Promise<FanoutWorld> {
  // The evaluator paces its calls to the account quota the run simulates, as a user sets getMetricDataTps to theirs.
  const config = benchConfig({ ...shardedEvaluator(options.shards, options.maxConcurrentShards), getMetricDataTps: options.maxTps });
  const { slo, runtime } = config;
  const tenants = tenantIds(options.tenants);
  const burning = new Set(options.burningTenants ?? []);
  for (const tenant of burning) {
    if (!tenants.includes(tenant)) throw new FanoutOptionError('burningTenants', `ids of the run's tenants (${tenants[0]} ...)`, tenant);
  }
  const profiles = trafficProfiles(options.profiles, options.seed, 1 - slo.objectivePercent / 100);
  const profileOf = profileMap(tenants, profiles.map((p) => p.id));
  for (const tenant of burning) profileOf.set(tenant, BURNING_PROFILE.id);
  const cw = new BenchCloudWatch({
    latency: options.latency,
    maxTps: options.maxTps,
    ...(options.maxDps === null ? {} : { maxDatapointsPerSecond: options.maxDps }),
    tenantDimension: BENCH_SLI.tenantDimension,
    profileOf,
    seed: options.seed,
  });
  const lastTick = BENCH_START + Math.max(...options.minutes) * MINUTE_MS;
  const window = loadWindow(slo, fineHorizonMinutes(slo), runtime.evaluator.dataDelayMinutes, BENCH_START, lastTick);
  loadProfiles(cw, BENCH_SLI, burning.size > 0 ? [...profiles, BURNING_PROFILE] : profiles, window, options.seed);
  cw.listTenantMetrics(BENCH_SLI.namespace, BENCH_SLI.totalMetric, BENCH_SLI.dimensions, BENCH_SLI.tenantDimension, tenants);
  const inner = new MemoryStateStore();
  await seedStates(inner, slo, tenants, BENCH_START);
  const clock = new TickClock();
  return { config, tenants, cw, store: new CountingStateStore(inner), clock, roster: new MemoryTenantRoster(clock) };
}

function validate(options: FanoutOptions): void {
  const integer = (field: string, value: number, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max) throw new FanoutOptionError(field, `an integer from ${min} to ${max}`, value);
  };
  integer('tenants', options.tenants, 1, 10_000_000);
  integer('shards', options.shards, 2, 1000);
  integer('maxConcurrentShards', options.maxConcurrentShards, 1, 40);
  if (options.minutes.length === 0 || options.minutes.some((m) => !Number.isInteger(m) || m < 0 || m > LAST_BENCH_MINUTE)) {
    throw new FanoutOptionError('minutes', `one or more whole minutes from 0 to ${LAST_BENCH_MINUTE}`, options.minutes);
  }
}

/** Runs `options.minutes` ticks through the synthesized fan-out state machine and measures each. */
export async function runFanout(options: FanoutOptions, prebuilt?: FanoutWorld): Promise<FanoutRun> {
  validate(options);
  ensurePromiseWithResolvers();
  const loadStart = performance.now();
  // A caller that passes the world (built with the same options) can read its state store afterwards.
  const world = prebuilt ?? (await buildFanoutWorld(options));
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const definition = synthesizeFanout({ shards: options.shards, maxConcurrentShards: options.maxConcurrentShards });
  if (options.timeoutSeconds !== undefined) {
    definition.TimeoutSeconds = options.timeoutSeconds;
    // A Task without TimeoutSeconds times out after 60 s under the States Language (the local runner applies it);
    // in AWS the evaluator function's own timeout bounds it. Raised with the execution's, to measure beyond.
    // The shard task sits in the Map, itself a branch of the Parallel that runs the listing beside it.
    for (const name of [SHARD_TASK_STATE, LIST_TENANTS_FIRST_STATE, LIST_TENANTS_BESIDE_STATE]) {
      const task = findState(definition.States as Record<string, NestedState>, name);
      if (task === undefined) throw new WorkflowDefinitionError(`the fan-out definition has no ${name} state`);
      task.TimeoutSeconds = options.timeoutSeconds;
    }
  }
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });

  const log = new CountingLog();
  const workflow = new RecordingWorkflowStarter();
  const { config, cw, store, roster, clock } = world;
  // One wiring and one cache per shard, made at its first invocation and kept: a warm container per shard.
  const containers = new Map<number, { wiring: EvaluatorWiring; cache: EvaluatorCache }>();
  let tickMinute = 0;
  let evaluatedCount = new Map<string, number>();
  let shardRuns: ShardRun[] = [];
  let discovery: DiscoveryRun | null = null;
  let inFlight = 0;
  let maxInFlight = 0;
  // Invocations still running when an execution ends (timed out) go on, as a Lambda does: the next tick waits for them.
  const running = new Set<Promise<unknown>>();

  const containerOf = (index: number): { wiring: EvaluatorWiring; cache: EvaluatorCache } => {
    const existing = containers.get(index);
    if (existing) return existing;
    const created = {
      wiring: {
        config: config.runtime,
        roster,
        deps: {
          // Each shard's container paces itself to its share of the account's datapoint quotas, as the Lambda does.
          metrics: new CloudWatchMetricSource(cw.client(), {
            maxConcurrentRequests: config.runtime.evaluator.maxConcurrentRequests,
            logger: log,
            ...pacing(config.runtime.evaluator),
          }),
          store,
          workflow,
          log,
          emitMetrics: () => undefined,
          onEvaluated: (_slo: string, evaluations: readonly { readonly tenant: string }[]) => {
            for (const { tenant } of evaluations) evaluatedCount.set(tenant, (evaluatedCount.get(tenant) ?? 0) + 1);
          },
        },
      },
      cache: newEvaluatorCache(),
    };
    containers.set(index, created);
    return created;
  };

  // The discovery is its own function invocation: its own metric source, sharing the account's CloudWatch.
  const discoveryMetrics = new CloudWatchMetricSource(cw.client(), { maxConcurrentRequests: config.runtime.evaluator.maxConcurrentRequests, logger: log });
  const discover = async (input: Json): Promise<Json> => {
    const started = performance.now();
    try {
      await options.hooks?.beforeDiscover?.(tickMinute);
      const report = await runTenantDiscovery(input, BENCH_START + tickMinute * MINUTE_MS, { config: config.runtime, deps: { metrics: discoveryMetrics, log }, roster });
      discovery = { wallMs: performance.now() - started, listed: report.slos.reduce<number | null>((sum, s) => (s.tenants === null ? sum : (sum ?? 0) + s.tenants), null), error: null };
      return { discoveredAt: report.discoveredAt };
    } catch (error) {
      discovery = { wallMs: performance.now() - started, listed: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      throw error;
    }
  };

  // The roster check; a tick that lists nothing records it as its discovery, which listed nothing.
  const check = async (input: Json): Promise<Json> => {
    const started = performance.now();
    const result = await runRosterCheck(input, BENCH_START + tickMinute * MINUTE_MS, { config: config.runtime, deps: { log }, roster });
    if (!result.due) discovery = { wallMs: performance.now() - started, listed: null, error: null };
    return { ...result };
  };

  const evaluateShard = (input: Json): Promise<Json> => {
    const invocation = invokeShard(input, tickMinute, shardRuns);
    running.add(invocation);
    void invocation.catch(() => undefined).finally(() => running.delete(invocation));
    return invocation;
  };
  const invokeShard = async (input: Json, minute: number, runs: ShardRun[]): Promise<Json> => {
    const shard = (input as { shard?: ShardSpec }).shard;
    const index = shard?.index ?? -1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const started = performance.now();
    const now = BENCH_START + minute * MINUTE_MS;
    try {
      if (shard) await options.hooks?.beforeShard?.(shard, minute);
      const { wiring, cache } = containerOf(index);
      const report = await runEvaluatorTick(input, now, wiring, cache);
      const slo = report.slos[0];
      runs.push({
        index,
        wallMs: performance.now() - started,
        tenants: slo?.tenants ?? 0,
        evaluated: slo?.evaluated ?? 0,
        warming: slo?.warming ?? 0,
        failed: slo?.failures.length ?? 0,
        getMetricDataCalls: slo?.fetch.calls ?? 0,
        throttledRetries: slo?.fetch.throttledRetries ?? 0,
        incidentsOpened: slo?.incidentsOpened ?? [],
        error: null,
      });
      // The Map discards the result (ResultPath null): a small summary keeps the local run's memory down.
      return { shard: index, evaluated: slo?.evaluated ?? 0 };
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      runs.push({ index, wallMs: performance.now() - started, tenants: 0, evaluated: 0, warming: 0, failed: 0, getMetricDataCalls: 0, throttledRetries: 0, incidentsOpened: [], error: reason });
      throw error;
    } finally {
      inFlight -= 1;
    }
  };

  const ticks: FanoutTick[] = [];
  for (const minute of options.minutes) {
    tickMinute = minute;
    clock.at = BENCH_START + minute * MINUTE_MS;
    evaluatedCount = new Map();
    shardRuns = [];
    discovery = null;
    maxInFlight = 0;
    const starts = workflow.started.length;
    const counters = { ...cw.counters };
    const recentBefore = cw.recentDatapointsReturned;
    const serviceMicros = cw.serviceCpuMicros;
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    const execution = machine.run(
      { time: new Date(BENCH_START + minute * MINUTE_MS).toISOString() },
      {
        overrides: {
          taskResourceLocalHandlers: {
            [DISCOVER_STATE]: check,
            [LIST_TENANTS_FIRST_STATE]: discover,
            [LIST_TENANTS_BESIDE_STATE]: discover,
            [SHARD_TASK_STATE]: evaluateShard,
          },
          retryIntervalOverrides: { [DISCOVER_STATE]: 0, [LIST_TENANTS_FIRST_STATE]: 0, [LIST_TENANTS_BESIDE_STATE]: 0, [SHARD_TASK_STATE]: 0 },
        },
      },
    );
    let error: string | null = null;
    try {
      await execution.result;
    } catch (caught) {
      error = describeExecutionError(caught);
    }
    const wallMs = performance.now() - wallStart;
    const finishedInTime = shardRuns.length;
    await Promise.allSettled([...running]);
    const cpu = process.cpuUsage(cpuStart);
    const evaluatedTimes = [...evaluatedCount.values()];
    const slowest = shardRuns.reduce<ShardRun | null>((max, run) => (max === null || run.wallMs > max.wallMs ? run : max), null);
    ticks.push({
      minute,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000 - (cw.serviceCpuMicros - serviceMicros) / 1000),
      succeeded: error === null,
      error,
      discovery: roundedDiscovery(discovery),
      shards: [...shardRuns].sort((a, b) => a.index - b.index),
      shardsFinished: finishedInTime,
      shardsFinishedAfterEnd: shardRuns.length - finishedInTime,
      maxConcurrentShardsObserved: maxInFlight,
      slowestShardMs: Math.round(slowest?.wallMs ?? 0),
      getMetricDataCalls: cw.counters.calls - counters.calls,
      throttled: cw.counters.throttled - counters.throttled,
      listMetricsCalls: cw.counters.listMetricsCalls - counters.listMetricsCalls,
      metricsRequested: cw.counters.metricsRequested - counters.metricsRequested,
      datapoints: cw.counters.datapointsReturned - counters.datapointsReturned,
      recentDatapoints: cw.recentDatapointsReturned - recentBefore,
      tenantsEvaluated: evaluatedTimes.reduce((sum, times) => sum + times, 0),
      tenantsWarming: shardRuns.reduce((sum, run) => sum + run.warming, 0),
      distinctTenantsEvaluated: evaluatedCount.size,
      tenantsEvaluatedMoreThanOnce: evaluatedTimes.filter((times) => times > 1).length,
      incidentsOpened: shardRuns.flatMap((run) => run.incidentsOpened),
      workflowStarts: workflow.started.slice(starts),
      withinMinute: error === null && wallMs <= 60_000,
    });
    options.hooks?.afterTick?.(ticks[ticks.length - 1] as FanoutTick);
  }
  return {
    tenants: options.tenants,
    shards: options.shards,
    maxConcurrentShards: options.maxConcurrentShards,
    latency: options.latency,
    maxTps: options.maxTps,
    maxDps: options.maxDps,
    timeoutSeconds: definition.TimeoutSeconds ?? 0,
    ticks,
    loadSeconds: Math.round(loadSeconds * 10) / 10,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    warnings: log.warnings,
    firstProblems: log.firstProblems,
  };
}

function roundedDiscovery(run: DiscoveryRun | null): DiscoveryRun | null {
  return run === null ? null : { ...run, wallMs: Math.round(run.wallMs) };
}

/** `EvaluatorShardsFailed: <cause>` for a failed execution, or the timeout / abort as the library reports it. */
function describeExecutionError(caught: unknown): string {
  if (!(caught instanceof Error)) return String(caught);
  const inner = (caught as { cause?: unknown }).cause;
  if (inner instanceof Error) {
    const cause = (inner as { cause?: unknown }).cause;
    return `${inner.name}: ${typeof cause === 'string' ? cause : inner.message}`;
  }
  return `${caught.name}: ${caught.message}`;
}

/** The largest tenant count each tick's demand allows under `quotas`, with the simulated latency. */
export function capacityOf(run: FanoutRun, tick: FanoutTick, quotas: AccountQuotas): TenantCapacity {
  const slowest = tick.shards.reduce<ShardRun | null>((max, s) => (max === null || s.wallMs > max.wallMs ? s : max), null);
  return tenantCapacity(
    {
      tenants: run.tenants,
      getMetricDataCalls: tick.getMetricDataCalls,
      datapoints: tick.datapoints,
      recentDatapoints: tick.recentDatapoints,
      discovered: tick.listMetricsCalls > 0,
      listMetricsLatencyMs: (run.latency.minMs + run.latency.maxMs) / 2,
      slowestShardMs: slowest?.wallMs ?? 0,
      slowestShardTenants: slowest?.tenants ?? 0,
    },
    quotas,
  );
}

interface NestedState {
  TimeoutSeconds?: number;
  Branches?: { States: Record<string, NestedState> }[];
  ItemProcessor?: { States: Record<string, NestedState> };
}

/** The state named `name`, at the top level or inside a Parallel's branches or a Map's item processor. */
function findState(states: Record<string, NestedState>, name: string): NestedState | undefined {
  const found = states[name];
  if (found) return found;
  for (const state of Object.values(states)) {
    for (const nested of [...(state.Branches ?? []), ...(state.ItemProcessor ? [state.ItemProcessor] : [])]) {
      const inner = findState(nested.States, name);
      if (inner) return inner;
    }
  }
  return undefined;
}
