/**
 * Turns a correlation into candidate actions: which actions suit the failure mode (policy, reordered by what
 * worked before), and on which resources (one action per resource, however many tenants burn). Planning decides
 * what would help; guards.ts decides whether it may run now, so every planned action starts blocked.
 */
import { DomainInputError } from './burn';
import { CORRELATION_SCORE_FLOOR } from './correlation';
import type { ActionKind, ActionStats, Correlation, FailureMode, Incident, MitigationMode, PlannedAction } from './model';
import { FAILURE_MODES } from './model';

export const ACTION_KINDS: readonly ActionKind[] = ['codedeploy-rollback', 'asg-scale-out', 'notify-only'];
const MITIGATION_MODES: readonly MitigationMode[] = ['off', 'recommend', 'auto'];

/** CodeDeploy can stop these and roll back; a finished deployment has nothing left to stop. */
export const ROLLBACK_STATUSES: readonly string[] = ['InProgress', 'Created', 'Ready'];

/** Marks an action that applyGuards has not looked at yet (guards replace it). */
export const NOT_GUARDED = 'guards: not applied yet';
/** Prefix of a planning block, kept by applyGuards. */
export const AT_CEILING = 'at ceiling';

/** Beta(1, 1) prior: an untried action counts as 1 recovery in 2 attempts (0.5), so it is still tried. */
const PRIOR_RECOVERIES = 1;
const PRIOR_ATTEMPTS = 2;

export interface ScaleOutPolicy {
  /** Capacity added per step, in percent of the current desired capacity. */
  readonly stepPercent: number;
  /** Instances added at least, so a small group grows at all. */
  readonly minStep: number;
  /** Highest max size allowed per group, keyed by ARN or name; a group without one is never scaled. */
  readonly ceilingByResource: Readonly<Record<string, number>>;
}

export interface MitigationPolicy {
  readonly mode: MitigationMode;
  /** Actions to consider per failure mode, most preferred first; a missing mode gets `notify-only`. */
  readonly actionsByFailureMode: Readonly<Partial<Record<FailureMode, readonly ActionKind[]>>>;
  /** Resource ARNs or names that may be changed; an entry ending in `*` matches by prefix. */
  readonly allowlist: readonly string[];
  /** No second action on a resource within this many minutes of the last one. */
  readonly cooldownMinutes: number;
  readonly maxActionsPerHour: number;
  /** Action kinds that wait for a human's approval even when allowed. */
  readonly requireApprovalFor: readonly ActionKind[];
  readonly scaleOut: ScaleOutPolicy;
}

/** Recommends only and changes nothing until an operator allowlists resources and switches to `auto`. */
export const DEFAULT_MITIGATION_POLICY: MitigationPolicy = {
  mode: 'recommend',
  actionsByFailureMode: {
    deployment: ['codedeploy-rollback'],
    capacity: ['asg-scale-out'],
    'database-failover': ['notify-only'],
    'cold-start': ['notify-only'],
    overload: ['notify-only'],
    dependency: ['notify-only'],
    unknown: ['notify-only'],
  },
  allowlist: [],
  cooldownMinutes: 15,
  maxActionsPerHour: 3,
  requireApprovalFor: [],
  scaleOut: { stepPercent: 25, minStep: 1, ceilingByResource: {} },
};

