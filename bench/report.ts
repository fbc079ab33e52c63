/**
 * Turns measured ticks into the figures the bench prints: per-tick means weighted by how often each tick kind
 * occurs in the hour (the `steady` plan: the mean over its second hour), the warm-up of the cold container the run
 * starts with, the cost per tenant and month, and the ratios between the naive baseline and Burnwatch.
 */
import { writeUnits, readUnits } from './counting-state-store';
import { customMetricsPerHour, lambdaBilledSeconds, lambdaMemoryFor, monthlyCost, storedBytes } from './cost';
import type { MonthlyCost } from './cost';
import type { RunMeasurement, TickSample } from './harness';
import { capacityOf } from './fanout';
import type { FanoutRun } from './fanout';
import { PRICES } from './prices';
import { DEFAULT_QUOTAS } from './quotas';
import type { AccountQuotas } from './quotas';

/**
 * The warm-up of the cold container each run starts with: the ticks from the first up to and including the first
 * tick that evaluated every tenant (none warming, evaluated + failed = tenants). With the whole history read at
 * once that is the first tick alone; with a warm-up budget per tick, the ticks that fill the caches in parts.
 */
export interface WarmupFigures {
  readonly ticks: number;
  /** False when no measured tick evaluated every tenant: the figures then cover every tick run. */
  readonly completed: boolean;
  readonly fromMinute: number;
  readonly toMinute: number;
  readonly maxTickWallMs: number;
  readonly maxTickCpuMs: number;
  /** Datapoints GetMetricData returned over the warm-up ticks together. */
  readonly datapoints: number;
  readonly datapointsPerTenant: number;
  readonly getMetricDataCalls: number;
  readonly tenantsEvaluatedPerTick: readonly number[];
  readonly tenantsWarmingPerTick: readonly number[];
}

export interface Figures {
  readonly tenants: number;
  /** Mean wall time of a tick, weighted over the hour. */
  readonly wallMsPerTick: number;
  /** Mean CPU of a tick, the simulated CloudWatch's own work excluded. */
  readonly cpuMsPerTick: number;
  /** Peak resident set of the process (kernel maxRSS): evaluator, local CloudWatch data and state store. */
  readonly peakRssMb: number;
  readonly getMetricDataCallsPerTick: number;
  readonly metricsRequestedPerTenantPerTick: number;
  /** DynamoDB write requests (tenant states, history items, incidents) per tick. */
  readonly dynamoWritesPerTick: number;
  readonly costPerTenantMonthUsd: number;
  // Beyond the headline figures:
  readonly maxTickWallMs: number;
  readonly maxTickCpuMs: number;
  readonly serviceCpuMsPerTick: number;
  readonly baselineRssMb: number;
  /** Largest V8 heap in use after a full GC between ticks; the first tick's baseline heap included. */
  readonly retainedHeapMb: number;
  readonly baselineHeapMb: number;
  readonly datapointsPerTenantPerTick: number;
  readonly throttledCallsPerTick: number;
  readonly listMetricsCallsPerTick: number;
  /** Tenant-state writes per tenant and tick (history and incident writes not included). */
  readonly stateWritesPerTenantTick: number;
  /** Every DynamoDB write request per tenant and tick. */
  readonly dynamoWritesPerTenantTick: number;
  readonly dynamoReadUnitsPerTick: number;
  readonly tenantsFailedPerTick: number;
  readonly customMetricsPerHour: number;
  readonly lambdaMemoryMb: number;
  readonly lambdaBilledSecondsPerTick: number;
  readonly ticksSimulated: number;
  /** Ticks the per-tick figures are the (weighted) mean of, and their minutes: every tick but the `steady` plan's first hour. */
  readonly ticksAmortised: number;
  readonly amortisedFromMinute: number;
  readonly amortisedToMinute: number;
  readonly warmup: WarmupFigures;
  readonly plan: string;
  readonly store: string;
  readonly cost: MonthlyCost;
  readonly problems: readonly string[];
}

/** A run whose figures cannot be worked out (no tick with a weight to amortise): says which run and why. */
export class BenchSummaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchSummaryError';
  }
}

/** The ticks the per-tick figures amortise: those with a weight (all but the `steady` plan's first hour). */
export function amortisedTicks(samples: readonly TickSample[]): TickSample[] {
  return samples.filter((sample) => sample.weight > 0);
}

