import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoTenantRoster, MissingRosterChunkError, ROSTER_CHUNK_MAX_BYTES } from '../../lambda/adapters/dynamo-tenant-roster';
import type { DynamoTenantRosterOptions } from '../../lambda/adapters/dynamo-tenant-roster';
import { UnprocessedKeysError } from '../../lambda/adapters/dynamo-state-store';
import { CorruptItemError, StoreArgumentError } from '../../lambda/adapters/dynamo-table-schema';
import { HOUR_MS, MINUTE_MS, STATE_SCHEMA_VERSION } from '../../lambda/domain/model';
import { ROSTER_CHUNK_SORT_KEY, ROSTER_HEAD_SORT_KEY, rosterChunkKey, rosterHeadKey } from '../../lambda/domain/roster-keys';
import { useLocalDynamo, type TestTable } from '../support/dynalite';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const SLO = 'checkout-availability';
const KEEP = T0 + HOUR_MS;
const clock = { now: () => T0 };

/** `count` distinct ids of exactly `length` characters (the index, zero-padded, after a letter prefix). */
function tenantIds(count: number, length: number): string[] {
  return Array.from({ length: count }, (_, index) => `t${String(index).padStart(length - 1, '0')}`);
}

/** Generations g1, g2, ... in order of writing, so a test can name the items of each. */
function numberedGenerations(): Pick<DynamoTenantRosterOptions, 'newGeneration'> {
  let next = 0;
  return { newGeneration: () => `g${(next += 1)}` };
}

/** An item's size by DynamoDB's rules: names and strings in UTF-8 bytes, numbers at most 21, a list 3 plus 1 per element. */
function dynamoItemBytes(item: Record<string, unknown>): number {
  const valueBytes = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
    if (typeof value === 'number') return 21;
    if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + valueBytes(element), 0);
    throw new Error(`unexpected attribute value ${JSON.stringify(value)}`);
  };
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + valueBytes(value), 0);
}

/** A client whose sends wait at `gate` first: holds a writer between two of its requests. */
function gatedClient(doc: DynamoDBDocumentClient, gate: (input: { Item?: Record<string, unknown> }) => Promise<void>): DynamoDBDocumentClient {
  const send = async (command: { input: { Item?: Record<string, unknown> } }): Promise<unknown> => {
    await gate(command.input);
    return doc.send(command as never);
  };
  return { send } as unknown as DynamoDBDocumentClient;
}

const dynalite = useLocalDynamo('burnwatch-roster');
let table: TestTable;

beforeEach(async () => {
  table = await dynalite.freshTable();
});

