import { mockClient } from 'aws-sdk-client-mock';
import {
  GetServiceGraphCommand,
  GetTraceSummariesCommand,
  XRayClient,
  XRayServiceException,
  type Service,
  type TraceSummary,
} from '@aws-sdk/client-xray';
import { XRayCollector, traceFilterExpression, type XRayCollectorOptions, type XRayScope } from '../../../lambda/adapters/collectors/xray';
import { MIN, NO_WAIT, T0, serviceError } from './aws-errors';

const xray = mockClient(XRayClient);
const FROM = T0;
const TO = T0 + 30 * MIN;
const HOUR = 60 * MIN;
const SCOPE: XRayScope = { tenantAnnotation: 'tenant' };
const FAILING = '(fault = true OR error = true)';

/** A root cause through the given services, in call order. */
function cause(...services: string[]): { Services: { Name: string; EntityPath: { Name: string }[] }[] } {
  return { Services: services.map((name) => ({ Name: name, EntityPath: [{ Name: name }] })) };
}

let traceNumber = 0;
function trace(tenant: string, causes: ReturnType<typeof cause>[], overrides: Partial<TraceSummary> = {}): TraceSummary {
  traceNumber += 1;
  return {
    Id: `1-678a0000-${String(traceNumber).padStart(24, '0')}`,
    StartTime: new Date(T0 + traceNumber * MIN),
    HasFault: true,
    HasError: false,
    ResponseTime: 2,
    Http: { HttpMethod: 'GET', HttpURL: `https://api.example.com/orders/${traceNumber}` },
    Annotations: { tenant: [{ AnnotationValue: { StringValue: tenant } }] },
    FaultRootCauses: causes,
    ...overrides,
  };
}

/** A service graph with one edge api -> `to`: `requests` calls, `faults` of them 5xx, `meanSeconds` each. */
function graph(to: string, requests: number, faults: number, meanSeconds: number): Service[] {
  return [
    {
      ReferenceId: 0,
      Name: 'api',
      Edges: [
        {
          ReferenceId: 1,
          SummaryStatistics: {
            TotalCount: requests,
            FaultStatistics: { TotalCount: faults },
            ErrorStatistics: { TotalCount: 0, ThrottleCount: 0 },
            TotalResponseTime: requests * meanSeconds,
          },
        },
      ],
    },
    { ReferenceId: 1, Name: to },
  ];
}

function collector(options: XRayCollectorOptions = {}): XRayCollector {
  return new XRayCollector(new XRayClient({}), { retry: NO_WAIT, ...options });
}

