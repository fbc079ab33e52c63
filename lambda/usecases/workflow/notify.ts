/**
 * Step 3 and the verdicts: builds the alert event for renderAlert from the incident, the tenants' current alert
 * state and what the workflow found and did, publishes it, and notes it on the incident's timeline. Used for the
 * opening alert, the approval request, 'mitigated', 'escalated' and the workflow's own failure.
 */
import type { AlertCorrelation, AlertEvent, AlertTenant } from '../../domain/alert-message';
import type { ActionResult, AlertEventType, Incident, PlannedAction, RuntimeConfig, TenantAlertState } from '../../domain/model';
import { labelWindows } from '../../domain/policy';
import type { Log, StateStore } from '../../ports';
import { sloNamed } from './analyse';
import { changeIncident, readIncident, recordOnTimeline, withTimeline } from './incident-record';
import type { AlertPublisher } from './ports';
import type { NotifyReason, ValidationRecord, WorkflowState } from './state';
import { WorkflowStateError } from './state';

export interface NotifyDeps {
  readonly store: StateStore;
  readonly alerts: AlertPublisher;
  readonly log: Log;
}

export interface NotifyReceipt {
  readonly type: AlertEventType;
  readonly messageId: string;
}

export interface AlertContext {
  readonly type: AlertEventType;
  readonly incident: Incident;
  readonly state: WorkflowState;
  readonly runtime: RuntimeConfig;
  readonly tenantStates: ReadonlyMap<string, TenantAlertState>;
  readonly now: number;
  /** Extra recommendations (e.g. "investigate by hand" after a failure), listed first. */
  readonly extraRecommendations?: readonly PlannedAction[];
  readonly approvalCommand?: string;
}

function latestValidation(state: WorkflowState): ValidationRecord | undefined {
  return state.progress.validations[state.progress.validations.length - 1];
}

/** Minutes-keyed burn rates (`{ "5": 20 }`) as the alert shows them (`{ "5m": 20 }`). */
function labelled(burnRates: Readonly<Record<string, number>>): Record<string, number> {
  return labelWindows(burnRates);
}

function alertTenants(incident: Incident, tenantStates: ReadonlyMap<string, TenantAlertState>, validation: ValidationRecord | undefined): AlertTenant[] {
  const sampled = new Map((validation?.samples ?? []).map((sample) => [sample.tenant, sample]));
  return incident.tenants.map((member) => {
    const current = tenantStates.get(member.tenant);
    const burnRates = labelled(current?.burnRates ?? member.burnRates);
    const sample = sampled.get(member.tenant);
    // A validation's re-sample is newer than the evaluator's last write for the window it measured.
    if (sample !== undefined && validation !== undefined) Object.assign(burnRates, labelled({ [String(validation.shortWindowMinutes)]: sample.burnRate }));
    return {
      tenant: member.tenant,
      level: member.recoveredAt !== null ? 'ok' : (current?.level ?? member.level),
      burnRates,
      budgetRemaining: current?.budgetRemaining ?? member.budgetRemainingAtJoin,
      timeToExhaustionMinutes: current?.timeToExhaustionMinutes ?? null,
      recoveredAt: member.recoveredAt,
      budgetLost: member.budgetLost,
    };
  });
}

function tried(actions: readonly ActionResult[], candidate: PlannedAction): boolean {
  return actions.some((result) => result.action.kind === candidate.kind && result.action.resource === candidate.resource);
}

export function buildAlertEvent(context: AlertContext): AlertEvent {
  const { state, incident, type } = context;
  const slo = sloNamed(context.runtime, incident.slo);
  const analysis = state.analysis;
  const correlation: AlertCorrelation | undefined =
    analysis === undefined
      ? undefined
      : { suspectedCause: analysis.correlation.suspectedCause, failureMode: analysis.correlation.failureMode, confidence: analysis.correlation.confidence };
  const recommended = [
    ...(context.extraRecommendations ?? []),
    ...(analysis?.plan ?? []).filter((action) => !tried(state.progress.actions, action)),
  ];
  return {
    schemaVersion: 1,
    type,
    incident,
    slo: { name: slo.name, objectivePercent: slo.objectivePercent },
    tenants: alertTenants(incident, context.tenantStates, latestValidation(state)),
    ...(correlation === undefined ? {} : { correlation }),
    ...(state.progress.actions.length > 0 ? { actions: state.progress.actions } : {}),
    ...(recommended.length > 0 ? { recommended } : {}),
    ...(state.forensic === undefined ? {} : { forensic: state.forensic }),
    ...(context.approvalCommand === undefined ? {} : { approval: { command: context.approvalCommand } }),
    at: context.now,
  };
}

/** Builds, publishes and notes one alert; the timeline entry names the message id so a responder can trace it. */
export async function publishAlert(context: Omit<AlertContext, 'tenantStates'>, deps: NotifyDeps): Promise<NotifyReceipt> {
  const { incident } = context;
  const { states: tenantStates } = await deps.store.getTenantStates(incident.slo, incident.tenants.map((member) => member.tenant));
  const event = buildAlertEvent({ ...context, tenantStates });
  const { messageId } = await deps.alerts.publish(event);
  await recordOnTimeline(deps.store, incident.id, context.now, [['notified', `${context.type} alert sent (message ${messageId})`]]);
  deps.log.info('Alert sent', { incidentId: incident.id, type: context.type, messageId });
  return { type: context.type, messageId };
}

/**
 * Opening: `opened`, or `escalated` for an escalation execution. Recovered: `mitigated`. Not recovered after the
 * last round: `escalated` at page severity, which is also recorded on the incident (no automation is left).
 */
export async function notifyIncident(
  reason: NotifyReason,
  state: WorkflowState,
  runtime: RuntimeConfig,
  deps: NotifyDeps,
  now: number,
): Promise<NotifyReceipt> {
  if (state.analysis === undefined) throw new WorkflowStateError('Notify needs the analysis (state.analysis)');
  const incidentId = state.input.incidentId;
  let type: AlertEventType;
  let incident: Incident;
  switch (reason) {
    case 'opening':
      type = state.analysis.alertType;
      incident = await readIncident(deps.store, incidentId);
      break;
    case 'recovered':
      type = 'mitigated';
      incident = await readIncident(deps.store, incidentId);
      break;
    case 'not-recovered': {
      type = 'escalated';
      const rounds = state.progress.validations.length;
      incident = await changeIncident(deps.store, incidentId, (current) =>
        withTimeline({ ...current, severity: 'page' }, now, [
          ['escalated', `burn did not recover after ${rounds} round(s) of mitigation; severity page, automation stops`],
        ]),
      );
      break;
    }
  }
  return publishAlert({ type, incident, state, runtime, now }, deps);
}
