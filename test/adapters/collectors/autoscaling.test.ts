import { mockClient } from 'aws-sdk-client-mock';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  type Activity,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { AutoScalingCollector, type AutoScalingScope } from '../../../lambda/adapters/collectors/autoscaling';
import type { CollectRequest } from '../../../lambda/adapters/collectors/common';
import type { EvidenceItem } from '../../../lambda/domain/model';
import { MIN, NO_WAIT, T0 } from './aws-errors';

const asg = mockClient(AutoScalingClient);
const ARN = 'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:1f2e:autoScalingGroupName/api-asg';
const FROM = T0;
const TO = T0 + 30 * MIN;

function group(overrides: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    AutoScalingGroupName: 'api-asg',
    AutoScalingGroupARN: ARN,
    MinSize: 2,
    MaxSize: 10,
    DesiredCapacity: 6,
    DefaultCooldown: 300,
    AvailabilityZones: ['eu-west-1a'],
    HealthCheckType: 'EC2',
    CreatedTime: new Date(T0 - 86_400_000),
    ...overrides,
  };
}

let activityCounter = 0;
function activity(startMinute: number, endMinute: number | null, overrides: Partial<Activity> = {}): Activity {
  activityCounter += 1;
  return {
    ActivityId: `act-${activityCounter}`,
    AutoScalingGroupName: 'api-asg',
    Description: 'Launching a new EC2 instance: i-0abc',
    Cause: 'At 2026-01-15T12:00:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 6 to 8.',
    StartTime: new Date(T0 + startMinute * MIN),
    ...(endMinute === null ? {} : { EndTime: new Date(T0 + endMinute * MIN) }),
    StatusCode: endMinute === null ? 'InProgress' : 'Successful',
    Progress: endMinute === null ? 30 : 100,
    ...overrides,
  };
}

function request(scope: AutoScalingScope, tenants: readonly string[] = ['acme']): CollectRequest<AutoScalingScope> {
  return { from: FROM, to: TO, tenants, scope };
}

function collector(options: ConstructorParameters<typeof AutoScalingCollector>[1] = {}): AutoScalingCollector {
  return new AutoScalingCollector(new AutoScalingClient({}), { retry: NO_WAIT, ...options });
}

