import { DomainInputError } from '../../lambda/domain/burn';
import {
  DEFAULT_EDGE_THRESHOLDS,
  MAX_PATTERN_LENGTH,
  assessTrafficJump,
  failureModeOfMessage,
  groupMessages,
  median,
  normaliseMessage,
  normaliseUrl,
  perMinuteTotals,
  risenEdges,
  rootCauseEdge,
  summariseTraces,
  type EdgeStats,
  type MessageRow,
  type MinuteCount,
  type RootCauseService,
  type TraceFacts,
  type TrafficJumpInput,
} from '../../lambda/domain/evidence-summary';
import { DAY_MS, MINUTE_MS } from '../../lambda/domain/model';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const WEEK_MS = 7 * DAY_MS;

describe('normaliseMessage', () => {
  it.each([
    ['numbers with a unit', 'timeout after 5000ms calling orders-db', 'timeout after <n>ms calling orders-db'],
    ['a decimal number', 'took 2.75 seconds', 'took <n> seconds'],
    ['a lowercase UUID', 'user 7c9e6679-7425-40de-944b-e07fc1f97a3b not found', 'user <uuid> not found'],
    ['an uppercase UUID', 'request 7C9E6679-7425-40DE-944B-E07FC1F97A3B failed', 'request <uuid> failed'],
    ['a 0x hex number', 'segfault at 0x7ffd5e8c', 'segfault at <hex>'],
    ['a bare hex id of digits and letters', 'trace 5759e988bd862e3fe1be46a9 dropped', 'trace <hex> dropped'],
    ['a hex id after a dash', 'instance i-0abc123def4567890 unhealthy', 'instance i-<hex> unhealthy'],
    ['an ISO timestamp', 'at 2026-01-15T12:03:04.123Z connection reset', 'at <ts> connection reset'],
    ['a timestamp with an offset', 'expired 2026-01-15 12:03:04+01:00', 'expired <ts>'],
    ['a time of day', '[12:03:04.5] pool exhausted', '[<ts>] pool exhausted'],
    ['a double-quoted string', 'key "acme/orders-17" missing', 'key <str> missing'],
    ['a double-quoted string with an escaped quote', 'bad value "say \\"hi\\"" given', 'bad value <str> given'],
    ['a single-quoted string, leaving an apostrophe alone', "can't find table 'orders_2026'", "can't find table <str>"],
    ['an IP address and port', 'connect ECONNREFUSED 10.0.0.12:5432', 'connect ECONNREFUSED <n>:<n>'],
    ['digits that belong to a name', 'ec2 over http2 with client v1.2.3', 'ec2 over http2 with client v1.2.3'],
    ['a word of hex letters and a number of 8 digits', 'deadbeef then 12345678', 'deadbeef then <n>'],
    ['runs of whitespace', '  disk   full\n\tretrying ', 'disk full retrying'],
  ])('replaces %s', (_sentence, message, expected) => {
    // Act
    const pattern = normaliseMessage(message);
    // Assess
    expect(pattern).toBe(expected);
  });

  it('gives two messages that differ only in ids and numbers the same pattern', () => {
    // Act
    const first = normaliseMessage('order 12345 for 7c9e6679-7425-40de-944b-e07fc1f97a3b failed after 3 retries');
    const second = normaliseMessage('order 987 for 16fd2706-8baf-433b-82eb-8c7fada847da failed after 5 retries');
    // Assess
    expect(first).toBe(second);
  });

  it('cuts a very long message to the maximum pattern length', () => {
    // Act
    const pattern = normaliseMessage('x'.repeat(1000));
    // Assess
    expect(pattern).toHaveLength(MAX_PATTERN_LENGTH);
    expect(pattern.endsWith('…')).toBe(true);
  });
});

describe('normaliseUrl', () => {
  it.each([
    ['drops scheme, host and query, numbers the id', 'GET', 'https://acme.example.com/orders/123?expand=items', 'GET /orders/<n>'],
    ['keeps a version segment', 'post', 'https://api.example.com/v2/carts/7c9e6679-7425-40de-944b-e07fc1f97a3b#top', 'POST /v2/carts/<uuid>'],
    ['makes an empty path the root', null, 'https://api.example.com?x=1', '/'],
    ['takes a path without host as it is', 'GET', '/health', 'GET /health'],
  ])('%s', (_sentence, method, url, expected) => {
    expect(normaliseUrl(method, url)).toBe(expected);
  });
});

