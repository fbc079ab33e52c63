import { CORRELATION_SCORE_FLOOR, correlate, describeOffset, FAILURE_MODE_PRIOR, SYMPTOM_WEIGHT } from '../../lambda/domain/correlation';
import type { CorrelationInput } from '../../lambda/domain/correlation';
import type { CollectorResult, EvidenceItem, EvidenceSource, FailureMode } from '../../lambda/domain/model';
import { MINUTE_MS } from '../../lambda/domain/model';

const ONSET = Date.UTC(2024, 4, 1, 12, 0);
const NOW = ONSET + 5 * MINUTE_MS;
const ALL_TENANTS = Array.from({ length: 47 }, (_, i) => `tenant-${i}`);

interface EvidenceSpec {
  readonly resource: string;
  readonly failureMode: FailureMode;
  /** Minutes before onset; negative is after onset. */
  readonly minutesBefore: number;
  /** Minutes before onset it ended; null while ongoing. */
  readonly endedMinutesBefore?: number | null;
  readonly tenants?: readonly string[];
  readonly summary?: string;
  /** @default the usual source of the failure mode (SOURCE_OF) */
  readonly source?: EvidenceSource;
}

const SOURCE_OF: Readonly<Record<FailureMode, EvidenceSource>> = {
  deployment: 'codedeploy',
  'database-failover': 'rds',
  capacity: 'autoscaling',
  'cold-start': 'lambda',
  overload: 'load',
  dependency: 'xray',
  unknown: 'logs',
};

function evidence(spec: EvidenceSpec): EvidenceItem {
  const ended = spec.endedMinutesBefore ?? null;
  return {
    source: spec.source ?? SOURCE_OF[spec.failureMode],
    failureMode: spec.failureMode,
    resource: spec.resource,
    at: ONSET - spec.minutesBefore * MINUTE_MS,
    endedAt: ended === null ? null : ONSET - ended * MINUTE_MS,
    summary: spec.summary ?? `${spec.failureMode} on ${spec.resource}`,
    tenants: spec.tenants ?? [],
    details: {},
  };
}

function input(items: readonly EvidenceItem[], affectedTenants: readonly string[], extra: readonly CollectorResult[] = []): CorrelationInput {
  return {
    onsetAt: ONSET,
    affectedTenants,
    sloTenantCount: ALL_TENANTS.length,
    collectors: [{ source: 'codedeploy', status: 'ok', items }, ...extra],
    now: NOW,
  };
}

