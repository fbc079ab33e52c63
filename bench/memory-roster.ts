/**
 * An in-memory `TenantRoster` with the DynamoDB roster's semantics (lambda/adapters/dynamo-tenant-roster.ts): a
 * roster is replaced whole, never by one discovered earlier (`conflict`), and an expired one reads as none. The
 * fan-out benchmark and the handler tests use it where chunking through dynalite would only add time.
 */
import { StoreArgumentError } from '../lambda/adapters/dynamo-table-schema';
import { rosterHeadKey } from '../lambda/domain/roster-keys';
import type { Clock, TenantRoster, TenantRosterSnapshot, WriteOutcome } from '../lambda/ports';

interface StoredRoster extends TenantRosterSnapshot {
  readonly expiresAt: number;
}

export class MemoryTenantRoster implements TenantRoster {
  private readonly rosters = new Map<string, StoredRoster>();
  /** Calls of each method, so a test or the bench can tell how often the roster was read and written. */
  readonly calls = { putRoster: 0, getRoster: 0, getDiscoveredAt: 0 };

  /** `clock` decides whether a roster has expired. */
  constructor(private readonly clock: Clock) {}

  async putRoster(slo: string, tenants: readonly string[], discoveredAt: number, expiresAt: number): Promise<WriteOutcome> {
    this.calls.putRoster += 1;
    const key = rosterHeadKey(slo).pk;
    if (!Number.isInteger(expiresAt) || expiresAt <= discoveredAt) {
      throw new StoreArgumentError('expiresAt', `an integer epoch-ms time after discoveredAt (${discoveredAt})`, expiresAt);
    }
    const stored = this.rosters.get(key);
    if (stored !== undefined && stored.discoveredAt > discoveredAt) return 'conflict';
    // A sorted copy without duplicates, as the table stores it: a caller changing its array later changes nothing.
    this.rosters.set(key, { tenants: [...new Set(tenants)].sort(), discoveredAt, expiresAt });
    return 'written';
  }

  async getRoster(slo: string): Promise<TenantRosterSnapshot | null> {
    this.calls.getRoster += 1;
    const stored = this.live(slo);
    return stored === null ? null : { tenants: stored.tenants, discoveredAt: stored.discoveredAt };
  }

  async getDiscoveredAt(slo: string): Promise<number | null> {
    this.calls.getDiscoveredAt += 1;
    return this.live(slo)?.discoveredAt ?? null;
  }

  private live(slo: string): StoredRoster | null {
    const stored = this.rosters.get(rosterHeadKey(slo).pk);
    return stored === undefined || stored.expiresAt <= this.clock.now() ? null : stored;
  }
}
