/**
 * Step 7: the forensic bundle, and the failure path. The bundle holds everything a post-incident review needs
 * (the incident with its timeline of every step, the collected context, the correlation with its evidence, the
 * plan, the actions and their results, the burn samples); its S3 link goes on the incident. The bundle's key uses
 * the incident's opening time, so a later write of the same incident (e.g. after a failure) replaces the object
 * and the bucket's versioning keeps the earlier one.
 *
 * Failures: the failure-recording step notes the failure on the timeline, alerts responders and still writes the
 * bundle. It tries all three and then throws if any failed, so the execution fails visibly either way.
 */
import type { ForensicLocation } from '../../adapters/forensics-s3';
import type { Incident, PlannedAction, RuntimeConfig } from '../../domain/model';
import type { Log, StateStore } from '../../ports';
import { describeError } from '../describe-error';
import { changeIncident, readIncident, withTimeline } from './incident-record';
import type { TimelineEntries } from './incident-record';
import type { NotifyDeps } from './alert-event';
import { publishAlert } from './alert-event';
import type { AlertPublisher, ForensicWriter } from './ports';
import type { MergeRecord, WorkflowFailure, WorkflowState } from './state';

export const FORENSIC_BUNDLE_SCHEMA_VERSION = 1;

export interface RecordDeps {
  readonly store: StateStore;
  readonly forensics: ForensicWriter;
  readonly log: Log;
}

export interface FailureDeps extends RecordDeps {
  readonly alerts: AlertPublisher;
}

/** Everything the workflow knew, as stored in S3 (documented field by field in the bundle itself). */
export interface ForensicBundle {
  readonly schemaVersion: typeof FORENSIC_BUNDLE_SCHEMA_VERSION;
  readonly writtenAt: string;
  readonly executionArn: string;
  readonly input: WorkflowState['input'];
  /** The incident as stored, timeline included. */
  readonly incident: Incident;
  readonly context: WorkflowState['collected'] | null;
  readonly correlation: NonNullable<WorkflowState['analysis']>['correlation'] | null;
  readonly plan: readonly PlannedAction[];
  readonly mode: string | null;
  readonly actions: WorkflowState['progress']['actions'];
  /** Burn samples of every validation round. */
  readonly validations: WorkflowState['progress']['validations'];
  readonly decision: WorkflowState['progress']['decision'];
  readonly approvalDenied: WorkflowState['approvalDenied'] | null;
  readonly failure: WorkflowFailure | null;
  /** The incident this one merged into, and why; null when it was not merged. */
  readonly merged: MergeRecord | null;
}

export function forensicBundle(state: WorkflowState, incident: Incident, now: number): ForensicBundle {
  return {
    schemaVersion: FORENSIC_BUNDLE_SCHEMA_VERSION,
    writtenAt: new Date(now).toISOString(),
    executionArn: state.executionArn,
    input: state.input,
    incident,
    // Analyse drops branches the SLO does not configure; a failure before it must not show them either.
    context: state.collected?.filter((outcome) => outcome.notConfigured !== true) ?? null,
    correlation: state.analysis?.correlation ?? null,
    plan: state.analysis?.plan ?? [],
    mode: state.analysis?.mode ?? null,
    actions: state.progress.actions,
    validations: state.progress.validations,
    decision: state.progress.decision,
    approvalDenied: state.approvalDenied ?? null,
    failure: state.failure ?? null,
    merged: state.merged ?? null,
  };
}

/** Closes the part of an execution whose incident merged into another: nothing ran here, by design. */
export const MERGED_CLOSING_STEP = 'workflow-merged';

/** What ends this execution's part, for the timeline. */
function closingEntries(state: WorkflowState): TimelineEntries {
  const { merged } = state;
  if (merged !== undefined) {
    // Not `no-action`: nothing was blocked here; the survivor's execution acts on the shared resource.
    return [[MERGED_CLOSING_STEP, `merged into ${merged.into}, whose workflow owns ${merged.resource}; this execution acts on nothing (${merged.reason})`]];
  }
  const entries: [string, string][] = [];
  if (state.approvalDenied !== undefined) {
    const { Error: error, Cause: cause } = state.approvalDenied;
    const why = error === 'States.Timeout' ? 'nobody answered before the approval timed out' : `rejected (${error}${cause ? `: ${cause}` : ''})`;
    entries.push(['approval-denied', `round ${state.progress.round.number}: ${why}; nothing was changed`]);
  }
  if (state.analysis !== undefined && state.progress.actions.length === 0 && state.approvalDenied === undefined) {
    entries.push(['no-action', state.analysis.mode === 'auto' ? 'no action was allowed to run; recommendations only' : `mode ${state.analysis.mode}: recommendations only, nothing was changed`]);
  }
  return entries;
}

