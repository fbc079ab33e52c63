/**
 * The deployed monthly report: hourly CloudWatch counts and incident records in, the same rows as the offline
 * report out (figures derived by hand from attainment = good / total and consumed = bad / ((1 - objective) x total)),
 * time to detect from minute data only while CloudWatch keeps it, and the scheduled run writing three files and one
 * announcement (S3 and SNS through aws-sdk-client-mock).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ReportStore, SnsReportAnnouncer } from '../../lambda/adapters/report-source';
import type { CountBucket, Incident, TimelineEntry } from '../../lambda/domain/model';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import { reportMonth } from '../../lambda/domain/report';
import type { ReportJson } from '../../lambda/domain/report';
import { InvalidReportEventError, reportMonthOf } from '../../lambda/handlers/monthly-report';
import { buildStackMonthReport, ReportDataError, runMonthlyReport } from '../../lambda/usecases/monthly-report';
import type { ReportSource } from '../../lambda/usecases/monthly-report';
import type { CountsRequest, CountsResult, Log, MetricSource } from '../../lambda/ports';
import { apiSlo } from '../support/slo-fixture';

const MARCH = reportMonth('2026-03');
/** The scheduled run: 02:00 UTC on 1 April. */
const NOW = Date.UTC(2026, 3, 1, 2);
const at = (day: number, h: number, m = 0): number => Date.UTC(2026, 2, day, h, m);
const silent: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const slo = apiSlo({
  rules: [{ name: '1h/5m', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 }],
  overrides: { internal: { muted: true } },
});

/** CloudWatch as the metric source sees it: per tenant, a function of (bucket start, period) to counts or nothing. */
class FakeMetrics implements MetricSource {
  readonly requests: CountsRequest[] = [];
  constructor(
    private readonly traffic: Readonly<Record<string, (start: number, periodSeconds: number) => Omit<CountBucket, 'start'> | null>>,
    private readonly failing: ReadonlyMap<string, string> = new Map(),
  ) {}

  async fetchCounts(request: CountsRequest): Promise<CountsResult> {
    this.requests.push(request);
    const series = new Map<string, { periodSeconds: number; buckets: CountBucket[] }>();
    const failures = new Map<string, string>();
    for (const tenant of request.tenants) {
      const reason = this.failing.get(tenant);
      if (reason !== undefined) {
        failures.set(tenant, reason);
        continue;
      }
      const buckets: CountBucket[] = [];
      for (let start = request.from; start < request.to; start += request.periodSeconds * 1000) {
        const counts = this.traffic[tenant]?.(start, request.periodSeconds) ?? null;
        if (counts !== null) buckets.push({ start, ...counts });
      }
      series.set(tenant, { periodSeconds: request.periodSeconds, buckets });
    }
    return { series, failures, stats: { calls: 1, metricsRequested: 0, datapoints: 0, throttledRetries: 0 } };
  }

  async listTenants(): Promise<string[]> {
    return [];
  }
}

class FakeSource implements ReportSource {
  constructor(
    private readonly seen: readonly string[],
    private readonly records: readonly Incident[] = [],
  ) {}
  async tenantsSeen(): Promise<string[]> {
    return [...this.seen];
  }
  async incidents(): Promise<Incident[]> {
    return [...this.records];
  }
}

/** 1,000 requests an hour from `fromDay` on, 12 of them bad at noon. */
const steady =
  (fromDay: number) =>
  (start: number, periodSeconds: number): Omit<CountBucket, 'start'> | null => {
    if (periodSeconds !== 3600 || start < at(fromDay, 0)) return null;
    return { total: 1000, bad: new Date(start).getUTCHours() === 12 ? 12 : 0 };
  };

/** An outage: every minute in [from, to) all bad (100 of 100), other minutes clean; hours carry the same bad. */
const outage = (from: number, to: number) => (start: number, periodSeconds: number): Omit<CountBucket, 'start'> | null => {
  if (periodSeconds === 60) return { total: 100, bad: start >= from && start < to ? 100 : 0 };
  const badMinutes = Math.max(0, Math.min(start + HOUR_MS, to) - Math.max(start, from)) / MINUTE_MS;
  return { total: 6000, bad: badMinutes * 100 };
};

function record(id: string, tenant: string, joinedAt: number, recoveredAt: number | null, timeline: readonly TimelineEntry[] = []): Incident {
  return {
    id,
    slo: slo.name,
    severity: 'page',
    status: recoveredAt === null ? 'open' : 'resolved',
    openedAt: joinedAt,
    resolvedAt: recoveredAt,
    tenants: [{ tenant, joinedAt, level: 'page', burnRates: {}, budgetRemainingAtJoin: 0.9, recoveredAt, budgetLost: null }],
    executionArn: null,
    suspectedCause: null,
    failureMode: null,
    forensicUri: null,
    timeline,
    version: 3,
  };
}

