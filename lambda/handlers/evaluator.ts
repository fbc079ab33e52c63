/**
 * The evaluator Lambda: invoked every minute by EventBridge. Parses the schedule event, builds the adapters once
 * per container, runs one tick and prints the Embedded Metric Format documents.
 *
 * Sharded (lib/constructs/evaluator-fanout.ts), a tick starts with one `{ time, discover: 'check' }` invocation that
 * reads the roster heads and says whether a listing is due and whether the stored rosters are usable by shards;
 * when due, one `{ time, discover: true }` invocation lists the tenants of every discover-mode SLO and stores them in
 * the tenant roster (before the shards, or beside them while the previous roster is usable); and one
 * `{ time, shard }` invocation per shard reads its SLO's tenants from that roster: ListMetrics is called once per
 * refresh instead of once per shard.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { CloudWatchMetricSource } from '../adapters/cloudwatch-metric-source';
import { pacing } from '../adapters/datapoint-pacer';
import { DynamoStateStore } from '../adapters/dynamo-state-store';
import { DynamoTenantRoster } from '../adapters/dynamo-tenant-roster';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import { SnsNotifier, snsNotifierOptionsFromEnvironment } from '../adapters/sns-notifier';
import { createLogger } from '../adapters/powertools-log';
import { evaluateTick, newEvaluatorCache } from '../usecases/evaluate-tick';
import type { EvaluatorCache, EvaluatorDeps, TickOptions, TickReport } from '../usecases/evaluate-tick';
import { describeError } from '../usecases/describe-error';
import type { RuntimeConfig } from '../domain/model';
import type { TenantRoster, WriteOutcome } from '../ports';
import { ROSTER_CHECK, rosterDue, rosterExpiresAt, rosterReadiness } from '../domain/roster-keys';
import type { RosterReadiness } from '../domain/roster-keys';
import { mapWithConcurrency } from '../adapters/concurrency';
import { ALERT_ENVIRONMENT } from '../domain/alert-message';
import { loadBundledRuntimeConfig, requireEnv } from './runtime-config';
import { assertValidShard, InvalidShardError } from '../domain/shards';
import type { ShardSpec } from '../domain/shards';

export class InvalidScheduleEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidScheduleEventError';
  }
}

/**
 * Raised after a tick in which some SLO could not be evaluated or some alert could not be delivered, so the Errors
 * alarm sees it. Every other SLO was still evaluated and every other alert sent before this is thrown.
 */
export class EvaluatorTickError extends Error {
  constructor(
    readonly skipped: readonly { readonly slo: string; readonly reason: string }[],
    /** Alerts not delivered, per SLO (only SLOs with at least one). */
    readonly alertFailures: readonly { readonly slo: string; readonly count: number }[] = [],
  ) {
    const problems = [
      ...(skipped.length > 0 ? [`skipped ${skipped.length} SLO(s): ${skipped.map((s) => `${s.slo} (${s.reason})`).join('; ')}`] : []),
      ...(alertFailures.length > 0
        ? [`could not deliver ${alertFailures.map((a) => `${a.count} alert(s) of ${a.slo}`).join('; ')}`]
        : []),
    ];
    super(`Evaluator ${problems.join('; and ')}`);
    this.name = 'EvaluatorTickError';
  }
}

/** A tick more than this late is evaluated as of the clock, not of its schedule time. */
const MAX_TICK_LAG_MS = 2 * 60_000;

/**
 * The instant a tick evaluates. The schedule's `time` keeps two deliveries of one tick identical (same incident ids);
 * a late or manual invocation uses the clock so stale data is never alerted on as if it were current.
 */
export function tickTime(event: unknown, clockNow: number): { now: number; late: boolean } {
  if (event === undefined || event === null) return { now: clockNow, late: false };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidScheduleEventError(`event: must be an EventBridge scheduled event object or {}, got ${JSON.stringify(event)?.slice(0, 200)}`);
  }
  const time = (event as { time?: unknown }).time;
  if (time === undefined) return { now: clockNow, late: false };
  const parsed = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(parsed)) {
    throw new InvalidScheduleEventError(`event.time: must be an ISO-8601 timestamp, got ${JSON.stringify(time)?.slice(0, 200)}`);
  }
  if (Math.abs(clockNow - parsed) > MAX_TICK_LAG_MS) return { now: clockNow, late: true };
  return { now: parsed, late: false };
}

/**
 * The tenant shard a fan-out item asks for (`{ time, shard: { index, count } }` from the Step Functions Map), or
 * undefined for a plain schedule event, which evaluates every tenant.
 */
