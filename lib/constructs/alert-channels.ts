/**
 * Where alerts go: the encrypted alert topic and its subscribers (email, HTTPS, SQS, Lambda), a Slack channel through
 * AWS Chatbot, and PagerDuty through SNS -> SQS -> a subscriber Lambda. Every subscriber can take a filter on the
 * alert's message attributes (severity, tenant, event type, SLO), so e.g. only pages reach PagerDuty and one
 * tenant's alerts reach its account team.
 */
import { join } from 'node:path';
import { Duration, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
import { SlackChannelConfiguration, LoggingLevel } from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, LambdaSubscription, SqsSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PAGERDUTY_ENVIRONMENT } from '../../lambda/adapters/pagerduty-client';
import type { AlertFilter } from '../../lambda/domain/alert-message';
import { ALERT_ENVIRONMENT, FILTER_ATTRIBUTE, validateAlertFilter } from '../../lambda/domain/alert-message';
import { BurnwatchConfigError, formatGiven } from '../config/errors';
import type { ConfigProblem, ConfigPath } from '../config/errors';
import { createBurnwatchFunction } from './lambda-function';

export type { AlertFilter } from '../../lambda/domain/alert-message';

export const PAGERDUTY_SUBSCRIBER_ENTRY = join(__dirname, '..', '..', 'lambda', 'handlers', 'pagerduty-subscriber.ts');
/** Receives before a PagerDuty message moves to the dead-letter queue. */
export const PAGERDUTY_MAX_RECEIVE_COUNT = 5;
/** Covers the client's worst case (4 attempts x 5 s plus 3.5 s of backoff) for one incident's events. */
const PAGERDUTY_FUNCTION_TIMEOUT = Duration.seconds(30);
/** AWS recommends a visibility timeout of six times the consumer's timeout, so throttled retries do not redeliver early. */
const PAGERDUTY_VISIBILITY_TIMEOUT = Duration.seconds(PAGERDUTY_FUNCTION_TIMEOUT.toSeconds() * 6);
const PAGERDUTY_BATCH_SIZE = 10;
const DEFAULT_PAGERDUTY_FILTER: AlertFilter = { severity: ['page'] };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The patterns CloudFormation enforces on AWS::Chatbot::SlackChannelConfiguration. */
const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;

export interface EmailChannelProps {
  /** The address to subscribe; AWS sends a confirmation mail first. */
  readonly address: string;
  /**
   * Only alerts matching this filter are mailed.
   * @default - every alert
   */
  readonly filter?: AlertFilter;
}

export interface HttpsChannelProps {
  /** An `https://` endpoint; it receives the SNS envelope whose `Message` is the JSON alert document. */
  readonly url: string;
  /**
   * @default - every alert
   */
  readonly filter?: AlertFilter;
}

export interface QueueChannelProps {
  /** Receives the SNS envelope whose `Message` is the JSON alert document. */
  readonly queue: IQueue;
  /**
   * @default - every alert
   */
  readonly filter?: AlertFilter;
}

export interface FunctionChannelProps {
  /** Invoked with the SNS event; `Records[0].Sns.Message` is the JSON alert document. */
  readonly fn: IFunction;
  /**
   * @default - every alert
   */
  readonly filter?: AlertFilter;
}

export interface SlackChannelProps {
  /** Slack workspace (team) id, e.g. `T0123ABCD`, from the AWS Chatbot console after authorising the workspace. */
  readonly workspaceId: string;
  /** Slack channel id, e.g. `C0123ABCD` (channel details in Slack). */
  readonly channelId: string;
  /**
   * Only alerts matching this filter are posted. Chatbot subscriptions take no SNS filter policy, so publishers
   * apply it (it reaches them through `publisherEnvironment`).
   * @default - every alert
   */
  readonly filter?: AlertFilter;
  /**
   * Name of the Chatbot channel configuration, unique in the account.
   * @default - derived from the construct path
   */
  readonly configurationName?: string;
}

export interface PagerDutyChannelProps {
  /** Holds the Events API v2 routing (integration) key, as a string or JSON `{"routingKey": "..."}`. Only read at run time. */
  readonly routingKeySecret: ISecret;
  /**
   * Which alerts reach PagerDuty.
   * @default { severity: ['page'] }
   */
  readonly filter?: AlertFilter;
  /**
   * Events API endpoint, e.g. `https://events.eu.pagerduty.com/v2/enqueue` for the EU service region.
   * @default 'https://events.pagerduty.com/v2/enqueue'
   */
  readonly eventsUrl?: string;
}

