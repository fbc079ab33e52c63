import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoStateStore, UnprocessedKeysError } from '../../lambda/adapters/dynamo-state-store';
import { InvalidItemError, ItemReader, UnsupportedSchemaVersionError, corruptItem } from '../../lambda/adapters/dynamo-table-schema';
import {
  HISTORY_SORT_PREFIX,
  TABLE_PARTITION_KEY,
  TABLE_SORT_KEY,
  incidentKey,
  openIncidentPointerKey,
  tenantHistoryKey,
  tenantStateKey,
} from '../../lambda/domain/keys';
import { DAY_MS, MINUTE_MS, STATE_SCHEMA_VERSION, type TenantAlertState } from '../../lambda/domain/model';
import { useLocalDynamo, type TestTable } from '../support/dynalite';
import { SLO, T0, incident, pointer, tenantState } from '../support/state-fixture';
import { describeStateStoreContract, type HistoryEntry } from '../support/state-store-contract';

const dynalite = useLocalDynamo('burnwatch-state');
let table: TestTable;
let store: DynamoStateStore;

beforeEach(async () => {
  table = await dynalite.freshTable();
  store = new DynamoStateStore(table.doc, table.name);
});

/** The tenant's history items, read straight from the table (the store itself never reads history). */
async function historyOf(slo: string, tenant: string): Promise<HistoryEntry[]> {
  const { pk } = tenantStateKey(slo, tenant);
  const { Items = [] } = await table.doc.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :history)',
      ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY },
      ExpressionAttributeValues: { ':pk': pk, ':history': HISTORY_SORT_PREFIX },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => {
    const reader = new ItemReader(item, corruptItem({ pk, sk: String(item[TABLE_SORT_KEY]) }));
    return { updatedAt: reader.number('updatedAt'), level: reader.string('level') };
  });
}

// Against the table the file's beforeEach created.
describeStateStoreContract('DynamoStateStore', () => ({ store, history: historyOf }));

describe('DynamoStateStore write validation', () => {
  it.each([
    ['a budgetRemaining that is not a number', { budgetRemaining: Number.NaN }, 'budgetRemaining'],
    ['an unknown level', { level: 'warning' as TenantAlertState['level'] }, 'level'],
    ['a burn rate that is infinite', { burnRates: { '5': Number.POSITIVE_INFINITY } }, 'burnRates.5'],
  ])('refuses to store a tenant state with %s, naming the field, and writes nothing', async (_, overrides, field) => {
    // Act
    const attempt = store.putTenantState(tenantState(overrides), 0);

    // Assess
    await expect(attempt).rejects.toThrow(InvalidItemError);
    await expect(store.putTenantState(tenantState(overrides), 0)).rejects.toMatchObject({ field });
    expect(await table.getRaw(tenantStateKey(SLO, 'acme'))).toBeUndefined();
  });
});

describe('DynamoStateStore reading items of other schema versions', () => {
  it('upgrades a tenant state without schemaVersion and without later fields, using safe defaults', async () => {
    // Prepare: an item as the first release wrote it.
    await table.putRaw(tenantStateKey(SLO, 'acme'), {
      slo: SLO,
      tenant: 'acme',
      level: 'ticket',
      levelSince: T0 - 60 * MINUTE_MS,
      incidentId: null,
      budgetRemaining: 0.4,
      updatedAt: T0,
      version: 7,
    });

    // Act
    const state = (await store.getTenantStates(SLO, ['acme'])).states.get('acme');

    // Assess
    expect(state).toEqual<TenantAlertState>({
      schemaVersion: STATE_SCHEMA_VERSION,
      slo: SLO,
      tenant: 'acme',
      level: 'ticket',
      levelSince: T0 - 60 * MINUTE_MS,
      lastFiringAt: null,
      activeRules: [],
      incidentId: null,
      burnRates: {},
      budgetRemaining: 0.4,
      timeToExhaustionMinutes: null,
      updatedAt: T0,
      version: 7,
    });
  });

  it('upgrades an incident without schemaVersion, timeline or workflow fields', async () => {
    // Prepare
    const later = { timeline: undefined, executionArn: undefined, suspectedCause: undefined, failureMode: undefined, forensicUri: undefined };
    await table.putRaw(incidentKey('inc-1'), { ...incident(), resolvedAt: undefined, ...later });

    // Act
    const stored = await store.getIncident('inc-1');

    // Assess
    expect(stored).toEqual(incident({ timeline: [] }));
  });

  it('reports a tenant state written by a newer schema as unreadable for that tenant only, naming the key and the version', async () => {
    // Prepare
    const key = tenantStateKey(SLO, 'acme');
    await table.putRaw(key, { schemaVersion: STATE_SCHEMA_VERSION + 1, somethingNew: true });
    await store.putTenantState(tenantState({ tenant: 'initech' }), 0);

    // Act
    const read = await store.getTenantStates(SLO, ['acme', 'initech']);

    // Assess
    expect(read.states.has('acme')).toBe(false);
    expect(read.states.get('initech')?.tenant).toBe('initech');
    expect(read.unreadable.get('acme')).toContain('UnsupportedSchemaVersionError');
    expect(read.unreadable.get('acme')).toContain(
      `Item pk=${JSON.stringify(key.pk)} sk=${JSON.stringify(key.sk)} has schemaVersion ${STATE_SCHEMA_VERSION + 1}`,
    );
  });

  it.each([
    ['an incident', incidentKey('inc-1'), (s: DynamoStateStore) => s.getIncident('inc-1')],
    ['an open-incident pointer', openIncidentPointerKey(SLO), (s: DynamoStateStore) => s.getOpenIncidentPointer(SLO)],
  ])('rejects %s written by a newer schema, naming the key and the version', async (_, key, read) => {
    // Prepare
    await table.putRaw(key, { schemaVersion: STATE_SCHEMA_VERSION + 1, somethingNew: true });

    // Act
    const attempt = read(store);

    // Assess
    await expect(attempt).rejects.toThrow(UnsupportedSchemaVersionError);
    await expect(read(store)).rejects.toThrow(
      `Item pk=${JSON.stringify(key.pk)} sk=${JSON.stringify(key.sk)} has schemaVersion ${STATE_SCHEMA_VERSION + 1}`,
    );
  });
});

