import { DomainInputError } from '../../lambda/domain/burn';
import {
  CAUSE_LOOKBACK_INTERVALS,
  causeGroupingDecision,
  causeResourceOf,
  mergedIntoOf,
  previousIncidentOf,
  recordSuspectedResource,
  successorFor,
  suspectedResourceOf,
} from '../../lambda/domain/cause-grouping';
import type { CauseGroupingInput } from '../../lambda/domain/cause-grouping';
import { closeAsMerged, moveTenantOut, openIncident, recoverTenant, resolveIfAllRecovered } from '../../lambda/domain/incident';
import type { Correlation, EvidenceItem, Incident } from '../../lambda/domain/model';
import { MINUTE_MS } from '../../lambda/domain/model';

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const SLO = 'checkout-availability';
const DEPLOYMENT = 'arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/prod';
const DATABASE = 'arn:aws:rds:eu-west-1:123456789012:db:orders-primary';
const INTERVAL = 5;

function opened(tenants: readonly string[], at: number, previousIncidentId: string | null = null): Incident {
  return openIncident({
    slo: SLO,
    severity: 'page',
    tenants: tenants.map((tenant) => ({ tenant, level: 'page', burnRates: { '5': 20 }, budgetRemaining: 0.9 })),
    now: at,
    previousIncidentId,
  });
}

function suspecting(incident: Incident, resource: string, at = incident.openedAt + MINUTE_MS): Incident {
  return recordSuspectedResource(incident, resource, at);
}

function decide(incident: Incident, resource: string | null, earlier: readonly Incident[], overrides: Partial<CauseGroupingInput> = {}) {
  return causeGroupingDecision({ incident, resource, earlier, groupingIntervalMinutes: INTERVAL, ...overrides });
}

function evidence(resource: string): EvidenceItem {
  return { source: 'codedeploy', failureMode: 'deployment', resource, at: T0, endedAt: null, summary: 'deployment d-1 to shop/prod', tenants: [], details: {} };
}

describe('causeGroupingDecision', () => {
  // The spec's grouping table, as seen by the workflow once it knows the cause.
  const first = suspecting(opened(['acme', 'globex', 'initech'], T0), DEPLOYMENT);

  it.each<[string, () => { incident: Incident; resource: string | null; earlier: Incident[] }, 'merge' | 'keep']>([
    [
      'a tenant reached by the same deployment ten minutes later merges into the open incident',
      () => ({ incident: opened(['umbrella'], T0 + 10 * MINUTE_MS, first.id), resource: DEPLOYMENT, earlier: [first] }),
      'merge',
    ],
    [
      'a tenant burning two minutes later from the same deployment merges too (it opened its own only by a race)',
      () => ({ incident: opened(['hooli'], T0 + 2 * MINUTE_MS, first.id), resource: DEPLOYMENT, earlier: [first] }),
      'merge',
    ],
    [
      'an unrelated tenant an hour later, suspecting another resource, keeps its own incident',
      () => ({ incident: opened(['stark'], T0 + 60 * MINUTE_MS, first.id), resource: DATABASE, earlier: [first] }),
      'keep',
    ],
    [
      'a burn whose cause was not found (unknown) keeps its own incident',
      () => ({ incident: opened(['stark'], T0 + 10 * MINUTE_MS, first.id), resource: null, earlier: [first] }),
      'keep',
    ],
    [
      'the same resource on an incident that has resolved keeps its own incident',
      () => {
        const done = resolveIfAllRecovered(['acme', 'globex', 'initech'].reduce((i, t) => recoverTenant(i, t, T0 + 20 * MINUTE_MS, 0.89), first), T0 + 20 * MINUTE_MS);
        return { incident: opened(['umbrella'], T0 + 30 * MINUTE_MS, first.id), resource: DEPLOYMENT, earlier: [done] };
      },
      'keep',
    ],
    [
      'the same resource on an incident quiet for longer than the lookback keeps its own incident',
      () => ({ incident: opened(['umbrella'], T0 + (CAUSE_LOOKBACK_INTERVALS * INTERVAL + 1) * MINUTE_MS, first.id), resource: DEPLOYMENT, earlier: [first] }),
      'keep',
    ],
    [
      'an incident of another SLO suspecting the same resource is not merged into',
      () => ({ incident: opened(['umbrella'], T0 + 10 * MINUTE_MS, first.id), resource: DEPLOYMENT, earlier: [{ ...first, slo: 'search-latency' }] }),
      'keep',
    ],
  ])('%s', (_name, prepare, expected) => {
    // Prepare
    const { incident, resource, earlier } = prepare();
    // Act
    const decision = decide(incident, resource, earlier);
    // Assess
    expect(decision.action).toBe(expected);
    if (decision.action === 'merge') {
      expect(decision.into).toBe(first.id);
      expect(decision.reason).toContain(DEPLOYMENT);
    }
  });

  it('merges into the earliest of several open incidents suspecting the resource, so every incident of a cause ends in one', () => {
    // Prepare
    const second = suspecting(opened(['hooli'], T0 + 3 * MINUTE_MS, first.id), DEPLOYMENT);
    const newest = opened(['umbrella'], T0 + 10 * MINUTE_MS, second.id);
    // Act
    const decision = decide(newest, DEPLOYMENT, [second, first]);
    // Assess
    expect(decision).toMatchObject({ action: 'merge', into: first.id });
  });

  it('counts the lookback from the last tenant that joined, so an incident still spreading absorbs a later burn', () => {
    // Prepare: opened 70 min before, but a tenant joined 20 min before the new burn
    const old = suspecting(opened(['acme'], T0 - 70 * MINUTE_MS), DEPLOYMENT);
    const spreading: Incident = { ...old, tenants: [...old.tenants, { ...old.tenants[0]!, tenant: 'globex', joinedAt: T0 - 20 * MINUTE_MS }] };
    // Act
    const decision = decide(opened(['umbrella'], T0, old.id), DEPLOYMENT, [spreading]);
    // Assess
    expect(decision.action).toBe('merge');
  });

  it.each<[string, Partial<CauseGroupingInput>, string]>([
    ['a negative grouping interval', { groupingIntervalMinutes: -1 }, 'groupingIntervalMinutes'],
    ['a lookback under one interval', { lookbackIntervals: 0 }, 'lookbackIntervals'],
    ['an empty resource', { resource: '' }, 'resource'],
  ])('names the field for %s', (_name, overrides, field) => {
    // Act
    const act = () => causeGroupingDecision({ incident: first, resource: DEPLOYMENT, earlier: [], groupingIntervalMinutes: INTERVAL, ...overrides });
    // Assess
    expect(act).toThrow(DomainInputError);
    expect(act).toThrow(field);
  });
});

