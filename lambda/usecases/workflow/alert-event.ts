/**
 * The alert a workflow step sends, built from the incident, the tenants' current alert state and what the
 * execution found and did, then published and noted on the incident's timeline. Its own module so that every step
 * that alerts (Notify, the approval request, a merge, the failure path) can use it without importing another step:
 * Analyse reaches merge.ts, and merge.ts alerts, so the steps would otherwise import each other in a cycle.
 */
import type { AlertCorrelation, AlertEvent, AlertTenant } from '../../domain/alert-message';
import type { ActionResult, AlertEventType, Incident, PlannedAction, RuntimeConfig, SloDefinition, TenantAlertState } from '../../domain/model';
import { labelWindows } from '../../domain/policy';
import type { Log, StateStore } from '../../ports';
import { recordOnTimeline } from './incident-record';
import type { AlertPublisher } from './ports';
import type { ValidationRecord, WorkflowState } from './state';

export interface NotifyDeps {
  readonly store: StateStore;
  readonly alerts: AlertPublisher;
  readonly log: Log;
}

export interface NotifyReceipt {
  readonly type: AlertEventType;
  readonly messageId: string;
}

/** The SLO named by the execution input is not configured: the evaluator and the workflow disagree. */
export class UnknownSloError extends Error {
  constructor(
    readonly slo: string,
    known: readonly string[],
  ) {
    super(`input.slo must be one of the configured SLOs (${known.join(', ')}); got ${JSON.stringify(slo)}`);
    this.name = 'UnknownSloError';
  }
}

export function sloNamed(runtime: RuntimeConfig, name: string): SloDefinition {
  const slo = runtime.slos.find((candidate) => candidate.name === name);
  if (slo === undefined) throw new UnknownSloError(name, runtime.slos.map((candidate) => candidate.name));
  return slo;
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
  /** Tenants that joined with this event (`escalated` only), named in the alert's `newTenants`. */
  readonly newTenants?: readonly string[];
}

function latestValidation(state: WorkflowState): ValidationRecord | undefined {
  return state.progress.validations[state.progress.validations.length - 1];
}

function alertTenants(incident: Incident, tenantStates: ReadonlyMap<string, TenantAlertState>, validation: ValidationRecord | undefined): AlertTenant[] {
  const sampled = new Map((validation?.samples ?? []).map((sample) => [sample.tenant, sample]));
  return incident.tenants.map((member) => {
    const current = tenantStates.get(member.tenant);
    // Minutes-keyed burn rates (`{ "5": 20 }`) as the alert shows them (`{ "5m": 20 }`).
    const burnRates = labelWindows(current?.burnRates ?? member.burnRates);
    const sample = sampled.get(member.tenant);
    // A validation's re-sample is newer than the evaluator's last write for the window it measured.
    if (sample !== undefined && validation !== undefined) Object.assign(burnRates, labelWindows({ [String(validation.shortWindowMinutes)]: sample.burnRate }));
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
    ...(context.newTenants === undefined ? {} : { newTenants: context.newTenants }),
    at: context.now,
  };
}

/**
 * Builds, publishes and notes one alert; the timeline entry names the message id so a responder can trace it, and
 * `why` (e.g. "for <id> merging in") when the alert is about more than this incident.
 */
export async function publishAlert(context: Omit<AlertContext, 'tenantStates'>, deps: NotifyDeps, why?: string): Promise<NotifyReceipt> {
  const { incident } = context;
  const { states: tenantStates } = await deps.store.getTenantStates(incident.slo, incident.tenants.map((member) => member.tenant));
  const event = buildAlertEvent({ ...context, tenantStates });
  const { messageId } = await deps.alerts.publish(event);
  const detail = `${context.type} alert sent${why === undefined ? '' : ` ${why}`} (message ${messageId})`;
  await recordOnTimeline(deps.store, incident.id, context.now, [['notified', detail]]);
  deps.log.info('Alert sent', { incidentId: incident.id, type: context.type, messageId });
  return { type: context.type, messageId };
}
