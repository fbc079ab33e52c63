/**
 * TenantRoster over the Burnwatch table (keys in domain/roster-keys.ts). A roster of 100,000 tenant ids is
 * several megabytes and an item holds at most 400 KB, so it is stored as a generation of chunk items of at most
 * ROSTER_CHUNK_MAX_BYTES, then a head item naming the generation and its chunk count. The head is written last
 * and only if no later discovery's head is stored, so a reader following it sees one complete generation. Old
 * generations are never overwritten or deleted: they expire by the table's TTL.
 */
import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock, TenantRoster, TenantRosterSnapshot, WriteOutcome } from '../ports';
import { STATE_SCHEMA_VERSION } from '../domain/model';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE, encodeEpochMs, type TableKey } from '../domain/keys';
import { MAX_ROSTER_CHUNKS, ROSTER_GENERATION_PATTERN, rosterChunkKey, rosterHeadKey } from '../domain/roster-keys';
import {
  CorruptItemError,
  ItemReader,
  StoreArgumentError,
  batchGetWithRetry,
  corruptItem,
  isConditionalCheckFailed,
  requireNonNegativeInteger,
  type Sleep,
  type StoredItem,
} from './dynamo-table-schema';
import { mapWithConcurrency } from './concurrency';
import { sleepMs } from './retry';

/** A chunk item's size limit: DynamoDB's item limit is 400 KB; the margin absorbs rounding in the estimate. */
export const ROSTER_CHUNK_MAX_BYTES = 350 * 1024;
/** BatchGetItem returns at most 16 MB: 40 chunks of at most 350 KB stay under it, so no key is left over for size. */
const CHUNKS_PER_BATCH_GET = 40;
/** Chunk writes and batch reads in flight at once. */
const CONCURRENCY = 4;
/** Bytes DynamoDB counts for a number attribute at most. */
const NUMBER_BYTES = 21;
/** Bytes DynamoDB counts for a list beyond its elements, and for each element beyond its value. */
const LIST_OVERHEAD_BYTES = 3;
const LIST_ELEMENT_OVERHEAD_BYTES = 1;

export interface DynamoTenantRosterOptions {
  /** The most bytes a chunk item may take (DynamoDB's item size rules). @default ROSTER_CHUNK_MAX_BYTES */
  readonly chunkMaxBytes?: number;
  /** A new generation id for a roster discovered at the given instant. @default base-36 time plus 48 random bits */
  readonly newGeneration?: (discoveredAt: number) => string;
  /** Decides whether a head has expired: DynamoDB deletes expired items lazily, so reads must skip them. @default Date.now */
  readonly clock?: Clock;
  /** Retries of chunk keys BatchGetItem leaves unprocessed before giving up. @default 5 */
  readonly maxBatchGetRetries?: number;
  /** Backoff before the first retry of unprocessed keys, doubled on each further retry, ms. @default 50 */
  readonly batchGetBaseDelayMs?: number;
  /** @default a setTimeout-based sleep */
  readonly sleep?: Sleep;
}

/** The head names a chunk the table does not hold: the roster cannot be read. */
export class MissingRosterChunkError extends Error {
  override readonly name = 'MissingRosterChunkError';
  constructor(
    readonly key: TableKey,
    readonly headKey: TableKey,
  ) {
    super(`Roster chunk pk=${JSON.stringify(key.pk)} sk=${JSON.stringify(key.sk)}, named by head pk=${JSON.stringify(headKey.pk)}, is missing`);
  }
}