export interface AlertChannelsProps {
  /**
   * Publish to this existing topic instead of creating one; its policy and encryption stay as they are.
   * @default - a new topic encrypted with `encryptionKey`, SSL-only, publishable only by `publishers`
   */
  readonly topic?: ITopic;
  /**
   * Customer-managed key for the topics and the PagerDuty queues created here.
   * @default - a new key with rotation whose policy lets SNS and CloudWatch use it
   */
  readonly encryptionKey?: IKey;
  /** Roles (or service principals) that publish alerts; they get `sns:Publish` and nobody else may publish. */
  readonly publishers: readonly iam.IGrantable[];
  /**
   * @default - no email subscriptions
   */
  readonly email?: readonly EmailChannelProps[];
  /**
   * @default - no HTTPS subscriptions
   */
  readonly https?: readonly HttpsChannelProps[];
  /**
   * @default - no queue subscriptions
   */
  readonly sqs?: readonly QueueChannelProps[];
  /**
   * @default - no function subscriptions
   */
  readonly lambda?: readonly FunctionChannelProps[];
  /**
   * Posts alerts to a Slack channel through AWS Chatbot, from a separate topic that carries the Chatbot
   * custom-notification format.
   * @default - no Slack channel
   */
  readonly slack?: SlackChannelProps;
  /**
   * Sends alerts to PagerDuty through an encrypted queue and a subscriber function.
   * @default - no PagerDuty
   */
  readonly pagerDuty?: PagerDutyChannelProps;
  /**
   * Customer-managed key for the PagerDuty function's log group; its key policy must allow CloudWatch Logs.
   * @default - encrypted with a key owned by CloudWatch Logs
   */
  readonly logEncryptionKey?: IKey;
}

function isUnresolved(value: string): boolean {
  return Token.isUnresolved(value);
}

function problemAt(path: ConfigPath, allowed: string, given: unknown): ConfigProblem {
  return { path, allowed, given: formatGiven(given) };
}

/** The ARN a publisher's requests carry as `aws:PrincipalArn`; null for AWS service principals (exempt by condition). */
function publisherArn(grantable: iam.IGrantable): string | null | undefined {
  const principal = grantable.grantPrincipal as iam.IPrincipal & Partial<Pick<iam.IRole, 'roleArn'>>;
  if (typeof principal.roleArn === 'string') return principal.roleArn;
  if (principal instanceof iam.ArnPrincipal) return principal.arn;
  if (principal instanceof iam.ServicePrincipal) return null;
  return undefined;
}

function validateProps(props: AlertChannelsProps): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const filterProblems = (filter: AlertFilter | undefined, path: ConfigPath): void => {
    if (filter === undefined) return;
    for (const p of validateAlertFilter(filter, path)) problems.push(problemAt(p.path, p.allowed, p.given));
  };
  if (props.publishers.length === 0) {
    problems.push(problemAt(['publishers'], 'must list at least one role that publishes alerts', []));
  }
  props.publishers.forEach((publisher, index) => {
    if (publisherArn(publisher) === undefined) {
      problems.push(problemAt(['publishers', index], 'must be a role, a function, an ARN principal or a service principal', publisher.grantPrincipal.toString()));
    }
  });
  props.email?.forEach((channel, index) => {
    if (!isUnresolved(channel.address) && !EMAIL.test(channel.address)) {
      problems.push(problemAt(['email', index, 'address'], 'must be an email address like oncall@example.com', channel.address));
    }
    filterProblems(channel.filter, ['email', index, 'filter']);
  });
  props.https?.forEach((channel, index) => {
    if (!isUnresolved(channel.url) && !isHttpsUrl(channel.url)) {
      problems.push(problemAt(['https', index, 'url'], 'must be an https:// URL', channel.url));
    }
    filterProblems(channel.filter, ['https', index, 'filter']);
  });
  props.sqs?.forEach((channel, index) => filterProblems(channel.filter, ['sqs', index, 'filter']));
  props.lambda?.forEach((channel, index) => filterProblems(channel.filter, ['lambda', index, 'filter']));
  if (props.slack !== undefined) {
    const { workspaceId, channelId, configurationName } = props.slack;
    if (!isUnresolved(workspaceId) && !SLACK_WORKSPACE_ID.test(workspaceId)) {
      problems.push(problemAt(['slack', 'workspaceId'], 'must be a Slack workspace id (upper-case letters and digits, e.g. T0123ABCD)', workspaceId));
    }
    if (!isUnresolved(channelId) && !SLACK_CHANNEL_ID.test(channelId)) {
      problems.push(problemAt(['slack', 'channelId'], 'must be a Slack channel id (letters and digits, e.g. C0123ABCD)', channelId));
    }
    if (configurationName !== undefined && !isUnresolved(configurationName) && !/^[A-Za-z0-9-_]{1,128}$/.test(configurationName)) {
      problems.push(problemAt(['slack', 'configurationName'], 'must be 1-128 letters, digits, - or _', configurationName));
    }
    filterProblems(props.slack.filter, ['slack', 'filter']);
  }
  if (props.pagerDuty !== undefined) {
    const { eventsUrl } = props.pagerDuty;
    if (eventsUrl !== undefined && !isUnresolved(eventsUrl) && !isHttpsUrl(eventsUrl)) {
      problems.push(problemAt(['pagerDuty', 'eventsUrl'], 'must be an https:// URL', eventsUrl));
    }
    filterProblems(props.pagerDuty.filter, ['pagerDuty', 'filter']);
  }
  return problems;
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The SNS filter policy of a filter: one allow-list per attribute. */
export function filterPolicy(filter: AlertFilter | undefined): Record<string, SubscriptionFilter> | undefined {
  if (filter === undefined) return undefined;
  const policy: Record<string, SubscriptionFilter> = {};
  for (const key of Object.keys(FILTER_ATTRIBUTE) as (keyof AlertFilter)[]) {
    const values = filter[key];
    if (values !== undefined) policy[FILTER_ATTRIBUTE[key]] = SubscriptionFilter.stringFilter({ allowlist: [...values] });
  }
  return Object.keys(policy).length === 0 ? undefined : policy;
}