/** A mitigation policy with problems; lists every one (field, what is allowed, what was given). */
export class MitigationPolicyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid mitigation policy:\n- ${problems.join('\n- ')}`);
    this.name = 'MitigationPolicyError';
  }
}

function problem(field: string, allowed: string, given: unknown): string {
  return `${field} must be ${allowed}; got ${JSON.stringify(given)}`;
}

function kindProblems(field: string, kinds: readonly ActionKind[] | undefined): string[] {
  if (!Array.isArray(kinds)) return [problem(field, `a list of ${ACTION_KINDS.join(', ')}`, kinds)];
  return kinds.flatMap((kind, index) =>
    ACTION_KINDS.includes(kind) ? [] : [problem(`${field}[${index}]`, `one of ${ACTION_KINDS.join(', ')}`, kind)],
  );
}

function numberProblem(field: string, value: number, min: number, whole: boolean): string[] {
  const ok = Number.isFinite(value) && value >= min && (!whole || Number.isInteger(value));
  return ok ? [] : [problem(field, `${whole ? 'a whole number' : 'a number'} of at least ${min}`, value)];
}

/** Throws one MitigationPolicyError listing every problem. */
export function validateMitigationPolicy(policy: MitigationPolicy): void {
  const problems: string[] = [];
  if (!MITIGATION_MODES.includes(policy.mode)) problems.push(problem('mode', `one of ${MITIGATION_MODES.join(', ')}`, policy.mode));
  for (const [mode, kinds] of Object.entries(policy.actionsByFailureMode ?? {})) {
    if (!FAILURE_MODES.includes(mode as FailureMode)) {
      problems.push(problem('actionsByFailureMode', `keyed by ${FAILURE_MODES.join(', ')}`, mode));
    }
    problems.push(...kindProblems(`actionsByFailureMode.${mode}`, kinds));
  }
  if (!Array.isArray(policy.allowlist)) problems.push(problem('allowlist', 'a list of ARNs or names', policy.allowlist));
  else policy.allowlist.forEach((entry, i) => {
    if (typeof entry !== 'string' || entry.length === 0) problems.push(problem(`allowlist[${i}]`, 'a non-empty string', entry));
  });
  problems.push(...numberProblem('cooldownMinutes', policy.cooldownMinutes, 0, false));
  problems.push(...numberProblem('maxActionsPerHour', policy.maxActionsPerHour, 0, true));
  problems.push(...kindProblems('requireApprovalFor', policy.requireApprovalFor));
  const scaleOut = policy.scaleOut;
  problems.push(...numberProblem('scaleOut.stepPercent', scaleOut?.stepPercent, 0, false));
  problems.push(...numberProblem('scaleOut.minStep', scaleOut?.minStep, 1, true));
  for (const [resource, ceiling] of Object.entries(scaleOut?.ceilingByResource ?? {})) {
    problems.push(...numberProblem(`scaleOut.ceilingByResource["${resource}"]`, ceiling, 1, true));
  }
  if (problems.length > 0) throw new MitigationPolicyError(problems);
}

// --- planning --------------------------------------------------------------------------------------------

export interface DeploymentResource {
  readonly id: string;
  /** Deployment group name (the resource a rollback changes). */
  readonly group: string;
  /** CodeDeploy status, e.g. InProgress, Succeeded. */
  readonly status: string;
}

export interface AutoScalingGroupResource {
  readonly name: string;
  readonly arn: string;
  readonly desired: number;
  readonly min: number;
  readonly max: number;
}

export interface MitigationResources {
  readonly deployments: readonly DeploymentResource[];
  readonly autoScalingGroups: readonly AutoScalingGroupResource[];
}

export interface PlanInput {
  readonly correlation: Correlation;
  readonly incident: Incident;
  readonly policy: MitigationPolicy;
  readonly resources: MitigationResources;
  /** What each action achieved before; entries for other failure modes are ignored. */
  readonly history: readonly ActionStats[];
}

/** (recoveries + 1) / (attempts + 2): the observed recovery rate pulled towards 0.5 while attempts are few. */
export function learnedSuccessRate(recoveries: number, attempts: number): number {
  return (recoveries + PRIOR_RECOVERIES) / (attempts + PRIOR_ATTEMPTS);
}

/** Instances to add: stepPercent of the current desired capacity, rounded up, at least minStep. */
export function scaleOutStep(desired: number, scaleOut: Pick<ScaleOutPolicy, 'stepPercent' | 'minStep'>): number {
  return Math.max(scaleOut.minStep, Math.ceil((scaleOut.stepPercent * desired) / 100));
}

/** The configured ceiling of a group, looked up by ARN, then by name. */
export function ceilingFor(policy: MitigationPolicy, resource: string, alias?: string): number | undefined {
  const ceilings = policy.scaleOut.ceilingByResource;
  return ceilings[resource] ?? (alias === undefined ? undefined : ceilings[alias]);
}

interface KindRanking {
  readonly kind: ActionKind;
  readonly rate: number;
  readonly note: string;
}

function rankKinds(policy: MitigationPolicy, mode: FailureMode, history: readonly ActionStats[]): KindRanking[] {
  const kinds = policy.actionsByFailureMode[mode] ?? ['notify-only'];
  const ranked = [...new Set(kinds)].map((kind, order) => {
    const stats = history.filter((entry) => entry.failureMode === mode && entry.kind === kind);
    stats.forEach((entry, i) => {
      if (!(entry.attempts >= entry.recoveries && entry.recoveries >= 0)) {
        throw new DomainInputError(`history[${i}] (${mode}/${kind})`, 'attempts >= recoveries >= 0', entry);
      }
    });
    const attempts = stats.reduce((sum, entry) => sum + entry.attempts, 0);
    const recoveries = stats.reduce((sum, entry) => sum + entry.recoveries, 0);
    const rate = learnedSuccessRate(recoveries, attempts);
    const note = attempts === 0 ? 'not tried before' : `recovered ${recoveries} of ${attempts} times before`;
    return { kind, rate, note, order };
  });
  ranked.sort((a, b) => b.rate - a.rate || a.order - b.order);
  return ranked;
}

/** Resources the evidence of the suspected failure mode points at, best-ranked first, each once. */
function suspectedResources(correlation: Correlation): string[] {
  const resources = correlation.ranked
    .filter((cause) => cause.evidence.failureMode === correlation.failureMode && cause.score >= CORRELATION_SCORE_FLOOR)
    .map((cause) => cause.evidence.resource);
  return [...new Set(resources)];
}

interface ActionContext {
  readonly input: PlanInput;
  readonly resource: string;
  readonly learned: string;
}

function planned(
  kind: ActionKind,
  resource: string,
  parameters: PlannedAction['parameters'],
  reason: string,
  blockedBy: readonly string[] = [NOT_GUARDED],
): PlannedAction {
  return { kind, resource, parameters, allowed: false, blockedBy, requiresApproval: false, reason };
}

function notifyOnly(context: ActionContext, why: string): PlannedAction {
  const { correlation, incident } = context.input;
  const parameters = { failureMode: correlation.failureMode, tenants: incident.tenants.length };
  return planned('notify-only', context.resource, parameters, `${why}; suspected: ${correlation.suspectedCause}`);
}

function planRollback(context: ActionContext): PlannedAction {
  const { resource, input } = context;
  const candidates = input.resources.deployments.filter((d) => d.group === resource || d.id === resource);
  const inFlight = candidates.find((d) => ROLLBACK_STATUSES.includes(d.status));
  if (inFlight === undefined) {
    const seen = candidates.map((d) => `${d.id} is ${d.status}`).join(', ');
    const why = seen
      ? `no rollback: ${seen}; only a deployment that is ${ROLLBACK_STATUSES.join(', ')} can be stopped and rolled back`
      : `no rollback: no deployment of ${resource} was found`;
    return notifyOnly(context, why);
  }
  const parameters = { deploymentId: inFlight.id, deploymentGroup: inFlight.group, autoRollbackEnabled: true };
  const reason = `stop deployment ${inFlight.id} (${inFlight.status}) on ${inFlight.group} and roll back to the last good revision; ${context.learned}`;
  return planned('codedeploy-rollback', inFlight.group, parameters, reason);
}

function planScaleOut(context: ActionContext): PlannedAction {
  const { resource, input } = context;
  const group = input.resources.autoScalingGroups.find((g) => g.arn === resource || g.name === resource);
  if (group === undefined) return notifyOnly(context, `no scale-out: no auto scaling group ${resource} was found`);
  const step = scaleOutStep(group.desired, input.policy.scaleOut);
  const ceiling = ceilingFor(input.policy, group.arn, group.name);
  // Without a ceiling the uncapped plan is shown; the ceiling guard blocks it.
  const cap = ceiling ?? Number.POSITIVE_INFINITY;
  const newMax = Math.max(group.max, Math.min(group.max + step, cap));
  const newDesired = Math.max(group.desired, Math.min(group.desired + step, newMax, cap));
  const parameters = {
    autoScalingGroupName: group.name,
    previousMax: group.max,
    previousDesired: group.desired,
    newMax,
    newDesired,
    step,
    ...(ceiling === undefined ? {} : { ceiling }),
  };
  if (newDesired <= group.desired) {
    const why = `${AT_CEILING}: ${group.name} has desired ${group.desired} and max ${group.max}, at its ceiling ${ceiling}`;
    return planned('asg-scale-out', group.arn, parameters, `${why}; ${context.learned}`, [why]);
  }
  const capped = newDesired < group.desired + step || newMax < group.max + step ? ` (capped by the ceiling ${ceiling})` : '';
  const reason = `scale ${group.name} out by ${step}: desired ${group.desired} -> ${newDesired}, max ${group.max} -> ${newMax}${capped}; ${context.learned}`;
  return planned('asg-scale-out', group.arn, parameters, reason);
}

function planAction(kind: ActionKind, context: ActionContext): PlannedAction {
  switch (kind) {
    case 'codedeploy-rollback':
      return planRollback(context);
    case 'asg-scale-out':
      return planScaleOut(context);
    case 'notify-only':
      return notifyOnly(context, `notify responders; ${context.learned}`);
  }
}

/**
 * Candidate actions for the suspected failure mode, in the order to try them: by learned success rate, then by
 * the policy's order; within one kind, by how strongly the evidence points at the resource. An action that cannot
 * apply (no in-flight deployment, group not found) becomes a notify-only that says why.
 */
export function planMitigations(input: PlanInput): PlannedAction[] {
  validateMitigationPolicy(input.policy);
  if (input.policy.mode === 'off') return [];
  const resources = suspectedResources(input.correlation);
  const targets = resources.length > 0 ? resources : [`slo/${input.incident.slo}`];
  const actions: PlannedAction[] = [];
  const seen = new Set<string>();
  for (const { kind, rate, note } of rankKinds(input.policy, input.correlation.failureMode, input.history)) {
    const learned = `learned success rate ${Math.round(rate * 100)}% (${note})`;
    for (const resource of targets) {
      const action = planAction(kind, { input, resource, learned });
      const key = `${action.kind} ${action.resource}`;
      if (seen.has(key)) continue;
      seen.add(key);
      actions.push(action);
    }
  }
  return actions;
}
