/**
 * Rolls a deployment back by stopping it with auto-rollback: the instances already updated return to the
 * previous revision.
 */
import { StopDeploymentCommand, type CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { ActionResult, PlannedAction } from '../../domain/model';
import {
  ActionRefusedError,
  ApiSession,
  assertExecutable,
  executeSafely,
  resolveAdapterOptions,
  stringParameter,
  type AdapterOptions,
  type ResolvedAdapterOptions,
} from '../collectors/common';

/**
 * The parameters a `codedeploy-rollback` PlannedAction carries (as planned in domain/mitigation.ts); its
 * resource is the deployment group, `deploymentGroupResource(application, group)` from the collector.
 */
export interface CodeDeployRollbackParameters {
  readonly deploymentId: string;
  readonly deploymentGroup: string;
}

// CodeDeploy deployment ids: `d-` and upper-case letters and digits, e.g. d-4F2A1B3C9.
const DEPLOYMENT_ID = /^d-[A-Z0-9]{1,40}$/;
// `<application>/<deployment group>`, each 1..100 characters.
const DEPLOYMENT_GROUP = /^.{1,201}$/s;

export class CodeDeployRollbackAction {
  private readonly options: ResolvedAdapterOptions;

  constructor(
    private readonly client: CodeDeployClient,
    options: AdapterOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
  }

  /**
   * Stops the deployment with `autoRollbackEnabled: true`. Throws `ActionRefusedError` (before any API call)
   * when the action is not an allowed rollback, its parameters are malformed, or its resource is not the
   * deployment group the parameters name; an API error becomes outcome `failed`.
   */
  async execute(action: PlannedAction, now: number): Promise<ActionResult> {
    const parameters = parseRollback(action);
    const session = new ApiSession('codedeploy', this.options);
    return executeSafely(session, action, now, async () => {
      const out = await session.call(() =>
        this.client.send(new StopDeploymentCommand({ deploymentId: parameters.deploymentId, autoRollbackEnabled: true })),
      );
      const status = out.status ?? 'unknown';
      const message = out.statusMessage ? `: ${out.statusMessage}` : '';
      return {
        outcome: 'succeeded',
        detail: `stopped deployment ${parameters.deploymentId} on ${action.resource} with rollback (${status}${message})`,
      };
    });
  }
}

export function parseRollback(action: PlannedAction): CodeDeployRollbackParameters {
  assertExecutable(action, 'codedeploy-rollback');
  const deploymentId = stringParameter(action, 'deploymentId', DEPLOYMENT_ID, 'a CodeDeploy deployment id (d- then upper-case letters and digits)');
  const deploymentGroup = stringParameter(action, 'deploymentGroup', DEPLOYMENT_GROUP, 'a deployment group (<application>/<group>)');
  // The resource is what the guards (allowlist, cooldown) checked; acting on anything else is refused.
  if (action.resource !== deploymentGroup) {
    throw new ActionRefusedError(
      action.kind,
      action.resource,
      `the resource must be the deployment group named in parameters.deploymentGroup (${JSON.stringify(deploymentGroup)})`,
    );
  }
  const rollback = action.parameters['autoRollbackEnabled'];
  if (rollback !== undefined && rollback !== true) {
    throw new ActionRefusedError(action.kind, action.resource, `parameters.autoRollbackEnabled must be true or absent; got ${JSON.stringify(rollback)}`);
  }
  return { deploymentId, deploymentGroup };
}
