/**
 * The backtest's CSV inputs, streamed line by line with readline so a 43-million-row series never sits in memory:
 * the per-tenant minute series (`timestamp,tenant,total,bad` for a ratio SLO, `timestamp,tenant,value` with the
 * per-minute statistic for a threshold SLO) and the labelled incidents (`tenant,start,end`).
 * Every rejected line names the file, the line number, the field, what is allowed and what was given.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { SloDefinition } from '../../lambda/domain/model';
import { meetsTarget, meetsThreshold, ratioSliceTarget } from '../../lambda/domain/time-slices';
import { ReplayInputError } from './replay';
import type { LabelledIncident } from './score';

export const SERIES_COLUMNS = ['timestamp', 'tenant', 'total', 'bad'] as const;
/** A threshold SLO's series: the statistic (e.g. p99) of each tenant's minute. */
export const VALUE_SERIES_COLUMNS = ['timestamp', 'tenant', 'value'] as const;
export const INCIDENT_COLUMNS = ['tenant', 'start', 'end'] as const;

/** One line of a CSV input is unusable: `series.csv:17: bad: must be a number >= 0 and <= total, got "x"`. */
export class CsvInputError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly field: string | null,
    detail: string,
  ) {
    super(`${source}:${line}: ${field === null ? '' : `${field}: `}${detail}`);
    this.name = 'CsvInputError';
  }
}

/** The input file cannot be opened. */
export class CsvFileError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'CsvFileError';
  }
}

// ISO-8601 date-time with an explicit zone: without one, Date.parse would use the machine's local time.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Epoch ms of an ISO-8601 date-time with a zone (`2026-01-05T10:07:00Z`), or null when it is not one. */
export function parseIsoTime(text: string): number | null {
  if (!ISO_TIME.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
}

export const ISO_TIME_ALLOWED = 'must be an ISO-8601 time with a zone, e.g. 2026-01-05T10:07:00Z';
export const ISO_MINUTE_ALLOWED = 'must be an ISO-8601 time with a zone on a whole minute, e.g. 2026-01-05T10:07:00Z';

/** Opens a file for streaming, with a clear error when it is missing (a stream error would only say ENOENT). */
export function openInput(file: string): Readable {
  const path = resolve(file);
  if (!existsSync(path)) throw new CsvFileError(file, `file not found (looked for ${path})`);
  if (!statSync(path).isFile()) throw new CsvFileError(file, `is not a file (${path})`);
  return createReadStream(path);
}

/** Splits one line; quoted fields (RFC 4180, within the line) are supported for tenant ids with commas. */
function splitLine(text: string, source: string, line: number): string[] {
  if (!text.includes('"')) return text.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else quoted = false;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) throw new CsvInputError(source, line, null, 'unterminated quoted field (a field cannot span lines)');
  fields.push(field);
  return fields;
}

/**
 * Streams `input` as CSV with the given columns (in any order in the header) and calls `onRecord` with each
 * record's fields in `columns` order. Blank lines are skipped. Returns the number of records.
 */
export async function readCsv(
  input: Readable,
  source: string,
  columns: readonly string[],
  onRecord: (fields: readonly string[], line: number) => void,
  /** Said after a wrong header, e.g. which SLO kind wants these columns. */
  headerNote = '',
): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  let order: number[] | null = null;
  let identity = true;
  let records = 0;
  try {
    for await (const raw of lines) {
      line += 1;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      const fields = splitLine(text, source, line);
      if (order === null) {
        const header = fields.map((name) => name.trim());
        const sorted = (names: readonly string[]): string => [...names].sort().join(',');
        if (header.length !== columns.length || sorted(header) !== sorted(columns)) {
          throw new CsvInputError(source, line, null, `header must be ${columns.join(',')} (any order)${headerNote}, got ${JSON.stringify(text)}`);
        }
        order = columns.map((column) => header.indexOf(column));
        identity = order.every((position, index) => position === index);
        continue;
      }
      if (fields.length !== columns.length) {
        throw new CsvInputError(source, line, null, `must have ${columns.length} fields (${columns.join(',')}), got ${fields.length}: ${JSON.stringify(text)}`);
      }
      const positions = order;
      onRecord(identity ? fields : positions.map((position) => fields[position] as string), line);
      records += 1;
    }
  } finally {
    // A rejected line stops the read: release the file now rather than when the stream is collected.
    lines.close();
    input.destroy();
  }
  if (order === null) throw new CsvInputError(source, 1, null, `header must be ${columns.join(',')}${headerNote}, got an empty file`);
  return records;
}

