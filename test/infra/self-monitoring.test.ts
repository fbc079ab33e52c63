import { App, Duration, Stack, Token } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { BurnwatchConfigError } from '../../lib/config/errors';
import { SelfMonitoring } from '../../lib/constructs/self-monitoring';
import type { SelfMonitoringProps } from '../../lib/constructs/self-monitoring';
import { thrownBy } from '../config/fixtures';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const SLOS = ['api-availability', 'checkout-latency'];
const EVALUATOR_TIMEOUT_SECONDS = 50;
const EXISTING_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:burnwatch-operators`;

interface Fixture {
  readonly stack: Stack;
  readonly evaluator: LambdaFunction;
  readonly workflow: StateMachine;
  readonly deadLetterQueue: Queue;
  readonly base: SelfMonitoringProps;
}

function fixture(): Fixture {
  // Prepare: plain resources with inline code, so nothing is bundled
  const stack = new Stack(new App(), 'Test', { env: { account: ACCOUNT, region: REGION } });
  const evaluator = new LambdaFunction(stack, 'Evaluator', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {}'),
    timeout: Duration.seconds(EVALUATOR_TIMEOUT_SECONDS),
  });
  const workflow = new StateMachine(stack, 'Workflow', { definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Nothing')) });
  const deadLetterQueue = new Queue(stack, 'PagerDutyDeadLetters');
  const base: SelfMonitoringProps = {
    evaluator,
    evaluatorTimeout: Duration.seconds(EVALUATOR_TIMEOUT_SECONDS),
    workflow,
    sloNames: SLOS,
    deadLetterQueues: [deadLetterQueue],
  };
  return { stack, evaluator, workflow, deadLetterQueue, base };
}

const logicalId = (stack: Stack, construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ref = (stack: Stack, construct: IConstruct): { Ref: string } => ({ Ref: logicalId(stack, construct) });

describe('SelfMonitoring with defaults', () => {
  let f: Fixture;
  let monitoring: SelfMonitoring;
  let template: Template;

  beforeAll(() => {
    f = fixture();
    // Act
    monitoring = new SelfMonitoring(f.stack, 'SelfMonitoring', f.base);
    template = Template.fromStack(f.stack);
  });

  type AlarmRow = [string, (fx: Fixture) => Record<string, unknown>];
  const lambdaMetric = (name: string) => (fx: Fixture) => ({
    Namespace: 'AWS/Lambda',
    MetricName: name,
    Dimensions: [{ Name: 'FunctionName', Value: ref(fx.stack, fx.evaluator) }],
  });
  const workflowMetric = (name: string) => (fx: Fixture) => ({
    Namespace: 'AWS/States',
    MetricName: name,
    Dimensions: [{ Name: 'StateMachineArn', Value: ref(fx.stack, fx.workflow) }],
  });
  const sloMetric = (name: string, slo: string) => () => ({ Namespace: 'Burnwatch', MetricName: name, Dimensions: [{ Name: 'Slo', Value: slo }] });
  const discreteEvent = { Statistic: 'Sum', Period: 300, Threshold: 1, EvaluationPeriods: 1, DatapointsToAlarm: 1 };

  const rows: AlarmRow[] = [
    [
      'evaluator errors: at least 1 error in 2 of the last 3 one-minute periods',
      (fx) => ({
        ...lambdaMetric('Errors')(fx),
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ],
    [
      'evaluator duration: p99 at or above 80% of the timeout in 3 of the last 5 minutes',
      (fx) => ({
        ...lambdaMetric('Duration')(fx),
        ExtendedStatistic: 'p99',
        Period: 60,
        // 80% of a 50 s timeout, in the milliseconds Lambda reports Duration in
        Threshold: 0.8 * EVALUATOR_TIMEOUT_SECONDS * 1000,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ],
    [
      'evaluator throttles: at least 1 in five minutes',
      (fx) => ({ ...lambdaMetric('Throttles')(fx), ...discreteEvent, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' }),
    ],
    ...SLOS.map((slo): AlarmRow => [
      `missed tick of ${slo}: no heartbeat in 3 one-minute periods, missing data breaching`,
      () => ({
        ...sloMetric('EvaluatorHeartbeat', slo)(),
        Statistic: 'SampleCount',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      }),
    ]),
    ...SLOS.map((slo): AlarmRow => [
      `failed tenants of ${slo}: more than 0 in each of 5 one-minute periods`,
      () => ({
        ...sloMetric('TenantsFailed', slo)(),
        Statistic: 'Sum',
        Period: 60,
        Threshold: 0,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]),
    ...SLOS.map((slo): AlarmRow => [
      // Sum, so one shard still warming alarms while the others report 0 under the same Slo dimension
      `warming tenants of ${slo}: more than 0 (summed over shards) in each of 30 one-minute periods`,
      () => ({
        ...sloMetric('TenantsWarming', slo)(),
        Statistic: 'Sum',
        Period: 60,
        Threshold: 0,
        EvaluationPeriods: 30,
        DatapointsToAlarm: 30,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]),
    ...['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name): AlarmRow => [
      `workflow ${name}: at least 1 in five minutes`,
      (fx) => ({ ...workflowMetric(name)(fx), ...discreteEvent, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' }),
    ]),
    [
      'dead-letter queue: at least 1 visible message, holding its state when SQS stops reporting',
      (fx) => ({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(fx.stack, fx.deadLetterQueue), 'QueueName'] } }],
        ...discreteEvent,
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'ignore',
        // The description names the queue, a deploy-time value
        AlarmDescription: {
          'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalId(fx.stack, fx.deadLetterQueue), 'QueueName'] }, Match.stringLikeRegexp('What to do: ')])],
        },
      }),
    ],
  ];

  it.each(rows)('alarms on %s and notifies the operator topic on ALARM and OK', (_name, expected) => {
    // Assess
    const topic = ref(f.stack, monitoring.operatorTopic);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('What to do: '),
      ...expected(f),
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });

  it('creates exactly the listed alarms: 3 for the evaluator, 3 per SLO, 3 for the workflow, 1 per dead-letter queue', () => {
    // Assess
    const expectedCount = 3 + 3 * SLOS.length + 3 + 1;
    template.resourceCountIs('AWS::CloudWatch::Alarm', expectedCount);
    expect(monitoring.alarms).toHaveLength(expectedCount);
    expect(Object.keys(monitoring.missedTickAlarms)).toEqual(SLOS);
  });

  it('names the SLO, the cold-start formula and the prop to raise in its warming-tenants alarm description', () => {
    // Assess
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'TenantsWarming', Dimensions: [{ Name: 'Slo', Value: 'checkout-latency' }] } }),
    );
    expect(alarms).toHaveLength(1);
    const description = String(alarms[0]?.Properties.AlarmDescription);
    expect(description).toContain('tenants of SLO "checkout-latency" unevaluated in every tick for 30 minutes');
    expect(description).toContain('ceil(N x 2,300 / warmupDatapointsPerTick)');
    expect(description).toContain('What to do: ');
    expect(description).toContain('evaluator.warmupDatapointsPerTick');
    // CloudWatch refuses alarm descriptions longer than 1024 characters.
    expect(description.length).toBeLessThanOrEqual(1024);
  });

  it('names the SLO in its missed-tick alarm description', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EvaluatorHeartbeat',
      Dimensions: [{ Name: 'Slo', Value: 'checkout-latency' }],
      AlarmDescription: Match.stringLikeRegexp('did not evaluate SLO "checkout-latency"'),
    });
  });

  it('creates an operator topic encrypted with a new rotating key that CloudWatch and SNS of this account may use', () => {
    // Assess
    const keyId = logicalId(f.stack, monitoring.encryptionKey as Key);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: ['cloudwatch.amazonaws.com', 'sns.amazonaws.com'] },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          }),
        ]),
      },
    });
  });

  it("lets only this account's CloudWatch alarms publish, over SSL", () => {
    // Assess
    const topic = ref(f.stack, monitoring.operatorTopic);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`]] } },
            },
          }),
        ]),
      },
    });
  });

  it('subscribes nobody by email', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('SelfMonitoring options', () => {
  it('subscribes each operator email to the operator topic', () => {
    // Prepare
    const f = fixture();
    // Act
    const monitoring = new SelfMonitoring(f.stack, 'SelfMonitoring', { ...f.base, operatorEmails: ['sre@example.com', 'burnwatch-ops@example.com'] });
    // Assess
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const address of ['sre@example.com', 'burnwatch-ops@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: address, TopicArn: ref(f.stack, monitoring.operatorTopic) });
    }
  });

  it('sends to an existing operator topic and creates no topic or key', () => {
    // Prepare
    const f = fixture();
    const existing = Topic.fromTopicArn(f.stack, 'Existing', EXISTING_TOPIC_ARN);
    // Act
    const monitoring = new SelfMonitoring(f.stack, 'SelfMonitoring', { ...f.base, operatorTopic: existing });
    // Assess
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(monitoring.encryptionKey).toBeUndefined();
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [EXISTING_TOPIC_ARN], OKActions: [EXISTING_TOPIC_ARN] });
  });

  it('encrypts the operator topic with a given key instead of creating one', () => {
    // Prepare
    const f = fixture();
    const key = new Key(f.stack, 'SharedKey', { enableKeyRotation: true });
    // Act
    new SelfMonitoring(f.stack, 'SelfMonitoring', { ...f.base, encryptionKey: key });
    // Assess
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(f.stack, key), 'Arn'] } });
  });

  it('alarms on every dead-letter queue given and on none without them', () => {
    // Prepare
    const withQueues = fixture();
    const second = new Queue(withQueues.stack, 'WebhookDeadLetters');
    const withoutQueues = fixture();
    // Act
    new SelfMonitoring(withQueues.stack, 'SelfMonitoring', { ...withQueues.base, deadLetterQueues: [withQueues.deadLetterQueue, second] });
    new SelfMonitoring(withoutQueues.stack, 'SelfMonitoring', { ...withoutQueues.base, deadLetterQueues: undefined });
    // Assess
    const count = (stack: Stack): number =>
      Object.keys(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ApproximateNumberOfMessagesVisible' } })).length;
    expect(count(withQueues.stack)).toBe(2);
    expect(count(withoutQueues.stack)).toBe(0);
  });

  // Missed tick: 3 ticks without a heartbeat. Failed tenants: every tick for 5 minutes, i.e. ceil(5 / tick) ticks.
  // Warming tenants: every tick for 30 minutes, i.e. ceil(30 / tick) ticks, at least one.
  it.each([
    [1, 5, 30],
    [2, 3, 15],
    [5, 1, 6],
    [10, 1, 3],
    [60, 1, 1],
  ])('with a %i-minute tick, the heartbeat, failed- and warming-tenant alarms use tick-long periods (failed tenants over %i, warming over %i)', (tickMinutes, failedPeriods, warmingPeriods) => {
    // Prepare
    const f = fixture();
    // Act
    new SelfMonitoring(f.stack, 'SelfMonitoring', { ...f.base, sloNames: ['api-availability'], tickInterval: Duration.minutes(tickMinutes) });
    // Assess
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EvaluatorHeartbeat',
      Period: tickMinutes * 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'TenantsFailed',
      Period: tickMinutes * 60,
      EvaluationPeriods: failedPeriods,
      DatapointsToAlarm: failedPeriods,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'TenantsWarming',
      Statistic: 'Sum',
      Period: tickMinutes * 60,
      EvaluationPeriods: warmingPeriods,
      DatapointsToAlarm: warmingPeriods,
    });
  });
});

