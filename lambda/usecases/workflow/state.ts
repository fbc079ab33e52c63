/**
 * The execution state of the incident workflow: the JSON Step Functions passes from state to state, and the
 * payloads of its Lambda tasks. Every task parses what it receives here, at the boundary, so a definition and a
 * function that disagree fail with the field named instead of somewhere deep in a use case.
 *
 * Size matters: Step Functions refuses a state over 256 KB. Collected evidence, ranked causes and burn samples are
 * therefore capped where they are produced (see the limits below); the forensic bundle says what was left out.
 */
import type { CollectionNotes } from '../../adapters/collectors/common';
import type { CorrelationOutcome } from '../../domain/correlation';
import type { AutoScalingGroupResource, DeploymentResource } from '../../domain/mitigation';
import type {
  ActionResult,
  AlertEventType,
  CollectorResult,
  EvidenceSource,
  MitigationMode,
  PlannedAction,
} from '../../domain/model';
import type { IncidentWorkflowInput } from '../../ports';

/** Evidence items kept per collector (closest to the onset first). */
export const MAX_EVIDENCE_PER_COLLECTOR = 25;
/** Ranked causes kept in the state; the rest are counted. */
export const MAX_RANKED_CAUSES = 10;
/** Tenants whose burn sample is kept per validation round (worst first); the rest are counted. */
export const MAX_SAMPLED_TENANTS = 50;

/** Infrastructure events: one Parallel branch each, always (an SLO with nothing mapped reports not checked). */
export type InfrastructureSource = Extract<EvidenceSource, 'autoscaling' | 'rds' | 'codedeploy' | 'lambda'>;
export const INFRASTRUCTURE_SOURCES: readonly InfrastructureSource[] = ['autoscaling', 'rds', 'codedeploy', 'lambda'];
/** Traces, logs and load: a branch only when some SLO configures the source; absent for the SLOs that do not. */
export type OptionalSource = Extract<EvidenceSource, 'xray' | 'logs' | 'load'>;
export const OPTIONAL_SOURCES: readonly OptionalSource[] = ['xray', 'logs', 'load'];
export type CollectorSource = InfrastructureSource | OptionalSource;
export const COLLECTOR_SOURCES: readonly CollectorSource[] = [...INFRASTRUCTURE_SOURCES, ...OPTIONAL_SOURCES];

/** Written into the state by the definition's first state, so Wait states can read it (and tests override it). */
export interface WorkflowSettings {
  readonly waitAfterActionSeconds: number;
}

/** What one collector branch produced. */
export interface CollectorOutcome {
  readonly source: CollectorSource;
  readonly result: CollectorResult;
  /** Evidence items dropped to keep the state small. */
  readonly omittedItems: number;
  /** API calls, retries and caps of the run; null when the task itself failed. */
  readonly notes: CollectionNotes | null;
  /** Deployments seen, for planning a rollback. */
  readonly deployments: readonly DeploymentResource[];
  /** Auto Scaling groups read, for sizing a scale-out. */
  readonly autoScalingGroups: readonly AutoScalingGroupResource[];
  /**
   * True when this SLO does not configure the source (another SLO does, so the branch exists): Analyse drops
   * the outcome, and the correlation and forensic bundle never show it.
   * @default false
   */
  readonly notConfigured?: boolean;
}

/** The correlation with its ranking capped to MAX_RANKED_CAUSES. */
export interface StoredCorrelation extends CorrelationOutcome {
  readonly omittedCauses: number;
}

export type OpeningAlert = Extract<AlertEventType, 'opened' | 'escalated'>;

export interface WorkflowAnalysis {
  readonly correlation: StoredCorrelation;
  /** Every candidate action, guarded, in the order to try them. */
  readonly plan: readonly PlannedAction[];
  readonly mode: MitigationMode;
  /** `escalated` when this execution was started because the incident's severity was raised. */
  readonly alertType: OpeningAlert;
  readonly sloTenantCount: number;
  readonly analysedAt: number;
}

