/**
 * Grouping by a cause the workflow found after the fact: Analyse hands its result here. The incident's suspected
 * resource is noted on it; when an earlier open incident of the same SLO suspects the same resource, this incident
 * merges into that one (its tenants join it, it is closed as merged, the SLO's open-incident pointer moves to the
 * survivor) and this execution stops without acting: the survivor's execution owns the resource, so a mitigation
 * acts once per resource. Every write is conditional on the version read; conflicts are retried and, past the limit,
 * reported with a named error.
 */
import {
  CAUSE_LOOKBACK_INTERVALS,
  MAX_CAUSE_CANDIDATES,
  causeGroupingDecision,
  causeResourceOf,
  mergedIntoOf,
  previousIncidentOf,
  recordSuspectedResource,
} from '../../domain/cause-grouping';
import { SUSPECTED_RESOURCE_STEP, absorbIncident, closeAsMerged } from '../../domain/incident';
import type { Correlation, Incident, RuntimeConfig } from '../../domain/model';
import type { Log, StateStore } from '../../ports';
import { describeError } from '../describe-error';
import type { NotifyDeps, NotifyReceipt } from './alert-event';
import { publishAlert } from './alert-event';
import { MAX_INCIDENT_WRITE_ATTEMPTS, changeIncident, readIncident } from './incident-record';
import type { TimelineEntries } from './incident-record';
import type { MergeRecord, WorkflowState } from './state';
import { WorkflowStateError } from './state';

export type { MergeRecord } from './state';

export interface MergeDeps {
  readonly store: StateStore;
  readonly log: Log;
}

/** The execution state after Analyse; `merged` is set when this incident merged into another (see state.ts). */
export type MergedWorkflowState = WorkflowState;

/** The merge kept conflicting with other writers (the evaluator, the survivor's execution). */
export class IncidentMergeConflictError extends Error {
  constructor(
    readonly incidentId: string,
    readonly survivorId: string,
    readonly attempts: number,
  ) {
    super(`merging incident ${incidentId} into ${survivorId}: the incidents changed under every one of ${attempts} attempts; giving up`);
    this.name = 'IncidentMergeConflictError';
  }
}

/**
 * Earlier incidents of the SLO reachable from this one through the `follows` links (and through `merged-into`, so an
 * incident merged away leads to its survivor), newest first, at most MAX_CAUSE_CANDIDATES reads.
 */
export async function earlierIncidents(store: StateStore, incident: Incident): Promise<Incident[]> {
  const found: Incident[] = [];
  const seen = new Set<string>([incident.id]);
  const queue = [previousIncidentOf(incident)];
  while (queue.length > 0 && seen.size <= MAX_CAUSE_CANDIDATES) {
    const id = queue.shift();
    if (id === null || id === undefined || seen.has(id)) continue;
    seen.add(id);
    const other = await store.getIncident(id);
    if (other === null) continue;
    found.push(other);
    queue.push(mergedIntoOf(other), previousIncidentOf(other));
  }
  return found;
}

/** Tenants of the survivor whose entry was copied from `merged` (same join time and budget at join). */
function copiedFrom(survivor: Incident, merged: Incident): string[] {
  return merged.tenants
    .filter((moving) =>
      survivor.tenants.some((entry) => entry.tenant === moving.tenant && entry.joinedAt === moving.joinedAt && entry.budgetRemainingAtJoin === moving.budgetRemainingAtJoin),
    )
    .map((moving) => moving.tenant);
}

/** The state of an execution whose incident was merged: no action left, the merge recorded. */
function mergedState(state: WorkflowState, merged: MergeRecord): MergedWorkflowState {
  const analysis = state.analysis === undefined ? undefined : { ...state.analysis, plan: [] };
  const round = { ...state.progress.round, action: null, hasAction: false, needsApproval: false };
  return { ...state, ...(analysis === undefined ? {} : { analysis }), progress: { ...state.progress, round }, merged };
}

/** Absorbs `incidentId` into `survivorId` and closes it; null when the merge no longer applies (either closed meanwhile). */
async function writeMerge(store: StateStore, incidentId: string, survivorId: string, resource: string, now: number): Promise<Incident | null> {
  for (let attempt = 1; attempt <= MAX_INCIDENT_WRITE_ATTEMPTS; attempt += 1) {
    const merged = await readIncident(store, incidentId);
    if (mergedIntoOf(merged) === survivorId) return readIncident(store, survivorId);
    const survivor = await readIncident(store, survivorId);
    if (merged.status === 'resolved' || survivor.status === 'resolved') return null;
    // Survivor first: a tenant is never in no open incident, and a retry absorbs again what changed meanwhile.
    const { incident: absorbed } = absorbIncident(survivor, merged, resource, now);
    if (absorbed !== survivor) {
      const next: Incident = { ...absorbed, version: survivor.version + 1 };
      if ((await store.updateIncident(next, survivor.version)) === 'conflict') continue;
    }
    const closed: Incident = { ...closeAsMerged(merged, survivorId, resource, now), version: merged.version + 1 };
    if ((await store.updateIncident(closed, merged.version)) === 'conflict') continue;
    return absorbed;
  }
  throw new IncidentMergeConflictError(incidentId, survivorId, MAX_INCIDENT_WRITE_ATTEMPTS);
}