async function collectOk(options: XRayCollectorOptions = {}, request: Partial<Parameters<XRayCollector['collect']>[0]> = {}) {
  const result = await collector(options).collect({ from: FROM, to: TO, tenants: ['acme', 'globex'], scope: SCOPE, ...request });
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.reason}`);
  return result;
}

describe('traceFilterExpression', () => {
  it.each([
    ['a plain tenant id', 'acme', 'annotation.tenant = "acme"'],
    ['a double quote, escaped', 'o"brien', 'annotation.tenant = "o\\"brien"'],
    ['a backslash, escaped', 'back\\slash', 'annotation.tenant = "back\\\\slash"'],
    ['an attempt to close the string and add a clause, kept inside the string', 'x" OR annotation.tenant = "y', 'annotation.tenant = "x\\" OR annotation.tenant = \\"y"'],
    ['unicode letters, unchanged', 'bäckerei-東京', 'annotation.tenant = "bäckerei-東京"'],
  ])('quotes %s', (_sentence, tenant, clause) => {
    // Act
    const expression = traceFilterExpression('tenant', [tenant]);
    // Assess
    expect(expression).toBe(`(${clause}) AND ${FAILING}`);
  });

  it('joins several tenants with OR and lists a repeated tenant once', () => {
    expect(traceFilterExpression('tenant_id', ['acme', 'globex', 'acme'])).toBe(
      `(annotation.tenant_id = "acme" OR annotation.tenant_id = "globex") AND ${FAILING}`,
    );
  });

  it('asks for every failing trace when the incident names no tenant', () => {
    expect(traceFilterExpression('tenant', [])).toBe(FAILING);
  });

  it('narrows to one service when the scope names it, quoted like a tenant', () => {
    expect(traceFilterExpression('tenant', ['acme'], 'api "edge"')).toBe(`(annotation.tenant = "acme") AND ${FAILING} AND service("api \\"edge\\"")`);
  });

  it.each([
    ['a tenant with a newline', 'tenant', ['acme', 'evil\nx'], 'request.tenants[1] must be a non-empty string without control characters; got "evil\\nx"'],
    ['an empty tenant', 'tenant', [''], 'request.tenants[0] must be a non-empty string without control characters; got ""'],
    ['an annotation key with a dot', 'tenant.id', ['acme'], 'scope.tenantAnnotation must be an annotation key of letters, digits or _ (1..500 characters); got "tenant.id"'],
  ])('refuses %s', (_sentence, key, tenants, message) => {
    expect(() => traceFilterExpression(key, tenants)).toThrow(message);
  });
});

describe('XRayCollector', () => {
  beforeEach(() => {
    xray.reset();
    xray.on(GetServiceGraphCommand).resolves({ Services: [] });
  });

  it('names the edge most faults start on, with its share, tenants and URLs', async () => {
    // Prepare: 10 of 11 faults start on api -> orders-db, one inside api (1/11 = 9%, below the 20% floor).
    const onDb = Array.from({ length: 10 }, (_, i) => trace(i < 6 ? 'acme' : 'globex', [cause('api', 'orders-db')]));
    const inApi = trace('acme', [cause('api')]);
    xray.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [...onDb, inApi] });
    // Act
    const { items } = await collectOk();
    // Assess
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      source: 'xray',
      failureMode: 'dependency',
      resource: 'api -> orders-db',
      at: onDb[0]!.StartTime!.getTime(),
      endedAt: null,
      summary: 'X-Ray: 91% of faults on edge api -> orders-db (10 of 11 traces), mean response 2.00 s',
      tenants: ['acme', 'globex'],
      details: {
        kind: 'faults',
        traces: 10,
        rankedTraces: 11,
        share: 0.909,
        tracesScanned: 11,
        topUrls: 'GET /orders/<n> x10 (mean 2.00 s)',
        failingServices: 'orders-db x10; api x1',
        graphFaultRate: null,
      },
    });
  });

  it('asks for the incident tenants\' failing traces over the window, page after page', async () => {
    // Prepare
    xray
      .on(GetTraceSummariesCommand)
      .resolvesOnce({ TraceSummaries: [trace('acme', [cause('api', 'orders-db')])], NextToken: 'page-2' })
      .resolvesOnce({ TraceSummaries: [trace('globex', [cause('api', 'orders-db')])] });
    // Act
    const { items } = await collectOk();
    // Assess
    const calls = xray.commandCalls(GetTraceSummariesCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      {
        StartTime: new Date(FROM),
        EndTime: new Date(TO),
        TimeRangeType: 'Event',
        FilterExpression: `(annotation.tenant = "acme" OR annotation.tenant = "globex") AND ${FAILING}`,
        NextToken: undefined,
      },
      expect.objectContaining({ NextToken: 'page-2' }),
    ]);
    expect(items[0]?.details).toMatchObject({ traces: 2, tracesScanned: 2 });
  });

  it.each([
    ['maxItems', { maxItems: 2 }, { TraceSummaries: [1, 2, 3].map(() => trace('acme', [cause('api', 'orders-db')])) }, 'GetTraceSummaries: stopped at maxItems (2)'],
    [
      'maxPages',
      { maxPages: 1 },
      { TraceSummaries: [trace('acme', [cause('api', 'orders-db')])], NextToken: 'more' },
      'GetTraceSummaries: stopped at maxPages (1) with 1 items',
    ],
  ])('stops reading traces at %s and notes the cap', async (_sentence, options, page, note) => {
    // Prepare
    xray.on(GetTraceSummariesCommand).resolves(page);
    // Act
    const { details } = await collectOk(options);
    // Assess
    expect(xray.commandCalls(GetTraceSummariesCommand)).toHaveLength(1);
    expect(details.capsHit).toEqual([note]);
  });

  it('stops reading traces at maxTraces while the service graph keeps maxItems', async () => {
    // Prepare: 3 failing traces, 3 services in the graph
    xray.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [1, 2, 3].map(() => trace('acme', [cause('api', 'orders-db')])) });
    xray.on(GetServiceGraphCommand).resolves({ Services: [...graph('orders-db', 10, 0, 0.1), { ReferenceId: 2, Name: 'cache' }] });
    // Act
    const { details } = await collectOk({ maxTraces: 2 });
    // Assess
    expect(details.capsHit).toEqual(['GetTraceSummaries: stopped at maxItems (2)']);
  });

  it('clamps a window longer than 24 hours to its last 24 hours and notes it', async () => {
    // Prepare
    xray.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [] });
    // Act
    const { details } = await collectOk({}, { from: T0 - 30 * HOUR, to: T0 });
    // Assess: the service graph compares the same 24 h with the 24 h before.
    expect(xray.commandCalls(GetTraceSummariesCommand)[0]?.args[0].input).toMatchObject({ StartTime: new Date(T0 - 24 * HOUR), EndTime: new Date(T0) });
    expect(xray.commandCalls(GetServiceGraphCommand).map((call) => [call.args[0].input.StartTime, call.args[0].input.EndTime])).toEqual([
      [new Date(T0 - 24 * HOUR), new Date(T0)],
      [new Date(T0 - 48 * HOUR), new Date(T0 - 24 * HOUR)],
    ]);
    expect(details.capsHit).toEqual([
      'GetTraceSummaries: window clamped to its last 24 h (from 2026-01-14T12:00:00.000Z instead of 2026-01-14T06:00:00.000Z)',
    ]);
  });

  it('reports a service-graph edge whose fault rate rose against the window before as shared dependency evidence', async () => {
    // Prepare: api -> payments 30 of 200 faults (15%) now, 2 of 200 (1%) in the 30 minutes before.
    xray.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [] });
    xray.on(GetServiceGraphCommand, { StartTime: new Date(FROM) }).resolves({ Services: graph('payments', 200, 30, 0.1) });
    xray.on(GetServiceGraphCommand, { StartTime: new Date(FROM - 30 * MIN) }).resolves({ Services: graph('payments', 200, 2, 0.1) });
    // Act
    const { items } = await collectOk({}, { scope: { ...SCOPE, groupName: 'shop-prod' } });
    // Assess
    expect(xray.commandCalls(GetServiceGraphCommand).map((call) => call.args[0].input.GroupName)).toEqual(['shop-prod', 'shop-prod']);
    expect(items).toEqual([
      {
        source: 'xray',
        failureMode: 'dependency',
        resource: 'api -> payments',
        at: FROM,
        endedAt: null,
        summary: 'X-Ray: edge api -> payments fault rate 1.0% -> 15.0% vs the 30 min before',
        tenants: [],
        details: {
          edge: 'api -> payments',
          from: 'api',
          to: 'payments',
          requests: 200,
          previousRequests: 200,
          windowStart: FROM,
          windowEnd: TO,
          graphFaultRate: 0.15,
          graphPreviousFaultRate: 0.01,
          graphMeanLatencyMs: 100,
          graphPreviousMeanLatencyMs: 100,
          graphFaultRateRose: true,
          graphLatencyRose: false,
        },
      },
    ]);
  });

  it('reports a slower edge with both mean latencies', async () => {
    // Prepare: 80 ms before, 950 ms now: 11.9x, above the 2x default.
    xray.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [] });
    xray.on(GetServiceGraphCommand, { StartTime: new Date(FROM) }).resolves({ Services: graph('search', 100, 0, 0.95) });
    xray.on(GetServiceGraphCommand, { StartTime: new Date(FROM - 30 * MIN) }).resolves({ Services: graph('search', 100, 0, 0.08) });
    // Act
    const { items } = await collectOk();
    // Assess
    expect(items.map((item) => item.summary)).toEqual(['X-Ray: edge api -> search mean latency 80 ms -> 950 ms vs the 30 min before']);
  });

  it('adds the graph change to the trace evidence of the same edge instead of reporting it twice', async () => {
    // Prepare
    xray.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [trace('acme', [cause('api', 'orders-db')])] });
    xray.on(GetServiceGraphCommand, { StartTime: new Date(FROM) }).resolves({ Services: graph('orders-db', 200, 30, 0.1) });
    xray.on(GetServiceGraphCommand, { StartTime: new Date(FROM - 30 * MIN) }).resolves({ Services: graph('orders-db', 200, 2, 0.1) });
    // Act
    const { items } = await collectOk();
    // Assess
    expect(items.map((item) => item.resource)).toEqual(['api -> orders-db']);
    expect(items[0]?.details).toMatchObject({ traces: 1, graphFaultRate: 0.15, graphPreviousFaultRate: 0.01, graphFaultRateRose: true });
  });

  it('retries a throttled GetTraceSummaries and then reports', async () => {
    // Prepare
    xray
      .on(GetTraceSummariesCommand)
      .rejectsOnce(serviceError(XRayServiceException, 'ThrottledException', 429, 'Rate exceeded'))
      .resolves({ TraceSummaries: [trace('acme', [cause('api', 'orders-db')])] });
    // Act
    const { items, details } = await collectOk();
    // Assess
    expect(items).toHaveLength(1);
    expect(details).toMatchObject({ throttledRetries: 1, calls: 4 });
  });

  it('reports access denied as unavailable without retrying', async () => {
    // Prepare
    xray.on(GetTraceSummariesCommand).rejects(serviceError(XRayServiceException, 'AccessDeniedException', 403, 'not authorized to perform xray:GetTraceSummaries'));
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants: ['acme'], scope: SCOPE });
    // Assess
    expect(result).toMatchObject({
      source: 'xray',
      status: 'unavailable',
      reason: 'xray: AccessDeniedException: not authorized to perform xray:GetTraceSummaries',
      details: { errorKind: 'access-denied', calls: 1, throttledRetries: 0 },
    });
  });

  it('reports a tenant that cannot be put into a filter as unavailable, naming it', async () => {
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants: ['ac\u0000me'], scope: SCOPE });
    // Assess
    expect(result).toMatchObject({
      status: 'unavailable',
      reason: 'xray: AdapterInputError: request.tenants[0] must be a non-empty string without control characters; got "ac\\u0000me"',
    });
    expect(xray.commandCalls(GetTraceSummariesCommand)).toHaveLength(0);
  });

  it.each([
    ['a share floor of 0', { minEdgeShare: 0 }, 'options.minEdgeShare must be a number in (0, 1]; got 0'],
    ['no edges', { maxEdges: 0 }, 'options.maxEdges must be an integer from 1 to 20; got 0'],
    ['a latency factor of 1', { edgeThresholds: { latencyFactor: 1 } }, 'options.edgeThresholds.latencyFactor must be a finite number > 1; got 1'],
  ])('refuses %s at construction', (_sentence, options, message) => {
    expect(() => collector(options)).toThrow(message);
  });
});