describe('links between incidents', () => {
  it('records the previous incident at opening and reads it back', () => {
    // Act
    const incident = opened(['umbrella'], T0, 'checkout-20261120t1155-0a1b2c3d');
    // Assess
    expect(previousIncidentOf(incident)).toBe('checkout-20261120t1155-0a1b2c3d');
    expect(previousIncidentOf(opened(['acme'], T0))).toBeNull();
  });

  it('records a suspected resource once, and again only when it changes', () => {
    // Prepare
    const incident = opened(['acme'], T0);
    // Act
    const once = recordSuspectedResource(incident, DEPLOYMENT, T0 + MINUTE_MS);
    const again = recordSuspectedResource(once, DEPLOYMENT, T0 + 2 * MINUTE_MS);
    const changed = recordSuspectedResource(again, DATABASE, T0 + 3 * MINUTE_MS);
    // Assess
    expect(suspectedResourceOf(incident)).toBeNull();
    expect(again).toBe(once);
    expect(suspectedResourceOf(changed)).toBe(DATABASE);
    expect(changed.version).toBe(incident.version + 2);
  });

  it.each<[string, Pick<Correlation, 'failureMode' | 'ranked'>, string | null]>([
    ['the top-ranked evidence of a found cause', { failureMode: 'deployment', ranked: [{ evidence: evidence(DEPLOYMENT), score: 0.8, reasons: [] }] }, DEPLOYMENT],
    ['nothing for an unknown cause', { failureMode: 'unknown', ranked: [{ evidence: evidence(DEPLOYMENT), score: 0.1, reasons: [] }] }, null],
    ['nothing when no evidence was ranked', { failureMode: 'deployment', ranked: [] }, null],
  ])('suspects %s', (_name, correlation, expected) => {
    // Act and Assess
    expect(causeResourceOf(correlation)).toBe(expected);
  });

  it('leads from a merged incident to its survivor for every tenant', () => {
    // Prepare
    const merged = closeAsMerged(opened(['umbrella'], T0), 'survivor-id', DEPLOYMENT, T0 + MINUTE_MS);
    // Act and Assess
    expect(mergedIntoOf(merged)).toBe('survivor-id');
    expect(successorFor(merged, 'umbrella')).toBe('survivor-id');
  });

  it('leads a moved tenant to the incident it moved to, and no other tenant', () => {
    // Prepare
    const old = opened(['acme', 'acme-eu'], T0);
    // Act
    const moved = moveTenantOut(old, 'acme', 'shared-id', T0 + 30 * MINUTE_MS, 0.85);
    // Assess
    expect(successorFor(moved, 'acme')).toBe('shared-id');
    expect(successorFor(moved, 'acme-eu')).toBeNull();
    expect(successorFor(old, 'acme')).toBeNull();
  });
});