describe('DynamoStateStore reading corrupt items', () => {
  it.each([
    ['an unknown level', { level: 'warning' }, 'level'],
    ['a version stored as a string', { version: '3' }, 'version'],
    ['a negative version', { version: -1 }, 'version'],
    ['a rule name that is not a string', { activeRules: ['1h/5m', 6] }, 'activeRules[1]'],
    ['a burn rate that is not a number', { burnRates: { '5': 'fast' } }, 'burnRates.5'],
    ['a missing budgetRemaining', { budgetRemaining: undefined }, 'budgetRemaining'],
    ['a tenant that differs from the key', { tenant: 'globex' }, 'tenant'],
    ['a schemaVersion that is not an integer', { schemaVersion: 'one' }, 'schemaVersion'],
  ])('reports a tenant state with %s as unreadable for that tenant only, naming the field', async (_, overrides, field) => {
    // Prepare: acme's item is corrupt, initech's is fine.
    await table.putRaw(tenantStateKey(SLO, 'acme'), { ...tenantState(), ...overrides });
    await store.putTenantState(tenantState({ tenant: 'initech' }), 0);

    // Act
    const read = await store.getTenantStates(SLO, ['acme', 'initech']);

    // Assess
    expect(read.states.has('acme')).toBe(false);
    expect(read.states.get('initech')?.tenant).toBe('initech');
    expect(read.unreadable.get('acme')).toContain(`CorruptItemError: Item pk=${JSON.stringify(tenantStateKey(SLO, 'acme').pk)}`);
    expect(read.unreadable.get('acme')).toContain(`field "${field}"`);
  });

  it.each([
    ['an incident tenant at level ok', { tenants: [{ ...incident().tenants[0], level: 'ok' }] }, 'tenants[0].level'],
    ['a timeline entry without a time', { timeline: [{ step: 'opened', detail: 'x' }] }, 'timeline[0].at'],
    ['an unknown failure mode', { failureMode: 'gremlins' }, 'failureMode'],
  ])('rejects an incident with %s, naming the field', async (_, overrides, field) => {
    // Prepare
    await table.putRaw(incidentKey('inc-1'), { ...incident(), ...overrides });

    // Act
    const attempt = store.getIncident('inc-1');

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'CorruptItemError', field });
  });
});

