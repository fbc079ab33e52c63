/**
 * `burnwatch backtest`: replays history through the evaluator's rules to tune thresholds before they page anyone.
 *
 *   burnwatch backtest --slo <slo.yaml> --series <series.csv> [--incidents <incidents.csv>] [--format json|table]
 *
 * The series is `timestamp,tenant,total,bad` per tenant and minute for a ratio SLO, `timestamp,tenant,value` (the
 * minute's statistic, e.g. p99) for a threshold SLO; a time-slice SLO's minutes are judged as the evaluator does.
 *   burnwatch backtest --slo <slo.yaml> --from-cloudwatch --start <iso> --end <iso> [--tenants a,b] ...
 *
 * The SLO file is Burnwatch YAML or OpenSLO v1 (lib/config/slo-file.ts). Results go to stdout; progress (every
 * few seconds, unless --quiet), notes and errors go to stderr. Exit codes: 0 done, 1 bad input or a failed read,
 * 2 bad options.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DAY_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { Log } from '../../lambda/ports';
import { loadSloFile } from '../../lib/config/slo-file';
import type { LoadedSlo } from '../../lib/config/slo-file';
import { CliUsageError, isoMinute, outputFormat, requiredOption, runCommand } from './cli';
import type { CliIo } from './cli';
import { pullSeries } from './cloudwatch';
import { ISO_MINUTE_ALLOWED, openInput, parseIsoTime, readIncidentsCsv, readSloSeriesCsv } from './csv';
import type { SeriesSink } from './csv';
import { BacktestReplay } from './replay';
import type { ReplayOptions, ReplayResult } from './replay';
import { backtestJson, backtestTable } from './report';
import { scoreRules } from './score';
import type { LabelledIncident } from './score';

/** The options `parseOptions` (bin/burnwatch.ts) accepts for `backtest`. */
export const BACKTEST_OPTIONS = {
  slo: 'value',
  'slo-name': 'value',
  series: 'value',
  incidents: 'value',
  format: 'value',
  quiet: 'flag',
  'from-cloudwatch': 'flag',
  start: 'value',
  end: 'value',
  tenants: 'value',
} as const satisfies Readonly<Record<string, 'value' | 'flag'>>;

/** CloudWatch keeps 1-minute datapoints for 15 days; older ones only at 5 minutes or coarser, which a replay cannot use. */
export const CLOUDWATCH_MINUTE_RETENTION_DAYS = 15;

export interface BacktestDeps {
  /** For --from-cloudwatch. @default a CloudWatchClient with credentials and region from the environment */
  readonly cloudWatch?: CloudWatchClient;
  /** Monotonic clock for progress, ms. @default performance.now */
  readonly clock?: () => number;
  /** Wall-clock time, epoch ms, to check --start against CloudWatch's minute retention. @default Date.now */
  readonly now?: () => number;
  /** Progress is printed at most this often, ms. @default 5000 */
  readonly progressEveryMs?: number;
  /** Rows read between two looks at the clock. @default 65536 */
  readonly rowsPerClockCheck?: number;
  readonly replay?: ReplayOptions;
}

/** Rows between two looks at the clock: cheap enough per row, frequent enough for a line every few seconds. */
const ROWS_PER_CLOCK_CHECK = 1 << 16;

class Progress {
  private readonly started: number;
  private last: number;

  constructor(
    private readonly io: CliIo,
    private readonly clock: () => number,
    private readonly quiet: boolean,
    private readonly everyMs: number,
  ) {
    this.started = clock();
    this.last = this.started;
  }

  maybeReport(replay: BacktestReplay): void {
    if (this.quiet) return;
    const now = this.clock();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    const at = replay.currentMinute === null ? '-' : isoMinute(replay.currentMinute);
    this.io.stderr(
      `backtest: ${replay.rows.toLocaleString('en-US')} rows, ${replay.tenantCount.toLocaleString('en-US')} tenants, at ${at}, ${this.rate(replay.rows, now)} rows/s\n`,
    );
  }

  done(result: ReplayResult): void {
    if (this.quiet) return;
    const now = this.clock();
    const minutes = result.from === null || result.to === null ? 0 : (result.to - result.from) / MINUTE_MS;
    const tenantMinutes = minutes * result.tenants;
    const evaluated = tenantMinutes === 0 ? 0 : (100 * result.evaluations) / tenantMinutes;
    this.io.stderr(
      `backtest: ${result.rows.toLocaleString('en-US')} rows, ${result.tenants.toLocaleString('en-US')} tenants, ` +
        `${minutes.toLocaleString('en-US')} minutes in ${((now - this.started) / 1000).toFixed(1)} s ` +
        `(${this.rate(result.rows, now)} rows/s; ${evaluated.toFixed(1)} % of tenant-minutes evaluated in full)\n`,
    );
  }

  private rate(rows: number, now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 1e-3);
    return Math.round(rows / seconds).toLocaleString('en-US');
  }
}

function isoMinuteOption(options: ReadonlyMap<string, string>, name: string): number {
  const text = requiredOption(options, name, 'with --from-cloudwatch');
  const at = parseIsoTime(text);
  if (at === null || at % MINUTE_MS !== 0) throw new CliUsageError(`--${name}: ${ISO_MINUTE_ALLOWED}, got ${JSON.stringify(text)}`);
  return at;
}

function stderrLog(io: CliIo): Log {
  const line = (level: string) => (message: string, data?: Record<string, unknown>) =>
    io.stderr(`${level}: ${message}${data === undefined ? '' : ` ${JSON.stringify(data)}`}\n`);
  return { info: () => undefined, warn: line('warning'), error: line('error') };
}

