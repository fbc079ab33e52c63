/**
 * Incident grouping for one evaluator tick: this tick's new and escalated burns of one SLO become incidents (one
 * incident per cause, not one per tenant), recoveries are recorded, and the workflow is started. Every write is
 * conditional, so an overlapping tick either wins the same write or re-reads and joins; execution names are the
 * incident id, so a second start is harmless.
 */
import type { AlertTransition, Incident, SloDefinition, Severity, RuntimeConfig, TenantAlertState, TenantEvaluation } from '../domain/model';
import {
  appendTimeline,
  groupingDecision,
  joinIncident,
  openIncident,
  recoverTenant,
  resolveIfAllRecovered,
} from '../domain/incident';
import type { AlertEvent, AlertTenant } from '../domain/alert-message';
import { labelWindows } from '../domain/policy';
import type { WriteOutcome } from '../ports';
import type { EvaluatorDeps } from './evaluate-tick';
import { describeError } from './describe-error';

const MAX_WRITE_RETRIES = 3;

/** A tenant whose alert state changes this tick, with the evaluation behind the change. */
export interface PendingTransition {
  readonly prev: TenantAlertState | null;
  readonly next: TenantAlertState;
  readonly transition: AlertTransition;
  readonly evaluation: TenantEvaluation;
}

export interface IncidentOutcome {
  incidentOf: Map<string, string>;
  opened: string[];
  joined: string[];
  resolved: string[];
  alertFailures: number;
}

/**
 * Groups this tick's new and escalated burns of one SLO into incidents (one incident per cause, not one per tenant),
 * records recoveries, and starts the workflow. Every write is conditional, so an overlapping tick either wins the
 * same write or re-reads and joins; execution names are the incident id, so a second start is harmless.
 */