describe('DynamoStateStore batch reads and history items', () => {
  it('reads 250 tenants (three BatchGetItem chunks) and leaves out tenants never written', async () => {
    // Prepare: each tenant's budgetRemaining encodes its index, so a mix-up would show.
    const tenants = Array.from({ length: 250 }, (_, index) => `tenant-${index}`);
    await Promise.all(tenants.map((tenant, index) => store.putTenantState(tenantState({ tenant, budgetRemaining: index / 1000 }), 0)));

    // Act: dynalite, like DynamoDB, rejects more than 100 keys and duplicate keys in one request.
    const { states, unreadable } = await store.getTenantStates(SLO, [...tenants, 'never-seen', 'tenant-0']);

    // Assess
    expect(states.size).toBe(250);
    expect(states.has('never-seen')).toBe(false);
    expect(unreadable.size).toBe(0);
    tenants.forEach((tenant, index) => expect(states.get(tenant)?.budgetRemaining).toBeCloseTo(index / 1000, 10));
  });

  it('appends history under its own sort key with expiresAt in epoch seconds, leaving the state item alone', async () => {
    // Prepare: keep history for 30 days.
    const state = tenantState();
    const expiresAtMs = T0 + 30 * DAY_MS;

    // Act
    await store.appendHistory(state, expiresAtMs);

    // Assess
    const item = await table.getRaw(tenantHistoryKey(SLO, 'acme', T0));
    expect(item).toMatchObject({ sk: 'HIST#1700000000000', level: 'page', version: 1, expiresAt: expiresAtMs / 1000 });
    expect(await table.getRaw(tenantStateKey(SLO, 'acme'))).toBeUndefined();
  });
});

describe('DynamoStateStore against a mocked client', () => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  const docMock = mockClient(doc);
  const TABLE = 'burnwatch';
  const stateItem = (tenant: string): Record<string, unknown> => ({ ...tenantState({ tenant }), ...tenantStateKey(SLO, tenant) });

  afterEach(() => {
    docMock.reset();
  });

  afterAll(() => {
    docMock.restore();
  });

  it('splits 250 tenants into BatchGetItem requests of 100, 100 and 50 keys', async () => {
    // Prepare
    docMock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    const store = new DynamoStateStore(doc, TABLE);

    // Act
    await store.getTenantStates(SLO, Array.from({ length: 250 }, (_, index) => `tenant-${index}`));

    // Assess
    const sizes = docMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length);
    expect(sizes).toEqual([100, 100, 50]);
  });

  it('retries unprocessed keys after backing off, and returns what the retry read', async () => {
    // Prepare: the first response throttles one key, the retry returns it.
    const key = tenantStateKey(SLO, 'acme');
    docMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [key] } } })
      .resolvesOnce({ Responses: { [TABLE]: [stateItem('acme')] } });
    const sleep = jest.fn(async (_ms: number) => undefined);
    const store = new DynamoStateStore(doc, TABLE, { sleep, batchGetBaseDelayMs: 50 });

    // Act
    const { states } = await store.getTenantStates(SLO, ['acme']);

    // Assess
    expect(states.get('acme')?.version).toBe(1);
    expect(sleep.mock.calls).toEqual([[50]]);
    expect(docMock.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([key]);
  });

  it('gives up after the configured retries, doubling the backoff each time, with a named error', async () => {
    // Prepare: every response throttles the key.
    const key = tenantStateKey(SLO, 'acme');
    docMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [key] } } });
    const sleep = jest.fn(async (_ms: number) => undefined);
    const store = new DynamoStateStore(doc, TABLE, { sleep, batchGetBaseDelayMs: 10, maxBatchGetRetries: 3 });

    // Act
    const attempt = store.getTenantStates(SLO, ['acme']);

    // Assess: 10, 20, 40 ms, then the first call plus three retries.
    await expect(attempt).rejects.toThrow(UnprocessedKeysError);
    expect(sleep.mock.calls).toEqual([[10], [20], [40]]);
    expect(docMock.commandCalls(BatchGetCommand)).toHaveLength(4);
  });

  it.each([
    ['putTenantState', (store: DynamoStateStore) => store.putTenantState(tenantState(), 0)],
    ['createIncident', (store: DynamoStateStore) => store.createIncident(incident())],
    ['putOpenIncidentPointer', (store: DynamoStateStore) => store.putOpenIncidentPointer(pointer(), 0)],
  ])('lets %s propagate errors other than a failed condition', async (_, write) => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    docMock.on(PutCommand).rejects(throttled);

    // Act
    const attempt = write(new DynamoStateStore(doc, TABLE));

    // Assess
    await expect(attempt).rejects.toThrow('Rate exceeded');
  });

  it.each([
    ['an empty table name', '', {}, 'tableName'],
    ['a negative retry count', TABLE, { maxBatchGetRetries: -1 }, 'maxBatchGetRetries'],
  ])('refuses %s, naming the argument', (_, tableName, options, argument) => {
    // Act
    const construct = (): unknown => new DynamoStateStore(doc, tableName, options);

    // Assess
    expect(construct).toThrow(new RegExp(`^${argument} must be`));
  });
});
