/**
 * The monthly report's three outputs: JSON (the contract for automation), CSV (the same columns, for a
 * spreadsheet) and a self-contained HTML page (a table and a per-tenant sparkline of budget remaining, inline
 * SVG, no scripts, no network).
 */
import { isoMinute } from '../backtest/cli';
import type { MonthReport, TenantMonthReport } from './monthly';

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
}

export interface ReportRowJson {
  readonly tenant: string;
  readonly slo: string;
  readonly objective: number;
  readonly attainment: number | null;
  readonly budgetConsumedPercent: number;
  readonly badMinutes: number;
  readonly incidents: readonly ReportIncidentJson[];
  readonly mttdMinutes: number | null;
  readonly mttmMinutes: number | null;
}

export interface ReportJson {
  readonly month: string;
  readonly rows: readonly ReportRowJson[];
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
      incidents: row.incidents.map((incident) => ({
        firedAt: new Date(incident.firedAt).toISOString(),
        resolvedAt: incident.resolvedAt === null ? null : new Date(incident.resolvedAt).toISOString(),
        durationMinutes: incident.durationMinutes,
        detectMinutes: incident.detectMinutes,
      })),
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

export function reportHtml(report: MonthReport): string {
  const hoursInMonth = (report.month.end - report.month.start) / 3_600_000;
  const rows = report.rows
    .map((row) => {
      const incidents = row.incidents
        .map((incident) => `${isoMinute(incident.firedAt)} (${incident.durationMinutes === null ? 'still firing' : `${incident.durationMinutes} min`})`)
        .join('<br>');
      const cells = [
        escapeHtml(row.tenant),
        escapeHtml(row.slo),
        `${display(row.objective * 100, 4)} %`,
        row.attainment === null ? '-' : `${display(row.attainment * 100, 4)} %`,
        `${display(row.budgetConsumedPercent)} %`,
        String(row.badMinutes),
        row.incidents.length === 0 ? '0' : `${row.incidents.length}<br><small>${incidents}</small>`,
        display(row.mttdMinutes, 1),
        display(row.mttmMinutes, 1),
        budgetSparkline(row.budgetRemainingHourly, hoursInMonth),
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
(UTC); a bad minute is one whose error ratio exceeded 1 - objective; an incident is an interval in which a page rule
fired. The sparkline shows budget remaining through the month (dashed: zero).</p>
<table id="report">
<thead><tr><th>tenant</th><th>slo</th><th>objective</th><th>attainment</th><th>budget consumed</th><th>bad minutes</th><th>incidents</th><th>MTTD (min)</th><th>MTTM (min)</th><th>budget remaining</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
