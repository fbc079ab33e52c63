/**
 * A tenant's alert level over time: rises at once, falls only after the higher level stayed quiet for
 * `resolveAfterMinutes`, and is written to the state table only when something a reader cares about changed.
 */
import { DomainInputError, requirePositive } from './burn';
import type { AlertLevel, AlertTransition, TenantAlertState, TenantEvaluation } from './model';
import { LEVEL_RANK, MINUTE_MS, STATE_SCHEMA_VERSION } from './model';
import { activeRuleNames } from './rules';

export interface AlertStateSettings {
  /** A level drops only after no rule of that level fired for this long. */
  readonly resolveAfterMinutes: number;
  /** Unchanged state is rewritten at least this often so readers can tell live tenants from stale ones. */
  readonly heartbeatMinutes: number;
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
    now - prev.updatedAt >= settings.heartbeatMinutes * MINUTE_MS;

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
