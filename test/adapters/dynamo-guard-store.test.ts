import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoGuardStore } from '../../lambda/adapters/dynamo-guard-store';
import { CorruptItemError, StoreArgumentError, UnsupportedSchemaVersionError } from '../../lambda/adapters/dynamo-table-schema';
import { KILL_SWITCH_KEY, actionQuotaKey, actionStatsKey, resourceLastActionKey } from '../../lambda/domain/keys';
import { DAY_MS, HOUR_MS, MINUTE_MS, STATE_SCHEMA_VERSION, type ActionKind, type FailureMode } from '../../lambda/domain/model';
import { useLocalDynamo, type TestTable } from '../support/dynalite';

/** 2023-11-14T22:00:00Z, the start of an hour. */
const HOUR = 1_699_999_200_000;
const ASG = 'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/web#blue';

const dynalite = useLocalDynamo('burnwatch-guard');
let table: TestTable;
let store: DynamoGuardStore;

beforeEach(async () => {
  table = await dynalite.freshTable();
  store = new DynamoGuardStore(table.doc, table.name);
});

describe('DynamoGuardStore action quota', () => {
  it.each([
    ['a limit of 1 lets 1 of 20 concurrent actions through', 1, 20, 1],
    ['a limit of 7 lets exactly 7 of 20 through', 7, 20, 7],
    ['a limit equal to the attempts lets all 20 through', 20, 20, 20],
    ['a limit above the attempts lets all 20 through', 25, 20, 20],
  ])('%s', async (_, limit, attempts, expectedAllowed) => {
    // Act
    const results = await Promise.all(Array.from({ length: attempts }, () => store.tryConsumeActionQuota(HOUR, limit)));

    // Assess
    expect(results.filter(Boolean)).toHaveLength(expectedAllowed);
    expect((await table.getRaw(actionQuotaKey(HOUR)))?.count).toBe(expectedAllowed);
  });

  it('keeps counting from where it stopped: once at the limit, later attempts in the hour are refused', async () => {
    // Prepare
    await Promise.all([1, 2, 3].map(() => store.tryConsumeActionQuota(HOUR, 3)));

    // Act
    const later = await store.tryConsumeActionQuota(HOUR, 3);

    // Assess
    expect(later).toBe(false);
  });

  it('counts each hour on its own', async () => {
    // Prepare: the quota of this hour is used up.
    await store.tryConsumeActionQuota(HOUR, 1);

    // Act
    const nextHour = await store.tryConsumeActionQuota(HOUR + HOUR_MS, 1);

    // Assess
    expect(nextHour).toBe(true);
  });

  it('lets the hourly counter expire two days after the hour, in epoch seconds', async () => {
    // Act
    await store.tryConsumeActionQuota(HOUR, 5);

    // Assess
    expect((await table.getRaw(actionQuotaKey(HOUR)))?.expiresAt).toBe((HOUR + 2 * DAY_MS) / 1000);
  });

  it('refuses every action at a limit of 0 and writes no counter', async () => {
    // Act
    const allowed = await store.tryConsumeActionQuota(HOUR, 0);

    // Assess
    expect(allowed).toBe(false);
    expect(await table.getRaw(actionQuotaKey(HOUR))).toBeUndefined();
  });

  it.each([
    ['an hour start that is not on the hour', HOUR + MINUTE_MS, 3, /^hourStart must be an epoch-ms time at the start of an hour/],
    ['a fractional limit', HOUR, 2.5, /^limit must be a non-negative integer; given 2.5/],
    ['a negative limit', HOUR, -1, /^limit must be a non-negative integer; given -1/],
  ])('rejects %s, naming the argument', async (_, hourStart, limit, message) => {
    // Act
    const attempt = store.tryConsumeActionQuota(hourStart, limit);

    // Assess
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('DynamoGuardStore cooldown', () => {
  it('knows no last action for a resource never touched', async () => {
    // Act
    const lastActionAt = await store.getLastActionAt(ASG);

    // Assess
    expect(lastActionAt).toBeNull();
  });

  it.each([
    ['a single action', [HOUR], HOUR],
    ['actions recorded in time order', [HOUR, HOUR + 10 * MINUTE_MS], HOUR + 10 * MINUTE_MS],
    ['a late write of an older action, which does not rewind the cooldown', [HOUR + 10 * MINUTE_MS, HOUR], HOUR + 10 * MINUTE_MS],
  ])('remembers the latest of %s', async (_, actions, expected) => {
    // Prepare
    for (const at of actions) await store.recordAction(ASG, at);

    // Act
    const lastActionAt = await store.getLastActionAt(ASG);

    // Assess
    expect(lastActionAt).toBe(expected);
  });

  it('keeps resources whose names differ only around the separator apart', async () => {
    // Prepare
    await store.recordAction('web#blue', HOUR);

    // Act
    const other = await store.getLastActionAt('web%23blue');

    // Assess
    expect(other).toBeNull();
  });

  it('rejects a corrupt last-action item, naming the field', async () => {
    // Prepare
    await table.putRaw(resourceLastActionKey(ASG), { resource: ASG, lastActionAt: 'yesterday' });

    // Act
    const attempt = store.getLastActionAt(ASG);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'CorruptItemError', field: 'lastActionAt' });
  });
});

describe('DynamoGuardStore kill switch', () => {
  it.each([
    ['off when no item exists', undefined, false],
    ['on when enabled is true', { enabled: true }, true],
    ['off when enabled is false', { enabled: false }, false],
  ])('is %s', async (_, item, expected) => {
    // Prepare
    if (item !== undefined) await table.putRaw(KILL_SWITCH_KEY, item);

    // Act
    const on = await store.isKillSwitchOn();

    // Assess
    expect(on).toBe(expected);
  });

  it.each([
    ['enabled written as a string', { enabled: 'true' }],
    ['no enabled attribute', { note: 'paused by on-call' }],
  ])('rejects a kill switch with %s, naming the field', async (_, item) => {
    // Prepare
    await table.putRaw(KILL_SWITCH_KEY, item);

    // Act
    const attempt = store.isKillSwitchOn();

    // Assess
    await expect(attempt).rejects.toThrow(CorruptItemError);
    await expect(store.isKillSwitchOn()).rejects.toThrow('field "enabled" must be true or false');
  });
});

describe('DynamoGuardStore learning stats', () => {
  it('has no stats for a failure mode never acted on', async () => {
    // Act
    const stats = await store.getActionStats('deployment');

    // Assess
    expect(stats).toEqual([]);
  });

  it('adds up attempts, recoveries and recovery minutes per action kind and failure mode', async () => {
    // Prepare: two rollbacks recovered after 12 and 18 minutes, one did not; one scale-out recovered after 25.
    const outcomes: [FailureMode, ActionKind, boolean, number][] = [
      ['deployment', 'codedeploy-rollback', true, 12],
      ['deployment', 'codedeploy-rollback', true, 18],
      ['deployment', 'codedeploy-rollback', false, 40],
      ['deployment', 'asg-scale-out', true, 25],
      ['capacity', 'asg-scale-out', true, 5],
    ];
    for (const [failureMode, kind, recovered, minutes] of outcomes) {
      await store.recordActionOutcome(failureMode, kind, recovered, minutes);
    }

    // Act
    const stats = await store.getActionStats('deployment');

    // Assess: an attempt that did not recover adds no recovery time.
    expect(stats).toEqual([
      { failureMode: 'deployment', kind: 'asg-scale-out', attempts: 1, recoveries: 1, totalRecoveryMinutes: 25 },
      { failureMode: 'deployment', kind: 'codedeploy-rollback', attempts: 3, recoveries: 2, totalRecoveryMinutes: 30 },
    ]);
  });

  it('loses no sample when 10 outcomes are recorded concurrently', async () => {
    // Act
    await Promise.all(Array.from({ length: 10 }, (_, index) => store.recordActionOutcome('overload', 'asg-scale-out', index % 2 === 0, 6)));

    // Assess: 5 of the 10 recovered, 6 minutes each.
    expect(await store.getActionStats('overload')).toEqual([
      { failureMode: 'overload', kind: 'asg-scale-out', attempts: 10, recoveries: 5, totalRecoveryMinutes: 30 },
    ]);
  });

  it.each([
    ['an unknown failure mode', () => store.recordActionOutcome('gremlins' as FailureMode, 'notify-only', true, 1), /^failureMode must be one of deployment/],
    ['an unknown action kind', () => store.recordActionOutcome('deployment', 'reboot' as ActionKind, true, 1), /^kind must be one of codedeploy-rollback/],
    ['negative recovery minutes', () => store.recordActionOutcome('deployment', 'notify-only', true, -3), /^recoveryMinutes must be a finite number >= 0/],
  ])('rejects %s, naming the argument', async (_, record, message) => {
    // Act
    const attempt = record();

    // Assess
    await expect(attempt).rejects.toThrow(StoreArgumentError);
    await expect(record()).rejects.toThrow(message);
  });

  it.each([
    ['a count stored as a string', { attempts: '3' }, 'attempts'],
    ['an unknown action kind', { kind: 'reboot' }, 'kind'],
  ])('rejects a stats item with %s, naming the field', async (_, overrides, field) => {
    // Prepare
    const item = { failureMode: 'deployment', kind: 'notify-only', attempts: 1, recoveries: 0, totalRecoveryMinutes: 0 };
    await table.putRaw(actionStatsKey('deployment', 'notify-only'), { ...item, ...overrides });

    // Act
    const attempt = store.getActionStats('deployment');

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'CorruptItemError', field });
  });

  it('rejects a stats item written by a newer schema', async () => {
    // Prepare
    await table.putRaw(actionStatsKey('deployment', 'notify-only'), { schemaVersion: STATE_SCHEMA_VERSION + 1 });

    // Act
    const attempt = store.getActionStats('deployment');

    // Assess
    await expect(attempt).rejects.toThrow(UnsupportedSchemaVersionError);
  });
});

describe('DynamoGuardStore against a mocked client', () => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  const docMock = mockClient(doc);

  afterAll(() => {
    docMock.restore();
  });

  it.each([
    ['tryConsumeActionQuota', (guards: DynamoGuardStore) => guards.tryConsumeActionQuota(HOUR, 5)],
    ['recordAction', (guards: DynamoGuardStore) => guards.recordAction(ASG, HOUR)],
  ])('lets %s propagate errors other than a failed condition', async (_, call) => {
    // Prepare
    docMock.reset();
    docMock.on(UpdateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));

    // Act
    const attempt = call(new DynamoGuardStore(doc, 'burnwatch'));

    // Assess
    await expect(attempt).rejects.toThrow('Rate exceeded');
  });
});
