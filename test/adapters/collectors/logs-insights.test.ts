import { mockClient } from 'aws-sdk-client-mock';
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type ResultField,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DEFAULT_ERROR_FILTER,
  LogsInsightsCollector,
  insightsField,
  insightsQuery,
  parseInsightsTime,
  type LogsInsightsCollectorOptions,
  type LogsInsightsScope,
} from '../../../lambda/adapters/collectors/logs-insights';
import { MIN, NO_WAIT, T0, serviceError } from './aws-errors';

const logs = mockClient(CloudWatchLogsClient);
const FROM = T0;
const TO = T0 + 30 * MIN;
const SCOPE: LogsInsightsScope = { logGroups: [{ name: '/aws/lambda/api' }], tenantField: 'tenant' };
const QUERY_ID = 'q-4f2a';

/** A clock that only moves when the collector sleeps, so polling runs without real time passing. */
function fakeTime(): { clock: { now: () => number }; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let now = TO;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

/** One stats row as Logs Insights returns it. */
function row(message: string, events: number, tenant: string, first: string, last: string, logGroup = '123456789012:/aws/lambda/api'): ResultField[] {
  return [
    { field: '@log', value: logGroup },
    { field: 'bwTenant', value: tenant },
    { field: 'bwMessage', value: message },
    { field: 'bwEvents', value: String(events) },
    { field: 'bwFirst', value: first },
    { field: 'bwLast', value: last },
  ];
}

function collector(options: LogsInsightsCollectorOptions = {}): { subject: LogsInsightsCollector; time: ReturnType<typeof fakeTime> } {
  const time = fakeTime();
  const subject = new LogsInsightsCollector(new CloudWatchLogsClient({}), { retry: NO_WAIT, clock: time.clock, sleep: time.sleep, ...options });
  return { subject, time };
}

const request = (overrides: Partial<Parameters<LogsInsightsCollector['collect']>[0]> = {}) => ({
  from: FROM,
  to: TO,
  tenants: ['acme', 'globex'],
  scope: SCOPE,
  ...overrides,
});

describe('insightsQuery', () => {
  it('counts the tenants\' error lines per log group, tenant and message, most frequent first', () => {
    // Act
    const query = insightsQuery({ tenantField: 'tenant', messageField: '@message', errorFilter: DEFAULT_ERROR_FILTER, tenants: ['acme', 'globex'], maxRows: 1000 });
    // Assess
    expect(query).toBe(
      [
        'fields @timestamp, @log, tenant as bwTenant, @message as bwMessage',
        `| filter ${DEFAULT_ERROR_FILTER}`,
        '| filter bwTenant in ["acme", "globex"]',
        '| stats count(*) as bwEvents, earliest(@timestamp) as bwFirst, latest(@timestamp) as bwLast by @log, bwTenant, bwMessage',
        '| sort bwEvents desc',
        '| limit 1000',
      ].join('\n'),
    );
  });

  it.each([
    ['a double quote', 'o"brien', '"o\\"brien"'],
    ['a backslash', 'a\\b', '"a\\\\b"'],
    ['an attempt to end the list and add a command', 'x"] | display @message | filter ["y', '"x\\"] | display @message | filter [\\"y"'],
    ['unicode letters', 'bäckerei-東京', '"bäckerei-東京"'],
  ])('escapes a tenant with %s inside its string', (_sentence, tenant, literal) => {
    // Act
    const query = insightsQuery({ tenantField: 'tenant', messageField: '@message', errorFilter: 'level = "ERROR"', tenants: [tenant], maxRows: 10 });
    // Assess
    expect(query.split('\n')[2]).toBe(`| filter bwTenant in [${literal}]`);
  });

  it('leaves out the tenant filter when the incident names no tenant', () => {
    // Act
    const query = insightsQuery({ tenantField: 'tenant', messageField: '@message', errorFilter: 'level = "ERROR"', tenants: [], maxRows: 10 });
    // Assess
    expect(query).not.toContain('bwTenant in');
  });

  it.each([
    ['a plain field', 'tenant', 'tenant'],
    ['a dotted JSON path', 'context.tenantId', 'context.tenantId'],
    ['a system field', '@message', '@message'],
    ['a field with a hyphen, in backticks', 'tenant-id', '`tenant-id`'],
    ['a system field with a colon, backticks after the @', '@aws.tag.aws:stack', '@`aws.tag.aws:stack`'],
  ])('writes %s', (_sentence, name, expected) => {
    expect(insightsField(name, 'scope.tenantField')).toBe(expected);
  });

  it.each([
    ['a field with a backtick', { tenantField: 'ten`ant' }, 'scope.tenantField must be a Logs Insights field name without backticks or control characters (1..256 characters); got "ten`ant"'],
    ['an empty message field', { messageField: '' }, 'scope.messageField must be a Logs Insights field name without backticks or control characters (1..256 characters); got ""'],
    ['an error filter with a newline', { errorFilter: 'level = "ERROR"\n| display x' }, 'scope.errorFilter must be a Logs Insights filter condition without control characters'],
    ['a tenant with a newline', { tenants: ['acme\n'] }, 'request.tenants[0] must be a non-empty string without control characters; got "acme\\n"'],
  ])('refuses %s, naming the field', (_sentence, override, message) => {
    const input = { tenantField: 'tenant', messageField: '@message', errorFilter: 'level = "ERROR"', tenants: ['acme'], maxRows: 10, ...override };
    expect(() => insightsQuery(input)).toThrow(message);
  });
});

describe('parseInsightsTime', () => {
  it.each([
    ['the Logs Insights format', '2026-01-15 12:03:04.123', Date.UTC(2026, 0, 15, 12, 3, 4, 123)],
    ['tenths of a second', '2026-01-15 12:03:04.5', Date.UTC(2026, 0, 15, 12, 3, 4, 500)],
    ['no fraction', '2026-01-15T12:03:04Z', Date.UTC(2026, 0, 15, 12, 3, 4)],
    ['epoch milliseconds', '1768478584123', 1768478584123],
    ['something else', 'yesterday', null],
    ['nothing', undefined, null],
  ])('reads %s', (_sentence, value, expected) => {
    expect(parseInsightsTime(value)).toBe(expected);
  });
});

describe('LogsInsightsCollector', () => {
  beforeEach(() => {
    logs.reset();
    logs.on(StartQueryCommand).resolves({ queryId: QUERY_ID });
    logs.on(StopQueryCommand).resolves({ success: true });
  });

  it('groups the same error with different ids into one piece of evidence with its count and a sample', async () => {
    // Prepare: three rows of one shape (3 + 5 + 1 events, two tenants) and one of another.
    logs.on(GetQueryResultsCommand).resolves({
      status: 'Complete',
      statistics: { recordsMatched: 15, recordsScanned: 4200 },
      results: [
        row('connect ETIMEDOUT 10.0.0.12:5432 after 3000ms', 5, 'acme', '2026-01-15 12:04:00.000', '2026-01-15 12:29:00.000'),
        row('connect ETIMEDOUT 10.0.0.13:5432 after 3001ms', 3, 'globex', '2026-01-15 12:03:00.000', '2026-01-15 12:28:00.000'),
        row('connect ETIMEDOUT 10.0.0.12:5432 after 2999ms', 1, 'acme', '2026-01-15 12:05:00.000', '2026-01-15 12:05:00.000'),
        row('order 7c9e6679-7425-40de-944b-e07fc1f97a3b not found', 6, 'acme', '2026-01-15 12:01:00.000', '2026-01-15 12:10:00.000'),
      ],
    });
    const { subject } = collector();
    // Act
    const result = await subject.collect(request());
    // Assess
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.items).toEqual([
      {
        source: 'logs',
        failureMode: 'dependency',
        resource: '/aws/lambda/api',
        at: Date.UTC(2026, 0, 15, 12, 3),
        endedAt: null,
        summary: 'logs /aws/lambda/api: 9 x "connect ETIMEDOUT <n>:<n> after <n>ms" (2 tenants)',
        tenants: ['acme', 'globex'],
        details: {
          pattern: 'connect ETIMEDOUT <n>:<n> after <n>ms',
          sample: 'connect ETIMEDOUT 10.0.0.12:5432 after 3000ms',
          events: 9,
          logGroup: '/aws/lambda/api',
          firstSeenAt: Date.UTC(2026, 0, 15, 12, 3),
          lastSeenAt: Date.UTC(2026, 0, 15, 12, 29),
          patternsFound: 2,
          queryId: QUERY_ID,
          recordsMatched: 15,
          recordsScanned: 4200,
        },
      },
      // Last seen 12:10, more than 5 minutes before the window's end at 12:30: it has stopped.
      expect.objectContaining({
        failureMode: 'unknown',
        summary: 'logs /aws/lambda/api: 6 x "order <uuid> not found" (acme)',
        endedAt: Date.UTC(2026, 0, 15, 12, 10),
      }),
    ]);
  });

  it('starts one query over the mapped log groups serving the tenants, in whole seconds', async () => {
    // Prepare
    logs.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: [] });
    const scope: LogsInsightsScope = {
      logGroups: [{ name: '/aws/lambda/api' }, { name: '/aws/lambda/other', tenants: ['initech'] }, { name: '/ecs/worker', tenants: ['acme'] }],
      tenantField: 'tenant',
      errorFilter: 'level = "ERROR"',
    };
    const { subject } = collector();
    // Act
    await subject.collect(request({ from: FROM + 500, to: TO + 500, scope }));
    // Assess
    const input = logs.commandCalls(StartQueryCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      logGroupNames: ['/aws/lambda/api', '/ecs/worker'],
      startTime: Math.floor((FROM + 500) / 1000),
      endTime: Math.ceil((TO + 500) / 1000),
    });
    expect(input?.queryString).toContain('| filter level = "ERROR"');
  });

  it('polls through Scheduled and Running until the query completes', async () => {
    // Prepare
    logs
      .on(GetQueryResultsCommand)
      .resolvesOnce({ status: 'Scheduled' })
      .resolvesOnce({ status: 'Running' })
      .resolves({ status: 'Complete', results: [row('boom', 1, 'acme', '', '')] });
    const { subject, time } = collector({ pollIntervalMs: 2000 });
    // Act
    const result = await subject.collect(request());
    // Assess
    expect(result.status).toBe('ok');
    expect(logs.commandCalls(GetQueryResultsCommand).map((call) => call.args[0].input)).toEqual([
      { queryId: QUERY_ID },
      { queryId: QUERY_ID },
      { queryId: QUERY_ID },
    ]);
    expect(time.sleeps).toEqual([2000, 2000]);
    expect(logs.commandCalls(StopQueryCommand)).toHaveLength(0);
  });

  it('stops a query that is still running at the deadline and reports it as timed out', async () => {
    // Prepare: 10 s timeout, polls every 4 s: polls at 0, 4, 8 s, then waits the last 2 s and gives up at 10 s.
    logs.on(GetQueryResultsCommand).resolves({ status: 'Running' });
    const { subject, time } = collector({ queryTimeoutSeconds: 10, pollIntervalMs: 4000 });
    // Act
    const result = await subject.collect(request());
    // Assess
    expect(result).toMatchObject({ source: 'logs', status: 'unavailable', reason: 'logs: InsightsQueryTimeoutError: query timed out after 10s (stopped)' });
    expect(logs.commandCalls(StopQueryCommand).map((call) => call.args[0].input)).toEqual([{ queryId: QUERY_ID }]);
    expect(time.sleeps).toEqual([4000, 4000, 2000]);
    expect(logs.commandCalls(GetQueryResultsCommand)).toHaveLength(4);
  });

  it('says so when stopping the timed-out query failed too', async () => {
    // Prepare
    logs.on(GetQueryResultsCommand).resolves({ status: 'Running' });
    logs.on(StopQueryCommand).rejects(serviceError(CloudWatchLogsServiceException, 'AccessDeniedException', 400, 'no logs:StopQuery'));
    const { subject } = collector({ queryTimeoutSeconds: 1 });
    // Act
    const result = await subject.collect(request());
    // Assess
    expect(result).toMatchObject({
      status: 'unavailable',
      reason: 'logs: InsightsQueryTimeoutError: query timed out after 1s (StopQuery failed: logs: AccessDeniedException: no logs:StopQuery)',
    });
  });

  it.each(['Failed', 'Cancelled', 'Timeout', 'Unknown'] as const)('reports a query that ended %s as unavailable', async (status) => {
    // Prepare
    logs.on(GetQueryResultsCommand).resolvesOnce({ status: 'Running' }).resolves({ status });
    const { subject } = collector();
    // Act
    const result = await subject.collect(request());
    // Assess
    expect(result).toMatchObject({ status: 'unavailable', reason: `logs: InsightsQueryEndedError: query ${QUERY_ID} ended with status ${status}` });
    expect(logs.commandCalls(StopQueryCommand)).toHaveLength(0);
  });

  it('reads further result pages and notes when the rows reached the limit', async () => {
    // Prepare: maxRows 2, two rows over two pages.
    logs
      .on(GetQueryResultsCommand)
      .resolvesOnce({ status: 'Complete', results: [row('a failed', 2, 'acme', '', '')], nextToken: 'page-2' })
      .resolves({ status: 'Complete', results: [row('b failed', 1, 'acme', '', '')] });
    const { subject } = collector({ maxRows: 2 });
    // Act
    const result = await subject.collect(request());
    // Assess
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(logs.commandCalls(GetQueryResultsCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 'page-2']);
    expect(result.items.map((item) => item.details.events)).toEqual([2, 1]);
    expect(result.details.capsHit).toEqual(['StartQuery: stopped at limit (2 rows); rarer messages are left out']);
  });

  it('retries a throttled StartQuery', async () => {
    // Prepare
    logs.on(StartQueryCommand).rejectsOnce(serviceError(CloudWatchLogsServiceException, 'ThrottlingException', 400, 'Rate exceeded')).resolves({ queryId: QUERY_ID });
    logs.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: [] });
    const { subject } = collector();
    // Act
    const result = await subject.collect(request());
    // Assess
    expect(result).toMatchObject({ status: 'ok', items: [], details: { throttledRetries: 1, calls: 3 } });
  });

  it('reports access denied as unavailable without retrying', async () => {
    // Prepare
    logs.on(StartQueryCommand).rejects(serviceError(CloudWatchLogsServiceException, 'AccessDeniedException', 400, 'no logs:StartQuery'));
    const { subject } = collector();
    // Act
    const result = await subject.collect(request());
    // Assess
    expect(result).toMatchObject({
      status: 'unavailable',
      reason: 'logs: AccessDeniedException: no logs:StartQuery',
      details: { errorKind: 'access-denied', calls: 1, throttledRetries: 0 },
    });
  });

  it('reports a result row without a count as unavailable, naming the row', async () => {
    // Prepare
    logs.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: [[{ field: 'bwMessage', value: 'x' }]] });
    const { subject } = collector();
    // Act
    const result = await subject.collect(request());
    // Assess
    expect(result).toMatchObject({ status: 'unavailable', reason: 'logs: InsightsResultError: results[0]: bwEvents must be a count; got null' });
  });

  it('starts no query when no mapped log group serves the incident tenants', async () => {
    // Act
    const result = await collector().subject.collect(request({ scope: { ...SCOPE, logGroups: [{ name: '/aws/lambda/other', tenants: ['initech'] }] } }));
    // Assess
    expect(result).toMatchObject({ status: 'ok', items: [] });
    expect(logs.commandCalls(StartQueryCommand)).toHaveLength(0);
  });

  it.each([
    ['a timeout of 0 s', { queryTimeoutSeconds: 0 }, 'options.queryTimeoutSeconds must be an integer from 1 to 900; got 0'],
    ['more rows than Logs Insights returns', { maxRows: 10_001 }, 'options.maxRows must be an integer from 1 to 10000; got 10001'],
    ['a poll interval of 0', { pollIntervalMs: 0 }, 'options.pollIntervalMs must be a finite number >= 1; got 0'],
  ])('refuses %s at construction', (_sentence, options, message) => {
    expect(() => collector(options)).toThrow(message);
  });
});
