/**
 * Alert delivery faults: the evaluator's SNS notifier when Publish fails, and the PagerDuty subscriber (SQS ->
 * Lambda -> PagerDuty Events API on 127.0.0.1) when PagerDuty is down, with SQS's redrive modelled around it.
 */
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { PAGERDUTY_MAX_RECEIVE_COUNT } from '../../lib/constructs/alert-channels';
import { PagerDutyClient } from '../../lambda/adapters/pagerduty-client';
import { createLogger } from '../../lambda/adapters/powertools-log';
import { EvaluatorTickError } from '../../lambda/handlers/evaluator';
import { SERVICE_NAME, createPagerDutySubscriber } from '../../lambda/handlers/pagerduty-subscriber';
import { MINUTE_MS } from '../../lambda/domain/model';
import {
  FakePagerDuty,
  HEALTHY_ERROR_RATE,
  T0,
  awsErrors,
  receiveWithRedrive,
  scheduledEvent,
  sqsRecordFromPublish,
  useFaultRig,
  type ErrorRate,
  type Rig,
} from '../support/faults';

const TENANTS = ['acme', 'globex', 'initech'];
const PUBLISH_ATTEMPTS = 4; // SnsNotifier's default
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';

/** acme fails from T0 - 2m (pages at T0); globex from T0 - 1m (pages at T0 + 1m and joins acme's incident). */
const SPREADING: ErrorRate = (tenant, at) =>
  (tenant === 'acme' && at >= T0 - 2 * MINUTE_MS) || (tenant === 'globex' && at >= T0 - MINUTE_MS) ? 1 : HEALTHY_ERROR_RATE;
/** acme fails during the single minute T0 - 2m: it pages at T0 and, with resolveAfterMinutes 10, resolves at T0 + 17m. */
const BLIP: ErrorRate = (tenant, at) => (tenant === 'acme' && at === T0 - 2 * MINUTE_MS ? 1 : HEALTHY_ERROR_RATE);

/** Opens acme's incident at T0, then runs the invocation that sends the alert under test. */
const ALERTS: Record<'escalated' | 'resolved', { errorRate: ErrorRate; send: (rig: Rig) => Promise<unknown> }> = {
  escalated: {
    errorRate: SPREADING,
    send: (rig) => rig.invoke(scheduledEvent(T0 + MINUTE_MS), T0 + MINUTE_MS),
  },
  resolved: {
    errorRate: BLIP,
    // At T0 + 6m no rule fires; the page holds until 10 minutes after its last firing, so T0 + 17m resolves it.
    send: async (rig) => {
      await rig.tick(T0 + 6 * MINUTE_MS);
      return rig.invoke(scheduledEvent(T0 + 17 * MINUTE_MS), T0 + 17 * MINUTE_MS);
    },
  },
};

function publishedTypes(published: readonly PublishCommandInput[]): string[] {
  return published.map((p) => p.MessageAttributes?.event_type?.StringValue ?? '?');
}

describe('SNS publish failures', () => {
  const faults = useFaultRig('faults-sns');

  it.each(['escalated', 'resolved'] as const)(
    'the %s alert failing on every attempt is retried, then the tick counts it in alertFailures and the invocation fails so it is alarmed',
    async (type) => {
      // Prepare
      const rig = await faults.rig({ tenants: TENANTS, errorRate: ALERTS[type].errorRate, alerts: true });
      await rig.tick(T0);
      rig.sns.failEveryPublish(awsErrors.snsServerError);
      // Act
      const invocation = ALERTS[type].send(rig);
      // Assess
      await expect(invocation).rejects.toThrow(EvaluatorTickError);
      await expect(invocation).rejects.toThrow('Evaluator could not deliver 1 alert(s) of checkout-availability');
      expect(rig.sns.attempts).toBe(PUBLISH_ATTEMPTS);
      expect(rig.log.entries).toContainEqual(
        expect.objectContaining({ level: 'error', message: 'Alert delivery failed', data: expect.objectContaining({ type, reason: expect.stringContaining('AlertDeliveryError') }) }),
      );
      // Nothing else is lost: the transition that raised the alert is stored.
      const [incident] = await rig.incidents();
      expect(incident?.tenants.map((t) => t.tenant)).toEqual(type === 'escalated' ? ['acme', 'globex'] : ['acme']);
      expect(incident?.status).toBe(type === 'escalated' ? 'open' : 'resolved');
    },
  );

  it('a throttled publish (twice) is retried and the escalated alert is delivered once; the invocation succeeds', async () => {
    // Prepare
    const rig = await faults.rig({ tenants: TENANTS, errorRate: SPREADING, alerts: true });
    await rig.tick(T0);
    rig.sns.failNextPublishes(awsErrors.snsThrottled, awsErrors.snsThrottled);
    // Act
    const report = await ALERTS.escalated.send(rig);
    // Assess
    expect(report).toMatchObject({ skipped: [], slos: [{ alertFailures: 0 }] });
    expect(rig.sns.attempts).toBe(3);
    expect(publishedTypes(rig.sns.published)).toEqual(['escalated']);
  });
});

