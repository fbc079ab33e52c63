/**
 * The per-tenant monthly SLO report, pure: one calendar month's attainment, budget consumed, bad minutes and
 * incidents (with time to detect and to mitigate, and the actions taken) per tenant and SLO, worst first, and its
 * three renderings (JSON, CSV, HTML) plus the announcement published when the stack writes a report.
 *
 * Two sources feed {@link tenantMonthRow}: the offline replay of a minute series (cli/report/monthly.ts) and the
 * deployed stack (hourly CloudWatch counts plus the incident records; lambda/usecases/monthly-report.ts).
 */
import { DomainInputError, errorBudget } from './burn';
import type { CountBucket, Incident } from './model';
import { HOUR_MS, MINUTE_MS } from './model';

// ---------------------------------------------------------------------------------------------------------
// The month
// ---------------------------------------------------------------------------------------------------------

/** A calendar month in UTC: `[start, end)` in epoch ms. */
export interface ReportMonth {
  /** `YYYY-MM` */
  readonly label: string;
  readonly start: number;
  readonly end: number;
}

const MONTH_LABEL = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `YYYY-MM` as a UTC calendar month; a DomainInputError naming `field` otherwise. */
export function reportMonth(label: string, field = 'month'): ReportMonth {
  const match = MONTH_LABEL.exec(label);
  if (!match) throw new DomainInputError(field, 'a calendar month YYYY-MM (UTC), e.g. 2026-03', label);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { label, start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}

/** The calendar month before the one `now` (epoch ms) falls in: what the report run on the 1st covers. */
export function previousMonth(now: number): ReportMonth {
  if (!Number.isFinite(now)) throw new DomainInputError('now', 'epoch milliseconds', now);
  const date = new Date(now);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1);
  const first = new Date(start);
  return reportMonth(`${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, '0')}`);
}

export function hoursIn(month: ReportMonth): number {
  return (month.end - month.start) / HOUR_MS;
}

// ---------------------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------------------

/** One alert interval of a tenant (page rules firing offline; the tenant's part of an incident record deployed). */
export interface ReportIncident {
  /** The alert: end of the first minute a page rule fired, or when the tenant joined the incident (epoch ms). */
  readonly firedAt: number;
  /** Recovery; null when still firing at the end of the data. */
  readonly resolvedAt: number | null;
  /** resolvedAt - firedAt (time to mitigate); null while firing. */
  readonly durationMinutes: number | null;
  /** firedAt - the first bad minute of the run it fired on (time to detect); null when unknown. */
  readonly detectMinutes: number | null;
  /** The incident record; null offline, where incidents are replayed. */
  readonly incidentId: string | null;
  /** Actions the workflow executed (succeeded or failed); null offline. */
  readonly actionsTaken: number | null;
  /** Executed actions after which validation found every tenant recovered; null offline. */
  readonly actionsWorked: number | null;
}

export interface TenantMonthReport {
  readonly tenant: string;
  readonly slo: string;
  /** The tenant's objective as a fraction (0.999), overrides applied. */
  readonly objective: number;
  /** good / total over the month, as a fraction; null without traffic. */
  readonly attainment: number | null;
  /** bad / ((1 - objective) x total) x 100; over 100 when the month's budget is breached; 0 without traffic. */
  readonly budgetConsumedPercent: number;
  /** Minutes whose error ratio exceeded 1 - objective; null when only coarser data exists (the deployed report). */
  readonly badMinutes: number | null;
  readonly incidents: readonly ReportIncident[];
  /** Mean detectMinutes over the incidents that have one; null when none. */
  readonly mttdMinutes: number | null;
  /** Mean durationMinutes over the resolved incidents; null when none. */
  readonly mttmMinutes: number | null;
  /** Budget remaining (1 - consumed share of the month's budget) at the end of each hour of the month with data. */
  readonly budgetRemainingHourly: readonly number[];
}