function okItems(result: Awaited<ReturnType<AutoScalingCollector['collect']>>): readonly EvidenceItem[] {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.reason}`);
  return result.items;
}

describe('AutoScalingCollector', () => {
  beforeEach(() => {
    asg.reset();
    activityCounter = 0;
  });

  // The default slow-launch threshold is 5 minutes; the window is 12:00-12:30.
  it.each([
    ['a failed launch in the window is evidence', activity(3, 4, { StatusCode: 'Failed', StatusMessage: 'InsufficientInstanceCapacity' }), 'failed'],
    ['a cancelled launch is evidence', activity(3, 4, { StatusCode: 'Cancelled' }), 'failed'],
    ['a launch that took 12 minutes is a slow scale-out', activity(5, 17), 'slow'],
    ['a launch still in progress 10 minutes before the end of the window is pending', activity(20, null), 'pending'],
    ['a launch in progress since before the window still holds capacity back', activity(-20, null), 'pending'],
    ['a launch that took 2 minutes is not evidence', activity(5, 7), null],
    ['a launch in progress for only 3 minutes is not evidence yet', activity(27, null), null],
    ['a failed termination is not a capacity problem', activity(5, 6, { Description: 'Terminating EC2 instance: i-0abc', Cause: 'scale in', StatusCode: 'Failed' }), null],
    ['a failed launch that finished before the window is out of scope', activity(-20, -19, { StatusCode: 'Failed' }), null],
  ])('%s', async (_sentence, act, problem) => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [act] });
    // Act
    const items = okItems(await collector().collect(request({ groups: [{ name: 'api-asg' }] })));
    // Assess
    expect(items.map((item) => item.details['problem'])).toEqual(problem === null ? [] : [problem]);
    expect(items.every((item) => item.failureMode === 'capacity' && item.source === 'autoscaling')).toBe(true);
  });

  it('maps a failed launch to evidence with its time, status, message and cause', async () => {
    // Prepare
    const failed = activity(3, 4, { StatusCode: 'Failed', StatusMessage: 'We currently do not have sufficient capacity.' });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [failed] });
    // Act
    const items = okItems(await collector().collect(request({ groups: [{ name: 'api-asg' }] })));
    // Assess
    expect(items).toEqual([
      {
        source: 'autoscaling',
        failureMode: 'capacity',
        resource: 'api-asg',
        at: T0 + 3 * MIN,
        endedAt: T0 + 4 * MIN,
        summary: expect.stringMatching(/^launch failed in group api-asg \(Failed\): We currently do not have sufficient capacity\.; cause: At 2026/),
        tenants: [],
        details: {
          activityId: 'act-1',
          problem: 'failed',
          status: 'Failed',
          statusMessage: 'We currently do not have sufficient capacity.',
          description: 'Launching a new EC2 instance: i-0abc',
          cause: failed.Cause,
          durationMinutes: 1,
          progress: 100,
        },
      },
    ]);
  });

  it.each([
    ['desired equal to max', 10, 10, true],
    ['desired below max', 6, 10, false],
  ])('exports the group facts and flags %s', async (_sentence, desired, max, atMax) => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: desired, MaxSize: max })] });
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
    // Act
    const result = await collector().collect(request({ groups: [{ name: 'api-asg' }] }));
    // Assess
    expect(result.groups).toEqual([{ name: 'api-asg', arn: ARN, desired, min: 2, max, atMax }]);
    const atMaxItems = okItems(result).filter((item) => item.details['atMax'] === true);
    expect(atMaxItems.map((item) => item.summary)).toEqual(atMax ? [`group api-asg at its max (${desired}/${max})`] : []);
  });

  it('reads every page of scaling activities, passing the token on', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    asg
      .on(DescribeScalingActivitiesCommand)
      .resolvesOnce({ Activities: [activity(20, 21)], NextToken: 'page-2' })
      .resolvesOnce({ Activities: [activity(2, 3, { StatusCode: 'Failed' })] });
    // Act
    const items = okItems(await collector().collect(request({ groups: [{ name: 'api-asg' }] })));
    // Assess
    const calls = asg.commandCalls(DescribeScalingActivitiesCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      { AutoScalingGroupName: 'api-asg', MaxRecords: 100, NextToken: undefined },
      { AutoScalingGroupName: 'api-asg', MaxRecords: 100, NextToken: 'page-2' },
    ]);
    expect(items.map((item) => item.details['activityId'])).toEqual(['act-2']);
  });

  it('stops paging at the first finished activity that started before the window', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    asg
      .on(DescribeScalingActivitiesCommand)
      .resolvesOnce({ Activities: [activity(10, 11), activity(-5, -4)], NextToken: 'older' })
      .resolves({ Activities: [activity(-60, -59, { StatusCode: 'Failed' })] });
    // Act
    const result = await collector().collect(request({ groups: [{ name: 'api-asg' }] }));
    // Assess
    expect(asg.commandCalls(DescribeScalingActivitiesCommand)).toHaveLength(1);
    expect(result.details.capsHit).toEqual([]);
  });

  it('stops at maxPages and notes the cap in the result details', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [activity(10, 11)], NextToken: 'more' });
    // Act
    const result = await collector({ maxPages: 2 }).collect(request({ groups: [{ name: 'api-asg' }] }));
    // Assess
    expect(result.status).toBe('ok');
    expect(asg.commandCalls(DescribeScalingActivitiesCommand)).toHaveLength(2);
    expect(result.details.capsHit).toEqual(['DescribeScalingActivities api-asg: stopped at maxPages (2) with 2 items']);
  });

  it('stops at maxItems and notes the cap in the result details', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    const failures = [1, 2, 3].map((minute) => activity(minute, minute + 1, { StatusCode: 'Failed' }));
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: failures });
    // Act
    const result = await collector({ maxItems: 2 }).collect(request({ groups: [{ name: 'api-asg' }] }));
    // Assess
    expect(okItems(result)).toHaveLength(2);
    expect(result.details.capsHit).toEqual(['DescribeScalingActivities api-asg: stopped at maxItems (2)']);
  });

  it('notes a configured group the API does not know and asks for no activities of it', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    // Act
    const result = await collector().collect(request({ groups: [{ name: 'gone-asg' }] }));
    // Assess
    expect(result).toMatchObject({ status: 'ok', items: [], groups: [], details: { missing: ['gone-asg'] } });
    expect(asg.commandCalls(DescribeScalingActivitiesCommand)).toHaveLength(0);
  });

  it.each([
    ['a group shared by all tenants is asked about, with no tenants on its evidence', undefined, ['acme'], 1, []],
    ['a group mapped to an incident tenant carries that tenant', ['acme', 'globex'], ['acme'], 1, ['acme']],
    ['a group mapped only to other tenants is not asked about', ['globex'], ['acme'], 0, null],
  ])('%s', async (_sentence, mapped, incidentTenants, calls, tenants) => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 10 })] });
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
    const scope = { groups: [{ name: 'api-asg', ...(mapped === undefined ? {} : { tenants: mapped }) }] };
    // Act
    const items = okItems(await collector().collect(request(scope, incidentTenants)));
    // Assess
    expect(asg.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(calls);
    expect(items.map((item) => item.tenants)).toEqual(tenants === null ? [] : [tenants]);
  });

  it('reports a scope entry without a name as unavailable, naming the field', async () => {
    // Act
    const result = await collector().collect(request({ groups: [{ name: '' }] }));
    // Assess
    expect(result).toMatchObject({
      status: 'unavailable',
      reason: 'autoscaling: AdapterInputError: scope.groups[0].name must be an Auto Scaling group name (1..255 characters); got ""',
    });
    expect(asg.calls()).toHaveLength(0);
  });

  it('reports a tenant mapping that is not a list as unavailable, naming the field', async () => {
    // Prepare
    const scope = { groups: [{ name: 'api-asg', tenants: 'acme' }] } as unknown as AutoScalingScope;
    // Act
    const result = await collector().collect(request(scope));
    // Assess
    expect(result.status === 'unavailable' ? result.reason : result.status).toBe(
      'autoscaling: AdapterInputError: scope.groups[0].tenants must be a list of non-empty tenant ids, or absent; got "acme"',
    );
  });

  it('refuses a non-positive slow-launch threshold at construction', () => {
    expect(() => collector({ slowLaunchMinutes: 0 })).toThrow('options.slowLaunchMinutes must be a finite number > 0; got 0');
  });
});