/** A count field: a finite number >= 0 (and <= total for bad). */
function count(text: string, max: number, field: string, source: string, line: number): number {
  if (text === '0') return 0; // most bad counts: skip the number parse
  // Number('') and Number(' ') are 0: a blank field must not read as "no events".
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!(value >= 0 && value <= max)) {
    const allowed = max === Infinity ? 'must be a number >= 0' : 'must be a number >= 0 and <= total';
    throw new CsvInputError(source, line, field, `${allowed}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Receives each row of the series: the counts of one tenant in the minute starting at `minute` (epoch ms). */
export type SeriesSink = (tenant: string, minute: number, total: number, bad: number) => void;

/**
 * Streams a series CSV (`timestamp,tenant,total,bad`, one row per tenant per minute, timestamps not decreasing)
 * into `sink`. A `ReplayInputError` thrown by the sink (e.g. a repeated tenant-minute) is reported with the line.
 */
export async function readSeriesCsv(input: Readable, source: string, sink: SeriesSink, headerNote = ''): Promise<number> {
  const minuteOf = minuteReader(source);
  return readCsv(
    input,
    source,
    SERIES_COLUMNS,
    (fields, line) => {
      const [timestamp, tenant, totalText, badText] = fields as [string, string, string, string];
      const minute = minuteOf(timestamp, tenant, line);
      const total = count(totalText, Infinity, 'total', source, line);
      const bad = count(badText, total, 'bad', source, line);
      try {
        sink(tenant, minute, total, bad);
      } catch (error) {
        throw withLine(error, source, line);
      }
    },
    headerNote,
  );
}

/** Receives each row of a threshold SLO's series: the statistic of one tenant's minute starting at `minute`. */
export type ValueSink = (tenant: string, minute: number, value: number) => void;

/** Streams a value series CSV (`timestamp,tenant,value`, timestamps not decreasing) into `sink`. */
export async function readValueSeriesCsv(input: Readable, source: string, sink: ValueSink, headerNote = ''): Promise<number> {
  const minuteOf = minuteReader(source);
  return readCsv(
    input,
    source,
    VALUE_SERIES_COLUMNS,
    (fields, line) => {
      const [timestamp, tenant, valueText] = fields as [string, string, string];
      const minute = minuteOf(timestamp, tenant, line);
      // Number('') is 0: a blank statistic must not read as a fast minute.
      const value = valueText.trim() === '' ? Number.NaN : Number(valueText);
      if (!Number.isFinite(value)) throw new CsvInputError(source, line, 'value', `must be a finite number (the minute's statistic, e.g. its p99), got ${JSON.stringify(valueText)}`);
      try {
        sink(tenant, minute, value);
      } catch (error) {
        throw withLine(error, source, line);
      }
    },
    headerNote,
  );
}

/**
 * Streams the series of `slo` into `sink` as the budget counts it: a ratio SLO's rows as they are, a time-slice
 * SLO's rows as 1-minute slices judged by the domain's own rules (`timestamp,tenant,value` against the threshold,
 * or `timestamp,tenant,total,bad` against timeSliceTarget), so the replay gets what the CloudWatch adapter gives
 * the evaluator. A minute without events is passed on as 0 of 0: still a row (for the one-row-per-minute check),
 * but no slice.
 */
export async function readSloSeriesCsv(input: Readable, source: string, slo: SloDefinition, sink: SeriesSink): Promise<number> {
  const sli = slo.sli;
  if (sli.kind === 'threshold') {
    const note = `: the SLO ${JSON.stringify(slo.name)} has a threshold SLI, whose series is ${VALUE_SERIES_COLUMNS.join(',')} (the per-minute ${sli.metric.stat} of ${sli.metric.metricName})`;
    return readValueSeriesCsv(input, source, (tenant, minute, value) => sink(tenant, minute, 1, meetsThreshold(value, sli.op, sli.threshold) ? 0 : 1), note);
  }
  const note = `: the SLO ${JSON.stringify(slo.name)} has a ratio SLI, whose series is ${SERIES_COLUMNS.join(',')} (${VALUE_SERIES_COLUMNS.join(',')} is for threshold SLIs)`;
  const target = ratioSliceTarget(slo);
  if (target === null) return readSeriesCsv(input, source, sink, note);
  return readSeriesCsv(
    input,
    source,
    (tenant, minute, total, bad) => {
      const good = meetsTarget({ total, bad }, target);
      if (good === null) sink(tenant, minute, 0, 0);
      else sink(tenant, minute, 1, good ? 0 : 1);
    },
    note,
  );
}

/**
 * Checks a row's tenant and parses its timestamp (once per minute: rows of one minute share the text), checking
 * that rows stay in time order; returns the minute.
 */
function minuteReader(source: string): (timestamp: string, tenant: string, line: number) => number {
  let lastText = '';
  let lastMinute = -Infinity;
  return (timestamp, tenant, line) => {
    if (tenant === '') throw new CsvInputError(source, line, 'tenant', 'must be a non-empty tenant id, got ""');
    if (timestamp === lastText) return lastMinute;
    const at = parseIsoTime(timestamp);
    if (at === null || at % MINUTE_MS !== 0) throw new CsvInputError(source, line, 'timestamp', `${ISO_MINUTE_ALLOWED}, got ${JSON.stringify(timestamp)}`);
    if (at < lastMinute) {
      const previous = new Date(lastMinute).toISOString();
      throw new CsvInputError(source, line, 'timestamp', `must not be earlier than the previous row's (${previous}): rows sorted by time, got ${JSON.stringify(timestamp)}`);
    }
    lastText = timestamp;
    lastMinute = at;
    return at;
  };
}

/** A `ReplayInputError` from the sink (e.g. a repeated tenant-minute) reported with the line; others as they are. */
function withLine(error: unknown, source: string, line: number): unknown {
  return error instanceof ReplayInputError ? new CsvInputError(source, line, error.field, error.detail) : error;
}

/** Reads an incidents CSV (`tenant,start,end`); a small file, but streamed the same way. */
export async function readIncidentsCsv(input: Readable, source: string): Promise<LabelledIncident[]> {
  const incidents: LabelledIncident[] = [];
  await readCsv(input, source, INCIDENT_COLUMNS, (fields, line) => {
    const [tenant, startText, endText] = fields as [string, string, string];
    if (tenant === '') throw new CsvInputError(source, line, 'tenant', 'must be a non-empty tenant id, got ""');
    const start = parseIsoTime(startText);
    if (start === null) throw new CsvInputError(source, line, 'start', `${ISO_TIME_ALLOWED}, got ${JSON.stringify(startText)}`);
    const end = parseIsoTime(endText);
    if (end === null || end <= start) {
      throw new CsvInputError(source, line, 'end', `${ISO_TIME_ALLOWED}, later than start (${new Date(start).toISOString()}), got ${JSON.stringify(endText)}`);
    }
    incidents.push({ tenant, start, end });
  });
  return incidents;
}
