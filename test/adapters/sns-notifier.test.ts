import { InternalErrorException, InvalidParameterException, PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { AlertDeliveryError, InvalidNotifierOptionError, SnsNotifier, snsNotifierOptionsFromEnvironment } from '../../lambda/adapters/sns-notifier';
import type { AlertEvent } from '../../lambda/domain/alert-message';
import { renderAlert, snsMessageBody } from '../../lambda/domain/alert-message';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:burnwatch-alerts';
const CHATBOT_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:burnwatch-chatbot';
const OPENED_AT = Date.UTC(2024, 4, 1, 12, 0);

const snsMock = mockClient(SNSClient);

function pageFor(tenant: string, severity: 'page' | 'ticket' = 'page'): AlertEvent {
  return {
    schemaVersion: 1,
    type: 'opened',
    incident: {
      id: 'inc-42',
      slo: 'api-availability',
      severity,
      status: 'open',
      openedAt: OPENED_AT,
      resolvedAt: null,
      tenants: [],
      executionArn: null,
      suspectedCause: null,
      failureMode: null,
      forensicUri: null,
      timeline: [],
      version: 1,
    },
    slo: { name: 'api-availability', objectivePercent: 99.9 },
    tenants: [{ tenant, level: severity, burnRates: { '1h': 15.2 }, budgetRemaining: 0.71, timeToExhaustionMinutes: null, recoveredAt: null, budgetLost: null }],
    at: OPENED_AT + 2 * 60_000,
  };
}

function throttled(): ThrottledException {
  return new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
}

/** Records the waits instead of sleeping, so retries are fast and their backoff can be checked. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

beforeEach(() => snsMock.reset());

describe('SnsNotifier.publish', () => {
  it('publishes one body per protocol with the subject and the filter attributes', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const event = pageFor('acme-corp');
    const notifier = new SnsNotifier(new SNSClient({}), { topicArn: TOPIC_ARN });
    // Act
    const result = await notifier.publish(event);
    // Assess
    const rendered = renderAlert(event);
    expect(result).toEqual({ messageId: 'm-1' });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC_ARN,
      MessageStructure: 'json',
      Message: snsMessageBody(rendered),
      Subject: rendered.subject,
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'page' },
        tenant: { DataType: 'String', StringValue: 'acme-corp' },
        tenants_count: { DataType: 'String', StringValue: '1' },
        slo: { DataType: 'String', StringValue: 'api-availability' },
        event_type: { DataType: 'String', StringValue: 'opened' },
        incident_id: { DataType: 'String', StringValue: 'inc-42' },
      },
    });
    const bodies = JSON.parse(input?.Message ?? '{}') as Record<string, string>;
    expect(Object.keys(bodies).sort()).toEqual(['default', 'email', 'https', 'lambda', 'sqs']);
    expect(JSON.parse(bodies.sqs ?? '{}')).toMatchObject({ schemaVersion: 1, incident: { id: 'inc-42' } });
  });

  it('retries throttling with growing backoff and then succeeds', async () => {
    // Prepare
    snsMock.on(PublishCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({ MessageId: 'm-2' });
    const { sleep, waits } = recordingSleep();
    const notifier = new SnsNotifier(new SNSClient({}), { topicArn: TOPIC_ARN, sleep, baseDelayMs: 100 });
    // Act
    const result = await notifier.publish(pageFor('acme-corp'));
    // Assess
    expect(result).toEqual({ messageId: 'm-2' });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
  });

  it.each([
    ['throttling', throttled],
    ['a server error', () => new InternalErrorException({ message: 'boom', $metadata: { httpStatusCode: 500 } })],
  ])('gives up on %s after the bound with an AlertDeliveryError naming topic and incident', async (_name, error) => {
    // Prepare
    snsMock.on(PublishCommand).rejects(error());
    const { sleep } = recordingSleep();
    const notifier = new SnsNotifier(new SNSClient({}), { topicArn: TOPIC_ARN, sleep, maxAttempts: 3 });
    // Act
    const outcome = notifier.publish(pageFor('acme-corp'));
    // Assess
    await expect(outcome).rejects.toThrow(AlertDeliveryError);
    await expect(outcome).rejects.toThrow(/alert for incident inc-42 not delivered to arn:aws:sns:eu-west-1:123456789012:burnwatch-alerts after 3 attempt/);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(3);
  });

  it('does not retry a request SNS will never accept', async () => {
    // Prepare
    snsMock.on(PublishCommand).rejects(new InvalidParameterException({ message: 'Invalid parameter: Subject', $metadata: { httpStatusCode: 400 } }));
    const notifier = new SnsNotifier(new SNSClient({}), { topicArn: TOPIC_ARN, sleep: recordingSleep().sleep });
    // Act
    const outcome = notifier.publish(pageFor('acme-corp'));
    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'AlertDeliveryError', attempts: 1, incidentId: 'inc-42', topicArn: TOPIC_ARN });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });
});

describe('SnsNotifier.publishChatbot', () => {
  it('publishes the custom notification as a plain JSON body to the Chatbot topic', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'c-1' });
    const event = pageFor('acme-corp');
    const notifier = new SnsNotifier(new SNSClient({}), { topicArn: TOPIC_ARN, chatbotTopicArn: CHATBOT_TOPIC_ARN });
    // Act
    const result = await notifier.publishChatbot(event);
    // Assess
    expect(result).toEqual({ published: true, messageId: 'c-1' });
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(CHATBOT_TOPIC_ARN);
    expect(input?.MessageStructure).toBeUndefined();
    expect(JSON.parse(input?.Message ?? '{}')).toEqual(renderAlert(event).slack);
  });

  it.each([
    ['no Chatbot topic is configured', {}, pageFor('acme-corp'), 'not-configured'],
    ['the alert does not pass the Slack filter', { chatbotTopicArn: CHATBOT_TOPIC_ARN, chatbotFilter: { severity: ['page'] } }, pageFor('acme-corp', 'ticket'), 'filtered'],
  ])('publishes nothing when %s', async (_name, options, event, reason) => {
    // Prepare
    const notifier = new SnsNotifier(new SNSClient({}), { topicArn: TOPIC_ARN, ...options });
    // Act
    const result = await notifier.publishChatbot(event);
    // Assess
    expect(result).toEqual({ published: false, reason });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe('snsNotifierOptionsFromEnvironment', () => {
  it('reads the topics and the Slack filter the construct sets', () => {
    // Prepare
    const env = { ALERT_TOPIC_ARN: TOPIC_ARN, ALERT_CHATBOT_TOPIC_ARN: CHATBOT_TOPIC_ARN, ALERT_CHATBOT_FILTER: '{"severity":["page"]}' };
    // Act
    const options = snsNotifierOptionsFromEnvironment(env);
    // Assess
    expect(options).toEqual({ topicArn: TOPIC_ARN, chatbotTopicArn: CHATBOT_TOPIC_ARN, chatbotFilter: { severity: ['page'] } });
  });

  it.each([
    ['no alert topic', {}, /ALERT_TOPIC_ARN must be the ARN of the alert topic; got null/],
    ['a filter that is not JSON', { ALERT_TOPIC_ARN: TOPIC_ARN, ALERT_CHATBOT_FILTER: '{severity' }, /ALERT_CHATBOT_FILTER must be JSON of an alert filter/],
    ['a filter with an unknown severity', { ALERT_TOPIC_ARN: TOPIC_ARN, ALERT_CHATBOT_FILTER: '{"severity":["sev1"]}' }, /severity\.0 must be one of page \| ticket/],
  ])('fails at cold start with %s', (_name, env, expected) => {
    // Act
    const act = (): unknown => snsNotifierOptionsFromEnvironment(env);
    // Assess
    expect(act).toThrow(InvalidNotifierOptionError);
    expect(act).toThrow(expected);
  });
});