/** What an approver sent with `send-task-success --task-output`. */
export interface ApprovalResponse {
  readonly approved?: boolean;
  readonly approvedBy?: string;
  readonly comment?: string;
}

/** One round: at most one action, then a validation. Round 0 is before the analysis. */
export interface WorkflowRound {
  readonly number: number;
  readonly action: PlannedAction | null;
  readonly hasAction: boolean;
  readonly needsApproval: boolean;
  /** The alert an approval request for this round is sent as. */
  readonly alertType: OpeningAlert;
  /** Set by the approval task when a human approved. */
  readonly approval?: ApprovalResponse;
}

/** One tenant's burn re-sampled after an action. */
export interface TenantBurnSample {
  readonly tenant: string;
  /** Short-window burn rate of the page rule used for validation. */
  readonly burnRate: number;
  /** The same window's burn rate when the tenant joined the incident; null when not recorded. */
  readonly burnRateAtOpen: number | null;
  readonly recovered: boolean;
  readonly reason: string;
}

export interface ValidationRecord {
  readonly round: number;
  readonly at: number;
  /** End (exclusive) of the re-sampled windows. */
  readonly evaluatedAt: number;
  /** The rule whose short window decides, e.g. `1h/5m`. */
  readonly rule: string;
  readonly shortWindowMinutes: number;
  readonly threshold: number;
  readonly recovered: boolean;
  readonly tenantsRecovered: number;
  readonly tenantsTotal: number;
  /** Worst first, at most MAX_SAMPLED_TENANTS. */
  readonly samples: readonly TenantBurnSample[];
  readonly omittedTenants: number;
}

export type WorkflowDecision = 'pending' | 'recovered' | 'next-round' | 'escalate';
export const WORKFLOW_DECISIONS: readonly WorkflowDecision[] = ['pending', 'recovered', 'next-round', 'escalate'];

export interface WorkflowProgress {
  readonly round: WorkflowRound;
  /** Every action run so far, oldest first. */
  readonly actions: readonly ActionResult[];
  readonly validations: readonly ValidationRecord[];
  readonly decision: WorkflowDecision;
}

/** The error a Catch hands on: Step Functions' own `{ Error, Cause }`. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause: string;
}

/** Built by a `<Step>Failed` Pass state from the caught error. */
export interface WorkflowFailure {
  readonly step: string;
  readonly error: string;
  readonly cause: string;
}

export interface ForensicLink {
  readonly s3Uri: string;
  readonly consoleUrl: string;
}

/**
 * Set by Analyse when the incident merged into an earlier open incident suspecting the same resource (merge.ts):
 * the definition's `Merged?` Choice then sends the one `escalated` alert on the survivor and records, nothing else.
 */
export interface MergeRecord {
  /** The incident that answers for this burn from now on. */
  readonly into: string;
  readonly resource: string;
  /** Tenants the survivor did not have before: the ones its `escalated` alert names. */
  readonly newTenants: readonly string[];
  readonly reason: string;
}

export interface WorkflowState {
  readonly input: IncidentWorkflowInput;
  readonly executionArn: string;
  readonly settings: WorkflowSettings;
  readonly progress: WorkflowProgress;
  readonly collected?: readonly CollectorOutcome[];
  readonly analysis?: WorkflowAnalysis;
  /** Set by the approval task's Catch when the approval was rejected or timed out. */
  readonly approvalDenied?: CaughtError;
  readonly failure?: WorkflowFailure;
  readonly forensic?: ForensicLink;
  readonly merged?: MergeRecord;
}

/** The round before the analysis: nothing to do yet. */
export const INITIAL_ROUND: WorkflowRound = { number: 0, action: null, hasAction: false, needsApproval: false, alertType: 'opened' };

export const INITIAL_PROGRESS: WorkflowProgress = { round: INITIAL_ROUND, actions: [], validations: [], decision: 'pending' };