describe('PagerDuty endpoint down', () => {
  const faults = useFaultRig('faults-pd');
  const pagerDuty = new FakePagerDuty();
  beforeAll(() => pagerDuty.start());
  afterAll(() => pagerDuty.stop());
  beforeEach(async () => {
    await pagerDuty.start().catch(() => undefined); // back up if a case stopped it
    pagerDuty.received.length = 0;
    pagerDuty.answerWith(202);
  });

  /** The escalated alert the evaluator published, as the subscriber's queue receives it. */
  async function escalatedAlertRecord(): Promise<ReturnType<typeof sqsRecordFromPublish>> {
    const rig = await faults.rig({ tenants: TENANTS, errorRate: SPREADING, alerts: true });
    await rig.tick(T0);
    await ALERTS.escalated.send(rig);
    const [published] = rig.sns.published;
    if (published === undefined) throw new Error('the evaluator published no escalated alert');
    return sqsRecordFromPublish(published, 'msg-escalated');
  }

  /** The subscriber with a real PagerDuty client; `waits` records its backoff between attempts instead of sleeping. */
  function subscriber(waits: number[] = []): ReturnType<typeof createPagerDutySubscriber> {
    const client = new PagerDutyClient({
      routingKey: { getRoutingKey: async () => ROUTING_KEY },
      url: pagerDuty.url,
      sleep: async (ms) => void waits.push(ms),
      timeoutMs: 2_000,
    });
    return createPagerDutySubscriber({ client, logger: createLogger(SERVICE_NAME).logger });
  }

  const down = {
    'answering 503': { fail: async () => pagerDuty.answerWith(503), recover: async () => pagerDuty.answerWith(202) },
    'refusing connections': { fail: () => pagerDuty.stop(), recover: () => pagerDuty.start() },
  };

  it.each(Object.keys(down) as (keyof typeof down)[])(
    '%s on every receive: each receive retries 4 times, returns the message in batchItemFailures, and SQS dead-letters it after the last receive',
    async (mode) => {
      // Prepare
      const record = await escalatedAlertRecord();
      await down[mode].fail();
      const waits: number[] = [];
      // Act
      const outcome = await receiveWithRedrive(subscriber(waits), [record], PAGERDUTY_MAX_RECEIVE_COUNT);
      // Assess: 4 attempts, so 3 backoffs, per receive
      expect(outcome).toEqual({ receives: PAGERDUTY_MAX_RECEIVE_COUNT, delivered: [], deadLettered: ['msg-escalated'] });
      expect(waits).toHaveLength(3 * PAGERDUTY_MAX_RECEIVE_COUNT);
      expect(pagerDuty.received).toHaveLength(mode === 'answering 503' ? 4 * PAGERDUTY_MAX_RECEIVE_COUNT : 0);
    },
  );

  it.each(Object.keys(down) as (keyof typeof down)[])(
    '%s on the first receive only: SQS redelivers, the second receive triggers the PagerDuty alert once, nothing is dead-lettered',
    async (mode) => {
      // Prepare
      const record = await escalatedAlertRecord();
      await down[mode].fail();
      // Act
      const outcome = await receiveWithRedrive(subscriber(), [record], PAGERDUTY_MAX_RECEIVE_COUNT, async (receive) => {
        if (receive === 2) await down[mode].recover();
      });
      // Assess
      expect(outcome).toEqual({ receives: 2, delivered: ['msg-escalated'], deadLettered: [] });
      const accepted = pagerDuty.received.at(-1);
      expect(accepted).toMatchObject({ event_action: 'trigger', routing_key: ROUTING_KEY, payload: { severity: 'critical' } });
    },
  );
});