/** Every item of the table (a Scan page holds at most 1 MB). */
async function rawItems(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.doc.send(new ScanCommand({ TableName: table.name, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

describe('DynamoTenantRoster round trips', () => {
  it('stores 100,000 tenant ids of 64 characters in chunks under 350 KB and reads them back sorted', async () => {
    // Prepare: 100,000 x (64 + 1) bytes = 6.5 MB of list, so at least ceil(6,500,000 / 358,400) = 19 chunks.
    const tenants = tenantIds(100_000, 64).reverse();
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock });

    // Act
    const outcome = await roster.putRoster(SLO, tenants, T0, KEEP);
    const read = await roster.getRoster(SLO);

    // Assess
    expect(outcome).toBe('written');
    expect(read?.discoveredAt).toBe(T0);
    expect(read?.tenants).toEqual([...tenants].sort());
    const chunks = (await rawItems()).filter((item) => item.sk === ROSTER_CHUNK_SORT_KEY);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil((100_000 * 65) / (350 * 1024)));
    for (const chunk of chunks) expect(dynamoItemBytes(chunk)).toBeLessThanOrEqual(350 * 1024);
    const head = await table.getRaw(rosterHeadKey(SLO));
    expect(head).toMatchObject({ chunks: chunks.length, tenantCount: 100_000, discoveredAt: T0 });
  });

  it.each([
    ['unicode, quotes and separators', ['ünïcødé', 'a#b', 'quote"d', 'tilde~x', '%41', 'emoji 🚀']],
    ['duplicates, once each', ['acme', 'globex', 'acme']],
    ['no tenant at all', []],
  ])('round-trips %s', async (_label, tenants) => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock });

    // Act
    await roster.putRoster(SLO, tenants, T0, KEEP);

    // Assess
    expect(await roster.getRoster(SLO)).toEqual({ tenants: [...new Set(tenants)].sort(), discoveredAt: T0 });
  });

  it('splits ids of 3-byte characters by their UTF-8 size, not their length', async () => {
    // Prepare: 100 ids of 100 three-byte characters are 301 bytes each in the list; 2 KB chunks hold a few each.
    const tenants = Array.from({ length: 100 }, (_, index) => `${'€'.repeat(99)}${String.fromCharCode(0x4e00 + index)}`);
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock, chunkMaxBytes: 2048 });

    // Act
    await roster.putRoster(SLO, tenants, T0, KEEP);

    // Assess
    const chunks = (await rawItems()).filter((item) => item.sk === ROSTER_CHUNK_SORT_KEY);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil((100 * 301) / 2048));
    for (const chunk of chunks) expect(dynamoItemBytes(chunk)).toBeLessThanOrEqual(2048);
    expect((await roster.getRoster(SLO))?.tenants).toEqual([...tenants].sort());
  });

  it('returns null for an SLO never discovered', async () => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock });

    // Act / Assess
    expect(await roster.getRoster(SLO)).toBeNull();
    expect(await roster.getDiscoveredAt(SLO)).toBeNull();
  });

  it('keeps rosters of different SLOs apart', async () => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock });

    // Act
    await roster.putRoster('a', ['x'], T0, KEEP);
    await roster.putRoster('b', ['y', 'z'], T0 + MINUTE_MS, KEEP);

    // Assess
    expect(await roster.getRoster('a')).toEqual({ tenants: ['x'], discoveredAt: T0 });
    expect(await roster.getRoster('b')).toEqual({ tenants: ['y', 'z'], discoveredAt: T0 + MINUTE_MS });
  });
});

