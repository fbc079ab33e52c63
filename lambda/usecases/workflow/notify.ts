/**
 * Step 3 and the verdicts: the opening alert, 'mitigated', 'escalated', and the one alert of a merge (on the
 * incident this one merged into). The alert itself is built and published by alert-event.ts, shared with the
 * approval request and the failure path.
 */
import type { AlertEventType, Incident, RuntimeConfig } from '../../domain/model';
import type { NotifyDeps, NotifyReceipt } from './alert-event';
import { publishAlert } from './alert-event';
import { changeIncident, readIncident, withTimeline } from './incident-record';
import { notifyMerged } from './merge';
import type { NotifyReason, WorkflowState } from './state';
import { WorkflowStateError } from './state';

// Existing importers (the approval and record steps, the handlers) keep importing these from here.
export type { AlertContext, NotifyDeps, NotifyReceipt } from './alert-event';
export { buildAlertEvent, publishAlert } from './alert-event';

/**
 * Opening: `opened`, or `escalated` for an escalation execution. Recovered: `mitigated`. Not recovered after the
 * last round: `escalated` at page severity, which is also recorded on the incident (no automation is left).
 * Merged: `escalated` on the surviving incident naming the tenants that joined it; this incident sends nothing.
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
    case 'merged':
      return notifyMerged(state, runtime, deps, now);
  }
  return publishAlert({ type, incident, state, runtime, now }, deps);
}
