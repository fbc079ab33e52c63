/**
 * The records the state-store tests write: one tenant state, incident and open-incident pointer of `SLO` at `T0`,
 * paging on 1h/5m. `overrides` change single fields; `version` 1 is the record as first created.
 */
import { MINUTE_MS, STATE_SCHEMA_VERSION, type Incident, type TenantAlertState } from '../../lambda/domain/model';
import type { OpenIncidentPointer } from '../../lambda/ports';

export const T0 = 1_700_000_000_000;
export const SLO = 'checkout-availability';

export function tenantState(overrides: Partial<TenantAlertState> = {}): TenantAlertState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    slo: SLO,
    tenant: 'acme',
    level: 'page',
    levelSince: T0 - 5 * MINUTE_MS,
    lastFiringAt: T0,
    activeRules: ['1h/5m'],
    incidentId: 'inc-1',
    burnRates: { '5': 20.1, '60': 15.2 },
    budgetRemaining: 0.8,
    timeToExhaustionMinutes: 120,
    updatedAt: T0,
    version: 1,
    ...overrides,
  };
}

export function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-1',
    slo: SLO,
    severity: 'page',
    status: 'open',
    openedAt: T0,
    resolvedAt: null,
    tenants: [
      { tenant: 'acme', joinedAt: T0, level: 'page', burnRates: { '5': 20.1 }, budgetRemainingAtJoin: 0.8, recoveredAt: null, budgetLost: null },
    ],
    executionArn: null,
    suspectedCause: null,
    failureMode: null,
    forensicUri: null,
    timeline: [{ at: T0, step: 'opened', detail: 'burn on 1h/5m' }],
    version: 1,
    ...overrides,
  };
}

export function pointer(overrides: Partial<OpenIncidentPointer> = {}): OpenIncidentPointer {
  return { slo: SLO, incidentId: 'inc-1', openedAt: T0, version: 1, ...overrides };
}
