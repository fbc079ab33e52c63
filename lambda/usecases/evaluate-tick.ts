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
 * Warm-up: a cold read costs about 2,300 datapoints a tenant with the default policy, and GetMetricData serves an
 * account at most 396,000 datapoints a second, so a cold container cannot read 10,000 tenants' history in one tick,
 * let alone 100,000. With `warmupDatapointsPerTick` a tick spends at most that on cold reads, evaluates the tenants it
 * warmed and the warm ones, and reports the rest as warming (the `TenantsWarming` metric); alerting tenants are warmed
 * first (lambda/domain/warmup.ts). A waiting tenant's state is left as it was: no write, no transition.
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
import type { CountsRequest, FetchStats, Log, MetricSource, Notifier, StateStore, TenantRoster, TenantStatesRead, WorkflowStarter } from '../ports';
import { planWarmup } from '../domain/warmup';
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
  /**
   * Tenants not evaluated this tick because the warm-up budget (`warmupDatapointsPerTick`) was spent filling other
   * tenants' caches; they go first on the next tick. Not failures: nothing is wrong with their data.
   */
  readonly warming: number;
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
  /**
   * Per-tenant metrics published for at most this many tenants per SLO and tick (worst burn first), to bound metric
   * cost; a shard publishes its part, ceil(limit / shard count), so a sharded tick publishes about as many as one
   * invocation (each shard's worst, so the worst tenant of all is always among them). @default 100
   */
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
  // One budget for the tick: every SLO's cold reads draw on the same account quota.
  const warmup: WarmupBudget = { remaining: config.evaluator.warmupDatapointsPerTick ?? Number.POSITIVE_INFINITY };
  for (const slo of config.slos) {
    if (options.remainingMs !== undefined && options.remainingMs() < (options.reserveMs ?? 5_000)) {
      skipped.push({ slo: slo.name, reason: 'tick deadline reached before this SLO was evaluated' });
      deps.log.error('SLO skipped: tick deadline reached', { slo: slo.name });
      continue;
    }
    try {
      reports.push(await evaluateSlo(slo, config, deps, cache, now, end, options, warmup));
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

/** An SLO's coarse tier for this tick; `tier` is null when the SLO's windows fit the fine tier. */
interface CoarseTier {
  readonly tier: CoarseTierCache | null;
  /** The budget period's start aligned down to the coarse period: where the coarse windows start at the earliest. */
  readonly periodFrom: number;
  /** The end of a read: the tick's end aligned down to the coarse period. */
  readonly to: number;
}

function coarseTierOf(slo: SloDefinition, config: RuntimeConfig, cache: EvaluatorCache, end: number): CoarseTier {
  const periodSeconds = coarsePeriodSeconds(slo);
  const periodMs = periodSeconds * 1000;
  const periodFrom = Math.floor(budgetPeriodStart(slo, end) / periodMs) * periodMs;
  const to = Math.floor(end / periodMs) * periodMs;
  const needsCoarse = slo.periodDays * 24 * 60 > fineHorizonMinutes(slo);
  if (!needsCoarse) return { tier: null, periodFrom, to };
  const refreshMinutes = config.evaluator.slowRefreshMinutes;
  let tier = cache.coarse.get(slo.name);
  if (tier === undefined || tier.periodSeconds !== periodSeconds || tier.refreshMinutes !== refreshMinutes) {
    tier = new CoarseTierCache(periodSeconds, refreshMinutes);
    cache.coarse.set(slo.name, tier);
  }
  return { tier, periodFrom, to };
}

/** What the coarse tier's refresh left for the evaluation. */
interface CoarseRefresh {
  readonly failures: Map<string, string>;
  readonly stats: FetchStats | null;
}

/**
 * Reads the coarse series of the tenants due this tick (see CoarseTierCache.dueAmong): on a warm container those at
 * their refresh minute, about 1/slowRefreshMinutes of them, plus any without a usable series.
 */
async function refreshCoarse(
  slo: SloDefinition,
  tenants: readonly string[],
  coarse: CoarseTier,
  deps: EvaluatorDeps,
  now: number,
  fineFrom: number,
): Promise<CoarseRefresh> {
  const { tier, periodFrom, to } = coarse;
  if (tier === null) return { stats: null, failures: new Map() };
  const due = tier.dueAmong(tenants, now, fineFrom, periodFrom);
  if (due.length === 0) return { stats: null, failures: new Map() };
  const request: CountsRequest = { slo, tenants: due, from: periodFrom, to, periodSeconds: tier.periodSeconds };
  const result = await fetchFolded(deps, request, (tenant, fetched) => tier.store(tenant, fetched, periodFrom, to, now));
  // A tenant whose refresh failed keeps its previous series while it still covers the windows (it stays due, so
  // the next tick reads it again): an older series of the same counts beats no evaluation.
  const failures = new Map<string, string>();
  for (const [tenant, reason] of result.failures) {
    if (tier.covers(tenant, fineFrom, periodFrom)) deps.log.warn('Coarse refresh failed; using the previous series', { slo: slo.name, tenant, reason });
    else failures.set(tenant, reason);
  }
  return { failures, stats: result.stats };
}

/** Datapoints the tick may still spend on cold reads (EvaluatorSettings.warmupDatapointsPerTick). */
interface WarmupBudget {
  remaining: number;
}

/** The tenants a tick evaluates: the warm ones and the cold ones the warm-up budget admitted. */
interface Selection {
  readonly evaluate: readonly string[];
  readonly waiting: readonly string[];
  /** Cold tenants admitted this tick, and the datapoints they cost. */
  readonly warmed: number;
  readonly warmupDatapoints: number;
  /** The states, when the selection had to read them first to rank the cold tenants. */
  readonly states: TenantStatesRead | null;
}

/**
 * Prices each tenant's cold read (a full fine horizon unless its ring is in step, the period's coarse series unless
 * it holds one) and, when they do not all fit in what is left of the tick's warm-up budget, admits the alerting ones
 * first (lambda/domain/warmup.ts). Warm tenants are always evaluated: their reads are a few datapoints.
 */
async function selectTenants(
  slo: SloDefinition,
  tenants: readonly string[],
  fineTier: FineTierCache,
  coarse: CoarseTier,
  fineFrom: number,
  end: number,
  budget: WarmupBudget,
  deps: EvaluatorDeps,
): Promise<Selection> {
  const finePoints = 2 * Math.ceil((end - fineFrom) / (fineTier.periodSeconds * 1000));
  const coarsePoints = coarse.tier === null ? 0 : 2 * Math.ceil((coarse.to - coarse.periodFrom) / (coarse.tier.periodSeconds * 1000));
  const costs = new Map<string, number>();
  let total = 0;
  for (const tenant of tenants) {
    const fineCold = !fineTier.inStep(tenant, fineFrom, end);
    const coarseCold = coarse.tier !== null && !coarse.tier.covers(tenant, fineFrom, coarse.periodFrom);
    const cost = (fineCold ? finePoints : 0) + (coarseCold ? coarsePoints : 0);
    if (cost === 0) continue;
    costs.set(tenant, cost);
    total += cost;
  }
  if (total <= budget.remaining) {
    budget.remaining -= total;
    return { evaluate: tenants, waiting: [], warmed: costs.size, warmupDatapoints: total, states: null };
  }
  // Not every cold tenant fits: the states are read first, so that the alerting tenants are warmed first.
  const states = await deps.store.getTenantStates(slo.name, tenants);
  const candidates = [...costs].map(([tenant, cost]) => ({ tenant, cost, state: states.states.get(tenant) ?? null }));
  const plan = planWarmup(candidates, budget.remaining, true);
  budget.remaining = Math.max(0, budget.remaining - plan.spent);
  const waiting = new Set(plan.waiting);
  return {
    evaluate: tenants.filter((tenant) => !waiting.has(tenant)),
    waiting: plan.waiting,
    warmed: plan.admitted.length,
    warmupDatapoints: plan.spent,
    states,
  };
}

async function evaluateSlo(
  slo: SloDefinition,
  config: RuntimeConfig,
  deps: EvaluatorDeps,
  cache: EvaluatorCache,
  now: number,
  tickEnd: number,
  options: TickOptions,
  warmup: WarmupBudget,
): Promise<SloTickReport> {
  const end = sloEvaluationEnd(slo, tickEnd);
  const sloTenants = await resolveTenants(slo, deps, cache, now);
  // Grouping compares a burn with the SLO's whole tenant population, so the share stays right whatever the shard.
  const sloTenantCount = sloTenants.length;
  const listed = options.shard ? tenantsOfShard(sloTenants, options.shard) : sloTenants;
  const coarsePeriodMs = coarsePeriodSeconds(slo) * 1000;
  const fineFrom = Math.floor((end - fineHorizonMinutes(slo) * MINUTE_MS) / coarsePeriodMs) * coarsePeriodMs;
  const fineTier = fineTierOf(slo, cache);
  const coarseTier = coarseTierOf(slo, config, cache, end);
  // Caches follow the whole list (a waiting tenant keeps its refresh minute); reads follow the selection.
  fineTier.retain(listed);
  coarseTier.tier?.retain(listed);
  const selection = await selectTenants(slo, listed, fineTier, coarseTier, fineFrom, end, warmup, deps);
  const tenants = selection.evaluate;
  if (selection.waiting.length > 0) {
    deps.log.info('Warming up: cold tenants beyond the tick budget wait for the next tick', {
      slo: slo.name,
      warmed: selection.warmed,
      waiting: selection.waiting.length,
      warmupDatapoints: selection.warmupDatapoints,
    });
  }
  const [fine, coarse, states] = await Promise.all([
    refreshFine(slo, tenants, fineTier, deps, fineFrom, end),
    refreshCoarse(slo, tenants, coarseTier, deps, now, fineFrom),
    selection.states ?? deps.store.getTenantStates(slo.name, tenants),
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
      const coarseSeries = coarseTier.tier?.covering(tenant, fineFrom, coarseTier.periodFrom) ?? null;
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

  const tenantMetricsLimit = Math.ceil((options.tenantMetricsLimit ?? 100) / (options.shard?.count ?? 1));
  deps.emitMetrics?.(sloMetrics(slo, evaluations, levels, failures.length, selection.waiting.length, end, tenantMetricsLimit));
  return {
    slo: slo.name,
    tenants: listed.length,
    evaluated: evaluations.length,
    warming: selection.waiting.length,
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
  warming: number,
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
            { Name: 'TenantsWarming', Unit: 'Count' },
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
    TenantsWarming: warming,
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