describe('groupMessages', () => {
  const row = (origin: string, message: string, count: number, tenant: string | null, first: number | null, last: number | null): MessageRow => ({
    origin,
    message,
    count,
    tenant,
    firstSeenAt: first,
    lastSeenAt: last,
  });
  const ROWS: MessageRow[] = [
    row('/app/api', 'order 12345 not found', 3, 'acme', T0 + 2 * MINUTE_MS, T0 + 5 * MINUTE_MS),
    row('/app/api', 'order 987 not found', 5, 'globex', T0 + MINUTE_MS, T0 + 9 * MINUTE_MS),
    row('/app/api', 'db timeout after 3000ms', 4, 'acme', T0, T0 + 3 * MINUTE_MS),
    row('/app/worker', 'order 55 not found', 2, 'acme', null, null),
  ];

  it('adds up the counts of one pattern, joins its tenants and keeps the most frequent raw message as the sample', () => {
    // Act
    const { groups, totalGroups } = groupMessages(ROWS, 10);
    // Assess: 3 + 5 events of "order <n> not found" in /app/api; the worker's copy stays apart.
    expect(totalGroups).toBe(3);
    expect(groups).toEqual([
      {
        origin: '/app/api',
        pattern: 'order <n> not found',
        count: 8,
        sample: 'order 987 not found',
        tenants: ['acme', 'globex'],
        firstSeenAt: T0 + MINUTE_MS,
        lastSeenAt: T0 + 9 * MINUTE_MS,
      },
      {
        origin: '/app/api',
        pattern: 'db timeout after <n>ms',
        count: 4,
        sample: 'db timeout after 3000ms',
        tenants: ['acme'],
        firstSeenAt: T0,
        lastSeenAt: T0 + 3 * MINUTE_MS,
      },
      { origin: '/app/worker', pattern: 'order <n> not found', count: 2, sample: 'order 55 not found', tenants: ['acme'], firstSeenAt: null, lastSeenAt: null },
    ]);
  });

  it('keeps only the largest groups up to the limit and still counts all of them', () => {
    // Act
    const { groups, totalGroups } = groupMessages(ROWS, 1);
    // Assess
    expect(groups.map((group) => group.count)).toEqual([8]);
    expect(totalGroups).toBe(3);
  });

  it('breaks a tie in counts by the earlier first sighting', () => {
    // Prepare
    const rows = [row('/g', 'late error', 2, null, T0 + MINUTE_MS, null), row('/g', 'early error', 2, null, T0, null)];
    // Act
    const { groups } = groupMessages(rows, 5);
    // Assess
    expect(groups.map((group) => group.pattern)).toEqual(['early error', 'late error']);
  });

  it('refuses a negative count and names the row', () => {
    expect(() => groupMessages([row('/g', 'x', -1, null, null, null)], 5)).toThrow(new DomainInputError('rows[0].count', 'a finite number >= 0', -1));
  });
});

describe('failureModeOfMessage', () => {
  it.each([
    ['Rate exceeded', 'overload'],
    ['upstream returned 429 Too Many Requests', 'overload'],
    ['ProvisionedThroughputExceededException: throttling', 'overload'],
    ['FATAL ERROR: JavaScript heap out of memory', 'capacity'],
    ['remaining connection slots are reserved: too many connections', 'capacity'],
    ['connect ETIMEDOUT 10.0.0.12:5432', 'dependency'],
    ['Task timed out after 3.00 seconds', 'dependency'],
    ['socket hang up', 'dependency'],
    ['received 503 from payments', 'dependency'],
    ['TypeError: Cannot read properties of undefined', 'unknown'],
  ])('reads %j as %s', (message, mode) => {
    expect(failureModeOfMessage(message)).toBe(mode);
  });
});

const service = (name: string, ...entities: [string, boolean][]): RootCauseService => ({
  name,
  entities: entities.map(([entity, remote]) => ({ name: entity, remote })),
});

describe('rootCauseEdge', () => {
  it.each([
    ['the call from the service before the one where it started', [service('api', ['api', false]), service('orders-db', ['orders-db', false])], 'api', 'orders-db'],
    ['a remote call inside the last service', [service('api', ['api', false], ['payments.example.com', true])], 'api', 'payments.example.com'],
    ['a fault inside a single service', [service('api', ['api', false], ['handler', false])], 'api', null],
  ])('names %s', (_sentence, services, from, to) => {
    expect(rootCauseEdge(services)).toEqual({ from, to });
  });

  it('finds no edge in a root cause without services', () => {
    expect(rootCauseEdge([])).toBeNull();
  });
});

