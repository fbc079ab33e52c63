/**
 * One evaluator tick: for every SLO, read every tenant's SLI counts, compute burn rates, move alert state with
 * conditional writes, group new burns into incidents and start the incident workflow. The same code runs in the
 * Lambda, the demo, the benchmark and (through its domain functions) the backtest.
 *
 * Query cost: CloudWatch bills GetMetricData per metric requested, whatever the number of datapoints. Each tick
 * asks for the fine (1-minute, or one time slice) series of the short windows only; the long windows and the period budget use an
 * hourly series that is fetched once per `slowRefreshMinutes` and cached between warm invocations. With the
 * default policy that is 2 metrics per tenant per tick plus 2 per hour: about 2.03 when amortised. Each tenant's
 * hourly series is refreshed at its own minute of that interval (CoarseTierCache), so a warm tick reads about
 * 1/60 of the tenants' 720 hours rather than all of them in one tick every hour.
 *
 * Datapoints (and the CPU and memory they cost): the fine tier is kept between warm invocations too, in typed
 * arrays (series-cache.ts), so a tick reads only the minutes since the last one plus a re-read margin
 * (FINE_REREAD_MINUTES) for late data: about 6 datapoints per series instead of 6 to 7 hours of them. A cold
 * container, a tenant new to the list or out of step, or a changed horizon reads the whole horizon for those
 * tenants only. Either way the evaluation is the same as with a full read of the same data.
 *
 * Time slices longer than a minute: a slice is judged only once it is complete, so such an SLO's windows end at the
 * last slice boundary at or before the tick's end, and its fine tier is read and cached in whole slices.
 */
import { DAY_MS, MINUTE_MS } from '../domain/model';
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
import { appendsHistory, nextAlertState } from '../domain/alert-state';
import { budgetPeriodStart, coarsePeriodSeconds } from '../domain/period';
import type { TieredCounts } from '../domain/windows';
import type { CountsRequest, FetchStats, Log, MetricSource, Notifier, StateStore, TenantRoster, WorkflowStarter } from '../ports';
import { tenantsOfShard } from '../domain/shards';
import { rosterUsable } from '../domain/roster-keys';
import type { ShardSpec } from '../domain/shards';
import { describeError } from './describe-error';
import { applyIncidents } from './incident-grouping';
import type { PendingTransition } from './incident-grouping';
import { CoarseTierCache, FineTierCache } from './series-cache';

/** The fine series covers every rule window up to this length; longer windows combine it with the hourly series. */
export const FINE_HORIZON_LIMIT_MINUTES = 6 * 60;
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
  /** The tenants a sharded tick's discovery stored; a shard reads them instead of calling ListMetrics. */
  readonly roster?: TenantRoster;
}

export interface TransitionEvent {
  readonly slo: string;
  readonly tenant: string;
  readonly transition: Exclude<AlertTransition, 'none'>;
  readonly evaluation: TenantEvaluation;
  readonly state: TenantAlertState;
  readonly incidentId: string | null;
}

/**
 * At most about this many datapoints are fetched before they are folded into the typed-array caches: a full read
 * of 10,000 tenants' hourly series is 14 million datapoints, which as parsed objects would need gigabytes at once.
 * Half a million is about five full GetMetricData calls, one round of the default five concurrent calls.
 */
export const FETCH_CHUNK_DATAPOINTS = 500_000;

/** Kept in module scope by the handler so warm invocations reuse the tenant list and both tiers of counts, per SLO. */
export interface EvaluatorCache {
  tenants: Map<string, { readonly list: readonly string[]; readonly fetchedAt: number }>;
  coarse: Map<string, CoarseTierCache>;
  fine: Map<string, FineTierCache>;
}

