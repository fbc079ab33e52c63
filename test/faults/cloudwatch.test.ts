/**
 * CloudWatch faults under the real evaluator tick: the CloudWatch adapter over the local CloudWatch's SDK client with
 * one fault injected in front of it, state in dynalite, workflow starts on a Step Functions fake.
 *
 * Burn rates expected below follow the Workbook: burnRate = (bad / total) / (1 - objective), objective 99.9 %.
 */
import { MINUTE_MS } from '../../lambda/domain/model';
import {
  ERROR_BUDGET,
  REQUESTS_PER_MINUTE,
  T0,
  awsErrors,
  checkoutSlo,
  corruptFineSeries,
  failGetMetricData,
  outage,
  pagedGetMetricData,
  periodOf,
  tenantsOf,
  truncatedGetMetricData,
  useFaultRig,
  withValueAt,
  withoutValueAt,
} from '../support/faults';

const TENANTS = ['acme', 'globex', 'initech', 'umbrella'];
/** acme fails every request from 10 minutes before the first tick. */
const ACME_DOWN = outage(['acme'], T0 - 10 * MINUTE_MS);
/** The tick at T0 reads windows ending at T0 - 1m (1-minute late-data delay): acme's 1h window holds 9 failed minutes (T0-10m .. T0-2m) of 60. */
const ACME_1H_BURN = 9 / 60 / ERROR_BUDGET;
/** A full outage burns at 1 / budget = 1000x. */
const FULL_OUTAGE_BURN = 1 / ERROR_BUDGET;

