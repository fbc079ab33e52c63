import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { PagerDutyRejectedError } from '../../lambda/adapters/pagerduty-client';
import type { PagerDutyDeliveryResult } from '../../lambda/adapters/pagerduty-client';
import { createLogger } from '../../lambda/adapters/powertools-log';
import type { AlertDocument, AlertEvent } from '../../lambda/domain/alert-message';
import { renderAlert } from '../../lambda/domain/alert-message';
import type { AlertEventType } from '../../lambda/domain/model';
import {
  MalformedAlertMessageError,
  createPagerDutySubscriber,
  handler,
  parseAlertRecord,
} from '../../lambda/handlers/pagerduty-subscriber';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:burnwatch-alerts';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:burnwatch/pagerduty-AbCdEf';
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const OPENED_AT = Date.UTC(2024, 4, 1, 12, 0);

function alertDocument(incidentId: string, type: AlertEventType = 'opened', minutesAfterOpen = 2): AlertDocument {
  const event: AlertEvent = {
    schemaVersion: 1,
    type,
    incident: {
      id: incidentId,
      slo: 'api-availability',
      severity: 'page',
      status: type === 'resolved' ? 'resolved' : 'open',
      openedAt: OPENED_AT,
      resolvedAt: type === 'resolved' ? OPENED_AT + minutesAfterOpen * 60_000 : null,
      tenants: [],
      executionArn: null,
      suspectedCause: null,
      failureMode: null,
      forensicUri: null,
      timeline: [],
      version: 1,
    },
    slo: { name: 'api-availability', objectivePercent: 99.9 },
    tenants: [{ tenant: 'acme-corp', level: 'page', burnRates: { '1h': 15.2 }, budgetRemaining: 0.71, timeToExhaustionMinutes: null, recoveredAt: null, budgetLost: null }],
    at: OPENED_AT + minutesAfterOpen * 60_000,
  };
  return renderAlert(event).json;
}

/** The SNS envelope SQS receives with raw message delivery off. */
function snsEnvelope(message: string): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: 'b1f6a2d0-0000-4000-8000-000000000001',
    TopicArn: TOPIC_ARN,
    Subject: '[PAGE] api-availability',
    Message: message,
    Timestamp: '2024-05-01T12:02:00.000Z',
    SignatureVersion: '1',
    MessageAttributes: { severity: { Type: 'String', Value: 'page' } },
  });
}

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1714564920000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1714564920001',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:burnwatch-pagerduty',
    awsRegion: 'eu-west-1',
  };
}

function alertRecord(messageId: string, doc: AlertDocument): SQSRecord {
  return sqsRecord(messageId, snsEnvelope(JSON.stringify(doc)));
}

/** Stands in for the PagerDuty client: rejects the incidents it is told to, records what it was asked to deliver. */
function fakeClient(rejectIncidents: readonly string[] = []): {
  client: { deliver(doc: AlertDocument): Promise<PagerDutyDeliveryResult> };
  delivered: AlertDocument[];
} {
  const delivered: AlertDocument[] = [];
  return {
    delivered,
    client: {
      async deliver(doc) {
        if (rejectIncidents.includes(doc.incident.id)) throw new PagerDutyRejectedError(400, 'Event object is invalid', `burnwatch-${doc.incident.id}`);
        delivered.push(doc);
        return { status: 'sent', action: doc.type === 'resolved' ? 'resolve' : 'trigger', dedupKey: `burnwatch-${doc.incident.id}`, attempts: 1 };
      },
    },
  };
}

const { logger } = createLogger('burnwatch-pagerduty-test');

