/**
 * Step 2: correlate the collected evidence, plan mitigations with what worked before, guard them, and record the
 * suspected cause and the plan on the incident. The decisions are the pure domain's (correlate, planMitigations,
 * applyGuards); this step only gathers their inputs and stores their outputs.
 *
 * Rounds: one allowed action per round, then a validation. Changing one thing at a time is what lets a recovery be
 * credited to the action that caused it, which the learned success rates depend on.
 */
import { correlate } from '../../domain/correlation';
import { applyGuards } from '../../domain/guards';
import type { MitigationResources } from '../../domain/mitigation';
import { planMitigations } from '../../domain/mitigation';
import type { Incident, PlannedAction, RuntimeConfig, SloDefinition } from '../../domain/model';
import type { GuardStore, Log, MetricSource, StateStore } from '../../ports';
import { describeError } from '../describe-error';
import { sloNamed } from './alert-event';
import type { WorkflowRuntimeConfig } from './config';
import { changeIncident, readIncident, withTimeline } from './incident-record';
import { groupBySharedCause, suspectedResourceEntries } from './merge';
import type { TimelineEntries } from './incident-record';
import type { CollectorOutcome, OpeningAlert, StoredCorrelation, WorkflowRound, WorkflowState } from './state';
import { MAX_RANKED_CAUSES, WorkflowStateError } from './state';

export interface AnalyseDeps {
  readonly store: StateStore;
  readonly guards: GuardStore;
  readonly metrics: Pick<MetricSource, 'listTenants'>;
  readonly log: Log;
}

// They live with the alert builder (which needs them too), so Analyse -> merge -> alert-event has no cycle.
export { sloNamed, UnknownSloError } from './alert-event';

/** A mutating action that the guards allowed; notify-only is never a round of its own. */
export function isRunnable(action: PlannedAction): boolean {
  return action.allowed && action.kind !== 'notify-only';
}

function sameAction(a: PlannedAction, b: PlannedAction): boolean {
  return a.kind === b.kind && a.resource === b.resource;
}

/**
 * The round after `previous`: the next runnable action not tried yet, while rounds are left; otherwise a round
 * without an action.
 */
export function nextRound(
  plan: readonly PlannedAction[],
  tried: readonly PlannedAction[],
  previous: number,
  maxRounds: number,
  alertType: OpeningAlert,
): WorkflowRound {
  const number = previous + 1;
  const action = number > maxRounds ? undefined : plan.find((candidate) => isRunnable(candidate) && !tried.some((t) => sameAction(t, candidate)));
  if (action === undefined) return { number, action: null, hasAction: false, needsApproval: false, alertType };
  return { number, action, hasAction: true, needsApproval: action.requiresApproval, alertType };
}

/**
 * The second execution of an incident (started when its severity was raised to page) announces itself as an
 * escalation; the first announces the opening.
 */
export function openingAlertType(incident: Incident, severity: 'page' | 'ticket'): OpeningAlert {
  return severity === 'page' && incident.timeline.some((entry) => entry.step === 'severity-raised') ? 'escalated' : 'opened';
}

async function sloTenantCount(slo: SloDefinition, affected: number, deps: AnalyseDeps): Promise<{ count: number; note: string | null }> {
  if (slo.tenants.mode === 'list') return { count: Math.max(slo.tenants.tenants.length, affected), note: null };
  try {
    const excluded = new Set(slo.tenants.exclude);
    const found = (await deps.metrics.listTenants(slo)).filter((tenant) => !excluded.has(tenant));
    return { count: Math.max(found.length, affected), note: null };
  } catch (error) {
    // Correlation still works with a lower bound; the timeline says the scope factor used it.
    const note = `tenant discovery failed (${describeError(error)}); scope computed with the ${affected} affected tenant(s) only`;
    deps.log.warn('Tenant discovery failed during analysis', { slo: slo.name, reason: describeError(error) });
    return { count: affected, note };
  }
}

function mitigationResources(collected: readonly CollectorOutcome[]): MitigationResources {
  return {
    deployments: collected.flatMap((outcome) => outcome.deployments),
    autoScalingGroups: collected.flatMap((outcome) => outcome.autoScalingGroups),
  };
}

function collectedSummary(collected: readonly CollectorOutcome[]): string {
  return collected
    .map(({ source, result, omittedItems }) =>
      result.status === 'ok'
        ? `${source}: ${result.items.length + omittedItems} item(s)${omittedItems > 0 ? ` (${omittedItems} not kept)` : ''}`
        : `${source}: unavailable (${result.reason})`,
    )
    .join('; ');
}