export interface MonthReport {
  readonly month: ReportMonth;
  /** Worst first: most budget consumed, then lowest attainment, then SLO and tenant id. */
  readonly rows: readonly TenantMonthReport[];
  /** Tenants read but not reported, with why. */
  readonly ignoredTenants: ReadonlyMap<string, string>;
  /** Rows after the month, not read into anything (offline only). */
  readonly rowsAfterMonth: number;
}

/** What one source knows of one tenant's month; {@link tenantMonthRow} turns it into the row. */
export interface TenantMonthInput {
  readonly tenant: string;
  readonly slo: string;
  /** The tenant's objective in percent, overrides applied. */
  readonly objectivePercent: number;
  readonly total: number;
  readonly bad: number;
  /** Bad events per hour of the month, index 0 = the month's first hour; at least `lastHour` entries. */
  readonly hourlyBad: ArrayLike<number>;
  /** Hours of the month with data (the sparkline's length). */
  readonly lastHour: number;
  readonly badMinutes: number | null;
  readonly incidents: readonly ReportIncident[];
}

// Reported figures are rounded so float noise (50.00000000000001 %) does not reach a report; 9 decimals keep
// attainment exact enough for 99.999 % objectives. Adding 0 turns a rounded -0 into 0.
const round = (value: number, digits: number): number => Number(value.toFixed(digits)) + 0;

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : round(values.reduce((sum, value) => sum + value, 0) / values.length, 6);
}

