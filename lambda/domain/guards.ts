/**
 * Whether a planned action may run now. Guards only ever block: each reason is a readable `<guard>: <detail>`
 * string, and an action runs only when no guard and no planning problem blocks it. Re-applying guards replaces
 * the previous guard reasons, so a plan can be re-checked once a cooldown has passed.
 */
import { requireEpochMs } from './incident';
import { ceilingFor, NOT_GUARDED, validateMitigationPolicy } from './mitigation';
import type { MitigationPolicy } from './mitigation';
import type { PlannedAction } from './model';
import { MINUTE_MS } from './model';

export interface GuardContext {
  readonly policy: MitigationPolicy;
  readonly now: number;
  /** The operator's kill switch: on stops every action that changes a resource. */
  readonly killSwitchOn: boolean;
  /** Last time an action touched each resource (absent or null: never). */
  readonly lastActionAt: Readonly<Record<string, number | null>>;
  /** Whether the account-wide hourly action quota has room left. */
  readonly quotaAvailable: boolean;
  /** Another run of this incident's workflow is already mitigating. */
  readonly incidentAlreadyMitigating: boolean;
}

const GUARD_PREFIXES: readonly string[] = [
  NOT_GUARDED,
  'mode:',
  'kill switch:',
  'allowlist:',
  'ceiling:',
  'cooldown:',
  'already mitigating:',
  'rate limit:',
];

/** Exact match, or prefix match for an entry ending in `*` (`*` alone allows everything). */
export function isAllowlisted(names: readonly string[], allowlist: readonly string[]): boolean {
  return allowlist.some((entry) =>
    entry.endsWith('*') ? names.some((name) => name.startsWith(entry.slice(0, -1))) : names.includes(entry),
  );
}

function stringParameter(action: PlannedAction, key: string): string | undefined {
  const value = action.parameters[key];
  return typeof value === 'string' ? value : undefined;
}

/** The names a resource is known by: its ARN or name, and the group name the action carries. */
function namesOf(action: PlannedAction): string[] {
  const aliases = [stringParameter(action, 'autoScalingGroupName'), stringParameter(action, 'deploymentGroup')];
  return [action.resource, ...aliases.filter((name): name is string => name !== undefined)];
}

function ceilingReason(action: PlannedAction, policy: MitigationPolicy): string | null {
  if (action.kind !== 'asg-scale-out') return null;
  const name = stringParameter(action, 'autoScalingGroupName') ?? action.resource;
  const ceiling = ceilingFor(policy, action.resource, name);
  if (ceiling === undefined) return `ceiling: no ceiling is configured for ${name} in scaleOut.ceilingByResource`;
  const { newMax, newDesired, previousMax } = action.parameters;
  if (typeof newMax !== 'number' || typeof newDesired !== 'number' || typeof previousMax !== 'number') {
    return `ceiling: the action on ${name} lacks numeric newMax, newDesired and previousMax parameters`;
  }
  // A max already above the ceiling (set by hand) is left alone, but never raised further.
  if ((newMax > ceiling && newMax > previousMax) || newDesired > ceiling) {
    return `ceiling: max ${newMax} / desired ${newDesired} would go beyond the ceiling ${ceiling} of ${name}`;
  }
  return null;
}

function cooldownReason(action: PlannedAction, context: GuardContext): string | null {
  const last = context.lastActionAt[action.resource];
  if (last === undefined || last === null) return null;
  const sinceMinutes = (context.now - last) / MINUTE_MS;
  if (sinceMinutes >= context.policy.cooldownMinutes) return null;
  const wait = Math.ceil(context.policy.cooldownMinutes - sinceMinutes);
  return `cooldown: ${action.resource} was changed ${Math.floor(sinceMinutes)} min ago; the cooldown is ${context.policy.cooldownMinutes} min (${wait} min left)`;
}

/** Reasons that block an action changing a resource, before counting it against the hourly limit. */
function mutationReasons(action: PlannedAction, context: GuardContext): string[] {
  const { policy } = context;
  const reasons: (string | null)[] = [
    policy.mode === 'recommend' ? 'mode: recommend' : null,
    context.killSwitchOn ? 'kill switch: on; an operator has stopped every automated action' : null,
    isAllowlisted(namesOf(action), policy.allowlist) ? null : `allowlist: ${action.resource} is not in the mitigation allowlist`,
    ceilingReason(action, policy),
    cooldownReason(action, context),
    context.incidentAlreadyMitigating ? 'already mitigating: another run is already mitigating this incident' : null,
    context.quotaAvailable ? null : `rate limit: the account-wide limit of ${policy.maxActionsPerHour} actions per hour is reached`,
  ];
  return reasons.filter((reason): reason is string => reason !== null);
}

/**
 * Sets allowed / blockedBy / requiresApproval. Mode `off` plans nothing. A notify-only action changes no resource,
 * so only planning problems block it. `requiresApproval` with `allowed` means: run once a human approves.
 */
export function applyGuards(actions: readonly PlannedAction[], context: GuardContext): PlannedAction[] {
  validateMitigationPolicy(context.policy);
  requireEpochMs('now', context.now);
  if (context.policy.mode === 'off') return [];
  let allowedChanges = 0;
  return actions.map((action) => {
    const planning = action.blockedBy.filter((reason) => !GUARD_PREFIXES.some((prefix) => reason.startsWith(prefix)));
    if (action.kind === 'notify-only') {
      return { ...action, allowed: planning.length === 0, blockedBy: planning, requiresApproval: false };
    }
    const blockedBy = [...planning, ...mutationReasons(action, context)];
    // The quota counts actions run; a plan on its own must not use more than the hour allows either.
    if (blockedBy.length === 0 && allowedChanges >= context.policy.maxActionsPerHour) {
      blockedBy.push(`rate limit: this plan already uses the ${context.policy.maxActionsPerHour} actions allowed per hour`);
    }
    if (blockedBy.length === 0) allowedChanges += 1;
    const requiresApproval = context.policy.requireApprovalFor.includes(action.kind);
    return { ...action, allowed: blockedBy.length === 0, blockedBy, requiresApproval };
  });
}
