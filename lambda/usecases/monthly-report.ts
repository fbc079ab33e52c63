/**
 * The deployed monthly report: per tenant and SLO, attainment and budget consumed from CloudWatch's hourly counts
 * (hourly sums are exact sums, and CloudWatch keeps hourly data for 455 days; a time-slice SLO is read in 5-minute
 * slices, kept 63 days, because an hourly statistic is not sixty minute slices), incidents from the incident records
 * (the tenant's page-level membership: alert at its join, recovery at its `recoveredAt`, the actions on the
 * timeline), and time to detect from the minute data before each alert where CloudWatch still keeps it (15 days).
 * History items are written on transitions and once per tenant per UTC day, so they name the tenants seen, not their
 * counts.
 *
 * `runMonthlyReport` is what the scheduled function does: build the previous month's report for every SLO, write
 * JSON, HTML and CSV under `reports/YYYY-MM/` and announce it on the alert topic.
 */
import { errorBudget } from '../domain/burn';
import type { Incident, SloDefinition } from '../domain/model';
import { MINUTE_MS } from '../domain/model';
import {
  badRunsOf,
  detectMinutes,
  incidentsFromRecords,
  monthCounts,
  previousMonth,
  renderReportAnnouncement,
  reportCsv,
  reportHtml,
  reportJson,
  tenantMonthRow,
  worstFirst,
} from '../domain/report';
import type { MonthReport, RenderedReportAnnouncement, ReportMonth, TenantMonthReport } from '../domain/report';
import type { Log, MetricSource } from '../ports';
import { coarsePeriodSeconds } from '../domain/period';
import { finePeriodSeconds } from './evaluate-tick';

/** CloudWatch keeps 1-minute datapoints for 15 days; older minutes come back empty, which is not "no traffic". */
export const MINUTE_DATA_RETENTION_MS = 15 * 24 * 60 * MINUTE_MS;
/** Where the report files go in the forensic bucket. */
export const REPORT_PREFIX = 'reports/';

/** What the report reads from the state table (DynamoDB in production: lambda/adapters/report-source.ts). */
export interface ReportSource {
  /** Tenants of the SLO evaluated at some time in `[from, to)`. */
  tenantsSeen(slo: string, from: number, to: number): Promise<string[]>;
  /** The SLO's incident records open at some time in `[from, to)`. */
  incidents(slo: string, from: number, to: number): Promise<Incident[]>;
}

/** Stores one report file; returns its s3:// URI. */
export interface ReportStore {
  put(key: string, body: string, contentType: string): Promise<string>;
}

/** Publishes the announcement on the alert topic. */
export interface ReportAnnouncer {
  announce(announcement: RenderedReportAnnouncement): Promise<{ messageId: string }>;
}

export interface ReportReadDeps {
  readonly metrics: MetricSource;
  readonly source: ReportSource;
  readonly log: Log;
}

export interface MonthlyReportDeps extends ReportReadDeps {
  readonly store: ReportStore;
  readonly announcer: ReportAnnouncer;
}

/** CloudWatch could not give some tenants' counts: the report would understate their month, so none is written. */
export class ReportDataError extends Error {
  constructor(
    readonly slo: string,
    readonly failures: ReadonlyMap<string, string>,
  ) {
    const listed = [...failures].slice(0, 5).map(([tenant, reason]) => `${tenant}: ${reason}`);
    const more = failures.size > listed.length ? `; and ${failures.size - listed.length} more` : '';
    super(`SLO ${slo}: CloudWatch counts failed for ${failures.size} tenant(s): ${listed.join('; ')}${more}`);
    this.name = 'ReportDataError';
  }
}

function longestPageWindowMinutes(slo: SloDefinition): number {
  const page = slo.rules.filter((rule) => rule.severity === 'page').map((rule) => rule.longWindowMinutes);
  // Without page rules there are no page incidents to time; an hour keeps the query harmless.
  return page.length === 0 ? 60 : Math.max(...page);
}

/**
 * The burn's onset before an alert at `firedAt`: the first minute of the run of bad minutes (error ratio above
 * 1 - objective) it fired on, looked for over the SLO's longest page window. Null when the minute data has expired.
 */
async function onsetBefore(slo: SloDefinition, tenant: string, firedAt: number, metrics: MetricSource, now: number): Promise<number | null> {
  // Whole slices for a time-slice SLO (its page windows are whole slices), minutes otherwise.
  const periodMs = finePeriodSeconds(slo) * 1000;
  const to = Math.ceil(firedAt / periodMs) * periodMs;
  const from = to - longestPageWindowMinutes(slo) * MINUTE_MS;
  if (now - from > MINUTE_DATA_RETENTION_MS) return null;
  const result = await metrics.fetchCounts({ slo, tenants: [tenant], from, to, periodSeconds: finePeriodSeconds(slo) });
  const failure = result.failures.get(tenant);
  if (failure !== undefined) throw new ReportDataError(slo.name, new Map([[tenant, failure]]));
  const budget = errorBudget(slo.overrides[tenant]?.objectivePercent ?? slo.objectivePercent);
  const detected = detectMinutes(firedAt, badRunsOf(result.series.get(tenant)?.buckets ?? [], budget));
  return detected === null ? null : firedAt - detected * MINUTE_MS;
}

