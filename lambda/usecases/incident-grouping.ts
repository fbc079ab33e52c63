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
  moveTenantOut,
  openIncident,
  recoverTenant,
  resolveIfAllRecovered,
  risingBurnPlacement,
} from '../domain/incident';
import type { BurningTenant } from '../domain/incident';
import { successorFor } from '../domain/cause-grouping';
import type { AlertEvent, AlertTenant } from '../domain/alert-message';
import { labelWindows } from '../domain/policy';
import type { WriteOutcome } from '../ports';
import type { EvaluatorDeps } from './evaluate-tick';
import { describeError } from './describe-error';

const MAX_WRITE_RETRIES = 3;
/** Merge and move links followed from the incident a tenant's state names (a longer chain is a bug, not data). */
const MAX_LINK_HOPS = 5;

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

/** A rising burn with the open incident it already belongs to (null: a fresh burn). */
interface RisingBurn {
  readonly item: PendingTransition;
  readonly own: Incident | null;
}

/**
 * Groups this tick's new and escalated burns of one SLO into incidents (one incident per cause, not one per tenant),
 * records recoveries, and starts the workflow. Every write is conditional, so an overlapping tick either wins the
 * same write or re-reads and joins; execution names are the incident id, so a second start is harmless.
 *
 * A tenant is in at most one open incident, so its recovery closes the incident it belongs to. Its stored state may
 * still name an incident it left (merged into another by the workflow, or moved out of): the links on that incident
 * lead to the one that answers for it now.
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

  const fresh: RisingBurn[] = [];
  const movers: RisingBurn[] = [];
  const byIncident = new Map<string, PendingTransition[]>();
  for (const item of rising) {
    const ownId = item.prev?.incidentId;
    const own = ownId ? await incidentAnswering(deps, ownId, item.next.tenant) : null;
    const placement = risingBurnPlacement(own, item.prev?.level ?? null, item.next.level);
    if (placement === 'new-burn' || own === null) fresh.push({ item, own: null });
    else if (placement === 'may-move') movers.push({ item, own });
    else byIncident.set(own.id, [...(byIncident.get(own.id) ?? []), item]);
  }

  // A tenant escalating inside its own open incident stays there (the incident's severity rises).
  fresh.push(...(await escalateEach(deps, byIncident, now, outcome)));

  // A tenant escalating to page while a shared incident opens (this tick) or is open within the grouping interval
  // moves into it instead of paging on its own: one page, in the incident responders already look at.
  const group = [...fresh, ...movers];
  const target = group.length > 0 ? await settleGroup(slo, config, deps, sloTenantCount, pending, group, fresh.length > 0, now, outcome) : null;
  const staying = new Map<string, PendingTransition[]>();
  for (const { item, own } of movers) {
    if (own === null) continue;
    if (target === null) staying.set(own.id, [...(staying.get(own.id) ?? []), item]);
    else if (target !== own.id) await moveOut(slo, deps, own.id, item, target, pending, now, outcome);
  }
  const closedMeanwhile = await escalateEach(deps, staying, now, outcome);
  if (closedMeanwhile.length > 0) await settleGroup(slo, config, deps, sloTenantCount, pending, closedMeanwhile, true, now, outcome);

  for (const item of recovered) await recordRecovery(slo, deps, item, pending, now, outcome);
  return outcome;
}

/** Escalates each incident's tenants inside it; returns the tenants whose incident closed meanwhile (burns to group anew). */
async function escalateEach(
  deps: EvaluatorDeps,
  byIncident: ReadonlyMap<string, readonly PendingTransition[]>,
  now: number,
  outcome: IncidentOutcome,
): Promise<RisingBurn[]> {
  const orphans: RisingBurn[] = [];
  for (const [incidentId, items] of byIncident) {
    if (await escalateWithinIncident(deps, incidentId, items, now)) for (const p of items) outcome.incidentOf.set(p.next.tenant, incidentId);
    else orphans.push(...items.map((item) => ({ item, own: null })));
  }
  return orphans;
}

/**
 * The incident that answers for `tenant` when its state names `incidentId`: that one, or the one it was merged into
 * or the tenant moved to. Null when it is not found.
 */
async function incidentAnswering(deps: EvaluatorDeps, incidentId: string, tenant: string): Promise<Incident | null> {
  let incident = await deps.store.getIncident(incidentId);
  for (let hop = 0; hop < MAX_LINK_HOPS && incident !== null; hop += 1) {
    const next = successorFor(incident, tenant);
    if (next === null) return incident;
    incident = await deps.store.getIncident(next);
  }
  if (incident === null) return null;
  throw new IncidentLinkError(incidentId, tenant);
}

/**
 * Opens or joins the incident for a group of rising burns; returns the incident they are in now. `mayOpen` false (only
 * tenants that already have an incident): they join the SLO's open incident when grouping says so, or stay (null).
 */