describe('DynamoTenantRoster generations', () => {
  it('shows a reader during a write the previous complete generation, at every step of the write', async () => {
    // Prepare: generation 1 of 40 ids, then generation 2 of 40 others, written in 1 KB chunks (several items).
    const reader = new DynamoTenantRoster(table.doc, table.name, { clock });
    const first = tenantIds(40, 20);
    const second = first.map((tenant) => `${tenant}-new`);
    await new DynamoTenantRoster(table.doc, table.name, { clock, chunkMaxBytes: 1024, ...numberedGenerations() }).putRoster(SLO, first, T0, KEEP);
    const seenDuringWrite: (readonly string[] | undefined)[] = [];
    const writer = new DynamoTenantRoster(
      gatedClient(table.doc, async (input) => {
        // Before each of generation 2's writes (chunks, then head), a reader reads the roster.
        if (input.Item !== undefined) seenDuringWrite.push((await reader.getRoster(SLO))?.tenants);
      }),
      table.name,
      { clock, chunkMaxBytes: 1024, newGeneration: () => 'g2' },
    );

    // Act
    await writer.putRoster(SLO, second, T0 + 15 * MINUTE_MS, KEEP + 15 * MINUTE_MS);

    // Assess: at least two chunks and the head were written, and every read in between saw generation 1 whole.
    expect(seenDuringWrite.length).toBeGreaterThanOrEqual(3);
    for (const seen of seenDuringWrite) expect(seen).toEqual(first);
    expect(await reader.getRoster(SLO)).toEqual({ tenants: second, discoveredAt: T0 + 15 * MINUTE_MS });
  });

  it('keeps a later discovery when an earlier one finishes after it, and reports the conflict', async () => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock });
    await roster.putRoster(SLO, ['later'], T0 + MINUTE_MS, KEEP);

    // Act
    const outcome = await roster.putRoster(SLO, ['earlier'], T0, KEEP);

    // Assess
    expect(outcome).toBe('conflict');
    expect(await roster.getRoster(SLO)).toEqual({ tenants: ['later'], discoveredAt: T0 + MINUTE_MS });
  });

  it('replaces a corrupt head without a discovery time', async () => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock });
    await roster.putRoster(SLO, ['old'], T0, KEEP);
    await table.putRaw(rosterHeadKey(SLO), { ...(await table.getRaw(rosterHeadKey(SLO))), discoveredAt: undefined });

    // Act
    const outcome = await roster.putRoster(SLO, ['new'], T0 + MINUTE_MS, KEEP);

    // Assess
    expect(outcome).toBe('written');
    expect(await roster.getRoster(SLO)).toEqual({ tenants: ['new'], discoveredAt: T0 + MINUTE_MS });
  });

  it('lets a second discovery of the same tick replace the first (a repeated execution)', async () => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock, ...numberedGenerations() });
    await roster.putRoster(SLO, ['a'], T0, KEEP);

    // Act
    const outcome = await roster.putRoster(SLO, ['a', 'b'], T0, KEEP);

    // Assess
    expect(outcome).toBe('written');
    expect((await table.getRaw(rosterHeadKey(SLO)))?.generation).toBe('g2');
  });

  it('writes every item with the TTL attribute in epoch seconds, leaving old generations to expire', async () => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock, ...numberedGenerations() });

    // Act
    await roster.putRoster(SLO, ['a'], T0, KEEP);
    await roster.putRoster(SLO, ['b'], T0 + MINUTE_MS, KEEP + MINUTE_MS);

    // Assess: the head and both generations' chunks, each expiring with its own generation.
    const items = await rawItems();
    expect(items.map((item) => [item.pk, item.expiresAt]).sort()).toEqual(
      [
        [rosterHeadKey(SLO).pk, (KEEP + MINUTE_MS) / 1000],
        [rosterChunkKey(SLO, 'g1', 0).pk, KEEP / 1000],
        [rosterChunkKey(SLO, 'g2', 0).pk, (KEEP + MINUTE_MS) / 1000],
      ].sort(),
    );
  });

  it('treats an expired head as no roster, as DynamoDB deletes expired items only some time later', async () => {
    // Prepare
    await new DynamoTenantRoster(table.doc, table.name, { clock }).putRoster(SLO, ['a'], T0, KEEP);
    const later = new DynamoTenantRoster(table.doc, table.name, { clock: { now: () => KEEP } });

    // Act / Assess
    expect(await later.getRoster(SLO)).toBeNull();
    expect(await later.getDiscoveredAt(SLO)).toBeNull();
  });

  it('reads when the roster was discovered from the head alone', async () => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock });
    await roster.putRoster(SLO, tenantIds(50, 10), T0, KEEP);

    // Act / Assess
    expect(await roster.getDiscoveredAt(SLO)).toBe(T0);
  });
});

