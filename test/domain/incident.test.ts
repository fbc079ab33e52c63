import { DomainInputError } from '../../lambda/domain/burn';
import {
  EXECUTION_NAME_PATTERN,
  appendTimeline,
  executionNameFor,
  groupingDecision,
  incidentIdFor,
  joinIncident,
  openIncident,
  recoverTenant,
  resolveIfAllRecovered,
  summariseResolution,
  IncidentStateError,
} from '../../lambda/domain/incident';
import type { BurningTenant, GroupingInput } from '../../lambda/domain/incident';
import type { Incident, Severity } from '../../lambda/domain/model';
import { MINUTE_MS } from '../../lambda/domain/model';

const T0 = Date.UTC(2024, 4, 1, 12, 34, 56);
const SLO = 'checkout-availability';

function burning(tenant: string, level: Severity = 'ticket', budgetRemaining = 0.9): BurningTenant {
  return { tenant, level, burnRates: { '5': 15, '60': 14.5 }, budgetRemaining };
}

function incidentOf(tenants: readonly BurningTenant[], now = T0): Incident {
  return openIncident({ slo: SLO, severity: 'ticket', tenants, now });
}

function grouping(incident: Incident | null, overrides: Partial<GroupingInput>): GroupingInput {
  return {
    pointer: incident ? { incidentId: incident.id, openedAt: incident.openedAt } : null,
    openIncident: incident,
    newlyBurning: ['zeta'],
    sloTenantCount: 47,
    now: T0,
    groupingIntervalMinutes: 5,
    groupingTenantShare: 0.25,
    ...overrides,
  };
}

