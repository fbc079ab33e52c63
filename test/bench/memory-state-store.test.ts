/**
 * The benchmark's in-memory state store must keep the DynamoDB store's conditional semantics, or the bench would
 * measure an evaluator that never meets a conflict it would meet in AWS.
 */
import { StoreArgumentError } from '../../lambda/adapters/dynamo-table-schema';
import { InvalidKeyPartError } from '../../lambda/domain/keys';
import { DAY_MS, MINUTE_MS, STATE_SCHEMA_VERSION, type Incident, type TenantAlertState } from '../../lambda/domain/model';
import type { OpenIncidentPointer, WriteOutcome } from '../../lambda/ports';
import { MemoryStateStore } from '../../bench/memory-state-store';

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
    tenants: [],
    executionArn: null,
    suspectedCause: null,
    failureMode: null,
    forensicUri: null,
    timeline: [],
    version: 1,
    ...overrides,
  };
}

function pointer(overrides: Partial<OpenIncidentPointer> = {}): OpenIncidentPointer {
  return { slo: SLO, incidentId: 'inc-1', openedAt: T0, version: 1, ...overrides };
}

/** The three versioned records, driven the same way: a `marker` string tells apart whose write is stored. */
interface VersionedRecord {
  create(store: MemoryStateStore, marker: string): Promise<WriteOutcome>;
  write(store: MemoryStateStore, fromVersion: number, marker: string): Promise<WriteOutcome>;
  read(store: MemoryStateStore): Promise<{ version: number; marker: string | null } | null>;
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

describe.each(versionedRecords)('MemoryStateStore conditional writes of %s', (_, record) => {
  let store: MemoryStateStore;
  beforeEach(() => {
    store = new MemoryStateStore();
  });

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

describe('MemoryStateStore argument checks, as the table store makes them', () => {
  it.each([
    ['a tenant state', (s: MemoryStateStore) => s.putTenantState(tenantState({ version: 3 }), 1)],
    ['an incident', (s: MemoryStateStore) => s.updateIncident(incident({ version: 3 }), 1)],
    ['an open-incident pointer', (s: MemoryStateStore) => s.putOpenIncidentPointer(pointer({ version: 3 }), 1)],
  ])('rejects %s whose version is not expectedVersion + 1, naming the field', async (_, write) => {
    // Prepare
    const store = new MemoryStateStore();

    // Act
    const attempt = write(store);

    // Assess
    await expect(attempt).rejects.toThrow(StoreArgumentError);
    await expect(write(store)).rejects.toThrow('version must be expectedVersion + 1 (2); given 3');
  });

  it.each([
    ['at the state time itself', T0],
    ['a seconds timestamp mistaken for milliseconds', Math.floor((T0 + 35 * DAY_MS) / 1000)],
  ])('rejects a history expiry %s', async (_, expiresAt) => {
    // Prepare
    const store = new MemoryStateStore();

    // Act
    const attempt = store.appendHistory(tenantState(), expiresAt);

    // Assess
    await expect(attempt).rejects.toThrow(StoreArgumentError);
    expect(store.historyOf(SLO, 'acme')).toEqual([]);
  });

  it('rejects a tenant name the table could not key', async () => {
    // Prepare
    const store = new MemoryStateStore();

    // Act
    const attempt = store.putTenantState(tenantState({ tenant: '' }), 0);

    // Assess
    await expect(attempt).rejects.toThrow(InvalidKeyPartError);
  });
});

describe('MemoryStateStore reads', () => {
  it('returns the stored states of the asked tenants only, and nothing for tenants never written', async () => {
    // Prepare
    const store = new MemoryStateStore();
    await store.putTenantState(tenantState({ tenant: 'acme' }), 0);
    await store.putTenantState(tenantState({ tenant: 'globex', level: 'ok' }), 0);

    // Act
    const { states, unreadable } = await store.getTenantStates(SLO, ['acme', 'initech']);

    // Assess
    expect([...states.keys()]).toEqual(['acme']);
    expect(states.get('acme')?.level).toBe('page');
    expect(unreadable.size).toBe(0);
  });

  it('keeps what was written even when the caller changes its object afterwards', async () => {
    // Prepare
    const store = new MemoryStateStore();
    const written = { ...tenantState() } as { -readonly [K in keyof TenantAlertState]: TenantAlertState[K] };
    await store.putTenantState(written, 0);

    // Act
    written.level = 'ok';

    // Assess
    expect((await store.getTenantStates(SLO, ['acme'])).states.get('acme')?.level).toBe('page');
  });

  it('appends history items in write order, each a copy', async () => {
    // Prepare
    const store = new MemoryStateStore();

    // Act
    await store.appendHistory(tenantState({ updatedAt: T0 }), T0 + 35 * DAY_MS);
    await store.appendHistory(tenantState({ updatedAt: T0 + MINUTE_MS, level: 'ok' }), T0 + 35 * DAY_MS);

    // Assess
    expect(store.historyOf(SLO, 'acme').map((s) => [s.updatedAt, s.level])).toEqual([
      [T0, 'page'],
      [T0 + MINUTE_MS, 'ok'],
    ]);
  });
});
