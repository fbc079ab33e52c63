/**
 * `burnwatch report`: per-tenant SLO attainment for one calendar month, offline, from a minute series CSV.
 *
 *   burnwatch report --slo <file> --series <csv> --month YYYY-MM [--format json|csv|html] [--out <file>]
 *   burnwatch report --slo <file> --from-stack <name> --month YYYY-MM [--format json|csv|html] [--out <file>]
 *
 * Offline, it reads the series with the backtest's CSV reader and replays it with the backtest's replay, so CSV
 * errors name the line and field the same way and incidents are the intervals the backtest would list.
 * With `--from-stack` it reads a deployed stack instead (lambda/usecases/monthly-report.ts): the state table named
 * by the stack's `StateTableName` output, the incident records in it, and CloudWatch's hourly counts. The SLO
 * definitions still come from `--slo` (the file the stack was deployed with): the stack bundles its config with its
 * functions, where it cannot be read remotely. Exit codes: 0 done, 1 bad input or a failed read, 2 bad options.
 */
import { writeFileSync } from 'node:fs';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DynamoReportSource } from '../../lambda/adapters/report-source';
import type { MonthReport, ReportMonth } from '../../lambda/domain/report';
import type { SloDefinition } from '../../lambda/domain/model';
import type { Log } from '../../lambda/ports';
import { buildStackMonthReport } from '../../lambda/usecases/monthly-report';
import { stateTableFromStack } from '../status';
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
  'from-stack': 'value',
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
  /** `--from-stack` only. @default a CloudFormationClient with credentials and region from the environment */
  readonly cloudFormation?: CloudFormationClient;
  /** `--from-stack` only. @default a DocumentClient with credentials and region from the environment */
  readonly dynamo?: DynamoDBDocumentClient;
  /** `--from-stack` only; give it `maxAttempts: 1`, the metric source retries itself. @default from the environment */
  readonly cloudWatch?: CloudWatchClient;
  /** `--from-stack` only: decides which minute data CloudWatch still keeps. @default Date.now */
  readonly now?: () => number;
}

/** Progress and warnings of the adapters go to stderr, so stdout stays the report. */
function stderrLog(io: CliIo): Log {
  const line = (level: string) => (message: string, data?: Record<string, unknown>) => io.stderr(`${level}: ${message}${data === undefined ? '' : ` ${JSON.stringify(data)}`}\n`);
  return { info: () => undefined, warn: line('warning'), error: line('error') };
}

async function offlineReport(slo: SloDefinition, month: ReportMonth, options: ReadonlyMap<string, string>, deps: ReportDeps): Promise<MonthReport> {
  const seriesFile = requiredOption(options, 'series', 'the per-tenant minute series CSV (timestamp,tenant,total,bad), or --from-stack <name>');
  const builder = new MonthReportBuilder(slo, month, deps.replay);
  await readSeriesCsv(openInput(seriesFile), seriesFile, (tenant, minute, total, bad) => builder.add(tenant, minute, total, bad));
  return builder.finish();
}

async function stackReport(stack: string, slo: SloDefinition, month: ReportMonth, io: CliIo, deps: ReportDeps): Promise<MonthReport> {
  const table = await stateTableFromStack(deps.cloudFormation ?? new CloudFormationClient({}), stack);
  const log = stderrLog(io);
  const now = (deps.now ?? Date.now)();
  if (month.end > now) io.stderr(`note: ${month.label} is not over yet; the report covers it up to now\n`);
  return buildStackMonthReport([slo], month, {
    metrics: new CloudWatchMetricSource(deps.cloudWatch ?? new CloudWatchClient({ maxAttempts: 1 }), { logger: log }),
    source: new DynamoReportSource(deps.dynamo ?? DynamoDBDocumentClient.from(new DynamoDBClient({})), table),
    log,
  }, now);
}

/** Runs the command for parsed options; returns the exit code. */
export async function reportCommand(options: ReadonlyMap<string, string>, io: CliIo, deps: ReportDeps = {}): Promise<number> {
  return runCommand(io, 'report', async () => {
    const format = reportFormat(options);
    const month = parseMonth(requiredOption(options, 'month', 'the calendar month to report, YYYY-MM'));
    const sloFile = requiredOption(options, 'slo', 'a Burnwatch or OpenSLO v1 SLO file; with --from-stack, the one the stack was deployed with');
    const stack = options.get('from-stack');
    if (stack !== undefined && options.has('series')) throw new CliUsageError('--series: not with --from-stack (the stack is the source), got both');
    const sloName = options.get('slo-name');
    const loaded = loadSloFile(sloFile, sloName === undefined ? {} : { sloName });
    for (const note of loaded.notes) io.stderr(`note: ${note}\n`);

    const report = stack === undefined ? await offlineReport(loaded.slo, month, options, deps) : await stackReport(stack, loaded.slo, month, io, deps);
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