describe('correlate: ranking', () => {
  interface RankingRow {
    readonly case: string;
    readonly winner: EvidenceSpec;
    readonly loser: EvidenceSpec;
    readonly affected: readonly string[];
  }
  it.each<RankingRow>([
    {
      case: 'a deployment 2 minutes before onset beats an RDS failover an hour before',
      winner: { resource: 'api-prod', failureMode: 'deployment', minutesBefore: 2 },
      loser: { resource: 'orders-db', failureMode: 'database-failover', minutesBefore: 60, endedMinutesBefore: 55 },
      affected: ALL_TENANTS.slice(0, 3),
    },
    {
      case: 'a burn on all tenants ranks shared infrastructure before evidence naming one tenant',
      winner: { resource: 'api-asg', failureMode: 'capacity', minutesBefore: 5 },
      loser: { resource: 'fn-tenant-0', failureMode: 'capacity', minutesBefore: 5, tenants: ['tenant-0'] },
      affected: ALL_TENANTS,
    },
    {
      case: 'a single-tenant burn ranks evidence naming that tenant before shared infrastructure',
      winner: { resource: 'fn-tenant-0', failureMode: 'capacity', minutesBefore: 5, tenants: ['tenant-0'] },
      loser: { resource: 'api-asg', failureMode: 'capacity', minutesBefore: 5 },
      affected: ['tenant-0'],
    },
    {
      case: 'a single-tenant burn ranks its own cold starts before a shared deployment at the same time',
      winner: { resource: 'fn-tenant-0', failureMode: 'cold-start', minutesBefore: 5, tenants: ['tenant-0'] },
      loser: { resource: 'api-prod', failureMode: 'deployment', minutesBefore: 5 },
      affected: ['tenant-0'],
    },
    {
      case: 'a single-tenant burn ranks evidence naming it before evidence naming another tenant',
      winner: { resource: 'fn-tenant-0', failureMode: 'capacity', minutesBefore: 5, tenants: ['tenant-0'] },
      loser: { resource: 'fn-tenant-9', failureMode: 'capacity', minutesBefore: 5, tenants: ['tenant-9'] },
      affected: ['tenant-0'],
    },
    {
      case: 'an event 3 minutes after onset ranks below one 3 minutes before',
      winner: { resource: 'api-asg-a', failureMode: 'capacity', minutesBefore: 3 },
      loser: { resource: 'api-asg-b', failureMode: 'capacity', minutesBefore: -3 },
      affected: ALL_TENANTS.slice(0, 3),
    },
    {
      case: 'a deployment 1 minute after onset ranks below a capacity event 4 minutes before',
      winner: { resource: 'api-asg', failureMode: 'capacity', minutesBefore: 4 },
      loser: { resource: 'api-prod', failureMode: 'deployment', minutesBefore: -1 },
      affected: ALL_TENANTS.slice(0, 3),
    },
    {
      case: 'a deployment 2 minutes before onset ranks above X-Ray faults at onset on the edge it breaks (a symptom)',
      winner: { resource: 'api-prod', failureMode: 'deployment', minutesBefore: 2 },
      loser: { resource: 'api -> orders-db', failureMode: 'dependency', minutesBefore: 0, tenants: ALL_TENANTS.slice(0, 3) },
      affected: ALL_TENANTS.slice(0, 3),
    },
    {
      case: 'a traffic jump 3 minutes before onset ranks above the error logs of the same tenant at onset',
      winner: { resource: 'api/tenant-0', failureMode: 'overload', minutesBefore: 3, tenants: ['tenant-0'] },
      loser: { resource: '/aws/lambda/api', failureMode: 'unknown', minutesBefore: 0, tenants: ['tenant-0'] },
      affected: ['tenant-0'],
    },
    {
      case: 'X-Ray faults on a dependency at onset rank above an RDS failover that ended an hour before',
      winner: { resource: 'api -> orders-db', failureMode: 'dependency', minutesBefore: 0, tenants: ALL_TENANTS.slice(0, 3) },
      loser: { resource: 'orders-db', failureMode: 'database-failover', minutesBefore: 60, endedMinutesBefore: 55 },
      affected: ALL_TENANTS.slice(0, 3),
    },
    {
      case: 'error logs naming the burning tenant rank above a scale-out 5 minutes after onset',
      winner: { resource: '/aws/lambda/api', failureMode: 'dependency', source: 'logs', minutesBefore: 0, tenants: ['tenant-0'] },
      loser: { resource: 'api-asg', failureMode: 'capacity', minutesBefore: -5 },
      affected: ['tenant-0'],
    },
    {
      case: 'X-Ray faults first seen 3 minutes after onset (within a symptom\'s lag) rank above a scale-out 3 minutes after onset',
      winner: { resource: 'api -> orders-db', failureMode: 'dependency', minutesBefore: -3, tenants: ALL_TENANTS.slice(0, 3) },
      loser: { resource: 'api-asg', failureMode: 'capacity', minutesBefore: -3 },
      affected: ALL_TENANTS.slice(0, 3),
    },
    {
      case: 'X-Ray faults first seen 3 minutes after onset rank above the same faults first seen 12 minutes after',
      winner: { resource: 'api -> orders-db', failureMode: 'dependency', minutesBefore: -3, tenants: ALL_TENANTS.slice(0, 3) },
      loser: { resource: 'api -> cache', failureMode: 'dependency', minutesBefore: -12, tenants: ALL_TENANTS.slice(0, 3) },
      affected: ALL_TENANTS.slice(0, 3),
    },
    {
      case: 'an event still ongoing at onset ranks above the same event that ended before onset',
      winner: { resource: 'orders-db-a', failureMode: 'database-failover', minutesBefore: 10, endedMinutesBefore: null },
      loser: { resource: 'orders-db-b', failureMode: 'database-failover', minutesBefore: 10, endedMinutesBefore: 8 },
      affected: ALL_TENANTS.slice(0, 3),
    },
  ])('$case', ({ winner, loser, affected }) => {
    // Prepare: the loser is listed first so the order cannot come from the input.
    const items = [evidence(loser), evidence(winner)];

    // Act
    const result = correlate(input(items, affected));

    // Assess
    expect(result.ranked.map((cause) => cause.evidence.resource)).toEqual([winner.resource, loser.resource]);
    expect(result.ranked[0]!.score).toBeGreaterThan(result.ranked[1]!.score);
  });

  it('orders equal timing and scope by failure mode: deployment, database failover, capacity, cold start', () => {
    // Prepare
    const modes: FailureMode[] = ['cold-start', 'capacity', 'database-failover', 'deployment'];
    const items = modes.map((failureMode) => evidence({ resource: failureMode, failureMode, minutesBefore: 5 }));

    // Act
    const result = correlate(input(items, ALL_TENANTS.slice(0, 3)));

    // Assess
    expect(result.ranked.map((cause) => cause.evidence.failureMode)).toEqual([
      'deployment',
      'database-failover',
      'capacity',
      'cold-start',
    ]);
  });

  it('scores every item in 0..1 and scores an event more than an hour before near zero', () => {
    // Prepare
    const items = [
      evidence({ resource: 'at-onset', failureMode: 'deployment', minutesBefore: 0 }),
      evidence({ resource: 'old', failureMode: 'deployment', minutesBefore: 90 }),
      evidence({ resource: 'late', failureMode: 'unknown', minutesBefore: -120, tenants: ['someone-else'] }),
    ];

    // Act
    const result = correlate(input(items, ALL_TENANTS));

    // Assess
    for (const cause of result.ranked) {
      expect(cause.score).toBeGreaterThanOrEqual(0);
      expect(cause.score).toBeLessThanOrEqual(1);
    }
    expect(result.ranked.find((cause) => cause.evidence.resource === 'old')!.score).toBeLessThan(CORRELATION_SCORE_FLOOR / 2);
  });
});