describe('parseAlertRecord', () => {
  it('takes the alert document out of the SNS envelope', () => {
    // Prepare
    const doc = alertDocument('inc-1');
    // Act
    const parsed = parseAlertRecord(alertRecord('m-1', doc));
    // Assess
    expect(parsed.document).toEqual(doc);
    expect(parsed.envelope.TopicArn).toBe(TOPIC_ARN);
  });

  it.each<[string, string, RegExp]>([
    ['a body that is not JSON', 'not json', /SQS message m-1: body is not JSON; expected an SNS notification envelope/],
    ['a raw (unwrapped) alert document', JSON.stringify(alertDocument('inc-1')), /envelope Type must be "Notification"; got undefined/],
    ['a Message that is not JSON', snsEnvelope('[PAGE] hello'), /envelope Message is not JSON/],
    ['a document of another schema version', snsEnvelope(JSON.stringify({ ...alertDocument('inc-1'), schemaVersion: 2 })), /schemaVersion must be 1; got 2/],
    ['a document without an incident id', snsEnvelope(JSON.stringify({ ...alertDocument('inc-1'), incident: {} })), /incident\.id must be a non-empty string/],
  ])('rejects %s with a MalformedAlertMessageError saying what is wrong', (_name, body, expected) => {
    // Act
    const act = (): unknown => parseAlertRecord(sqsRecord('m-1', body));
    // Assess
    expect(act).toThrow(MalformedAlertMessageError);
    expect(act).toThrow(expected);
  });
});

describe('createPagerDutySubscriber', () => {
  it('reports the failed and the malformed record, and only those, for SQS to retry', async () => {
    // Prepare
    const { client, delivered } = fakeClient(['inc-rejected']);
    const subscriber = createPagerDutySubscriber({ client, logger });
    const event: SQSEvent = {
      Records: [
        alertRecord('m-ok', alertDocument('inc-ok')),
        alertRecord('m-rejected', alertDocument('inc-rejected')),
        sqsRecord('m-malformed', snsEnvelope('{"schemaVersion":1}')),
      ],
    };
    // Act
    const response = await subscriber(event);
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-malformed', 'm-rejected']);
    expect(delivered.map((doc) => doc.incident.id)).toEqual(['inc-ok']);
  });

  it('returns no failures when every record is delivered', async () => {
    // Prepare
    const { client } = fakeClient();
    const subscriber = createPagerDutySubscriber({ client, logger });
    // Act
    const response = await subscriber({ Records: [alertRecord('m-1', alertDocument('inc-1')), alertRecord('m-2', alertDocument('inc-2'))] });
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('delivers one incident in alert-time order and drops a trigger older than a resolve in the same batch', async () => {
    // Prepare: SQS hands over the resolve (minute 40) before the escalation (minute 10) and a late trigger (minute 45)
    const { client, delivered } = fakeClient();
    const subscriber = createPagerDutySubscriber({ client, logger });
    const event: SQSEvent = {
      Records: [
        alertRecord('m-resolve', alertDocument('inc-1', 'resolved', 40)),
        alertRecord('m-escalate', alertDocument('inc-1', 'escalated', 10)),
        alertRecord('m-reopen', alertDocument('inc-1', 'escalated', 45)),
      ],
    };
    // Act
    const response = await subscriber(event);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(delivered.map((doc) => `${doc.type}@${doc.at}`)).toEqual(['resolved@2024-05-01T12:40:00.000Z', 'escalated@2024-05-01T12:45:00.000Z']);
  });
});

describe('handler (wired from the environment)', () => {
  const secrets = mockClient(SecretsManagerClient);
  const received: unknown[] = [];
  let server: Server;

  beforeAll(async () => {
    // A local PagerDuty: 400 for incidents named "inc-bad", 202 otherwise.
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { dedup_key: string };
        received.push(body);
        response.writeHead(body.dedup_key === 'burnwatch-inc-bad' ? 400 : 202, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.PAGERDUTY_SECRET_ARN = SECRET_ARN;
    process.env.PAGERDUTY_EVENTS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/enqueue`;
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ routingKey: ROUTING_KEY }) });
  });

  afterAll(async () => {
    delete process.env.PAGERDUTY_SECRET_ARN;
    delete process.env.PAGERDUTY_EVENTS_URL;
    secrets.restore();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads the routing key from Secrets Manager, posts to PagerDuty and reports the records that failed', async () => {
    // Prepare
    const event: SQSEvent = {
      Records: [
        alertRecord('m-ok', alertDocument('inc-ok')),
        alertRecord('m-bad', alertDocument('inc-bad')),
        sqsRecord('m-garbage', 'garbage'),
      ],
    };
    // Act
    const response = await handler(event);
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-bad', 'm-garbage']);
    expect(received).toEqual(
      expect.arrayContaining([expect.objectContaining({ routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: 'burnwatch-inc-ok' })]),
    );
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });
});
