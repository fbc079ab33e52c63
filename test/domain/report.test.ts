/**
 * The monthly report's pure core: the month, attainment and budget consumed (derived by hand from
 * attainment = good / total and consumed = bad / ((1 - objective) x total)), a month whose data starts on the 10th,
 * incidents from incident records with their time to detect and mitigate and the actions that worked, ordering,
 * and the announcement.
 */
import { DomainInputError } from '../../lambda/domain/burn';
import type { CountBucket, Incident, IncidentTenant, TimelineEntry } from '../../lambda/domain/model';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import {
  actionCounts,
  badRunsOf,
  detectMinutes,
  incidentsFromRecords,
  mergeAlertIntervals,
  monthCounts,
  previousMonth,
  renderReportAnnouncement,
  reportCsv,
  reportJson,
  reportMonth,
  tenantMonthRow,
  worstFirst,
} from '../../lambda/domain/report';
import type { TenantMonthReport } from '../../lambda/domain/report';

const MARCH = reportMonth('2026-03');
const hour = (day: number, h: number): number => Date.UTC(2026, 2, day, h);

/** Hourly buckets of `total` events from `fromDay` to the end of March, with `badAt(start)` bad events. */
function hourly(fromDay: number, total: number, badAt: (start: number) => number): CountBucket[] {
  const buckets: CountBucket[] = [];
  for (let start = hour(fromDay, 0); start < MARCH.end; start += HOUR_MS) buckets.push({ start, total, bad: badAt(start) });
  return buckets;
}

function rowOf(buckets: readonly CountBucket[], objectivePercent = 99.9): TenantMonthReport {
  const counted = monthCounts(buckets, MARCH);
  return tenantMonthRow({ tenant: 'acme', slo: 'api', objectivePercent, ...counted, badMinutes: null, incidents: [] });
}

function member(tenant: string, joinedAt: number, recoveredAt: number | null, level: 'page' | 'ticket' = 'page'): IncidentTenant {
  return { tenant, joinedAt, level, burnRates: {}, budgetRemainingAtJoin: 0.9, recoveredAt, budgetLost: null };
}

function incident(id: string, tenants: readonly IncidentTenant[], timeline: readonly TimelineEntry[] = []): Incident {
  const openedAt = Math.min(...tenants.map((t) => t.joinedAt));
  return {
    id,
    slo: 'api',
    severity: 'page',
    status: 'resolved',
    openedAt,
    resolvedAt: null,
    tenants,
    executionArn: null,
    suspectedCause: null,
    failureMode: null,
    forensicUri: null,
    timeline,
    version: 1,
  };
}

describe('the report month', () => {
  it.each([
    ['a day in March', Date.UTC(2026, 2, 1, 2), '2026-02'],
    ['the first of January', Date.UTC(2026, 0, 1, 0), '2025-12'],
    ['the last millisecond of a leap February', Date.UTC(2028, 2, 1) - 1, '2028-01'],
  ])('reports the month before %s', (_what, now, label) => {
    // Act / Assess
    expect(previousMonth(now).label).toBe(label);
  });

  it('spans 31 days for March, as [start, end)', () => {
    // Assess
    expect([MARCH.start, MARCH.end]).toEqual([Date.UTC(2026, 2, 1), Date.UTC(2026, 3, 1)]);
  });

  it.each([['2026-13'], ['2026-3'], ['march']])('refuses %s, naming the field and what is allowed', (label) => {
    // Act / Assess
    expect(() => reportMonth(label, 'event.month')).toThrow(DomainInputError);
    expect(() => reportMonth(label, 'event.month')).toThrow(`event.month must be a calendar month YYYY-MM (UTC), e.g. 2026-03; got "${label}"`);
  });
});