describe('CloudWatch faults', () => {
  const faults = useFaultRig('faults-cw');

  it.each([
    ['a throttling burst of 4 calls (one short of the 5 attempts)', awsErrors.cloudWatchThrottling, 4, 4],
    ['two 5xx answers', awsErrors.cloudWatchServerError, 2, 0],
    ['two client timeouts (TimeoutError)', awsErrors.clientTimeout, 2, 0],
  ])('%s: retried with backoff, every tenant evaluated and acme still paged', async (_fault, error, faultCount, throttledRetries) => {
    // Prepare
    const fault = failGetMetricData(error, { times: faultCount });
    const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN, cloudWatch: fault });
    // Act
    const report = await rig.tick(T0);
    // Assess
    const slo = report.slos[0];
    expect(fault.injected()).toBe(faultCount);
    expect(rig.retryWaits).toHaveLength(faultCount);
    expect(slo?.fetch.throttledRetries).toBe(throttledRetries);
    expect(slo?.failures).toEqual([]);
    expect(slo?.evaluated).toBe(TENANTS.length);
    expect(rig.evaluation('acme')?.rules.find((r) => r.rule.name === '1h/5m')?.longBurnRate).toBeCloseTo(ACME_1H_BURN, 6);
    expect(slo?.incidentsOpened).toHaveLength(1);
    expect([...rig.sfn.executions.values()].map((e) => e.tenants)).toEqual([['acme']]);
  });

  it('throttling that outlasts every retry reports each tenant as failed, writes nothing for them, and the next tick pages acme', async () => {
    // Prepare: the fine (per-minute) call is throttled on all 5 attempts of the first tick only
    const fault = failGetMetricData(awsErrors.cloudWatchThrottling, { when: (input) => periodOf(input) === 60, times: 5 });
    const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN, cloudWatch: fault });
    // Act
    const first = await rig.tick(T0);
    const statesAfterFirst = await rig.states();
    const startsAfterFirst = [...rig.sfn.attempts];
    const second = await rig.tick(T0 + MINUTE_MS);
    // Assess: reported, not swallowed
    expect(first.slos[0]?.failures.map((f) => f.tenant).sort()).toEqual([...TENANTS].sort());
    for (const failure of first.slos[0]?.failures ?? []) expect(failure.reason).toMatch(/^GetMetricData failed: Throttling: Rate exceeded/);
    expect(first.slos[0]?.fetch.throttledRetries).toBe(4);
    expect(first.slos[0]?.evaluated).toBe(0);
    expect(statesAfterFirst.size).toBe(0);
    expect(startsAfterFirst).toEqual([]);
    // Assess: nothing lost, the next tick evaluates every tenant and pages acme once
    expect(second.slos[0]?.evaluated).toBe(TENANTS.length);
    expect(second.slos[0]?.incidentsOpened).toHaveLength(1);
    expect(rig.sfn.executions.size).toBe(1);
  });

  it('PartialData with a NextToken is followed to the last page and the tenants are evaluated on the whole series', async () => {
    // Prepare: every answer comes in 3 pages
    const paging = pagedGetMetricData({ pages: 3 });
    const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN, cloudWatch: paging });
    // Act
    const report = await rig.tick(T0);
    // Assess: the fine and the hourly call, 3 pages each
    expect(paging.pagesServed()).toBe(6);
    expect(report.slos[0]?.fetch.calls).toBe(6);
    expect(report.slos[0]?.failures).toEqual([]);
    const acme = rig.evaluation('acme');
    expect(acme?.windows.find((w) => w.windowMinutes === 5)?.burnRate).toBeCloseTo(FULL_OUTAGE_BURN, 6);
    expect(acme?.windows.find((w) => w.windowMinutes === 60)?.burnRate).toBeCloseTo(ACME_1H_BURN, 6);
    expect(acme?.windows.find((w) => w.windowMinutes === 60)?.total).toBe(60 * REQUESTS_PER_MINUTE);
    expect(report.slos[0]?.incidentsOpened).toHaveLength(1);
  });

  it('PartialData with no NextToken to continue reports the tenants as failed instead of evaluating half a series', async () => {
    // Prepare: the fine answer is cut in half for good
    const rig = await faults.rig({ tenants: TENANTS, errorRate: ACME_DOWN, cloudWatch: truncatedGetMetricData((input) => periodOf(input) === 60) });
    // Act
    const report = await rig.tick(T0);
    // Assess
    expect(report.slos[0]?.evaluated).toBe(0);
    expect(report.slos[0]?.failures).toHaveLength(TENANTS.length);
    for (const failure of report.slos[0]?.failures ?? []) expect(failure.reason).toContain('PartialData with no NextToken to continue');
    expect((await rig.states()).size).toBe(0);
  });

  describe('with two GetMetricData batches (a 90-day SLO: its hourly series fits 23 tenants per call)', () => {
    const MANY = Array.from({ length: 24 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
    const FIRST_BATCH = MANY.slice(0, 23);
    const LAST = 'tenant-23';
    const slo = checkoutSlo({ periodDays: 90 });
    // Eight hours of traffic cover every window but the 3d and the period, all these cases need.
    const inFirstHourlyBatch = (input: Parameters<typeof tenantsOf>[0]): boolean => periodOf(input) === 3600 && tenantsOf(input).has('tenant-00');

    it.each([
      ['a page token CloudWatch refuses (InvalidNextToken, not retried)', awsErrors.invalidNextToken, 0],
      ['a 5xx on every attempt', awsErrors.cloudWatchServerError, 4],
    ])(
      'pagination stopping midway on %s reports that call\'s tenants as failed and still evaluates and pages the others',
      async (_fault, error, retries) => {
        // Prepare: the first hourly batch's second page fails; the last tenant (second batch) is down
        const paging = pagedGetMetricData({ pages: 2, when: inFirstHourlyBatch, failPage: { page: 2, error } });
        const rig = await faults.rig({ tenants: MANY, slo, historyHours: 8, errorRate: outage([LAST], T0 - 10 * MINUTE_MS), cloudWatch: paging });
        // Act
        const report = await rig.tick(T0);
        // Assess: the first page alone is never used
        const sloReport = report.slos[0];
        expect(sloReport?.failures.map((f) => f.tenant)).toEqual(FIRST_BATCH);
        expect(sloReport?.failures[0]?.reason).toMatch(/^GetMetricData failed: /);
        expect(rig.retryWaits).toHaveLength(retries);
        expect(sloReport?.evaluated).toBe(1);
        expect([...(await rig.states(MANY)).keys()]).toEqual([LAST]);
        expect([...rig.sfn.executions.values()].map((e) => e.tenants)).toEqual([[LAST]]);
      },
    );

    it('one batch failing while the other succeeds lists the failed tenants, writes state only for the others, and the next tick catches up', async () => {
      // Prepare: the first hourly batch fails on every attempt of the first tick
      const fault = failGetMetricData(awsErrors.cloudWatchServerError, { when: inFirstHourlyBatch, times: 5 });
      const rig = await faults.rig({ tenants: MANY, slo, historyHours: 8, errorRate: outage([LAST], T0 - 10 * MINUTE_MS), cloudWatch: fault });
      // Act
      const first = await rig.tick(T0);
      const writtenAfterFirst = [...(await rig.states(MANY)).keys()];
      const second = await rig.tick(T0 + MINUTE_MS);
      // Assess
      expect(first.slos[0]?.failures.map((f) => f.tenant)).toEqual(FIRST_BATCH);
      expect(first.slos[0]?.stateWrites).toBe(1);
      expect(writtenAfterFirst).toEqual([LAST]);
      expect(rig.log.messages('warn')).toContain('Tenant not evaluated');
      expect(first.slos[0]?.incidentsOpened).toHaveLength(1);
      expect(second.slos[0]?.failures).toEqual([]);
      expect(second.slos[0]?.evaluated).toBe(MANY.length);
      expect((await rig.states(MANY)).size).toBe(MANY.length);
      expect(rig.sfn.executions.size).toBe(1);
    });
  });

  describe('corrupt values in the minute T0 - 2m of acme, a healthy tenant', () => {
    const CORRUPT_AT = T0 - 2 * MINUTE_MS;

    it.each([
      ['a NaN total next to 1000 bad', 1000, Number.NaN],
      ['a negative bad count', -1000, REQUESTS_PER_MINUTE],
      ['a negative total', 0, -REQUESTS_PER_MINUTE],
      ['an infinite bad count', Number.POSITIVE_INFINITY, REQUESTS_PER_MINUTE],
      ['1000 bad with the total absent', 1000, undefined],
    ])('%s: the minute is dropped and logged, acme is evaluated on the other 4 minutes of its 5m window, no false page', async (_case, bad, total) => {
      // Prepare
      const corrupt = corruptFineSeries((result, series) => {
        if (series.tenant !== 'acme') return result;
        if (series.side === 'bad') return withValueAt(result, CORRUPT_AT, bad);
        return total === undefined ? withoutValueAt(result, CORRUPT_AT) : withValueAt(result, CORRUPT_AT, total);
      });
      const rig = await faults.rig({ tenants: TENANTS, cloudWatch: corrupt });
      // Act
      const report = await rig.tick(T0);
      // Assess
      expect(report.slos[0]?.failures).toEqual([]);
      const acme = rig.evaluation('acme');
      expect(acme?.level).toBe('ok');
      expect(acme?.windows.find((w) => w.windowMinutes === 5)).toMatchObject({ total: 4 * REQUESTS_PER_MINUTE, bad: 0, burnRate: 0 });
      expect(rig.log.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: 'Buckets rejected or clamped', data: expect.objectContaining({ tenant: 'acme', rejected: 1 }) }));
      expect(report.slos[0]?.incidentsOpened).toEqual([]);
      expect(rig.sfn.attempts).toEqual([]);
    });

    it.each([
      ['timestamps without values', (result: Parameters<typeof withValueAt>[0]) => ({ ...result, Values: [] }), 'timestamps and values must have the same length'],
      ['the bad series missing from the answer', () => null, 'no result returned'],
    ])('%s: acme is reported as failed and not evaluated, the others are, no false page', async (_case, rewrite, reason) => {
      // Prepare
      const rig = await faults.rig({
        tenants: TENANTS,
        cloudWatch: corruptFineSeries((result, series) => (series.tenant === 'acme' && series.side === 'bad' ? rewrite(result) : result)),
      });
      // Act
      const report = await rig.tick(T0);
      // Assess
      expect(report.slos[0]?.failures).toEqual([{ tenant: 'acme', reason: expect.stringContaining(reason) }]);
      expect(report.slos[0]?.evaluated).toBe(TENANTS.length - 1);
      expect([...(await rig.states()).keys()].sort()).toEqual(['globex', 'initech', 'umbrella']);
      expect(rig.sfn.attempts).toEqual([]);
    });
  });
});