// ---------------------------------------------------------------------------------------------------------
// Task payloads
// ---------------------------------------------------------------------------------------------------------

export interface CollectPayload {
  readonly source: CollectorSource;
  readonly input: IncidentWorkflowInput;
}

/** Why a notification is sent: the opening alert, the validation's verdict, or a merge into an earlier incident. */
export type NotifyReason = 'opening' | 'recovered' | 'not-recovered' | 'merged';
export const NOTIFY_REASONS: readonly NotifyReason[] = ['opening', 'recovered', 'not-recovered', 'merged'];

export interface NotifyPayload {
  readonly reason: NotifyReason;
  readonly state: WorkflowState;
}

export interface ApprovalPayload {
  readonly taskToken: string;
  readonly state: WorkflowState;
}

// ---------------------------------------------------------------------------------------------------------
// Boundary checks
// ---------------------------------------------------------------------------------------------------------

/** A task payload that does not have the shape this code expects; lists every problem. */
export class WorkflowPayloadError extends Error {
  constructor(
    readonly task: string,
    readonly problems: readonly string[],
  ) {
    super(`${task} payload is not usable:\n- ${problems.join('\n- ')}`);
    this.name = 'WorkflowPayloadError';
  }
}

/** The state lacks something this step needs, e.g. Act without an action: the definition routed wrongly. */
export class WorkflowStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowStateError';
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function given(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

class PayloadChecker {
  readonly problems: string[] = [];

  fail(path: string, allowed: string, value: unknown): void {
    this.problems.push(`${path}: must be ${allowed}, got ${given(value)}`);
  }

  object(value: unknown, path: string): Json | null {
    if (isObject(value)) return value;
    this.fail(path, 'an object', value);
    return null;
  }

  text(obj: Json, key: string, path: string): void {
    const value = obj[key];
    if (typeof value !== 'string' || value === '') this.fail(`${path}.${key}`, 'a non-empty string', value);
  }

  epochMs(obj: Json, key: string, path: string): void {
    const value = obj[key];
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) this.fail(`${path}.${key}`, 'epoch milliseconds', value);
  }

  integer(obj: Json, key: string, path: string, min: number): void {
    const value = obj[key];
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) this.fail(`${path}.${key}`, `an integer >= ${min}`, value);
  }

  boolean(obj: Json, key: string, path: string): void {
    if (typeof obj[key] !== 'boolean') this.fail(`${path}.${key}`, 'true or false', obj[key]);
  }

  oneOf(obj: Json, key: string, path: string, allowed: readonly string[]): void {
    const value = obj[key];
    if (typeof value !== 'string' || !allowed.includes(value)) this.fail(`${path}.${key}`, `one of ${allowed.join(' | ')}`, value);
  }

  array(obj: Json, key: string, path: string): unknown[] {
    const value = obj[key];
    if (Array.isArray(value)) return value;
    this.fail(`${path}.${key}`, 'an array', value);
    return [];
  }
}

function checkInput(c: PayloadChecker, value: unknown, path: string): void {
  const input = c.object(value, path);
  if (input === null) return;
  c.text(input, 'incidentId', path);
  c.text(input, 'slo', path);
  c.oneOf(input, 'severity', path, ['page', 'ticket']);
  const tenants = c.array(input, 'tenants', path);
  if (Array.isArray(input.tenants) && tenants.length === 0) c.fail(`${path}.tenants`, 'a non-empty list of tenant ids', tenants);
  tenants.forEach((tenant, i) => {
    if (typeof tenant !== 'string' || tenant === '') c.fail(`${path}.tenants[${i}]`, 'a non-empty string', tenant);
  });
  c.epochMs(input, 'onsetAt', path);
  c.epochMs(input, 'openedAt', path);
}

