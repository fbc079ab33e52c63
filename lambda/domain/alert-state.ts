/**
 * A tenant's alert level over time: rises at once, falls only after the higher level stayed quiet for
 * `resolveAfterMinutes`, and is written to the state table only when something a reader cares about changed.
 */
import { DomainInputError, requirePositive } from './burn';
import type { AlertLevel, AlertTransition, TenantAlertState, TenantEvaluation } from './model';
import { DAY_MS, LEVEL_RANK, MINUTE_MS, STATE_SCHEMA_VERSION } from './model';
import { activeRuleNames } from './rules';

export interface AlertStateSettings {
  /** A level drops only after no rule of that level fired for this long. */
  readonly resolveAfterMinutes: number;
  /**
   * Unchanged state is rewritten at least this often so readers can tell live tenants from stale ones; each tenant
   * at its own minute (see `heartbeatDue`).
   */
  readonly heartbeatMinutes: number;
}

const HASH_OFFSET_BASIS = 0x811c9dc5;
const HASH_PRIME = 0x01000193;
// Salted so the offset does not follow the shard (fnv1a32(tenant) % count): with 4 shards and a 60-minute
// heartbeat, an unsalted hash would give each shard only every 4th minute.
const HEARTBEAT_SALT = 'heartbeat:';

/**
 * FNV-1a over the UTF-16 code units of `salt + text`: stable, and no allocation in the per-tenant hot path. Also
 * spreads other per-tenant work over time (the evaluator's coarse refresh), each use with its own salt.
 */
export function saltedHash(salt: string, text: string): number {
  let hash = HASH_OFFSET_BASIS;
  for (let i = 0; i < salt.length; i += 1) hash = Math.imul(hash ^ salt.charCodeAt(i), HASH_PRIME);
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), HASH_PRIME);
  return hash >>> 0;
}

/**
 * A tenant's heartbeats fall on its own instants, `offset + k x cycle` minutes since the epoch, where the cycle is
 * heartbeatMinutes - 1 and the offset a hash of the tenant id: tenants written on the same tick (a deployment, a
 * shared incident) come due on different ticks, evenly over the cycle. The instant on the tick right after another
 * write is skipped (that write just showed the tenant live), so the first instant more than a minute after the
 * last write is due: never more than 1 + cycle = heartbeatMinutes minutes after it.
 */
interface HeartbeatSchedule {
  readonly cycleMs: number;
  readonly offsetMs: number;
  /** Instants closer than this after a write are skipped. */
  readonly skipMs: number;
}

function heartbeatSchedule(tenant: string, heartbeatMinutes: number): HeartbeatSchedule {
  requirePositive('heartbeatMinutes', heartbeatMinutes);
  // Below two minutes there is no tick to skip: every instant counts.
  const skipMinutes = heartbeatMinutes >= 2 ? 1 : 0;
  const cycleMinutes = heartbeatMinutes - skipMinutes;
  const offsetMinutes = saltedHash(HEARTBEAT_SALT, tenant) % Math.max(1, Math.floor(cycleMinutes));
  return { cycleMs: cycleMinutes * MINUTE_MS, offsetMs: offsetMinutes * MINUTE_MS, skipMs: skipMinutes * MINUTE_MS };
}

/** The tenant's minute within its heartbeat cycle (0 .. heartbeatMinutes - 2), from a hash of its id. */
export function heartbeatOffsetMinutes(tenant: string, heartbeatMinutes: number): number {
  return heartbeatSchedule(tenant, heartbeatMinutes).offsetMs / MINUTE_MS;
}

/** Whether an unchanged state last written at `updatedAt` is due for its heartbeat at `now` (see HeartbeatSchedule). */
export function heartbeatDue(tenant: string, updatedAt: number, now: number, heartbeatMinutes: number): boolean {
  const { cycleMs, offsetMs, skipMs } = heartbeatSchedule(tenant, heartbeatMinutes);
  return Math.floor((now - offsetMs) / cycleMs) > Math.floor((updatedAt + skipMs - offsetMs) / cycleMs);
}

/** The tenant's latest heartbeat instant strictly before `at` (what a steady-state writer left as `updatedAt`). */
export function lastHeartbeatBefore(tenant: string, at: number, heartbeatMinutes: number): number {
  const { cycleMs, offsetMs } = heartbeatSchedule(tenant, heartbeatMinutes);
  return (Math.ceil((at - offsetMs) / cycleMs) - 1) * cycleMs + offsetMs;
}

/**
 * Whether a state write also appends a history item. History serves reports (the monthly report's tenants seen,
 * a budget sparkline), not liveness, so it is kept to: every transition, and the first write of each UTC day (a
 * new tenant's first write included) as that day's budget snapshot. Heartbeats otherwise append nothing.
 */