/** True when the tick evaluated (or failed) every one of `tenants` and left none waiting for its warm-up. */
export function evaluatedEveryTenant(sample: TickSample, tenants: number): boolean {
  return sample.tenantsWarming === 0 && sample.tenantsEvaluated + sample.tenantsFailed === tenants;
}

/**
 * The warm-up ticks in run order: from the first tick up to and including the first that evaluated every tenant,
 * or every tick when none did (`completed` false).
 */
export function warmupTicks(samples: readonly TickSample[], tenants: number): { readonly ticks: readonly TickSample[]; readonly completed: boolean } {
  const end = samples.findIndex((sample) => evaluatedEveryTenant(sample, tenants));
  return end === -1 ? { ticks: samples, completed: false } : { ticks: samples.slice(0, end + 1), completed: true };
}

function largest(values: readonly number[]): number {
  return values.length === 0 ? 0 : Math.max(...values);
}

export function warmupFigures(samples: readonly TickSample[], tenants: number): WarmupFigures {
  const { ticks, completed } = warmupTicks(samples, tenants);
  const datapoints = ticks.reduce((sum, s) => sum + s.datapoints, 0);
  return {
    ticks: ticks.length,
    completed,
    fromMinute: ticks[0]?.minute ?? 0,
    toMinute: ticks[ticks.length - 1]?.minute ?? 0,
    maxTickWallMs: round(largest(ticks.map((s) => s.wallMs)), 0),
    maxTickCpuMs: round(largest(ticks.map((s) => s.cpuMs)), 0),
    datapoints,
    datapointsPerTenant: round(datapoints / tenants, 1),
    getMetricDataCalls: ticks.reduce((sum, s) => sum + s.getMetricDataCalls, 0),
    tenantsEvaluatedPerTick: ticks.map((s) => s.tenantsEvaluated),
    tenantsWarmingPerTick: ticks.map((s) => s.tenantsWarming),
  };
}

