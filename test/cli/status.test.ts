/**
 * `burnwatch status`: the state table's tenant states (DynamoStateStore.listTenantStates against dynalite), worst
 * budget first; the table name from --table or the stack's StateTableName output (CloudFormation mocked).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseOptions } from '../../bin/burnwatch';
import { STATUS_OPTIONS, statusCommand } from '../../cli/status';
import type { StatusDeps, StatusJson } from '../../cli/status';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { CorruptItemError } from '../../lambda/adapters/dynamo-table-schema';
import { incidentKey, tenantStateKey } from '../../lambda/domain/keys';
import { DAY_MS, MINUTE_MS, STATE_SCHEMA_VERSION } from '../../lambda/domain/model';
import type { TenantAlertState } from '../../lambda/domain/model';
import { useLocalDynamo } from '../support/dynalite';
import type { TestTable } from '../support/dynalite';
import { runWithCapturedIo, type CommandRun } from '../support/cli';

const T0 = Date.UTC(2026, 2, 2, 12);

function state(slo: string, tenant: string, budgetRemaining: number, changes: Partial<TenantAlertState> = {}): TenantAlertState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    slo,
    tenant,
    level: 'ok',
    levelSince: null,
    lastFiringAt: null,
    activeRules: [],
    incidentId: null,
    burnRates: { '5': 0.2, '60': 0.1 },
    budgetRemaining,
    timeToExhaustionMinutes: null,
    updatedAt: T0,
    version: 1,
    ...changes,
  };
}

const PAGED = state('api', 'acme', 0.42, {
  level: 'page',
  levelSince: T0 - 5 * MINUTE_MS,
  lastFiringAt: T0,
  activeRules: ['1h/5m'],
  incidentId: 'inc-1',
  burnRates: { '60': 15.2, '5': 200, '4320': 1.1 },
  timeToExhaustionMinutes: 180,
});
const STATES = [state('api', 'globex', 0.97), PAGED, state('api', 'initech', 0.8), state('checkout', 'acme', 0.95)];

const dynalite = useLocalDynamo('burnwatch-status');

describe('DynamoStateStore.listTenantStates', () => {
  let table: TestTable;
  let store: DynamoStateStore;

  beforeAll(async () => {
    table = await dynalite.freshTable();
    store = new DynamoStateStore(table.doc, table.name);
    for (const item of STATES) await store.putTenantState(item, 0);
    // Items that are not current tenant states: a history item and an incident.
    await store.appendHistory(PAGED, T0 + 35 * DAY_MS);
    await table.putRaw(incidentKey('inc-1'), { id: 'inc-1', schemaVersion: STATE_SCHEMA_VERSION });
  });

  it.each([
    ['every SLO', undefined, ['api/acme', 'api/globex', 'api/initech', 'checkout/acme']],
    ['SLO api', 'api', ['api/acme', 'api/globex', 'api/initech']],
    ['SLO checkout', 'checkout', ['checkout/acme']],
    ['an SLO without tenants', 'nothing-here', []],
  ])('lists the current state items (no history, no incidents) of %s', async (_label, slo, expected) => {
    // Act
    const states = await store.listTenantStates(slo);
    // Assess
    expect(states.map((s) => `${s.slo}/${s.tenant}`).sort()).toEqual(expected);
  });

  it('reads every field back as written', async () => {
    // Act
    const states = await store.listTenantStates('api');
    // Assess
    expect(states.find((s) => s.tenant === 'acme')).toEqual(PAGED);
  });

  it('follows LastEvaluatedKey through every page of the Scan', async () => {
    // Prepare: two pages, as DynamoDB returns them past 1 MB.
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
    const item = (s: TenantAlertState) => ({ ...s, ...tenantStateKey(s.slo, s.tenant) });
    const lastKey = tenantStateKey('api', 'acme');
    const mock = mockClient(doc);
    mock.on(ScanCommand).resolvesOnce({ Items: [item(PAGED)], LastEvaluatedKey: lastKey }).resolvesOnce({ Items: [item(STATES[0]!)] });
    // Act
    const states = await new DynamoStateStore(doc, 'burnwatch-state').listTenantStates('api');
    // Assess
    expect(states.map((s) => s.tenant)).toEqual(['acme', 'globex']);
    const calls = mock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ FilterExpression: 'begins_with(#pk, :prefix) AND #sk = :sk', ExpressionAttributeValues: { ':prefix': 'TENANT#api#', ':sk': 'STATE' } });
    expect(calls[1]?.ExclusiveStartKey).toEqual(lastKey);
  });

  it('refuses a state item whose slo and tenant are not the ones its key encodes', async () => {
    // Prepare
    const odd = await dynalite.freshTable();
    await odd.putRaw(tenantStateKey('api', 'acme'), { ...state('api', 'globex', 0.5) });
    // Act / Assess
    await expect(new DynamoStateStore(odd.doc, odd.name).listTenantStates()).rejects.toThrow(CorruptItemError);
  });
});

describe('burnwatch status command', () => {
  let table: TestTable;

  beforeAll(async () => {
    table = await dynalite.freshTable();
    const store = new DynamoStateStore(table.doc, table.name);
    for (const item of STATES) await store.putTenantState(item, 0);
  });

  function run(args: readonly string[], deps: Partial<StatusDeps> = {}): Promise<CommandRun> {
    return runWithCapturedIo((io) => statusCommand(parseOptions(args, STATUS_OPTIONS), io, { dynamo: table.doc, ...deps }));
  }

  it('lists tenants least budget remaining first, with level, burn rates by window label and incident', async () => {
    // Act
    const { code, stdout } = await run(['--table', table.name, '--format', 'json']);
    // Assess
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as StatusJson;
    expect(json.tenants.map((t) => `${t.slo}/${t.tenant}`)).toEqual(['api/acme', 'api/initech', 'checkout/acme', 'api/globex']);
    expect(json.tenants[0]).toEqual({
      slo: 'api',
      tenant: 'acme',
      level: 'page',
      budgetRemaining: 0.42,
      timeToExhaustionMinutes: 180,
      burnRates: { '5m': 200, '1h': 15.2, '3d': 1.1 },
      activeRules: ['1h/5m'],
      incidentId: 'inc-1',
      levelSince: new Date(T0 - 5 * MINUTE_MS).toISOString(),
      updatedAt: new Date(T0).toISOString(),
    });
    expect(Object.keys(json.tenants[0]?.burnRates ?? {})).toEqual(['5m', '1h', '3d']);
  });

  it('prints a table for one SLO', async () => {
    // Act
    const { code, stdout } = await run(['--table', table.name, '--slo', 'api']);
    // Assess
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(`3 tenant state(s) in ${table.name} for SLO api, least budget remaining first`);
    expect(lines[2]).toMatch(/^api\s+acme\s+PAGE\s+42\.0%\s+3h\s+5m 200\.0, 1h 15\.2, 3d 1\.1\s+inc-1\s+2026-03-02T12:00Z$/);
    expect(lines).toHaveLength(5);
  });

  it('finds the table through the stack output StateTableName', async () => {
    // Prepare
    const cloudFormation = new CloudFormationClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const mock = mockClient(cloudFormation);
    mock.on(DescribeStacksCommand, { StackName: 'Burnwatch' }).resolves({
      Stacks: [
        {
          StackName: 'Burnwatch',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(T0),
          Outputs: [
            { OutputKey: 'AlertTopicArn', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:alerts' },
            { OutputKey: 'StateTableName', OutputValue: table.name },
          ],
        },
      ],
    });
    // Act
    const { code, stdout } = await run(['--stack', 'Burnwatch', '--format', 'json'], { cloudFormation });
    // Assess
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as StatusJson).table).toBe(table.name);
    expect(mock.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('says which outputs a stack without StateTableName has', async () => {
    // Prepare
    const cloudFormation = new CloudFormationClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    mockClient(cloudFormation)
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'Other', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(T0), Outputs: [{ OutputKey: 'BucketName', OutputValue: 'b' }] }] });
    // Act
    const { code, stderr } = await run(['--stack', 'Other'], { cloudFormation });
    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('StackOutputError: stack "Other": has no output StateTableName (outputs: BucketName)');
  });

  it.each([
    ['neither --stack nor --table', [], '--stack: required'],
    ['an unknown format', ['--table', 'x', '--format', 'yaml'], '--format: must be json or table, got "yaml"'],
  ])('exits with a usage error for %s', async (_label, args, message) => {
    // Act
    const { code, stderr } = await run(args);
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('says so when the table holds no tenant state', async () => {
    // Act
    const { code, stdout } = await run(['--table', table.name, '--slo', 'nothing-here']);
    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe(`No tenant state in ${table.name} for SLO nothing-here.\n`);
  });
});
