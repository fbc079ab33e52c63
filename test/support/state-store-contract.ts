/**
 * The behaviour every `StateStore` must share: the conditional (optimistic concurrency) writes of the three
 * versioned records, the argument checks, and reads. DynamoStateStore (against dynalite) and the benchmark's
 * MemoryStateStore both run it, so the bench cannot drift from what the evaluator meets in AWS.
 */
import { StoreArgumentError } from '../../lambda/adapters/dynamo-table-schema';
import { InvalidKeyPartError } from '../../lambda/domain/keys';
import { DAY_MS, MINUTE_MS, type TenantAlertState } from '../../lambda/domain/model';
import type { StateStore, WriteOutcome } from '../../lambda/ports';
import { SLO, T0, incident, pointer, tenantState } from './state-fixture';

/** One history item as the store kept it: what the history tests compare. */
export interface HistoryEntry {
  readonly updatedAt: number;
  readonly level: string;
}

/** A fresh, empty store, and a way to see the history it keeps (the port has no history read). */
export interface StateStoreUnderTest {
  readonly store: StateStore;
  /** The tenant's history items, oldest first. */
  history(slo: string, tenant: string): Promise<readonly HistoryEntry[]>;
}

/** The three versioned records, driven the same way: a `marker` string tells apart whose write is stored. */
interface VersionedRecord {
  create(store: StateStore, marker: string): Promise<WriteOutcome>;
  write(store: StateStore, fromVersion: number, marker: string): Promise<WriteOutcome>;
  read(store: StateStore): Promise<{ version: number; marker: string | null } | null>;
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

/**
 * Declares the contract's tests in a `describe(name)`, each against the store `makeStore()` gives (called before
 * every test, after the caller's own beforeEach hooks).
 */
export function describeStateStoreContract(name: string, makeStore: () => Promise<StateStoreUnderTest> | StateStoreUnderTest): void {
  describe(name, () => {
    let subject: StateStoreUnderTest;
    let store: StateStore;
    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
    });

    describe.each(versionedRecords)('conditional writes of %s', (_, record) => {
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

    describe('argument checks', () => {
      it.each([
        ['a tenant state', (s: StateStore) => s.putTenantState(tenantState({ version: 3 }), 1)],
        ['an incident', (s: StateStore) => s.updateIncident(incident({ version: 3 }), 1)],
        ['an open-incident pointer', (s: StateStore) => s.putOpenIncidentPointer(pointer({ version: 3 }), 1)],
      ])('rejects %s whose version is not expectedVersion + 1, naming the field', async (_, write) => {
        // Act
        const attempt = write(store);

        // Assess
        await expect(attempt).rejects.toThrow(StoreArgumentError);
        await expect(write(store)).rejects.toThrow('version must be expectedVersion + 1 (2); given 3');
      });

      it.each([
        ['at the state time itself', T0],
        ['given in seconds, which would expire the item at once', (T0 + 30 * DAY_MS) / 1000],
        ['of a seconds timestamp mistaken for milliseconds', Math.floor((T0 + 35 * DAY_MS) / 1000)],
      ])('refuses a history expiry %s, and appends nothing', async (_, expiresAt) => {
        // Act
        const attempt = store.appendHistory(tenantState(), expiresAt);

        // Assess
        await expect(attempt).rejects.toThrow(StoreArgumentError);
        await expect(store.appendHistory(tenantState(), expiresAt)).rejects.toThrow(/^expiresAt must be an integer epoch-ms time after state.updatedAt/);
        expect(await subject.history(SLO, 'acme')).toEqual([]);
      });

      it('rejects a tenant name the table could not key', async () => {
        // Act
        const attempt = store.putTenantState(tenantState({ tenant: '' }), 0);

        // Assess
        await expect(attempt).rejects.toThrow(InvalidKeyPartError);
      });
    });

    describe('reads', () => {
      it('returns the stored states of the asked tenants only, and nothing for tenants never written', async () => {
        // Prepare
        await store.putTenantState(tenantState({ tenant: 'acme' }), 0);
        await store.putTenantState(tenantState({ tenant: 'globex', level: 'ok' }), 0);

        // Act
        const { states, unreadable } = await store.getTenantStates(SLO, ['acme', 'initech']);

        // Assess
        expect([...states.keys()]).toEqual(['acme']);
        expect(states.get('acme')?.level).toBe('page');
        expect(unreadable.size).toBe(0);
      });

      it('returns an empty map for no tenants', async () => {
        // Act
        const { states, unreadable } = await store.getTenantStates(SLO, []);

        // Assess
        expect(states.size).toBe(0);
        expect(unreadable.size).toBe(0);
      });

      it('keeps what was written even when the caller changes its object afterwards', async () => {
        // Prepare
        const written = { ...tenantState() } as { -readonly [K in keyof TenantAlertState]: TenantAlertState[K] };
        await store.putTenantState(written, 0);

        // Act
        written.level = 'ok';

        // Assess
        expect((await store.getTenantStates(SLO, ['acme'])).states.get('acme')?.level).toBe('page');
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

      it('appends history items in write order, each a copy', async () => {
        // Act
        await store.appendHistory(tenantState({ updatedAt: T0 }), T0 + 35 * DAY_MS);
        await store.appendHistory(tenantState({ updatedAt: T0 + MINUTE_MS, level: 'ok' }), T0 + 35 * DAY_MS);

        // Assess
        expect((await subject.history(SLO, 'acme')).map((s) => [s.updatedAt, s.level])).toEqual([
          [T0, 'page'],
          [T0 + MINUTE_MS, 'ok'],
        ]);
      });
    });
  });
}
