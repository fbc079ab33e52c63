/**
 * The cost model: what a month of ticks costs at list prices (bench/prices.ts), from usage per tick measured by
 * the benchmark. Pure arithmetic, so the figures can be checked by hand and tested.
 *
 * A month is 30 days of one tick a minute (43,200 ticks), the SLO period. CloudWatch prorates custom metrics by
 * the hour over a 730-hour billing month.
 */
import type { PriceTier, Prices } from './prices';

export const TICKS_PER_MONTH = 30 * 24 * 60;
export const HOURS_PER_MONTH = 30 * 24;
/** CloudWatch's billing month for prorating custom metrics. */
export const BILLING_HOURS_PER_MONTH = 730;
/** Lambda gives one full vCPU at 1,769 MB; CPU share scales with memory below that. */
export const LAMBDA_MB_PER_VCPU = 1769;
/** Lambda memory sizes the cost model picks from (MB). */
const LAMBDA_MEMORY_STEPS = [1024, 2048, 3008, 4096, 6144, 8192, 10240];
const GB = 1024 ** 3;

/** Usage of the whole deployment (all tenants), per tick, amortised over the hour. */
export interface TickUsage {
  readonly tenants: number;
  /** MetricStat queries sent to GetMetricData (the billed unit). */
  readonly metricsRequested: number;
  readonly listMetricsCalls: number;
  readonly dynamoWriteUnits: number;
  readonly dynamoReadUnits: number;
  /** Billed Lambda duration of the tick, seconds. */
  readonly lambdaSeconds: number;
  readonly lambdaMemoryMb: number;
  /** Bytes of Embedded Metric Format log lines printed. */
  readonly emfBytes: number;
}

/** Usage that is not per tick. */
export interface StandingUsage {
  /** Distinct custom metrics published in an hour (each billed for that hour). */
  readonly customMetricsPerHour: number;
  /** Bytes held in the table in steady state (tenant states plus history items until their TTL). */
  readonly dynamoStoredBytes: number;
}

export interface CostBreakdown {
  readonly getMetricData: number;
  readonly listMetrics: number;
  readonly customMetrics: number;
  readonly emfLogs: number;
  readonly dynamoWrites: number;
  readonly dynamoReads: number;
  readonly dynamoStorage: number;
  readonly lambdaDuration: number;
  readonly lambdaRequests: number;
}

export interface MonthlyCost {
  /** USD per month for the whole deployment, per line item. */
  readonly breakdown: CostBreakdown;
  readonly totalUsd: number;
  readonly perTenantUsd: number;
}

/** Cost of `units` a month under tiered prices (each tier billed at its own rate). */
export function tieredCost(units: number, tiers: readonly PriceTier[]): number {
  let cost = 0;
  let below = 0;
  for (const tier of tiers) {
    const ceiling = tier.upTo ?? Infinity;
    const inTier = Math.max(0, Math.min(units, ceiling) - below);
    cost += inTier * tier.usdPerUnit;
    below = ceiling;
    if (units <= ceiling) break;
  }
  return cost;
}

export function monthlyCost(perTick: TickUsage, standing: StandingUsage, prices: Prices): MonthlyCost {
  if (!(perTick.tenants > 0)) throw new RangeError(`tenants must be greater than 0; got ${perTick.tenants}`);
  const ticks = TICKS_PER_MONTH;
  const metricMonths = (standing.customMetricsPerHour * HOURS_PER_MONTH) / BILLING_HOURS_PER_MONTH;
  const breakdown: CostBreakdown = {
    getMetricData: perTick.metricsRequested * ticks * prices.cloudwatch.getMetricDataPerMetricRequested,
    listMetrics: perTick.listMetricsCalls * ticks * prices.cloudwatch.apiRequest,
    // Tiers apply to the account's metric count; these are the evaluator's metrics alone.
    customMetrics: tieredCost(metricMonths, prices.cloudwatch.customMetricMonthTiers),
    emfLogs: ((perTick.emfBytes * ticks) / GB) * prices.cloudwatch.logsIngestionPerGb,
    dynamoWrites: perTick.dynamoWriteUnits * ticks * prices.dynamodb.writeRequestUnit,
    dynamoReads: perTick.dynamoReadUnits * ticks * prices.dynamodb.readRequestUnit,
    dynamoStorage: (standing.dynamoStoredBytes / GB) * prices.dynamodb.storagePerGbMonth,
    lambdaDuration: perTick.lambdaSeconds * (perTick.lambdaMemoryMb / 1024) * ticks * prices.lambda.arm64PerGbSecond,
    lambdaRequests: ticks * prices.lambda.request,
  };
  const totalUsd = Object.values(breakdown).reduce((sum, usd) => sum + usd, 0);
  return { breakdown, totalUsd, perTenantUsd: totalUsd / perTick.tenants };
}