describe('attainment and budget consumed', () => {
  it('gives the exact figures for a known number of bad events over the whole month', () => {
    // Prepare: 1,000 events an hour for 744 hours = 744,000 events; 12 bad at noon each day = 372 bad.
    const buckets = hourly(1, 1000, (start) => (new Date(start).getUTCHours() === 12 ? 12 : 0));

    // Act
    const row = rowOf(buckets);

    // Assess: budget = (1 - 0.999) x 744,000 = 744 bad events; 372 / 744 = 50 %; attainment = 1 - 372 / 744,000.
    expect(row.attainment).toBe(0.9995);
    expect(row.budgetConsumedPercent).toBe(50);
    expect(row.objective).toBe(0.999);
    expect(row.budgetRemainingHourly).toHaveLength(744);
    expect(row.budgetRemainingHourly[743]).toBeCloseTo(0.5, 9);
  });

  it('counts a month whose series starts on the 10th from its first datapoint', () => {
    // Prepare: data from 10 March 00:00: 22 days x 24 h x 1,000 = 528,000 events; 1,056 bad in one hour on the 20th.
    const buckets = hourly(10, 1000, (start) => (start === hour(20, 9) ? 1056 : 0));

    // Act
    const row = rowOf(buckets);

    // Assess: budget = 0.001 x 528,000 = 528; consumed = 1,056 / 528 = 200 %; attainment = 1 - 1,056 / 528,000 = 0.998.
    expect(row.attainment).toBe(0.998);
    expect(row.budgetConsumedPercent).toBe(200);
    // The nine days without data leave the budget untouched; it ends at 1 - 2 = -1 (breached).
    expect(row.budgetRemainingHourly[9 * 24 - 1]).toBe(1);
    expect(row.budgetRemainingHourly[743]).toBe(-1);
  });

  it('leaves out buckets of the month before and after', () => {
    // Prepare
    const buckets = [
      { start: MARCH.start - HOUR_MS, total: 1000, bad: 1000 },
      { start: MARCH.start, total: 1000, bad: 1 },
      { start: MARCH.end, total: 1000, bad: 1000 },
    ];

    // Act
    const row = rowOf(buckets);

    // Assess: only the one March hour: 1 bad of 1,000 against a budget of 1.
    expect(row.budgetConsumedPercent).toBe(100);
    expect(row.budgetRemainingHourly).toEqual([0]);
  });

  it('reports no attainment and nothing consumed without traffic', () => {
    // Act
    const row = rowOf([]);

    // Assess
    expect([row.attainment, row.budgetConsumedPercent, row.budgetRemainingHourly]).toEqual([null, 0, []]);
  });
});

describe('time to detect', () => {
  it('counts from the first bad minute of the run the alert fired on; a clean minute ends a run', () => {
    // Prepare: at 99.9 %, a minute with more than 0.1 % bad is bad. Bad at 10:00, clean 10:01, bad 10:02-10:05.
    const start = hour(5, 10);
    const buckets = [0, 1, 2, 3, 4, 5].map((m) => ({ start: start + m * MINUTE_MS, total: 1000, bad: m === 1 ? 1 : 50 }));

    // Act
    const runs = badRunsOf(buckets, 0.001);

    // Assess: 1 bad of 1,000 is exactly the budget rate, not above it: clean.
    expect(runs).toEqual([
      { start, end: start + MINUTE_MS },
      { start: start + 2 * MINUTE_MS, end: start + 6 * MINUTE_MS },
    ]);
    expect(detectMinutes(start + 5 * MINUTE_MS, runs)).toBe(3);
    expect(detectMinutes(start, runs)).toBeNull();
  });
});

