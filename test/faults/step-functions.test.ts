/**
 * Step Functions faults under the real evaluator tick: SfnWorkflowStarter over an SFN client answered by a fake that
 * keeps Step Functions' rules (one execution per name; the same name again is ExecutionAlreadyExists).
 */
import { EvaluatorTickError } from '../../lambda/handlers/evaluator';
import { incidentIdFor } from '../../lambda/domain/incident';
import { MINUTE_MS } from '../../lambda/domain/model';
import { SLO_NAME, T0, awsErrors, outage, scheduledEvent, useFaultRig } from '../support/faults';

const TENANTS = ['acme', 'globex', 'initech'];
/** acme fails every request from T0 - 2m: the tick at T0 is the first to page it. */
const ACME_DOWN = outage(['acme'], T0 - 2 * MINUTE_MS);

describe('Step Functions faults', () => {
  const faults = useFaultRig('faults-sfn');

  it.each([
    ['on one tick', 1],
    ['on 7 ticks in a row, longer than the 5-minute grouping interval', 7],
  ])(
    'StartExecution throttled %s: each tick fails naming it, acme\'s state is not written, and the retry gives the same incident exactly one execution',
    async (_case, throttledTicks) => {
      // Prepare
      const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN });
      await rig.tick(T0 - MINUTE_MS);
      // Act
      for (let i = 0; i < throttledTicks; i += 1) {
        rig.sfn.failNextStarts(awsErrors.stepFunctionsThrottling());
        const at = T0 + i * MINUTE_MS;
        await expect(rig.invoke(scheduledEvent(at), at)).rejects.toThrow(/skipped 1 SLO\(s\): checkout-availability \(ThrottlingException: Rate exceeded\)/);
        expect((await rig.states()).get('acme')).toMatchObject({ level: 'ok', version: 1 });
      }
      const retry = await rig.tick(T0 + throttledTicks * MINUTE_MS);
      // Assess
      expect(retry.skipped).toEqual([]);
      const incidents = await rig.incidents();
      expect(incidents.map((i) => [i.status, i.tenants.map((t) => t.tenant)])).toEqual([['open', ['acme']]]);
      const incident = incidents[0];
      expect(incident?.openedAt).toBe(T0);
      expect([...rig.sfn.executions.keys()]).toEqual([incident?.id]);
      expect(rig.sfn.attempts).toHaveLength(throttledTicks + 1);
      expect((await rig.states()).get('acme')).toMatchObject({ level: 'page', incidentId: incident?.id });
    },
  );

  it("StartExecution of a ticket incident's page escalation throttled: the next tick retries it, and the incident gets exactly one page execution", async () => {
    // Prepare: acme burns its budget at 3x for days (3 errors a minute in 1000: a 3x burn, ticket over 3d/6h but
    // below the 6x and 14.4x page factors), then fails every request from T0 - 2m, which pages it at T0.
    const slowThenDown = (tenant: string, at: number): number =>
      tenant !== 'acme' ? 0 : at >= T0 - 2 * MINUTE_MS ? 1 : at >= T0 - 3 * 24 * 60 * MINUTE_MS ? 0.003 : 0;
    const rig = await faults.rig({ tenants: TENANTS, errorRate: slowThenDown });
    await rig.tick(T0 - MINUTE_MS);
    const ticket = (await rig.incidents())[0];
    rig.sfn.failNextStarts(awsErrors.stepFunctionsThrottling());
    // Act
    const throttled = await rig.tick(T0);
    const retry = await rig.tick(T0 + MINUTE_MS);
    // Assess
    expect(ticket?.severity).toBe('ticket');
    expect(throttled.skipped).toEqual([{ slo: SLO_NAME, reason: 'ThrottlingException: Rate exceeded' }]);
    expect(retry.skipped).toEqual([]);
    expect([...rig.sfn.executions.keys()]).toEqual([ticket?.id, `${ticket?.id}-page`]);
    expect(rig.sfn.executions.get(`${ticket?.id}-page`)?.severity).toBe('page');
    expect((await rig.incidents()).map((i) => [i.id, i.severity, i.status])).toEqual([[ticket?.id, 'page', 'open']]);
    expect((await rig.states()).get('acme')).toMatchObject({ level: 'page', incidentId: ticket?.id });
  });

  it('StartExecution answered ExecutionAlreadyExists (the first answer was lost after Step Functions started it) counts as started: one incident, one execution', async () => {
    // Prepare: the first start reaches Step Functions, but its answer times out
    const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN });
    await rig.tick(T0 - MINUTE_MS);
    rig.sfn.loseNextAnswers(1);
    // Act
    const lost = await rig.tick(T0);
    const retry = await rig.tick(T0 + MINUTE_MS);
    // Assess: the retry's start is refused as already existing (its input differs), and that is success
    expect(lost.skipped).toEqual([{ slo: 'checkout-availability', reason: expect.stringContaining('TimeoutError') }]);
    expect(retry.skipped).toEqual([]);
    expect(rig.log.entries).toContainEqual(
      expect.objectContaining({ message: 'Incident workflow started', data: expect.objectContaining({ alreadyStarted: true }) }),
    );
    const incidents = await rig.incidents();
    expect(incidents).toHaveLength(1);
    expect([...rig.sfn.executions.keys()]).toEqual([incidents[0]?.id]);
    expect((await rig.states()).get('acme')).toMatchObject({ level: 'page', incidentId: incidents[0]?.id });
  });

  it('StartExecution answered ExecutionAlreadyExists on the first attempt (an execution of that name exists) opens the incident and writes the state', async () => {
    // Prepare: an execution named after the incident this tick opens already exists, with other input
    const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN });
    await rig.tick(T0 - MINUTE_MS);
    const incidentId = incidentIdFor(SLO_NAME, T0, 'acme');
    rig.sfn.executions.set(incidentId, { incidentId, slo: SLO_NAME, severity: 'page', tenants: ['acme'], onsetAt: T0 - MINUTE_MS, openedAt: T0 });
    // Act
    const report = await rig.tick(T0);
    // Assess
    expect(report.skipped).toEqual([]);
    expect(report.slos[0]?.incidentsOpened).toEqual([incidentId]);
    expect(rig.sfn.attempts).toEqual([incidentId]);
    expect(rig.sfn.executions.size).toBe(1);
    expect((await rig.states()).get('acme')).toMatchObject({ level: 'page', incidentId });
  });
});

describe('EvaluatorTickError', () => {
  it('names every skipped SLO with its reason and every SLO with undelivered alerts', () => {
    // Act
    const error = new EvaluatorTickError([{ slo: 'checkout', reason: 'ThrottlingException: Rate exceeded' }], [{ slo: 'search', count: 2 }]);
    // Assess
    expect(error.message).toBe('Evaluator skipped 1 SLO(s): checkout (ThrottlingException: Rate exceeded); and could not deliver 2 alert(s) of search');
  });
});