/** The smallest Lambda memory size (of the usual steps, at least `configuredMb`) that holds `peakRssMb` with 10 % headroom. */
export function lambdaMemoryFor(peakRssMb: number, configuredMb: number): number {
  const needed = peakRssMb / 0.9;
  if (needed <= configuredMb) return configuredMb;
  return LAMBDA_MEMORY_STEPS.find((step) => step >= needed && step >= configuredMb) ?? LAMBDA_MEMORY_STEPS[LAMBDA_MEMORY_STEPS.length - 1]!;
}

/**
 * Billed seconds of a tick: the wall time measured here, or the CPU time stretched to the Lambda's CPU share when
 * that is longer (below 1,769 MB a function has less than one vCPU).
 */
export function lambdaBilledSeconds(wallMs: number, cpuMs: number, memoryMb: number): number {
  const cpuShare = Math.min(1, memoryMb / LAMBDA_MB_PER_VCPU);
  return Math.max(wallMs, cpuMs / cpuShare) / 1000;
}

/** The custom metrics one tick published, by identity (namespace, dimensions, name). */
export interface PublishedMetrics {
  readonly minute: number;
  readonly metrics: readonly string[];
}

/**
 * Distinct custom metrics published over the measured ticks (each is billed for every hour it is published in).
 * Exact over a full hour; a lower bound when the hour was sampled, since the ticks not run may publish others.
 */
export function customMetricsPerHour(ticks: readonly PublishedMetrics[]): number {
  return new Set(ticks.flatMap((t) => t.metrics)).size;
}

/** Table bytes in steady state: one state item per tenant, and each history item kept for `historyTtlDays`. */
export function storedBytes(tenants: number, stateItemBytes: number, historyWritesPerTick: number, historyItemBytes: number, historyTtlDays: number): number {
  return tenants * stateItemBytes + historyWritesPerTick * 24 * 60 * historyTtlDays * historyItemBytes;
}

// ---------------------------------------------------------------------------------------------------------
// How far one account's default quotas go
// ---------------------------------------------------------------------------------------------------------

export interface QuotaInputs {
  /** GetMetricData transactions per second. */
  readonly getMetricDataTps: number;
  /** GetMetricData datapoints per second (for StartTime more than 3 hours back). */
  readonly getMetricDataDps: number;
  readonly queriesPerCall: number;
  readonly datapointsPerCall: number;
  /** MetricDataQuery structures per tenant per tick (MetricStats and expressions). */
  readonly queriesPerTenantPerTick: number;
  /** Datapoints returned per tenant per tick. */
  readonly datapointsPerTenantPerTick: number;
  readonly tickSeconds: number;
}

export interface QuotaLimits {
  /** TPS x queries per call x seconds per tick / queries per tenant per tick. */
  readonly byTpsAndQueries: number;
  /** The same with the 100,800-datapoint limit per call instead, when it binds first. */
  readonly byTpsAndDatapointsPerCall: number;
  /** DPS x seconds per tick / datapoints per tenant per tick. */
  readonly byDps: number;
  readonly limit: number;
}

export function tenantsWithinQuotas(q: QuotaInputs): QuotaLimits {
  const callsPerTick = q.getMetricDataTps * q.tickSeconds;
  const byTpsAndQueries = Math.floor((callsPerTick * q.queriesPerCall) / q.queriesPerTenantPerTick);
  const byTpsAndDatapointsPerCall = Math.floor((callsPerTick * q.datapointsPerCall) / q.datapointsPerTenantPerTick);
  const byDps = Math.floor((q.getMetricDataDps * q.tickSeconds) / q.datapointsPerTenantPerTick);
  return { byTpsAndQueries, byTpsAndDatapointsPerCall, byDps, limit: Math.min(byTpsAndQueries, byTpsAndDatapointsPerCall, byDps) };
}
