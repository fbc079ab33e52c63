import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AlertChannels, PAGERDUTY_MAX_RECEIVE_COUNT } from '../../lib/constructs/alert-channels';
import type { AlertChannelsProps } from '../../lib/constructs/alert-channels';
import { BurnwatchConfigError } from '../../lib/config/errors';

const ACCOUNT = '123456789012';
const SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:burnwatch/pagerduty-AbCdEf`;

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected the construct to throw, it did not');
}

interface Fixture {
  readonly stack: Stack;
  readonly publisher: iam.Role;
}

function fixture(): Fixture {
  // Skips esbuild bundling of the subscriber function: the template is what these tests read.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { stack, publisher };
}

function fullChannels(stack: Stack, publisher: iam.IGrantable): AlertChannels {
  const queue = new Queue(stack, 'AccountTeamQueue');
  const fn = new LambdaFunction(stack, 'Consumer', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {}'),
  });
  return new AlertChannels(stack, 'Alerts', {
    publishers: [publisher],
    email: [{ address: 'oncall@example.com', filter: { severity: ['page'], eventType: ['opened', 'resolved'] } }],
    https: [{ url: 'https://hooks.example.com/burnwatch' }],
    sqs: [{ queue, filter: { tenant: ['acme-corp'] } }],
    lambda: [{ fn, filter: { slo: ['api-availability'] } }],
    slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD', filter: { severity: ['page', 'ticket'] } },
    pagerDuty: { routingKeySecret: Secret.fromSecretCompleteArn(stack, 'RoutingKey', SECRET_ARN) },
  });
}

describe('AlertChannels', () => {
  describe('the alert topic', () => {
    it('is encrypted with a customer-managed key with rotation whose policy lets CloudWatch and SNS use it', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = new AlertChannels(stack, 'Alerts', { publishers: [publisher] });
      // Assess
      const template = Template.fromStack(stack);
      const keyId = stack.getLogicalId(channels.encryptionKey?.node.defaultChild as never);
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

    it('denies publishing without SSL and publishing by anyone but the publishers', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      new AlertChannels(stack, 'Alerts', { publishers: [publisher] });
      // Assess
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Principal: '*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Principal: { AWS: '*' },
              Condition: {
                ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [stack.getLogicalId(publisher.node.defaultChild as never), 'Arn'] }] },
                Bool: { 'aws:PrincipalIsAWSService': 'false' },
              },
            }),
          ]),
        },
      });
    });

    it('with only an AWS service as publisher, allows that service and denies every other caller', () => {
      // Prepare
      const { stack } = fixture();
      // Act
      new AlertChannels(stack, 'Alerts', { publishers: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')] });
      // Assess
      Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'DenyPublishExceptPublishers',
              Effect: 'Deny',
              Condition: { Bool: { 'aws:PrincipalIsAWSService': 'false' } },
            }),
            Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
          ]),
        },
      });
    });

    it('also lets a publisher granted after construction through the deny', () => {
      // Prepare
      const { stack, publisher } = fixture();
      const channels = new AlertChannels(stack, 'Alerts', { publishers: [publisher] });
      const later = new iam.Role(stack, 'LaterPublisher', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
      // Act
      channels.grantPublish(later);
      // Assess
      Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'DenyPublishExceptPublishers',
              Condition: Match.objectLike({
                ArnNotEquals: {
                  'aws:PrincipalArn': [
                    { 'Fn::GetAtt': [stack.getLogicalId(publisher.node.defaultChild as never), 'Arn'] },
                    { 'Fn::GetAtt': [stack.getLogicalId(later.node.defaultChild as never), 'Arn'] },
                  ],
                },
              }),
            }),
          ]),
        },
      });
    });

    it('grants the publishers sns:Publish on the topic and use of its key', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = new AlertChannels(stack, 'Alerts', { publishers: [publisher] });
      // Assess
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: stack.getLogicalId(publisher.node.defaultChild as never) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'sns:Publish', Effect: 'Allow', Resource: stack.resolve(channels.topic.topicArn) }),
            Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow' }),
          ]),
        },
      });
    });

    it('uses an existing topic as it is: no new topic, key or topic policy', () => {
      // Prepare
      const { stack, publisher } = fixture();
      const existing = Topic.fromTopicArn(stack, 'Existing', `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`);
      // Act
      new AlertChannels(stack, 'Alerts', { topic: existing, publishers: [publisher], email: [{ address: 'oncall@example.com' }] });
      // Assess
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.resourceCountIs('AWS::KMS::Key', 0);
      template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        TopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`,
        Protocol: 'email',
      });
    });
  });

  describe('subscriptions', () => {
    it.each([
      ['email', { Protocol: 'email', Endpoint: 'oncall@example.com' }, { severity: ['page'], event_type: ['opened', 'resolved'] }],
      ['sqs for an account team', { Protocol: 'sqs' }, { tenant: ['acme-corp'] }],
      ['lambda', { Protocol: 'lambda' }, { slo: ['api-availability'] }],
    ])('the %s subscription carries its filter as an SNS filter policy on the message attributes', (_name, properties, policy) => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      fullChannels(stack, publisher);
      // Assess
      Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', { ...properties, FilterPolicy: policy });
    });

    it('an https subscription without a filter receives every alert', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      fullChannels(stack, publisher);
      // Assess
      Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: 'https://hooks.example.com/burnwatch',
        FilterPolicy: Match.absent(),
      });
    });
  });

  describe('Slack through AWS Chatbot', () => {
    it('configures the channel on its own Chatbot topic with a read-only guardrail', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = fullChannels(stack, publisher);
      // Assess
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
        SlackWorkspaceId: 'T0123ABCD',
        SlackChannelId: 'C0123ABCD',
        SnsTopicArns: [stack.resolve(channels.chatbotTopic?.topicArn)],
        GuardrailPolicies: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/CloudWatchReadOnlyAccess']] }],
      });
      template.resourceCountIs('AWS::SNS::Topic', 2);
    });

    it('tells publishers the Chatbot topic and filter through publisherEnvironment', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = fullChannels(stack, publisher);
      // Assess
      expect(Object.keys(channels.publisherEnvironment).sort()).toEqual(['ALERT_CHATBOT_FILTER', 'ALERT_CHATBOT_TOPIC_ARN', 'ALERT_TOPIC_ARN']);
      expect(JSON.parse(channels.publisherEnvironment.ALERT_CHATBOT_FILTER ?? '')).toEqual({ severity: ['page', 'ticket'] });
    });

    it('no IAM policy in the stack grants administrator rights', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      fullChannels(stack, publisher);
      // Assess
      const json = JSON.stringify(Template.fromStack(stack).toJSON());
      expect(json).not.toContain('AdministratorAccess');
      expect(json).not.toMatch(/"Action":"\*"/);
    });
  });

  describe('PagerDuty', () => {
    it('subscribes an encrypted, SSL-only queue with raw delivery off and the page-only filter by default', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = fullChannels(stack, publisher);
      // Assess
      const template = Template.fromStack(stack);
      const queueId = stack.getLogicalId(channels.pagerDutyQueue?.node.defaultChild as never);
      const keyArn = stack.resolve(channels.encryptionKey?.keyArn);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
        RawMessageDelivery: false,
        FilterPolicy: { severity: ['page'] },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        KmsMasterKeyId: keyArn,
        RedrivePolicy: {
          deadLetterTargetArn: stack.resolve(channels.pagerDutyDeadLetterQueue?.queueArn),
          maxReceiveCount: PAGERDUTY_MAX_RECEIVE_COUNT,
        },
      });
      expect(PAGERDUTY_MAX_RECEIVE_COUNT).toBe(5);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('encrypts the dead-letter queue and makes it SSL-only too', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = fullChannels(stack, publisher);
      // Assess
      const template = Template.fromStack(stack);
      const dlqId = stack.getLogicalId(channels.pagerDutyDeadLetterQueue?.node.defaultChild as never);
      template.hasResourceProperties('AWS::SQS::Queue', {
        KmsMasterKeyId: stack.resolve(channels.encryptionKey?.keyArn),
        MessageRetentionPeriod: 14 * 24 * 3600,
        RedrivePolicy: Match.absent(),
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: dlqId }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    });

    it('lets a custom filter replace the page-only default', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      new AlertChannels(stack, 'Alerts', {
        publishers: [publisher],
        pagerDuty: {
          routingKeySecret: Secret.fromSecretCompleteArn(stack, 'RoutingKey', SECRET_ARN),
          filter: { severity: ['page', 'ticket'], slo: ['checkout'] },
        },
      });
      // Assess
      Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        FilterPolicy: { severity: ['page', 'ticket'], slo: ['checkout'] },
      });
    });

    it('runs the subscriber from the queue with partial batch responses', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = fullChannels(stack, publisher);
      // Assess
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: stack.resolve(channels.pagerDutyQueue?.queueArn),
        FunctionName: stack.resolve(channels.pagerDutyFunction?.functionName),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        Environment: { Variables: Match.objectLike({ PAGERDUTY_SECRET_ARN: SECRET_ARN, POWERTOOLS_SERVICE_NAME: 'burnwatch-pagerduty' }) },
      });
    });

    it('the queue visibility timeout is at least six times the subscriber timeout', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = fullChannels(stack, publisher);
      // Assess
      const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Properties: Record<string, unknown> }> };
      const fnId = stack.getLogicalId(channels.pagerDutyFunction?.node.defaultChild as never);
      const queueId = stack.getLogicalId(channels.pagerDutyQueue?.node.defaultChild as never);
      const timeout = template.Resources[fnId]?.Properties.Timeout as number;
      expect(template.Resources[queueId]?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    });

    it('lets the subscriber read only the routing-key secret, and no other secret', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = fullChannels(stack, publisher);
      // Assess
      const template = Template.fromStack(stack);
      const roleId = stack.getLogicalId(channels.pagerDutyFunction?.role?.node.defaultChild as never);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: SECRET_ARN }),
          ]),
        },
      });
      const secretStatements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
      ).filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:'));
      expect(secretStatements.map((statement) => statement.Resource)).toEqual([SECRET_ARN]);
    });

    it('puts no secret value in the template, only the secret ARN', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const channels = fullChannels(stack, publisher);
      // Assess
      const template = Template.fromStack(stack);
      const json = JSON.stringify(template.toJSON());
      expect(json).not.toContain('{{resolve:secretsmanager');
      expect(json).not.toContain('SecretString');
      const fnId = stack.getLogicalId(channels.pagerDutyFunction?.node.defaultChild as never);
      const variables = (template.toJSON() as { Resources: Record<string, { Properties: { Environment: { Variables: Record<string, unknown> } } }> })
        .Resources[fnId]?.Properties.Environment.Variables;
      expect(Object.keys(variables ?? {}).sort()).toEqual(['NODE_OPTIONS', 'PAGERDUTY_SECRET_ARN', 'POWERTOOLS_SERVICE_NAME']);
    });
  });

  describe('prop validation', () => {
    function propsWith(publisher: iam.IGrantable, overrides: Partial<AlertChannelsProps>): AlertChannelsProps {
      return { publishers: [publisher], ...overrides };
    }

    it.each<[string, (stack: Stack) => Partial<AlertChannelsProps>, string]>([
      ['an email address without a domain', () => ({ email: [{ address: 'oncall' }] }), 'email[0].address: must be an email address'],
      ['a plain-http endpoint', () => ({ https: [{ url: 'http://hooks.example.com' }] }), 'https[0].url: must be an https:// URL'],
      ['an empty Slack workspace id', () => ({ slack: { workspaceId: '', channelId: 'C1' } }), 'slack.workspaceId: must be a Slack workspace id'],
      ['an empty Slack channel id', () => ({ slack: { workspaceId: 'T1', channelId: '' } }), 'slack.channelId: must be a Slack channel id'],
      ['an unknown severity in a filter', () => ({ email: [{ address: 'a@example.com', filter: { severity: ['urgent'] } }] }), 'email[0].filter.severity[0]: must be one of page | ticket, got "urgent"'],
      ['an empty filter list', () => ({ https: [{ url: 'https://x.example.com', filter: { tenant: [] } }] }), 'https[0].filter.tenant: must be a non-empty array of strings'],
      ['an unknown event type for PagerDuty', (stack) => ({
        pagerDuty: { routingKeySecret: Secret.fromSecretCompleteArn(stack, 'K', SECRET_ARN), filter: { eventType: ['closed'] } },
      }), 'pagerDuty.filter.eventType[0]: must be one of opened | escalated | mitigated | resolved'],
      ['a non-https PagerDuty endpoint', (stack) => ({
        pagerDuty: { routingKeySecret: Secret.fromSecretCompleteArn(stack, 'K', SECRET_ARN), eventsUrl: 'http://events.pagerduty.com' },
      }), 'pagerDuty.eventsUrl: must be an https:// URL'],
      ['no publishers', () => ({ publishers: [] }), 'publishers: must list at least one role'],
    ])('rejects %s, naming the prop, what is allowed and what was given', (_name, overrides, expected) => {
      // Prepare
      const { stack, publisher } = fixture();
      const props = propsWith(publisher, overrides(stack));
      // Act
      const error = thrownBy(() => new AlertChannels(stack, 'Alerts', props));
      // Assess
      expect(error).toBeInstanceOf(BurnwatchConfigError);
      expect((error as Error).message).toContain(expected);
    });

    it('lists every problem at once, before creating any resource', () => {
      // Prepare
      const { stack, publisher } = fixture();
      // Act
      const error = thrownBy(
        () =>
          new AlertChannels(stack, 'Alerts', {
            publishers: [publisher],
            email: [{ address: 'not-an-address' }],
            https: [{ url: 'ftp://example.com' }],
            slack: { workspaceId: '', channelId: '' },
          }),
      );
      // Assess
      expect(error).toBeInstanceOf(BurnwatchConfigError);
      expect((error as BurnwatchConfigError).problems.map((p) => p.path.join('.'))).toEqual([
        'email.0.address',
        'https.0.url',
        'slack.workspaceId',
        'slack.channelId',
      ]);
      expect(Template.fromStack(stack).findResources('AWS::SNS::Topic')).toEqual({});
    });

    it('accepts deploy-time values (tokens) it cannot check at synth', () => {
      // Prepare
      const { stack, publisher } = fixture();
      const endpoint = new Topic(stack, 'Other').topicName;
      // Act
      const act = (): AlertChannels => new AlertChannels(stack, 'Alerts', { publishers: [publisher], email: [{ address: endpoint }] });
      // Assess
      expect(act).not.toThrow();
    });
  });
});
