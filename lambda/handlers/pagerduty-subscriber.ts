/**
 * SNS -> SQS -> this Lambda -> PagerDuty. Each SQS record carries the SNS envelope (raw delivery is off) whose
 * `Message` is the alert JSON document. Records that fail (malformed, rejected, PagerDuty unreachable) are returned
 * in `batchItemFailures`, so SQS retries only those and moves them to the dead-letter queue after the last receive.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AlertDocument } from '../domain/alert-message';
import { parseAlertDocument } from '../domain/alert-message';
import type { PagerDutyDeliveryResult } from '../adapters/pagerduty-client';
import { PAGERDUTY_ENVIRONMENT, PagerDutyClient, SecretsManagerRoutingKey } from '../adapters/pagerduty-client';
import { createLogger } from '../adapters/powertools-log';

export const SERVICE_NAME = 'burnwatch-pagerduty';

/** A record whose body is not an SNS notification carrying a valid alert document. */
export class MalformedAlertMessageError extends Error {
  constructor(
    readonly messageId: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`SQS message ${messageId}: ${reason}`, options);
    this.name = 'MalformedAlertMessageError';
  }
}

export class MissingEnvironmentError extends Error {
  constructor(name: string, allowed: string) {
    super(`environment variable ${name} must be ${allowed}; it is not set`);
    this.name = 'MissingEnvironmentError';
  }
}

/** The fields of the SNS notification envelope this handler reads. */
export interface SnsEnvelope {
  readonly Type: 'Notification';
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Message: string;
}

export interface ParsedAlertRecord {
  readonly record: SQSRecord;
  readonly envelope: SnsEnvelope;
  readonly document: AlertDocument;
}

export function parseAlertRecord(record: SQSRecord): ParsedAlertRecord {
  const fail = (reason: string, cause?: unknown): never => {
    throw new MalformedAlertMessageError(record.messageId, reason, cause === undefined ? undefined : { cause });
  };
  let envelope: unknown;
  try {
    envelope = JSON.parse(record.body);
  } catch (error) {
    return fail('body is not JSON; expected an SNS notification envelope (raw message delivery must be off)', error);
  }
  if (typeof envelope !== 'object' || envelope === null) return fail('body must be a JSON object (SNS notification envelope)');
  const sns = envelope as Record<string, unknown>;
  if (sns.Type !== 'Notification') return fail(`envelope Type must be "Notification"; got ${JSON.stringify(sns.Type)}`);
  if (typeof sns.Message !== 'string') return fail(`envelope Message must be a string; got ${typeof sns.Message}`);
  let message: unknown;
  try {
    message = JSON.parse(sns.Message);
  } catch (error) {
    return fail('envelope Message is not JSON; expected the alert document (the "sqs" body of the alert)', error);
  }
  let document: AlertDocument;
  try {
    document = parseAlertDocument(message);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), error);
  }
  return {
    record,
    envelope: {
      Type: 'Notification',
      MessageId: typeof sns.MessageId === 'string' ? sns.MessageId : '',
      TopicArn: typeof sns.TopicArn === 'string' ? sns.TopicArn : '',
      Message: sns.Message,
    },
    document,
  };
}

export interface PagerDutySubscriberDeps {
  readonly client: { deliver(doc: AlertDocument): Promise<PagerDutyDeliveryResult> };
  readonly logger: Logger;
}

/**
 * Groups the batch by incident, each group in order of alert time, and drops a trigger when the group holds a later
 * `resolved`: sending it after the resolve would reopen a PagerDuty alert that is over.
 */
export function planDeliveries(parsed: readonly ParsedAlertRecord[]): { groups: ParsedAlertRecord[][]; superseded: ParsedAlertRecord[] } {
  const byIncident = new Map<string, ParsedAlertRecord[]>();
  for (const p of parsed) {
    const group = byIncident.get(p.document.incident.id) ?? [];
    group.push(p);
    byIncident.set(p.document.incident.id, group);
  }
  const groups: ParsedAlertRecord[][] = [];
  const superseded: ParsedAlertRecord[] = [];
  for (const group of byIncident.values()) {
    group.sort((a, b) => Date.parse(a.document.at) - Date.parse(b.document.at));
    const lastResolve = group.filter((p) => p.document.type === 'resolved').at(-1);
    const kept = group.filter((p) => {
      const isTrigger = p.document.type === 'opened' || p.document.type === 'escalated';
      const stale = isTrigger && lastResolve !== undefined && Date.parse(lastResolve.document.at) >= Date.parse(p.document.at);
      if (stale) superseded.push(p);
      return !stale;
    });
    groups.push(kept);
  }
  return { groups, superseded };
}

export function createPagerDutySubscriber(deps: PagerDutySubscriberDeps) {
  const { client, logger } = deps;

  /** Returns the message ids that failed. Within one incident, in order: a failure does not stop the later events. */
  async function deliverGroup(group: readonly ParsedAlertRecord[]): Promise<string[]> {
    const failed: string[] = [];
    // Groups run in parallel, so the incident key goes on a child logger rather than the shared one.
    const incidentLogger = logger.createChild();
    for (const p of group) {
      incidentLogger.appendKeys({ incidentId: p.document.incident.id, messageId: p.record.messageId });
      try {
        const result = await client.deliver(p.document);
        incidentLogger.info('Alert delivered to PagerDuty', { eventType: p.document.type, result });
      } catch (error) {
        incidentLogger.error('Alert not delivered to PagerDuty; SQS will retry it', { eventType: p.document.type, error });
        failed.push(p.record.messageId);
      } finally {
        incidentLogger.removeKeys(['incidentId', 'messageId']);
      }
    }
    return failed;
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    const parsed: ParsedAlertRecord[] = [];
    for (const record of event.Records) {
      try {
        parsed.push(parseAlertRecord(record));
      } catch (error) {
        logger.error('Malformed alert message; it goes to the dead-letter queue after the last retry', {
          messageId: record.messageId,
          error,
        });
        failures.push(record.messageId);
      }
    }
    const { groups, superseded } = planDeliveries(parsed);
    for (const p of superseded) {
      logger.info('Trigger skipped: a later resolve for the incident is in the same batch', {
        messageId: p.record.messageId,
        incidentId: p.document.incident.id,
      });
    }
    // Incidents are independent, so they go out in parallel; a slow PagerDuty answer for one does not delay the rest.
    const failedPerGroup = await Promise.all(groups.map(deliverGroup));
    failures.push(...failedPerGroup.flat());
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

const { logger } = createLogger(SERVICE_NAME);
let subscriber: ReturnType<typeof createPagerDutySubscriber> | undefined;

/** Built on the first invocation (not at import) so a missing variable fails the invocation with a clear error. */
function buildFromEnvironment(env: Readonly<Record<string, string | undefined>>): ReturnType<typeof createPagerDutySubscriber> {
  const secretArn = env[PAGERDUTY_ENVIRONMENT.secretArn];
  if (secretArn === undefined || secretArn === '') {
    throw new MissingEnvironmentError(PAGERDUTY_ENVIRONMENT.secretArn, 'the ARN of the secret holding the PagerDuty routing key');
  }
  const url = env[PAGERDUTY_ENVIRONMENT.eventsUrl];
  const client = new PagerDutyClient({
    routingKey: new SecretsManagerRoutingKey(new SecretsManagerClient({}), secretArn),
    ...(url !== undefined && url !== '' ? { url } : {}),
  });
  return createPagerDutySubscriber({ client, logger });
}

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  if (context !== undefined) logger.addContext(context);
  subscriber ??= buildFromEnvironment(process.env);
  return subscriber(event);
};
