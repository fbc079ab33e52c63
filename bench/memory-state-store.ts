/**
 * An in-memory `StateStore` with the same conditional semantics as the DynamoDB one: every versioned write
 * succeeds only if the stored version is the expected one (0: the record must not exist yet), moves the version by
 * exactly one, and otherwise returns `conflict`. The benchmark uses it where dynalite would take longer than the
 * evaluator it measures (100,000 tenants: 200,000 sequential local HTTP writes on the heartbeat tick).
 *
 * Records are keyed with the table's key functions, so a tenant or SLO name the table would reject is rejected here.
 */
import { StoreArgumentError, requireNonNegativeInteger } from '../lambda/adapters/dynamo-table-schema';
import { incidentKey, openIncidentPointerKey, tenantStateKey } from '../lambda/domain/keys';
import type { Incident, TenantAlertState } from '../lambda/domain/model';
import type { OpenIncidentPointer, StateStore, TenantStatesRead, WriteOutcome } from '../lambda/ports';

/** A versioned write must carry `expectedVersion + 1`, as the DynamoDB store requires. */
function requireNextVersion(nextVersion: number, expectedVersion: number): void {
  requireNonNegativeInteger('expectedVersion', expectedVersion);
  if (nextVersion !== expectedVersion + 1) throw new StoreArgumentError('version', `expectedVersion + 1 (${expectedVersion + 1})`, nextVersion);
}

/** Writes `next` under `key` if the stored record's version is `expectedVersion` (0: absent). */
function conditionalPut<T extends { readonly version: number }>(records: Map<string, T>, key: string, next: T, expectedVersion: number): WriteOutcome {
  const stored = records.get(key);
  const holds = expectedVersion === 0 ? stored === undefined : stored !== undefined && stored.version === expectedVersion;
  if (!holds) return 'conflict';
  // A copy, so a caller changing its object afterwards cannot change what is stored (DynamoDB keeps bytes).
  records.set(key, { ...next });
  return 'written';
}

export class MemoryStateStore implements StateStore {
  private readonly states = new Map<string, TenantAlertState>();
  private readonly history = new Map<string, TenantAlertState[]>();
  private readonly incidents = new Map<string, Incident>();
  private readonly pointers = new Map<string, OpenIncidentPointer>();

  async getTenantStates(slo: string, tenants: readonly string[]): Promise<TenantStatesRead> {
    const found = new Map<string, TenantAlertState>();
    for (const tenant of tenants) {
      const state = this.states.get(tenantStateKey(slo, tenant).pk);
      if (state !== undefined) found.set(tenant, state);
    }
    // Items are held as typed values, so none can be unreadable.
    return { states: found, unreadable: new Map() };
  }

  async putTenantState(next: TenantAlertState, expectedVersion: number): Promise<WriteOutcome> {
    requireNextVersion(next.version, expectedVersion);
    return conditionalPut(this.states, tenantStateKey(next.slo, next.tenant).pk, next, expectedVersion);
  }

  async appendHistory(state: TenantAlertState, expiresAt: number): Promise<void> {
    // The same guard as the table: a seconds/milliseconds mix-up would expire the item at once.
    if (!Number.isInteger(expiresAt) || expiresAt <= state.updatedAt) {
      throw new StoreArgumentError('expiresAt', `an integer epoch-ms time after state.updatedAt (${state.updatedAt})`, expiresAt);
    }
    const key = tenantStateKey(state.slo, state.tenant).pk;
    const items = this.history.get(key) ?? [];
    items.push({ ...state });
    this.history.set(key, items);
  }

  /** History items of one tenant, oldest first (the table's sort order). */
  historyOf(slo: string, tenant: string): readonly TenantAlertState[] {
    return this.history.get(tenantStateKey(slo, tenant).pk) ?? [];
  }

  async getIncident(id: string): Promise<Incident | null> {
    return this.incidents.get(incidentKey(id).pk) ?? null;
  }

  async createIncident(incident: Incident): Promise<WriteOutcome> {
    return conditionalPut(this.incidents, incidentKey(incident.id).pk, incident, 0);
  }

  async updateIncident(next: Incident, expectedVersion: number): Promise<WriteOutcome> {
    requireNextVersion(next.version, expectedVersion);
    return conditionalPut(this.incidents, incidentKey(next.id).pk, next, expectedVersion);
  }

  async getOpenIncidentPointer(slo: string): Promise<OpenIncidentPointer | null> {
    return this.pointers.get(openIncidentPointerKey(slo).pk) ?? null;
  }

  async putOpenIncidentPointer(pointer: OpenIncidentPointer, expectedVersion: number): Promise<WriteOutcome> {
    requireNextVersion(pointer.version, expectedVersion);
    return conditionalPut(this.pointers, openIncidentPointerKey(pointer.slo).pk, pointer, expectedVersion);
  }
}
