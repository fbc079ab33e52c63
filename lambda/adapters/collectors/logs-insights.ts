/**
 * Error evidence from CloudWatch Logs Insights: one query over the log groups mapped to the SLO, filtered to
 * the incident's tenants and to error lines, counting each distinct message per log group and tenant. Messages
 * are then grouped by their shape (ids, numbers, quoted strings and timestamps normalised away), so the same
 * error from a thousand requests is one piece of evidence with its count and a real sample line.
 *
 * The query is polled until it completes or a deadline passes; at the deadline it is stopped (so it does not run
 * on and cost money) and the collector reports `unavailable` with the reason.
 */
import {
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type CloudWatchLogsClient,
  type GetQueryResultsCommandOutput,
  type QueryStatistics,
  type ResultField,
} from '@aws-sdk/client-cloudwatch-logs';
import { failureModeOfMessage, groupMessages, type MessageGroup, type MessageRow } from '../../domain/evidence-summary';
import type { EvidenceItem } from '../../domain/model';
import { MINUTE_MS } from '../../domain/model';
import type { Clock } from '../../ports';
import { sleepMs } from '../retry';
import {
  AdapterInputError,
  numberAtLeast,
  integerOption,
  affectedTenants,
  collectSafely,
  describeAwsError,
  requireString,
  resolveAdapterOptions,
  scopeList,
  validateWindow,
  type AdapterOptions,
  type CollectRequest,
  type CollectorReport,
  type ResolvedAdapterOptions,
  type TenantMapping,
} from './common';
import { NotingSession, quoteFilterString } from './xray';

export interface LogGroupScope extends TenantMapping {
  /** Log group name, e.g. `/aws/lambda/api`. */
  readonly name: string;
}

export interface LogsInsightsScope {
  readonly logGroups: readonly LogGroupScope[];
  /** Log field carrying the tenant id, e.g. `tenant` or `context.tenantId` (JSON logs: dotted paths). */
  readonly tenantField: string;
  /**
   * Field holding the message text; for JSON logs the message key (Powertools Logger: `message`), so the
   * whole JSON line is not taken for the message.
   * @default '@message'
   */
  readonly messageField?: string;
  /**
   * Logs Insights condition that selects error lines (written into `| filter ...`), e.g. `level = "ERROR"`.
   * @default DEFAULT_ERROR_FILTER
   */
  readonly errorFilter?: string;
}