describe('DynamoTenantRoster reading corrupt items', () => {
  const chunkKey = rosterChunkKey(SLO, 'g1', 0);
  const headKey = rosterHeadKey(SLO);

  async function storedRoster(): Promise<DynamoTenantRoster> {
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock, ...numberedGenerations() });
    await roster.putRoster(SLO, ['acme', 'globex'], T0, KEEP);
    return roster;
  }

  it.each([
    ['tenants that are not a list', { tenants: 'acme,globex' }, 'field "tenants" must be a list; found "acme,globex"'],
    ['a tenant that is not a string', { tenants: ['acme', 7] }, 'field "tenants[1]" must be a string; found 7'],
    ['another generation', { generation: 'g9' }, 'field "generation" must be "g1" (the value in the item\'s key)'],
    ['another index', { index: 3 }, 'field "index" must be 0 (the index in the item\'s key); found 3'],
    ['a newer schema', { schemaVersion: STATE_SCHEMA_VERSION + 1 }, `has schemaVersion ${STATE_SCHEMA_VERSION + 1}`],
  ])('fails on a chunk with %s, naming the chunk key', async (_label, change, message) => {
    // Prepare
    const roster = await storedRoster();
    await table.putRaw(chunkKey, { ...(await table.getRaw(chunkKey)), ...change });

    // Act
    const read = roster.getRoster(SLO);

    // Assess
    await expect(read).rejects.toThrow(`pk=${JSON.stringify(chunkKey.pk)}`);
    await expect(read).rejects.toThrow(message);
  });

  it('fails on a chunk of fewer tenants than the head counts, naming the head key', async () => {
    // Prepare
    const roster = await storedRoster();
    await table.putRaw(chunkKey, { ...(await table.getRaw(chunkKey)), tenants: ['acme'] });

    // Act
    const read = roster.getRoster(SLO);

    // Assess
    await expect(read).rejects.toThrow(CorruptItemError);
    await expect(read).rejects.toThrow(`Item pk=${JSON.stringify(headKey.pk)} sk="${ROSTER_HEAD_SORT_KEY}": field "tenantCount" must be the number of tenants in its 1 chunks (1); found 2`);
  });

  it('fails on a head naming a chunk that is not stored, naming both keys', async () => {
    // Prepare
    const roster = await storedRoster();
    await table.putRaw(headKey, { ...(await table.getRaw(headKey)), chunks: 2 });
    const missing = rosterChunkKey(SLO, 'g1', 1);

    // Act
    const read = roster.getRoster(SLO);

    // Assess
    await expect(read).rejects.toThrow(MissingRosterChunkError);
    await expect(read).rejects.toThrow(`Roster chunk pk=${JSON.stringify(missing.pk)} sk="${ROSTER_CHUNK_SORT_KEY}", named by head pk=${JSON.stringify(headKey.pk)}`);
  });

  it.each([
    ['no generation', { generation: undefined }, 'field "generation" must be a string'],
    ['a generation with a separator', { generation: 'g#1' }, 'field "generation" must be an id matching'],
    ['a negative chunk count', { chunks: -1 }, 'field "chunks" must be an integer >= 0; found -1'],
    ['no discovery time', { discoveredAt: undefined }, 'field "discoveredAt" must be an integer >= 0'],
  ])('fails on a head with %s, naming the head key', async (_label, change, message) => {
    // Prepare
    const roster = await storedRoster();
    await table.putRaw(headKey, { ...(await table.getRaw(headKey)), ...change });

    // Act
    const read = roster.getRoster(SLO);

    // Assess
    await expect(read).rejects.toThrow(CorruptItemError);
    await expect(read).rejects.toThrow(`Item pk=${JSON.stringify(headKey.pk)}`);
    await expect(read).rejects.toThrow(message);
  });
});

describe('DynamoTenantRoster write validation', () => {
  it.each([
    ['an expiry in seconds', ['a'], T0, KEEP / 1000, 'expiresAt must be an integer epoch-ms time after discoveredAt'],
    ['an empty tenant id', ['a', ''], T0, KEEP, 'tenants[1] must be a non-empty string; given ""'],
    ['a tenant id larger than a chunk', ['x'.repeat(2000)], T0, KEEP, 'tenants[0] must be at most'],
    ['a fractional discovery time', ['a'], T0 + 0.5, KEEP, 'discoveredAt must be an integer epoch-ms time'],
  ])('refuses %s and writes nothing', async (_label, tenants, discoveredAt, expiresAt, message) => {
    // Prepare
    const roster = new DynamoTenantRoster(table.doc, table.name, { clock, chunkMaxBytes: 1024 });

    // Act
    const write = roster.putRoster(SLO, tenants, discoveredAt, expiresAt);

    // Assess
    await expect(write).rejects.toThrow(message);
    expect(await rawItems()).toEqual([]);
  });

  it.each([
    [{ chunkMaxBytes: ROSTER_CHUNK_MAX_BYTES + 1 }, 'chunkMaxBytes must be an integer from 1024 to 358400'],
    [{ maxBatchGetRetries: -1 }, 'maxBatchGetRetries must be a non-negative integer'],
  ])('refuses the option %p', (options, message) => {
    // Act / Assess
    expect(() => new DynamoTenantRoster(table.doc, table.name, options)).toThrow(StoreArgumentError);
    expect(() => new DynamoTenantRoster(table.doc, table.name, options)).toThrow(message);
  });
});

