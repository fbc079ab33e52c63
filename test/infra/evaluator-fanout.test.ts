import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import { formatProblem } from '../../lib/config/errors';
import { validateBurnwatchProps } from '../../lib/config/validate';
import type { EvaluatorProps } from '../../lib/config/props';
import { DISCOVERY_FAILED_ERROR, SHARD_OK } from '../../lib/constructs/evaluator-fanout';
import { EVALUATOR_DEFAULTS } from '../../lib/config/defaults';
import { validProps, validSlo } from '../config/fixtures';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// 2 waves after a 10 s discovery fit a 1-minute tick (10 + 2 x 25 = 60); one more execution for a discovery that outlives it.
const SHARDED: EvaluatorProps = { shards: 8, maxConcurrentShards: 4, reservedConcurrency: 5, timeoutSeconds: 25 };

function stackWith(evaluator: EvaluatorProps, slos = validProps().slos): { app: App; stack: BurnwatchStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new BurnwatchStack(app, 'Burnwatch', { burnwatch: validProps({ evaluator, slos }) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The Express state machine's definition, with references (the function ARN) replaced by a placeholder. */
function fanoutDefinition(template: Template): { id: string; definition: Record<string, any> } {
  const machines = template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineType: 'EXPRESS' } });
  const [id, machine] = Object.entries(machines)[0]!;
  const join = machine.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
  // References sit inside JSON strings (the function ARN): a placeholder keeps the text parseable.
  const text = join[1].map((part) => (typeof part === 'string' ? part : 'ref')).join(join[0]);
  return { id, definition: JSON.parse(text) as Record<string, any> };
}

