/**
 * What the `backtest` and `status` commands share: where output goes, how an error becomes an exit code, and
 * plain-text tables. Results go to stdout (one JSON document with `--format json`); progress, notes and errors
 * go to stderr, so stdout can be piped.
 */

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The process's streams, looked up at each write (so a test can watch them). */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}

/** An option is missing, conflicts with another or has a value outside what is allowed. Exit code 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * Runs a command body and maps its outcome to an exit code: usage problems (this module's, and the
 * `UsageError` of bin/burnwatch.ts, matched by name to keep the modules acyclic) give 2, every other error 1.
 * The message goes to stderr; nothing is swallowed.
 */
export async function runCommand(io: CliIo, command: string, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof Error)) {
      io.stderr(`burnwatch ${command}: ${String(error)}\n`);
      return EXIT_FAILED;
    }
    const usage = error instanceof CliUsageError || error.name === 'UsageError';
    io.stderr(`burnwatch ${command}: ${usage ? error.message : `${error.name}: ${error.message}`}\n`);
    if (usage) io.stderr(`run "burnwatch help" for the options of ${command}\n`);
    return usage ? EXIT_USAGE : EXIT_FAILED;
  }
}

/** `--format`: `table` (default) or `json`. */
export function outputFormat(options: ReadonlyMap<string, string>): 'table' | 'json' {
  const format = options.get('format') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new CliUsageError(`--format: must be json or table, got ${JSON.stringify(format)}`);
  return format;
}

export function requiredOption(options: ReadonlyMap<string, string>, name: string, what: string): string {
  const value = options.get(name);
  if (value === undefined) throw new CliUsageError(`--${name}: required (${what})`);
  return value;
}

/** ISO-8601 with minute precision, `2026-01-05T10:07Z`, for tables. */
export function isoMinute(at: number): string {
  return new Date(at).toISOString().replace(/:00\.000Z$/, 'Z');
}

/** Left-aligned columns separated by two spaces, a header line first. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
