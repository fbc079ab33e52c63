/**
 * Turns measured ticks into the figures the bench prints: per-tick means weighted by how often each tick kind
 * occurs in the hour, the cost per tenant and month, and the ratios between the naive baseline and Burnwatch.
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
  readonly plan: string;
  readonly store: string;
  readonly cost: MonthlyCost;
  readonly problems: readonly string[];
}

function weightedMean(samples: readonly TickSample[], value: (sample: TickSample) => number): number {
  const weight = samples.reduce((sum, s) => sum + s.weight, 0);
  return samples.reduce((sum, s) => sum + s.weight * value(s), 0) / weight;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function summarise(run: RunMeasurement): Figures {
  const { samples } = run;
  const tenants = run.options.tenants;
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
    retainedHeapMb: Math.max(...samples.map((s) => s.retainedHeapMb)),
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
    ticksSimulated: samples.length,
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
      `  tenants evaluated ${fmt(tick.tenantsEvaluated)} (distinct ${fmt(tick.distinctTenantsEvaluated)}, more than once ${tick.tenantsEvaluatedMoreThanOnce}); ` +
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