export class AlertChannels extends Construct {
  /** The alert topic publishers send to (with `MessageStructure: 'json'`). */
  readonly topic: ITopic;
  /** The key of the topics and queues created here; undefined when nothing here needed one. */
  readonly encryptionKey?: IKey;
  /** The topic AWS Chatbot reads; present with `slack`. */
  readonly chatbotTopic?: Topic;
  readonly slackChannel?: SlackChannelConfiguration;
  readonly pagerDutyQueue?: Queue;
  /** Messages PagerDuty never accepted end up here; alarm on its depth. */
  readonly pagerDutyDeadLetterQueue?: Queue;
  readonly pagerDutyFunction?: NodejsFunction;
  /**
   * Variables publishers need (`ALERT_TOPIC_ARN`, and with Slack `ALERT_CHATBOT_TOPIC_ARN`, `ALERT_CHATBOT_FILTER`);
   * merge them into the environment of every publishing function.
   */
  readonly publisherEnvironment: Readonly<Record<string, string>>;

  private readonly publisherArns: string[] = [];

  constructor(scope: Construct, id: string, props: AlertChannelsProps) {
    super(scope, id);
    const problems = validateProps(props);
    if (problems.length > 0) throw new BurnwatchConfigError(problems, `alert channels ${this.node.path}`);

    const needsKey = props.topic === undefined || props.slack !== undefined || props.pagerDuty !== undefined;
    this.encryptionKey = needsKey ? (props.encryptionKey ?? this.createKey()) : props.encryptionKey;
    this.topic = props.topic ?? this.createTopic('Topic', 'Burnwatch alerts');

    const environment: Record<string, string> = { [ALERT_ENVIRONMENT.topicArn]: this.topic.topicArn };
    if (props.slack !== undefined) {
      this.chatbotTopic = this.createTopic('ChatbotTopic', 'Burnwatch alerts for AWS Chatbot');
      this.slackChannel = this.createSlackChannel(props.slack, this.chatbotTopic);
      environment[ALERT_ENVIRONMENT.chatbotTopicArn] = this.chatbotTopic.topicArn;
      if (props.slack.filter !== undefined) environment[ALERT_ENVIRONMENT.chatbotFilter] = JSON.stringify(props.slack.filter);
    }
    this.publisherEnvironment = environment;
    for (const publisher of props.publishers) this.grantPublish(publisher);

    for (const channel of props.email ?? []) {
      this.topic.addSubscription(new EmailSubscription(channel.address, { filterPolicy: filterPolicy(channel.filter) }));
    }
    for (const channel of props.https ?? []) {
      this.topic.addSubscription(new UrlSubscription(channel.url, { filterPolicy: filterPolicy(channel.filter) }));
    }
    for (const channel of props.sqs ?? []) {
      this.topic.addSubscription(new SqsSubscription(channel.queue, { filterPolicy: filterPolicy(channel.filter) }));
    }
    for (const channel of props.lambda ?? []) {
      this.topic.addSubscription(new LambdaSubscription(channel.fn, { filterPolicy: filterPolicy(channel.filter) }));
    }
    if (props.pagerDuty !== undefined) {
      const pagerDuty = this.createPagerDuty(props.pagerDuty, props.logEncryptionKey);
      this.pagerDutyQueue = pagerDuty.queue;
      this.pagerDutyDeadLetterQueue = pagerDuty.deadLetterQueue;
      this.pagerDutyFunction = pagerDuty.fn;
    }
  }