describe('correlate: the suspected cause', () => {
  it('names the top item with its timing and the tenant count', () => {
    // Prepare
    const deployment = evidence({
      resource: 'api-prod',
      failureMode: 'deployment',
      minutesBefore: 2,
      summary: 'deployment d-4F2 to api-prod',
    });

    // Act
    const result = correlate(input([deployment], ALL_TENANTS.slice(0, 3)));

    // Assess
    expect(result.suspectedCause).toBe('deployment d-4F2 to api-prod 2 min before onset; 3 of 47 tenants');
    expect(result.failureMode).toBe('deployment');
    expect(result.ranked[0]!.reasons).toEqual(
      expect.arrayContaining([expect.stringContaining('started 2 min before onset'), expect.stringContaining('shared infrastructure')]),
    );
  });

  it('names the X-Ray edge after the top cause and the tenant count, and records why in the outcome', () => {
    // Prepare: the deployment (a change) and the X-Ray edge it breaks (where requests fail), 3 of 47 tenants
    const deployment = evidence({ resource: 'api-prod', failureMode: 'deployment', minutesBefore: 2, summary: 'deployment d-4F2 to api-prod' });
    const edge = evidence({
      resource: 'api -> orders-db',
      failureMode: 'dependency',
      minutesBefore: 0,
      tenants: ALL_TENANTS.slice(0, 3),
      summary: 'X-Ray: 91% of faults on edge api -> orders-db',
    });

    // Act
    const result = correlate(input([edge, deployment], ALL_TENANTS.slice(0, 3)));

    // Assess
    expect(result.suspectedCause).toBe('deployment d-4F2 to api-prod 2 min before onset; 3 of 47 tenants; X-Ray: 91% of faults on edge api -> orders-db');
    expect(result.failureMode).toBe('deployment');
    expect(result.corroboratedBy).toEqual({
      source: 'xray',
      resource: 'api -> orders-db',
      summary: 'X-Ray: 91% of faults on edge api -> orders-db',
      score: result.ranked[1]!.score,
      reason: expect.stringContaining('the best-ranked symptom from another source than the top cause (codedeploy): rank 2 of 2'),
    });
    expect(result.ranked[1]!.reasons).toContain(`xray shows where requests fail, observed with the burn rather than before it (weight ${SYMPTOM_WEIGHT})`);
  });

  it('weighs a symptom by SYMPTOM_WEIGHT on top of timing, scope and prior', () => {
    // Prepare: X-Ray faults at onset naming all 3 burning tenants of 47
    const edge = evidence({ resource: 'api -> orders-db', failureMode: 'dependency', minutesBefore: 0, tenants: ALL_TENANTS.slice(0, 3) });

    // Act
    const [ranked] = correlate(input([edge], ALL_TENANTS.slice(0, 3))).ranked;

    // Assess: timing min(1, 1.25) = 1; scope recall 1 x (0.75 + 0.25 x precision 1) x (1 - 0.5 x 3/47); prior 0.6 + 0.4 x 0.65
    const scope = 1 * (0.75 + 0.25 * 1) * (1 - (0.5 * 3) / 47);
    const expected = 1 * (0.3 + 0.7 * scope) * (0.6 + 0.4 * FAILURE_MODE_PRIOR.dependency) * SYMPTOM_WEIGHT;
    expect(ranked!.score).toBeCloseTo(expected, 10);
  });

  it.each([
    {
      case: 'the other evidence is a competing cause, not a symptom',
      other: { resource: 'orders-db', failureMode: 'database-failover' as const, minutesBefore: 4, summary: 'RDS failover of orders-db' },
    },
    {
      case: 'the symptom scores below the floor',
      other: { resource: 'api -> cache', failureMode: 'dependency' as const, minutesBefore: -40, tenants: ['someone-else'], summary: 'X-Ray: faults on edge api -> cache' },
    },
  ])('names nothing after the tenant count when $case', ({ other }) => {
    // Prepare
    const deployment = evidence({ resource: 'api-prod', failureMode: 'deployment', minutesBefore: 2, summary: 'deployment d-4F2 to api-prod' });

    // Act
    const result = correlate(input([deployment, evidence(other)], ALL_TENANTS.slice(0, 3)));

    // Assess
    expect(result.suspectedCause).toBe('deployment d-4F2 to api-prod 2 min before onset; 3 of 47 tenants');
    expect(result.corroboratedBy).toBeUndefined();
  });

  it('names the log errors after an X-Ray top cause, as the symptom from another source', () => {
    // Prepare: no change event at all; traces and logs both show the dependency
    const edge = evidence({ resource: 'api -> orders-db', failureMode: 'dependency', minutesBefore: 0, tenants: ['tenant-0'], summary: 'X-Ray: 100% of faults on edge api -> orders-db (12 of 12 traces)' });
    const logs = evidence({ resource: '/aws/lambda/api', failureMode: 'unknown', source: 'logs', minutesBefore: 0, tenants: ['tenant-0'], summary: 'logs /aws/lambda/api: 40 x "connection refused <ip>" (tenant-0)' });

    // Act
    const result = correlate(input([logs, edge], ['tenant-0']));

    // Assess
    expect(result.suspectedCause).toBe(
      'X-Ray: 100% of faults on edge api -> orders-db (12 of 12 traces) at onset; 1 of 47 tenants; logs /aws/lambda/api: 40 x "connection refused <ip>" (tenant-0)',
    );
    expect(result.failureMode).toBe('dependency');
  });

  it('gives a lone candidate its own score as confidence and halves it for an exact tie', () => {
    // Prepare
    const one = evidence({ resource: 'api-asg-a', failureMode: 'capacity', minutesBefore: 3 });
    const twin = evidence({ resource: 'api-asg-b', failureMode: 'capacity', minutesBefore: 3 });

    // Act
    const alone = correlate(input([one], ALL_TENANTS));
    const tied = correlate(input([one, twin], ALL_TENANTS));

    // Assess
    expect(alone.confidence).toBeCloseTo(alone.ranked[0]!.score, 10);
    expect(tied.confidence).toBeCloseTo(tied.ranked[0]!.score / 2, 10);
  });

  it.each([
    { case: 'no collector found anything', items: [] as EvidenceItem[] },
    {
      case: 'the only evidence is three hours before onset',
      items: [evidence({ resource: 'orders-db', failureMode: 'database-failover', minutesBefore: 180, endedMinutesBefore: 170 })],
    },
  ])('is unknown when $case, naming the collectors that could not look', ({ items }) => {
    // Prepare
    const unavailable: CollectorResult[] = [
      { source: 'rds', status: 'unavailable', reason: 'AccessDenied on rds:DescribeEvents' },
      { source: 'xray', status: 'unavailable', reason: 'timed out after 10 s' },
    ];

    // Act
    const result = correlate(input(items, ALL_TENANTS.slice(0, 2), unavailable));

    // Assess
    expect(result.failureMode).toBe('unknown');
    expect(result.confidence).toBe(0);
    expect(result.suspectedCause).toContain('not checked: rds (AccessDenied on rds:DescribeEvents), xray (timed out after 10 s)');
    expect(result.unavailable.map((entry) => entry.source)).toEqual(['rds', 'xray']);
  });
});

