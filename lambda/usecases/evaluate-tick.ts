/**
 * One evaluator tick: for every SLO, read every tenant's SLI counts, compute burn rates, move alert state with
 * conditional writes, group new burns into incidents and start the incident workflow. The same code runs in the
 * Lambda, the demo, the benchmark and (through its domain functions) the backtest.
 *
 * Query cost: CloudWatch bills GetMetricData per metric requested, whatever the number of datapoints. Each tick
 * asks for the fine (1-minute) series of the short windows only; the long windows and the period budget use an
 * hourly series that is fetched once per `slowRefreshMinutes` and cached between warm invocations. With the
 * default policy that is 2 metrics per tenant per tick plus 2 per hour: about 2.03 when amortised.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../domain/model';
import type {
  AlertTransition,
  CountSeries,
  RuntimeConfig,
  Severity,
  SloDefinition,
  TenantAlertState,
  TenantEvaluation,
} from '../domain/model';
import { evaluateTenant } from '../domain/rules';
import { nextAlertState } from '../domain/alert-state';
import type { TieredCounts } from '../domain/windows';
import type { FetchStats, Log, MetricSource, Notifier, StateStore, WorkflowStarter } from '../ports';
import { tenantsOfShard } from '../domain/shards';
import type { ShardSpec } from '../domain/shards';
import { describeError } from './describe-error';
import { applyIncidents } from './incident-grouping';
import type { PendingTransition } from './incident-grouping';

/** The fine series covers every rule window up to this length; longer windows combine it with the hourly series. */
export const FINE_HORIZON_LIMIT_MINUTES = 6 * 60;
const EMPTY_SERIES: CountSeries = { periodSeconds: 60, buckets: [] };
export const METRICS_NAMESPACE = 'Burnwatch';

export interface EvaluatorDeps {
  readonly metrics: MetricSource;
  readonly store: StateStore;
  readonly workflow: WorkflowStarter;
  readonly log: Log;
  /** Receives Embedded Metric Format documents (printed to stdout by the Lambda, where CloudWatch turns them into metrics). */
  readonly emitMetrics?: (documents: readonly Record<string, unknown>[]) => void;
  /** Announces tenants joining an open incident (`escalated`) and incidents resolving (`resolved`). */
  readonly notifier?: Notifier;
  /** Receives every tenant's evaluation of the tick (the demo charts them). */
  readonly onEvaluated?: (slo: string, evaluations: readonly TenantEvaluation[]) => void;
  /** Called for every alert transition after it is stored (the demo prints them). */
  readonly onTransition?: (event: TransitionEvent) => void;
}

export interface TransitionEvent {
  readonly slo: string;
  readonly tenant: string;
  readonly transition: Exclude<AlertTransition, 'none'>;
  readonly evaluation: TenantEvaluation;
  readonly state: TenantAlertState;
  readonly incidentId: string | null;
}

/** Kept in module scope by the handler so warm invocations reuse the tenant list and the hourly series. */
export interface EvaluatorCache {
  tenants: Map<string, { readonly list: readonly string[]; readonly fetchedAt: number }>;
  coarse: Map<string, { readonly fetchedAt: number; readonly to: number; readonly series: Map<string, CountSeries> }>;
}

export function newEvaluatorCache(): EvaluatorCache {
  return { tenants: new Map(), coarse: new Map() };
}

export interface SloTickReport {
  readonly slo: string;
  readonly tenants: number;
  readonly evaluated: number;
  readonly failures: readonly { readonly tenant: string; readonly reason: string }[];
  readonly levels: Readonly<Record<'ok' | Severity, number>>;
  readonly transitions: number;
  readonly stateWrites: number;
  readonly writeConflicts: number;
  readonly incidentsOpened: readonly string[];
  readonly incidentsJoined: readonly string[];
  readonly incidentsResolved: readonly string[];
  /** Alerts the notifier could not deliver (logged as errors; the handler fails the invocation so it is alarmed). */
  readonly alertFailures: number;
  readonly fetch: FetchStats;
}