describe('DynamoTenantRoster against a mocked client', () => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  const docMock = mockClient(doc);
  const TABLE = 'burnwatch';
  const head = { ...rosterHeadKey(SLO), schemaVersion: 1, slo: SLO, generation: 'g1', chunks: 1, tenantCount: 1, discoveredAt: T0, expiresAt: KEEP / 1000 };
  const chunkKey = rosterChunkKey(SLO, 'g1', 0);
  const chunk = { ...chunkKey, schemaVersion: 1, slo: SLO, generation: 'g1', index: 0, tenants: ['acme'], expiresAt: KEEP / 1000 };

  afterEach(() => {
    docMock.reset();
  });

  afterAll(() => {
    docMock.restore();
  });

  it('retries unprocessed chunk keys after backing off, with strongly consistent reads', async () => {
    // Prepare
    docMock.on(GetCommand).resolves({ Item: head });
    docMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [chunkKey] } } })
      .resolvesOnce({ Responses: { [TABLE]: [chunk] } });
    const sleep = jest.fn(async (_ms: number) => undefined);
    const roster = new DynamoTenantRoster(doc, TABLE, { clock, sleep, batchGetBaseDelayMs: 50 });

    // Act
    const read = await roster.getRoster(SLO);

    // Assess
    expect(read).toEqual({ tenants: ['acme'], discoveredAt: T0 });
    expect(sleep.mock.calls).toEqual([[50]]);
    const requests = docMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]);
    expect(requests).toEqual([
      { Keys: [chunkKey], ConsistentRead: true },
      { Keys: [chunkKey], ConsistentRead: true },
    ]);
    expect(docMock.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('gives up after the configured retries with a named error', async () => {
    // Prepare
    docMock.on(GetCommand).resolves({ Item: head });
    docMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [chunkKey] } } });
    const sleep = jest.fn(async (_ms: number) => undefined);
    const roster = new DynamoTenantRoster(doc, TABLE, { clock, sleep, batchGetBaseDelayMs: 10, maxBatchGetRetries: 2 });

    // Act
    const read = roster.getRoster(SLO);

    // Assess: 10 then 20 ms, then the first call plus two retries.
    await expect(read).rejects.toThrow(UnprocessedKeysError);
    expect(sleep.mock.calls).toEqual([[10], [20]]);
    expect(docMock.commandCalls(BatchGetCommand)).toHaveLength(3);
  });

  it('reads 100 chunks in BatchGetItem requests of at most 40 keys (16 MB per response)', async () => {
    // Prepare
    docMock.on(GetCommand).resolves({ Item: { ...head, chunks: 100, tenantCount: 0 } });
    docMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string; sk: string }[] }> }) => ({
      Responses: {
        [TABLE]: input.RequestItems[TABLE]!.Keys.map((key) => ({ ...key, schemaVersion: 1, slo: SLO, generation: 'g1', index: Number(key.pk.slice(-4)), tenants: [] })),
      },
    }));
    const roster = new DynamoTenantRoster(doc, TABLE, { clock });

    // Act
    await roster.getRoster(SLO);

    // Assess
    const sizes = docMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length);
    expect(sizes).toEqual([40, 40, 20]);
  });

  it('writes the head last, on the condition that no later discovery is stored', async () => {
    // Prepare
    docMock.on(PutCommand).resolves({});
    const roster = new DynamoTenantRoster(doc, TABLE, { clock, newGeneration: () => 'g1' });

    // Act
    await roster.putRoster(SLO, ['acme'], T0, KEEP);

    // Assess
    const puts = docMock.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => put.Item?.sk)).toEqual([ROSTER_CHUNK_SORT_KEY, ROSTER_HEAD_SORT_KEY]);
    expect(puts[1]).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#pk) OR attribute_not_exists(#discoveredAt) OR #discoveredAt <= :discoveredAt',
      ExpressionAttributeValues: { ':discoveredAt': T0 },
    });
  });
});
