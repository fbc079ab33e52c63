/**
 * The sharded evaluator end to end: the fan-out state machine synthesized by EvaluatorFanout, executed with
 * aws-local-stepfunctions, its EvaluateShard task bound to the evaluator handler's runEvaluatorTick (event parsing,
 * shard option, evaluateTick) over the real CloudWatch adapter against LocalCloudWatch and the real DynamoDB store
 * against dynalite. Each shard keeps its own cache, like the warm container that serves it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { StateMachine as SfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { RuntimeConfig, SloDefinition } from '../../lambda/domain/model';
import { shardOf } from '../../lambda/domain/shards';
import { InvalidScheduleEventError, runEvaluatorTick, tickShard } from '../../lambda/handlers/evaluator';
import type { IncidentWorkflowInput, Log, WorkflowStarter } from '../../lambda/ports';
import { newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { EvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import { SHARDS_FAILED_ERROR } from '../../lib/constructs/evaluator-fanout';
import { Evaluator } from '../../lib/constructs/evaluator';
import { useLocalDynamo } from '../support/dynalite';
import { checkoutSlo, healthy, loadTraffic, outage, runtimeConfig, scheduledEvent, T0 } from '../support/faults';
import type { ErrorRate } from '../support/faults';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const SHARDS = 4;
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const TENANTS = Array.from({ length: 40 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
const slo: SloDefinition = checkoutSlo({ tenants: { mode: 'list', tenants: TENANTS } });
const runtime: RuntimeConfig = runtimeConfig(slo);
const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The fan-out definition as deployed, with the evaluator's ARN resolved to a fake one. */
function synthesizeFanout(): { definition: StateMachineDefinition; taskStates: string[] } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'FanoutUnderTest', { env: { account: ACCOUNT, region: REGION } });
  const table = new Table(stack, 'State', { partitionKey: { name: 'pk', type: AttributeType.STRING }, sortKey: { name: 'sk', type: AttributeType.STRING } });
  new Evaluator(stack, 'Evaluator', {
    runtimeConfig: runtime,
    settings: { scheduleMinutes: 1, timeoutSeconds: 25, reservedConcurrency: 2, memorySize: 1024, fanout: { shards: SHARDS, maxConcurrentShards: 2 } },
    table,
    workflow: SfnStateMachine.fromStateMachineArn(stack, 'Workflow', `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:incidents`),
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  const [separator, parts] = machine!.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
  const resolved = parts.map((part) => {
    if (typeof part === 'string') return part;
    const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt?.[1] === 'Arn') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${getAtt[0]}`;
    throw new Error(`unexpected reference in the definition: ${JSON.stringify(part)}`);
  });
  const definition = JSON.parse(resolved.join(separator)) as StateMachineDefinition;
  const taskStates: string[] = [];
  const visit = (states: Record<string, any>): void => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') taskStates.push(name);
      if (state.Type === 'Map') visit(state.ItemProcessor.States);
    }
  };
  visit(definition.States);
  return { definition, taskStates };
}

class RecordingStarter implements WorkflowStarter {
  readonly started = new Map<string, IncidentWorkflowInput>();
  async start(input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const alreadyStarted = this.started.has(executionName);
    if (!alreadyStarted) this.started.set(executionName, input);
    return { executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:incidents:${executionName}`, alreadyStarted };
  }
}

class InjectedShardError extends Error {
  constructor(index: number) {
    super(`shard ${index}: injected failure`);
    this.name = 'InjectedShardError';
  }
}