function checkRound(c: PayloadChecker, value: unknown, path: string): void {
  const round = c.object(value, path);
  if (round === null) return;
  c.integer(round, 'number', path, 0);
  c.boolean(round, 'hasAction', path);
  c.boolean(round, 'needsApproval', path);
  c.oneOf(round, 'alertType', path, ['opened', 'escalated']);
  // Step Functions drops null from a Pass state's parameters: an absent action is no action.
  if (round.action !== null && round.action !== undefined) {
    const action = c.object(round.action, `${path}.action`);
    if (action !== null) {
      c.text(action, 'kind', `${path}.action`);
      c.text(action, 'resource', `${path}.action`);
      c.boolean(action, 'allowed', `${path}.action`);
      c.boolean(action, 'requiresApproval', `${path}.action`);
    }
  }
  if (round.hasAction === true && (round.action === null || round.action === undefined)) c.fail(`${path}.action`, 'an action when hasAction is true', null);
  if (round.approval !== undefined) {
    const approval = c.object(round.approval, `${path}.approval`);
    if (approval !== null && approval.approved !== undefined && typeof approval.approved !== 'boolean') {
      c.fail(`${path}.approval.approved`, 'true, false or absent', approval.approved);
    }
  }
}

function checkProgress(c: PayloadChecker, value: unknown, path: string): void {
  const progress = c.object(value, path);
  if (progress === null) return;
  checkRound(c, progress.round, `${path}.round`);
  c.array(progress, 'actions', path).forEach((result, i) => {
    const item = c.object(result, `${path}.actions[${i}]`);
    if (item !== null) {
      c.object(item.action, `${path}.actions[${i}].action`);
      c.oneOf(item, 'outcome', `${path}.actions[${i}]`, ['succeeded', 'failed', 'skipped']);
      c.epochMs(item, 'at', `${path}.actions[${i}]`);
    }
  });
  c.array(progress, 'validations', path).forEach((record, i) => c.object(record, `${path}.validations[${i}]`));
  c.oneOf(progress, 'decision', path, WORKFLOW_DECISIONS);
}

function checkCollected(c: PayloadChecker, value: unknown, path: string): void {
  if (!Array.isArray(value)) {
    c.fail(path, 'an array of collector outcomes', value);
    return;
  }
  value.forEach((entry, i) => {
    const outcome = c.object(entry, `${path}[${i}]`);
    if (outcome === null) return;
    c.oneOf(outcome, 'source', `${path}[${i}]`, COLLECTOR_SOURCES);
    const result = c.object(outcome.result, `${path}[${i}].result`);
    if (result !== null) c.oneOf(result, 'status', `${path}[${i}].result`, ['ok', 'unavailable']);
    c.array(outcome, 'deployments', `${path}[${i}]`);
    c.array(outcome, 'autoScalingGroups', `${path}[${i}]`);
  });
}

function checkAnalysis(c: PayloadChecker, value: unknown, path: string): void {
  const analysis = c.object(value, path);
  if (analysis === null) return;
  const correlation = c.object(analysis.correlation, `${path}.correlation`);
  if (correlation !== null) {
    c.text(correlation, 'suspectedCause', `${path}.correlation`);
    c.text(correlation, 'failureMode', `${path}.correlation`);
  }
  c.array(analysis, 'plan', path).forEach((action, i) => c.object(action, `${path}.plan[${i}]`));
  c.oneOf(analysis, 'mode', path, ['off', 'recommend', 'auto']);
  c.oneOf(analysis, 'alertType', path, ['opened', 'escalated']);
}

function checkMerged(c: PayloadChecker, value: unknown, path: string): void {
  const merged = c.object(value, path);
  if (merged === null) return;
  c.text(merged, 'into', path);
  c.text(merged, 'resource', path);
  c.text(merged, 'reason', path);
  c.array(merged, 'newTenants', path).forEach((tenant, i) => {
    if (typeof tenant !== 'string' || tenant === '') c.fail(`${path}.newTenants[${i}]`, 'a non-empty string', tenant);
  });
}