/**
 * Moves the SLO's open-incident pointer from the merged incident to the survivor, keeping the merged burn's opening
 * time, so burns starting within the grouping interval of it join the survivor directly. A pointer that moved on to
 * another incident is left alone; new incidents still reach the survivor through their `follows` links.
 */
async function movePointer(store: StateStore, log: Log, merged: Incident, survivorId: string): Promise<void> {
  for (let attempt = 1; attempt <= MAX_INCIDENT_WRITE_ATTEMPTS; attempt += 1) {
    const pointer = await store.getOpenIncidentPointer(merged.slo);
    if (pointer === null || pointer.incidentId !== merged.id) return;
    const next = { slo: merged.slo, incidentId: survivorId, openedAt: merged.openedAt, version: pointer.version + 1 };
    if ((await store.putOpenIncidentPointer(next, pointer.version)) === 'written') return;
  }
  // The merge stands without it (the links lead to the survivor); said loudly so the pointer's churn is visible.
  log.warn('Open-incident pointer kept changing; left on the merged incident', { incidentId: merged.id, survivorId, attempts: MAX_INCIDENT_WRITE_ATTEMPTS });
}

/**
 * The timeline entry that notes the incident's suspected resource (none for an `unknown` cause), for Analyse to
 * write with its own entries: later incidents of the SLO are matched against it.
 */
export function suspectedResourceEntries(correlation: Pick<Correlation, 'failureMode' | 'ranked'>): TimelineEntries {
  const resource = causeResourceOf(correlation);
  return resource === null ? [] : [[SUSPECTED_RESOURCE_STEP, resource]];
}

/**
 * Analyse's last step. Notes the suspected resource on the incident and, when an earlier open incident of the SLO
 * suspects the same one, merges into it and returns the state with `merged` set and no action; otherwise the state
 * as given.
 */
export async function groupBySharedCause(state: WorkflowState, runtime: RuntimeConfig, deps: MergeDeps, now: number): Promise<MergedWorkflowState> {
  if (state.analysis === undefined) throw new WorkflowStateError('grouping by cause needs the analysis (state.analysis)');
  const resource = causeResourceOf(state.analysis.correlation);
  if (resource === null) return state;
  const incidentId = state.input.incidentId;
  // Analyse noted the resource in its own write (suspectedResourceEntries); an incident analysed before that was
  // deployed gets it here.
  const incident = await changeIncident(deps.store, incidentId, (current) =>
    current.status === 'resolved' ? current : recordSuspectedResource(current, resource, now),
  );

  const already = mergedIntoOf(incident);
  if (already !== null) {
    // A retried Analyse: the merge was written by the first attempt.
    const survivor = await readIncident(deps.store, already);
    return mergedState(state, { into: already, resource, newTenants: copiedFrom(survivor, incident), reason: `merged into ${already} by an earlier attempt` });
  }
  const decision = causeGroupingDecision({
    incident,
    resource,
    earlier: await earlierIncidents(deps.store, incident),
    groupingIntervalMinutes: runtime.evaluator.groupingIntervalMinutes,
    lookbackIntervals: CAUSE_LOOKBACK_INTERVALS,
  });
  if (decision.action === 'keep') {
    deps.log.info('No earlier incident shares the cause', { incidentId, resource, reason: decision.reason });
    return state;
  }
  const survivor = await writeMerge(deps.store, incidentId, decision.into, resource, now);
  if (survivor === null) {
    deps.log.info('Merge no longer applies: one of the incidents closed meanwhile', { incidentId, survivorId: decision.into });
    return state;
  }
  try {
    await movePointer(deps.store, deps.log, incident, decision.into);
  } catch (error) {
    deps.log.warn('Could not move the open-incident pointer to the survivor', { incidentId, survivorId: decision.into, reason: describeError(error) });
  }
  const newTenants = copiedFrom(survivor, incident);
  deps.log.info('Incident merged into an earlier one sharing its cause', { incidentId, survivorId: decision.into, resource, newTenants: newTenants.length });
  return mergedState(state, { into: decision.into, resource, newTenants, reason: decision.reason });
}

/**
 * The one alert of a merge: `escalated` on the survivor, naming the tenants that joined it (instead of a second
 * `opened` page). The Notify task sends it when the definition's `Merged?` Choice finds `$.merged`.
 */
export async function notifyMerged(state: WorkflowState, runtime: RuntimeConfig, deps: NotifyDeps, now: number): Promise<NotifyReceipt> {
  const { merged } = state;
  if (merged === undefined) throw new WorkflowStateError('the merged alert needs the merge (state.merged)');
  const survivor = await readIncident(deps.store, merged.into);
  return publishAlert({ type: 'escalated', incident: survivor, state, runtime, now, newTenants: merged.newTenants }, deps, `for ${state.input.incidentId} merging in`);
}
