/**
 * The tenant roster of a sharded evaluator: one discovery per tick lists an SLO's tenants and stores them, and
 * every shard reads that list instead of calling ListMetrics itself. Pure: the roster's keys (in the layout of
 * keys.ts) and its age rules.
 *
 * A roster is written as a generation of chunk items, then a head item naming the generation: readers follow the
 * head, so they see either the previous complete generation or the new complete one, never a half-written one.
 * Each chunk has its own partition key, so writing several megabytes of tenant ids spreads over partitions
 * instead of queueing behind one partition's write throughput.
 */
import { KEY_SEPARATOR, InvalidKeyPartError, encodeKeyPart } from './keys';
import type { TableKey } from './keys';
import { MINUTE_MS } from './model';

export const ROSTER_HEAD_SORT_KEY = 'ROSTER_HEAD';
export const ROSTER_CHUNK_SORT_KEY = 'ROSTER_CHUNK';
/** Chunk indexes are zero-padded to this width so they sort in order (10,000 chunks of 350 KB is 3.5 GB). */
export const ROSTER_CHUNK_INDEX_DIGITS = 4;
export const MAX_ROSTER_CHUNKS = 10 ** ROSTER_CHUNK_INDEX_DIGITS;
/** A generation id: lowercase letters, digits and `-`, so it never contains the key separator. */
export const ROSTER_GENERATION_PATTERN = /^[0-9a-z-]{1,64}$/;

/**
 * A shard uses a roster younger than this many refresh intervals. The discovery refreshes it every interval, so a
 * roster older than two missed at least one refresh: the shard lists the tenants itself rather than trust it.
 */
export const ROSTER_USABLE_REFRESHES = 2;
/** A generation is kept this many refresh intervals (at least ROSTER_MIN_KEEP_MS), longer than any shard uses it. */
export const ROSTER_KEEP_REFRESHES = 3;
export const ROSTER_MIN_KEEP_MS = 60 * MINUTE_MS;

function rosterPartitionKey(slo: string): string {
  return ['ROSTER', encodeKeyPart(slo, 'slo')].join(KEY_SEPARATOR);
}

export function rosterHeadKey(slo: string): TableKey {
  return { pk: rosterPartitionKey(slo), sk: ROSTER_HEAD_SORT_KEY };
}

export function rosterChunkKey(slo: string, generation: string, index: number): TableKey {
  if (typeof generation !== 'string' || !ROSTER_GENERATION_PATTERN.test(generation)) {
    throw new InvalidKeyPartError('generation', `1 to 64 characters of a-z, 0-9 and - (${ROSTER_GENERATION_PATTERN})`, generation);
  }
  if (!Number.isInteger(index) || index < 0 || index >= MAX_ROSTER_CHUNKS) {
    throw new InvalidKeyPartError('index', `an integer chunk index from 0 to ${MAX_ROSTER_CHUNKS - 1}`, index);
  }
  const pk = [rosterPartitionKey(slo), generation, String(index).padStart(ROSTER_CHUNK_INDEX_DIGITS, '0')].join(KEY_SEPARATOR);
  return { pk, sk: ROSTER_CHUNK_SORT_KEY };
}

/** True when a discovery tick should list the SLO's tenants again: no roster yet, or one a refresh interval old. */
export function rosterDue(discoveredAt: number | null, now: number, refreshMinutes: number): boolean {
  return discoveredAt === null || now - discoveredAt >= refreshMinutes * MINUTE_MS;
}

/**
 * The `discover` value of the fan-out's roster check event (`{ time, discover: 'check' }`), which reports whether a
 * listing is due without listing; `discover: true` lists and stores.
 */
export const ROSTER_CHECK = 'check';

/** Whether a tick must list tenants, and whether its shards can go on without waiting for that listing. */
export interface RosterReadiness {
  /** Some SLO's roster is missing or a refresh interval old (rosterDue). */
  readonly due: boolean;
  /** Every SLO's roster is usable by shards (rosterUsable), so they need not wait for a listing. */
  readonly usable: boolean;
}

/**
 * The readiness of the rosters of a tick's discover-mode SLOs (`discoveredAt` null: none stored). With no SLO,
 * nothing is due and the (empty) set is usable.
 */
export function rosterReadiness(
  rosters: readonly { readonly discoveredAt: number | null; readonly refreshMinutes: number }[],
  now: number,
): RosterReadiness {
  return {
    due: rosters.some((r) => rosterDue(r.discoveredAt, now, r.refreshMinutes)),
    usable: rosters.every((r) => r.discoveredAt !== null && rosterUsable(r.discoveredAt, now, r.refreshMinutes)),
  };
}

/** True when a shard may evaluate the roster's tenants instead of listing them itself. */
export function rosterUsable(discoveredAt: number, now: number, refreshMinutes: number): boolean {
  return now - discoveredAt < ROSTER_USABLE_REFRESHES * refreshMinutes * MINUTE_MS;
}

/** When a roster discovered at `discoveredAt` expires (epoch ms); the table's TTL then deletes it. */
export function rosterExpiresAt(discoveredAt: number, refreshMinutes: number): number {
  return discoveredAt + Math.max(ROSTER_KEEP_REFRESHES * refreshMinutes * MINUTE_MS, ROSTER_MIN_KEEP_MS);
}