export interface StateRequirements {
  readonly collected?: boolean;
  readonly analysis?: boolean;
  readonly merged?: boolean;
}

function checkState(c: PayloadChecker, value: unknown, path: string, needs: StateRequirements): void {
  const state = c.object(value, path);
  if (state === null) return;
  checkInput(c, state.input, `${path}.input`);
  c.text(state, 'executionArn', path);
  const settings = c.object(state.settings, `${path}.settings`);
  if (settings !== null) c.integer(settings, 'waitAfterActionSeconds', `${path}.settings`, 0);
  checkProgress(c, state.progress, `${path}.progress`);
  if (needs.collected === true || state.collected !== undefined) checkCollected(c, state.collected, `${path}.collected`);
  if (needs.analysis === true || state.analysis !== undefined) checkAnalysis(c, state.analysis, `${path}.analysis`);
  if (needs.merged === true || state.merged !== undefined) checkMerged(c, state.merged, `${path}.merged`);
}

/** A checked state with the absent round action made explicit (the types say null). */
function normalized(state: WorkflowState): WorkflowState {
  const { round } = state.progress;
  return round.action === undefined ? { ...state, progress: { ...state.progress, round: { ...round, action: null } } } : state;
}

/** The execution state a task received; `needs` names what this step cannot do without. */
export function parseWorkflowState(value: unknown, task: string, needs: StateRequirements = {}): WorkflowState {
  const c = new PayloadChecker();
  checkState(c, value, 'state', needs);
  if (c.problems.length > 0) throw new WorkflowPayloadError(task, c.problems);
  return normalized(value as WorkflowState);
}

export function parseCollectPayload(value: unknown): CollectPayload {
  const c = new PayloadChecker();
  const payload = c.object(value, 'payload');
  if (payload !== null) {
    c.oneOf(payload, 'source', 'payload', COLLECTOR_SOURCES);
    checkInput(c, payload.input, 'payload.input');
  }
  if (c.problems.length > 0) throw new WorkflowPayloadError('Collect', c.problems);
  return value as CollectPayload;
}

export function parseNotifyPayload(value: unknown): NotifyPayload {
  const c = new PayloadChecker();
  const payload = c.object(value, 'payload');
  if (payload !== null) {
    c.oneOf(payload, 'reason', 'payload', NOTIFY_REASONS);
    checkState(c, payload.state, 'payload.state', { analysis: true, merged: payload.reason === 'merged' });
  }
  if (c.problems.length > 0) throw new WorkflowPayloadError('Notify', c.problems);
  const parsed = value as NotifyPayload;
  return { ...parsed, state: normalized(parsed.state) };
}

export function parseApprovalPayload(value: unknown): ApprovalPayload {
  const c = new PayloadChecker();
  const payload = c.object(value, 'payload');
  if (payload !== null) {
    c.text(payload, 'taskToken', 'payload');
    checkState(c, payload.state, 'payload.state', { analysis: true });
  }
  if (c.problems.length > 0) throw new WorkflowPayloadError('RequestApproval', c.problems);
  const parsed = value as ApprovalPayload;
  return { ...parsed, state: normalized(parsed.state) };
}

/** A state carrying the failure the `<Step>Failed` Pass state built. */
export function parseFailedState(value: unknown): WorkflowState & { readonly failure: WorkflowFailure } {
  const c = new PayloadChecker();
  checkState(c, value, 'state', {});
  const failure = isObject(value) ? c.object(value.failure, 'state.failure') : null;
  if (failure !== null) {
    c.text(failure, 'step', 'state.failure');
    c.text(failure, 'error', 'state.failure');
    if (typeof failure.cause !== 'string') c.fail('state.failure.cause', 'a string', failure.cause);
  }
  if (c.problems.length > 0) throw new WorkflowPayloadError('RecordFailure', c.problems);
  return normalized(value as WorkflowState) as WorkflowState & { readonly failure: WorkflowFailure };
}
