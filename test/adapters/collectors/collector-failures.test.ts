/**
 * Every collector degrades the same way: access denied, throttling that outlasts the bounded retry, and any
 * other API error become `unavailable` with `<service>: <error name>: <message>`; they never throw.
 */
import { mockClient } from 'aws-sdk-client-mock';
import {
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { BatchGetDeploymentsCommand, CodeDeployClient, CodeDeployServiceException, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { DescribeEventsCommand, RDSClient, RDSServiceException } from '@aws-sdk/client-rds';
import { AutoScalingCollector } from '../../../lambda/adapters/collectors/autoscaling';
import { CodeDeployCollector } from '../../../lambda/adapters/collectors/codedeploy';
import { LambdaColdStartCollector } from '../../../lambda/adapters/collectors/lambda-cold-starts';
import { RdsCollector } from '../../../lambda/adapters/collectors/rds';
import type { CollectorReport } from '../../../lambda/adapters/collectors/common';
import { MIN, NO_WAIT, T0, serviceError } from './aws-errors';

const asg = mockClient(AutoScalingClient);
const rds = mockClient(RDSClient);
const codedeploy = mockClient(CodeDeployClient);
const cloudwatch = mockClient(CloudWatchClient);
interface Span {
  readonly from: number;
  readonly to: number;
  readonly tenants: readonly string[];
}
const window: Span = { from: T0, to: T0 + 30 * MIN, tenants: ['acme'] };
const options = { retry: { ...NO_WAIT, maxAttempts: 3 } };

type ErrorFactory = (name: string, status: number, message: string) => Error;

interface CollectorCase {
  readonly service: string;
  readonly error: ErrorFactory;
  /** Successful answers for every call the collector makes. */
  readonly answer: () => void;
  /** Makes the collector's first call fail once with `error`, then answer. */
  readonly failFirstCallOnce: (error: Error) => void;
  readonly collect: (span: Span) => Promise<CollectorReport>;
}

const CASES: Record<string, CollectorCase> = {
  autoscaling: {
    service: 'autoscaling',
    error: (name, status, message) => serviceError(AutoScalingServiceException, name, status, message),
    answer: () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
      asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
    },
    failFirstCallOnce: (error) => {
      asg.on(DescribeAutoScalingGroupsCommand).rejectsOnce(error).resolves({ AutoScalingGroups: [] });
    },
    collect: (span) => new AutoScalingCollector(new AutoScalingClient({}), options).collect({ ...span, scope: { groups: [{ name: 'api-asg' }] } }),
  },
  rds: {
    service: 'rds',
    error: (name, status, message) => serviceError(RDSServiceException, name, status, message),
    answer: () => {
      rds.on(DescribeEventsCommand).resolves({ Events: [] });
    },
    failFirstCallOnce: (error) => {
      rds.on(DescribeEventsCommand).rejectsOnce(error).resolves({ Events: [] });
    },
    collect: (span) => new RdsCollector(new RDSClient({}), options).collect({ ...span, scope: { instances: [{ identifier: 'orders-db' }] } }),
  },
  codedeploy: {
    service: 'codedeploy',
    error: (name, status, message) => serviceError(CodeDeployServiceException, name, status, message),
    answer: () => {
      codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
      codedeploy.on(BatchGetDeploymentsCommand).resolves({ deploymentsInfo: [] });
    },
    failFirstCallOnce: (error) => {
      codedeploy.on(ListDeploymentsCommand).rejectsOnce(error).resolves({ deployments: [] });
    },
    collect: (span) =>
      new CodeDeployCollector(new CodeDeployClient({}), options).collect({
        ...span,
        scope: { deploymentGroups: [{ applicationName: 'shop', deploymentGroupName: 'api' }] },
      }),
  },
  lambda: {
    service: 'cloudwatch',
    error: (name, status, message) => serviceError(CloudWatchServiceException, name, status, message),
    answer: () => {
      cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    },
    failFirstCallOnce: (error) => {
      cloudwatch.on(GetMetricDataCommand).rejectsOnce(error).resolves({ MetricDataResults: [] });
    },
    collect: (span) =>
      new LambdaColdStartCollector(new CloudWatchClient({}), options).collect({
        ...span,
        scope: { functions: [{ functionName: 'api-handler', namespace: 'Shop', service: 'api' }] },
      }),
  },
};

const SOURCES = Object.keys(CASES).map((source) => [source] as const);

function failEveryCall(error: Error): void {
  asg.onAnyCommand().rejects(error);
  rds.onAnyCommand().rejects(error);
  codedeploy.onAnyCommand().rejects(error);
  cloudwatch.onAnyCommand().rejects(error);
}

function caseOf(source: string): CollectorCase {
  const found = CASES[source];
  if (found === undefined) throw new Error(`no collector case ${source}`);
  return found;
}

describe('collectors under API failure', () => {
  beforeEach(() => {
    asg.reset();
    rds.reset();
    codedeploy.reset();
    cloudwatch.reset();
  });

  const accessDenied = [
    ['AccessDeniedException', 400],
    ['AccessDenied', 403],
    ['UnauthorizedOperation', 400],
    ['SomeOtherName', 403],
  ] as const;
  const perCollector = SOURCES.flatMap(([source]) => accessDenied.map(([name, status]) => [source, name, status] as const));

  it.each(perCollector)('the %s collector reports %s (HTTP %d) as unavailable without retrying', async (source, name, status) => {
    // Prepare
    const subject = caseOf(source);
    subject.answer();
    subject.failFirstCallOnce(subject.error(name, status, 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized'));
    // Act
    const result = await subject.collect(window);
    // Assess
    expect(result).toMatchObject({
      source,
      status: 'unavailable',
      reason: `${subject.service}: ${name}: User: arn:aws:sts::123456789012:assumed-role/x is not authorized`,
      details: { errorKind: 'access-denied', calls: 1, throttledRetries: 0 },
    });
  });

  it.each(SOURCES)('the %s collector retries a throttled call and then reports ok', async (source) => {
    // Prepare
    const subject = caseOf(source);
    subject.answer();
    subject.failFirstCallOnce(subject.error('Throttling', 400, 'Rate exceeded'));
    // Act
    const result = await subject.collect(window);
    // Assess
    expect(result).toMatchObject({ source, status: 'ok', items: [], details: { throttledRetries: 1 } });
  });

  it.each(SOURCES)('the %s collector reports throttling that outlasts 3 attempts as unavailable', async (source) => {
    // Prepare
    const subject = caseOf(source);
    const throttled = subject.error('ThrottlingException', 400, 'Rate exceeded');
    failEveryCall(throttled);
    // Act
    const result = await subject.collect(window);
    // Assess
    expect(result).toMatchObject({
      source,
      status: 'unavailable',
      reason: `${subject.service}: ThrottlingException: Rate exceeded`,
      details: { errorKind: 'throttling', calls: 3, throttledRetries: 2 },
    });
  });

  it.each(SOURCES)('the %s collector reports any other API error as unavailable', async (source) => {
    // Prepare
    const subject = caseOf(source);
    failEveryCall(subject.error('InternalFailure', 500, 'boom'));
    // Act
    const result = await subject.collect(window);
    // Assess
    expect(result).toMatchObject({ source, status: 'unavailable', reason: `${subject.service}: InternalFailure: boom`, details: { errorKind: 'other' } });
  });

  it.each(SOURCES)('the %s collector reports an inverted window as unavailable, naming request.to', async (source) => {
    // Prepare
    const subject = caseOf(source);
    subject.answer();
    // Act
    const result = await subject.collect({ ...window, to: T0 - MIN });
    // Assess
    expect(result.status).toBe('unavailable');
    expect(result.status === 'unavailable' ? result.reason : '').toMatch(/^\w+: AdapterInputError: request\.to must be .*greater than request\.from/);
  });
});