/** The one computation both sources share: attainment = good / total, consumed = bad / ((1 - objective) x total). */
export function tenantMonthRow(input: TenantMonthInput): TenantMonthReport {
  const allowedBad = errorBudget(input.objectivePercent) * input.total;
  const detected = input.incidents.flatMap((incident) => (incident.detectMinutes === null ? [] : [incident.detectMinutes]));
  const resolved = input.incidents.flatMap((incident) => (incident.durationMinutes === null ? [] : [incident.durationMinutes]));
  const budgetRemainingHourly: number[] = [];
  let cumulativeBad = 0;
  for (let hour = 0; hour < input.lastHour; hour += 1) {
    cumulativeBad += input.hourlyBad[hour] ?? 0;
    budgetRemainingHourly.push(allowedBad === 0 ? 1 : round(1 - cumulativeBad / allowedBad, 6));
  }
  return {
    tenant: input.tenant,
    slo: input.slo,
    objective: round(input.objectivePercent / 100, 9),
    attainment: input.total === 0 ? null : round(1 - input.bad / input.total, 9),
    budgetConsumedPercent: allowedBad === 0 ? 0 : round((100 * input.bad) / allowedBad, 6),
    badMinutes: input.badMinutes,
    incidents: input.incidents,
    mttdMinutes: mean(detected),
    mttmMinutes: mean(resolved),
    budgetRemainingHourly,
  };
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Most budget consumed first, then lowest attainment, then SLO and tenant id (stable across runs). */
export function worstFirst(rows: readonly TenantMonthReport[]): TenantMonthReport[] {
  return [...rows].sort(
    (a, b) =>
      b.budgetConsumedPercent - a.budgetConsumedPercent ||
      (a.attainment ?? 1) - (b.attainment ?? 1) ||
      compareText(a.slo, b.slo) ||
      compareText(a.tenant, b.tenant),
  );
}

/** Month totals and bad events per hour of the month from count buckets (any period dividing an hour). */
export function monthCounts(buckets: readonly CountBucket[], month: ReportMonth): { total: number; bad: number; hourlyBad: Float64Array; lastHour: number } {
  const hourlyBad = new Float64Array(hoursIn(month));
  let total = 0;
  let bad = 0;
  let lastHour = 0;
  for (const bucket of buckets) {
    if (bucket.start < month.start || bucket.start >= month.end) continue;
    const hour = Math.floor((bucket.start - month.start) / HOUR_MS);
    total += bucket.total;
    bad += bucket.bad;
    hourlyBad[hour]! += bucket.bad;
    lastHour = Math.max(lastHour, hour + 1);
  }
  return { total, bad, hourlyBad, lastHour };
}

// ---------------------------------------------------------------------------------------------------------
// Bad minutes and time to detect
// ---------------------------------------------------------------------------------------------------------

/** A run of consecutive bad minutes, `[start, end)` in epoch ms. */
export interface BadRun {
  start: number;
  end: number;
}

/** A minute is bad when its error ratio exceeds the error budget rate (1 - objective). */
export function isBadMinute(total: number, bad: number, budget: number): boolean {
  return total > 0 && bad / total > budget;
}

/** Adds the bad minute starting at `minute` to `runs` (minutes in time order): extends the last run or starts one. */
export function addBadMinute(runs: BadRun[], minute: number): void {
  const last = runs[runs.length - 1];
  if (last !== undefined && last.end === minute) last.end = minute + MINUTE_MS;
  else runs.push({ start: minute, end: minute + MINUTE_MS });
}

/** The runs of bad minutes in minute buckets. */
export function badRunsOf(buckets: readonly CountBucket[], budget: number): BadRun[] {
  const runs: BadRun[] = [];
  for (const bucket of buckets) if (isBadMinute(bucket.total, bucket.bad, budget)) addBadMinute(runs, bucket.start);
  return runs;
}

/**
 * Time to detect: from the first minute of the run of bad minutes the alert fired on (the last run that started
 * before it fired) to the alert. A clean minute ends a run, so a burn interrupted by a good minute counts from
 * after the interruption.
 */
export function detectMinutes(firedAt: number, runs: readonly BadRun[]): number | null {
  for (let i = runs.length - 1; i >= 0; i -= 1) {
    const run = runs[i]!;
    if (run.start < firedAt) return (firedAt - run.start) / MINUTE_MS;
  }
  return null;
}

/**
 * Merges alert intervals into incidents: overlapping or touching intervals joined, an interval still firing
 * (resolvedAt null) absorbing every later one. An incident belongs to the month in which it fired.
 */
export function mergeAlertIntervals(
  alerts: readonly { readonly firedAt: number; readonly resolvedAt: number | null }[],
  month: ReportMonth,
): { firedAt: number; resolvedAt: number | null; durationMinutes: number | null }[] {
  const sorted = [...alerts].sort((a, b) => a.firedAt - b.firedAt);
  const merged: { firedAt: number; resolvedAt: number | null }[] = [];
  for (const alert of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last.resolvedAt === null || alert.firedAt <= last.resolvedAt)) {
      if (last.resolvedAt !== null) last.resolvedAt = alert.resolvedAt === null ? null : Math.max(last.resolvedAt, alert.resolvedAt);
      continue;
    }
    merged.push({ firedAt: alert.firedAt, resolvedAt: alert.resolvedAt });
  }
  return merged
    .filter((incident) => incident.firedAt >= month.start && incident.firedAt < month.end)
    .map((incident) => ({ ...incident, durationMinutes: incident.resolvedAt === null ? null : (incident.resolvedAt - incident.firedAt) / MINUTE_MS }));
}

// ---------------------------------------------------------------------------------------------------------
// Incident records (the deployed report)
// ---------------------------------------------------------------------------------------------------------

const ROUND_PREFIX = /^round (\d+):/;
/** The validate step's timeline detail ends with its decision (lambda/usecases/workflow/validate.ts). */
const RECOVERED_DECISION = /decision recovered$/;

/**
 * Actions taken and how many worked, from the incident's timeline: `action-succeeded` / `action-failed` entries
 * are executed actions (skipped ones were only recommended); one worked when the `validated` entry of its round
 * found every tenant recovered. Both step names and the `round N:` prefix are written by the workflow's act and
 * validate steps.
 */
export function actionCounts(incident: Pick<Incident, 'timeline'>): { taken: number; worked: number } {
  const recoveredRounds = new Set<string>();
  for (const entry of incident.timeline) {
    if (entry.step === 'validated' && RECOVERED_DECISION.test(entry.detail)) recoveredRounds.add(ROUND_PREFIX.exec(entry.detail)?.[1] ?? '');
  }
  let taken = 0;
  let worked = 0;
  for (const entry of incident.timeline) {
    if (entry.step !== 'action-succeeded' && entry.step !== 'action-failed') continue;
    taken += 1;
    const round = ROUND_PREFIX.exec(entry.detail)?.[1];
    if (entry.step === 'action-succeeded' && round !== undefined && recoveredRounds.has(round)) worked += 1;
  }
  return { taken, worked };
}

