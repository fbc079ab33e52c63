/**
 * Input hardening: malformed schedule events through the evaluator handler's core, and tenant names that stress
 * every place a tenant name travels (ListMetrics discovery -> GetMetricData queries -> DynamoDB keys -> incident id
 * -> Step Functions execution name through SfnWorkflowStarter's name check).
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidScheduleEventError } from '../../lambda/handlers/evaluator';
import { EXECUTION_NAME_PATTERN } from '../../lambda/domain/incident';
import { TABLE_SORT_KEY, TENANT_STATE_SORT_KEY } from '../../lambda/domain/keys';
import { MINUTE_MS } from '../../lambda/domain/model';
import { T0, outage, useFaultRig } from '../support/faults';

describe('Input hardening', () => {
  const faults = useFaultRig('faults-input');

  describe('schedule events', () => {
    it.each([
      ['a string', 'tick', 'event: must be an EventBridge scheduled event object or {}, got "tick"'],
      ['an array', [{ time: '2026-11-20T00:00:00Z' }], 'event: must be an EventBridge scheduled event object or {}, got [{"time":"2026-11-20T00:00:00Z"}]'],
      ['a number', 42, 'event: must be an EventBridge scheduled event object or {}, got 42'],
      ['a time that is not a timestamp', { time: 'yesterday' }, 'event.time: must be an ISO-8601 timestamp, got "yesterday"'],
      ['an empty time', { time: '' }, 'event.time: must be an ISO-8601 timestamp, got ""'],
      ['a numeric time', { time: T0 }, `event.time: must be an ISO-8601 timestamp, got ${T0}`],
      ['a time that is an object', { time: { $date: T0 } }, 'event.time: must be an ISO-8601 timestamp, got {"$date":'],
    ])('%s is refused naming the field, before anything is read or written', async (_case, event, message) => {
      // Prepare
      const rig = await faults.rig({ tenants: ['acme'] });
      // Act
      const invocation = rig.invoke(event, T0);
      // Assess
      await expect(invocation).rejects.toThrow(InvalidScheduleEventError);
      await expect(invocation).rejects.toThrow(message);
      expect(rig.cw.counters).toMatchObject({ calls: 0, listMetricsCalls: 0 });
      expect((await rig.states()).size).toBe(0);
    });

    it('a 1 MB time is refused with a message of bounded length', async () => {
      // Prepare
      const rig = await faults.rig({ tenants: ['acme'] });
      // Act
      const error: unknown = await rig.invoke({ time: 'x'.repeat(1_000_000) }, T0).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(InvalidScheduleEventError);
      expect((error as Error).message.length).toBeLessThan(300);
    });

    it.each([
      ['no event at all', undefined],
      ['null', null],
      ['an empty object (a manual invocation)', {}],
      ['an event whose time is years ahead (a skewed scheduler clock)', { time: '2099-01-01T00:00:00Z' }],
    ])('%s is evaluated as of the clock', async (_case, event) => {
      // Prepare
      const rig = await faults.rig({ tenants: ['acme'] });
      // Act
      const report = await rig.invoke(event, T0 + 30_000);
      // Assess
      expect(report.startedAt).toBe(T0 + 30_000);
      expect(report.slos[0]?.evaluated).toBe(1);
    });
  });

  describe('tenant names', () => {
    const LONG = 'x'.repeat(999);
    // Each row: the burning tenant, and healthy neighbours whose key a naive encoding would confuse with it.
    const names: [string, string, readonly string[]][] = [
      ['unicode (accents, CJK, an emoji)', 'café-ünïcødé-租户-🚀', ['cafe-unicode']],
      ['quotes, ampersand and angle brackets', `o'brien "quoted" & <co>`, ["o'brien"]],
      ["'#', the key separator", 'acme#STATE', ['acme', 'acme%23STATE']],
      ['1,000 characters, differing from a neighbour only in the last one', `${LONG}a`, [`${LONG}b`]],
      ['the same letters in another Unicode normal form (NFC vs NFD)', 'caf\u00e9', ['cafe\u0301']],
    ];

    it.each(names)('%s: flows from discovery to its own DynamoDB key, its incident and a valid execution name', async (_case, burning, neighbours) => {
      // Prepare
      const tenants = [burning, ...neighbours];
      const rig = await faults.rig({ tenants, errorRate: outage([burning], T0 - 2 * MINUTE_MS) });
      await rig.tick(T0 - MINUTE_MS);
      // Act
      const report = await rig.tick(T0);
      // Assess: discovered and evaluated under the exact names
      expect(report.skipped).toEqual([]);
      expect(report.slos[0]?.failures).toEqual([]);
      expect(report.slos[0]?.tenants).toBe(tenants.length);
      expect(rig.evaluated.at(-1)?.map((e) => e.tenant).sort()).toEqual([...tenants].sort());
      // Assess: one state item per tenant, each under its own key, none overwritten by another
      const scan = await rig.table.doc.send(
        new ScanCommand({ TableName: rig.table.name, FilterExpression: '#sk = :sk', ExpressionAttributeNames: { '#sk': TABLE_SORT_KEY }, ExpressionAttributeValues: { ':sk': TENANT_STATE_SORT_KEY } }),
      );
      const items = scan.Items ?? [];
      expect(items.map((item) => item.tenant).sort()).toEqual([...tenants].sort());
      expect(new Set(items.map((item) => item.pk)).size).toBe(tenants.length);
      const states = await rig.states(tenants);
      const incidentId = states.get(burning)?.incidentId;
      expect(states.get(burning)).toMatchObject({ level: 'page', version: 2 });
      for (const neighbour of neighbours) expect(states.get(neighbour)).toMatchObject({ level: 'ok', incidentId: null, version: 1 });
      // Assess: the incident holds the exact name; its execution name passed SfnWorkflowStarter's check and Step Functions'
      expect(incidentId).toMatch(EXECUTION_NAME_PATTERN);
      const incident = await rig.store.getIncident(incidentId ?? '');
      expect(incident?.tenants.map((t) => t.tenant)).toEqual([burning]);
      expect(rig.sfn.attempts).toEqual([incidentId]);
      expect(rig.sfn.executions.get(incidentId ?? '')?.tenants).toEqual([burning]);
    });
  });
});