describe('incidentIdFor and executionNameFor', () => {
  it('builds a readable id from the SLO slug, the opening minute in UTC and a hash', () => {
    // Act
    const id = incidentIdFor('Checkout Availability', T0, 'acme');

    // Assess
    expect(id).toMatch(/^checkout-availability-20240501T1234-[0-9a-f]{8}$/);
  });

  it('gives the same id for the same inputs and a different one for another first tenant', () => {
    // Act
    const first = incidentIdFor(SLO, T0, 'acme');
    const again = incidentIdFor(SLO, T0, 'acme');
    const other = incidentIdFor(SLO, T0, 'globex');

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it.each([
    ['a plain SLO and tenant', 'checkout-availability', 'acme'],
    ['unicode and emoji', 'Zahlungsdienst Verfügbarkeit 🚀', 'テナント-東京'],
    ['quotes, slashes and spaces', `api "prod" / 'eu' : 99.9%`, `o'brien "and" sons`],
    ['1,000-character names', 'x'.repeat(1000), 'y'.repeat(1000)],
    ['an SLO with no ASCII letter or digit', '日本語のSLO', '   '],
  ])('gives a valid Step Functions execution name for %s', (_case, slo, tenant) => {
    // Act
    const incident = openIncident({ slo, severity: 'page', tenants: [burning(tenant)], now: T0 });
    const id = incidentIdFor(slo, T0, tenant);
    const names = [executionNameFor({ id }), executionNameFor({ id }, 2), executionNameFor({ id }, 99_999), executionNameFor(incident)];

    // Assess
    for (const name of names) {
      expect(name).toMatch(EXECUTION_NAME_PATTERN);
      expect(name.length).toBeLessThanOrEqual(80);
    }
  });

  it('names a restart differently from the first attempt', () => {
    // Prepare
    const incident = incidentOf([burning('acme')]);

    // Act
    const first = executionNameFor(incident);
    const second = executionNameFor(incident, 2);

    // Assess
    expect(first).toBe(incident.id);
    expect(second).toBe(`${incident.id}-a2`);
  });

  it.each([
    ['openedAt is not a number', () => incidentIdFor(SLO, Number.NaN, 'acme'), /openedAt must be epoch milliseconds.*got NaN/],
    ['the SLO is empty', () => incidentIdFor('', T0, 'acme'), /slo must be a non-empty string; got ""/],
    ['the attempt is 0', () => executionNameFor({ id: 'x' }, 0), /attempt must be a whole number of at least 1; got 0/],
    ['the id has a space', () => executionNameFor({ id: 'bad id' }), /incident.id must be an id from incidentIdFor/],
  ])('rejects bad input when %s', (_case, act, message) => {
    // Act / Assess
    expect(act).toThrow(DomainInputError);
    expect(act).toThrow(message);
  });
});

describe('openIncident and joinIncident', () => {
  it('opens with every tenant, version 1, and raises severity to page when a tenant pages', () => {
    // Act
    const incident = incidentOf([burning('acme', 'ticket', 0.8), burning('globex', 'page', 0.6)]);

    // Assess
    expect(incident).toMatchObject({ slo: SLO, status: 'open', severity: 'page', openedAt: T0, resolvedAt: null, version: 1 });
    expect(incident.tenants).toEqual([
      expect.objectContaining({ tenant: 'acme', joinedAt: T0, level: 'ticket', budgetRemainingAtJoin: 0.8, recoveredAt: null }),
      expect.objectContaining({ tenant: 'globex', joinedAt: T0, level: 'page', budgetRemainingAtJoin: 0.6, recoveredAt: null }),
    ]);
    expect(incident.id).toBe(incidentIdFor(SLO, T0, 'acme'));
  });

  it('lists a tenant given twice only once', () => {
    // Act
    const incident = incidentOf([burning('acme'), burning('acme')]);

    // Assess
    expect(incident.tenants.map((entry) => entry.tenant)).toEqual(['acme']);
  });

  it.each<[string, Severity, BurningTenant[], Severity, string[]]>([
    ['a new ticket tenant joins a ticket incident', 'ticket', [burning('globex', 'ticket')], 'ticket', ['acme', 'globex']],
    ['a paging tenant raises a ticket incident to page', 'ticket', [burning('globex', 'page')], 'page', ['acme', 'globex']],
    ['a ticket tenant leaves a page incident at page', 'page', [burning('globex', 'ticket')], 'page', ['acme', 'globex']],
    ['a present tenant escalating raises severity without a second entry', 'ticket', [burning('acme', 'page')], 'page', ['acme']],
  ])('when %s', (_case, openLevel, joining, severity, tenants) => {
    // Prepare
    const incident = incidentOf([burning('acme', openLevel)]);

    // Act
    const joined = joinIncident(incident, joining, T0 + MINUTE_MS);

    // Assess
    expect(joined.severity).toBe(severity);
    expect(joined.tenants.map((entry) => entry.tenant)).toEqual(tenants);
    expect(joined.version).toBe(2);
  });

  it('is idempotent: joining a tenant already burning changes nothing and keeps the version', () => {
    // Prepare
    const incident = joinIncident(incidentOf([burning('acme')]), [burning('globex')], T0 + MINUTE_MS);

    // Act
    const again = joinIncident(incident, [burning('globex'), burning('acme')], T0 + 2 * MINUTE_MS);

    // Assess
    expect(again).toBe(incident);
    expect(again.tenants).toHaveLength(2);
  });

  it('lets a recovered tenant burn again, keeping its first join so its budget lost covers the whole incident', () => {
    // Prepare
    const incident = recoverTenant(incidentOf([burning('acme', 'ticket', 0.9), burning('globex')]), 'acme', T0 + 10 * MINUTE_MS, 0.88);

    // Act
    const again = joinIncident(incident, [burning('acme', 'page', 0.88)], T0 + 20 * MINUTE_MS);
    const recovered = recoverTenant(again, 'acme', T0 + 30 * MINUTE_MS, 0.84);

    // Assess
    expect(again.tenants[0]).toMatchObject({ tenant: 'acme', joinedAt: T0, recoveredAt: null, budgetLost: null, level: 'page' });
    expect(recovered.tenants[0]?.budgetLost).toBeCloseTo(0.9 - 0.84, 10);
  });

  it('refuses to join a resolved incident', () => {
    // Prepare
    const resolved = resolveIfAllRecovered(recoverTenant(incidentOf([burning('acme')]), 'acme', T0 + MINUTE_MS, 0.9), T0 + MINUTE_MS);

    // Act / Assess
    expect(() => joinIncident(resolved, [burning('globex')], T0 + 2 * MINUTE_MS)).toThrow(IncidentStateError);
  });

  it('names the tenants field when opened without tenants', () => {
    // Act / Assess
    expect(() => openIncident({ slo: SLO, severity: 'page', tenants: [], now: T0 })).toThrow(/tenants must be a list of at least one/);
  });
});

describe('recoverTenant and resolveIfAllRecovered', () => {
  it('records the budget lost as budget remaining at join minus budget remaining now', () => {
    // Prepare: 0.92 of the period's budget left at join, 0.87 at recovery -> 5% of the budget lost.
    const incident = incidentOf([burning('acme', 'page', 0.92)]);

    // Act
    const recovered = recoverTenant(incident, 'acme', T0 + 25 * MINUTE_MS, 0.87);

    // Assess
    expect(recovered.tenants[0]?.recoveredAt).toBe(T0 + 25 * MINUTE_MS);
    expect(recovered.tenants[0]?.budgetLost).toBeCloseTo(0.05, 10);
    expect(recovered.version).toBe(incident.version + 1);
  });

  it('reports no loss rather than a gain when the rolling period returned budget during the burn', () => {
    // Act
    const recovered = recoverTenant(incidentOf([burning('acme', 'page', 0.5)]), 'acme', T0 + MINUTE_MS, 0.51);

    // Assess
    expect(recovered.tenants[0]?.budgetLost).toBe(0);
  });

  it.each([
    { case: 'one of three tenants recovers while the others burn', recovering: ['acme'], status: 'open', resolvedAt: null },
    { case: 'two of three tenants recover', recovering: ['acme', 'globex'], status: 'open', resolvedAt: null },
    { case: 'the last tenant recovers', recovering: ['acme', 'globex', 'initech'], status: 'resolved', resolvedAt: T0 + 30 * MINUTE_MS },
  ])('when $case the incident is $status', ({ recovering, status, resolvedAt }) => {
    // Prepare
    let incident = incidentOf([burning('acme'), burning('globex'), burning('initech')]);

    // Act
    for (const tenant of recovering) incident = recoverTenant(incident, tenant, T0 + 20 * MINUTE_MS, 0.85);
    incident = resolveIfAllRecovered(incident, T0 + 30 * MINUTE_MS);

    // Assess
    expect(incident.status).toBe(status);
    expect(incident.resolvedAt).toBe(resolvedAt);
  });

  it('leaves an incident with a burning tenant unchanged, version included', () => {
    // Prepare
    const incident = recoverTenant(incidentOf([burning('acme'), burning('globex')]), 'acme', T0 + MINUTE_MS, 0.9);

    // Act
    const same = resolveIfAllRecovered(incident, T0 + 2 * MINUTE_MS);

    // Assess
    expect(same).toBe(incident);
  });

  it('names the tenant when it is not part of the incident', () => {
    // Act / Assess
    expect(() => recoverTenant(incidentOf([burning('acme')]), 'globex', T0, 0.9)).toThrow(
      /tenant must be one of the tenants of incident .*; got "globex"/,
    );
  });
});

describe('appendTimeline', () => {
  it('appends the entry and increments the version', () => {
    // Prepare
    const incident = incidentOf([burning('acme')]);

    // Act
    const next = appendTimeline(incident, T0 + MINUTE_MS, 'correlated', 'deployment d-4F2 to api-prod 2 min before onset');

    // Assess
    expect(next.timeline.at(-1)).toEqual({ at: T0 + MINUTE_MS, step: 'correlated', detail: 'deployment d-4F2 to api-prod 2 min before onset' });
    expect(next.timeline).toHaveLength(incident.timeline.length + 1);
    expect(next.version).toBe(incident.version + 1);
  });
});

describe('groupingDecision', () => {
  it('groups three tenants burning within two minutes of the same deployment into one incident', () => {
    // Prepare
    let incident = incidentOf([burning('acme')], T0);
    const decisions = [];

    // Act
    for (const [tenant, minutes] of [['globex', 1], ['initech', 2]] as const) {
      const now = T0 + minutes * MINUTE_MS;
      const decision = groupingDecision(grouping(incident, { newlyBurning: [tenant], now }));
      decisions.push(decision);
      if (decision.action === 'join') incident = joinIncident(incident, [burning(tenant)], now);
    }

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'join', incidentId: incident.id }),
      expect.objectContaining({ action: 'join', incidentId: incident.id }),
    ]);
    expect(incident.tenants.map((entry) => entry.tenant)).toEqual(['acme', 'globex', 'initech']);
  });

  const threeBurning = (): Incident => incidentOf([burning('acme'), burning('globex'), burning('initech')]);
  const withCause = (incident: Incident): Incident => ({
    ...incident,
    suspectedCause: 'deployment d-4F2 to api-prod 2 min before onset; 3 of 47 tenants',
  });

  interface GroupingRow {
    readonly case: string;
    readonly input: () => Partial<GroupingInput>;
    readonly action: 'join' | 'open';
  }
  it.each<GroupingRow>([
    { case: 'no incident is open for the SLO', input: () => grouping(null, {}), action: 'open' },
    { case: 'an unrelated tenant burns an hour later', input: () => grouping(threeBurning(), { now: T0 + 60 * MINUTE_MS }), action: 'open' },
    {
      case: 'a tenant burns exactly at the end of the 5 min interval',
      input: () => grouping(threeBurning(), { now: T0 + 5 * MINUTE_MS }),
      action: 'join',
    },
    {
      case: 'the shared cause reaches a new tenant after ten minutes',
      input: () => grouping(withCause(threeBurning()), { now: T0 + 10 * MINUTE_MS, sharedCauseResources: ['api-prod'] }),
      action: 'join',
    },
    {
      case: 'the new tenant has a different suspected cause',
      input: () => grouping(withCause(threeBurning()), { now: T0 + 10 * MINUTE_MS, sharedCauseResources: ['orders-db'] }),
      action: 'open',
    },
    {
      case: "the incident's correlation resources are given and shared",
      input: () =>
        grouping(threeBurning(), {
          now: T0 + 10 * MINUTE_MS,
          sharedCauseResources: ['arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:x:autoScalingGroupName/api'],
          incidentCauseResources: ['arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:x:autoScalingGroupName/api'],
        }),
      action: 'join',
    },
    // 11 burning of 40 plus one new = 12 / 40 = 30 % > 25 %, the last tenant joined 3 minutes ago: still spreading.
    {
      case: 'burning tenants exceed the grouping share while the burn still spreads',
      input: () =>
        grouping(joinIncident(incidentOf(Array.from({ length: 10 }, (_, i) => burning(`t${i}`))), [burning('t10')], T0 + 27 * MINUTE_MS), {
          now: T0 + 30 * MINUTE_MS,
          sloTenantCount: 40,
        }),
      action: 'join',
    },
    // The same share, but nobody joined for 30 minutes: a new wide burn is a new incident, not part of an old one.
    {
      case: 'burning tenants exceed the grouping share but the incident stopped spreading',
      input: () => grouping(incidentOf(Array.from({ length: 11 }, (_, i) => burning(`t${i}`))), { now: T0 + 30 * MINUTE_MS, sloTenantCount: 40 }),
      action: 'open',
    },
    // 9 burning of 40 plus one new = 10 / 40 = 25 %, not more than 25 %.
    {
      case: 'burning tenants reach but do not exceed the grouping share',
      input: () => grouping(incidentOf(Array.from({ length: 9 }, (_, i) => burning(`t${i}`))), { now: T0 + 30 * MINUTE_MS, sloTenantCount: 40 }),
      action: 'open',
    },
  ])('$case -> $action', ({ input, action }) => {
    // Act
    const decision = groupingDecision({ ...grouping(null, {}), ...input() });

    // Assess
    expect(decision.action).toBe(action);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('does not count recovered tenants towards the grouping share', () => {
    // Prepare: 12 tenants joined, 4 recovered: 8 burning + 1 new = 9 of 40 = 22.5 % <= 25 %.
    let incident = incidentOf(Array.from({ length: 12 }, (_, i) => burning(`t${i}`)));
    for (const tenant of ['t0', 't1', 't2', 't3']) incident = recoverTenant(incident, tenant, T0 + 10 * MINUTE_MS, 0.88);

    // Act
    const decision = groupingDecision(grouping(incident, { now: T0 + 30 * MINUTE_MS, sloTenantCount: 40 }));

    // Assess
    expect(decision.action).toBe('open');
  });

  it('opens a new incident when the open one is resolved', () => {
    // Prepare
    const resolved = resolveIfAllRecovered(recoverTenant(incidentOf([burning('acme')]), 'acme', T0, 0.9), T0);

    // Act
    const decision = groupingDecision(grouping(resolved, { now: T0 + MINUTE_MS }));

    // Assess
    expect(decision).toEqual({ action: 'open', reason: expect.stringContaining('resolved') });
  });

  it.each<[string, Partial<GroupingInput>, RegExp]>([
    ['the pointer names another incident', { pointer: { incidentId: 'other', openedAt: T0 } }, /openIncident.id must be the incident the pointer names \(other\)/],
    ['no tenant is newly burning', { newlyBurning: [] }, /newlyBurning must be a list of at least one tenant/],
    ['the share is above 1', { groupingTenantShare: 1.5 }, /groupingTenantShare must be a share from 0 to 1; got 1.5/],
    ['the SLO has no tenants', { sloTenantCount: 0 }, /sloTenantCount must be a whole number of at least 1; got 0/],
  ])('rejects input where %s', (_case, overrides, message) => {
    // Prepare
    const input = grouping(incidentOf([burning('acme')]), overrides);

    // Act / Assess
    expect(() => groupingDecision(input)).toThrow(message);
  });
});

