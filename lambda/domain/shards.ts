/**
 * Tenant sharding for an evaluator that fans out over several Lambda invocations. A tenant's shard depends only on
 * its id and the shard count, so every tick sends it to the same shard: that shard's warm container keeps the
 * tenant's hourly series cached, and two shards never evaluate the same tenant.
 */

/** Which slice of the tenants one invocation evaluates: tenants whose hash modulo `count` equals `index`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** The largest shard count accepted (the config allows 1 to 1000). */
export const MAX_SHARD_COUNT = 1000;

export class InvalidShardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidShardError';
  }
}

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `text`: cheap, stable across runtimes and versions (unlike a language's
 * built-in string hash), and well spread for short ids that differ in a few characters.
 */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** Throws {@link InvalidShardError} naming the field unless `count` is an integer 1..MAX and `index` one in 0..count-1. */
export function assertValidShard(shard: ShardSpec, path = 'shard'): void {
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARD_COUNT) {
    throw new InvalidShardError(`${path}.count: must be an integer from 1 to ${MAX_SHARD_COUNT}, got ${JSON.stringify(count)}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new InvalidShardError(`${path}.index: must be an integer from 0 to ${count - 1} (count - 1), got ${JSON.stringify(index)}`);
  }
}

/** The shard (0..count-1) that evaluates `tenant`. */
export function shardOf(tenant: string, count: number): number {
  assertValidShard({ index: 0, count });
  return fnv1a32(tenant) % count;
}

/** The tenants of `tenants` that belong to `shard`, in their original order. */
export function tenantsOfShard(tenants: readonly string[], shard: ShardSpec): string[] {
  assertValidShard(shard);
  if (shard.count === 1) return [...tenants];
  return tenants.filter((tenant) => fnv1a32(tenant) % shard.count === shard.index);
}

/** Shard indexes 0..count-1: the items a fan-out iterates over. */
export function shardIndexes(count: number): number[] {
  assertValidShard({ index: 0, count });
  return Array.from({ length: count }, (_, index) => index);
}
