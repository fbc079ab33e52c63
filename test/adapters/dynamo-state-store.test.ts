import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoStateStore, UnprocessedKeysError } from '../../lambda/adapters/dynamo-state-store';
import { InvalidItemError, StoreArgumentError, UnsupportedSchemaVersionError } from '../../lambda/adapters/dynamo-table-schema';
import { incidentKey, openIncidentPointerKey, tenantHistoryKey, tenantStateKey } from '../../lambda/domain/keys';
import { DAY_MS, MINUTE_MS, STATE_SCHEMA_VERSION, type Incident, type TenantAlertState } from '../../lambda/domain/model';
import type { OpenIncidentPointer, WriteOutcome } from '../../lambda/ports';
import { useLocalDynamo, type TestTable } from '../support/dynalite';

const T0 = 1_700_000_000_000;
const SLO = 'checkout-availability';

function tenantState(overrides: Partial<TenantAlertState> = {}): TenantAlertState {
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

function incident(overrides: Partial<Incident> = {}): Incident {
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

function pointer(overrides: Partial<OpenIncidentPointer> = {}): OpenIncidentPointer {
  return { slo: SLO, incidentId: 'inc-1', openedAt: T0, version: 1, ...overrides };
}

const dynalite = useLocalDynamo('burnwatch-state');
let table: TestTable;
let store: DynamoStateStore;

beforeEach(async () => {
  table = await dynalite.freshTable();
  store = new DynamoStateStore(table.doc, table.name);
});

/** The three versioned records, driven the same way: a `marker` string tells apart whose write is stored. */
interface VersionedRecord {
  create(store: DynamoStateStore, marker: string): Promise<WriteOutcome>;
  write(store: DynamoStateStore, fromVersion: number, marker: string): Promise<WriteOutcome>;
  read(store: DynamoStateStore): Promise<{ version: number; marker: string | null } | null>;
}

const versionedRecords: readonly [string, VersionedRecord][] = [
  [
    'a tenant state',
    {
      create: (store, marker) => store.putTenantState(tenantState({ incidentId: marker }), 0),
      write: (store, from, marker) => store.putTenantState(tenantState({ incidentId: marker, version: from + 1 }), from),
      read: async (store) => {
        const state = (await store.getTenantStates(SLO, ['acme'])).states.get('acme');
        return state === undefined ? null : { version: state.version, marker: state.incidentId };
      },
    },
  ],
  [
    'an incident',
    {
      create: (store, marker) => store.createIncident(incident({ suspectedCause: marker })),
      write: (store, from, marker) => store.updateIncident(incident({ suspectedCause: marker, version: from + 1 }), from),
      read: async (store) => {
        const stored = await store.getIncident('inc-1');
        return stored === null ? null : { version: stored.version, marker: stored.suspectedCause };
      },
    },
  ],
  [
    'an open-incident pointer',
    {
      create: (store, marker) => store.putOpenIncidentPointer(pointer({ incidentId: marker }), 0),
      write: (store, from, marker) => store.putOpenIncidentPointer(pointer({ incidentId: marker, version: from + 1 }), from),
      read: async (store) => {
        const stored = await store.getOpenIncidentPointer(SLO);
        return stored === null ? null : { version: stored.version, marker: stored.incidentId };
      },
    },
  ],
];

describe.each(versionedRecords)('DynamoStateStore conditional writes of %s', (_, record) => {
  it('creates it when it does not exist yet', async () => {
    // Act
    const outcome = await record.create(store, 'first');

    // Assess
    expect(outcome).toBe('written');
    expect(await record.read(store)).toEqual({ version: 1, marker: 'first' });
  });

  it('lets exactly one of two concurrent creates win', async () => {
    // Act
    const outcomes = await Promise.all([record.create(store, 'writer-a'), record.create(store, 'writer-b')]);

    // Assess
    expect([...outcomes].sort()).toEqual(['conflict', 'written']);
    const winner = outcomes[0] === 'written' ? 'writer-a' : 'writer-b';
    expect(await record.read(store)).toEqual({ version: 1, marker: winner });
  });

  it.each([
    ['writes version 2 over the stored version 1', 1, 'written', { version: 2, marker: 'next' }],
    ['refuses a write from stale version 0 (a create) and keeps version 1', 0, 'conflict', { version: 1, marker: 'first' }],
    ['refuses a write from version 2, which was never stored, and keeps version 1', 2, 'conflict', { version: 1, marker: 'first' }],
  ] as const)('%s', async (_name, fromVersion, expectedOutcome, expectedStored) => {
    // Prepare
    await record.create(store, 'first');

    // Act
    const outcome = fromVersion === 0 ? await record.create(store, 'next') : await record.write(store, fromVersion, 'next');

    // Assess
    expect(outcome).toBe(expectedOutcome);
    expect(await record.read(store)).toEqual(expectedStored);
  });

  it('refuses an update of a record that does not exist', async () => {
    // Act
    const outcome = await record.write(store, 1, 'orphan');

    // Assess
    expect(outcome).toBe('conflict');
    expect(await record.read(store)).toBeNull();
  });

  it('lets exactly one of two overlapping writers that both read version 1 write version 2', async () => {
    // Prepare: both writers read the same version, as two overlapping evaluator ticks do.
    await record.create(store, 'first');
    const [readByA, readByB] = await Promise.all([record.read(store), record.read(store)]);

    // Act
    const outcomes = await Promise.all([
      record.write(store, readByA?.version ?? -1, 'writer-a'),
      record.write(store, readByB?.version ?? -1, 'writer-b'),
    ]);

    // Assess
    expect([readByA?.version, readByB?.version]).toEqual([1, 1]);
    expect([...outcomes].sort()).toEqual(['conflict', 'written']);
    const winner = outcomes[0] === 'written' ? 'writer-a' : 'writer-b';
    expect(await record.read(store)).toEqual({ version: 2, marker: winner });
  });
});

describe('DynamoStateStore write validation', () => {
  it.each([
    ['a tenant state', (s: DynamoStateStore) => s.putTenantState(tenantState({ version: 3 }), 1)],
    ['an incident', (s: DynamoStateStore) => s.updateIncident(incident({ version: 3 }), 1)],
    ['an open-incident pointer', (s: DynamoStateStore) => s.putOpenIncidentPointer(pointer({ version: 3 }), 1)],
  ])('rejects %s whose version is not expectedVersion + 1', async (_, write) => {
    // Act
    const attempt = write(store);

    // Assess
    await expect(attempt).rejects.toThrow(StoreArgumentError);
    await expect(write(store)).rejects.toThrow('version must be expectedVersion + 1 (2); given 3');
  });

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

describe('DynamoStateStore batch reads and awkward names', () => {
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

  it('returns an empty map for no tenants', async () => {
    // Act
    const { states, unreadable } = await store.getTenantStates(SLO, []);

    // Assess
    expect(states.size).toBe(0);
    expect(unreadable.size).toBe(0);
  });

  it('round-trips tenants with unicode, quotes, separators and 1,000-character names without collisions', async () => {
    // Prepare: (slo, tenant) pairs; the first two would both be 'a#b#c' under naive concatenation.
    const long = 'ü'.repeat(999);
    const pairs: [string, string][] = [
      ['a#b', 'c'],
      ['a', 'b#c'],
      ['a', 'b%23c'],
      ['a', `"quoted" 'tenant'`],
      ['a', '租户🔥'],
      ['a', `${long}1`],
      ['a', `${long}2`],
      ['a', 'x'.repeat(1000)],
    ];
    const outcomes = await Promise.all(
      pairs.map(([slo, tenant], index) => store.putTenantState(tenantState({ slo, tenant, incidentId: `inc-${index}` }), 0)),
    );

    // Act
    const bySlo = new Map<string, Map<string, TenantAlertState>>();
    for (const slo of new Set(pairs.map(([slo]) => slo))) {
      bySlo.set(slo, (await store.getTenantStates(slo, pairs.filter(([s]) => s === slo).map(([, tenant]) => tenant))).states);
    }

    // Assess: every write created a new item, and every tenant reads back its own.
    expect(outcomes).toEqual(pairs.map(() => 'written'));
    pairs.forEach(([slo, tenant], index) => {
      const state = bySlo.get(slo)?.get(tenant);
      expect(state?.tenant).toBe(tenant);
      expect(state?.incidentId).toBe(`inc-${index}`);
    });
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

  it('refuses a history expiry given in seconds, which would expire the item at once', async () => {
    // Act
    const attempt = store.appendHistory(tenantState(), (T0 + 30 * DAY_MS) / 1000);

    // Assess
    await expect(attempt).rejects.toThrow(/^expiresAt must be an integer epoch-ms time after state.updatedAt/);
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