export function appendsHistory(prev: TenantAlertState | null, transition: AlertTransition, now: number): boolean {
  if (prev === null || transition !== 'none') return true;
  return Math.floor(prev.updatedAt / DAY_MS) !== Math.floor(now / DAY_MS);
}

export interface AlertStateStep {
  /** The state as of `now`; when `shouldWrite` is false it keeps the stored `version` and `updatedAt`. */
  readonly next: TenantAlertState;
  readonly transition: AlertTransition;
  readonly shouldWrite: boolean;
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/**
 * When the stored state still lists an active rule of its level, no write happened since, so that rule kept
 * firing at every evaluation until this one: the last firing is taken as `now` (late by at most one tick,
 * never early), which spares a write on every firing tick.
 */
function lastFiringOfLevel(prev: TenantAlertState, evaluation: TenantEvaluation, now: number): number {
  const stillListedActive = evaluation.rules.some(
    (result) => result.rule.severity === prev.level && prev.activeRules.includes(result.rule.name),
  );
  if (stillListedActive) return now;
  return prev.lastFiringAt ?? prev.levelSince ?? prev.updatedAt;
}

interface LevelStep {
  readonly level: AlertLevel;
  readonly transition: AlertTransition;
  readonly levelSince: number | null;
  readonly lastFiringAt: number | null;
}

function stepLevel(
  prev: TenantAlertState | null,
  evaluation: TenantEvaluation,
  resolveAfterMs: number,
  now: number,
): LevelStep {
  const prevLevel: AlertLevel = prev?.level ?? 'ok';
  const evaluated = evaluation.level;
  if (LEVEL_RANK[evaluated] > LEVEL_RANK[prevLevel]) {
    return { level: evaluated, transition: prevLevel === 'ok' ? 'opened' : 'escalated', levelSince: now, lastFiringAt: now };
  }
  if (prev === null || (evaluated === 'ok' && prevLevel === 'ok')) {
    return { level: 'ok', transition: 'none', levelSince: null, lastFiringAt: null };
  }
  if (evaluated === prevLevel) {
    return { level: prevLevel, transition: 'none', levelSince: prev.levelSince ?? now, lastFiringAt: now };
  }
  const lastFiringAt = lastFiringOfLevel(prev, evaluation, now);
  if (now - lastFiringAt < resolveAfterMs) {
    return { level: prevLevel, transition: 'none', levelSince: prev.levelSince, lastFiringAt };
  }
  if (evaluated === 'ok') {
    return { level: 'ok', transition: 'resolved', levelSince: null, lastFiringAt: null };
  }
  return { level: evaluated, transition: 'deescalated', levelSince: now, lastFiringAt: now };
}

export function nextAlertState(
  prev: TenantAlertState | null,
  evaluation: TenantEvaluation,
  settings: AlertStateSettings,
  now: number,
): AlertStateStep {
  requirePositive('heartbeatMinutes', settings.heartbeatMinutes);
  if (!(settings.resolveAfterMinutes >= 0 && Number.isFinite(settings.resolveAfterMinutes))) {
    throw new DomainInputError('resolveAfterMinutes', 'a finite number of minutes, 0 or more', settings.resolveAfterMinutes);
  }
  const step = stepLevel(prev, evaluation, settings.resolveAfterMinutes * MINUTE_MS, now);
  const activeRules = activeRuleNames(evaluation);
  const shouldWrite =
    prev === null ||
    step.transition !== 'none' ||
    step.level !== prev.level ||
    !sameRules(activeRules, prev.activeRules) ||
    heartbeatDue(evaluation.tenant, prev.updatedAt, now, settings.heartbeatMinutes);

  const burnRates: Record<string, number> = {};
  for (const window of evaluation.windows) burnRates[String(window.windowMinutes)] = window.burnRate;

  const next: TenantAlertState = {
    schemaVersion: STATE_SCHEMA_VERSION,
    slo: evaluation.slo,
    tenant: evaluation.tenant,
    level: step.level,
    levelSince: step.levelSince,
    lastFiringAt: step.lastFiringAt,
    activeRules,
    incidentId: step.level === 'ok' ? null : (prev?.incidentId ?? null),
    burnRates,
    budgetRemaining: evaluation.budgetRemaining,
    timeToExhaustionMinutes: evaluation.timeToExhaustionMinutes,
    updatedAt: shouldWrite || prev === null ? now : prev.updatedAt,
    version: prev === null ? 1 : shouldWrite ? prev.version + 1 : prev.version,
  };
  return { next, transition: step.transition, shouldWrite };
}