describe('EvaluatorFanout in the stack', () => {
  const sharded = stackWith(SHARDED);
  const single = stackWith({});
  const fanoutMachine = (): { id: string; definition: Record<string, any> } => fanoutDefinition(sharded.template);

  it('targets the Express state machine from the schedule when shards > 1', () => {
    // Assess
    const { id } = fanoutMachine();
    sharded.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { Ref: id }, RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
  });

  it('keeps the schedule on the function and creates no fan-out with one shard', () => {
    // Assess
    single.template.resourcePropertiesCountIs('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' }, 0);
    const functionId = single.stack.getLogicalId(single.stack.evaluator.function.node.defaultChild as never);
    single.template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId, 'Arn'] } })],
    });
    expect(single.stack.evaluator.fanout).toBeUndefined();
  });

  it('maps over the literal shard indexes with MaxConcurrency = maxConcurrentShards and retries Lambda service errors', () => {
    // Act
    const { definition } = fanoutMachine();

    // Assess
    expect(definition.States.ScheduledTick.Parameters.shards).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const map = definition.States.EvaluateShards;
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 4, ItemsPath: '$.shards' });
    expect(map.ItemSelector).toEqual({ 'time.$': '$.time', shard: { 'index.$': '$$.Map.Item.Value', count: 8 } });
    const task = map.ItemProcessor.States.EvaluateShard;
    expect(task.Retry).toEqual([expect.objectContaining({ ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']), MaxAttempts: 2 })]);
    expect(task.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'ShardFailed' }]);
  });

  it('discovers the tenants once, before the Map, with the evaluator function and the shard task\'s retries', () => {
    // Act
    const { definition } = fanoutMachine();

    // Assess
    const discover = definition.States.Discover;
    expect(definition.States.ScheduledTick.Next).toBe('Discover');
    expect(definition.States.ManualTick.Next).toBe('Discover');
    expect(discover).toMatchObject({
      Type: 'Task',
      Resource: 'ref',
      Parameters: { 'time.$': '$.time', discover: true },
      ResultSelector: { 'discoveredAt.$': '$.discoveredAt' },
      ResultPath: '$.discovery',
      Next: 'EvaluateShards',
    });
    expect(discover.Retry).toEqual(definition.States.EvaluateShards.ItemProcessor.States.EvaluateShard.Retry);
    // A failed or timed-out discovery (States.ALL takes States.Timeout) still runs the shards, then fails the tick.
    expect(discover.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.discovery', Next: 'EvaluateShards' }]);
    expect(discover.Retry.flatMap((retry: { ErrorEquals: string[] }) => retry.ErrorEquals)).not.toContain('States.Timeout');
    expect(definition.States.AllShardsOk.Choices[0]).toEqual({ Variable: '$.discovery.Error', IsPresent: true, Next: 'DiscoveryTimedOut' });
    expect(definition.States.DiscoveryTimedOut.Choices).toEqual([{ Variable: '$.discovery.Error', StringEquals: 'States.Timeout', Next: 'DescribeDiscoveryTimeout' }]);
    expect(definition.States.DiscoveryTimedOut.Default).toBe('DescribeDiscoveryFailure');
    expect(definition.States.DescribeDiscoveryFailure.Next).toBe('DiscoveryFailed');
    expect(definition.States.DescribeDiscoveryTimeout.Next).toBe('DiscoveryFailed');
    expect(definition.States.DiscoveryFailed).toMatchObject({ Type: 'Fail', Error: DISCOVERY_FAILED_ERROR, CausePath: '$.cause' });
  });

  it.each([
    { case: 'the default discovery timeout', evaluator: SHARDED, timeoutSeconds: EVALUATOR_DEFAULTS.discoveryTimeoutSeconds },
    // 20 + 2 waves x 20 s = 60 s
    { case: 'a given discovery timeout', evaluator: { ...SHARDED, discoveryTimeoutSeconds: 20, timeoutSeconds: 20 }, timeoutSeconds: 20 },
  ])('waits for the discovery at most $timeoutSeconds s ($case), not a whole function timeout', ({ evaluator, timeoutSeconds }) => {
    // Prepare
    const { template } = stackWith(evaluator);

    // Act
    const { definition } = fanoutDefinition(template);

    // Assess
    expect(definition.States.Discover.TimeoutSeconds).toBe(timeoutSeconds);
    expect(definition.TimeoutSeconds).toBe(60);
  });

  it('has no Discover state when every SLO lists its tenants', () => {
    // Prepare
    const listed = stackWith(SHARDED, [validSlo({ tenants: { list: ['acme', 'globex'] } })]);

    // Act
    const { definition } = fanoutDefinition(listed.template);

    // Assess
    expect(Object.keys(definition.States)).not.toContain('Discover');
    expect(Object.keys(definition.States)).not.toContain('DiscoveryFailed');
    expect(definition.States.ScheduledTick.Next).toBe('EvaluateShards');
  });

  describe('executed locally with the evaluator invocations recorded', () => {
    const execute = async (discover: (input: Json) => Promise<Json>): Promise<{ calls: Json[]; output?: unknown; error?: Error }> => {
      const machine = new StateMachine(fanoutMachine().definition as StateMachineDefinition, { validationOptions: { checkArn: false, checkPaths: true } });
      const calls: Json[] = [];
      const record = (handler: (input: Json) => Promise<Json>) => async (input: Json): Promise<Json> => (calls.push(input), handler(input));
      const run = machine.run(
        { time: '2026-11-25T12:00:00Z' },
        {
          overrides: {
            taskResourceLocalHandlers: { Discover: record(discover), EvaluateShard: record(async () => ({ evaluated: 1 })) },
            retryIntervalOverrides: { Discover: 0, EvaluateShard: 0 },
          },
        },
      );
      try {
        return { calls, output: await run.result };
      } catch (error) {
        return { calls, error: error as Error };
      }
    };

    it('invokes the discovery once, before every shard, then each of the 8 shards once', async () => {
      // Act
      const { calls, output, error } = await execute(async () => ({ discoveredAt: 1_764_072_000_000, slos: [] }));

      // Assess
      expect(error).toBeUndefined();
      expect(output).toEqual({ outcomes: [SHARD_OK], results: Array(8).fill(SHARD_OK), discovery: { discoveredAt: 1_764_072_000_000 } });
      expect(calls[0]).toEqual({ time: '2026-11-25T12:00:00Z', discover: true });
      expect(calls.slice(1).map((call) => (call as { shard: { index: number } }).shard.index).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(calls.slice(1).every((call) => (call as { time: string }).time === '2026-11-25T12:00:00Z' && !('discover' in (call as object)))).toBe(true);
    });

    describe('with the clock simulated', () => {
      beforeEach(() => jest.useFakeTimers());
      afterEach(() => jest.useRealTimers());

      /** Runs a tick whose discovery answers after `answerAfterMs` (never when null), moving the clock 60 s on. */
      const executeWithSlowDiscovery = async (answerAfterMs: number | null): Promise<{ calls: Json[]; output?: unknown; error?: Error }> => {
        const discovered = { discoveredAt: 1_764_072_000_000, slos: [] };
        const pending = execute(() => new Promise<Json>((resolve) => (answerAfterMs === null ? undefined : setTimeout(() => resolve(discovered), answerAfterMs))));
        await jest.advanceTimersByTimeAsync(60_000);
        return pending;
      };

      it('runs every shard, then fails the tick with EvaluatorDiscoveryFailed, when the discovery outlasts discoveryTimeoutSeconds', async () => {
        // Act: the discovery never answers within the tick
        const { calls, error } = await executeWithSlowDiscovery(null);

        // Assess
        expect(calls).toHaveLength(1 + 8);
        const failure = `${error?.message} ${String((error as { cause?: unknown })?.cause)}`;
        expect(failure).toContain(DISCOVERY_FAILED_ERROR);
        expect(failure).toContain(`Tenant discovery did not finish within discoveryTimeoutSeconds (${EVALUATOR_DEFAULTS.discoveryTimeoutSeconds} s)`);
        expect(failure).toContain(`results in shard order: ${JSON.stringify(Array(8).fill(SHARD_OK))}`);
      });

      it('waits for a discovery that answers within discoveryTimeoutSeconds', async () => {
        // Act: one second before the 10 s timeout
        const { calls, output, error } = await executeWithSlowDiscovery((EVALUATOR_DEFAULTS.discoveryTimeoutSeconds - 1) * 1000);

        // Assess
        expect(error).toBeUndefined();
        expect(calls).toHaveLength(1 + 8);
        expect(output).toEqual({ outcomes: [SHARD_OK], results: Array(8).fill(SHARD_OK), discovery: { discoveredAt: 1_764_072_000_000 } });
      });
    });

    it('runs every shard, then fails the tick with EvaluatorDiscoveryFailed, when the discovery fails', async () => {
      // Prepare
      class TenantDiscoveryError extends Error {
        override readonly name = 'TenantDiscoveryError';
      }

      // Act
      const { calls, error } = await execute(async () => {
        throw new TenantDiscoveryError('Tenant discovery failed for 1 SLO(s): api-availability (AccessDenied)');
      });

      // Assess
      expect(calls).toHaveLength(1 + 8);
      const failure = `${error?.message} ${String((error as { cause?: unknown })?.cause)}`;
      expect(failure).toContain(DISCOVERY_FAILED_ERROR);
      expect(failure).toContain('Tenant discovery failed (TenantDiscoveryError: Tenant discovery failed for 1 SLO(s): api-availability (AccessDenied))');
      expect(failure).toContain(`results in shard order: ${JSON.stringify(Array(8).fill(SHARD_OK))}`);
    });
  });

  it('lets the state machine invoke only the evaluator function, and logs every execution to an encrypted group', () => {
    // Prepare
    const functionId = sharded.stack.getLogicalId(sharded.stack.evaluator.function.node.defaultChild as never);
    const roleId = sharded.stack.getLogicalId(sharded.stack.evaluator.fanout!.stateMachine.role.node.defaultChild as never);

    // Act
    const policies = Object.values(sharded.template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    );
    const invokes = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('lambda:')),
    );

    // Assess
    expect(invokes).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [{ 'Fn::GetAtt': [functionId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId, 'Arn'] }, ':*']] }],
      },
    ]);
    sharded.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    const logGroups = Object.entries(sharded.template.findResources('AWS::Logs::LogGroup')).filter(([id]) => id.includes('Fanout'));
    expect(logGroups).toHaveLength(1);
    expect(logGroups[0]![1].Properties.KmsKeyId).toBeDefined();
  });

  it('alarms on failed and timed-out sharded ticks to the operator topic, and not without a fan-out', () => {
    // Prepare
    const { id } = fanoutMachine();
    const operatorTopic = { Ref: sharded.stack.getLogicalId(sharded.stack.monitoring.operatorTopic.node.defaultChild as never) };
    const onMachine = (template: Template, machineId: string): Record<string, any>[] =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }] } }));

    // Act
    const alarms = onMachine(sharded.template, id);

    // Assess
    expect(alarms.map((alarm) => alarm.Properties.MetricName as string).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const alarm of alarms) expect(alarm.Properties).toMatchObject({ AlarmActions: [operatorTopic], OKActions: [operatorTopic] });
    // One shard: only the incident workflow's three state machine alarms exist.
    const singleAlarms = Object.values(single.template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/States' } }));
    expect(singleAlarms.map((alarm) => alarm.Properties.MetricName as string).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    // Act
    const report = new AwsSolutionsChecks(sharded.app, { verbose: true }).validateScope(sharded.stack);

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('evaluator.shards validation', () => {
  const problemsWith = (evaluator: Record<string, unknown>): string[] =>
    validateBurnwatchProps({ ...validProps(), evaluator }).map(formatProblem);

  it.each([
    [{ shards: 0 }, 'evaluator.shards: must be an integer from 1 to 1000, got 0'],
    [{ shards: 1001 }, 'evaluator.shards: must be an integer from 1 to 1000, got 1001'],
    [{ maxConcurrentShards: 41 }, 'evaluator.maxConcurrentShards: must be an integer from 1 to 40, got 41'],
    [
      // min(4, 4) shards plus a discovery that may outlive its timeout
      { shards: 4, maxConcurrentShards: 4, reservedConcurrency: 2 },
      'evaluator.reservedConcurrency: must be at least min(shards, maxConcurrentShards) + 1 (5) so concurrent shards are not throttled, also beside a tenant discovery that outlives discoveryTimeoutSeconds, got 2',
    ],
    [
      // 10 + 2 x 30 = 70 > 60; largest floor((60 - 10) / 2) = 25
      { shards: 20, maxConcurrentShards: 10, reservedConcurrency: 11, timeoutSeconds: 30 },
      'evaluator.timeoutSeconds: must be at most 25 with 20 shards run 10 at a time (discoveryTimeoutSeconds 10 + 2 waves x timeoutSeconds must fit in min(scheduleMinutes x 60, 300) = 60 s); or raise maxConcurrentShards or lower discoveryTimeoutSeconds, got 30',
    ],
  ])('reports %p', (evaluator, expected) => {
    // Act / Assess
    expect(problemsWith(evaluator)).toEqual([expected]);
  });

  it.each([{ shards: 1 }, { shards: 10, maxConcurrentShards: 10, reservedConcurrency: 11 }, SHARDED])('accepts %p', (evaluator) => {
    // Act / Assess
    expect(problemsWith(evaluator as Record<string, unknown>)).toEqual([]);
  });
});
