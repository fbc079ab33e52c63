/**
 * Configuration problems and the one error that reports all of them. Each problem reads
 * `<path>: <what is allowed>, got <given>`, e.g. `slos[1].objective: must be a number > 0 and < 100, got 100`.
 */

export type PathSegment = string | number;
export type ConfigPath = readonly PathSegment[];

export interface ConfigProblem {
  readonly path: ConfigPath;
  /** What is allowed, starting with a verb: `must be ...`, `may ...`. */
  readonly allowed: string;
  /** What was given, already formatted for the message. */
  readonly given: string;
  /** Where the value is in the source file, e.g. `burnwatch.yaml:12:5`, when loaded from one. */
  readonly location?: string;
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const MAX_GIVEN_LENGTH = 80;

/** `['slos', 1, 'sli', 'metrics', 'm5xx']` -> `slos[1].sli.metrics.m5xx`; odd keys are quoted: `overrides["tenant a"]`. */
export function formatPath(path: ConfigPath): string {
  if (path.length === 0) return '(config)';
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** A given value as it should appear after `got`: strings quoted, structures as short JSON, absence as `nothing`. */
export function formatGiven(given: unknown): string {
  if (given === undefined) return 'nothing';
  if (typeof given === 'number' || typeof given === 'boolean' || given === null) return String(given);
  if (typeof given === 'bigint' || typeof given === 'symbol' || typeof given === 'function') return `a ${typeof given}`;
  let text: string;
  try {
    text = JSON.stringify(given);
  } catch {
    text = Array.isArray(given) ? 'an array' : 'an object';
  }
  return text.length > MAX_GIVEN_LENGTH ? `${text.slice(0, MAX_GIVEN_LENGTH - 3)}...` : text;
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.location ? ` (${problem.location})` : '';
  return `${formatPath(problem.path)}: ${problem.allowed}, got ${problem.given}${where}`;
}

/** Thrown at synth, before any resource exists, with every problem found in the configuration. */
export class BurnwatchConfigError extends Error {
  declare readonly problems: readonly ConfigProblem[];
  declare readonly source: string | undefined;

  constructor(problems: readonly ConfigProblem[], source?: string) {
    const from = source ? ` in ${source}` : '';
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`Invalid Burnwatch configuration${from} (${count}):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
    this.name = 'BurnwatchConfigError';
    // Not enumerable: an uncaught error then prints as its message alone, which already lists every problem.
    Object.defineProperty(this, 'problems', { value: problems, enumerable: false });
    Object.defineProperty(this, 'source', { value: source, enumerable: false });
  }
}

/** The config file cannot be read or parsed; names the file and, for syntax errors, the line. */
export class BurnwatchConfigFileError extends Error {
  declare readonly file: string;

  constructor(file: string, detail: string) {
    super(`Burnwatch configuration ${file}: ${detail}`);
    this.name = 'BurnwatchConfigFileError';
    Object.defineProperty(this, 'file', { value: file, enumerable: false });
  }
}