/** One SLO's rows for the month, from the deployed stack's table and CloudWatch. */
export async function stackSloRows(
  slo: SloDefinition,
  month: ReportMonth,
  deps: ReportReadDeps,
  now: number,
): Promise<{ rows: TenantMonthReport[]; ignoredTenants: Map<string, string> }> {
  const seen = await deps.source.tenantsSeen(slo.name, month.start, month.end);
  const listed = slo.tenants.mode === 'list' ? slo.tenants.tenants : [];
  const ignoredTenants = new Map<string, string>();
  const tenants = [...new Set([...listed, ...seen])].filter((tenant) => {
    if (slo.overrides[tenant]?.muted !== true) return true;
    ignoredTenants.set(tenant, "muted in the SLO's overrides (evaluated but never alerted)");
    return false;
  });
  if (tenants.length === 0) return { rows: [], ignoredTenants };

  const counts = await deps.metrics.fetchCounts({ slo, tenants, from: month.start, to: month.end, periodSeconds: coarsePeriodSeconds(slo) });
  if (counts.failures.size > 0) throw new ReportDataError(slo.name, counts.failures);
  const records = await deps.source.incidents(slo.name, month.start, month.end);

  const rows: TenantMonthReport[] = [];
  for (const tenant of tenants) {
    const onsets = new Map<string, number | null>();
    for (const record of records) {
      const member = record.tenants.find((candidate) => candidate.tenant === tenant);
      if (member === undefined || member.joinedAt < month.start || member.joinedAt >= month.end) continue;
      onsets.set(record.id, await onsetBefore(slo, tenant, member.joinedAt, deps.metrics, now));
    }
    const incidents = incidentsFromRecords(tenant, records, month, (incidentId) => onsets.get(incidentId) ?? null);
    const counted = monthCounts(counts.series.get(tenant)?.buckets ?? [], month);
    if (counted.total === 0 && incidents.length === 0) {
      ignoredTenants.set(tenant, 'no traffic and no incident in the month');
      continue;
    }
    rows.push(
      tenantMonthRow({
        tenant,
        slo: slo.name,
        objectivePercent: slo.overrides[tenant]?.objectivePercent ?? slo.objectivePercent,
        total: counted.total,
        bad: counted.bad,
        hourlyBad: counted.hourlyBad,
        lastHour: counted.lastHour,
        // Hourly data cannot say which minutes were bad; minute data is gone after 15 days.
        badMinutes: null,
        incidents,
      }),
    );
  }
  deps.log.info('SLO month read', { slo: slo.name, month: month.label, tenants: tenants.length, rows: rows.length, incidents: records.length });
  return { rows, ignoredTenants };
}

/** Every SLO's rows for the month in one report, worst first; ignored tenants keyed `slo/tenant`. */
export async function buildStackMonthReport(slos: readonly SloDefinition[], month: ReportMonth, deps: ReportReadDeps, now: number): Promise<MonthReport> {
  const rows: TenantMonthReport[] = [];
  const ignoredTenants = new Map<string, string>();
  for (const slo of slos) {
    const part = await stackSloRows(slo, month, deps, now);
    rows.push(...part.rows);
    for (const [tenant, reason] of part.ignoredTenants) ignoredTenants.set(slos.length === 1 ? tenant : `${slo.name}/${tenant}`, reason);
  }
  return { month, rows: worstFirst(rows), ignoredTenants, rowsAfterMonth: 0 };
}

export interface MonthlyReportResult {
  readonly month: string;
  readonly rows: number;
  readonly links: Readonly<Record<'json' | 'html' | 'csv', string>>;
  readonly messageId: string;
}

/** The scheduled run: the month before `now`, every SLO, three files, one announcement. */
export async function runMonthlyReport(slos: readonly SloDefinition[], deps: MonthlyReportDeps, now: number, month: ReportMonth = previousMonth(now)): Promise<MonthlyReportResult> {
  const report = await buildStackMonthReport(slos, month, deps, now);
  const folder = `${REPORT_PREFIX}${month.label}/`;
  // The announcement links to all three, so all are written before it is sent.
  const [json, html, csv] = await Promise.all([
    deps.store.put(`${folder}report.json`, `${JSON.stringify(reportJson(report))}\n`, 'application/json'),
    deps.store.put(`${folder}report.html`, reportHtml(report), 'text/html; charset=utf-8'),
    deps.store.put(`${folder}report.csv`, reportCsv(report), 'text/csv; charset=utf-8'),
  ]);
  const links = { json, html, csv };
  const { messageId } = await deps.announcer.announce(renderReportAnnouncement(report, links, now));
  deps.log.info('Monthly report written', { month: month.label, rows: report.rows.length, ignored: report.ignoredTenants.size, links, messageId });
  return { month: month.label, rows: report.rows.length, links, messageId };
}