export async function applyIncidents(
  slo: SloDefinition,
  config: RuntimeConfig,
  deps: EvaluatorDeps,
  sloTenantCount: number,
  pending: readonly PendingTransition[],
  now: number,
): Promise<IncidentOutcome> {
  const outcome: IncidentOutcome = { incidentOf: new Map(), opened: [], joined: [], resolved: [], alertFailures: 0 };
  const muted = (tenant: string): boolean => slo.overrides[tenant]?.muted === true;
  const rising = pending.filter((p) => (p.transition === 'opened' || p.transition === 'escalated') && !muted(p.next.tenant));
  const recovered = pending.filter((p) => p.transition === 'resolved' && p.prev?.incidentId);

  // A tenant escalating inside its own open incident stays there (the incident's severity rises): a tenant is in at
  // most one open incident, so its recovery always closes the incident it belongs to.
  const burning: typeof rising = [];
  const byIncident = new Map<string, typeof rising>();
  for (const p of rising) {
    const own = p.prev?.incidentId;
    if (own) byIncident.set(own, [...(byIncident.get(own) ?? []), p]);
    else burning.push(p);
  }
  for (const [incidentId, items] of byIncident) {
    const kept = await escalateWithinIncident(deps, incidentId, items, now);
    if (kept) for (const p of items) outcome.incidentOf.set(p.next.tenant, incidentId);
    else burning.push(...items); // its incident is gone or resolved: group it like a new burn
  }

  if (burning.length > 0) {
    const severity: Severity = burning.some((p) => p.next.level === 'page') ? 'page' : 'ticket';
    const joining = burning.map((p) => ({
      tenant: p.next.tenant,
      level: p.next.level === 'page' ? ('page' as const) : ('ticket' as const),
      burnRates: p.next.burnRates,
      budgetRemaining: p.next.budgetRemaining,
    }));
    let settled = false;
    for (let attempt = 0; attempt < MAX_WRITE_RETRIES && !settled; attempt += 1) {
      const pointer = await deps.store.getOpenIncidentPointer(slo.name);
      const current = pointer ? await deps.store.getIncident(pointer.incidentId) : null;
      // A tenant already burning in the open incident was recorded by an earlier attempt that failed before writing
      // its state (e.g. StartExecution throttled): finish that attempt in the same incident, whatever its age.
      const retry = current !== null && current.status !== 'resolved' && joining.some((t) => isBurningIn(current, t.tenant));
      const decision = retry ? ({ action: 'join' } as const) : groupingDecision({
        pointer: pointer ? { incidentId: pointer.incidentId, openedAt: pointer.openedAt } : null,
        openIncident: current,
        newlyBurning: joining.map((t) => t.tenant),
        sloTenantCount,
        now,
        groupingIntervalMinutes: config.evaluator.groupingIntervalMinutes,
        groupingTenantShare: config.evaluator.groupingTenantShare,
      });
      if (decision.action === 'join' && current) {
        const before = current;
        const updated = joinIncident(current, joining, now);
        if (updated !== before && (await deps.store.updateIncident(updated, before.version)) === 'conflict') continue;
        for (const t of joining) outcome.incidentOf.set(t.tenant, updated.id);
        outcome.joined.push(updated.id);
        const known = new Set(before.tenants.map((t) => t.tenant));
        const newTenants = joining.map((t) => t.tenant).filter((t) => !known.has(t));
        if (before.severity !== 'page' && updated.severity === 'page') {
          // The page execution announces the escalation itself.
          await startWorkflow(deps, updated, `${updated.id}-page`, earliestOnset(burning, now));
        } else if (newTenants.length > 0) {
          if (!(await notify(deps, alertEvent('escalated', slo, updated, pending, now, newTenants)))) outcome.alertFailures += 1;
        }
        if (retry) await restartExecutions(deps, before, earliestOnset(burning, now));
        settled = true;
        continue;
      }
      const created = openIncident({ slo: slo.name, severity, tenants: joining, now });
      const id = created.id;
      if ((await deps.store.createIncident(created)) === 'conflict') continue; // an overlapping tick opened it: re-read and join
      let pointerWrite: WriteOutcome;
      try {
        pointerWrite = await deps.store.putOpenIncidentPointer(
          { slo: slo.name, incidentId: id, openedAt: now, version: (pointer?.version ?? 0) + 1 },
          pointer?.version ?? 0,
        );
      } catch (error) {
        // No pointer names it, so no later tick would find it: close it before failing, or it stays open for ever.
        await supersede(deps, created, now, `opening failed (${describeError(error)}); the next tick opens the burn again`);
        throw error;
      }
      if (pointerWrite === 'conflict') {
        // An overlapping tick opened another incident between our read and our write: that one owns the burn. Close
        // ours before its workflow starts (no second page) and join theirs on the next attempt.
        deps.log.warn('Open-incident pointer moved while opening an incident; joining the other', { slo: slo.name, incidentId: id });
        await supersede(deps, created, now, 'an overlapping tick opened an incident for this SLO first; its tenants join that one');
        continue;
      }
      for (const t of joining) outcome.incidentOf.set(t.tenant, id);
      outcome.opened.push(id);
      await startWorkflow(deps, created, id, earliestOnset(burning, now));
      settled = true;
    }
    // Never drop a burn silently: fail the SLO (its tenant states stay unwritten), so the next tick retries it.
    if (!settled) throw new IncidentWriteConflictError(`for ${joining.length} burning tenant(s) of ${slo.name}`);
  }

  for (const item of recovered) {
    const incidentId = item.prev?.incidentId;
    if (!incidentId) continue;
    for (let attempt = 0; attempt < MAX_WRITE_RETRIES; attempt += 1) {
      const incident = await deps.store.getIncident(incidentId);
      if (!incident) break;
      const changed = resolveIfAllRecovered(recoverTenant(incident, item.next.tenant, now, item.next.budgetRemaining), now);
      if (changed === incident) break; // already recorded by an overlapping tick
      // Two domain steps, one stored write: the stored version moves by exactly one.
      const updated: Incident = { ...changed, version: incident.version + 1 };
      if ((await deps.store.updateIncident(updated, incident.version)) === 'conflict') continue;
      if (updated.status === 'resolved' && incident.status !== 'resolved') {
        outcome.resolved.push(updated.id);
        if (!(await notify(deps, alertEvent('resolved', slo, updated, pending, now)))) outcome.alertFailures += 1;
      }
      break;
    }
  }
  return outcome;
}

/** The alert for an incident as the evaluator sees it this tick: latest state for tenants that changed, join-time figures for the rest. */
function alertEvent(
  type: 'escalated' | 'resolved',
  slo: SloDefinition,
  incident: Incident,
  pending: readonly { next: TenantAlertState }[],
  now: number,
  newTenants?: readonly string[],
): AlertEvent {
  const latest = new Map(pending.map((p) => [p.next.tenant, p.next]));
  const tenants: AlertTenant[] = incident.tenants.map((t) => {
    const state = latest.get(t.tenant);
    return {
      tenant: t.tenant,
      level: t.recoveredAt !== null ? 'ok' : (state?.level ?? t.level),
      burnRates: labelWindows(state?.burnRates ?? t.burnRates),
      budgetRemaining: state?.budgetRemaining ?? t.budgetRemainingAtJoin,
      timeToExhaustionMinutes: state?.timeToExhaustionMinutes ?? null,
      recoveredAt: t.recoveredAt,
      budgetLost: t.budgetLost,
    };
  });
  return {
    schemaVersion: 1,
    type,
    incident,
    slo: { name: slo.name, objectivePercent: slo.objectivePercent },
    tenants,
    ...(newTenants ? { newTenants } : {}),
    at: now,
  };
}