describe('summariseTraces', () => {
  let next = 0;
  function trace(overrides: Partial<TraceFacts>): TraceFacts {
    next += 1;
    return {
      id: `1-trace-${next}`,
      startedAt: T0 + next * MINUTE_MS,
      tenant: 'acme',
      fault: true,
      error: false,
      responseTimeSeconds: 1,
      method: 'GET',
      url: 'https://api.example.com/orders/1',
      faultCauses: [],
      errorCauses: [],
      ...overrides,
    };
  }
  const TO_DB = [service('api', ['api', false]), service('orders-db', ['orders-db', false])];
  const IN_API = [service('api', ['api', false])];

  it('ranks edges by the share of faults that start there', () => {
    // Prepare: 10 of 11 faults start on api -> orders-db, 1 inside api; error-only traces are not ranked.
    const traces = [
      ...Array.from({ length: 10 }, (_, i) =>
        trace({ faultCauses: [TO_DB], tenant: i % 2 === 0 ? 'acme' : 'globex', responseTimeSeconds: 2 + i / 10, url: `https://x/orders/${i}` }),
      ),
      trace({ faultCauses: [IN_API], url: '/health', responseTimeSeconds: 0.5 }),
      trace({ fault: false, error: true, errorCauses: [IN_API] }),
    ];
    // Act
    const digest = summariseTraces(traces, 5);
    // Assess: shares 10/11 and 1/11; mean response on the edge (2.0 + ... + 2.9) / 10 = 2.45 s.
    expect(digest).toMatchObject({ faults: 11, errors: 1, ranked: 'faults', rankedTraces: 11 });
    expect(digest.edges.map((edge) => [edge.name, edge.traces])).toEqual([
      ['api -> orders-db', 10],
      ['api', 1],
    ]);
    const top = digest.edges[0]!;
    expect(top.share).toBeCloseTo(10 / 11, 10);
    expect(top.tenants).toEqual(['acme', 'globex']);
    expect(top.firstAt).toBe(traces[0]!.startedAt);
    expect(top.meanResponseTimeSeconds).toBeCloseTo(2.45, 10);
    expect(top.urls).toEqual([{ url: 'GET /orders/<n>', traces: 10, meanResponseTimeSeconds: expect.closeTo(2.45, 10), maxResponseTimeSeconds: 2.9 }]);
    expect(digest.services).toEqual([
      { service: 'orders-db', traces: 10 },
      { service: 'api', traces: 1 },
    ]);
    expect(digest.urls.map((url) => [url.url, url.traces])).toEqual([
      ['GET /orders/<n>', 10],
      ['GET /health', 1],
    ]);
  });

  it('ranks error root causes when no trace has a fault', () => {
    // Prepare
    const traces = [trace({ fault: false, error: true, errorCauses: [TO_DB] }), trace({ fault: false, error: true, errorCauses: [] })];
    // Act
    const digest = summariseTraces(traces, 5);
    // Assess: one of the two errors has a root cause.
    expect(digest).toMatchObject({ faults: 0, errors: 2, ranked: 'errors', rankedTraces: 2 });
    expect(digest.edges.map((edge) => [edge.name, edge.share])).toEqual([['api -> orders-db', 0.5]]);
  });

  it('counts a trace once per edge even when two of its causes are on that edge', () => {
    // Act
    const digest = summariseTraces([trace({ faultCauses: [TO_DB, TO_DB] })], 5);
    // Assess
    expect(digest.edges.map((edge) => [edge.name, edge.traces, edge.share])).toEqual([['api -> orders-db', 1, 1]]);
  });

  it('ranks nothing when there are no failing traces', () => {
    expect(summariseTraces([], 5)).toEqual({ faults: 0, errors: 0, ranked: null, rankedTraces: 0, edges: [], services: [], urls: [] });
  });
});