export function newEvaluatorCache(): EvaluatorCache {
  return { tenants: new Map(), coarse: new Map(), fine: new Map() };
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

/** Length of the fine tier's buckets: the slice of a time-slice SLO (validation keeps it a divisor of 60), else 60 s. */
export function finePeriodSeconds(slo: SloDefinition): number {
  return slo.timeSlices === undefined ? 60 : slo.timeSlices.sliceMinutes * 60;
}

/**
 * The end (exclusive) of an SLO's windows: `end` aligned down to a fine period, so a time slice counts only once it
 * is complete (a 5-minute slice [12:00, 12:05) is judged from 12:05 on). `end` itself for minute buckets.
 */
export function sloEvaluationEnd(slo: SloDefinition, end: number): number {
  const periodMs = finePeriodSeconds(slo) * 1000;
  return Math.floor(end / periodMs) * periodMs;
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
  // A shard takes the tenants its tick's discovery stored (one ListMetrics per tick, not per shard), cached as of
  // that discovery so the shard reads the next roster as soon as it is stored.
  const roster = await deps.roster?.getRoster(slo.name).catch((error: unknown) => describeError(error));
  if (typeof roster === 'object' && roster !== null && rosterUsable(roster.discoveredAt, now, slo.tenants.refreshMinutes)) {
    cache.tenants.set(slo.name, { list: roster.tenants, fetchedAt: roster.discoveredAt });
    return roster.tenants;
  }
  if (deps.roster) {
    const found = typeof roster === 'string' ? roster : roster ? `stale, discovered at ${new Date(roster.discoveredAt).toISOString()}` : 'none stored';
    deps.log.warn('Tenant roster not usable; listing tenants with ListMetrics', { slo: slo.name, roster: found });
  }
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

/** What a tier's fetch left for the evaluation: the tenants it could not read, and what it cost. */
interface TierFetch {
  readonly failures: Map<string, string>;
  readonly stats: FetchStats | null;
}

/**
 * Fetches `request` in chunks of tenants of about FETCH_CHUNK_DATAPOINTS, handing each tenant's series to `keep`
 * as its chunk arrives, so parsed series never pile up. A series `keep` refuses fails its tenant.
 */
async function fetchFolded(
  deps: EvaluatorDeps,
  request: CountsRequest,
  keep: (tenant: string, series: CountSeries) => void,
): Promise<TierFetch> {
  const points = Math.ceil((request.to - request.from) / (request.periodSeconds * 1000));
  const chunk = Math.max(1, Math.floor(FETCH_CHUNK_DATAPOINTS / (2 * points)));
  const failures = new Map<string, string>();
  let stats: FetchStats | null = null;
  for (let first = 0; first < request.tenants.length; first += chunk) {
    const tenants = request.tenants.slice(first, first + chunk);
    const result = await deps.metrics.fetchCounts({ ...request, tenants });
    stats = mergeStats(result.stats, stats);
    result.failures.forEach((reason, tenant) => failures.set(tenant, reason));
    result.series.forEach((series, tenant) => {
      try {
        keep(tenant, series);
      } catch (error) {
        failures.set(tenant, describeError(error));
      }
    });
  }
  return { failures, stats };
}

/**
 * The fine tier's cache of an SLO, new when the horizon, the coarse period (hence the ring's length) or the fine
 * period (a changed slice length) changed.
 */
function fineTierOf(slo: SloDefinition, cache: EvaluatorCache): FineTierCache {
  const horizon = fineHorizonMinutes(slo);
  const coarseMinutes = Math.ceil(coarsePeriodSeconds(slo) / 60);
  const periodSeconds = finePeriodSeconds(slo);
  const key = `${horizon}/${coarseMinutes}/${periodSeconds}`;
  let tier = cache.fine.get(slo.name);
  if (tier === undefined || tier.key !== key) {
    // [fineFrom, end) is shorter than the horizon plus one coarse period, as fineFrom is aligned down to it.
    tier = new FineTierCache(Math.ceil(((horizon + coarseMinutes) * 60) / periodSeconds), key, undefined, periodSeconds);
    cache.fine.set(slo.name, tier);
  }
  return tier;
}

/** Brings every tenant's fine buckets (minutes or slices) in [fineFrom, end) up to date in the fine tier's cache. */
async function refreshFine(
  slo: SloDefinition,
  tenants: readonly string[],
  tier: FineTierCache,
  deps: EvaluatorDeps,
  fineFrom: number,
  end: number,
): Promise<{ failures: Map<string, string>; stats: FetchStats }> {
  tier.retain(tenants);
  const failures = new Map<string, string>();
  let stats: FetchStats | null = null;
  for (const fetch of tier.plan(tenants, fineFrom, end)) {
    const request: CountsRequest = { slo, tenants: fetch.tenants, from: fetch.from, to: end, periodSeconds: tier.periodSeconds };
    const result = await fetchFolded(deps, request, (tenant, series) => tier.store(tenant, series, fetch.from, end));
    stats = mergeStats(result.stats ?? emptyStats(), stats);
    // A tenant whose read failed keeps its cached minutes; its next read starts where they end.
    result.failures.forEach((reason, tenant) => failures.set(tenant, reason));
  }
  return { failures, stats: stats ?? emptyStats() };
}

/** What the coarse tier left for the evaluation; `tier` is null when the SLO's windows fit the fine tier. */
interface CoarseRefresh {
  readonly tier: CoarseTierCache | null;
  /** The budget period's start aligned down to the coarse period: where the coarse windows start at the earliest. */
  readonly periodFrom: number;
  readonly failures: Map<string, string>;
  readonly stats: FetchStats | null;
}

/**
 * Reads the coarse series of the tenants due this tick (see CoarseTierCache.due): on a warm container those at
 * their refresh minute, about 1/slowRefreshMinutes of them, plus any without a usable series, read at once.
 */
async function refreshCoarse(
  slo: SloDefinition,
  tenants: readonly string[],
  config: RuntimeConfig,
  deps: EvaluatorDeps,
  cache: EvaluatorCache,
  now: number,
  fineFrom: number,
  end: number,
): Promise<CoarseRefresh> {
  const periodSeconds = coarsePeriodSeconds(slo);
  const periodMs = periodSeconds * 1000;
  const periodFrom = Math.floor(budgetPeriodStart(slo, end) / periodMs) * periodMs;
  const needsCoarse = slo.periodDays * 24 * 60 > fineHorizonMinutes(slo);
  if (!needsCoarse) return { tier: null, periodFrom, stats: null, failures: new Map() };
  const refreshMinutes = config.evaluator.slowRefreshMinutes;
  let tier = cache.coarse.get(slo.name);
  if (tier === undefined || tier.periodSeconds !== periodSeconds || tier.refreshMinutes !== refreshMinutes) {
    tier = new CoarseTierCache(periodSeconds, refreshMinutes);
    cache.coarse.set(slo.name, tier);
  }
  const due = tier.due(tenants, now, fineFrom, periodFrom);
  if (due.length === 0) return { tier, periodFrom, stats: null, failures: new Map() };
  const to = Math.floor(end / periodMs) * periodMs;
  const request: CountsRequest = { slo, tenants: due, from: periodFrom, to, periodSeconds };
  const coarseTier = tier;
  const result = await fetchFolded(deps, request, (tenant, fetched) => coarseTier.store(tenant, fetched, periodFrom, to, now));
  // A tenant whose refresh failed keeps its previous series while it still covers the windows (it stays due, so
  // the next tick reads it again): an older series of the same counts beats no evaluation.
  const failures = new Map<string, string>();
  for (const [tenant, reason] of result.failures) {
    if (tier.covers(tenant, fineFrom, periodFrom)) deps.log.warn('Coarse refresh failed; using the previous series', { slo: slo.name, tenant, reason });
    else failures.set(tenant, reason);
  }
  return { tier, periodFrom, failures, stats: result.stats };
}

async function evaluateSlo(
  slo: SloDefinition,
  config: RuntimeConfig,
  deps: EvaluatorDeps,
  cache: EvaluatorCache,
  now: number,
  tickEnd: number,
  options: TickOptions,
): Promise<SloTickReport> {
  const end = sloEvaluationEnd(slo, tickEnd);
  const sloTenants = await resolveTenants(slo, deps, cache, now);
  // Grouping compares a burn with the SLO's whole tenant population, so the share stays right whatever the shard.
  const sloTenantCount = sloTenants.length;
  const tenants = options.shard ? tenantsOfShard(sloTenants, options.shard) : sloTenants;
  const coarsePeriodMs = coarsePeriodSeconds(slo) * 1000;
  const fineFrom = Math.floor((end - fineHorizonMinutes(slo) * MINUTE_MS) / coarsePeriodMs) * coarsePeriodMs;
  const fineTier = fineTierOf(slo, cache);
  const [fine, coarse, states] = await Promise.all([
    refreshFine(slo, tenants, fineTier, deps, fineFrom, end),
    refreshCoarse(slo, tenants, config, deps, cache, now, fineFrom, end),
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
      const minutes = fineTier.view(tenant);
      if (minutes === null) throw new MissingCountsError(tenant);
      const coarseSeries = coarse.tier?.covering(tenant, fineFrom, coarse.periodFrom) ?? null;
      const counts: TieredCounts = { fine: minutes, fineFrom, coarse: coarseSeries };
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
    // History items are what reports read (the monthly report's tenants seen, `report --from-stack`'s budget
    // sparkline): one on every transition and one budget snapshot per tenant and UTC day (its first write of the
    // day), never on a plain heartbeat. See appendsHistory in lambda/domain/alert-state.ts.
    if (appendsHistory(item.prev, item.transition, now)) {
      await deps.store.appendHistory(next, now + config.evaluator.historyTtlDays * DAY_MS);
    }
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

/** A tenant the fine tier holds no minutes for, though its fetch reported no failure (a bug, never expected). */
export class MissingCountsError extends Error {
  constructor(readonly tenant: string) {
    super(`no minute counts cached for tenant ${JSON.stringify(tenant)} after its fetch`);
    this.name = 'MissingCountsError';
  }
}

function emptyStats(): FetchStats {
  return { calls: 0, metricsRequested: 0, datapoints: 0, throttledRetries: 0 };
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