describe('the deployed monthly report', () => {
  it('gives attainment and budget consumed to the exact figure from hourly counts', async () => {
    // Prepare: 744 hours x 1,000 = 744,000 requests, 31 x 12 = 372 bad.
    const metrics = new FakeMetrics({ acme: steady(1) });

    // Act
    const report = await buildStackMonthReport([slo], MARCH, { metrics, source: new FakeSource(['acme']), log: silent }, NOW);

    // Assess: budget = 0.001 x 744,000 = 744 bad events; 372 / 744 = 50 %; attainment 1 - 372 / 744,000 = 0.9995.
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({ tenant: 'acme', slo: 'api-availability', objective: 0.999, attainment: 0.9995, budgetConsumedPercent: 50, badMinutes: null });
    expect(metrics.requests).toEqual([{ slo, tenants: ['acme'], from: MARCH.start, to: MARCH.end, periodSeconds: 3600 }]);
  });

  it('reports a month whose data starts on the 10th from its first hour', async () => {
    // Prepare: 22 days x 24 x 1,000 = 528,000 requests, 22 x 12 = 264 bad.
    const metrics = new FakeMetrics({ beta: steady(10) });

    // Act
    const report = await buildStackMonthReport([slo], MARCH, { metrics, source: new FakeSource(['beta']), log: silent }, NOW);

    // Assess: budget = 528 bad events; 264 / 528 = 50 %; attainment = 1 - 264 / 528,000 = 0.9995.
    const row = report.rows[0]!;
    expect([row.attainment, row.budgetConsumedPercent]).toEqual([0.9995, 50]);
    expect(row.budgetRemainingHourly.slice(0, 9 * 24).every((remaining) => remaining === 1)).toBe(true);
  });

  it('times an incident: detect from the outage\'s first minute, mitigate from the alert to recovery, actions from the timeline', async () => {
    // Prepare: outage 28 March 10:01-10:31; the tenant joins the page at 10:05 and recovers at 10:47.
    const joinedAt = at(28, 10, 5);
    const timeline: TimelineEntry[] = [
      { at: joinedAt, step: 'action-succeeded', detail: 'round 1: codedeploy-rollback on api: rolled back' },
      { at: joinedAt, step: 'validated', detail: 'round 1: 1 of 1 tenant(s) recovered on 1h/5m; decision recovered' },
    ];
    const metrics = new FakeMetrics({ acme: outage(at(28, 10, 1), at(28, 10, 31)) });
    const source = new FakeSource(['acme'], [record('inc-1', 'acme', joinedAt, at(28, 10, 47), timeline)]);

    // Act
    const report = await buildStackMonthReport([slo], MARCH, { metrics, source, log: silent }, NOW);

    // Assess: 10:05 - 10:01 = 4 min to detect; 10:47 - 10:05 = 42 min to mitigate; the minute query covers the 1h page window.
    const row = report.rows[0]!;
    expect(row.incidents).toEqual([{ firedAt: joinedAt, resolvedAt: at(28, 10, 47), durationMinutes: 42, detectMinutes: 4, incidentId: 'inc-1', actionsTaken: 1, actionsWorked: 1 }]);
    expect([row.mttdMinutes, row.mttmMinutes]).toEqual([4, 42]);
    expect(metrics.requests[1]).toMatchObject({ tenants: ['acme'], from: at(28, 9, 5), to: joinedAt, periodSeconds: 60 });
    // 30 bad minutes x 100 of 744 x 6,000 requests: budget 4,464; 3,000 / 4,464.
    expect(row.budgetConsumedPercent).toBeCloseTo((100 * 3000) / 4464, 4);
  });

  it('leaves time to detect unknown for an alert older than CloudWatch\'s 15 days of minute data, without asking for it', async () => {
    // Prepare: 2 March, 30 days before the run.
    const metrics = new FakeMetrics({ acme: outage(at(2, 10, 1), at(2, 10, 31)) });
    const source = new FakeSource(['acme'], [record('inc-old', 'acme', at(2, 10, 5), at(2, 10, 47))]);

    // Act
    const report = await buildStackMonthReport([slo], MARCH, { metrics, source, log: silent }, NOW);

    // Assess
    expect(report.rows[0]!.incidents[0]).toMatchObject({ detectMinutes: null, durationMinutes: 42 });
    expect(report.rows[0]!.mttdMinutes).toBeNull();
    expect(metrics.requests.map((r) => r.periodSeconds)).toEqual([3600]);
  });

  it('leaves out muted tenants and tenants with neither traffic nor incidents, saying why', async () => {
    // Prepare
    const metrics = new FakeMetrics({ acme: steady(1), internal: steady(1) });

    // Act
    const report = await buildStackMonthReport([slo], MARCH, { metrics, source: new FakeSource(['acme', 'internal', 'idle']), log: silent }, NOW);

    // Assess
    expect(report.rows.map((row) => row.tenant)).toEqual(['acme']);
    expect([...report.ignoredTenants]).toEqual([
      ['internal', "muted in the SLO's overrides (evaluated but never alerted)"],
      ['idle', 'no traffic and no incident in the month'],
    ]);
  });

  it('fails naming the tenants CloudWatch could not answer for, rather than understate their month', async () => {
    // Prepare
    const metrics = new FakeMetrics({ acme: steady(1) }, new Map([['acme', 'InternalError']]));

    // Act / Assess
    await expect(buildStackMonthReport([slo], MARCH, { metrics, source: new FakeSource(['acme']), log: silent }, NOW)).rejects.toThrow(
      new ReportDataError('api-availability', new Map([['acme', 'InternalError']])),
    );
  });
});

