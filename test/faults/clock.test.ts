/**
 * Clock faults through the evaluator handler's core (`runEvaluatorTick`: the schedule event's time, the clock, the
 * tick and what fails the invocation): late ticks, overlapping ticks, and the first ticks after the evaluator was
 * down for three hours.
 *
 * Burn rates expected below follow the Workbook: burnRate = (bad / total) / (1 - objective), objective 99.9 %.
 */
import { MINUTE_MS, HOUR_MS } from '../../lambda/domain/model';
import { evaluationEnd } from '../../lambda/usecases/evaluate-tick';
import { ERROR_BUDGET, T0, outage, scheduledEvent, useFaultRig, type ErrorRate } from '../support/faults';

const TENANTS = ['acme', 'globex', 'initech'];

describe('Clock faults', () => {
  const faults = useFaultRig('faults-clock');

  describe('a tick delivered late', () => {
    // acme fails from T0 + 5m to T0 + 8m: the data as of T0 + 1m shows nothing, as of T0 + 11m a page.
    const ACME_LATER = outage(['acme'], T0 + 5 * MINUTE_MS, T0 + 8 * MINUTE_MS);

    it.each([
      ['10 minutes late is evaluated as of the clock, not its stale schedule time, and pages on current data', T0 + 11 * MINUTE_MS, T0 + 11 * MINUTE_MS, 'page'],
      ['30 seconds late is evaluated as of its schedule time, so two deliveries of one tick agree', T0 + MINUTE_MS + 30_000, T0 + MINUTE_MS, 'ok'],
    ])('a tick scheduled at T0 + 1m and %s', async (_case, clock, evaluatedAs, acmeLevel) => {
      // Prepare
      const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_LATER });
      await rig.tick(T0);
      // Act
      const report = await rig.invoke(scheduledEvent(T0 + MINUTE_MS), clock);
      // Assess
      expect(report.startedAt).toBe(evaluatedAs);
      expect(report.evaluatedAt).toBe(evaluationEnd(evaluatedAs, rig.config.evaluator.dataDelayMinutes));
      expect(rig.evaluation('acme')?.level).toBe(acmeLevel);
      expect(rig.log.messages('warn').includes('Tick delivered late; evaluating as of now')).toBe(clock - (T0 + MINUTE_MS) > 2 * MINUTE_MS);
    });
  });

  it.each([
    ['the same scheduled tick delivered twice', 0],
    ['the ticks of two consecutive minutes', MINUTE_MS],
  ])('%s running at once in two containers open one incident with one execution', async (_case, offset) => {
    // Prepare: acme fails from T0 - 2m, so both ticks page it
    const rig = await faults.rig({ tenants: TENANTS, errorRate: outage(['acme'], T0 - 2 * MINUTE_MS) });
    await rig.tick(T0 - MINUTE_MS);
    // Act
    const results = await Promise.allSettled([
      rig.invoke(scheduledEvent(T0), T0),
      rig.invokeInOtherContainer(scheduledEvent(T0 + offset), T0 + offset),
    ]);
    const settling = await rig.tick(T0 + 2 * MINUTE_MS);
    // Assess
    const incidents = await rig.incidents();
    const open = incidents.filter((i) => i.status !== 'resolved');
    expect(open.map((i) => i.tenants.map((t) => t.tenant))).toEqual([['acme']]);
    expect([...rig.sfn.executions.keys()]).toEqual([open[0]?.id]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(settling.slos[0]?.transitions).toBe(0);
    expect((await rig.states()).get('acme')).toMatchObject({ level: 'page', incidentId: open[0]?.id });
  });

  describe('the first ticks after the evaluator was down from T0 to T0 + 3h', () => {
    const BACK = T0 + 3 * HOUR_MS;
    /** Schedule events that were held back during the outage, delivered together when the evaluator is back. */
    const HELD_BACK = Array.from({ length: 12 }, (_, i) => T0 + (60 + 10 * i) * MINUTE_MS);
    /** Asserted at the last tick, BACK + 2m: its 6h window covers [BACK + 1m - 6h, BACK + 1m). */
    const cases: [string, ErrorRate, 'ok' | 'ticket' | 'page', number][] = [
      // 60 failed minutes in the 6h window: 60 / 360 / budget = 166.7x, far above the 1x ticket factor over 3d/6h;
      // none in the 5m or 30m short windows, so neither page rule fires.
      ['a burn that started and ended during the gap (T0 + 30m to T0 + 90m) opens no page, only the ticket for the budget it spent', outage(['acme'], T0 + 30 * MINUTE_MS, T0 + 90 * MINUTE_MS), 'ticket', 60 / 360 / ERROR_BUDGET],
      // 31 failed minutes (BACK - 30m .. BACK) in the 6h window: 31 / 360 / budget = 86.1x.
      ['a burn still going on (since BACK - 30m) opens exactly one page', outage(['acme'], BACK - 30 * MINUTE_MS), 'page', 31 / 360 / ERROR_BUDGET],
      // 20 failed minutes, all inside the 30m short window at the comeback (666.7x) and the 6h window (55.6x): the
      // 6h/30m rule (6x) has not reset, exactly as if the evaluator had run throughout, when that page would still be open.
      ['a burn that ended 10 minutes before the comeback still pages once, since its 30m short window still burns', outage(['acme'], BACK - 30 * MINUTE_MS, BACK - 10 * MINUTE_MS), 'page', 20 / 360 / ERROR_BUDGET],
    ];

    it.each(cases)('%s, however many held-back ticks arrive at once', async (_case, errorRate, level, sixHourBurn) => {
      // Prepare: the evaluator ran until T0
      const rig = await faults.rig({ tenants: TENANTS, errorRate });
      await rig.tickEveryMinute(T0 - 3 * MINUTE_MS, T0);
      // Act: 12 stale events arrive at BACK, then the schedule goes on
      const stale = [];
      for (const at of HELD_BACK) stale.push(await rig.invoke(scheduledEvent(at), BACK));
      await rig.invoke(scheduledEvent(BACK + MINUTE_MS), BACK + MINUTE_MS);
      await rig.invoke(scheduledEvent(BACK + 2 * MINUTE_MS), BACK + 2 * MINUTE_MS);
      // Assess: every held-back event was evaluated as of the clock, none replayed the gap
      expect(stale.map((report) => report.startedAt)).toEqual(HELD_BACK.map(() => BACK));
      const acme = rig.evaluation('acme');
      expect(acme?.level).toBe(level);
      expect(acme?.windows.find((w) => w.windowMinutes === 360)?.burnRate).toBeCloseTo(sixHourBurn, 6);
      const executions = [...rig.sfn.executions.values()];
      expect(executions.map((e) => [e.severity, e.tenants])).toEqual([[level, ['acme']]]);
      expect(rig.transitions.filter((t) => t.tenant === 'acme').map((t) => t.transition)).toEqual(['opened']);
      expect(await rig.incidents()).toHaveLength(1);
    });
  });
});
