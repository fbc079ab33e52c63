/**
 * Step 4: asks a human to approve the round's action. The task waits for its token: the alert carries the exact
 * CLI commands to approve (send-task-success) or reject (send-task-failure with the error `Rejected`). No answer
 * before the task's timeout counts as a rejection; either way nothing is changed.
 */
import type { RuntimeConfig } from '../../domain/model';
import { describeAction } from './analyse';
import { readIncident, recordOnTimeline } from './incident-record';
import type { NotifyDeps, NotifyReceipt } from './notify';
import { publishAlert } from './notify';
import type { WorkflowState } from './state';
import { WorkflowStateError } from './state';

/** The error name a reviewer passes to send-task-failure; the definition catches it as a rejection. */
export const APPROVAL_REJECTED_ERROR = 'Rejected';

/** The commands a reviewer runs; one token, quoted for a POSIX shell (tokens hold no single quotes). */
export function approvalCommand(taskToken: string): string {
  return (
    `aws stepfunctions send-task-success --task-token '${taskToken}' --task-output '{"approved":true,"approvedBy":"<your name>"}'` +
    ` ; to reject instead: aws stepfunctions send-task-failure --task-token <the same token> --error ${APPROVAL_REJECTED_ERROR} --cause '<why>'`
  );
}

export async function requestApproval(
  taskToken: string,
  state: WorkflowState,
  runtime: RuntimeConfig,
  deps: NotifyDeps,
  now: number,
): Promise<NotifyReceipt> {
  const { round } = state.progress;
  if (round.action === null) throw new WorkflowStateError(`RequestApproval needs an action in round ${round.number}; the round has none`);
  const incident = await readIncident(deps.store, state.input.incidentId);
  await recordOnTimeline(deps.store, incident.id, now, [['approval-requested', `round ${round.number}: ${describeAction(round.action)}`]]);
  return publishAlert({ type: round.alertType, incident, state, runtime, now, approvalCommand: approvalCommand(taskToken) }, deps);
}