interface SeriesInput {
  readonly label: string;
  read(sink: SeriesSink): Promise<void>;
}

function seriesInput(options: ReadonlyMap<string, string>, io: CliIo, deps: BacktestDeps, loaded: LoadedSlo): SeriesInput {
  if (!options.has('from-cloudwatch')) {
    for (const name of ['start', 'end', 'tenants']) {
      if (options.has(name)) throw new CliUsageError(`--${name}: only with --from-cloudwatch`);
    }
    const file = requiredOption(options, 'series', 'the per-tenant minute series CSV, or --from-cloudwatch');
    return { label: file, read: async (sink) => void (await readSloSeriesCsv(openInput(file), file, loaded.slo, sink)) };
  }
  if (options.has('series')) throw new CliUsageError('--series: give either --series or --from-cloudwatch, not both');
  const from = isoMinuteOption(options, 'start');
  const to = isoMinuteOption(options, 'end');
  if (!(to > from)) throw new CliUsageError(`--end: must be later than --start (${new Date(from).toISOString()}), got ${options.get('end')}`);
  const oldest = (deps.now ?? Date.now)() - CLOUDWATCH_MINUTE_RETENTION_DAYS * DAY_MS;
  if (from < oldest) {
    throw new CliUsageError(
      `--start: CloudWatch keeps 1-minute datapoints for ${CLOUDWATCH_MINUTE_RETENTION_DAYS} days; must be after ${new Date(oldest).toISOString()}, got ${options.get('start')}`,
    );
  }
  const tenantsText = options.get('tenants');
  const tenants = tenantsText?.split(',').map((tenant) => tenant.trim()).filter((tenant) => tenant !== '');
  if (tenants !== undefined && tenants.length === 0) throw new CliUsageError(`--tenants: must list tenant ids separated by commas, got ${JSON.stringify(tenantsText)}`);
  if (loaded.cloudWatchProblems.length > 0) {
    throw new CliUsageError(`--from-cloudwatch: the SLO's SLI cannot be read from CloudWatch:\n  - ${loaded.cloudWatchProblems.join('\n  - ')}`);
  }
  return {
    label: `CloudWatch ${isoMinute(from)} to ${isoMinute(to)}`,
    read: async (sink) => {
      const client = deps.cloudWatch ?? new CloudWatchClient({ maxAttempts: 1 });
      const source = new CloudWatchMetricSource(client, { logger: stderrLog(io) });
      await pullSeries(source, { slo: loaded.slo, from, to, ...(tenants !== undefined && { tenants }) }, sink);
    },
  };
}

/** One line per reason, naming a few tenants: a file of 1,000 tenants against a listed SLO is not 997 lines. */
function ignoredTenantNotes(ignored: ReadonlyMap<string, string>): string[] {
  const byReason = new Map<string, string[]>();
  for (const [tenant, reason] of ignored) {
    const tenants = byReason.get(reason);
    if (tenants === undefined) byReason.set(reason, [tenant]);
    else tenants.push(tenant);
  }
  return [...byReason].map(([reason, tenants]) => {
    const named = tenants.slice(0, 10).join(', ');
    const more = tenants.length > 10 ? ` and ${tenants.length - 10} more` : '';
    return `${tenants.length} tenant(s) not replayed, ${reason}: ${named}${more}`;
  });
}

/** Runs the command for parsed options; returns the exit code. */
export async function backtestCommand(options: ReadonlyMap<string, string>, io: CliIo, deps: BacktestDeps = {}): Promise<number> {
  return runCommand(io, 'backtest', async () => {
    const format = outputFormat(options);
    const sloFile = requiredOption(options, 'slo', 'a Burnwatch or OpenSLO v1 SLO file');
    const sloName = options.get('slo-name');
    const loaded = loadSloFile(sloFile, sloName === undefined ? {} : { sloName });
    const input = seriesInput(options, io, deps, loaded);
    for (const note of loaded.notes) io.stderr(`note: ${note}\n`);

    // Incidents first: a mistake in the small file should not wait for a long replay.
    const incidentsFile = options.get('incidents');
    const incidents: LabelledIncident[] | null = incidentsFile === undefined ? null : await readIncidentsCsv(openInput(incidentsFile), incidentsFile);

    const replay = new BacktestReplay(loaded.slo, deps.replay);
    const progress = new Progress(io, deps.clock ?? (() => performance.now()), options.has('quiet'), deps.progressEveryMs ?? 5000);
    const rowsPerCheck = deps.rowsPerClockCheck ?? ROWS_PER_CLOCK_CHECK;
    let rows = 0;
    await input.read((tenant, minute, total, bad) => {
      replay.add(tenant, minute, total, bad);
      rows += 1;
      if (rows % rowsPerCheck === 0) progress.maybeReport(replay);
    });
    const result = replay.finish();
    progress.done(result);

    for (const line of ignoredTenantNotes(result.ignoredTenants)) io.stderr(`note: ${line}\n`);
    const scores = incidents === null ? null : scoreRules(loaded.slo.rules, result.alerts, incidents);
    if (incidents !== null) {
      const unknown = [...new Set(incidents.map((incident) => incident.tenant))].filter((tenant) => !result.replayedTenants.has(tenant));
      // Still counted: an incident of a tenant without data is one no rule detected.
      if (unknown.length > 0) io.stderr(`note: incidents of tenants without replayed rows count as missed: ${unknown.join(', ')}\n`);
    }
    io.stdout(
      format === 'json'
        ? `${JSON.stringify(backtestJson(result.alerts, scores))}\n`
        : backtestTable({ slo: loaded.slo, input: input.label, replay: result, scores, incidents: incidents?.length ?? 0 }),
    );
  });
}