describe('summariseResolution', () => {
  it('gives per tenant how long it burned and the budget it lost, and the incident duration', () => {
    // Prepare: acme burns 0..30 min losing 0.95 - 0.90; globex joins at 2 min and recovers at 20 min losing 0.80 - 0.78.
    let incident = incidentOf([burning('acme', 'page', 0.95)]);
    incident = joinIncident(incident, [burning('globex', 'ticket', 0.8)], T0 + 2 * MINUTE_MS);
    incident = recoverTenant(incident, 'globex', T0 + 20 * MINUTE_MS, 0.78);
    incident = recoverTenant(incident, 'acme', T0 + 30 * MINUTE_MS, 0.9);
    incident = resolveIfAllRecovered(incident, T0 + 30 * MINUTE_MS);

    // Act
    const summary = summariseResolution(incident);

    // Assess
    expect(summary.durationMinutes).toBe(30);
    expect(summary.stillBurning).toEqual([]);
    expect(summary.tenants.map((entry) => [entry.tenant, entry.burnedMinutes])).toEqual([
      ['acme', 30],
      ['globex', 18],
    ]);
    expect(summary.tenants[0]?.budgetLost).toBeCloseTo(0.05, 10);
    expect(summary.tenants[1]?.budgetLost).toBeCloseTo(0.02, 10);
  });

  it('leaves duration and unrecovered tenants open while the incident burns', () => {
    // Prepare
    const incident = recoverTenant(incidentOf([burning('acme'), burning('globex')]), 'acme', T0 + 5 * MINUTE_MS, 0.9);

    // Act
    const summary = summariseResolution(incident);

    // Assess
    expect(summary.durationMinutes).toBeNull();
    expect(summary.stillBurning).toEqual(['globex']);
    expect(summary.tenants[1]).toMatchObject({ burnedMinutes: null, budgetLost: null });
  });
});
