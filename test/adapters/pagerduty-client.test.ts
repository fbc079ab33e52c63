import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  PagerDutyClient,
  PagerDutyDeliveryError,
  PagerDutyRejectedError,
  RoutingKeyUnavailableError,
  SecretsManagerRoutingKey,
  buildPagerDutyEvent,
  routingKeyFromSecretString,
} from '../../lambda/adapters/pagerduty-client';
import type { PagerDutyTriggerEvent, RoutingKeySource } from '../../lambda/adapters/pagerduty-client';
import type { AlertDocument, AlertEvent } from '../../lambda/domain/alert-message';
import { renderAlert } from '../../lambda/domain/alert-message';
import type { AlertEventType, Severity } from '../../lambda/domain/model';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:burnwatch/pagerduty-AbCdEf';
const OPENED_AT = Date.UTC(2024, 4, 1, 12, 0);
const FORENSIC_CONSOLE = 'https://console.aws.amazon.com/s3/object/burnwatch-forensics?prefix=inc-42';

function alertDocument(type: AlertEventType, severity: Severity = 'page', tenants = ['acme-corp']): AlertDocument {
  const event: AlertEvent = {
    schemaVersion: 1,
    type,
    incident: {
      id: 'inc-42',
      slo: 'api-availability',
      severity,
      status: type === 'resolved' ? 'resolved' : 'open',
      openedAt: OPENED_AT,
      resolvedAt: type === 'resolved' ? OPENED_AT + 42 * 60_000 : null,
      tenants: [],
      executionArn: null,
      suspectedCause: null,
      failureMode: null,
      forensicUri: null,
      timeline: [],
      version: 1,
    },
    slo: { name: 'api-availability', objectivePercent: 99.9 },
    tenants: tenants.map((tenant) => ({
      tenant,
      level: severity,
      burnRates: { '5m': 16.1, '1h': 15.2 },
      budgetRemaining: 0.71,
      timeToExhaustionMinutes: 2_018,
      recoveredAt: null,
      budgetLost: null,
    })),
    correlation: { suspectedCause: 'deployment d-4F2 to api-prod', failureMode: 'deployment', confidence: 0.8 },
    forensic: { s3Uri: 's3://burnwatch-forensics/inc-42/bundle.json', consoleUrl: FORENSIC_CONSOLE },
    at: OPENED_AT + 2 * 60_000,
  };
  return renderAlert(event).json;
}

interface Received {
  readonly method: string;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/** A local PagerDuty stand-in: answers with the scripted statuses in order (the last one repeats) and records requests. */
class FakeEventsApi {
  readonly received: Received[] = [];
  private statuses: number[] = [202];
  private server: Server | null = null;
  url = '';

