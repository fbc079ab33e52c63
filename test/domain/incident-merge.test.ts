import { DomainInputError } from '../../lambda/domain/burn';
import {
  IncidentStateError,
  absorbIncident,
  closeAsMerged,
  moveTenantOut,
  openIncident,
  recoverTenant,
  resolveIfAllRecovered,
  risingBurnPlacement,
} from '../../lambda/domain/incident';
import type { RisingPlacement } from '../../lambda/domain/incident';
import type { AlertLevel, Incident, Severity } from '../../lambda/domain/model';
import { MINUTE_MS } from '../../lambda/domain/model';

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const SLO = 'checkout-availability';
const DEPLOYMENT = 'shop/prod';

function opened(tenants: readonly string[], at: number, level: Severity = 'page', budgetRemaining = 0.9): Incident {
  return openIncident({
    slo: SLO,
    severity: level,
    tenants: tenants.map((tenant) => ({ tenant, level, burnRates: { '5': 20 }, budgetRemaining })),
    now: at,
  });
}

describe('absorbIncident and closeAsMerged', () => {
  const survivor = opened(['acme', 'globex'], T0);
  const later = opened(['umbrella', 'hooli'], T0 + 10 * MINUTE_MS, 'page', 0.95);

  it('moves every tenant with the figures it had in the merged incident and names the merged incident', () => {
    // Act
    const { incident, joined } = absorbIncident(survivor, later, DEPLOYMENT, T0 + 12 * MINUTE_MS);
    // Assess
    expect(joined).toEqual(['umbrella', 'hooli']);
    expect(incident.tenants.map((t) => t.tenant)).toEqual(['acme', 'globex', 'umbrella', 'hooli']);
    expect(incident.tenants[2]).toMatchObject({ joinedAt: T0 + 10 * MINUTE_MS, budgetRemainingAtJoin: 0.95, recoveredAt: null });
    expect(incident.version).toBe(survivor.version + 1);
    expect(incident.timeline.at(-1)).toMatchObject({ step: 'incident-merged', detail: expect.stringContaining(`${later.id}: merged in`) });
  });

  it('is idempotent: absorbing the same incident again changes nothing', () => {
    // Prepare
    const once = absorbIncident(survivor, later, DEPLOYMENT, T0 + 12 * MINUTE_MS).incident;
    // Act
    const twice = absorbIncident(once, later, DEPLOYMENT, T0 + 13 * MINUTE_MS);
    // Assess
    expect(twice.incident).toBe(once);
  });

  it('follows a recovery recorded in the merged incident between two attempts, so the survivor can resolve', () => {
    // Prepare: umbrella recovered in the later incident after a first absorb
    const once = absorbIncident(survivor, later, DEPLOYMENT, T0 + 12 * MINUTE_MS).incident;
    const recoveredThere = recoverTenant(later, 'umbrella', T0 + 13 * MINUTE_MS, 0.94);
    // Act
    const again = absorbIncident(once, recoveredThere, DEPLOYMENT, T0 + 14 * MINUTE_MS).incident;
    // Assess: lost at join minus remaining at recovery, 0.95 - 0.94
    const umbrella = again.tenants.find((t) => t.tenant === 'umbrella');
    expect(umbrella?.recoveredAt).toBe(T0 + 13 * MINUTE_MS);
    expect(umbrella?.budgetLost).toBeCloseTo(0.01, 10);
  });

  it('raises the survivor to page when a paging incident merges into a ticket', () => {
    // Prepare
    const ticket = opened(['acme'], T0, 'ticket');
    // Act
    const { incident } = absorbIncident(ticket, later, DEPLOYMENT, T0 + 12 * MINUTE_MS);
    // Assess
    expect(incident.severity).toBe('page');
    expect(incident.timeline.map((e) => e.step)).toContain('severity-raised');
  });

  it('keeps the survivor\'s entry for a tenant in both, with its earlier join', () => {
    // Prepare
    const both = opened(['acme', 'hooli'], T0 + 10 * MINUTE_MS);
    // Act
    const { incident, joined } = absorbIncident(survivor, both, DEPLOYMENT, T0 + 12 * MINUTE_MS);
    // Assess
    expect(joined).toEqual(['hooli']);
    expect(incident.tenants.find((t) => t.tenant === 'acme')?.joinedAt).toBe(T0);
  });

  it('closes the merged incident as resolved with a link to the survivor, once', () => {
    // Act
    const closed = closeAsMerged(later, survivor.id, DEPLOYMENT, T0 + 12 * MINUTE_MS);
    // Assess
    expect(closed).toMatchObject({ status: 'resolved', resolvedAt: T0 + 12 * MINUTE_MS, version: later.version + 1 });
    expect(closed.timeline.at(-1)).toMatchObject({ step: 'merged-into', detail: expect.stringContaining(`${survivor.id}: shares the suspected cause ${DEPLOYMENT}`) });
    expect(closeAsMerged(closed, survivor.id, DEPLOYMENT, T0 + 13 * MINUTE_MS)).toBe(closed);
    expect(() => closeAsMerged(closed, 'another-id', DEPLOYMENT, T0 + 13 * MINUTE_MS)).toThrow(IncidentStateError);
  });

  it.each<[string, () => unknown, new (...args: never[]) => Error, string]>([
    ['merging into a resolved incident', () => absorbIncident({ ...survivor, status: 'resolved' }, later, DEPLOYMENT, T0), IncidentStateError, 'is resolved'],
    ['merging an incident into itself', () => absorbIncident(survivor, survivor, DEPLOYMENT, T0), DomainInputError, 'merged.id'],
    ['merging across SLOs', () => absorbIncident(survivor, { ...later, slo: 'search' }, DEPLOYMENT, T0), DomainInputError, 'merged.slo'],
  ])('refuses %s', (_name, act, type, text) => {
    // Act and Assess
    expect(act).toThrow(type);
    expect(act).toThrow(text);
  });
});