describe('sharded evaluator tick, executed locally from the synthesized fan-out', () => {
  const dynamo = useLocalDynamo('sharded');
  const fanout = synthesizeFanout();

  async function rig(errorRate: ErrorRate, failingShard?: number) {
    const cw = new LocalCloudWatch({ clock: () => T0 });
    loadTraffic(cw, slo, TENANTS, T0 - 4 * 24 * HOUR_MS, 4 * 24 * 60 + 60, errorRate);
    const table = await dynamo.freshTable();
    const store = new DynamoStateStore(table.doc, table.name);
    const workflow = new RecordingStarter();
    const evaluated: { shard: number; tenant: string }[] = [];
    const caches = new Map<number, EvaluatorCache>();
    const metrics = new CloudWatchMetricSource(cw.client(), { maxConcurrentRequests: 4, sleep: async () => undefined });
    const handler = async (input: Json, clockNow: number): Promise<Json> => {
      const index = ((input as { shard: { index: number } }).shard).index;
      if (index === failingShard) throw new InjectedShardError(index);
      const cache = caches.get(index) ?? newEvaluatorCache();
      caches.set(index, cache);
      const deps = { metrics, store, workflow, log: quiet, onEvaluated: (_: string, list: readonly { tenant: string }[]) => evaluated.push(...list.map((e) => ({ shard: index, tenant: e.tenant }))) };
      // Like Lambda, the report crosses the boundary as JSON.
      return JSON.parse(JSON.stringify(await runEvaluatorTick(input, clockNow, { config: runtime, deps }, cache))) as Json;
    };
    const execute = async (at: number): Promise<{ output?: unknown; error?: Error }> => {
      const machine = new StateMachine(fanout.definition, { validationOptions: { checkArn: true, checkPaths: true } });
      const overrides = Object.fromEntries(fanout.taskStates.map((name) => [name, (input: Json) => handler(input, at)]));
      const run = machine.run(scheduledEvent(at) as unknown as { [key: string]: Json }, { overrides: { taskResourceLocalHandlers: overrides, retryIntervalOverrides: { EvaluateShard: 0 } } });
      try {
        return { output: await run.result };
      } catch (error) {
        return { error: error as Error };
      }
    };
    return { store, workflow, evaluated, execute };
  }

  it('evaluates every one of 40 tenants exactly once over 4 shards, each in the shard its hash names', async () => {
    // Prepare
    const { evaluated, execute } = await rig(healthy);

    // Act
    const { output, error } = await execute(T0);

    // Assess
    expect(error).toBeUndefined();
    expect(output).toEqual({ outcomes: ['ok'], results: ['ok', 'ok', 'ok', 'ok'] });
    expect(evaluated.map((e) => e.tenant).sort()).toEqual(TENANTS);
    for (const { shard, tenant } of evaluated) expect(shard).toBe(shardOf(tenant, SHARDS));
    expect(new Set(evaluated.map((e) => e.shard)).size).toBeGreaterThan(1);
  });

  it('opens one incident for a burn across tenants of different shards', async () => {
    // Prepare: one tenant from each of three shards fails every request from 10 minutes before T0: the 5m and 1h
    // windows burn at 1 / 0.001 = 1000x and about 9/60 / 0.001 = 150x, above the 14.4x page factor.
    const burning = [0, 1, 2].map((shard) => TENANTS.find((tenant) => shardOf(tenant, SHARDS) === shard)!);
    const { workflow, store, execute } = await rig(outage(burning, T0 - 10 * MINUTE_MS));

    // Act
    const { error } = await execute(T0);

    // Assess
    expect(error).toBeUndefined();
    expect(workflow.started.size).toBe(1);
    const [incidentId, input] = [...workflow.started][0]!;
    expect(input.severity).toBe('page');
    const incident = await store.getIncident(incidentId);
    expect(incident?.tenants.map((t) => t.tenant).sort()).toEqual([...burning].sort());
    expect(incident?.status).toBe('open');
  });

  it('evaluates the other shards when one fails, then fails the execution naming that shard', async () => {
    // Prepare
    const { evaluated, execute } = await rig(healthy, 1);

    // Act
    const { error } = await execute(T0);

    // Assess
    const others = TENANTS.filter((tenant) => shardOf(tenant, SHARDS) !== 1);
    expect(evaluated.map((e) => e.tenant).sort()).toEqual(others);
    expect(error).toBeDefined();
    const failure = `${error?.message} ${String((error as { cause?: unknown })?.cause)}`;
    expect(failure).toContain(SHARDS_FAILED_ERROR);
    expect(failure).toContain('results in shard order: ["ok","shard 1: InjectedShardError');
    expect(failure).toContain('InjectedShardError');
  });
});

describe('tickShard (the evaluator event of a fan-out item)', () => {
  it.each([
    [{ time: '2026-11-20T00:00:00Z' }, undefined],
    [{ time: '2026-11-20T00:00:00Z', shard: { index: 2, count: 4 } }, { index: 2, count: 4 }],
  ])('reads %p as shard %p', (event, expected) => {
    // Act / Assess
    expect(tickShard(event)).toEqual(expected);
  });

  it.each([
    [{ shard: 3 }, 'event.shard: must be an object { index, count } with integers, got 3'],
    [{ shard: { index: 1 } }, 'event.shard.count: must be an integer, got undefined'],
    [{ shard: { index: '1', count: 4 } }, 'event.shard.index: must be an integer, got "1"'],
    [{ shard: { index: 4, count: 4 } }, 'event.shard.index: must be an integer from 0 to 3 (count - 1), got 4'],
    [{ shard: { index: 0, count: 1001 } }, 'event.shard.count: must be an integer from 1 to 1000, got 1001'],
  ])('rejects %p naming the field', (event, message) => {
    // Act / Assess
    expect(() => tickShard(event)).toThrow(new InvalidScheduleEventError(message));
  });
});