describe('risenEdges', () => {
  const edge = (to: string, requests: number, faults: number, meanLatencySeconds: number): EdgeStats => ({
    from: 'api',
    to,
    requests,
    faults,
    errors: 0,
    throttles: 0,
    totalResponseTimeSeconds: requests * meanLatencySeconds,
  });

  it('reports edges whose fault rate or latency rose, worst fault-rate rise first', () => {
    // Prepare
    const current = [
      edge('orders-db', 200, 30, 0.1), // 15% faults, was 1%: +14 points
      edge('cache', 100, 0, 0.5), // latency 0.5 s, was 0.1 s: 5x
      edge('auth', 10, 10, 1), // too few requests to say anything
      edge('search', 50, 5, 0.2), // new edge with 10% faults: compared with 0
      edge('steady', 100, 1, 0.1), // 1% faults, was 0%: +1 point only
    ];
    const previous = [edge('orders-db', 200, 2, 0.1), edge('cache', 100, 0, 0.1), edge('steady', 100, 0, 0.1)];
    // Act
    const changes = risenEdges(current, previous, DEFAULT_EDGE_THRESHOLDS);
    // Assess
    expect(changes.map((change) => [change.name, change.faultRateRose, change.latencyRose])).toEqual([
      ['api -> orders-db', true, false],
      ['api -> search', true, false],
      ['api -> cache', false, true],
    ]);
    expect(changes[0]).toMatchObject({ requests: 200, previousRequests: 200, faultRate: 0.15, previousFaultRate: 0.01 });
    expect(changes[1]).toMatchObject({ faultRate: 0.1, previousFaultRate: null, previousMeanLatencySeconds: null });
    expect(changes[2]?.meanLatencySeconds).toBeCloseTo(0.5, 10);
    expect(changes[2]?.previousMeanLatencySeconds).toBeCloseTo(0.1, 10);
  });

  it('adds up an edge listed twice before comparing', () => {
    // Prepare: two halves of 100 requests, 10 + 0 faults: 5% together, exactly the threshold.
    const current = [edge('orders-db', 100, 10, 0.1), edge('orders-db', 100, 0, 0.1)];
    // Act
    const changes = risenEdges(current, [], DEFAULT_EDGE_THRESHOLDS);
    // Assess
    expect(changes.map((change) => [change.requests, change.faultRate])).toEqual([[200, 0.05]]);
  });

  it.each([
    ['minRequests of 0', { minRequests: 0 }, 'thresholds.minRequests must be an integer >= 1; got 0'],
    ['a fault-rate increase above 1', { faultRateIncrease: 5 }, 'thresholds.faultRateIncrease must be a number in (0, 1]; got 5'],
    ['a latency factor of 1', { latencyFactor: 1 }, 'thresholds.latencyFactor must be a finite number > 1; got 1'],
  ])('refuses %s', (_sentence, override, message) => {
    expect(() => risenEdges([], [], { ...DEFAULT_EDGE_THRESHOLDS, ...override })).toThrow(message);
  });
});