async function settleGroup(
  slo: SloDefinition,
  config: RuntimeConfig,
  deps: EvaluatorDeps,
  sloTenantCount: number,
  pending: readonly PendingTransition[],
  group: readonly RisingBurn[],
  mayOpen: boolean,
  now: number,
  outcome: IncidentOutcome,
): Promise<string | null> {
  const burning = group.map((g) => g.item);
  const severity: Severity = burning.some((p) => p.next.level === 'page') ? 'page' : 'ticket';
  const joining = burning.map((p) => burningTenant(p.next));
  const ownOf = new Map(group.map((g) => [g.item.next.tenant, g.own?.id ?? null]));
  for (let attempt = 0; attempt < MAX_WRITE_RETRIES; attempt += 1) {
    const pointer = await deps.store.getOpenIncidentPointer(slo.name);
    const current = pointer ? await deps.store.getIncident(pointer.incidentId) : null;
    // A tenant already burning in the open incident was recorded by an earlier attempt that failed before writing
    // its state (e.g. StartExecution throttled): finish that attempt in the same incident, whatever its age. A tenant
    // whose own incident is the open one is not such a retry: it is escalating there.
    const retry =
      current !== null && current.status !== 'resolved' && joining.some((t) => isBurningIn(current, t.tenant) && ownOf.get(t.tenant) !== current.id);
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
      // Only tenants of other incidents: joining the one they are in already is escalating there, done by the caller.
      if (!mayOpen && group.every((g) => g.own?.id === current.id)) return null;
      const before = current;
      const updated = joinIncident(current, joining, now);
      if (updated !== before && (await deps.store.updateIncident(updated, before.version)) === 'conflict') continue;
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
      for (const t of joining) outcome.incidentOf.set(t.tenant, updated.id);
      return updated.id;
    }
    if (!mayOpen) return null;
    const created = openIncident({ slo: slo.name, severity, tenants: joining, now, previousIncidentId: pointer?.incidentId ?? null });
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
    return id;
  }
  // Never drop a burn silently: fail the SLO (its tenant states stay unwritten), so the next tick retries it.
  throw new IncidentWriteConflictError(`for ${joining.length} burning tenant(s) of ${slo.name}`);
}

/**
 * The mover leaves its old incident for `targetId` (recorded as moved, with the budget it lost there); the old
 * incident resolves if it was its last burning tenant. It joined the target first, so it is never in no incident.
 */
async function moveOut(
  slo: SloDefinition,
  deps: EvaluatorDeps,
  ownId: string,
  item: PendingTransition,
  targetId: string,
  pending: readonly PendingTransition[],
  now: number,
  outcome: IncidentOutcome,
): Promise<void> {
  const { tenant, budgetRemaining } = item.next;
  const resolved = await changeWithRetries(deps, ownId, (incident) =>
    resolveIfAllRecovered(moveTenantOut(incident, tenant, targetId, now, budgetRemaining), now),
  );
  // Null: already moved by an earlier attempt, or the incident is gone; the tenant is in the target either way.
  await announceIfResolved(slo, deps, resolved, pending, now, outcome);
}

/** Records a tenant's recovery on the incident that answers for it; resolves and announces it when it was the last. */
async function recordRecovery(
  slo: SloDefinition,
  deps: EvaluatorDeps,
  item: PendingTransition,
  pending: readonly PendingTransition[],
  now: number,
  outcome: IncidentOutcome,
): Promise<void> {
  const stateIncident = item.prev?.incidentId;
  if (!stateIncident) return;
  const answering = await incidentAnswering(deps, stateIncident, item.next.tenant);
  if (answering === null) return;
  const changed = await changeWithRetries(deps, answering.id, (incident) =>
    incident.tenants.some((t) => t.tenant === item.next.tenant)
      ? resolveIfAllRecovered(recoverTenant(incident, item.next.tenant, now, item.next.budgetRemaining), now)
      : incident,
  );
  await announceIfResolved(slo, deps, changed, pending, now, outcome); // null: already recorded by an overlapping tick
}

/** Sends `resolved` when this write is the one that resolved the incident. */
async function announceIfResolved(
  slo: SloDefinition,
  deps: EvaluatorDeps,
  written: { before: Incident; updated: Incident } | null,
  pending: readonly PendingTransition[],
  now: number,
  outcome: IncidentOutcome,
): Promise<void> {
  if (written === null || written.updated.status !== 'resolved' || written.before.status === 'resolved') return;
  outcome.resolved.push(written.updated.id);
  if (!(await notify(deps, alertEvent('resolved', slo, written.updated, pending, now)))) outcome.alertFailures += 1;
}

/**
 * Applies `change` to the stored incident with a conditional write, re-reading on conflict; null when there was
 * nothing to write (or no such incident). Several domain steps, one stored write: the version moves by exactly one.
 * Throws IncidentWriteConflictError after MAX_WRITE_RETRIES conflicts: a recovery or a move is never dropped silently.
 */
async function changeWithRetries(
  deps: EvaluatorDeps,
  incidentId: string,
  change: (incident: Incident) => Incident,
): Promise<{ before: Incident; updated: Incident } | null> {
  for (let attempt = 0; attempt < MAX_WRITE_RETRIES; attempt += 1) {
    const incident = await deps.store.getIncident(incidentId);
    if (!incident) return null;
    const changed = change(incident);
    if (changed === incident) return null;
    const updated: Incident = { ...changed, version: incident.version + 1 };
    if ((await deps.store.updateIncident(updated, incident.version)) === 'conflict') continue;
    return { before: incident, updated };
  }
  throw new IncidentWriteConflictError(incidentId);
}

function burningTenant(state: TenantAlertState): BurningTenant {
  return {
    tenant: state.tenant,
    level: state.level === 'page' ? 'page' : 'ticket',
    burnRates: state.burnRates,
    budgetRemaining: state.budgetRemaining,
  };
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
    const updated = joinIncident(incident, items.map((p) => burningTenant(p.next)), now);
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

/** The links from an incident a tenant's state names go on for longer than any merge or move makes them. */
export class IncidentLinkError extends Error {
  constructor(incidentId: string, tenant: string) {
    super(`incident ${incidentId}: following merge and move links for tenant ${tenant} took more than ${MAX_LINK_HOPS} hops; the links loop`);
    this.name = 'IncidentLinkError';
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
