/**
 * DynamoDB faults under the real evaluator tick: the state store on dynalite behind a wrapper around its document
 * client, which injects the fault after the SDK's own retries (what the store sees once the SDK gave up).
 *
 * Decision for throttling: the store relies on the SDK's standard retry mode for ProvisionedThroughputExceeded and
 * retries BatchGetItem's unprocessed keys itself; what still fails is reported (the SLO is skipped for the tick and
 * the invocation fails), and since a tenant's state is written only after its incident and workflow, the next tick
 * redoes the unwritten transition: nothing is lost and nothing is opened twice.
 */
import { EvaluatorTickError } from '../../lambda/handlers/evaluator';
import { incidentKey, tenantStateKey } from '../../lambda/domain/keys';
import { MINUTE_MS, STATE_SCHEMA_VERSION } from '../../lambda/domain/model';
import type { Incident } from '../../lambda/domain/model';
import {
  SLO_NAME,
  T0,
  awsErrors,
  outage,
  scheduledEvent,
  useFaultRig,
  type DocumentCommandInfo,
  type DocumentInterceptor,
  type Rig,
} from '../support/faults';

const TENANTS = ['acme', 'globex', 'initech'];
/** acme fails every request from T0 - 2m: the tick at T0 (windows ending T0 - 1m) is the first to page it. */
const ACME_DOWN = outage(['acme'], T0 - 2 * MINUTE_MS);

/** One open incident holding acme, exactly one workflow execution, named after it; any other incident closed as superseded. */
async function expectOneIncidentForAcme(rig: Rig): Promise<Incident> {
  const incidents = await rig.incidents();
  const open = incidents.filter((incident) => incident.status !== 'resolved');
  expect(open).toHaveLength(1);
  const incident = open[0] as Incident;
  expect(incident.tenants.map((t) => t.tenant)).toEqual(['acme']);
  expect([...rig.sfn.executions.keys()]).toEqual([incident.id]);
  for (const other of incidents.filter((i) => i.id !== incident.id)) {
    expect(other.timeline.map((entry) => entry.step)).toContain('superseded');
  }
  return incident;
}

/** A wrapper that runs `fault` on the first matching command once armed, then lets everything through. */
function armedInterceptor(matches: (info: DocumentCommandInfo) => boolean, fault: () => Promise<void>): DocumentInterceptor & { arm(): void; fired(): boolean } {
  let armed = false;
  let fired = false;
  const interceptor: DocumentInterceptor = async (info, send) => {
    if (armed && !fired && matches(info)) {
      fired = true;
      await fault();
    }
    return send();
  };
  return Object.assign(interceptor, { arm: () => void (armed = true), fired: () => fired });
}

const isPointerRead = (i: DocumentCommandInfo): boolean => i.command === 'GetCommand' && i.kind === 'open-incident-pointer';
const isIncidentWrite = (i: DocumentCommandInfo): boolean => i.command === 'PutCommand' && i.kind === 'incident';
const isPointerWrite = (i: DocumentCommandInfo): boolean => i.command === 'PutCommand' && i.kind === 'open-incident-pointer';
const isAcmePageState = (i: DocumentCommandInfo): boolean => i.command === 'PutCommand' && i.kind === 'tenant-state' && i.item?.level === 'page';
const isStateRead = (i: DocumentCommandInfo): boolean => i.command === 'BatchGetCommand';