describe('describeOffset', () => {
  it.each([
    { event: '2 minutes before onset', at: ONSET - 2 * MINUTE_MS, text: '2 min before onset' },
    { event: '10 seconds before onset', at: ONSET - 10_000, text: 'at onset' },
    { event: '3 minutes after onset', at: ONSET + 3 * MINUTE_MS, text: '3 min after onset' },
    { event: '65 minutes before onset', at: ONSET - 65 * MINUTE_MS, text: '1 h 5 min before onset' },
    { event: '120 minutes before onset', at: ONSET - 120 * MINUTE_MS, text: '2 h before onset' },
  ])('describes an event $event as "$text"', ({ at, text }) => {
    // Act / Assess
    expect(describeOffset(at, ONSET)).toBe(text);
  });
});

describe('correlate: bad input', () => {
  it.each<[string, Partial<CorrelationInput>, RegExp]>([
    ['no tenant is affected', { affectedTenants: [] }, /affectedTenants must be a list of at least one tenant/],
    ['the SLO has fewer tenants than burn', { affectedTenants: ['a', 'b', 'c'], sloTenantCount: 2 }, /sloTenantCount must be a whole number of at least 3; got 2/],
    ['the onset is not a time', { onsetAt: Number.NaN }, /onsetAt must be epoch milliseconds/],
    [
      'an item has no time',
      { collectors: [{ source: 'rds', status: 'ok', items: [{ ...evidence({ resource: 'db', failureMode: 'database-failover', minutesBefore: 1 }), at: Number.NaN }] }] },
      /collectors\[0\]\.items\[0\]\.at must be epoch milliseconds/,
    ],
  ])('names the field when %s', (_case, overrides, message) => {
    // Prepare
    const bad = { ...input([], ['tenant-0']), ...overrides };

    // Act / Assess
    expect(() => correlate(bad)).toThrow(message);
  });
});
