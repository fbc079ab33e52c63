/**
 * Adds capacity to an Auto Scaling group: raises MaxSize and DesiredCapacity to the planned values. The group
 * is re-read first, because it may have changed since the plan was made.
 */
import { UpdateAutoScalingGroupCommand, type AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { ActionResult, PlannedAction } from '../../domain/model';
import { readScalingGroups } from '../collectors/autoscaling';
import {
  ActionRefusedError,
  ApiSession,
  assertExecutable,
  executeSafely,
  positiveIntegerParameter,
  resolveAdapterOptions,
  stringParameter,
  type AdapterOptions,
  type ResolvedAdapterOptions,
} from '../collectors/common';

/**
 * The parameters an `asg-scale-out` PlannedAction carries (as planned in domain/mitigation.ts); its resource is
 * the group's ARN or name.
 */
export interface AsgScaleOutParameters {
  readonly autoScalingGroupName: string;
  /** The new MaxSize. */
  readonly newMax: number;
  readonly newDesired: number;
  /** The configured ceiling of the group, when the planner had one. */
  readonly ceiling: number | null;
}

const GROUP_NAME = /^.{1,255}$/s;

export class AsgScaleOutAction {
  private readonly options: ResolvedAdapterOptions;

  constructor(
    private readonly client: AutoScalingClient,
    options: AdapterOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
  }

  /**
   * Re-reads the group, then calls UpdateAutoScalingGroup with the planned MaxSize and DesiredCapacity.
   * Throws `ActionRefusedError` when the action is not an allowed scale-out, its parameters are malformed or
   * name another group, the group is gone or was replaced, or the update would lower the group's current
   * desired capacity or max or go beyond the ceiling. Outcome `skipped` when the group already has the
   * planned size; `failed` with the error for API errors.
   */
  async execute(action: PlannedAction, now: number): Promise<ActionResult> {
    const { autoScalingGroupName: group, newMax, newDesired, ceiling } = parseScaleOut(action);
    const refuse = (reason: string): ActionRefusedError => new ActionRefusedError(action.kind, action.resource, reason);
    const session = new ApiSession('autoscaling', this.options);
    return executeSafely(session, action, now, async () => {
      const [current] = await readScalingGroups(this.client, session, [group]);
      if (current === undefined) throw refuse(`group ${group} was not found when re-read`);
      if (action.resource !== group && action.resource !== current.arn) {
        throw refuse(`group ${group} now has the ARN ${current.arn}; it was replaced since the plan`);
      }
      // Re-checked here as well as in the guards: an automated action must never take capacity away.
      if (newDesired < current.desired) throw refuse(`it would lower the desired capacity of ${group} from ${current.desired} to ${newDesired}`);
      if (newMax < current.max) throw refuse(`it would lower the max size of ${group} from ${current.max} to ${newMax}`);
      // A max already above the ceiling (set by hand) is kept, but never raised further.
      if (ceiling !== null && newMax > ceiling && newMax > current.max) {
        throw refuse(`max ${newMax} would go beyond the ceiling ${ceiling} of ${group}`);
      }
      const change = `desired ${current.desired} -> ${newDesired}, max ${current.max} -> ${newMax}`;
      if (newDesired === current.desired && newMax === current.max) {
        return { outcome: 'skipped', detail: `group ${group} already has the planned capacity (${change})` };
      }
      await session.call(() =>
        this.client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, MaxSize: newMax, DesiredCapacity: newDesired })),
      );
      return { outcome: 'succeeded', detail: `scaled out group ${group}: ${change}` };
    });
  }
}

function isArnOf(resource: string, group: string): boolean {
  return resource.startsWith('arn:') && resource.endsWith(`:autoScalingGroupName/${group}`);
}

export function parseScaleOut(action: PlannedAction): AsgScaleOutParameters {
  assertExecutable(action, 'asg-scale-out');
  const autoScalingGroupName = stringParameter(action, 'autoScalingGroupName', GROUP_NAME, 'an Auto Scaling group name (1..255 characters)');
  if (action.resource !== autoScalingGroupName && !isArnOf(action.resource, autoScalingGroupName)) {
    throw new ActionRefusedError(
      action.kind,
      action.resource,
      `the resource must be the name or ARN of the group named in parameters.autoScalingGroupName (${JSON.stringify(autoScalingGroupName)})`,
    );
  }
  const newMax = positiveIntegerParameter(action, 'newMax');
  const newDesired = positiveIntegerParameter(action, 'newDesired');
  const ceiling = action.parameters['ceiling'] === undefined ? null : positiveIntegerParameter(action, 'ceiling');
  if (newDesired > newMax) {
    throw new ActionRefusedError(action.kind, action.resource, `parameters.newDesired (${newDesired}) exceeds parameters.newMax (${newMax})`);
  }
  if (ceiling !== null && newDesired > ceiling) {
    throw new ActionRefusedError(action.kind, action.resource, `parameters.newDesired (${newDesired}) exceeds the ceiling (${ceiling})`);
  }
  return { autoScalingGroupName, newMax, newDesired, ceiling };
}
