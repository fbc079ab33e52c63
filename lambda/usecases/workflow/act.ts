/**
 * Step 5: runs the round's one action. The guards are applied again first, because minutes (or an approval) may
 * have passed since the plan: the kill switch, a cooldown started by another incident, or another execution that
 * began mitigating all still stop it. The incident is marked `mitigating` by this execution before anything changes,
 * the hourly quota is consumed atomically, and the resource's cooldown starts once a mutating call was made.
 */
import { ActionRefusedError } from '../../adapters/collectors/common';
import { applyGuards } from '../../domain/guards';
import type { ActionResult, PlannedAction } from '../../domain/model';
import { HOUR_MS } from '../../domain/model';
import type { GuardStore, Log, StateStore } from '../../ports';
import { describeAction, mitigatedByAnother } from './analyse';
import type { WorkflowRuntimeConfig } from './config';
import { changeIncident, recordOnTimeline, withTimeline } from './incident-record';
import type { ActionRunners } from './ports';
import type { WorkflowRound, WorkflowState } from './state';
import { WorkflowStateError } from './state';

export interface ActDeps {
  readonly store: StateStore;
  readonly guards: GuardStore;
  readonly actions: ActionRunners;
  readonly log: Log;
}

function skipped(action: PlannedAction, detail: string, now: number): ActionResult {
  return { action, outcome: 'skipped', detail, at: now };
}

/** Why the approval does not count, or null when the action may run. */
function approvalProblem(round: WorkflowRound, action: PlannedAction): string | null {
  if (!action.requiresApproval) return null;
  if (round.approval === undefined) return `not approved: ${action.kind} needs approval and none was given for round ${round.number}`;
  if (round.approval.approved === false) return `not approved: the reviewer answered approved=false${round.approval.comment ? ` (${round.approval.comment})` : ''}`;
  return null;
}

async function guardsNow(action: PlannedAction, state: WorkflowState, config: WorkflowRuntimeConfig, deps: ActDeps, now: number): Promise<string[]> {
  const [killSwitchOn, lastActionAt, incident] = await Promise.all([
    deps.guards.isKillSwitchOn(),
    deps.guards.getLastActionAt(action.resource),
    deps.store.getIncident(state.input.incidentId),
  ]);
  const [checked] = applyGuards([{ ...action, allowed: false }], {
    policy: config.policy,
    now,
    killSwitchOn,
    lastActionAt: { [action.resource]: lastActionAt },
    quotaAvailable: true,
    incidentAlreadyMitigating: incident !== null && mitigatedByAnother(incident, state.executionArn),
  });
  return checked === undefined || checked.allowed ? [] : [...checked.blockedBy];
}

/** Marks the incident as mitigated by this execution; false when another execution took it first. */
async function claimIncident(state: WorkflowState, action: PlannedAction, round: number, deps: ActDeps, now: number): Promise<boolean> {
  let claimed = false;
  await changeIncident(deps.store, state.input.incidentId, (current) => {
    claimed = !mitigatedByAnother(current, state.executionArn);
    if (!claimed) return current;
    return withTimeline({ ...current, status: current.status === 'resolved' ? current.status : 'mitigating', executionArn: state.executionArn }, now, [
      ['action-started', `round ${round}: ${describeAction(action)}; ${action.reason}`],
    ]);
  });
  return claimed;
}

async function run(action: PlannedAction, round: WorkflowRound, state: WorkflowState, config: WorkflowRuntimeConfig, deps: ActDeps, now: number): Promise<ActionResult> {
  const notApproved = approvalProblem(round, action);
  if (notApproved !== null) return skipped(action, notApproved, now);
  if (action.kind === 'notify-only') return skipped(action, 'notify-only changes nothing', now);
  const blockedBy = await guardsNow(action, state, config, deps, now);
  if (blockedBy.length > 0) return skipped(action, `blocked now by ${blockedBy.join('; ')}`, now);
  if (!(await claimIncident(state, action, round.number, deps, now))) {
    return skipped(action, 'blocked now by already mitigating: another execution started mitigating this incident', now);
  }
  const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
  if (!(await deps.guards.tryConsumeActionQuota(hourStart, config.policy.maxActionsPerHour))) {
    return skipped(action, `blocked now by rate limit: the account-wide limit of ${config.policy.maxActionsPerHour} actions per hour is used up`, now);
  }
  let result: ActionResult;
  try {
    result = await deps.actions[action.kind].execute({ ...action, allowed: true, blockedBy: [] }, now);
  } catch (error) {
    if (!(error instanceof ActionRefusedError)) throw error;
    // The adapter refused before changing anything (e.g. the group was replaced): a result, reported like any other.
    deps.log.error('Action refused by its adapter', { incidentId: state.input.incidentId, kind: action.kind, resource: action.resource, reason: error.message });
    return skipped(action, `refused: ${error.reason}`, now);
  }
  // A failed call may still have changed part of the resource, so the cooldown starts either way.
  if (result.outcome !== 'skipped') await deps.guards.recordAction(action.resource, now);
  return result;
}

export async function actOnIncident(state: WorkflowState, config: WorkflowRuntimeConfig, deps: ActDeps, now: number): Promise<WorkflowState> {
  const { round } = state.progress;
  const action = round.action;
  if (!round.hasAction || action === null) throw new WorkflowStateError(`Act was reached in round ${round.number} without an action`);
  const result = await run(action, round, state, config, deps, now);
  await recordOnTimeline(deps.store, state.input.incidentId, now, [[`action-${result.outcome}`, `round ${round.number}: ${action.kind} on ${action.resource}: ${result.detail}`]]);
  const facts = { incidentId: state.input.incidentId, round: round.number, kind: action.kind, resource: action.resource, outcome: result.outcome, detail: result.detail };
  if (result.outcome === 'failed') deps.log.error('Action failed', facts);
  else deps.log.info('Action result', facts);
  return { ...state, progress: { ...state.progress, actions: [...state.progress.actions, result] } };
}