/**
 * Releases `mitigating` when this execution holds it, so a later burn can be mitigated again; the evaluator keeps
 * owning the rest of the status (it resolves the incident).
 */
function released(incident: Incident, executionArn: string): Incident {
  if (incident.status !== 'mitigating' || incident.executionArn !== executionArn) return incident;
  return { ...incident, status: 'open' };
}

async function writeBundle(state: WorkflowState, deps: RecordDeps, now: number, entries: TimelineEntries): Promise<ForensicLocation> {
  const incident = await readIncident(deps.store, state.input.incidentId);
  const location = await deps.forensics.write(incident.id, forensicBundle(state, incident, now), incident.openedAt);
  await changeIncident(deps.store, incident.id, (current) =>
    withTimeline({ ...released(current, state.executionArn), forensicUri: location.s3Uri }, now, [...entries, ['forensics-recorded', location.s3Uri]]),
  );
  deps.log.info('Forensic bundle written', { incidentId: incident.id, s3Uri: location.s3Uri });
  return location;
}

export async function recordForensics(state: WorkflowState, deps: RecordDeps, now: number): Promise<WorkflowState> {
  const forensic = await writeBundle(state, deps, now, closingEntries(state));
  return { ...state, forensic };
}

/** Several parts of recording a failure failed; each is listed. */
export class FailureRecordingError extends Error {
  constructor(
    readonly failure: WorkflowFailure,
    readonly problems: readonly string[],
  ) {
    super(`recording the failure of step ${failure.step} (${failure.error}) failed too:\n- ${problems.join('\n- ')}`);
    this.name = 'FailureRecordingError';
  }
}

function failureRecommendation(state: WorkflowState, failure: WorkflowFailure): PlannedAction {
  return {
    kind: 'notify-only',
    resource: `slo/${state.input.slo}`,
    parameters: { failedStep: failure.step, error: failure.error },
    allowed: true,
    blockedBy: [],
    requiresApproval: false,
    reason:
      `the incident workflow failed at ${failure.step} (${failure.error}: ${failure.cause.slice(0, 300)}); ` +
      `no further automated action will run; investigate by hand, execution ${state.executionArn}`,
  };
}

export interface FailureRecord {
  readonly notified: string | null;
  readonly forensic: ForensicLocation | null;
}

export async function recordFailure(
  state: WorkflowState & { readonly failure: WorkflowFailure },
  runtime: RuntimeConfig,
  deps: FailureDeps,
  now: number,
): Promise<FailureRecord> {
  const { failure } = state;
  deps.log.error('Incident workflow failed', { incidentId: state.input.incidentId, ...failure });
  const problems: string[] = [];
  let notified: string | null = null;
  let forensic: ForensicLocation | null = null;
  try {
    await changeIncident(deps.store, state.input.incidentId, (current) =>
      withTimeline(released(current, state.executionArn), now, [['workflow-failed', `${failure.step}: ${failure.error}: ${failure.cause}`]]),
    );
  } catch (error) {
    problems.push(`timeline: ${describeError(error)}`);
  }
  try {
    const incident = await readIncident(deps.store, state.input.incidentId);
    const alertDeps: NotifyDeps = { store: deps.store, alerts: deps.alerts, log: deps.log };
    notified = (await publishAlert({ type: 'escalated', incident, state, runtime, now, extraRecommendations: [failureRecommendation(state, failure)] }, alertDeps)).messageId;
  } catch (error) {
    problems.push(`alert: ${describeError(error)}`);
  }
  try {
    forensic = await writeBundle(state, deps, now, []);
  } catch (error) {
    problems.push(`forensic bundle: ${describeError(error)}`);
  }
  if (problems.length > 0) throw new FailureRecordingError(failure, problems);
  return { notified, forensic };
}
