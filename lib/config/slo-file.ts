/**
 * Loads one SLO from a file in either format: Burnwatch's own YAML (the stack config: `slos: [...]`) or OpenSLO v1
 * (`apiVersion: openslo/v1`, `kind: SLO`, several documents allowed). The result is the normalised
 * `SloDefinition` the evaluator runs, so a backtest replays exactly what would be deployed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { SloDefinition } from '../../lambda/domain/model';
import { formatProblem } from './errors';
import { parseBurnwatchYaml } from './load';
import { normalizeBurnwatchProps, normalizeSlo } from './normalize';
import { convertOpenSlo, isOpenSloDocument } from './openslo';

export type SloFileFormat = 'burnwatch' | 'openslo';

export interface LoadedSlo {
  readonly format: SloFileFormat;
  readonly source: string;
  readonly slo: SloDefinition;
  /**
   * Why the SLI cannot be read from CloudWatch (an OpenSLO SLI from another metric source); empty when it can.
   * When not empty, `slo.sli` is a stand-in that must not be queried.
   */
  readonly cloudWatchProblems: readonly string[];
  /** Fields read but without effect in Burnwatch, each with the reason. */
  readonly notes: readonly string[];
}

export interface SloFileOptions {
  /** Picks one SLO when the file defines several. */
  readonly sloName?: string;
}

/** The file cannot be read, or the SLO to use cannot be chosen; names the file and what to do. */
export class SloFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'SloFileError';
  }
}

function choose<T>(source: string, candidates: readonly { readonly name: string; readonly value: T }[], sloName: string | undefined): T {
  const names = candidates.map((candidate) => candidate.name);
  if (sloName !== undefined) {
    const match = candidates.find((candidate) => candidate.name === sloName);
    if (match === undefined) throw new SloFileError(source, `--slo-name: no SLO named ${JSON.stringify(sloName)}; choices: ${names.join(', ')}`);
    return match.value;
  }
  const only = candidates[0];
  if (candidates.length !== 1 || only === undefined) {
    throw new SloFileError(source, `defines ${candidates.length} SLOs (${names.join(', ')}): pick one with --slo-name`);
  }
  return only.value;
}

function loadOpenSlo(documents: readonly unknown[], source: string, options: SloFileOptions): LoadedSlo {
  const slos = documents.filter((doc) => (doc as { kind?: unknown }).kind === 'SLO');
  // With no SLO document, converting the first one reports its wrong kind (or apiVersion) by field.
  const candidates = (slos.length > 0 ? slos : documents.slice(0, 1)).map((doc, index) => {
    const metadata = (doc as { metadata?: { name?: unknown } }).metadata;
    return { name: typeof metadata?.name === 'string' ? metadata.name : `(document ${index + 1})`, value: doc };
  });
  const chosen = choose(source, candidates, options.sloName);
  const conversion = convertOpenSlo(chosen, source);
  const ignored = documents.length - slos.length;
  const notes = [...conversion.notes];
  if (slos.length > 0 && ignored > 0) notes.push(`${ignored} document(s) of other kinds ignored: only inline SLO documents are read`);
  return {
    format: 'openslo',
    source,
    slo: normalizeSlo(conversion.props),
    cloudWatchProblems: conversion.sliProblems.map(formatProblem),
    notes,
  };
}

/** Parses the text of an SLO file; `source` names it in messages. */
export function parseSloFile(text: string, source: string, options: SloFileOptions = {}): LoadedSlo {
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  const parsed = Array.isArray(documents) ? documents : [];
  const clean = parsed.length > 0 && parsed.every((doc) => doc.errors.length === 0);
  const values = clean ? parsed.map((doc) => doc.toJS() as unknown) : [];
  if (values.length > 0 && values.every(isOpenSloDocument)) return loadOpenSlo(values, source, options);
  // Everything else, syntax errors included, is read as Burnwatch YAML, whose loader names the line of each problem.
  const props = parseBurnwatchYaml(text, source);
  const slos = normalizeBurnwatchProps(props, source).runtime.slos;
  const slo = choose(source, slos.map((value) => ({ name: value.name, value })), options.sloName);
  return { format: 'burnwatch', source, slo, cloudWatchProblems: [], notes: [] };
}

/** Reads an SLO file; a relative path is taken from the current directory. */
export function loadSloFile(file: string, options: SloFileOptions = {}): LoadedSlo {
  const path = resolve(file);
  if (!existsSync(path)) throw new SloFileError(file, `file not found (looked for ${path})`);
  if (!statSync(path).isFile()) throw new SloFileError(file, `is not a file (${path})`);
  return parseSloFile(readFileSync(path, 'utf8'), file, options);
}