/**
 * A tenant's incidents of the month from the incident records: every page-level membership that joined in the
 * month. The alert is the join, recovery the tenant's `recoveredAt`; `onsetOf` gives the burn's onset when the
 * minute data to find it still exists (CloudWatch keeps 1-minute data for 15 days), else null.
 */
export function incidentsFromRecords(
  tenant: string,
  records: readonly Incident[],
  month: ReportMonth,
  onsetOf: (incidentId: string, firedAt: number) => number | null,
): ReportIncident[] {
  const incidents: ReportIncident[] = [];
  for (const record of records) {
    const member = record.tenants.find((candidate) => candidate.tenant === tenant);
    if (member === undefined || member.level !== 'page' || member.joinedAt < month.start || member.joinedAt >= month.end) continue;
    const firedAt = member.joinedAt;
    const resolvedAt = member.recoveredAt;
    const onset = onsetOf(record.id, firedAt);
    const actions = actionCounts(record);
    incidents.push({
      firedAt,
      resolvedAt,
      durationMinutes: resolvedAt === null ? null : round((resolvedAt - firedAt) / MINUTE_MS, 6),
      detectMinutes: onset === null ? null : round((firedAt - onset) / MINUTE_MS, 6),
      incidentId: record.id,
      actionsTaken: actions.taken,
      actionsWorked: actions.worked,
    });
  }
  return incidents.sort((a, b) => a.firedAt - b.firedAt);
}

// ---------------------------------------------------------------------------------------------------------
// Renderings
// ---------------------------------------------------------------------------------------------------------

export const REPORT_COLUMNS = [
  'tenant',
  'slo',
  'objective',
  'attainment',
  'budgetConsumedPercent',
  'badMinutes',
  'incidents',
  'mttdMinutes',
  'mttmMinutes',
] as const;

export interface ReportIncidentJson {
  readonly firedAt: string;
  readonly resolvedAt: string | null;
  readonly durationMinutes: number | null;
  readonly detectMinutes: number | null;
  /** Only in the deployed report, which reads incident records. */
  readonly incidentId?: string;
  readonly actionsTaken?: number;
  readonly actionsWorked?: number;
}

export interface ReportRowJson {
  readonly tenant: string;
  readonly slo: string;
  readonly objective: number;
  readonly attainment: number | null;
  readonly budgetConsumedPercent: number;
  readonly badMinutes: number | null;
  readonly incidents: readonly ReportIncidentJson[];
  readonly mttdMinutes: number | null;
  readonly mttmMinutes: number | null;
}

export interface ReportJson {
  readonly month: string;
  readonly rows: readonly ReportRowJson[];
}

const isoTime = (at: number): string => new Date(at).toISOString();
/** ISO-8601 with minute precision, `2026-01-05T10:07Z`. */
const isoMinute = (at: number): string => isoTime(at).replace(/:00\.000Z$/, 'Z');

function incidentJson(incident: ReportIncident): ReportIncidentJson {
  return {
    firedAt: isoTime(incident.firedAt),
    resolvedAt: incident.resolvedAt === null ? null : isoTime(incident.resolvedAt),
    durationMinutes: incident.durationMinutes,
    detectMinutes: incident.detectMinutes,
    ...(incident.incidentId === null ? {} : { incidentId: incident.incidentId }),
    ...(incident.actionsTaken === null ? {} : { actionsTaken: incident.actionsTaken }),
    ...(incident.actionsWorked === null ? {} : { actionsWorked: incident.actionsWorked }),
  };
}