describe('incidents from incident records', () => {
  const recovered = (round: number): TimelineEntry => ({ at: 0, step: 'validated', detail: `round ${round}: 2 of 2 tenant(s) recovered on 1h/5m; decision recovered` });
  const notRecovered = (round: number): TimelineEntry => ({ at: 0, step: 'validated', detail: `round ${round}: 0 of 2 tenant(s) recovered on 1h/5m; decision next-round` });
  const action = (round: number, outcome: 'succeeded' | 'failed' | 'skipped'): TimelineEntry => ({
    at: 0,
    step: `action-${outcome}`,
    detail: `round ${round}: asg-scale-out on web: done`,
  });

  it('counts executed actions and those after which every tenant recovered', () => {
    // Prepare: round 1 scale-out did not help, round 2 rollback did; a skipped recommendation is not taken.
    const timeline = [action(1, 'succeeded'), notRecovered(1), action(2, 'skipped'), action(2, 'failed'), action(2, 'succeeded'), recovered(2)];

    // Act / Assess
    expect(actionCounts({ timeline })).toEqual({ taken: 3, worked: 1 });
  });

  it('times a tenant page from its join to its recovery, with the onset the caller found', () => {
    // Prepare
    const joinedAt = hour(3, 8) + 7 * MINUTE_MS;
    const records = [
      incident('inc-1', [member('acme', joinedAt, joinedAt + 42 * MINUTE_MS), member('beta', joinedAt, null)], [action(1, 'succeeded'), recovered(1)]),
      incident('inc-ticket', [member('acme', joinedAt, joinedAt + MINUTE_MS, 'ticket')]),
      incident('inc-feb', [member('acme', MARCH.start - HOUR_MS, MARCH.start)]),
    ];

    // Act
    const incidents = incidentsFromRecords('acme', records, MARCH, (id, firedAt) => (id === 'inc-1' ? firedAt - 4 * MINUTE_MS : null));

    // Assess: a ticket-level membership is not a page; an alert in February belongs to February.
    expect(incidents).toEqual([
      { firedAt: joinedAt, resolvedAt: joinedAt + 42 * MINUTE_MS, durationMinutes: 42, detectMinutes: 4, incidentId: 'inc-1', actionsTaken: 1, actionsWorked: 1 },
    ]);
  });

  it('merges touching page intervals into one incident and keeps one still firing open', () => {
    // Prepare
    const t = hour(2, 0);
    const alerts = [
      { firedAt: t, resolvedAt: t + 10 * MINUTE_MS },
      { firedAt: t + 10 * MINUTE_MS, resolvedAt: t + 30 * MINUTE_MS },
      { firedAt: t + HOUR_MS, resolvedAt: null },
      { firedAt: t + 2 * HOUR_MS, resolvedAt: t + 3 * HOUR_MS },
    ];

    // Act / Assess
    expect(mergeAlertIntervals(alerts, MARCH)).toEqual([
      { firedAt: t, resolvedAt: t + 30 * MINUTE_MS, durationMinutes: 30 },
      { firedAt: t + HOUR_MS, resolvedAt: null, durationMinutes: null },
    ]);
  });
});

describe('ordering and renderings', () => {
  const row = (tenant: string, slo: string, budgetConsumedPercent: number, attainment: number | null): TenantMonthReport => ({
    tenant,
    slo,
    objective: 0.999,
    attainment,
    budgetConsumedPercent,
    badMinutes: null,
    incidents: [],
    mttdMinutes: null,
    mttmMinutes: null,
    budgetRemainingHourly: [],
  });

  it('puts the most budget consumed first, then the lowest attainment, then SLO and tenant', () => {
    // Act
    const sorted = worstFirst([row('a', 'api', 10, 0.99), row('b', 'api', 50, 0.99), row('c', 'api', 10, 0.98), row('d', 'api', 0, null), row('a', 'aaa', 0, null)]);

    // Assess
    expect(sorted.map((r) => `${r.slo}/${r.tenant}`)).toEqual(['api/b', 'api/c', 'api/a', 'aaa/a', 'api/d']);
  });

  it('writes unknown bad minutes as null in JSON and an empty cell in CSV', () => {
    // Prepare
    const report = { month: MARCH, rows: [row('acme', 'api', 50, 0.9995)], ignoredTenants: new Map<string, string>(), rowsAfterMonth: 0 };

    // Act / Assess
    expect(reportJson(report).rows[0]!.badMinutes).toBeNull();
    expect(reportCsv(report).split('\n')[1]).toBe('acme,api,0.999,0.9995,50,,,,');
  });

  it('announces the month with s3 links and the worst tenants, as a report and not as a page or ticket', () => {
    // Prepare
    const rows = worstFirst([row('a', 'api', 10, 0.999), row('b', 'api', 150, 0.9985), ...['c', 'd', 'e', 'f', 'g'].map((t) => row(t, 'api', 1, 0.99999))]);
    const links = { json: 's3://b/reports/2026-03/report.json', html: 's3://b/reports/2026-03/report.html', csv: 's3://b/reports/2026-03/report.csv' };

    // Act
    const announcement = renderReportAnnouncement({ month: MARCH, rows, ignoredTenants: new Map(), rowsAfterMonth: 0 }, links, Date.UTC(2026, 3, 1, 2));

    // Assess
    expect(announcement.attributes).toEqual({ event_type: 'report', severity: 'info', slo: 'api' });
    expect(announcement.subject).toBe('Burnwatch SLO report 2026-03: 1 over budget');
    expect(announcement.document).toMatchObject({ type: 'report', month: '2026-03', rows: 7, breached: 1, links, generatedAt: '2026-04-01T02:00:00.000Z' });
    expect(announcement.document.worst.map((w) => w.tenant)).toEqual(['b', 'a', 'c', 'd', 'e']);
    expect(announcement.text).toContain('- b (api): 150 % of the budget consumed, attainment 99.85 %');
    expect(announcement.text).toContain(`HTML: ${links.html}`);
  });
});
