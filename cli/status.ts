/**
 * `burnwatch status --stack <name> [--table <name>] [--slo <name>] [--format json|table]`: every tenant's
 * current alert state from the state table, worst budget first, with level, burn rates and incident. The table
 * is `--table`, else the `StateTableName` output of the CloudFormation stack. Credentials and region come from
 * the environment, as for the AWS CLI.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoStateStore } from '../lambda/adapters/dynamo-state-store';
import { LEVEL_RANK } from '../lambda/domain/model';
import type { AlertLevel, TenantAlertState } from '../lambda/domain/model';
import { formatWindow } from '../lambda/domain/policy';
import { CliUsageError, formatTable, isoMinute, outputFormat, runCommand } from './backtest/cli';
import type { CliIo } from './backtest/cli';
import { formatMinutes } from './backtest/report';

/** The options `parseOptions` (bin/burnwatch.ts) accepts for `status`. */
export const STATUS_OPTIONS = {
  stack: 'value',
  table: 'value',
  slo: 'value',
  format: 'value',
} as const satisfies Readonly<Record<string, 'value' | 'flag'>>;

/** The stack output holding the state table's name (lib/burnwatch-stack.ts). */
export const STATE_TABLE_OUTPUT = 'StateTableName';

export interface StatusDeps {
  /** @default a DocumentClient with credentials and region from the environment */
  readonly dynamo?: DynamoDBDocumentClient;
  /** Only used without --table. @default a CloudFormationClient with credentials and region from the environment */
  readonly cloudFormation?: CloudFormationClient;
}

/** The stack cannot tell where the state table is. */
export class StackOutputError extends Error {
  constructor(stack: string, detail: string) {
    super(`stack ${JSON.stringify(stack)}: ${detail}`);
    this.name = 'StackOutputError';
  }
}

/** The state table's name from the stack's `StateTableName` output. */
export async function stateTableFromStack(client: CloudFormationClient, stack: string): Promise<string> {
  const response = await client.send(new DescribeStacksCommand({ StackName: stack }));
  const found = response.Stacks?.[0];
  if (found === undefined) throw new StackOutputError(stack, 'not found by DescribeStacks; pass --table <name> instead');
  const output = found.Outputs?.find((candidate) => candidate.OutputKey === STATE_TABLE_OUTPUT);
  if (output?.OutputValue === undefined || output.OutputValue === '') {
    const keys = (found.Outputs ?? []).map((candidate) => candidate.OutputKey).join(', ') || 'none';
    throw new StackOutputError(stack, `has no output ${STATE_TABLE_OUTPUT} (outputs: ${keys}); is it a Burnwatch stack? Pass --table <name> instead`);
  }
  return output.OutputValue;
}

/** Least budget remaining first; at equal budget the higher level, then by SLO and tenant. */
export function worstFirst(states: readonly TenantAlertState[]): TenantAlertState[] {
  return [...states].sort(
    (a, b) =>
      a.budgetRemaining - b.budgetRemaining ||
      LEVEL_RANK[b.level] - LEVEL_RANK[a.level] ||
      a.slo.localeCompare(b.slo) ||
      a.tenant.localeCompare(b.tenant),
  );
}

export interface TenantStatusJson {
  readonly slo: string;
  readonly tenant: string;
  readonly level: AlertLevel;
  readonly budgetRemaining: number;
  readonly timeToExhaustionMinutes: number | null;
  /** By window label, shortest window first, e.g. `{ "5m": 20.1, "1h": 15.2 }`. */
  readonly burnRates: Readonly<Record<string, number>>;
  readonly activeRules: readonly string[];
  readonly incidentId: string | null;
  readonly levelSince: string | null;
  readonly updatedAt: string;
}

export interface StatusJson {
  readonly table: string;
  readonly slo: string | null;
  readonly tenants: readonly TenantStatusJson[];
}

/** Burn rates keyed by window minutes (as stored) re-keyed by label, shortest window first. */
function labelledBurnRates(burnRates: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(burnRates)
    .map(([minutes, burnRate]) => [Number(minutes), burnRate] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([minutes, burnRate]) => [Number.isInteger(minutes) && minutes > 0 ? formatWindow(minutes) : String(minutes), burnRate]);
}

export function statusJson(table: string, slo: string | null, states: readonly TenantAlertState[]): StatusJson {
  return {
    table,
    slo,
    tenants: worstFirst(states).map((state) => ({
      slo: state.slo,
      tenant: state.tenant,
      level: state.level,
      budgetRemaining: state.budgetRemaining,
      timeToExhaustionMinutes: state.timeToExhaustionMinutes,
      burnRates: Object.fromEntries(labelledBurnRates(state.burnRates)),
      activeRules: state.activeRules,
      incidentId: state.incidentId,
      levelSince: state.levelSince === null ? null : new Date(state.levelSince).toISOString(),
      updatedAt: new Date(state.updatedAt).toISOString(),
    })),
  };
}

export function statusTable(table: string, slo: string | null, states: readonly TenantAlertState[]): string {
  const scope = slo === null ? '' : ` for SLO ${slo}`;
  if (states.length === 0) return `No tenant state in ${table}${scope}.\n`;
  const rows = worstFirst(states).map((state) => [
    state.slo,
    state.tenant,
    state.level.toUpperCase(),
    `${(state.budgetRemaining * 100).toFixed(1)}%`,
    state.timeToExhaustionMinutes === null ? '-' : formatMinutes(state.timeToExhaustionMinutes),
    labelledBurnRates(state.burnRates)
      .map(([window, burnRate]) => `${window} ${burnRate.toFixed(1)}`)
      .join(', ') || '-',
    state.incidentId ?? '-',
    isoMinute(state.updatedAt),
  ]);
  const header = `${states.length} tenant state(s) in ${table}${scope}, least budget remaining first`;
  return `${header}\n${formatTable(['SLO', 'TENANT', 'LEVEL', 'BUDGET LEFT', 'EXHAUSTED IN', 'BURN RATES', 'INCIDENT', 'UPDATED'], rows)}\n`;
}

/** Runs the command for parsed options; returns the exit code. */
export async function statusCommand(options: ReadonlyMap<string, string>, io: CliIo, deps: StatusDeps = {}): Promise<number> {
  return runCommand(io, 'status', async () => {
    const format = outputFormat(options);
    const stack = options.get('stack');
    let table = options.get('table');
    if (table === undefined) {
      if (stack === undefined) throw new CliUsageError('--stack: required (the Burnwatch stack whose StateTableName output names the table), or give --table');
      table = await stateTableFromStack(deps.cloudFormation ?? new CloudFormationClient({}), stack);
    }
    const slo = options.get('slo') ?? null;
    const doc = deps.dynamo ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const states = await new DynamoStateStore(doc, table).listTenantStates(slo ?? undefined);
    io.stdout(format === 'json' ? `${JSON.stringify(statusJson(table, slo, states))}\n` : statusTable(table, slo, states));
  });
}
