/**
 * `burnwatch report`: per-tenant SLO attainment for one calendar month, offline, from a minute series CSV.
 *
 *   burnwatch report --slo <file> --series <csv> --month YYYY-MM [--format json|csv|html] [--out <file>]
 *
 * Reads the series with the backtest's CSV reader and replays it with the backtest's replay, so CSV errors name
 * the line and field the same way and incidents are the intervals the backtest would list. Exit codes: 0 done,
 * 1 bad input or a failed read, 2 bad options.
 */
import { writeFileSync } from 'node:fs';
import { loadSloFile } from '../../lib/config/slo-file';
import { CliUsageError, requiredOption, runCommand } from '../backtest/cli';
import type { CliIo } from '../backtest/cli';
import { openInput, readSeriesCsv } from '../backtest/csv';
import type { ReplayOptions } from '../backtest/replay';
import { MonthReportBuilder, parseMonth } from './monthly';
import { reportCsv, reportHtml, reportJson } from './render';

/** The options `parseOptions` (bin/burnwatch.ts) accepts for `report`. */
export const REPORT_OPTIONS = {
  slo: 'value',
  'slo-name': 'value',
  series: 'value',
  month: 'value',
  format: 'value',
  out: 'value',
} as const satisfies Readonly<Record<string, 'value' | 'flag'>>;

export type ReportFormat = 'json' | 'csv' | 'html';
const FORMATS: readonly ReportFormat[] = ['json', 'csv', 'html'];

function reportFormat(options: ReadonlyMap<string, string>): ReportFormat {
  const format = options.get('format') ?? 'json';
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliUsageError(`--format: must be ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  return format as ReportFormat;
}

export interface ReportDeps {
  readonly replay?: ReplayOptions;
}

/** Runs the command for parsed options; returns the exit code. */
export async function reportCommand(options: ReadonlyMap<string, string>, io: CliIo, deps: ReportDeps = {}): Promise<number> {
  return runCommand(io, 'report', async () => {
    const format = reportFormat(options);
    const month = parseMonth(requiredOption(options, 'month', 'the calendar month to report, YYYY-MM'));
    const sloFile = requiredOption(options, 'slo', 'a Burnwatch or OpenSLO v1 SLO file');
    const seriesFile = requiredOption(options, 'series', 'the per-tenant minute series CSV (timestamp,tenant,total,bad)');
    const sloName = options.get('slo-name');
    const loaded = loadSloFile(sloFile, sloName === undefined ? {} : { sloName });
    for (const note of loaded.notes) io.stderr(`note: ${note}\n`);

    const builder = new MonthReportBuilder(loaded.slo, month, deps.replay);
    await readSeriesCsv(openInput(seriesFile), seriesFile, (tenant, minute, total, bad) => builder.add(tenant, minute, total, bad));
    const report = builder.finish();
    for (const [tenant, reason] of report.ignoredTenants) io.stderr(`note: tenant ${JSON.stringify(tenant)} not reported, ${reason}\n`);

    const text = format === 'json' ? `${JSON.stringify(reportJson(report))}\n` : format === 'csv' ? reportCsv(report) : reportHtml(report);
    const out = options.get('out');
    if (out === undefined) io.stdout(text);
    else {
      writeFileSync(out, text);
      io.stderr(`report: ${report.rows.length} tenant(s) for ${month.label} written to ${out}\n`);
    }
  });
}