interface RosterHead {
  readonly generation: string;
  readonly chunks: number;
  readonly tenantCount: number;
  readonly discoveredAt: number;
  readonly expiresAtSeconds: number;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function defaultGeneration(discoveredAt: number): string {
  return `${discoveredAt.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export class DynamoTenantRoster implements TenantRoster {
  private readonly chunkMaxBytes: number;
  private readonly newGeneration: (discoveredAt: number) => string;
  private readonly clock: Clock;
  private readonly maxBatchGetRetries: number;
  private readonly batchGetBaseDelayMs: number;
  private readonly sleep: Sleep;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoTenantRosterOptions = {},
  ) {
    if (typeof tableName !== 'string' || tableName.length === 0) throw new StoreArgumentError('tableName', 'a non-empty string', tableName);
    this.chunkMaxBytes = options.chunkMaxBytes ?? ROSTER_CHUNK_MAX_BYTES;
    if (!Number.isInteger(this.chunkMaxBytes) || this.chunkMaxBytes < 1024 || this.chunkMaxBytes > ROSTER_CHUNK_MAX_BYTES) {
      throw new StoreArgumentError('chunkMaxBytes', `an integer from 1024 to ${ROSTER_CHUNK_MAX_BYTES}`, this.chunkMaxBytes);
    }
    this.newGeneration = options.newGeneration ?? defaultGeneration;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.maxBatchGetRetries = options.maxBatchGetRetries ?? 5;
    this.batchGetBaseDelayMs = options.batchGetBaseDelayMs ?? 50;
    this.sleep = options.sleep ?? sleepMs;
    requireNonNegativeInteger('maxBatchGetRetries', this.maxBatchGetRetries);
    requireNonNegativeInteger('batchGetBaseDelayMs', this.batchGetBaseDelayMs);
  }

  async putRoster(slo: string, tenants: readonly string[], discoveredAt: number, expiresAt: number): Promise<WriteOutcome> {
    const headKey = rosterHeadKey(slo);
    encodeEpochMs(discoveredAt, 'discoveredAt');
    // Catches a seconds/milliseconds mix-up, which would otherwise expire the roster at once.
    if (!Number.isInteger(expiresAt) || expiresAt <= discoveredAt) {
      throw new StoreArgumentError('expiresAt', `an integer epoch-ms time after discoveredAt (${discoveredAt})`, expiresAt);
    }
    if (!Array.isArray(tenants)) throw new StoreArgumentError('tenants', 'a list of tenant ids', tenants);
    tenants.forEach((tenant, index) => {
      if (typeof tenant !== 'string' || tenant.length === 0) throw new StoreArgumentError(`tenants[${index}]`, 'a non-empty string', tenant);
    });
    const generation = this.newGeneration(discoveredAt);
    if (!ROSTER_GENERATION_PATTERN.test(generation)) {
      throw new StoreArgumentError('newGeneration()', `an id matching ${ROSTER_GENERATION_PATTERN}`, generation);
    }
    const sorted = [...new Set(tenants)].sort();
    const chunks = this.split(slo, generation, sorted);
    const ttl = Math.ceil(expiresAt / 1000);
    await mapWithConcurrency(chunks, CONCURRENCY, async (chunk, index) => {
      const item = { ...rosterChunkKey(slo, generation, index), schemaVersion: STATE_SCHEMA_VERSION, slo, generation, index, tenants: chunk };
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...item, [TABLE_TTL_ATTRIBUTE]: ttl } }));
    });
    // Last, and only over an earlier discovery's head: a late or retried discovery never rolls the roster back.
    const head = { ...headKey, schemaVersion: STATE_SCHEMA_VERSION, slo, generation, chunks: chunks.length, tenantCount: sorted.length, discoveredAt };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...head, [TABLE_TTL_ATTRIBUTE]: ttl },
          // A head without discoveredAt is corrupt: a new discovery replaces it.
          ConditionExpression: 'attribute_not_exists(#pk) OR attribute_not_exists(#discoveredAt) OR #discoveredAt <= :discoveredAt',
          ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#discoveredAt': 'discoveredAt' },
          ExpressionAttributeValues: { ':discoveredAt': discoveredAt },
        }),
      );
      return 'written';
    } catch (error) {
      // The chunks just written are never named by a head; they expire by TTL like any old generation.
      if (isConditionalCheckFailed(error)) return 'conflict';
      throw error;
    }
  }

  async getRoster(slo: string): Promise<TenantRosterSnapshot | null> {
    const headKey = rosterHeadKey(slo);
    const head = await this.readHead(slo, headKey);
    if (head === null) return null;
    const keys = Array.from({ length: head.chunks }, (_, index) => rosterChunkKey(slo, head.generation, index));
    const batches: TableKey[][] = [];
    for (let start = 0; start < keys.length; start += CHUNKS_PER_BATCH_GET) batches.push(keys.slice(start, start + CHUNKS_PER_BATCH_GET));
    const items = new Map<string, StoredItem>();
    for (const batch of await mapWithConcurrency(batches, CONCURRENCY, (batch) => this.batchGet(batch))) {
      for (const item of batch) items.set(String(item[TABLE_PARTITION_KEY]), item);
    }
    const tenants: string[] = [];
    keys.forEach((key, index) => {
      const item = items.get(key.pk);
      if (item === undefined) throw new MissingRosterChunkError(key, headKey);
      const r = new ItemReader(item, corruptItem(key));
      r.schemaVersion(key);
      r.keyString('slo', slo);
      r.keyString('generation', head.generation);
      if (r.integer('index', 0) !== index) throw new CorruptItemError(key, 'index', `${index} (the index in the item's key)`, item.index);
      tenants.push(...r.stringList('tenants'));
    });
    if (tenants.length !== head.tenantCount) {
      throw new CorruptItemError(headKey, 'tenantCount', `the number of tenants in its ${head.chunks} chunks (${tenants.length})`, head.tenantCount);
    }
    return { tenants, discoveredAt: head.discoveredAt };
  }

  async getDiscoveredAt(slo: string): Promise<number | null> {
    return (await this.readHead(slo, rosterHeadKey(slo)))?.discoveredAt ?? null;
  }

  /** The head, or null when there is none or it has expired (TTL deletes it some time later). */
  private async readHead(slo: string, key: TableKey): Promise<RosterHead | null> {
    // Strongly consistent: a head read right after it was written names chunks written before it.
    const response = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    if (response.Item === undefined) return null;
    const r = new ItemReader(response.Item, corruptItem(key));
    r.schemaVersion(key);
    r.keyString('slo', slo);
    const generation = r.string('generation');
    if (!ROSTER_GENERATION_PATTERN.test(generation)) throw new CorruptItemError(key, 'generation', `an id matching ${ROSTER_GENERATION_PATTERN}`, generation);
    const head: RosterHead = {
      generation,
      chunks: r.integer('chunks', 0),
      tenantCount: r.integer('tenantCount', 0),
      discoveredAt: r.time('discoveredAt'),
      expiresAtSeconds: r.integer(TABLE_TTL_ATTRIBUTE, 0),
    };
    if (head.chunks > MAX_ROSTER_CHUNKS) throw new CorruptItemError(key, 'chunks', `at most ${MAX_ROSTER_CHUNKS}`, head.chunks);
    return head.expiresAtSeconds * 1000 <= this.clock.now() ? null : head;
  }

  /** Splits sorted tenants into chunks whose items stay within chunkMaxBytes by DynamoDB's item size rules. */
  private split(slo: string, generation: string, tenants: readonly string[]): string[][] {
    const key = rosterChunkKey(slo, generation, 0);
    const attributeNames = ['pk', 'sk', 'schemaVersion', 'slo', 'generation', 'index', 'tenants', TABLE_TTL_ATTRIBUTE];
    const fixed =
      attributeNames.reduce((sum, name) => sum + utf8Bytes(name), 0) +
      utf8Bytes(key.pk) + utf8Bytes(key.sk) + utf8Bytes(slo) + utf8Bytes(generation) + 3 * NUMBER_BYTES + LIST_OVERHEAD_BYTES;
    const budget = this.chunkMaxBytes - fixed;
    const chunks: string[][] = [];
    let current: string[] = [];
    let used = 0;
    tenants.forEach((tenant, index) => {
      const size = utf8Bytes(tenant) + LIST_ELEMENT_OVERHEAD_BYTES;
      if (size > budget) throw new StoreArgumentError(`tenants[${index}]`, `at most ${budget - LIST_ELEMENT_OVERHEAD_BYTES} bytes of UTF-8 (one chunk)`, tenant);
      if (used + size > budget) {
        chunks.push(current);
        current = [];
        used = 0;
      }
      current.push(tenant);
      used += size;
    });
    if (current.length > 0) chunks.push(current);
    if (chunks.length > MAX_ROSTER_CHUNKS) throw new StoreArgumentError('tenants', `at most ${MAX_ROSTER_CHUNKS} chunks of ids`, `${tenants.length} ids`);
    return chunks;
  }

  private batchGet(keys: readonly TableKey[]): Promise<StoredItem[]> {
    return batchGetWithRetry(this.doc, this.tableName, keys, { maxRetries: this.maxBatchGetRetries, baseDelayMs: this.batchGetBaseDelayMs, sleep: this.sleep });
  }

}
