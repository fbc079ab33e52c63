/**
 * Wraps any `StateStore` and counts what DynamoDB would bill: write requests and their write units, read units of
 * every key a batch read asks for, and the item sizes behind them. Sizes are sampled (JSON length of the item with
 * its keys, close to DynamoDB's attribute-name-plus-value size) after the measured ticks, so counting adds no
 * serialisation to the CPU the bench measures.
 */
import { BATCH_GET_MAX_KEYS } from '../lambda/adapters/dynamo-state-store';
import { tenantHistoryKey, tenantStateKey } from '../lambda/domain/keys';
import type { Incident, TenantAlertState } from '../lambda/domain/model';
import type { OpenIncidentPointer, StateStore, TenantStatesRead, WriteOutcome } from '../lambda/ports';

/** A standard write unit covers an item of up to 1 KB; a strongly consistent read unit one of up to 4 KB. */
const WRITE_UNIT_BYTES = 1024;
const READ_UNIT_BYTES = 4096;
const SAMPLE_SIZE = 64;

export interface StoreCounts {
  /** PutItem requests of any kind (tenant state, history, incident, pointer), conflicts included. */
  writeRequests: number;
  tenantStateWrites: number;
  historyWrites: number;
  incidentWrites: number;
  conflicts: number;
  /** BatchGetItem requests (100 keys each) and single GetItem requests. */
  readRequests: number;
  /** Keys asked for: each costs a read unit (strongly consistent, items under 4 KB), found or not. */
  keysRead: number;
}

export function emptyStoreCounts(): StoreCounts {
  return { writeRequests: 0, tenantStateWrites: 0, historyWrites: 0, incidentWrites: 0, conflicts: 0, readRequests: 0, keysRead: 0 };
}

export class CountingStateStore implements StateStore {
  readonly counts: StoreCounts = emptyStoreCounts();
  private readonly stateSamples: TenantAlertState[] = [];
  private readonly historySamples: TenantAlertState[] = [];

  constructor(private readonly inner: StateStore) {}

  async getTenantStates(slo: string, tenants: readonly string[]): Promise<TenantStatesRead> {
    this.counts.readRequests += Math.ceil(tenants.length / BATCH_GET_MAX_KEYS);
    this.counts.keysRead += tenants.length;
    return this.inner.getTenantStates(slo, tenants);
  }

  async putTenantState(next: TenantAlertState, expectedVersion: number): Promise<WriteOutcome> {
    this.counts.writeRequests += 1;
    this.counts.tenantStateWrites += 1;
    if (this.stateSamples.length < SAMPLE_SIZE) this.stateSamples.push(next);
    return this.counted(await this.inner.putTenantState(next, expectedVersion));
  }

  async appendHistory(state: TenantAlertState, expiresAt: number): Promise<void> {
    this.counts.writeRequests += 1;
    this.counts.historyWrites += 1;
    if (this.historySamples.length < SAMPLE_SIZE) this.historySamples.push(state);
    await this.inner.appendHistory(state, expiresAt);
  }

  async getIncident(id: string): Promise<Incident | null> {
    this.countSingleRead();
    return this.inner.getIncident(id);
  }

  async createIncident(incident: Incident): Promise<WriteOutcome> {
    this.counts.writeRequests += 1;
    this.counts.incidentWrites += 1;
    return this.counted(await this.inner.createIncident(incident));
  }

  async updateIncident(next: Incident, expectedVersion: number): Promise<WriteOutcome> {
    this.counts.writeRequests += 1;
    this.counts.incidentWrites += 1;
    return this.counted(await this.inner.updateIncident(next, expectedVersion));
  }

  async getOpenIncidentPointer(slo: string): Promise<OpenIncidentPointer | null> {
    this.countSingleRead();
    return this.inner.getOpenIncidentPointer(slo);
  }

  async putOpenIncidentPointer(pointer: OpenIncidentPointer, expectedVersion: number): Promise<WriteOutcome> {
    this.counts.writeRequests += 1;
    this.counts.incidentWrites += 1;
    return this.counted(await this.inner.putOpenIncidentPointer(pointer, expectedVersion));
  }

  /** Mean size in bytes of the sampled tenant-state and history items (0 when none was written). */
  itemSizes(): { stateItemBytes: number; historyItemBytes: number } {
    const mean = (samples: readonly TenantAlertState[], key: (s: TenantAlertState) => object): number =>
      samples.length === 0 ? 0 : samples.reduce((sum, s) => sum + Buffer.byteLength(JSON.stringify({ ...s, ...key(s) })), 0) / samples.length;
    return {
      stateItemBytes: mean(this.stateSamples, (s) => tenantStateKey(s.slo, s.tenant)),
      historyItemBytes: mean(this.historySamples, (s) => ({ ...tenantHistoryKey(s.slo, s.tenant, s.updatedAt), expiresAt: 0 })),
    };
  }

  private countSingleRead(): void {
    this.counts.readRequests += 1;
    this.counts.keysRead += 1;
  }

  private counted(outcome: WriteOutcome): WriteOutcome {
    if (outcome === 'conflict') this.counts.conflicts += 1;
    return outcome;
  }
}

/** Write units of one item: whole kilobytes, rounded up, at least one. */
export function writeUnits(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / WRITE_UNIT_BYTES));
}

/** Strongly consistent read units of one item: whole 4 KB blocks, rounded up, at least one. */
export function readUnits(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / READ_UNIT_BYTES));
}