export function describeAction(action: PlannedAction): string {
  const state = action.allowed ? (action.requiresApproval ? 'allowed after approval' : 'allowed') : `blocked by ${action.blockedBy.join(', ')}`;
  return `${action.kind} on ${action.resource} (${state})`;
}

async function guardInputs(plan: readonly PlannedAction[], guards: GuardStore): Promise<{ killSwitchOn: boolean; lastActionAt: Record<string, number | null> }> {
  const resources = [...new Set(plan.filter((action) => action.kind !== 'notify-only').map((action) => action.resource))];
  const [killSwitchOn, lastTimes] = await Promise.all([
    guards.isKillSwitchOn(),
    Promise.all(resources.map(async (resource) => [resource, await guards.getLastActionAt(resource)] as const)),
  ]);
  return { killSwitchOn, lastActionAt: Object.fromEntries(lastTimes) };
}

/** Another execution of this incident is acting: it owns the incident until it records its outcome. */
export function mitigatedByAnother(incident: Incident, executionArn: string): boolean {
  return incident.status === 'mitigating' && incident.executionArn !== null && incident.executionArn !== executionArn;
}

export async function analyseIncident(
  state: WorkflowState,
  runtime: RuntimeConfig,
  config: WorkflowRuntimeConfig,
  deps: AnalyseDeps,
  now: number,
): Promise<WorkflowState> {
  const { input } = state;
  if (state.collected === undefined) throw new WorkflowStateError('Analyse needs the collected context (state.collected)');
  // A branch that ran only because another SLO configures its source found nothing here: drop it for good.
  const collected = state.collected.filter((outcome) => outcome.notConfigured !== true);
  const slo = sloNamed(runtime, input.slo);
  const incident = await readIncident(deps.store, input.incidentId);
  const scope = await sloTenantCount(slo, new Set(input.tenants).size, deps);
  const correlation = correlate({
    onsetAt: input.onsetAt,
    affectedTenants: input.tenants,
    sloTenantCount: scope.count,
    collectors: collected.map((outcome) => outcome.result),
    now,
  });
  const history = await deps.guards.getActionStats(correlation.failureMode);
  const planned = planMitigations({
    correlation,
    incident,
    policy: config.policy,
    resources: mitigationResources(collected),
    history,
  });
  const { killSwitchOn, lastActionAt } = await guardInputs(planned, deps.guards);
  const plan = applyGuards(planned, {
    policy: config.policy,
    now,
    killSwitchOn,
    lastActionAt,
    // The hourly quota is consumed when an action runs; Act skips the action if it is used up by then.
    quotaAvailable: true,
    incidentAlreadyMitigating: mitigatedByAnother(incident, state.executionArn),
  });
  const alertType = openingAlertType(incident, input.severity);
  const stored: StoredCorrelation = {
    ...correlation,
    ranked: correlation.ranked.slice(0, MAX_RANKED_CAUSES),
    omittedCauses: Math.max(0, correlation.ranked.length - MAX_RANKED_CAUSES),
  };

  const entries: TimelineEntries = [
    ['workflow-started', `${alertType === 'escalated' ? 'escalation' : 'incident'} workflow ${state.executionArn}`],
    ['context-collected', collectedSummary(collected)],
    ['correlated', `${correlation.suspectedCause} (${correlation.failureMode}, confidence ${correlation.confidence.toFixed(2)})${scope.note ? `; ${scope.note}` : ''}`],
    ['planned', `mode ${config.policy.mode}: ${plan.length === 0 ? 'no actions' : plan.map(describeAction).join('; ')}`],
    ...suspectedResourceEntries(correlation),
  ];
  await changeIncident(deps.store, input.incidentId, (current) => {
    const owner = mitigatedByAnother(current, state.executionArn) ? current.executionArn : state.executionArn;
    const recorded = { ...current, suspectedCause: correlation.suspectedCause, failureMode: correlation.failureMode, executionArn: owner };
    return withTimeline(recorded, now, entries);
  });
  deps.log.info('Incident analysed', {
    incidentId: input.incidentId,
    failureMode: correlation.failureMode,
    confidence: correlation.confidence,
    actions: plan.length,
    runnable: plan.filter(isRunnable).length,
  });

  // A cause an earlier open incident already suspects merges this one into it (merge.ts); then nothing acts here.
  return groupBySharedCause({
    ...state,
    collected,
    analysis: { correlation: stored, plan, mode: config.policy.mode, alertType, sloTenantCount: scope.count, analysedAt: now },
    progress: { ...state.progress, round: nextRound(plan, [], 0, config.maxRounds, alertType), decision: 'pending' },
  }, runtime, deps, now);
}