function weightedMean(samples: readonly TickSample[], value: (sample: TickSample) => number): number {
  const weight = samples.reduce((sum, s) => sum + s.weight, 0);
  return samples.reduce((sum, s) => sum + s.weight * value(s), 0) / weight;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * The figures of one run. Per-tick figures are weighted means over the amortised ticks (for the `steady` plan the
 * second hour, minutes 60 to 119, each weight 1); peak RSS, the heap kept and the warm-up cover every tick run.
 */
export function summarise(run: RunMeasurement): Figures {
  const tenants = run.options.tenants;
  const samples = amortisedTicks(run.samples);
  if (samples.length === 0) {
    throw new BenchSummaryError(`${run.options.mode} at ${tenants} tenants (${run.options.plan} plan): no tick with a weight above 0 among the ${run.samples.length} run`);
  }
  const mean = (value: (sample: TickSample) => number): number => weightedMean(samples, value);
  const memoryMb = lambdaMemoryFor(run.peakRssMb, run.lambdaMemoryMb);
  const lambdaSeconds = mean((s) => lambdaBilledSeconds(s.wallMs, s.cpuMs, memoryMb));
  const writeUnitsPerTick = mean(
    (s) =>
      s.store.tenantStateWrites * writeUnits(run.stateItemBytes) +
      s.store.historyWrites * writeUnits(run.historyItemBytes) +
      s.store.incidentWrites * writeUnits(1024),
  );
  const readUnitsPerTick = mean((s) => s.store.keysRead * readUnits(run.stateItemBytes));
  const historyWritesPerTick = mean((s) => s.store.historyWrites);
  const perTick = {
    tenants,
    metricsRequested: mean((s) => s.metricsRequested),
    listMetricsCalls: mean((s) => s.listMetricsCalls),
    dynamoWriteUnits: writeUnitsPerTick,
    dynamoReadUnits: readUnitsPerTick,
    lambdaSeconds,
    lambdaMemoryMb: memoryMb,
    emfBytes: mean((s) => s.emfBytes),
  };
  const publishedPerHour = customMetricsPerHour(samples.map((s) => ({ minute: s.minute, metrics: s.customMetrics })));
  const cost = monthlyCost(
    perTick,
    {
      customMetricsPerHour: publishedPerHour,
      dynamoStoredBytes: storedBytes(tenants, run.stateItemBytes, historyWritesPerTick, run.historyItemBytes, run.historyTtlDays),
    },
    PRICES,
  );
  return {
    tenants,
    wallMsPerTick: round(mean((s) => s.wallMs), 0),
    cpuMsPerTick: round(mean((s) => s.cpuMs), 0),
    peakRssMb: run.peakRssMb,
    getMetricDataCallsPerTick: round(mean((s) => s.getMetricDataCalls), 2),
    metricsRequestedPerTenantPerTick: round(perTick.metricsRequested / tenants, 3),
    dynamoWritesPerTick: round(mean((s) => s.store.writeRequests), 1),
    costPerTenantMonthUsd: round(cost.perTenantUsd, 5),
    maxTickWallMs: round(Math.max(...samples.map((s) => s.wallMs)), 0),
    maxTickCpuMs: round(Math.max(...samples.map((s) => s.cpuMs)), 0),
    serviceCpuMsPerTick: round(mean((s) => s.serviceCpuMs), 0),
    baselineRssMb: run.baselineRssMb,
    retainedHeapMb: largest(run.samples.map((s) => s.retainedHeapMb)),
    baselineHeapMb: run.baselineHeapMb,
    datapointsPerTenantPerTick: round(mean((s) => s.datapoints) / tenants, 1),
    throttledCallsPerTick: round(mean((s) => s.throttled), 2),
    listMetricsCallsPerTick: round(perTick.listMetricsCalls, 2),
    stateWritesPerTenantTick: round(mean((s) => s.store.tenantStateWrites) / tenants, 5),
    dynamoWritesPerTenantTick: round(mean((s) => s.store.writeRequests) / tenants, 5),
    dynamoReadUnitsPerTick: round(readUnitsPerTick, 1),
    tenantsFailedPerTick: round(mean((s) => s.tenantsFailed), 2),
    customMetricsPerHour: publishedPerHour,
    lambdaMemoryMb: memoryMb,
    lambdaBilledSecondsPerTick: round(lambdaSeconds, 2),
    ticksSimulated: run.samples.length,
    ticksAmortised: samples.length,
    amortisedFromMinute: Math.min(...samples.map((s) => s.minute)),
    amortisedToMinute: Math.max(...samples.map((s) => s.minute)),
    warmup: warmupFigures(run.samples, tenants),
    plan: run.options.plan,
    store: run.options.store,
    cost,
    problems: run.firstProblems,
  };
}

/** The JSON object `--json` prints for one tenant count. */
export interface BenchJson extends Figures {
  readonly baseline: Figures;
  /** baseline / Burnwatch for each headline figure. */
  readonly ratios: Readonly<Record<RatioField, number>>;
  readonly burnMathMicrosPerTenantTick?: number;
}

export const RATIO_FIELDS = [
  'wallMsPerTick',
  'cpuMsPerTick',
  'peakRssMb',
  'getMetricDataCallsPerTick',
  'metricsRequestedPerTenantPerTick',
  'dynamoWritesPerTick',
  'costPerTenantMonthUsd',
] as const;
export type RatioField = (typeof RATIO_FIELDS)[number];

export function ratios(burnwatch: Figures, baseline: Figures): Record<RatioField, number> {
  const entries = RATIO_FIELDS.map((field) => [field, burnwatch[field] === 0 ? Infinity : round(baseline[field] / burnwatch[field], 2)]);
  return Object.fromEntries(entries) as Record<RatioField, number>;
}

// ---------------------------------------------------------------------------------------------------------
// Text table
// ---------------------------------------------------------------------------------------------------------

const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Row {
  readonly label: string;
  readonly value: (f: Figures) => string;
}

const ROWS: readonly Row[] = [
  { label: 'ticks simulated (plan)', value: (f) => `${f.ticksSimulated} (${f.plan})` },
  { label: 'ticks in the figures (minutes)', value: (f) => `${f.ticksAmortised} (${f.amortisedFromMinute}-${f.amortisedToMinute})` },
  {
    label: 'warm-up ticks (slowest wall/CPU s)',
    value: (f) => `${f.warmup.ticks}${f.warmup.completed ? '' : '+'} (${fmt(f.warmup.maxTickWallMs / 1000, 1)}/${fmt(f.warmup.maxTickCpuMs / 1000, 1)})`,
  },
  { label: 'wall ms per tick (mean)', value: (f) => fmt(f.wallMsPerTick) },
  { label: 'wall ms, slowest tick', value: (f) => fmt(f.maxTickWallMs) },
  { label: 'CPU ms per tick (evaluator)', value: (f) => fmt(f.cpuMsPerTick) },
  { label: 'CPU ms, slowest tick', value: (f) => fmt(f.maxTickCpuMs) },
  { label: 'CPU ms per tick (local CW)', value: (f) => fmt(f.serviceCpuMsPerTick) },
  { label: 'peak RSS MB (before ticks)', value: (f) => `${fmt(f.peakRssMb)} (${fmt(f.baselineRssMb)})` },
  { label: 'heap kept between ticks MB', value: (f) => `${fmt(f.retainedHeapMb)} (${fmt(f.baselineHeapMb)})` },
  { label: 'GetMetricData calls/tick', value: (f) => fmt(f.getMetricDataCallsPerTick, 1) },
  { label: 'throttled calls/tick', value: (f) => fmt(f.throttledCallsPerTick, 2) },
  { label: 'metrics req./tenant/tick', value: (f) => fmt(f.metricsRequestedPerTenantPerTick, 3) },
  { label: 'datapoints/tenant/tick', value: (f) => fmt(f.datapointsPerTenantPerTick, 1) },
  { label: 'DynamoDB writes/tick', value: (f) => fmt(f.dynamoWritesPerTick, 1) },
  { label: 'state writes/tenant-tick', value: (f) => `1/${fmt(1 / f.stateWritesPerTenantTick, 1)}` },
  { label: 'all writes/tenant-tick', value: (f) => `1/${fmt(1 / f.dynamoWritesPerTenantTick, 1)}` },
  { label: 'tenants failed/tick', value: (f) => fmt(f.tenantsFailedPerTick, 2) },
  { label: 'custom metrics/hour (EMF)', value: (f) => fmt(f.customMetricsPerHour) },
  { label: 'Lambda MB, billed s/tick', value: (f) => `${fmt(f.lambdaMemoryMb)}, ${fmt(f.lambdaBilledSecondsPerTick, 1)}` },
  { label: 'USD per tenant-month', value: (f) => `$${f.costPerTenantMonthUsd.toFixed(4)}` },
  { label: '  GetMetricData', value: (f) => `$${(f.cost.breakdown.getMetricData / f.tenants).toFixed(4)}` },
  { label: '  DynamoDB', value: (f) => `$${((f.cost.breakdown.dynamoWrites + f.cost.breakdown.dynamoReads + f.cost.breakdown.dynamoStorage) / f.tenants).toFixed(4)}` },
  { label: '  Lambda', value: (f) => `$${((f.cost.breakdown.lambdaDuration + f.cost.breakdown.lambdaRequests) / f.tenants).toFixed(4)}` },
  { label: '  custom metrics + EMF logs', value: (f) => `$${((f.cost.breakdown.customMetrics + f.cost.breakdown.emfLogs) / f.tenants).toFixed(4)}` },
  { label: '  ListMetrics', value: (f) => `$${(f.cost.breakdown.listMetrics / f.tenants).toFixed(5)}` },
];

export interface TableColumn {
  readonly title: string;
  readonly figures: Figures | null;
  /** Why there are no figures (the run failed). */
  readonly failure?: string;
}

export function renderTable(columns: readonly TableColumn[]): string {
  const labelWidth = Math.max(...ROWS.map((r) => r.label.length)) + 2;
  const cells = columns.map((c) => [c.title, ...ROWS.map((r) => (c.figures ? r.value(c.figures) : r === ROWS[0] ? 'failed' : '-'))]);
  const widths = cells.map((column) => Math.max(...column.map((cell) => cell.length)) + 2);
  const line = (label: string, index: number): string =>
    label.padEnd(labelWidth) + cells.map((column, c) => (column[index] ?? '').padStart(widths[c] ?? 0)).join('');
  return [line('', 0), ...ROWS.map((row, i) => line(row.label, i + 1))].join('\n');
}

/** Per-tick lists longer than this are cut in the warm-up line (a warm-up that never completes lists every tick). */
const WARMUP_TICKS_LISTED = 8;

/** One line on the warm-up of the run behind `figures`: how long, how slow, how much it read, how it filled. */
export function renderWarmup(title: string, figures: Figures): string {
  const w = figures.warmup;
  const list = (values: readonly number[]): string =>
    values.slice(0, WARMUP_TICKS_LISTED).map((value) => fmt(value)).join(' / ') + (values.length > WARMUP_TICKS_LISTED ? ' ...' : '');
  const minutes = w.fromMinute === w.toMinute ? `minute ${w.fromMinute}` : `minutes ${w.fromMinute}-${w.toMinute}`;
  const span = w.completed
    ? `${w.ticks} tick${w.ticks === 1 ? '' : 's'} (${minutes})`
    : `NOT completed in the ${w.ticks} tick${w.ticks === 1 ? '' : 's'} run (${minutes})`;
  return (
    `Warm-up of ${title}: ${span}; slowest tick ${fmt(w.maxTickWallMs / 1000, 1)} s wall, ${fmt(w.maxTickCpuMs / 1000, 1)} s CPU; ` +
    `${fmt(w.datapoints)} datapoints (${fmt(w.datapointsPerTenant, 1)} per tenant) in ${fmt(w.getMetricDataCalls)} calls; ` +
    `tenants evaluated per tick ${list(w.tenantsEvaluatedPerTick)}, warming ${list(w.tenantsWarmingPerTick)}`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Fan-out run
// ---------------------------------------------------------------------------------------------------------

/** The `--fanout` report: per tick, what the sharded execution did, and the largest tenant count the quotas allow. */
export function renderFanout(run: FanoutRun, simulated: AccountQuotas): string {
  const lines = [
    `Fan-out: ${fmt(run.tenants)} tenants, ${run.shards} shards, MaxConcurrency ${run.maxConcurrentShards}; latency ${run.latency.minMs}-${run.latency.maxMs} ms; ` +
      `GetMetricData ${run.maxTps} TPS shared by every shard; execution timeout ${run.timeoutSeconds} s; world loaded in ${run.loadSeconds} s; peak RSS ${fmt(run.peakRssMb)} MB`,
    'All shards run in this one process (one CPU between them; in AWS each has its own): wall time is an upper bound where CPU dominates.',
  ];
  for (const tick of run.ticks) {
    const perShard = tick.shards.length > 0 ? tick.shards.map((s) => s.wallMs) : [0];
    lines.push(
      '',
      `Tick at minute ${tick.minute}: ${tick.succeeded ? 'succeeded' : `FAILED (${(tick.error ?? '').slice(0, 300)})`}; ` +
        `wall ${fmt(tick.wallMs / 1000, 1)} s (${tick.withinMinute ? 'within' : 'NOT within'} the minute); CPU ${fmt(tick.cpuMs / 1000, 1)} s (evaluator, every shard)`,
      `  shards finished ${tick.shardsFinished}/${run.shards} in the execution (${tick.shardsFinishedAfterEnd} more after it ended); at most ${tick.maxConcurrentShardsObserved} at once; shard wall s min/max ` +
        `${fmt(Math.min(...perShard) / 1000, 1)}/${fmt(tick.slowestShardMs / 1000, 1)}`,
      `  tenants evaluated ${fmt(tick.tenantsEvaluated)} (distinct ${fmt(tick.distinctTenantsEvaluated)}, more than once ${tick.tenantsEvaluatedMoreThanOnce}), ` +
        `warming ${fmt(tick.tenantsWarming)}; ` +
        `incidents opened ${tick.incidentsOpened.length}; workflow starts ${tick.workflowStarts.length}`,
      `  GetMetricData calls ${fmt(tick.getMetricDataCalls)}, throttled ${fmt(tick.throttled)}; ListMetrics calls ${fmt(tick.listMetricsCalls)}; ` +
        `metrics requested ${fmt(tick.metricsRequested)}; datapoints ${fmt(tick.datapoints)} (${fmt(tick.datapoints / run.tenants, 1)} per tenant)`,
    );
    for (const [label, quotas] of [
      [`default quotas (GetMetricData ${DEFAULT_QUOTAS.getMetricDataTps} TPS, ListMetrics ${DEFAULT_QUOTAS.listMetricsTps} TPS)`, DEFAULT_QUOTAS],
      [`simulated quotas (${simulated.getMetricDataTps} TPS each)`, simulated],
    ] as const) {
      const capacity = capacityOf(run, tick, quotas);
      const bounds = Object.entries(capacity.bounds).map(([name, value]) => `${name} ${fmt(value)}`).join(', ');
      lines.push(`  largest tenant count in one minute, ${label}: ${fmt(capacity.largest)} (${capacity.bindingBound}); bounds: ${bounds}`);
    }
  }
  return lines.join('\n');
}