describe('DynamoDB faults', () => {
  const faults = useFaultRig('faults-ddb');

  describe('a concurrent tick wins a conditional write (ConditionalCheckFailed for the other)', () => {
    const points: [string, (i: DocumentCommandInfo) => boolean][] = [
      ['before the first tick reads the open-incident pointer', isPointerRead],
      ['before the first tick creates the incident', isIncidentWrite],
      ['before the first tick writes the open-incident pointer', isPointerWrite],
      ["before the first tick writes acme's page state", isAcmePageState],
    ];
    const offsets: [string, number][] = [
      ['at the same instant', 0],
      ['one minute later', MINUTE_MS],
    ];
    const cases = points.flatMap(([point, matches]) => offsets.map(([when, offset]) => [`${point}, a second tick ${when}`, matches, offset] as const));

    it.each(cases)('%s: no duplicate incident, no second workflow start, state converges next tick', async (_case, matches, offset) => {
      // Prepare: a quiet tick first, then the second tick runs to completion at the chosen point of the first
      let rig: Rig | undefined;
      const overlap = armedInterceptor(matches, async () => void (await rig?.tickInOtherContainer(T0 + offset)));
      rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN, dynamo: overlap });
      await rig.tick(T0 - MINUTE_MS);
      overlap.arm();
      // Act
      await rig.tick(T0);
      const converging = await rig.tick(T0 + 2 * MINUTE_MS);
      // Assess
      expect(overlap.fired()).toBe(true);
      const incident = await expectOneIncidentForAcme(rig);
      expect(converging.skipped).toEqual([]);
      expect(converging.slos[0]?.transitions).toBe(0);
      expect(converging.slos[0]?.incidentsOpened).toEqual([]);
      expect((await rig.states()).get('acme')).toMatchObject({ level: 'page', incidentId: incident.id });
    });
  });

  describe('throttling (ProvisionedThroughputExceededException) that outlasted the SDK retries', () => {
    it.each([
      ['reading the tenant states (BatchGetItem)', isStateRead],
      ['creating the incident', isIncidentWrite],
      ['writing the open-incident pointer', isPointerWrite],
      ["writing acme's page state", isAcmePageState],
    ])('on %s: the invocation fails naming it, and the next tick pages acme once', async (_case, matches) => {
      // Prepare: every matching command of one tick is throttled
      let throttling = false;
      const rig = await faults.rig({
        tenants: TENANTS,
        errorRate: ACME_DOWN,
        dynamo: async (info, send) => {
          if (throttling && matches(info)) throw awsErrors.dynamoThrottling();
          return send();
        },
      });
      await rig.tick(T0 - MINUTE_MS);
      throttling = true;
      // Act
      const failed = rig.invoke(scheduledEvent(T0), T0);
      await expect(failed).rejects.toThrow(EvaluatorTickError);
      await expect(failed).rejects.toThrow(/skipped 1 SLO\(s\): checkout-availability \(ProvisionedThroughputExceededException: /);
      throttling = false;
      const next = await rig.tick(T0 + MINUTE_MS);
      // Assess
      expect(next.skipped).toEqual([]);
      const incident = await expectOneIncidentForAcme(rig);
      expect((await rig.states()).get('acme')).toMatchObject({ level: 'page', incidentId: incident.id });
    });

    it('BatchGetItem leaving keys unprocessed (partial throttling) is retried by the store: every state is read, no tenant looks new', async () => {
      // Prepare: the next two BatchGetItem answers leave every key but the first unprocessed
      let partialAnswers = 0;
      const rig = await faults.rig({
        tenants: TENANTS,
        errorRate: ACME_DOWN,
        dynamo: async (info, send) => {
          const output = (await send()) as { Responses?: Record<string, Record<string, unknown>[]>; UnprocessedKeys?: Record<string, { Keys: Record<string, unknown>[] }> };
          if (!isStateRead(info) || partialAnswers >= 2) return output;
          const [table, items] = Object.entries(output.Responses ?? {})[0] ?? ['', []];
          if (items.length < 2) return output;
          partialAnswers += 1;
          const unprocessed = items.slice(1).map((item) => ({ pk: item.pk, sk: item.sk }));
          return { ...output, Responses: { [table]: items.slice(0, 1) }, UnprocessedKeys: { [table]: { Keys: unprocessed } } };
        },
      });
      await rig.tick(T0 - MINUTE_MS);
      // Act
      const report = await rig.tick(T0);
      // Assess: had a tenant been mistaken for new, its write (expecting no item) would have conflicted
      expect(partialAnswers).toBe(2);
      expect(report.skipped).toEqual([]);
      expect(report.slos[0]?.writeConflicts).toBe(0);
      expect(report.slos[0]?.transitions).toBe(1);
      await expectOneIncidentForAcme(rig);
    });
  });

  describe('items written by an older schema version', () => {
    it("a state without schemaVersion and without the fields added since is read with their defaults, evaluated, and rewritten in today's schema", async () => {
      // Prepare: globex's state as schema 0 wrote it, two hours old so the heartbeat rewrites it
      const rig = await faults.rig({ tenants: TENANTS });
      await rig.table.putRaw(tenantStateKey(SLO_NAME, 'globex'), {
        slo: SLO_NAME,
        tenant: 'globex',
        level: 'ok',
        budgetRemaining: 0.93,
        updatedAt: T0 - 120 * MINUTE_MS,
        version: 7,
      });
      // Act
      const report = await rig.tick(T0);
      // Assess
      expect(report.skipped).toEqual([]);
      expect(report.slos[0]?.failures).toEqual([]);
      expect(report.slos[0]?.evaluated).toBe(TENANTS.length);
      const stored = await rig.table.getRaw(tenantStateKey(SLO_NAME, 'globex'));
      expect(stored).toMatchObject({ schemaVersion: STATE_SCHEMA_VERSION, version: 8, level: 'ok', activeRules: [], incidentId: null, levelSince: null });
      expect(stored?.burnRates).toEqual(expect.objectContaining({ '5': 0, '60': 0 }));
    });

    it.each([
      ['corrupt (a level no version of Burnwatch wrote)', { schemaVersion: STATE_SCHEMA_VERSION, level: 'warning' }, 'CorruptItemError'],
      ['written by a newer schema (a newer evaluator mid-deployment)', { schemaVersion: STATE_SCHEMA_VERSION + 1 }, 'UnsupportedSchemaVersionError'],
    ])("a state item that is %s fails its own tenant only: it is reported, left as it is, and acme's outage still pages", async (_, item, errorName) => {
      // Prepare: globex's item is unreadable; acme is down.
      const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN });
      const raw = { slo: SLO_NAME, tenant: 'globex', budgetRemaining: 0.9, updatedAt: T0 - 120 * MINUTE_MS, version: 4, ...item };
      await rig.table.putRaw(tenantStateKey(SLO_NAME, 'globex'), raw);
      // Act
      const report = await rig.tick(T0);
      // Assess
      expect(report.skipped).toEqual([]);
      expect(report.slos[0]?.evaluated).toBe(TENANTS.length - 1);
      expect(report.slos[0]?.failures).toEqual([{ tenant: 'globex', reason: expect.stringContaining(errorName) }]);
      expect(await rig.table.getRaw(tenantStateKey(SLO_NAME, 'globex'))).toMatchObject(raw);
      expect(report.slos[0]?.incidentsOpened).toHaveLength(1);
      await expectOneIncidentForAcme(rig);
    });

    it('a paging tenant in an incident written before the timeline existed recovers: the incident is upgraded and resolved', async () => {
      // Prepare: acme paged an hour ago and stopped firing 30 minutes ago (resolveAfterMinutes is 10)
      const rig = await faults.rig({ tenants: TENANTS });
      const oldIncident = 'checkout-availability-20261119T2300-0ld0ld00';
      await rig.table.putRaw(tenantStateKey(SLO_NAME, 'acme'), {
        slo: SLO_NAME,
        tenant: 'acme',
        level: 'page',
        levelSince: T0 - 60 * MINUTE_MS,
        lastFiringAt: T0 - 30 * MINUTE_MS,
        incidentId: oldIncident,
        budgetRemaining: 0.9,
        updatedAt: T0 - 30 * MINUTE_MS,
        version: 3,
      });
      await rig.table.putRaw(incidentKey(oldIncident), {
        id: oldIncident,
        slo: SLO_NAME,
        severity: 'page',
        status: 'open',
        openedAt: T0 - 60 * MINUTE_MS,
        tenants: [{ tenant: 'acme', joinedAt: T0 - 60 * MINUTE_MS, level: 'page', budgetRemainingAtJoin: 0.95 }],
        version: 2,
      });
      // Act
      const report = await rig.tick(T0);
      // Assess
      expect(report.skipped).toEqual([]);
      expect(report.slos[0]?.evaluated).toBe(TENANTS.length);
      expect(report.slos[0]?.incidentsResolved).toEqual([oldIncident]);
      const stored = await rig.table.getRaw(incidentKey(oldIncident));
      expect(stored).toMatchObject({ schemaVersion: STATE_SCHEMA_VERSION, status: 'resolved', version: 3, executionArn: null });
      expect((await rig.states()).get('acme')).toMatchObject({ level: 'ok', incidentId: null });
    });
  });
});