  /** Lets `grantee` publish to the alert topic (and the Chatbot topic); the topics deny every other publisher. */
  grantPublish(grantee: iam.IGrantable): void {
    const arn = publisherArn(grantee);
    if (arn !== null && arn !== undefined) this.publisherArns.push(arn);
    this.topic.grantPublish(grantee);
    this.chatbotTopic?.grantPublish(grantee);
  }

  private createKey(): Key {
    const key = new Key(this, 'Key', {
      description: 'Burnwatch: encrypts the alert topics and the PagerDuty queues',
      enableKeyRotation: true,
    });
    // Services publish to an encrypted topic with the key itself: CloudWatch alarms (and SNS on their behalf)
    // need it in the key policy, limited to this account.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSnsAndCloudWatchForThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return key;
  }

  private createTopic(id: string, displayName: string): Topic {
    const topic = new Topic(this, id, { displayName, masterKey: this.encryptionKey, enforceSSL: true });
    // Resolved at synth, so publishers granted after construction are included.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPublishExceptPublishers',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          // With only service publishers there is no ARN to except: the key disappears and every other caller is denied.
          ArnNotEquals: Lazy.any({
            produce: () => (this.publisherArns.length > 0 ? { 'aws:PrincipalArn': [...this.publisherArns] } : undefined),
          }),
          // AWS services (e.g. CloudWatch alarms granted by grantPublish) are allowed by the Allow statements.
          Bool: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    return topic;
  }

  private createSlackChannel(slack: SlackChannelProps, topic: Topic): SlackChannelConfiguration {
    return new SlackChannelConfiguration(this, 'Slack', {
      slackChannelConfigurationName: slack.configurationName ?? Names.uniqueResourceName(this, { maxLength: 120, separator: '-' }),
      slackWorkspaceId: slack.workspaceId,
      slackChannelId: slack.channelId,
      notificationTopics: [topic],
      // Whatever a channel member's role allows, commands from Slack can only read CloudWatch.
      guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess')],
      loggingLevel: LoggingLevel.ERROR,
    });
  }

  private createPagerDuty(
    pagerDuty: PagerDutyChannelProps,
    logEncryptionKey: IKey | undefined,
  ): { queue: Queue; deadLetterQueue: Queue; fn: NodejsFunction } {
    const key = this.encryptionKey;
    const deadLetterQueue = new Queue(this, 'PagerDutyDeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const queue = new Queue(this, 'PagerDutyQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      visibilityTimeout: PAGERDUTY_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: PAGERDUTY_MAX_RECEIVE_COUNT },
    });
    // Raw delivery off: the subscriber reads the SNS envelope and takes the JSON document from its Message.
    this.topic.addSubscription(
      new SqsSubscription(queue, {
        rawMessageDelivery: false,
        filterPolicy: filterPolicy(pagerDuty.filter ?? DEFAULT_PAGERDUTY_FILTER),
      }),
    );
    const fn = createBurnwatchFunction(this, 'PagerDutyFunction', {
      entry: PAGERDUTY_SUBSCRIBER_ENTRY,
      description: 'Burnwatch: sends alerts to PagerDuty (Events API v2)',
      serviceName: 'burnwatch-pagerduty',
      timeout: PAGERDUTY_FUNCTION_TIMEOUT,
      memorySize: 256,
      logEncryptionKey,
      environment: {
        // The ARN only: the routing key itself is read from Secrets Manager at run time.
        [PAGERDUTY_ENVIRONMENT.secretArn]: pagerDuty.routingKeySecret.secretArn,
        ...(pagerDuty.eventsUrl !== undefined ? { [PAGERDUTY_ENVIRONMENT.eventsUrl]: pagerDuty.eventsUrl } : {}),
      },
    });
    fn.addEventSource(new SqsEventSource(queue, { batchSize: PAGERDUTY_BATCH_SIZE, reportBatchItemFailures: true }));
    pagerDuty.routingKeySecret.grantRead(fn);
    return { queue, deadLetterQueue, fn };
  }
}