export function tickShard(event: unknown): ShardSpec | undefined {
  if (event === undefined || event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const shard = (event as { shard?: unknown }).shard;
  if (shard === undefined) return undefined;
  if (shard === null || typeof shard !== 'object' || Array.isArray(shard)) {
    throw new InvalidScheduleEventError(`event.shard: must be an object { index, count } with integers, got ${JSON.stringify(shard)?.slice(0, 200)}`);
  }
  const { index, count } = shard as { index?: unknown; count?: unknown };
  for (const [field, value] of [['count', count], ['index', index]] as const) {
    if (typeof value !== 'number') {
      throw new InvalidScheduleEventError(`event.shard.${field}: must be an integer, got ${JSON.stringify(value) ?? 'undefined'}`);
    }
  }
  const spec: ShardSpec = { index: index as number, count: count as number };
  try {
    assertValidShard(spec, 'event.shard');
  } catch (error) {
    if (error instanceof InvalidShardError) throw new InvalidScheduleEventError(error.message);
    throw error;
  }
  return spec;
}

/** The fan-out's two discovery invocations: the roster `check` (no listing) and the `list`ing that stores rosters. */
export type DiscoveryPhase = 'check' | 'list';

/**
 * The discovery phase an event asks for: `check` for `{ time, discover: 'check' }`, `list` for
 * `{ time, discover: true }`, null for a schedule event or a shard. Throws {@link InvalidScheduleEventError} naming
 * the field for any other `discover`, or for a discovery event that also names a shard.
 */
export function tickDiscover(event: unknown): DiscoveryPhase | null {
  if (event === undefined || event === null || typeof event !== 'object' || Array.isArray(event)) return null;
  const { discover, shard } = event as { discover?: unknown; shard?: unknown };
  if (discover === undefined) return null;
  if (discover !== true && discover !== ROSTER_CHECK) {
    throw new InvalidScheduleEventError(`event.discover: must be true or ${JSON.stringify(ROSTER_CHECK)} (or absent), got ${JSON.stringify(discover)?.slice(0, 200)}`);
  }
  if (shard !== undefined) {
    throw new InvalidScheduleEventError(`event.shard: must be absent from a discovery event ({ time, discover: true | ${JSON.stringify(ROSTER_CHECK)} }), got a shard`);
  }
  return discover === true ? 'list' : 'check';
}

/** The `discover` value of each phase's event. */
const DISCOVER_VALUE: Readonly<Record<DiscoveryPhase, string>> = { list: 'true', check: JSON.stringify(ROSTER_CHECK) };

/**
 * Throws {@link InvalidScheduleEventError} unless the event asks for `phase`: a check bound to the listing would list
 * (and the other way round report nothing the state machine can choose on).
 */
function requirePhase(event: unknown, phase: DiscoveryPhase): void {
  const given = tickDiscover(event);
  if (given === phase) return;
  const runner = phase === 'list' ? 'runTenantDiscovery (the listing)' : 'runRosterCheck (the roster check)';
  throw new InvalidScheduleEventError(`event.discover: must be ${DISCOVER_VALUE[phase]} for ${runner}, got ${given === null ? 'none' : DISCOVER_VALUE[given]}`);
}

export interface EvaluatorWiring {
  readonly config: RuntimeConfig;
  readonly deps: EvaluatorDeps;
  /**
   * Where the discovery invocation stores each SLO's tenants and shard invocations read them.
   * @default - none: every invocation lists its tenants itself
   */
  readonly roster?: TenantRoster;
}

/** What a discovery invocation did per discover-mode SLO: listed and stored (`written`), or found the roster `fresh`. */
export interface DiscoveryReport {
  readonly discoveredAt: number;
  readonly slos: readonly {
    readonly slo: string;
    /** `conflict`: a roster discovered later was already stored and is kept. */
    readonly outcome: WriteOutcome | 'fresh';
    /** Tenants listed; null when the roster was fresh and nothing was listed. */
    readonly tenants: number | null;
  }[];
}

/**
 * What the roster check (`{ time, discover: 'check' }`) reports, as of the tick's instant `discoveredAt`: whether a
 * listing is due (some discover-mode SLO's roster is missing or a refresh interval old) and whether every such
 * roster is usable by shards, which then need not wait for the listing.
 */
export interface RosterCheck extends RosterReadiness {
  readonly discoveredAt: number;
}

/** Roster heads read at once by a check: one small GetItem per discover-mode SLO. */
const ROSTER_CHECK_CONCURRENCY = 8;

/**
 * Raised after a discovery invocation in which some SLO's tenants could not be listed or stored; every other SLO's
 * roster was still written. The fan-out still runs the shards, then fails the tick with it (the failed-tick alarm).
 */
export class TenantDiscoveryError extends Error {
  constructor(readonly failures: readonly { readonly slo: string; readonly reason: string }[]) {
    super(`Tenant discovery failed for ${failures.length} SLO(s): ${failures.map((f) => `${f.slo} (${f.reason})`).join('; ')}`);
    this.name = 'TenantDiscoveryError';
  }
}

/**
 * The discovery invocation: lists the tenants of every discover-mode SLO whose roster is missing or a refresh
 * interval old (ListMetrics, once per tick for every shard) and stores them, as of the tick's instant.
 */
export async function runTenantDiscovery(
  event: unknown,
  clockNow: number,
  wiring: Pick<EvaluatorWiring, 'config'> & { readonly deps: Pick<EvaluatorDeps, 'metrics' | 'log'>; readonly roster: TenantRoster },
  options: Pick<RunTickOptions, 'onTickTime'> = {},
): Promise<DiscoveryReport> {
  const { config, deps, roster } = wiring;
  const now = discoveryTime(event, clockNow, 'list', deps.log, options);
  const slos: DiscoveryReport['slos'][number][] = [];
  const failures: { slo: string; reason: string }[] = [];
  for (const slo of config.slos) {
    if (slo.tenants.mode !== 'discover') continue;
    try {
      const discoveredAt = await storedDiscoveredAt(roster, slo.name, deps.log);
      if (!rosterDue(discoveredAt, now, slo.tenants.refreshMinutes)) {
        slos.push({ slo: slo.name, outcome: 'fresh', tenants: null });
        continue;
      }
      const tenants = await deps.metrics.listTenants(slo);
      const outcome = await roster.putRoster(slo.name, tenants, now, rosterExpiresAt(now, slo.tenants.refreshMinutes));
      slos.push({ slo: slo.name, outcome, tenants: tenants.length });
    } catch (error) {
      // One SLO's discovery failing must not stop the others'.
      const reason = describeError(error);
      failures.push({ slo: slo.name, reason });
      deps.log.error('Tenant discovery failed', { slo: slo.name, reason });
    }
  }
  deps.log.info('Discovery complete', { slos, failures });
  if (failures.length > 0) throw new TenantDiscoveryError(failures);
  return { discoveredAt: now, slos };
}

/** The instant a discovery invocation of `phase` runs as of, after checking its event asks for that phase. */
function discoveryTime(event: unknown, clockNow: number, phase: DiscoveryPhase, log: EvaluatorDeps['log'], options: Pick<RunTickOptions, 'onTickTime'>): number {
  requirePhase(event, phase);
  const { now, late } = tickTime(event, clockNow);
  options.onTickTime?.(now, late);
  const what = phase === 'list' ? 'Discovery delivered late; discovering as of now' : 'Roster check delivered late; checking as of now';
  if (late) log.warn(what, { event: JSON.stringify(event).slice(0, 500) });
  return now;
}

/** When the SLO's stored roster was discovered; null when none is stored or its head cannot be read. */
async function storedDiscoveredAt(roster: TenantRoster, slo: string, log: EvaluatorDeps['log']): Promise<number | null> {
  // An unreadable head is replaced by a new discovery rather than failing every tick after it.
  return roster.getDiscoveredAt(slo).catch((error: unknown) => {
    log.warn('Tenant roster unreadable; discovering again', { slo, reason: describeError(error) });
    return null;
  });
}

/**
 * The roster check: reads the roster head of every discover-mode SLO (no listing) and reports whether the tick must
 * list tenants and whether its shards can run on the stored rosters meanwhile. An unreadable head counts as none
 * stored (due, not usable), as the listing treats it.
 */
export async function runRosterCheck(
  event: unknown,
  clockNow: number,
  wiring: Pick<EvaluatorWiring, 'config'> & { readonly deps: Pick<EvaluatorDeps, 'log'>; readonly roster: TenantRoster },
  options: Pick<RunTickOptions, 'onTickTime'> = {},
): Promise<RosterCheck> {
  const { config, deps, roster } = wiring;
  const now = discoveryTime(event, clockNow, 'check', deps.log, options);
  const discovering = config.slos.flatMap((slo) => (slo.tenants.mode === 'discover' ? [{ slo: slo.name, refreshMinutes: slo.tenants.refreshMinutes }] : []));
  const rosters = await mapWithConcurrency(discovering, ROSTER_CHECK_CONCURRENCY, async ({ slo, refreshMinutes }) => ({
    slo,
    refreshMinutes,
    discoveredAt: await storedDiscoveredAt(roster, slo, deps.log),
  }));
  const readiness = rosterReadiness(rosters, now);
  deps.log.info('Roster check complete', { ...readiness, slos: rosters.map(({ slo, discoveredAt }) => ({ slo, discoveredAt })) });
  return { discoveredAt: now, ...readiness };
}

export interface RunTickOptions extends TickOptions {
  /** Called with the instant the tick evaluates, before it starts (the handler appends it to the log keys). */
  readonly onTickTime?: (now: number, late: boolean) => void;
}

/**
 * One invocation after the wiring: picks the tick's instant, evaluates, logs the summary and throws
 * {@link EvaluatorTickError} when an SLO was skipped or an alert was not delivered, so the invocation fails.
 */
export async function runEvaluatorTick(
  event: unknown,
  clockNow: number,
  wiring: EvaluatorWiring,
  cache: EvaluatorCache,
  options: RunTickOptions = {},
): Promise<TickReport> {
  const { config, deps, roster } = wiring;
  const { log } = deps;
  if (tickDiscover(event)) throw new InvalidScheduleEventError('event.discover: a discovery event is run by runRosterCheck or runTenantDiscovery, not as a tick');
  const { now, late } = tickTime(event, clockNow);
  const shard = tickShard(event);
  options.onTickTime?.(now, late);
  if (late) log.warn('Tick delivered late; evaluating as of now', { event: JSON.stringify(event).slice(0, 500) });
  // Only shards read the roster: the fan-out's discovery writes it, and an unsharded evaluator has none.
  const tickDeps = shard && roster ? { ...deps, roster } : deps;
  const report = await evaluateTick(config, tickDeps, cache, now, shard ? { ...options, shard } : options);
  log.info('Tick complete', {
    ...(shard ? { shard } : {}),
    slos: report.slos.map((s) => ({
      slo: s.slo,
      tenants: s.tenants,
      evaluated: s.evaluated,
      warming: s.warming,
      failed: s.failures.length,
      levels: s.levels,
      transitions: s.transitions,
      stateWrites: s.stateWrites,
      incidentsOpened: s.incidentsOpened.length,
      alertFailures: s.alertFailures,
      getMetricDataCalls: s.fetch.calls,
      metricsRequested: s.fetch.metricsRequested,
    })),
    skipped: report.skipped,
  });
  // A skipped SLO or an undelivered alert is an error the operator must see (alarm on Errors), raised after every
  // other SLO was evaluated. An undelivered alert cannot be re-sent by a retried tick (the incident is already
  // stored), so failing the invocation is what makes it seen.
  const alertFailures = report.slos.filter((s) => s.alertFailures > 0).map((s) => ({ slo: s.slo, count: s.alertFailures }));
  if (report.skipped.length > 0 || alertFailures.length > 0) throw new EvaluatorTickError(report.skipped, alertFailures);
  return report;
}

const { logger, log } = createLogger('burnwatch-evaluator');
const cache = newEvaluatorCache();
type LambdaWiring = EvaluatorWiring & { readonly roster: TenantRoster };
let wiring: LambdaWiring | undefined;

function wire(): LambdaWiring {
  if (wiring) return wiring;
  const config = loadBundledRuntimeConfig(process.env, __dirname);
  const tableName = requireEnv(process.env, 'STATE_TABLE_NAME');
  const workflowArn = requireEnv(process.env, 'WORKFLOW_ARN');
  const cloudwatch = new CloudWatchClient({ maxAttempts: 1 }); // the metric source does its own backoff
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  // The evaluator announces tenants joining an open incident and incidents resolving. Without the topic those alerts
  // cannot go out: say so at every cold start rather than dropping them unseen.
  const alertsConfigured = (process.env[ALERT_ENVIRONMENT.topicArn] ?? '') !== '';
  if (!alertsConfigured) {
    log.warn('No alert topic configured: escalated and resolved alerts are not sent', { variable: ALERT_ENVIRONMENT.topicArn });
  }
  wiring = {
    config,
    roster: new DynamoTenantRoster(doc, tableName),
    deps: {
      metrics: new CloudWatchMetricSource(cloudwatch, {
        maxConcurrentRequests: config.evaluator.maxConcurrentRequests,
        // Module scope, so the bucket carries over from one warm invocation to the next as the quota does.
        ...pacing(config.evaluator),
      }),
      store: new DynamoStateStore(doc, tableName),
      workflow: new SfnWorkflowStarter(new SFNClient({}), workflowArn),
      log,
      ...(alertsConfigured ? { notifier: new SnsNotifier(new SNSClient({}), snsNotifierOptionsFromEnvironment(process.env)) } : {}),
      emitMetrics: (documents) => {
        for (const document of documents) process.stdout.write(`${JSON.stringify(document)}\n`);
      },
    },
  };
  return wiring;
}

export const handler = async (
  event: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
): Promise<TickReport | DiscoveryReport | RosterCheck> => {
  logger.resetKeys();
  logger.appendKeys({ requestId: context?.awsRequestId ?? 'local' });
  const onTickTime = (now: number): void => logger.appendKeys({ tickAt: new Date(now).toISOString() });
  const wired = wire();
  const phase = tickDiscover(event);
  if (phase === 'check') return runRosterCheck(event, Date.now(), wired, { onTickTime });
  if (phase === 'list') return runTenantDiscovery(event, Date.now(), wired, { onTickTime });
  return runEvaluatorTick(event, Date.now(), wired, cache, {
    ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    onTickTime,
  });
};