export interface TickReport {
  readonly startedAt: number;
  readonly evaluatedAt: number;
  readonly slos: readonly SloTickReport[];
  /** SLOs not evaluated because the tick ran out of time, or whose evaluation failed as a whole. */
  readonly skipped: readonly { readonly slo: string; readonly reason: string }[];
}

export interface TickOptions {
  /** Time left in the invocation (the Lambda context's getRemainingTimeInMillis). */
  readonly remainingMs?: () => number;
  /** No new SLO evaluation starts with less than this much time left. @default 5000 */
  readonly reserveMs?: number;
  /** Per-tenant metrics published for at most this many tenants per SLO (worst burn first), to bound metric cost. */
  readonly tenantMetricsLimit?: number;
  /**
   * Evaluate only this shard's tenants (a stable hash of the tenant id modulo `count` equals `index`), when a
   * Step Functions Map fans the tick out over several invocations. Incident grouping still counts every tenant.
   * @default - every tenant
   */
  readonly shard?: ShardSpec;
}

/** The end (exclusive) of the evaluated windows: the last whole minute, minus the late-data delay. */
export function evaluationEnd(now: number, dataDelayMinutes: number): number {
  return Math.floor(now / MINUTE_MS) * MINUTE_MS - dataDelayMinutes * MINUTE_MS;
}

export function fineHorizonMinutes(slo: SloDefinition): number {
  const windows = slo.rules.flatMap((r) => [r.longWindowMinutes, r.shortWindowMinutes]);
  const fitting = windows.filter((w) => w <= FINE_HORIZON_LIMIT_MINUTES);
  return fitting.length > 0 ? Math.max(...fitting) : 60;
}

export async function evaluateTick(
  config: RuntimeConfig,
  deps: EvaluatorDeps,
  cache: EvaluatorCache,
  now: number,
  options: TickOptions = {},
): Promise<TickReport> {
  const reports: SloTickReport[] = [];
  const skipped: { slo: string; reason: string }[] = [];
  const end = evaluationEnd(now, config.evaluator.dataDelayMinutes);
  for (const slo of config.slos) {
    if (options.remainingMs !== undefined && options.remainingMs() < (options.reserveMs ?? 5_000)) {
      skipped.push({ slo: slo.name, reason: 'tick deadline reached before this SLO was evaluated' });
      deps.log.error('SLO skipped: tick deadline reached', { slo: slo.name });
      continue;
    }
    try {
      reports.push(await evaluateSlo(slo, config, deps, cache, now, end, options));
    } catch (error) {
      // One SLO failing as a whole (e.g. tenant discovery denied) must not stop the others.
      const reason = describeError(error);
      skipped.push({ slo: slo.name, reason });
      deps.log.error('SLO evaluation failed', { slo: slo.name, reason });
    }
  }
  return { startedAt: now, evaluatedAt: end, slos: reports, skipped };
}

async function resolveTenants(slo: SloDefinition, deps: EvaluatorDeps, cache: EvaluatorCache, now: number): Promise<readonly string[]> {
  if (slo.tenants.mode === 'list') return slo.tenants.tenants;
  const cached = cache.tenants.get(slo.name);
  if (cached && now - cached.fetchedAt < slo.tenants.refreshMinutes * MINUTE_MS) return cached.list;
  try {
    const list = await deps.metrics.listTenants(slo);
    cache.tenants.set(slo.name, { list, fetchedAt: now });
    return list;
  } catch (error) {
    // A stale tenant list beats no evaluation at all.
    if (cached) {
      deps.log.warn('Tenant discovery failed; using the cached list', { slo: slo.name, reason: describeError(error) });
      return cached.list;
    }
    throw error;
  }
}