/** Returns false when delivery failed (after the notifier's own retries); the tick reports it as an error. */
async function notify(deps: EvaluatorDeps, event: AlertEvent): Promise<boolean> {
  if (!deps.notifier) return true;
  try {
    await deps.notifier.publish(event);
    return true;
  } catch (error) {
    // The incident is already stored, so retrying the whole tick would not resend: report loudly instead.
    deps.log.error('Alert delivery failed', { incidentId: event.incident.id, type: event.type, reason: describeError(error) });
    return false;
  }
}

/** Raises an open incident's severity for its own tenants; false when the incident is resolved or missing. */
async function escalateWithinIncident(
  deps: EvaluatorDeps,
  incidentId: string,
  items: readonly { next: TenantAlertState }[],
  now: number,
): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_WRITE_RETRIES; attempt += 1) {
    const incident = await deps.store.getIncident(incidentId);
    if (!incident || incident.status === 'resolved') return false;
    const updated = joinIncident(
      incident,
      items.map((p) => ({
        tenant: p.next.tenant,
        level: p.next.level === 'page' ? ('page' as const) : ('ticket' as const),
        burnRates: p.next.burnRates,
        budgetRemaining: p.next.budgetRemaining,
      })),
      now,
    );
    if (updated !== incident && (await deps.store.updateIncident(updated, incident.version)) === 'conflict') continue;
    if (incident.severity !== 'page' && updated.severity === 'page') {
      await startWorkflow(deps, updated, `${updated.id}-page`, earliestOnset(items, now));
    } else if (updated === incident) {
      // Already recorded by an earlier attempt that failed before writing the states: its start may not have happened.
      await restartExecutions(deps, incident, earliestOnset(items, now));
    }
    return true;
  }
  throw new IncidentWriteConflictError(incidentId);
}

/**
 * Closes an incident this tick created but must not keep (never announced, no workflow started), with the reason in
 * its timeline. If even that write fails, the error log names it so an operator can close it.
 */
async function supersede(deps: EvaluatorDeps, incident: Incident, now: number, reason: string): Promise<void> {
  const closed: Incident = { ...appendTimeline(incident, now, 'superseded', reason), status: 'resolved', resolvedAt: now };
  try {
    if ((await deps.store.updateIncident(closed, incident.version)) === 'written') return;
    deps.log.error('Superseded incident changed under us; left as it is', { incidentId: incident.id, reason });
  } catch (error) {
    deps.log.error('Could not close a superseded incident; close it by hand', { incidentId: incident.id, reason, error: describeError(error) });
  }
}

export class IncidentWriteConflictError extends Error {
  constructor(incidentId: string) {
    super(`incident ${incidentId}: still changed by another writer after ${MAX_WRITE_RETRIES} attempts; the next tick retries`);
    this.name = 'IncidentWriteConflictError';
  }
}

function isBurningIn(incident: Incident, tenant: string): boolean {
  return incident.tenants.some((t) => t.tenant === tenant && t.recoveredAt === null);
}

/**
 * Starts again every execution the incident should have: `<id>` from its opening, and `<id>-page` once its severity
 * was raised. Names are idempotency keys, so an execution that did start is answered as already started.
 */
async function restartExecutions(deps: EvaluatorDeps, incident: Incident, onsetAt: number): Promise<void> {
  await startWorkflow(deps, incident, incident.id, onsetAt);
  if (incident.timeline.some((entry) => entry.step === 'severity-raised')) await startWorkflow(deps, incident, `${incident.id}-page`, onsetAt);
}

function earliestOnset(items: readonly { next: TenantAlertState }[], now: number): number {
  return items.reduce((min, p) => Math.min(min, p.next.levelSince ?? now), now);
}

async function startWorkflow(deps: EvaluatorDeps, incident: Incident, executionName: string, onsetAt: number): Promise<void> {
  const { executionArn, alreadyStarted } = await deps.workflow.start(
    {
      incidentId: incident.id,
      slo: incident.slo,
      severity: incident.severity,
      tenants: incident.tenants.map((t) => t.tenant),
      onsetAt,
      openedAt: incident.openedAt,
    },
    executionName,
  );
  deps.log.info('Incident workflow started', { incidentId: incident.id, executionArn, alreadyStarted });
}