  answerWith(...statuses: number[]): void {
    this.statuses = statuses;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({
          method: request.method ?? '',
          contentType: request.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        });
        const status = this.statuses.length > 1 ? (this.statuses.shift() ?? 202) : (this.statuses[0] ?? 202);
        // Error answers quote the request, the worst case for leaking the routing key.
        const body =
          status === 202
            ? { status: 'success', message: 'Event processed' }
            : { status: 'invalid event', message: `status ${status}`, request: Buffer.concat(chunks).toString('utf8') };
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/v2/enqueue`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((error) => (error ? reject(error) : resolve())));
  }
}

const fixedKey: RoutingKeySource = { getRoutingKey: async () => ROUTING_KEY };

function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('buildPagerDutyEvent', () => {
  it.each<[string, string, Severity]>([
    ['a page', 'critical', 'page'],
    ['a ticket', 'warning', 'ticket'],
  ])('triggers %s as a %s alert with a stable dedup key and the forensic link', (_name, expected, severity) => {
    // Prepare
    const doc = alertDocument('opened', severity);
    // Act
    const event = buildPagerDutyEvent(doc, ROUTING_KEY) as PagerDutyTriggerEvent;
    // Assess
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'burnwatch-inc-42',
      payload: {
        summary: doc.headline,
        severity: expected,
        timestamp: '2024-05-01T12:02:00.000Z',
        source: 'burnwatch/api-availability',
        component: 'acme-corp',
        group: 'api-availability',
        class: 'deployment',
      },
      links: [{ href: FORENSIC_CONSOLE, text: 'Forensic bundle' }],
    });
    expect(event.payload.custom_details).toMatchObject({ incident_id: 'inc-42', tenants_count: 1, forensic_bundle: 's3://burnwatch-forensics/inc-42/bundle.json' });
  });

  it('keeps the dedup key of an incident across opened, escalated and resolved', () => {
    // Act
    const keys = (['opened', 'escalated', 'resolved'] as const).map((type) => buildPagerDutyEvent(alertDocument(type), ROUTING_KEY)?.dedup_key);
    // Assess
    expect(keys).toEqual(['burnwatch-inc-42', 'burnwatch-inc-42', 'burnwatch-inc-42']);
  });

  it('resolves with only the routing key, action and dedup key', () => {
    // Act
    const event = buildPagerDutyEvent(alertDocument('resolved'), ROUTING_KEY);
    // Assess
    expect(event).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'burnwatch-inc-42' });
  });

  it('sends nothing for a mitigated incident', () => {
    expect(buildPagerDutyEvent(alertDocument('mitigated'), ROUTING_KEY)).toBeNull();
  });

  it('keeps the summary within 1,024 characters for a long headline', () => {
    // Prepare
    const doc = { ...alertDocument('opened'), headline: 'x'.repeat(5_000) };
    // Act
    const event = buildPagerDutyEvent(doc, ROUTING_KEY) as PagerDutyTriggerEvent;
    // Assess
    expect(event.payload.summary).toHaveLength(1_024);
  });
});

describe('PagerDutyClient against a local Events API', () => {
  const api = new FakeEventsApi();
  beforeAll(() => api.start());
  afterAll(() => api.stop());
  beforeEach(() => {
    api.received.length = 0;
    api.answerWith(202);
  });

  it('posts the trigger as JSON with the routing key from the key source', async () => {
    // Prepare
    const client = new PagerDutyClient({ routingKey: fixedKey, url: api.url, sleep: recordingSleep().sleep });
    // Act
    const result = await client.deliver(alertDocument('opened', 'page', ['acme-corp', 'globex']));
    // Assess
    expect(result).toEqual({ status: 'sent', action: 'trigger', dedupKey: 'burnwatch-inc-42', attempts: 1 });
    expect(api.received).toHaveLength(1);
    expect(api.received[0]).toMatchObject({
      method: 'POST',
      contentType: 'application/json',
      body: { routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: 'burnwatch-inc-42', payload: { severity: 'critical', component: '2 tenants' } },
    });
  });

  it('posts the resolve for a resolved incident', async () => {
    // Prepare
    const client = new PagerDutyClient({ routingKey: fixedKey, url: api.url, sleep: recordingSleep().sleep });
    // Act
    await client.deliver(alertDocument('resolved'));
    // Assess
    expect(api.received.map((r) => r.body)).toEqual([{ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'burnwatch-inc-42' }]);
  });

  it('posts nothing for a mitigated incident', async () => {
    // Prepare
    const client = new PagerDutyClient({ routingKey: fixedKey, url: api.url });
    // Act
    const result = await client.deliver(alertDocument('mitigated'));
    // Assess
    expect(result).toMatchObject({ status: 'skipped', dedupKey: 'burnwatch-inc-42' });
    expect(api.received).toHaveLength(0);
  });

  it('retries a 429 with backoff and succeeds', async () => {
    // Prepare
    api.answerWith(429, 429, 202);
    const { sleep, waits } = recordingSleep();
    const client = new PagerDutyClient({ routingKey: fixedKey, url: api.url, sleep, baseDelayMs: 100 });
    // Act
    const result = await client.deliver(alertDocument('opened'));
    // Assess
    expect(result).toMatchObject({ status: 'sent', attempts: 3 });
    expect(api.received).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
  });

  it('gives up on a 500 that does not go away after the bounded attempts', async () => {
    // Prepare
    api.answerWith(500);
    const client = new PagerDutyClient({ routingKey: fixedKey, url: api.url, sleep: recordingSleep().sleep, maxAttempts: 3 });
    // Act
    const outcome = client.deliver(alertDocument('opened'));
    // Assess
    await expect(outcome).rejects.toThrow(PagerDutyDeliveryError);
    await expect(outcome).rejects.toThrow(/burnwatch-inc-42 not delivered after 3 attempt\(s\); last failure: HTTP 500/);
    expect(api.received).toHaveLength(3);
  });

  it.each([400, 403, 404])('does not retry a %d: PagerDuty will never accept that request', async (status) => {
    // Prepare
    api.answerWith(status);
    const client = new PagerDutyClient({ routingKey: fixedKey, url: api.url, sleep: recordingSleep().sleep });
    // Act
    const outcome = client.deliver(alertDocument('opened'));
    // Assess
    await expect(outcome).rejects.toBeInstanceOf(PagerDutyRejectedError);
    await expect(outcome).rejects.toMatchObject({ status, dedupKey: 'burnwatch-inc-42' });
    expect(api.received).toHaveLength(1);
  });

  it('retries when nothing listens at the URL and reports the network failure', async () => {
    // Prepare: a port that was just free, so the connection is refused
    const closed = new FakeEventsApi();
    await closed.start();
    await closed.stop();
    const client = new PagerDutyClient({ routingKey: fixedKey, url: closed.url, sleep: recordingSleep().sleep, maxAttempts: 2 });
    // Act
    const outcome = client.deliver(alertDocument('opened'));
    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'PagerDutyDeliveryError', attempts: 2 });
  });

  it.each([400, 500])('never puts the routing key in the error of a %d, even when the answer quotes the request', async (status) => {
    // Prepare
    api.answerWith(status);
    const client = new PagerDutyClient({ routingKey: fixedKey, url: api.url, sleep: recordingSleep().sleep });
    // Act
    const error = await client.deliver(alertDocument('opened')).catch((caught: unknown) => caught);
    // Assess
    expect(String((error as Error).message)).not.toContain(ROUTING_KEY);
  });
});

describe('SecretsManagerRoutingKey', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());

  it.each([
    ['a bare key', ROUTING_KEY],
    ['a bare key with a trailing newline', `${ROUTING_KEY}\n`],
    ['JSON with routingKey', JSON.stringify({ routingKey: ROUTING_KEY })],
    ['JSON with routing_key', JSON.stringify({ routing_key: ROUTING_KEY })],
  ])('reads %s', async (_name, secretString) => {
    // Prepare
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: secretString });
    const source = new SecretsManagerRoutingKey(new SecretsManagerClient({}), SECRET_ARN);
    // Act
    const key = await source.getRoutingKey();
    // Assess
    expect(key).toBe(ROUTING_KEY);
  });

  it('reads the secret once per container', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: ROUTING_KEY });
    const source = new SecretsManagerRoutingKey(new SecretsManagerClient({}), SECRET_ARN);
    // Act
    await Promise.all([source.getRoutingKey(), source.getRoutingKey()]);
    await source.getRoutingKey();
    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does not cache a failed read, and names the secret but not its value', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'Secrets Manager cannot find the secret', $metadata: {} }))
      .resolves({ SecretString: ROUTING_KEY });
    const source = new SecretsManagerRoutingKey(new SecretsManagerClient({}), SECRET_ARN);
    // Act
    const first = await source.getRoutingKey().catch((caught: unknown) => caught);
    const second = await source.getRoutingKey();
    // Assess
    expect(first).toBeInstanceOf(RoutingKeyUnavailableError);
    expect((first as Error).message).toContain(SECRET_ARN);
    expect(second).toBe(ROUTING_KEY);
  });

  it.each([
    ['an empty string', ''],
    ['JSON without a key field', JSON.stringify({ token: 'x' })],
  ])('rejects a secret holding %s', (_name, secretString) => {
    expect(routingKeyFromSecretString(secretString)).toBeNull();
  });
});