export interface LogsInsightsCollectorOptions extends AdapterOptions {
  /**
   * Seconds to wait for the query before stopping it and reporting it as timed out.
   * @default 60
   */
  readonly queryTimeoutSeconds?: number;
  /**
   * Milliseconds between two GetQueryResults polls.
   * @default 1000
   */
  readonly pollIntervalMs?: number;
  /**
   * Rows (distinct message, tenant and log group) the query returns at most, most frequent first (1..10000).
   * @default 1000
   */
  readonly maxRows?: number;
  /**
   * Message patterns reported at most, most frequent first.
   * @default 5
   */
  readonly maxPatterns?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Wait between polls. @default a setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Lines that say they failed, case-insensitively. */
export const DEFAULT_ERROR_FILTER = '@message like /(?i)(error|exception|fatal|fail|timed? ?out)/';

/** One Logs Insights query takes at most 50 log groups. */
export const MAX_LOG_GROUPS = 50;

/** The query did not finish before the deadline; it was stopped (or stopping it failed, as `stopped` says). */
export class InsightsQueryTimeoutError extends Error {
  constructor(
    readonly queryId: string,
    readonly timeoutSeconds: number,
    readonly stopped: string,
  ) {
    super(`query timed out after ${timeoutSeconds}s (${stopped})`);
    this.name = 'InsightsQueryTimeoutError';
  }
}

/** The query ended without results: Failed, Cancelled, Timeout (the service's own limit) or Unknown. */
export class InsightsQueryEndedError extends Error {
  constructor(
    readonly queryId: string,
    readonly status: string,
  ) {
    super(`query ${queryId} ended with status ${status}`);
    this.name = 'InsightsQueryEndedError';
  }
}

/** A result row that cannot be read: names the row and field. */
export class InsightsResultError extends Error {
  constructor(row: number, detail: string) {
    super(`results[${row}]: ${detail}`);
    this.name = 'InsightsResultError';
  }
}

const SERVICE = 'logs';
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const PLAIN_FIELD = /^@?[A-Za-z0-9_.]+$/;
const FIELD_TEXT = /^@?[^`\p{Cc}]{1,256}$/u;
const FILTER_TEXT = /^[^\p{Cc}]{1,2000}$/u;
const ENDED_STATUSES = new Set(['Failed', 'Cancelled', 'Timeout', 'Unknown']);
/** An error not seen in the last 5 minutes of the window has stopped, for now. */
const QUIET_MS = 5 * MINUTE_MS;
const SAMPLE_LENGTH = 1000;
const SUMMARY_PATTERN_LENGTH = 160;

// Aliases the query gives its fields, so result rows are read by fixed names whatever the user's fields are.
const F = { tenant: 'bwTenant', message: 'bwMessage', events: 'bwEvents', first: 'bwFirst', last: 'bwLast' } as const;

/** A field reference: plain names as they are, others in backticks (after a leading `@`). */
export function insightsField(name: string, field: string): string {
  requireString(name, field, FIELD_TEXT, 'a Logs Insights field name without backticks or control characters (1..256 characters)');
  if (PLAIN_FIELD.test(name)) return name;
  return name.startsWith('@') ? `@\`${name.slice(1)}\`` : `\`${name}\``;
}

export interface InsightsQueryInput {
  readonly tenantField: string;
  readonly messageField: string;
  readonly errorFilter: string;
  readonly tenants: readonly string[];
  readonly maxRows: number;
}

/** The query: error lines of the tenants, counted per log group, tenant and message, most frequent first. */
export function insightsQuery(input: InsightsQueryInput): string {
  const tenant = insightsField(input.tenantField, 'scope.tenantField');
  const message = insightsField(input.messageField, 'scope.messageField');
  requireString(input.errorFilter, 'scope.errorFilter', FILTER_TEXT, 'a Logs Insights filter condition without control characters (1..2000 characters)');
  const tenants = [...new Set(input.tenants.map((value, i) => quoteFilterString(value, `request.tenants[${i}]`)))];
  return [
    `fields @timestamp, @log, ${tenant} as ${F.tenant}, ${message} as ${F.message}`,
    `filter ${input.errorFilter}`,
    ...(tenants.length > 0 ? [`filter ${F.tenant} in [${tenants.join(', ')}]`] : []),
    `stats count(*) as ${F.events}, earliest(@timestamp) as ${F.first}, latest(@timestamp) as ${F.last} by @log, ${F.tenant}, ${F.message}`,
    `sort ${F.events} desc`,
    `limit ${input.maxRows}`,
  ].join('\n| ');
}

/** Logs Insights prints timestamps as `2026-01-15 12:03:04.123` (UTC); epoch milliseconds are read too. */
export function parseInsightsTime(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  if (/^\d+$/.test(value)) return Number(value);
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z?$/.exec(value);
  if (match === null) return null;
  const part = (index: number): number => Number(match[index] ?? 0);
  // Fractions shorter than 3 digits are tenths or hundredths: `.5` is 500 ms.
  const millis = Number((match[7] ?? '0').padEnd(3, '0'));
  return Date.UTC(part(1), part(2) - 1, part(3), part(4), part(5), part(6), millis);
}

/** `123456789012:/aws/lambda/api` -> `/aws/lambda/api`. */
function logGroupOf(value: string | undefined, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  return value.replace(/^\d{12}:/, '');
}

function toRows(results: readonly ResultField[][], fallbackOrigin: string, messageField: string): MessageRow[] {
  return results.map((fields, index) => {
    const row = new Map(fields.map((field) => [field.field ?? '', field.value]));
    const events = Number(row.get(F.events));
    if (!(Number.isFinite(events) && events >= 0)) {
      throw new InsightsResultError(index, `${F.events} must be a count; got ${JSON.stringify(row.get(F.events) ?? null)}`);
    }
    return {
      origin: logGroupOf(row.get('@log'), fallbackOrigin),
      // An error line without the message field still counts, under a name that says so.
      message: row.get(F.message) ?? `(no ${messageField})`,
      count: events,
      tenant: row.get(F.tenant) ?? null,
      firstSeenAt: parseInsightsTime(row.get(F.first)),
      lastSeenAt: parseInsightsTime(row.get(F.last)),
    };
  });
}

function shorten(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

interface QueryOutcome {
  readonly queryId: string;
  readonly results: ResultField[][];
  readonly statistics: QueryStatistics | undefined;
}

export class LogsInsightsCollector {
  private readonly options: ResolvedAdapterOptions;
  private readonly timeoutSeconds: number;
  private readonly pollIntervalMs: number;
  private readonly maxRows: number;
  private readonly maxPatterns: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: CloudWatchLogsClient,
    options: LogsInsightsCollectorOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
    this.timeoutSeconds = integerOption(options.queryTimeoutSeconds, 60, 'options.queryTimeoutSeconds', 900);
    this.pollIntervalMs = numberAtLeast(options.pollIntervalMs, 1_000, 'options.pollIntervalMs', 1);
    this.maxRows = integerOption(options.maxRows, 1_000, 'options.maxRows', 10_000);
    this.maxPatterns = integerOption(options.maxPatterns, 5, 'options.maxPatterns', 100);
    this.clock = options.clock ?? { now: () => Date.now() };
    this.sleep = options.sleep ?? sleepMs;
  }

  async collect(request: CollectRequest<LogsInsightsScope>): Promise<CollectorReport> {
    const session = new NotingSession(SERVICE, this.options);
    return collectSafely('logs', session, async () => {
      validateWindow(request);
      const logGroups = this.configured(request);
      const messageField = request.scope?.messageField ?? '@message';
      const queryString = insightsQuery({
        tenantField: request.scope?.tenantField,
        messageField,
        errorFilter: request.scope?.errorFilter ?? DEFAULT_ERROR_FILTER,
        tenants: request.tenants,
        maxRows: this.maxRows,
      });
      if (logGroups.length === 0) return [];

      const outcome = await this.runQuery(session, logGroups, queryString, request);
      if (outcome.results.length >= this.maxRows) {
        session.noteCap(`StartQuery: stopped at limit (${this.maxRows} rows); rarer messages are left out`);
      }
      const rows = toRows(outcome.results, logGroups.join(','), messageField);
      const { groups, totalGroups } = groupMessages(rows, this.maxPatterns);
      return groups.map((group) => this.evidence(group, totalGroups, outcome, request));
    });
  }

  private configured(request: CollectRequest<LogsInsightsScope>): string[] {
    const groups = scopeList(request.scope?.logGroups, 'scope.logGroups').flatMap((group, i) => {
      const field = `scope.logGroups[${i}]`;
      const name = requireString(group?.name, `${field}.name`, LOG_GROUP_NAME, 'a log group name (letters, digits and . - _ / #, 512 characters at most)');
      return affectedTenants(group, request.tenants, field) === null ? [] : [name];
    });
    if (groups.length > MAX_LOG_GROUPS) {
      throw new AdapterInputError('scope.logGroups', `at most ${MAX_LOG_GROUPS} log groups serving the incident's tenants (one Logs Insights query)`, groups.length);
    }
    return [...new Set(groups)];
  }

  private async runQuery(session: NotingSession, logGroups: readonly string[], queryString: string, request: CollectRequest<LogsInsightsScope>): Promise<QueryOutcome> {
    const started = await session.call(() =>
      this.client.send(
        new StartQueryCommand({
          logGroupNames: [...logGroups],
          // Whole seconds that cover the window.
          startTime: Math.floor(request.from / 1000),
          endTime: Math.ceil(request.to / 1000),
          queryString,
        }),
      ),
    );
    const queryId = started.queryId;
    if (queryId === undefined || queryId === '') throw new InsightsQueryEndedError('(none)', 'not started: StartQuery returned no queryId');
    const deadline = this.clock.now() + this.timeoutSeconds * 1000;
    for (;;) {
      const out: GetQueryResultsCommandOutput = await session.call(() => this.client.send(new GetQueryResultsCommand({ queryId })));
      const status = out.status;
      if (status === 'Complete') {
        const rest = out.nextToken === undefined ? [] : await this.remainingPages(session, queryId, out.nextToken);
        return { queryId, results: [...(out.results ?? []), ...rest], statistics: out.statistics };
      }
      if (status !== undefined && ENDED_STATUSES.has(status)) throw new InsightsQueryEndedError(queryId, status);
      // Scheduled or Running: wait, unless the deadline has come.
      const now = this.clock.now();
      if (now >= deadline) throw new InsightsQueryTimeoutError(queryId, this.timeoutSeconds, await this.stop(session, queryId));
      await this.sleep(Math.min(this.pollIntervalMs, deadline - now));
    }
  }

  private async remainingPages(session: NotingSession, queryId: string, firstToken: string): Promise<ResultField[][]> {
    return session.paginate('GetQueryResults', async (nextToken) => {
      const out = await this.client.send(new GetQueryResultsCommand({ queryId, nextToken: nextToken ?? firstToken }));
      return { items: out.results ?? [], nextToken: out.nextToken };
    });
  }

  /** Stops the query so it does not run on; says how that went, since the timeout is reported either way. */
  private async stop(session: NotingSession, queryId: string): Promise<string> {
    try {
      const out = await session.call(() => this.client.send(new StopQueryCommand({ queryId })));
      return out.success === false ? 'StopQuery did not stop it: it had already ended' : 'stopped';
    } catch (error) {
      return `StopQuery failed: ${describeAwsError(SERVICE, error)}`;
    }
  }

  private evidence(group: MessageGroup, totalGroups: number, outcome: QueryOutcome, request: CollectRequest<LogsInsightsScope>): EvidenceItem {
    const quiet = group.lastSeenAt !== null && group.lastSeenAt < request.to - QUIET_MS;
    const tenantsText = group.tenants.length === 0 ? '' : ` (${group.tenants.length === 1 ? group.tenants[0] : `${group.tenants.length} tenants`})`;
    return {
      source: 'logs',
      failureMode: failureModeOfMessage(group.sample),
      resource: group.origin,
      at: group.firstSeenAt ?? request.from,
      endedAt: quiet ? group.lastSeenAt : null,
      summary: `logs ${group.origin}: ${group.count} x "${shorten(group.pattern, SUMMARY_PATTERN_LENGTH)}"${tenantsText}`,
      tenants: group.tenants,
      details: {
        pattern: group.pattern,
        sample: shorten(group.sample, SAMPLE_LENGTH),
        events: group.count,
        logGroup: group.origin,
        firstSeenAt: group.firstSeenAt,
        lastSeenAt: group.lastSeenAt,
        patternsFound: totalGroups,
        queryId: outcome.queryId,
        recordsMatched: outcome.statistics?.recordsMatched ?? null,
        recordsScanned: outcome.statistics?.recordsScanned ?? null,
      },
    };
  }
}