describe('the scheduled run', () => {
  const s3 = mockClient(S3Client);
  const sns = mockClient(SNSClient);
  beforeEach(() => {
    s3.reset();
    sns.reset();
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });
  const deps = (metrics: MetricSource, source: ReportSource) => ({
    metrics,
    source,
    store: new S3ReportStore(new S3Client({}), 'forensics', 'arn:aws:kms:eu-west-1:123456789012:key/k'),
    announcer: new SnsReportAnnouncer(new SNSClient({}), 'arn:aws:sns:eu-west-1:123456789012:alerts'),
    log: silent,
  });

  it('reports the previous month: JSON, HTML and CSV under reports/YYYY-MM/, then one announcement naming the worst tenant', async () => {
    // Prepare: burning has a 30-minute outage, quiet loses 50 % of its budget.
    const metrics = new FakeMetrics({ quiet: steady(1), burning: outage(at(28, 10, 1), at(28, 10, 31)) });

    // Act
    const result = await runMonthlyReport([slo], deps(metrics, new FakeSource(['quiet', 'burning'])), NOW);

    // Assess
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => [put.Key, put.ContentType])).toEqual([
      ['reports/2026-03/report.json', 'application/json'],
      ['reports/2026-03/report.html', 'text/html; charset=utf-8'],
      ['reports/2026-03/report.csv', 'text/csv; charset=utf-8'],
    ]);
    const json = JSON.parse(String(puts[0]!.Body)) as ReportJson;
    expect(json.month).toBe('2026-03');
    expect(json.rows.map((row) => row.tenant)).toEqual(['burning', 'quiet']);
    expect(result).toEqual({
      month: '2026-03',
      rows: 2,
      links: { json: 's3://forensics/reports/2026-03/report.json', html: 's3://forensics/reports/2026-03/report.html', csv: 's3://forensics/reports/2026-03/report.csv' },
      messageId: 'm-1',
    });
    const published = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    const text = (JSON.parse(published.Message!) as { default: string }).default;
    expect(text).toContain('- burning (api-availability): ');
    expect(text).toContain('HTML: s3://forensics/reports/2026-03/report.html');
  });

  it('announces nothing when a file could not be written', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    // Act / Assess
    await expect(runMonthlyReport([slo], deps(new FakeMetrics({ acme: steady(1) }), new FakeSource(['acme'])), NOW)).rejects.toThrow(/AccessDenied/);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('runs on 1 January for December of the year before', async () => {
    // Act
    const result = await runMonthlyReport([slo], deps(new FakeMetrics({}), new FakeSource([])), Date.UTC(2027, 0, 1, 2));

    // Assess
    expect(result.month).toBe('2026-12');
    expect(result.rows).toBe(0);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Key).toBe('reports/2026-12/report.json');
  });
});

describe('the month an invocation asks for', () => {
  it.each([
    ['the schedule\'s event time', { time: '2026-04-01T02:00:00Z' }, '2026-03'],
    ['a manual month', { month: '2025-11' }, '2025-11'],
    ['an empty event (the clock)', {}, '2026-03'],
  ])('takes %s', (_what, event, label) => {
    // Act / Assess
    expect(reportMonthOf(event, NOW).label).toBe(label);
  });

  it.each([
    [{ month: '2025-13' }, 'event.month must be a calendar month YYYY-MM (UTC), e.g. 2026-03; got "2025-13"'],
    [{ month: 202511 }, 'event.month must be a calendar month YYYY-MM (UTC), e.g. 2026-03; got 202511'],
    [{ time: 'yesterday' }, 'event.time: must be an ISO-8601 timestamp, got "yesterday"'],
    [[1], 'event: must be an EventBridge scheduled event or { "month": "YYYY-MM" }, got [1]'],
  ])('refuses %j, naming the field', (event, message) => {
    // Act / Assess
    expect(() => reportMonthOf(event, NOW)).toThrow(new InvalidReportEventError(message));
  });
});