export function reportJson(report: MonthReport): ReportJson {
  return {
    month: report.month.label,
    rows: report.rows.map((row) => ({
      tenant: row.tenant,
      slo: row.slo,
      objective: row.objective,
      attainment: row.attainment,
      budgetConsumedPercent: row.budgetConsumedPercent,
      badMinutes: row.badMinutes,
      incidents: row.incidents.map(incidentJson),
      mttdMinutes: row.mttdMinutes,
      mttmMinutes: row.mttmMinutes,
    })),
  };
}

/** Incidents as ISO-8601 intervals `firedAt/resolvedAt` (`firedAt/..` while still firing), separated by spaces. */
function incidentIntervals(row: TenantMonthReport): string {
  return row.incidents.map((incident) => `${isoMinute(incident.firedAt)}/${incident.resolvedAt === null ? '..' : isoMinute(incident.resolvedAt)}`).join(' ');
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled (tenant ids are user data). */
function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function reportCsv(report: MonthReport): string {
  const lines = [REPORT_COLUMNS.join(',')];
  for (const row of report.rows) {
    const cells = [row.tenant, row.slo, row.objective, row.attainment, row.budgetConsumedPercent, row.badMinutes, incidentIntervals(row), row.mttdMinutes, row.mttmMinutes];
    lines.push(cells.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const SPARK_WIDTH = 240;
const SPARK_HEIGHT = 32;

/**
 * Budget remaining over the month, hour by hour, on a scale from 1 (untouched) down to 0 or below: the zero
 * line is drawn, so a breach shows as the line crossing it.
 */
export function budgetSparkline(values: readonly number[], hoursInMonth: number): string {
  const low = Math.min(0, ...values);
  const y = (value: number): number => Number((((1 - value) / (1 - low)) * (SPARK_HEIGHT - 2) + 1).toFixed(2));
  const x = (hour: number): number => Number(((hour / Math.max(hoursInMonth - 1, 1)) * SPARK_WIDTH).toFixed(2));
  const points = values.map((value, hour) => `${x(hour)},${y(value)}`).join(' ');
  const last = values[values.length - 1];
  const colour = last !== undefined && last < 0 ? '#c0392b' : '#2e7d32';
  return (
    `<svg class="spark" width="${SPARK_WIDTH}" height="${SPARK_HEIGHT}" viewBox="0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}" role="img" ` +
    `aria-label="budget remaining ${last === undefined ? 'n/a' : `${Math.round(last * 100)} %`} at the end of the data">` +
    `<line x1="0" x2="${SPARK_WIDTH}" y1="${y(0)}" y2="${y(0)}" stroke="#999" stroke-dasharray="2 2"/>` +
    `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points}"/></svg>`
  );
}

const display = (value: number | null, digits = 2): string => (value === null ? '-' : String(Number(value.toFixed(digits))));

function incidentCell(incident: ReportIncident): string {
  const duration = incident.durationMinutes === null ? 'still firing' : `${incident.durationMinutes} min`;
  const actions = incident.actionsTaken === null ? '' : `, ${incident.actionsTaken} action(s), ${incident.actionsWorked ?? 0} worked`;
  return `${isoMinute(incident.firedAt)} (${duration}${actions})`;
}

export function reportHtml(report: MonthReport): string {
  const rows = report.rows
    .map((row) => {
      const incidents = row.incidents.map(incidentCell).join('<br>');
      const cells = [
        escapeHtml(row.tenant),
        escapeHtml(row.slo),
        `${display(row.objective * 100, 4)} %`,
        row.attainment === null ? '-' : `${display(row.attainment * 100, 4)} %`,
        `${display(row.budgetConsumedPercent)} %`,
        row.badMinutes === null ? '-' : String(row.badMinutes),
        row.incidents.length === 0 ? '0' : `${row.incidents.length}<br><small>${incidents}</small>`,
        display(row.mttdMinutes, 1),
        display(row.mttmMinutes, 1),
        budgetSparkline(row.budgetRemainingHourly, hoursIn(report.month)),
      ];
      const breached = row.budgetConsumedPercent > 100 ? ' class="breached"' : '';
      return `<tr${breached} data-tenant="${escapeHtml(row.tenant)}">${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const title = `SLO report ${escapeHtml(report.month.label)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}th,td{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
tr.breached td{background:#fdecea}small{color:#555}
</style></head>
<body>
<h1>${title}</h1>
<p>Per tenant, worst first. Budget consumed is bad events / ((1 - objective) x total events) over the calendar month
(UTC); a bad minute is one whose error ratio exceeded 1 - objective (- when only hourly data exists); an incident is
an interval in which a page rule fired. The sparkline shows budget remaining through the month (dashed: zero).</p>
<table id="report">
<thead><tr><th>tenant</th><th>slo</th><th>objective</th><th>attainment</th><th>budget consumed</th><th>bad minutes</th><th>incidents</th><th>MTTD (min)</th><th>MTTM (min)</th><th>budget remaining</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}

// ---------------------------------------------------------------------------------------------------------
// The announcement (a new alert type: `report`)
// ---------------------------------------------------------------------------------------------------------

export const REPORT_ANNOUNCEMENT_SCHEMA = 'burnwatch.report/1';
export const REPORT_EVENT_TYPE = 'report';
/** Worst tenants named in the announcement; the full list is in the report. */
export const ANNOUNCED_WORST_TENANTS = 5;

export interface ReportAnnouncementDocument {
  readonly schema: typeof REPORT_ANNOUNCEMENT_SCHEMA;
  readonly type: typeof REPORT_EVENT_TYPE;
  readonly month: string;
  readonly generatedAt: string;
  /** s3:// links to the report files, by format. */
  readonly links: Readonly<Record<'json' | 'html' | 'csv', string>>;
  readonly rows: number;
  readonly breached: number;
  readonly worst: readonly Pick<ReportRowJson, 'tenant' | 'slo' | 'attainment' | 'budgetConsumedPercent'>[];
}

/** What the SNS publish needs: subject, text for people, the JSON document, attributes for filter policies. */
export interface RenderedReportAnnouncement {
  readonly subject: string;
  readonly text: string;
  readonly document: ReportAnnouncementDocument;
  /** `event_type=report`, `severity=info`: page and ticket filter policies do not match it. */
  readonly attributes: Readonly<Record<'event_type' | 'severity' | 'slo', string>>;
}

export function renderReportAnnouncement(
  report: MonthReport,
  links: ReportAnnouncementDocument['links'],
  generatedAt: number,
): RenderedReportAnnouncement {
  const worst = report.rows.slice(0, ANNOUNCED_WORST_TENANTS);
  const breached = report.rows.filter((row) => row.budgetConsumedPercent > 100).length;
  const slos = [...new Set(report.rows.map((row) => row.slo))];
  const lines = [
    `Burnwatch SLO report for ${report.month.label}: ${report.rows.length} tenant/SLO row(s), ${breached} over budget.`,
    '',
    worst.length === 0 ? 'No tenant had traffic in the month.' : 'Worst first:',
    ...worst.map(
      (row) =>
        `- ${row.tenant} (${row.slo}): ${display(row.budgetConsumedPercent)} % of the budget consumed, attainment ` +
        `${row.attainment === null ? '-' : `${display(row.attainment * 100, 4)} %`}, ${row.incidents.length} incident(s)`,
    ),
    '',
    `HTML: ${links.html}`,
    `JSON: ${links.json}`,
    `CSV: ${links.csv}`,
  ];
  return {
    subject: `Burnwatch SLO report ${report.month.label}: ${breached} over budget`,
    text: `${lines.join('\n')}\n`,
    document: {
      schema: REPORT_ANNOUNCEMENT_SCHEMA,
      type: REPORT_EVENT_TYPE,
      month: report.month.label,
      generatedAt: isoTime(generatedAt),
      links,
      rows: report.rows.length,
      breached,
      worst: worst.map((row) => ({ tenant: row.tenant, slo: row.slo, attainment: row.attainment, budgetConsumedPercent: row.budgetConsumedPercent })),
    },
    attributes: { event_type: REPORT_EVENT_TYPE, severity: 'info', slo: slos.length === 1 ? slos[0]! : 'multiple' },
  };
}
