import { mockClient } from 'aws-sdk-client-mock';
import { CodeDeployClient, CodeDeployServiceException, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { CodeDeployRollbackAction } from '../../../lambda/adapters/actions/codedeploy-rollback';
import { ActionRefusedError } from '../../../lambda/adapters/collectors/common';
import type { PlannedAction } from '../../../lambda/domain/model';
import { NO_WAIT, T0, serviceError } from '../collectors/aws-errors';

const codedeploy = mockClient(CodeDeployClient);

/** A rollback as domain/mitigation.ts plans it, allowed by the guards. */
function rollback(overrides: Partial<PlannedAction> = {}, parameters: PlannedAction['parameters'] = {}): PlannedAction {
  return {
    kind: 'codedeploy-rollback',
    resource: 'shop/api',
    parameters: { deploymentId: 'd-4F2A1B3C9', deploymentGroup: 'shop/api', autoRollbackEnabled: true, ...parameters },
    allowed: true,
    blockedBy: [],
    requiresApproval: false,
    reason: 'stop deployment d-4F2A1B3C9 (InProgress) on shop/api and roll back',
    ...overrides,
  };
}

const action = new CodeDeployRollbackAction(new CodeDeployClient({}), { retry: { ...NO_WAIT, maxAttempts: 3 } });

describe('CodeDeployRollbackAction', () => {
  beforeEach(() => codedeploy.reset());

  it('stops the deployment with auto-rollback and reports the status', async () => {
    // Prepare
    codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending', statusMessage: 'Stop request accepted' });
    const planned = rollback();
    // Act
    const result = await action.execute(planned, T0);
    // Assess
    expect(codedeploy.commandCalls(StopDeploymentCommand).map((call) => call.args[0].input)).toEqual([
      { deploymentId: 'd-4F2A1B3C9', autoRollbackEnabled: true },
    ]);
    expect(result).toEqual({
      action: planned,
      outcome: 'succeeded',
      detail: 'stopped deployment d-4F2A1B3C9 on shop/api with rollback (Pending: Stop request accepted)',
      at: T0,
    });
  });

  it.each([
    ['a resource that is not the deployment group named in the action', rollback({ resource: 'shop/billing' }), /resource must be the deployment group named in parameters\.deploymentGroup \("shop\/api"\)/],
    ['an action the guards blocked', rollback({ allowed: false, blockedBy: ['cooldown: shop/api was changed 3 min ago'] }), /the guards did not allow it \(cooldown/],
    ['an action of another kind', rollback({ kind: 'asg-scale-out' }), /action\.kind must be "codedeploy-rollback"; got "asg-scale-out"/],
    ['a malformed deployment id', rollback({}, { deploymentId: 'deploy-1' }), /parameters\.deploymentId must be a CodeDeploy deployment id .*; got "deploy-1"/],
    ['a missing deployment group', rollback({}, { deploymentGroup: '' }), /parameters\.deploymentGroup must be a deployment group/],
    ['auto-rollback switched off', rollback({}, { autoRollbackEnabled: false }), /parameters\.autoRollbackEnabled must be true or absent; got false/],
  ])('refuses %s without calling CodeDeploy', async (_sentence, planned, message) => {
    // Act
    const attempt = action.execute(planned, T0);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ActionRefusedError);
    await expect(attempt).rejects.toThrow(message);
    expect(codedeploy.calls()).toHaveLength(0);
  });

  it('reports an API error as failed with its name and message', async () => {
    // Prepare
    const error = serviceError(CodeDeployServiceException, 'DeploymentAlreadyCompletedException', 400, 'The deployment is already complete');
    codedeploy.on(StopDeploymentCommand).rejects(error);
    // Act
    const result = await action.execute(rollback(), T0);
    // Assess
    expect(result).toMatchObject({
      outcome: 'failed',
      detail: 'codedeploy: DeploymentAlreadyCompletedException: The deployment is already complete',
      at: T0,
    });
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(1);
  });

  it.each([
    ['succeeds after one throttled attempt', 1, 'succeeded', 2],
    ['fails with the throttling error after 3 throttled attempts', 3, 'failed', 3],
  ])('%s', async (_sentence, throttledCalls, outcome, calls) => {
    // Prepare
    const throttled = serviceError(CodeDeployServiceException, 'ThrottlingException', 400, 'Rate exceeded');
    let stub = codedeploy.on(StopDeploymentCommand);
    for (let i = 0; i < throttledCalls; i++) stub = stub.rejectsOnce(throttled);
    stub.resolves({ status: 'Succeeded' });
    // Act
    const result = await action.execute(rollback(), T0);
    // Assess
    expect(result.outcome).toBe(outcome);
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(calls);
    if (outcome === 'failed') expect(result.detail).toBe('codedeploy: ThrottlingException: Rate exceeded');
  });
});