describe('SelfMonitoring with the evaluator fan-out', () => {
  /** The base fixture plus an Express state machine standing in for EvaluatorFanout's. */
  function withFanout(tickMinutes?: number): { f: Fixture; fanout: StateMachine; monitoring: SelfMonitoring; template: Template } {
    const f = fixture();
    const fanout = new StateMachine(f.stack, 'Fanout', {
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromChainable(new Pass(f.stack, 'Shards')),
    });
    const monitoring = new SelfMonitoring(f.stack, 'SelfMonitoring', {
      ...f.base,
      evaluatorFanout: fanout,
      ...(tickMinutes === undefined ? {} : { tickInterval: Duration.minutes(tickMinutes) }),
    });
    return { f, fanout, monitoring, template: Template.fromStack(f.stack) };
  }
  const fanoutMetric = (stack: Stack, fanout: StateMachine, name: string): Record<string, unknown> => ({
    Namespace: 'AWS/States',
    MetricName: name,
    Dimensions: [{ Name: 'StateMachineArn', Value: ref(stack, fanout) }],
  });

  // Failed: the evaluator errors alarm's 2 of 3, in ticks (the next tick re-evaluates a failed shard).
  // Timed out: one tick that outran its schedule is enough.
  it.each([
    [1, 'ExecutionsFailed', { Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 2 }],
    [1, 'ExecutionsTimedOut', { Threshold: 1, EvaluationPeriods: 1, DatapointsToAlarm: 1 }],
    [5, 'ExecutionsFailed', { Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 2 }],
    [5, 'ExecutionsTimedOut', { Threshold: 1, EvaluationPeriods: 1, DatapointsToAlarm: 1 }],
  ])('with a %i-minute tick, alarms on the fan-out %s over tick-long periods, to the operator topic on ALARM and OK', (tickMinutes, metricName, periods) => {
    // Act
    const { f, fanout, monitoring, template } = withFanout(tickMinutes);

    // Assess
    const topic = ref(f.stack, monitoring.operatorTopic);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...fanoutMetric(f.stack, fanout, metricName),
      Statistic: 'Sum',
      Period: tickMinutes * 60,
      ...periods,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('sharded evaluator tick.*What to do: .*log group'),
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });

  it('adds exactly the failed and timed-out alarms, none on throttles or aborts (Express has neither)', () => {
    // Act
    const { f, fanout, monitoring, template } = withFanout();

    // Assess
    const onFanout = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => JSON.stringify(alarm.Properties.Dimensions) === JSON.stringify([{ Name: 'StateMachineArn', Value: ref(f.stack, fanout) }]),
    );
    expect(onFanout.map((alarm) => alarm.Properties.MetricName as string).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    // The default set (3 evaluator, 3 per SLO, 3 workflow, 1 dead-letter queue) plus the two.
    expect(monitoring.alarms).toHaveLength(3 + 3 * SLOS.length + 3 + 1 + 2);
  });
});

