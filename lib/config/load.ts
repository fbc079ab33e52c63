/**
 * Loads `BurnwatchProps` from a YAML file (`cdk deploy -c config=burnwatch.yaml`). Syntax errors name the line;
 * every type or range problem names the field path and the line it is on.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, isNode, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { BurnwatchConfigError, BurnwatchConfigFileError } from './errors';
import type { ConfigPath, ConfigProblem } from './errors';
import type { BurnwatchProps } from './props';
import { validateBurnwatchProps } from './validate';

/** Line and column of the deepest node on `path` that exists, e.g. the SLO for a missing `slos[0].sli`. */
function locate(doc: Document, lineCounter: LineCounter, source: string, path: ConfigPath): string | undefined {
  for (let length = path.length; length >= 0; length -= 1) {
    const node: unknown = length === 0 ? doc.contents : doc.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) {
      const { line, col } = lineCounter.linePos(node.range[0]);
      return `${source}:${line}:${col}`;
    }
  }
  return undefined;
}

/** Parses and validates YAML text; `source` names it in messages (usually the file path). */
export function parseBurnwatchYaml(text: string, source: string): BurnwatchProps {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const syntaxProblems = [...doc.errors, ...doc.warnings];
  if (syntaxProblems.length > 0) {
    const details = syntaxProblems.map((problem) => {
      const position = problem.linePos?.[0];
      const where = position ? `${source}:${position.line}:${position.col}` : source;
      // prettyErrors appends the position and the offending line with a caret; `where` already says it.
      const message = (problem.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return `  - ${where}: ${message}`;
    });
    throw new BurnwatchConfigFileError(source, `is not valid YAML:\n${details.join('\n')}`);
  }
  const value: unknown = doc.toJS();
  const problems = validateBurnwatchProps(value);
  if (problems.length > 0) {
    const located: ConfigProblem[] = problems.map((problem) => {
      const location = locate(doc, lineCounter, source, problem.path);
      return location === undefined ? problem : { ...problem, location };
    });
    throw new BurnwatchConfigError(located, source);
  }
  return value as BurnwatchProps;
}

/** Reads a YAML config file; a relative path is taken from the current directory (the CDK app's root). */
export function loadBurnwatchConfig(file: string): BurnwatchProps {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new BurnwatchConfigFileError(file, `file not found (looked for ${path}); pass the path with -c config=<file>`);
  }
  if (!statSync(path).isFile()) throw new BurnwatchConfigFileError(file, `is not a file (${path})`);
  return parseBurnwatchYaml(readFileSync(path, 'utf8'), file);
}