async function coarseSeries(
  slo: SloDefinition,
  tenants: readonly string[],
  config: RuntimeConfig,
  deps: EvaluatorDeps,
  cache: EvaluatorCache,
  now: number,
  fineFrom: number,
  end: number,
): Promise<{ series: Map<string, CountSeries>; stats: FetchStats | null; failures: Map<string, string> }> {
  const needsCoarse = slo.periodDays * 24 * 60 > fineHorizonMinutes(slo);
  if (!needsCoarse) return { series: new Map(), stats: null, failures: new Map() };
  const cached = cache.coarse.get(slo.name);
  const fresh =
    cached !== undefined &&
    now - cached.fetchedAt < config.evaluator.slowRefreshMinutes * MINUTE_MS &&
    cached.to >= fineFrom &&
    tenants.every((t) => cached.series.has(t));
  if (fresh) return { series: cached.series, stats: null, failures: new Map() };
  const to = Math.floor(end / HOUR_MS) * HOUR_MS;
  const from = Math.floor((end - slo.periodDays * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
  const result = await deps.metrics.fetchCounts({ slo, tenants, from, to, periodSeconds: 3600 });
  const series = new Map(result.series);
  // Keep the previous hourly series of a tenant whose refresh failed: hour-old long windows beat none.
  for (const tenant of result.failures.keys()) {
    const previous = cached?.series.get(tenant);
    if (previous) series.set(tenant, previous);
  }
  cache.coarse.set(slo.name, { fetchedAt: now, to, series });
  const failures = new Map([...result.failures].filter(([tenant]) => !series.has(tenant)));
  return { series, stats: result.stats, failures };
}

async function evaluateSlo(
  slo: SloDefinition,
  config: RuntimeConfig,
  deps: EvaluatorDeps,
  cache: EvaluatorCache,
  now: number,
  end: number,
  options: TickOptions,
): Promise<SloTickReport> {
  const sloTenants = await resolveTenants(slo, deps, cache, now);
  // Grouping compares a burn with the SLO's whole tenant population, so the share stays right whatever the shard.
  const sloTenantCount = sloTenants.length;
  const tenants = options.shard ? tenantsOfShard(sloTenants, options.shard) : sloTenants;
  const fineFrom = Math.floor((end - fineHorizonMinutes(slo) * MINUTE_MS) / HOUR_MS) * HOUR_MS;
  const [fine, coarse, states] = await Promise.all([
    deps.metrics.fetchCounts({ slo, tenants, from: fineFrom, to: end, periodSeconds: 60 }),
    coarseSeries(slo, tenants, config, deps, cache, now, fineFrom, end),
    deps.store.getTenantStates(slo.name, tenants),
  ]);

  const alertSettings = { resolveAfterMinutes: slo.resolveAfterMinutes, heartbeatMinutes: config.evaluator.heartbeatMinutes };
  const failures: { tenant: string; reason: string }[] = [];
  const levels = { ok: 0, ticket: 0, page: 0 };
  const evaluations: TenantEvaluation[] = [];
  const pending: PendingTransition[] = [];

  for (const tenant of tenants) {
    const failure = fine.failures.get(tenant) ?? coarse.failures.get(tenant) ?? states.unreadable.get(tenant);
    if (failure !== undefined) {
      failures.push({ tenant, reason: failure });
      continue;
    }
    try {
      const counts: TieredCounts = {
        fine: fine.series.get(tenant) ?? EMPTY_SERIES,
        fineFrom,
        coarse: coarse.series.get(tenant) ?? null,
      };
      const prev = states.states.get(tenant) ?? null;
      const evaluation = evaluateTenant({
        slo,
        tenant,
        counts,
        evaluatedAt: end,
        previouslyActiveRules: prev?.activeRules ?? [],
      });
      const { next, transition, shouldWrite } = nextAlertState(prev, evaluation, alertSettings, now);
      evaluations.push(evaluation);
      levels[next.level] += 1;
      if (shouldWrite) pending.push({ prev, next, transition, evaluation });
    } catch (error) {
      // A tenant with corrupt data or state is reported and skipped; the others go on.
      failures.push({ tenant, reason: describeError(error) });
    }
  }
  for (const failure of failures) deps.log.warn('Tenant not evaluated', { slo: slo.name, ...failure });
  deps.onEvaluated?.(slo.name, evaluations);

  const incidents = await applyIncidents(slo, config, deps, sloTenantCount, pending, now);
  let stateWrites = 0;
  let writeConflicts = 0;
  let transitions = 0;
  for (const item of pending) {
    const incidentId = incidents.incidentOf.get(item.next.tenant) ?? item.next.incidentId;
    const next: TenantAlertState = { ...item.next, incidentId: item.next.level === 'ok' ? null : incidentId };
    const outcome = await deps.store.putTenantState(next, item.prev?.version ?? 0);
    if (outcome === 'conflict') {
      // An overlapping tick wrote first; it owns this transition. The next tick re-reads and converges.
      writeConflicts += 1;
      deps.log.warn('Tenant state changed under us; skipped', { slo: slo.name, tenant: next.tenant });
      continue;
    }
    stateWrites += 1;
    await deps.store.appendHistory(next, now + config.evaluator.historyTtlDays * DAY_MS);
    if (item.transition !== 'none') {
      transitions += 1;
      deps.log.info('Alert transition', {
        slo: slo.name,
        tenant: next.tenant,
        transition: item.transition,
        level: next.level,
        incidentId: next.incidentId,
        burnRates: next.burnRates,
        budgetRemaining: next.budgetRemaining,
      });
      deps.onTransition?.({
        slo: slo.name,
        tenant: next.tenant,
        transition: item.transition,
        evaluation: item.evaluation,
        state: next,
        incidentId: next.incidentId ?? item.prev?.incidentId ?? null,
      });
    }
  }

  deps.emitMetrics?.(sloMetrics(slo, evaluations, levels, failures.length, end, options.tenantMetricsLimit ?? 100));
  return {
    slo: slo.name,
    tenants: tenants.length,
    evaluated: evaluations.length,
    failures,
    levels,
    transitions,
    stateWrites,
    writeConflicts,
    incidentsOpened: incidents.opened,
    incidentsJoined: incidents.joined,
    incidentsResolved: incidents.resolved,
    alertFailures: incidents.alertFailures,
    fetch: mergeStats(fine.stats, coarse.stats),
  };
}

function sloMetrics(
  slo: SloDefinition,
  evaluations: readonly TenantEvaluation[],
  levels: Readonly<Record<'ok' | Severity, number>>,
  failed: number,
  end: number,
  tenantLimit: number,
): Record<string, unknown>[] {
  const shortestLong = Math.min(...slo.rules.map((r) => r.longWindowMinutes));
  const burnOf = (e: TenantEvaluation): number => e.windows.find((w) => w.windowMinutes === shortestLong)?.burnRate ?? 0;
  const summary = {
    _aws: {
      Timestamp: end,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['Slo']],
          Metrics: [
            { Name: 'TenantsEvaluated', Unit: 'Count' },
            { Name: 'TenantsFailed', Unit: 'Count' },
            { Name: 'TenantsPaging', Unit: 'Count' },
            { Name: 'TenantsTicket', Unit: 'Count' },
            { Name: 'EvaluatorHeartbeat', Unit: 'Count' },
          ],
        },
      ],
    },
    Slo: slo.name,
    TenantsEvaluated: evaluations.length,
    TenantsFailed: failed,
    TenantsPaging: levels.page,
    TenantsTicket: levels.ticket,
    EvaluatorHeartbeat: 1,
  };
  // Each tenant published is a billed custom metric: publish only the tick's worst tenants.
  const worst = [...evaluations].sort((a, b) => burnOf(b) - burnOf(a) || a.budgetRemaining - b.budgetRemaining).slice(0, tenantLimit);
  const perTenant = worst.map((e) => ({
    _aws: {
      Timestamp: end,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['Slo', 'Tenant']],
          Metrics: [
            { Name: 'BurnRate', Unit: 'None' },
            { Name: 'BudgetRemaining', Unit: 'Percent' },
          ],
        },
      ],
    },
    Slo: slo.name,
    Tenant: e.tenant,
    Level: e.level,
    BurnRate: burnOf(e),
    BudgetRemaining: e.budgetRemaining * 100,
  }));
  return [summary, ...perTenant];
}

function mergeStats(a: FetchStats, b: FetchStats | null): FetchStats {
  if (!b) return { ...a };
  return {
    calls: a.calls + b.calls,
    metricsRequested: a.metricsRequested + b.metricsRequested,
    datapoints: a.datapoints + b.datapoints,
    throttledRetries: a.throttledRetries + b.throttledRetries,
  };
}