describe('SelfMonitoring props validation', () => {
  it.each<[string, (f: Fixture) => Partial<SelfMonitoringProps>, string]>([
    ['no SLO names', () => ({ sloNames: [] }), 'sloNames: must list at least one SLO name, got []'],
    [
      'an SLO name with a space',
      () => ({ sloNames: ['api availability'] }),
      'sloNames[0]: must be an SLO name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, got "api availability"',
    ],
    ['an SLO name with a quote', () => ({ sloNames: ["api'"] }), `sloNames[0]: must be an SLO name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, got "api'"`],
    ['a repeated SLO name', () => ({ sloNames: ['api', 'api'] }), 'sloNames[1]: must be unique (sloNames[0] is the same), got "api"'],
    [
      'an SLO name known only at deploy time',
      () => ({ sloNames: [Token.asString({ Ref: 'SloName' })] }),
      'sloNames[0]: must be known at synth time (it names alarms and widgets), got a deploy-time token',
    ],
    [
      'a zero evaluator timeout',
      () => ({ evaluatorTimeout: Duration.seconds(0) }),
      'evaluatorTimeout: must be from 1 second to 15 minutes (the Lambda timeout range), got "0 seconds"',
    ],
    [
      'an evaluator timeout beyond Lambda\'s 15 minutes',
      () => ({ evaluatorTimeout: Duration.minutes(16) }),
      'evaluatorTimeout: must be from 1 second to 15 minutes (the Lambda timeout range), got "16 minutes"',
    ],
    [
      'a tick that is not whole minutes',
      () => ({ tickInterval: Duration.seconds(90) }),
      'tickInterval: must be whole minutes from 1 to 60 (the evaluator schedule), got "1 minute 30 seconds"',
    ],
    ['a tick beyond an hour', () => ({ tickInterval: Duration.minutes(61) }), 'tickInterval: must be whole minutes from 1 to 60 (the evaluator schedule), got "1 hour 1 minute"'],
    [
      'an operator email that is not an address',
      () => ({ operatorEmails: ['oncall'] }),
      'operatorEmails[0]: must be an email address like oncall@example.com, got "oncall"',
    ],
    [
      'a key with an existing topic',
      (f) => ({ operatorTopic: Topic.fromTopicArn(f.stack, 'Existing', EXISTING_TOPIC_ARN), encryptionKey: new Key(f.stack, 'Unused') }),
      'encryptionKey: must not be given with operatorTopic (an existing topic keeps its own encryption), got a key',
    ],
  ])('refuses %s, naming the prop', (_name, override, message) => {
    // Prepare
    const f = fixture();
    // Act
    const error = thrownBy(() => new SelfMonitoring(f.stack, 'SelfMonitoring', { ...f.base, ...override(f) }));
    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigError);
    expect(error.message).toContain(`  - ${message}`);
  });

  it('lists every problem at once and creates no alarm', () => {
    // Prepare
    const f = fixture();
    // Act
    const error = thrownBy(
      () => new SelfMonitoring(f.stack, 'SelfMonitoring', { ...f.base, sloNames: [], evaluatorTimeout: Duration.seconds(0), operatorEmails: ['x'] }),
    );
    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigError);
    expect((error as BurnwatchConfigError).problems.map((p) => p.path.join('.'))).toEqual(['sloNames', 'evaluatorTimeout', 'operatorEmails.0']);
    expect(error.message).toContain('self-monitoring Test/SelfMonitoring');
    expect(f.stack.node.findAll().filter((construct) => construct instanceof Alarm)).toEqual([]);
  });
});