describe('median', () => {
  it.each([
    ['no values', [], null],
    ['one value', [5], 5],
    ['an odd count, unsorted', [3, 1, 2], 2],
    ['an even count: the mean of the two middle values', [4, 1, 3, 2], 2.5],
    ['720 minutes at 100 and 720 at 120', [...Array<number>(720).fill(100), ...Array<number>(720).fill(120)], 110],
  ])('of %s', (_sentence, values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

describe('perMinuteTotals', () => {
  it('fills minutes without a datapoint with 0 and ignores points outside the range', () => {
    // Prepare
    const points: MinuteCount[] = [
      { start: T0 - MINUTE_MS, total: 99 },
      { start: T0, total: 4 },
      { start: T0 + 2 * MINUTE_MS, total: 6 },
      { start: T0 + 3 * MINUTE_MS, total: 99 },
    ];
    // Act / Assess
    expect(perMinuteTotals(points, T0, T0 + 3 * MINUTE_MS)).toEqual([4, 0, 6]);
  });

  it('refuses a range that is not minute-aligned', () => {
    expect(() => perMinuteTotals([], T0 + 1, T0 + MINUTE_MS)).toThrow('from must be a minute-aligned epoch-ms time; got 1768478400001');
  });
});

describe('assessTrafficJump', () => {
  /** `count` minutes of `rate` requests each, from `start`. */
  function minutes(start: number, count: number, rate: number): MinuteCount[] {
    return Array.from({ length: count }, (_, i) => ({ start: start + i * MINUTE_MS, total: rate }));
  }
  const W_START = T0;
  const W_END = T0 + 30 * MINUTE_MS;
  // The previous 24 h: 720 minutes at 100/min then 720 at 120/min, so the median is (100 + 120) / 2 = 110.
  const DAY = [...minutes(W_START - DAY_MS, 720, 100), ...minutes(W_START - DAY_MS / 2, 720, 120)];
  // The window: 10 minutes at 100/min, then 20 at 400/min.
  const JUMP = [...minutes(W_START, 10, 100), ...minutes(W_START + 10 * MINUTE_MS, 20, 400)];
  const input = (overrides: Partial<TrafficJumpInput>): TrafficJumpInput => ({
    windowStart: W_START,
    windowEnd: W_END,
    recent: [...DAY, ...JUMP],
    weekAgo: minutes(W_START - WEEK_MS, 30, 150),
    factor: 2,
    sustainMinutes: 5,
    minRequestsPerMinute: 1,
    ...overrides,
  });

  it('finds a jump to 400/min against a baseline of 150/min (the larger of the 24 h median 110 and last week 150)', () => {
    // Act
    const jump = assessTrafficJump(input({}));
    // Assess: 400 / 150 = 2.67 >= 2; the mean over the window is (10 x 100 + 20 x 400) / 30 = 300.
    expect(jump).toMatchObject({ dayMedianRate: 110, weekAgoMedianRate: 150, baselineRate: 150, peakRate: 400, meanRate: 300, isJump: true });
    expect(jump.jumpFactor).toBeCloseTo(400 / 150, 10);
    expect(jump.jumpAt).toBe(W_START + 10 * MINUTE_MS);
  });

  it('finds no jump when the same hour last week was as busy (a weekly peak, not a jump)', () => {
    // Act: last week 250/min makes the threshold 2 x 250 = 500 > 400.
    const jump = assessTrafficJump(input({ weekAgo: minutes(W_START - WEEK_MS, 30, 250) }));
    // Assess
    expect(jump).toMatchObject({ baselineRate: 250, isJump: false, jumpAt: null });
    expect(jump.jumpFactor).toBeCloseTo(1.6, 10);
  });

  it('ignores a 2-minute burst: 2 x 500 + 3 x 100 over 5 minutes is 260/min, below 2 x 150', () => {
    // Prepare
    const burst = [...minutes(W_START, 10, 100), ...minutes(W_START + 10 * MINUTE_MS, 2, 500), ...minutes(W_START + 12 * MINUTE_MS, 18, 100)];
    // Act
    const jump = assessTrafficJump(input({ recent: [...DAY, ...burst] }));
    // Assess
    expect(jump.peakRate).toBe(260);
    expect(jump.isJump).toBe(false);
  });

  it('uses the 24 h median alone when last week had no datapoints', () => {
    // Act: threshold 2 x 110 = 220 <= 400.
    const jump = assessTrafficJump(input({ weekAgo: [] }));
    // Assess
    expect(jump).toMatchObject({ weekAgoMedianRate: null, baselineRate: 110, isJump: true });
    expect(jump.jumpFactor).toBeCloseTo(400 / 110, 10);
  });

  it.each([
    ['traffic of 2/min without any earlier datapoint is a jump without a factor', 2, true],
    ['traffic of 0.5/min without any earlier datapoint is too quiet to count', 0.5, false],
  ])('says %s', (_sentence, rate, isJump) => {
    // Act
    const jump = assessTrafficJump(input({ recent: minutes(W_START, 30, rate), weekAgo: [] }));
    // Assess
    expect(jump).toMatchObject({ baselineRate: null, jumpFactor: null, isJump });
  });

  it('takes the whole window as the run when it is shorter than sustainMinutes', () => {
    // Act: 3 minutes at 100, 400, 400: one run with mean 300.
    const jump = assessTrafficJump(input({ windowEnd: W_START + 3 * MINUTE_MS, recent: [...DAY, ...minutes(W_START, 1, 100), ...minutes(W_START + MINUTE_MS, 2, 400)] }));
    // Assess: 300 >= 2 x 150; the first minute at the threshold is the second.
    expect(jump).toMatchObject({ peakRate: 300, isJump: true, jumpAt: W_START + MINUTE_MS });
  });

  it.each([
    ['a factor below 1', { factor: 0.5 }, 'factor must be a finite number >= 1; got 0.5'],
    ['sustainMinutes of 0', { sustainMinutes: 0 }, 'sustainMinutes must be an integer >= 1; got 0'],
    ['a window that ends at its start', { windowEnd: W_START }, `windowEnd must be a time after windowStart (${W_START}); got ${W_START}`],
  ])('refuses %s', (_sentence, override, message) => {
    expect(() => assessTrafficJump(input(override))).toThrow(message);
  });
});
