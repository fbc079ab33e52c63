import { fnv1a32, InvalidShardError, shardIndexes, shardOf, tenantsOfShard } from '../../lambda/domain/shards';

const tenants = (n: number): string[] => Array.from({ length: n }, (_, i) => `tenant-${i}`);

describe('fnv1a32', () => {
  // Reference values of 32-bit FNV-1a (offset basis 0x811c9dc5, prime 0x01000193).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('hashes %p to the published FNV-1a value', (text, expected) => {
    // Act / Assess
    expect(fnv1a32(text)).toBe(expected);
  });
});

describe('tenantsOfShard', () => {
  it.each([1, 2, 4, 7, 16])('splits 1,000 tenants over %i shards into disjoint sets that together hold every tenant', (count) => {
    // Prepare
    const all = tenants(1000);

    // Act
    const shards = shardIndexes(count).map((index) => tenantsOfShard(all, { index, count }));

    // Assess
    const union = shards.flat();
    expect(union).toHaveLength(all.length);
    expect(new Set(union)).toEqual(new Set(all));
  });

  it('keeps each tenant in the same shard whatever the other tenants and their order', () => {
    // Prepare
    const all = tenants(500);
    const reordered = [...all].reverse().concat(['late-joiner']);

    // Act
    const before = tenantsOfShard(all, { index: 3, count: 8 });
    const after = tenantsOfShard(reordered, { index: 3, count: 8 }).filter((t) => t !== 'late-joiner');

    // Assess
    expect(new Set(after)).toEqual(new Set(before));
    for (const tenant of before) expect(shardOf(tenant, 8)).toBe(3);
  });

  it.each([4, 10, 32])('balances 10,000 tenants over %i shards within 10% of the mean', (count) => {
    // Prepare
    const all = tenants(10_000);
    const mean = all.length / count;

    // Act
    const sizes = shardIndexes(count).map((index) => tenantsOfShard(all, { index, count }).length);

    // Assess
    for (const size of sizes) expect(Math.abs(size - mean) / mean).toBeLessThan(0.1);
  });

  it.each([
    [{ index: 0, count: 0 }, 'shard.count: must be an integer from 1 to 1000, got 0'],
    [{ index: 0, count: 1.5 }, 'shard.count: must be an integer from 1 to 1000, got 1.5'],
    [{ index: 4, count: 4 }, 'shard.index: must be an integer from 0 to 3 (count - 1), got 4'],
    [{ index: -1, count: 4 }, 'shard.index: must be an integer from 0 to 3 (count - 1), got -1'],
  ])('rejects %p naming the field', (shard, message) => {
    // Act / Assess
    expect(() => tenantsOfShard(['acme'], shard)).toThrow(new InvalidShardError(message));
  });
});
