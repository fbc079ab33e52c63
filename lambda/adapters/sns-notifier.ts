/**
 * Publishes rendered alerts to SNS: the main alert topic (one body per protocol, attributes for filter policies)
 * and, when configured, a separate AWS Chatbot topic that takes the custom-notification document as its body.
 * Throttling and server errors are retried a bounded number of times; then the failure is raised, never swallowed.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import type { AlertEvent, AlertFilter, RenderedAlert } from '../domain/alert-message';
import { ALERT_ENVIRONMENT, matchesFilter, renderAlert, snsMessageBody, validateAlertFilter } from '../domain/alert-message';

export type Sleep = (ms: number) => Promise<void>;

export interface SnsNotifierOptions {
  readonly topicArn: string;
  /** Topic of the AWS Chatbot (Slack) channel; `publishChatbot` does nothing without it. */
  readonly chatbotTopicArn?: string;
  /** Only alerts passing this filter go to the Chatbot topic (Chatbot subscriptions take no filter policy). */
  readonly chatbotFilter?: AlertFilter;
  /** Attempts per publish, the first included; on top of the SDK client's own retry strategy. @default 4 */
  readonly maxAttempts?: number;
  /** First backoff; doubled per retry. @default 200 */
  readonly baseDelayMs?: number;
  readonly sleep?: Sleep;
}

export type ChatbotPublishResult =
  | { readonly published: true; readonly messageId: string }
  | { readonly published: false; readonly reason: 'not-configured' | 'filtered' };

/** An alert could not be delivered to SNS: names the topic and the incident so the caller can act on it. */
export class AlertDeliveryError extends Error {
  constructor(
    readonly topicArn: string,
    readonly incidentId: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`alert for incident ${incidentId} not delivered to ${topicArn} after ${attempts} attempt(s): ${reason}`, { cause });
    this.name = 'AlertDeliveryError';
  }
}

export class InvalidNotifierOptionError extends Error {
  constructor(field: string, allowed: string, value: unknown) {
    super(`${field} must be ${allowed}; got ${JSON.stringify(value)}`);
    this.name = 'InvalidNotifierOptionError';
  }
}

/**
 * Reads the variables the alert-channels construct sets on publishers. The environment is passed in (handlers own
 * `process.env`), and a missing topic or a bad filter fails here, at cold start, not at the first incident.
 */
export function snsNotifierOptionsFromEnvironment(env: Readonly<Record<string, string | undefined>>): SnsNotifierOptions {
  const topicArn = env[ALERT_ENVIRONMENT.topicArn];
  if (topicArn === undefined || topicArn === '') {
    throw new InvalidNotifierOptionError(ALERT_ENVIRONMENT.topicArn, 'the ARN of the alert topic', topicArn ?? null);
  }
  const chatbotTopicArn = env[ALERT_ENVIRONMENT.chatbotTopicArn];
  const filterJson = env[ALERT_ENVIRONMENT.chatbotFilter];
  let chatbotFilter: AlertFilter | undefined;
  if (filterJson !== undefined && filterJson !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(filterJson);
    } catch {
      throw new InvalidNotifierOptionError(ALERT_ENVIRONMENT.chatbotFilter, 'JSON of an alert filter', filterJson);
    }
    const problems = validateAlertFilter(parsed, []).map((p) => `${p.path.join('.') || '(filter)'} ${p.allowed}`);
    if (problems.length > 0) {
      throw new InvalidNotifierOptionError(ALERT_ENVIRONMENT.chatbotFilter, `a valid alert filter (${problems.join('; ')})`, filterJson);
    }
    chatbotFilter = parsed as AlertFilter;
  }
  return {
    topicArn,
    ...(chatbotTopicArn !== undefined && chatbotTopicArn !== '' ? { chatbotTopicArn } : {}),
    ...(chatbotFilter !== undefined ? { chatbotFilter } : {}),
  };
}

const THROTTLING_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'KMSThrottlingException',
  'RequestLimitExceeded',
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** Throttling and 5xx are worth another try; a 4xx (bad parameter, no permission) will not get better. */
export function isRetryableSnsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as SdkErrorShape;
  if (typeof shape.name === 'string' && THROTTLING_ERRORS.has(shape.name)) return true;
  if (shape.$fault === 'server') return true;
  const status = shape.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function toSnsAttributes(rendered: RenderedAlert): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(rendered.attributes).map(([name, value]) => [name, { DataType: value.DataType, StringValue: value.StringValue }]),
  );
}

export class SnsNotifier {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: Sleep;

  constructor(
    private readonly client: SNSClient,
    private readonly options: SnsNotifierOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.sleep = options.sleep ?? defaultSleep;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new InvalidNotifierOptionError('maxAttempts', 'an integer >= 1', options.maxAttempts);
    }
    if (!(this.baseDelayMs >= 0)) throw new InvalidNotifierOptionError('baseDelayMs', 'a number >= 0', options.baseDelayMs);
    if (options.topicArn === '') throw new InvalidNotifierOptionError('topicArn', 'an SNS topic ARN', options.topicArn);
  }

  /** Publishes to the alert topic: `MessageStructure: 'json'` with text and JSON bodies, Subject and attributes. */
  async publish(event: AlertEvent): Promise<{ messageId: string }> {
    const rendered = renderAlert(event);
    const command = new PublishCommand({
      TopicArn: this.options.topicArn,
      MessageStructure: 'json',
      Message: snsMessageBody(rendered),
      Subject: rendered.subject,
      MessageAttributes: toSnsAttributes(rendered),
    });
    return this.send(command, this.options.topicArn, event.incident.id);
  }

  /** Publishes the Chatbot custom notification (a plain JSON body) to the Chatbot topic, if configured and not filtered out. */
  async publishChatbot(event: AlertEvent): Promise<ChatbotPublishResult> {
    const topicArn = this.options.chatbotTopicArn;
    if (topicArn === undefined || topicArn === '') return { published: false, reason: 'not-configured' };
    const rendered = renderAlert(event);
    if (!matchesFilter(rendered.attributes, this.options.chatbotFilter)) return { published: false, reason: 'filtered' };
    const command = new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify(rendered.slack),
      MessageAttributes: toSnsAttributes(rendered),
    });
    const { messageId } = await this.send(command, topicArn, event.incident.id);
    return { published: true, messageId };
  }

  private async send(command: PublishCommand, topicArn: string, incidentId: string): Promise<{ messageId: string }> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const out = await this.client.send(command);
        return { messageId: out.MessageId ?? '' };
      } catch (error) {
        if (!isRetryableSnsError(error) || attempt >= this.maxAttempts) {
          throw new AlertDeliveryError(topicArn, incidentId, attempt, error);
        }
        await this.sleep(this.baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }
}
