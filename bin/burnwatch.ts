#!/usr/bin/env node
/**
 * The `burnwatch` command line, thin over the domain and adapters:
 *   burnwatch demo [--scenario <file>] [--out <dir>] [--quiet]
 *   burnwatch backtest --slo <slo.yaml> --series <series.csv> [--incidents <incidents.csv>] [--format json|table]
 *   burnwatch status --stack <name> [--table <name>] [--slo <name>] [--format json|table]
 *   burnwatch report --slo <file> (--series <csv> | --from-stack <name>) --month YYYY-MM [--format json|csv|html] [--out <file>]
 */
import { resolve } from 'node:path';
import { runDemo } from '../cli/demo/run';
import { BACKTEST_OPTIONS, backtestCommand } from '../cli/backtest/main';
import { processIo } from '../cli/backtest/cli';
import { STATUS_OPTIONS, statusCommand } from '../cli/status';
import { REPORT_OPTIONS, reportCommand } from '../cli/report/main';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const USAGE = `usage:
  burnwatch demo [--scenario <file>] [--out <dir>] [--quiet]
      Runs the whole pipeline offline on a scenario (default: examples/scenarios/default-day.yaml)
      and writes demo-report.html and demo-summary.json into <dir> (default: the current directory).
  burnwatch backtest --slo <slo.yaml> [--slo-name <name>] --series <series.csv> [--incidents <incidents.csv>]
                     [--format json|table] [--quiet]
  burnwatch backtest --slo <slo.yaml> --from-cloudwatch --start <iso> --end <iso> [--tenants a,b] ...
      Replays per-tenant minute counts (CSV timestamp,tenant,total,bad, or CloudWatch) through the evaluator's
      rules and lists when each rule would have fired; with labelled incidents (CSV tenant,start,end) it scores
      each rule's precision, recall, detection and reset time. The SLO file is Burnwatch YAML or OpenSLO v1.
  burnwatch status --stack <name> [--table <name>] [--slo <name>] [--format json|table]
      Lists every tenant's alert state from the state table (--table, or the stack's StateTableName output),
      least error budget remaining first.
  burnwatch report --slo <file> [--slo-name <name>] --series <series.csv> --month YYYY-MM
                   [--format json|csv|html] [--out <file>]
      Per tenant, worst first, for one calendar month (UTC): attainment, budget consumed, bad minutes,
      incidents (page rules firing, as the backtest replays them), mean time to detect and to mitigate.
      Rows before the month are history for the alert windows only.
  burnwatch report --slo <file> [--slo-name <name>] --from-stack <name> --month YYYY-MM [--format json|csv|html] [--out <file>]
      The same rows from a deployed stack: its state table (StateTableName output) and incident records, and
      CloudWatch's hourly counts. --slo is the SLO file the stack was deployed with. Bad minutes are "-" (hourly
      data cannot tell them); time to detect needs minute data, which CloudWatch keeps for 15 days.`;

/** Parses `--name value` and `--flag` options; unknown options are an error naming them and the allowed ones. */
export function parseOptions(args: readonly string[], allowed: Readonly<Record<string, 'value' | 'flag'>>): Map<string, string> {
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const kind = name === undefined ? undefined : allowed[name];
    if (name === undefined || kind === undefined) {
      throw new UsageError(`unknown argument ${JSON.stringify(arg)}; allowed: ${Object.keys(allowed).map((k) => `--${k}`).join(', ')}`);
    }
    if (kind === 'flag') {
      options.set(name, 'true');
      continue;
    }
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name}: needs a value, got nothing`);
    options.set(name, value);
    i += 1;
  }
  return options;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const options = parseOptions(rest, { scenario: 'value', out: 'value', quiet: 'flag' });
      await runDemo({
        scenarioPath: options.get('scenario') ?? resolve(__dirname, '..', 'examples', 'scenarios', 'default-day.yaml'),
        outDir: options.get('out') ?? process.cwd(),
        quiet: options.has('quiet'),
        write: (line) => process.stdout.write(`${line}\n`),
      });
      return 0;
    }
    case 'backtest':
      return backtestCommand(parseOptions(rest, BACKTEST_OPTIONS), processIo());
    case 'status':
      return statusCommand(parseOptions(rest, STATUS_OPTIONS), processIo());
    case 'report':
      return reportCommand(parseOptions(rest, REPORT_OPTIONS), processIo());
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; allowed: demo, backtest, status, report, help`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      process.stderr.write(`burnwatch: ${message}\n${error instanceof UsageError ? `${USAGE}\n` : ''}`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}