describe('moveTenantOut', () => {
  it('records the move with the budget lost here, and resolves the incident when it was its last tenant', () => {
    // Prepare: a slow-burn ticket that had 0.9 of its budget at join and has 0.86 when it moves
    const ticket = opened(['slowco'], T0 - 3 * 60 * MINUTE_MS, 'ticket', 0.9);
    // Act
    const moved = resolveIfAllRecovered(moveTenantOut(ticket, 'slowco', 'shared-id', T0, 0.86), T0);
    // Assess
    expect(moved.tenants[0]).toMatchObject({ recoveredAt: T0 });
    expect(moved.tenants[0]?.budgetLost).toBeCloseTo(0.04, 10);
    expect(moved.status).toBe('resolved');
    expect(moved.timeline.map((e) => e.step)).toEqual(['opened', 'tenant-moved', 'resolved']);
    expect(moved.timeline[1]?.detail).toMatch(/^shared-id: slowco moved there after 180 min here; lost 4\.00% /);
  });

  it('keeps the incident open while another tenant still burns there', () => {
    // Act
    const moved = resolveIfAllRecovered(moveTenantOut(opened(['slowco', 'other'], T0), 'slowco', 'shared-id', T0 + MINUTE_MS, 0.9), T0 + MINUTE_MS);
    // Assess
    expect(moved.status).toBe('open');
  });

  it('refuses to move a tenant into the incident it is in', () => {
    // Prepare
    const incident = opened(['slowco'], T0);
    // Act and Assess
    expect(() => moveTenantOut(incident, 'slowco', incident.id, T0, 0.9)).toThrow('targetId');
  });
});

describe('risingBurnPlacement', () => {
  const open = { status: 'open' } as const;
  it.each<[string, { status: Incident['status'] } | null, AlertLevel | null, AlertLevel, RisingPlacement]>([
    ['a tenant with no incident is a new burn', null, 'ok', 'ticket', 'new-burn'],
    ['a tenant whose incident resolved is a new burn', { status: 'resolved' }, 'ticket', 'page', 'new-burn'],
    ['a ticket escalating to page may move into a shared incident', open, 'ticket', 'page', 'may-move'],
    ['a ticket that stays a ticket stays', open, 'ticket', 'ticket', 'stays'],
    ['a tenant already paging stays', { status: 'mitigating' }, 'page', 'page', 'stays'],
  ])('%s', (_name, own, previous, level, expected) => {
    // Act and Assess
    expect(risingBurnPlacement(own, previous, level)).toBe(expected);
  });
});
