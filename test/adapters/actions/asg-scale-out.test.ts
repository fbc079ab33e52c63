import { mockClient } from 'aws-sdk-client-mock';
import {
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { AsgScaleOutAction } from '../../../lambda/adapters/actions/asg-scale-out';
import { ActionRefusedError } from '../../../lambda/adapters/collectors/common';
import type { PlannedAction } from '../../../lambda/domain/model';
import { NO_WAIT, T0, serviceError } from '../collectors/aws-errors';

const asg = mockClient(AutoScalingClient);
const ARN = 'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:1f2e:autoScalingGroupName/api-asg';

/** A scale-out as domain/mitigation.ts plans it (resource = ARN), allowed by the guards: 8/10 -> 10/12. */
function scaleOut(parameters: PlannedAction['parameters'] = {}, overrides: Partial<PlannedAction> = {}): PlannedAction {
  return {
    kind: 'asg-scale-out',
    resource: ARN,
    parameters: { autoScalingGroupName: 'api-asg', previousMax: 10, previousDesired: 8, newMax: 12, newDesired: 10, step: 2, ceiling: 16, ...parameters },
    allowed: true,
    blockedBy: [],
    requiresApproval: false,
    reason: 'scale api-asg out by 2',
    ...overrides,
  };
}

function currentGroup(desired: number, max: number, arn = ARN): AutoScalingGroup {
  return {
    AutoScalingGroupName: 'api-asg',
    AutoScalingGroupARN: arn,
    MinSize: 2,
    MaxSize: max,
    DesiredCapacity: desired,
    DefaultCooldown: 300,
    AvailabilityZones: ['eu-west-1a'],
    HealthCheckType: 'EC2',
    CreatedTime: new Date(T0),
  };
}

const action = new AsgScaleOutAction(new AutoScalingClient({}), { retry: { ...NO_WAIT, maxAttempts: 3 } });

describe('AsgScaleOutAction', () => {
  beforeEach(() => asg.reset());

  it.each([
    ['its ARN', ARN],
    ['its name', 'api-asg'],
  ])('re-reads the group named by %s, then raises max and desired to the plan', async (_sentence, resource) => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [currentGroup(8, 10)] });
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    const planned = scaleOut({}, { resource });
    // Act
    const result = await action.execute(planned, T0);
    // Assess
    expect(asg.commandCalls(DescribeAutoScalingGroupsCommand)[0]?.args[0].input.AutoScalingGroupNames).toEqual(['api-asg']);
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand).map((call) => call.args[0].input)).toEqual([
      { AutoScalingGroupName: 'api-asg', MaxSize: 12, DesiredCapacity: 10 },
    ]);
    expect(result).toEqual({ action: planned, outcome: 'succeeded', detail: 'scaled out group api-asg: desired 8 -> 10, max 10 -> 12', at: T0 });
  });

  it.each([
    ['lower the desired capacity someone raised since the plan', currentGroup(11, 12), /lower the desired capacity of api-asg from 11 to 10/],
    ['lower a max someone raised since the plan', currentGroup(8, 14), /lower the max size of api-asg from 14 to 12/],
    ['act on a group that was replaced since the plan', currentGroup(8, 10, `${ARN}-new`), /was replaced since the plan/],
  ])('refuses to %s', async (_sentence, group, message) => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group] });
    // Act
    const attempt = action.execute(scaleOut(), T0);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ActionRefusedError);
    await expect(attempt).rejects.toThrow(message);
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
  });

  it.each([
    ['a max beyond the ceiling', scaleOut({ newMax: 18, ceiling: 16 }), /max 18 would go beyond the ceiling 16 of api-asg/],
    ['a desired capacity beyond the planned max', scaleOut({ newMax: 12, newDesired: 13 }), /parameters\.newDesired \(13\) exceeds parameters\.newMax \(12\)/],
    ['a desired capacity beyond the ceiling', scaleOut({ newMax: 20, newDesired: 17, ceiling: 16 }), /parameters\.newDesired \(17\) exceeds the ceiling \(16\)/],
    ['a resource that is not the group named in the action', scaleOut({}, { resource: 'web-asg' }), /resource must be the name or ARN of the group named in parameters\.autoScalingGroupName/],
    ['an action the guards blocked', scaleOut({}, { allowed: false, blockedBy: ['allowlist: not allowed'] }), /the guards did not allow it \(allowlist: not allowed\)/],
    ['a fractional max', scaleOut({ newMax: 12.5 }), /parameters\.newMax must be an integer >= 1; got 12\.5/],
  ])('refuses %s', async (_sentence, planned, message) => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [currentGroup(8, 10)] });
    // Act
    const attempt = action.execute(planned, T0);
    // Assess
    await expect(attempt).rejects.toThrow(message);
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
  });

  it('keeps a max already above the ceiling when only the desired capacity rises', async () => {
    // Prepare: max 20 was set by hand above the ceiling 16; the plan keeps it and raises desired.
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [currentGroup(8, 20)] });
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    // Act
    const result = await action.execute(scaleOut({ newMax: 20, newDesired: 10, ceiling: 16 }), T0);
    // Assess
    expect(result.outcome).toBe('succeeded');
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)[0]?.args[0].input).toEqual({ AutoScalingGroupName: 'api-asg', MaxSize: 20, DesiredCapacity: 10 });
  });

  it('skips a group that already has the planned capacity', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [currentGroup(10, 12)] });
    // Act
    const result = await action.execute(scaleOut(), T0);
    // Assess
    expect(result).toMatchObject({ outcome: 'skipped', detail: 'group api-asg already has the planned capacity (desired 10 -> 10, max 12 -> 12)' });
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
  });

  it('refuses when the group is gone', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    // Act / Assess
    await expect(action.execute(scaleOut(), T0)).rejects.toThrow(/group api-asg was not found when re-read/);
  });

  it.each([
    ['the re-read is denied', 'describe', 'AccessDenied', 403, 'not authorized to DescribeAutoScalingGroups'],
    ['the update is rejected', 'update', 'ScalingActivityInProgress', 400, 'Scaling activity is in progress'],
  ] as const)('reports failed with the error when %s', async (_sentence, failingCall, name, status, message) => {
    // Prepare
    const error = serviceError(AutoScalingServiceException, name, status, message);
    const groups = { AutoScalingGroups: [currentGroup(8, 10)] };
    if (failingCall === 'describe') asg.on(DescribeAutoScalingGroupsCommand).rejects(error);
    else asg.on(DescribeAutoScalingGroupsCommand).resolves(groups);
    if (failingCall === 'update') asg.on(UpdateAutoScalingGroupCommand).rejects(error);
    else asg.on(UpdateAutoScalingGroupCommand).resolves({});
    // Act
    const result = await action.execute(scaleOut(), T0);
    // Assess
    expect(result).toMatchObject({ outcome: 'failed', detail: `autoscaling: ${name}: ${message}`, at: T0 });
  });

  it('retries a throttled update and then succeeds', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [currentGroup(8, 10)] });
    asg
      .on(UpdateAutoScalingGroupCommand)
      .rejectsOnce(serviceError(AutoScalingServiceException, 'Throttling', 400, 'Rate exceeded'))
      .resolves({});
    // Act
    const result = await action.execute(scaleOut(), T0);
    // Assess
    expect(result.outcome).toBe('succeeded');
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(2);
  });
});
