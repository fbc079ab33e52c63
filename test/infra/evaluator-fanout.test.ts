import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import { formatProblem } from '../../lib/config/errors';
import { validateBurnwatchProps } from '../../lib/config/validate';
import type { EvaluatorProps } from '../../lib/config/props';
import {
  DISCOVER_STATE,
  DISCOVERY_FAILED_ERROR,
  EVALUATE_STATE,
  EvaluatorFanout,
  LIST_TENANTS_BESIDE_STATE,
  LIST_TENANTS_FIRST_STATE,
  SHARD_OK,
  SHARDS_FAILED_ERROR,
} from '../../lib/constructs/evaluator-fanout';
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
  const body = machine.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  // References sit inside JSON strings (the function ARN): a placeholder keeps the text parseable. An imported
  // function's literal ARN leaves the definition a plain string.
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'ref')).join(body['Fn::Join'][0]);
  return { id, definition: JSON.parse(text) as Record<string, any> };
}

/** The shards' Map: the first branch of the Parallel that runs the listing beside it. */
function shardsMap(definition: Record<string, any>): Record<string, any> {
  return definition.States[EVALUATE_STATE].Branches[0].States.EvaluateShards;
}

/** The listing task beside the shards, in the Parallel's second branch. */
function listingBeside(definition: Record<string, any>): Record<string, any> {
  return definition.States[EVALUATE_STATE].Branches[1].States[LIST_TENANTS_BESIDE_STATE];
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
    const map = shardsMap(definition);
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 4, ItemsPath: '$.shards' });
    expect(map.ItemSelector).toEqual({ 'time.$': '$.time', shard: { 'index.$': '$$.Map.Item.Value', count: 8 } });
    const task = map.ItemProcessor.States.EvaluateShard;
    expect(task.Retry).toEqual([expect.objectContaining({ ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']), MaxAttempts: 2 })]);
    expect(task.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'ShardFailed' }]);
  });

  it('checks the rosters first, then lists before the shards only when no stored roster is usable', () => {
    // Act
    const { definition } = fanoutMachine();

    // Assess
    const states = definition.States;
    const shardRetry = shardsMap(definition).ItemProcessor.States.EvaluateShard.Retry;
    expect(states.ScheduledTick.Next).toBe(DISCOVER_STATE);
    expect(states.ManualTick.Next).toBe(DISCOVER_STATE);
    expect(states[DISCOVER_STATE]).toMatchObject({
      Type: 'Task',
      Resource: 'ref',
      Parameters: { 'time.$': '$.time', discover: 'check' },
      ResultSelector: { 'discoveredAt.$': '$.discoveredAt', 'due.$': '$.due', 'usable.$': '$.usable' },
      ResultPath: '$.roster',
      Next: 'ListingNeeded',
      Retry: shardRetry,
    });
    // A failed check knows nothing of the rosters: the listing goes first, as before there was a check.
    expect(states[DISCOVER_STATE].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.roster', Next: 'RosterUnchecked' }]);
    expect(states.RosterUnchecked).toMatchObject({ Parameters: { due: true, usable: false, 'failure.$': '$.roster' }, ResultPath: '$.roster', Next: LIST_TENANTS_FIRST_STATE });
    expect(states.ListingNeeded.Choices).toEqual([
      { Variable: '$.roster.due', BooleanEquals: false, Next: EVALUATE_STATE },
      { Variable: '$.roster.usable', BooleanEquals: true, Next: EVALUATE_STATE },
    ]);
    expect(states.ListingNeeded.Default).toBe(LIST_TENANTS_FIRST_STATE);
    expect(states[LIST_TENANTS_FIRST_STATE]).toMatchObject({
      Type: 'Task',
      Resource: 'ref',
      Parameters: { 'time.$': '$.time', discover: true },
      ResultSelector: { 'discoveredAt.$': '$.discoveredAt' },
      ResultPath: '$.discovery',
      Next: EVALUATE_STATE,
      Retry: shardRetry,
    });
    // A failed or timed-out listing (States.ALL takes States.Timeout) still runs the shards, then fails the tick.
    expect(states[LIST_TENANTS_FIRST_STATE].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.discovery', Next: EVALUATE_STATE }]);
  });

  it('runs the shards beside a listing that catches every error, so a failed listing never stops a shard', () => {
    // Act
    const { definition } = fanoutMachine();

    // Assess
    const evaluate = definition.States[EVALUATE_STATE];
    expect(evaluate).toMatchObject({ Type: 'Parallel', ResultSelector: { 'results.$': '$[0]', 'discovery.$': '$[1]' }, ResultPath: '$.tick', Next: 'SummariseShards' });
    const [shards, listing] = evaluate.Branches as { StartAt: string; States: Record<string, any> }[];
    expect(shards!.StartAt).toBe('EvaluateShards');
    expect(listing!.States.ListingBeside.Choices[0]).toEqual({
      And: [
        { Variable: '$.roster.due', BooleanEquals: true },
        { Variable: '$.roster.usable', BooleanEquals: true },
      ],
      Next: LIST_TENANTS_BESIDE_STATE,
    });
    const beside = listing!.States[LIST_TENANTS_BESIDE_STATE];
    expect(beside).toMatchObject({ Type: 'Task', Parameters: { 'time.$': '$.time', discover: true }, ResultSelector: { 'discoveredAt.$': '$.discoveredAt' } });
    expect(beside.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'ListingBesideFailed' }]);
    expect(beside.Retry.flatMap((retry: { ErrorEquals: string[] }) => retry.ErrorEquals)).not.toContain('States.Timeout');
    expect(definition.States.AllShardsOk.Choices[0]).toEqual({ Variable: '$.discovery.Error', IsPresent: true, Next: 'DiscoveryTimedOut' });
    expect(definition.States.DiscoveryFailed).toMatchObject({ Type: 'Fail', Error: DISCOVERY_FAILED_ERROR, CausePath: '$.cause' });
  });

  it.each([
    // check min(2, 10 - 1) = 2 and listing 10 - 2 = 8 before the shards; beside them min(25, 60 - 10) = 25
    { case: 'the default discovery timeout', evaluator: SHARDED, discovery: EVALUATOR_DEFAULTS.discoveryTimeoutSeconds, check: 2, first: 8, beside: 25 },
    // 20 + 2 waves x 20 s = 60 s: check 2, listing 18; beside min(20, 60 - 20) = 20
    { case: 'a given discovery timeout', evaluator: { ...SHARDED, discoveryTimeoutSeconds: 20, timeoutSeconds: 20 }, discovery: 20, check: 2, first: 18, beside: 20 },
    // 2 + 2 waves x 29 s = 60 s: check min(2, 2 - 1) = 1, listing 1; beside min(29, 60 - 2) = 29
    { case: 'the shortest split discovery timeout', evaluator: { ...SHARDED, discoveryTimeoutSeconds: 2, timeoutSeconds: 29 }, discovery: 2, check: 1, first: 1, beside: 29 },
  ])(
    'waits at most discoveryTimeoutSeconds ($discovery s) before the shards ($case), and beside them at most the function timeout',
    ({ evaluator, discovery, check, first, beside }) => {
      // Prepare
      const { template } = stackWith(evaluator);

      // Act
      const { definition } = fanoutDefinition(template);

      // Assess
      expect(definition.States[DISCOVER_STATE].TimeoutSeconds).toBe(check);
      expect(definition.States[LIST_TENANTS_FIRST_STATE].TimeoutSeconds).toBe(first);
      expect(check + first).toBe(discovery);
      expect(listingBeside(definition).TimeoutSeconds).toBe(beside);
      // The listing beside the shards ends within the shards' own bound (the tick less discoveryTimeoutSeconds), so
      // the check, then the shards and the listing side by side, end within the execution.
      expect(beside).toBeLessThanOrEqual(definition.TimeoutSeconds - discovery);
      expect(check + beside).toBeLessThan(definition.TimeoutSeconds);
      expect(definition.TimeoutSeconds).toBe(60);
    },
  );

  it('bounds the listing beside the shards by the tick less discoveryTimeoutSeconds when the function\'s timeout is not known', () => {
    // Prepare: an imported function has no timeout at synth
    const stack = new Stack(new App(), 'Imported');
    const evaluator = LambdaFunction.fromFunctionArn(stack, 'Evaluator', 'arn:aws:lambda:eu-west-1:123456789012:function:burnwatch-evaluator');
    new EvaluatorFanout(stack, 'Fanout', { evaluator, settings: { shards: 8, maxConcurrentShards: 4 }, scheduleMinutes: 1 });

    // Act
    const { definition } = fanoutDefinition(Template.fromStack(stack));

    // Assess: 60 s less the default 10 s
    expect(listingBeside(definition).TimeoutSeconds).toBe(60 - EVALUATOR_DEFAULTS.discoveryTimeoutSeconds);
  });

  it('has no discovery state when every SLO lists its tenants', () => {
    // Prepare
    const listed = stackWith(SHARDED, [validSlo({ tenants: { list: ['acme', 'globex'] } })]);

    // Act
    const { definition } = fanoutDefinition(listed.template);

    // Assess
    for (const state of [DISCOVER_STATE, LIST_TENANTS_FIRST_STATE, EVALUATE_STATE, 'DiscoveryFailed']) expect(Object.keys(definition.States)).not.toContain(state);
    expect(definition.States.ScheduledTick.Next).toBe('EvaluateShards');
  });

  describe('executed locally with the evaluator invocations recorded', () => {
    const TICK = '2026-11-25T12:00:00Z';
    const TICK_MS = Date.parse(TICK);
    const LISTED = { discoveredAt: TICK_MS, slos: [] };
    const ROSTERS = {
      none: { discoveredAt: TICK_MS, due: true, usable: false },
      fresh: { discoveredAt: TICK_MS, due: false, usable: true },
      dueButUsable: { discoveredAt: TICK_MS, due: true, usable: true },
    };
    type Handler = (input: Json) => Promise<Json>;
    interface Call {
      readonly state: string;
      readonly input: Json;
    }

    /** Runs one tick; `calls` records each invocation as it starts. */
    const execute = async (handlers: { check: Handler; list?: Handler; shard?: Handler }, calls: Call[] = []): Promise<{ calls: Call[]; output?: any; error?: Error }> => {
      const machine = new StateMachine(fanoutMachine().definition as StateMachineDefinition, { validationOptions: { checkArn: false, checkPaths: true } });
      const record = (state: string, handler: Handler) => async (input: Json): Promise<Json> => (calls.push({ state, input }), handler(input));
      const list = handlers.list ?? (async () => LISTED);
      const run = machine.run(
        { time: TICK },
        {
          overrides: {
            taskResourceLocalHandlers: {
              [DISCOVER_STATE]: record(DISCOVER_STATE, handlers.check),
              [LIST_TENANTS_FIRST_STATE]: record(LIST_TENANTS_FIRST_STATE, list),
              [LIST_TENANTS_BESIDE_STATE]: record(LIST_TENANTS_BESIDE_STATE, list),
              EvaluateShard: record('EvaluateShard', handlers.shard ?? (async () => ({ evaluated: 1 }))),
            },
            retryIntervalOverrides: { [DISCOVER_STATE]: 0, [LIST_TENANTS_FIRST_STATE]: 0, [LIST_TENANTS_BESIDE_STATE]: 0, EvaluateShard: 0 },
          },
        },
      );
      try {
        return { calls, output: await run.result };
      } catch (error) {
        return { calls, error: error as Error };
      }
    };
    const statesCalled = (calls: Call[]): string[] => calls.map((call) => call.state);
    const shardIndexesCalled = (calls: Call[]): number[] =>
      calls.filter((call) => call.state === 'EvaluateShard').map((call) => (call.input as { shard: { index: number } }).shard.index).sort();
    const failureOf = (error?: Error): string => `${error?.message} ${String((error as { cause?: unknown })?.cause)}`;
    const allOk = JSON.stringify(Array(8).fill(SHARD_OK));

    it('with no usable roster, checks, lists, then invokes each of the 8 shards once', async () => {
      // Act
      const { calls, output, error } = await execute({ check: async () => ROSTERS.none });

      // Assess
      expect(error).toBeUndefined();
      expect(statesCalled(calls)).toEqual([DISCOVER_STATE, LIST_TENANTS_FIRST_STATE, ...Array(8).fill('EvaluateShard')]);
      expect(calls[0]!.input).toEqual({ time: TICK, discover: 'check' });
      expect(calls[1]!.input).toEqual({ time: TICK, discover: true });
      expect(shardIndexesCalled(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(calls.slice(2).every((call) => (call.input as { time: string }).time === TICK && !('discover' in (call.input as object)))).toBe(true);
      expect(output).toEqual({ outcomes: [SHARD_OK], results: Array(8).fill(SHARD_OK), discovery: { discoveredAt: TICK_MS }, roster: ROSTERS.none });
    });

    it('with every roster fresh, invokes no listing at all, only the check and the shards', async () => {
      // Act
      const { calls, output, error } = await execute({ check: async () => ROSTERS.fresh });

      // Assess
      expect(error).toBeUndefined();
      expect(statesCalled(calls)).toEqual([DISCOVER_STATE, ...Array(8).fill('EvaluateShard')]);
      expect(output).toEqual({ outcomes: [SHARD_OK], results: Array(8).fill(SHARD_OK), discovery: { discoveredAt: TICK_MS }, roster: ROSTERS.fresh });
    });

    it('lists first when the check fails, and records its failure in the tick\'s output', async () => {
      // Act
      const { calls, output, error } = await execute({
        check: async () => {
          throw new Error('roster check failed');
        },
      });

      // Assess
      expect(error).toBeUndefined();
      expect(statesCalled(calls).slice(0, 2)).toEqual([DISCOVER_STATE, LIST_TENANTS_FIRST_STATE]);
      expect(shardIndexesCalled(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(output.roster).toMatchObject({ due: true, usable: false, failure: { Error: 'Error' } });
      expect(output.roster.failure.Cause).toContain('roster check failed');
    });

    it('with a due but usable roster, fails the tick with EvaluatorDiscoveryFailed after every shard ran when the listing beside them fails', async () => {
      // Prepare
      class TenantDiscoveryError extends Error {
        override readonly name = 'TenantDiscoveryError';
      }

      // Act
      const { calls, error } = await execute({
        check: async () => ROSTERS.dueButUsable,
        list: async () => {
          throw new TenantDiscoveryError('Tenant discovery failed for 1 SLO(s): api-availability (AccessDenied)');
        },
      });

      // Assess
      expect(statesCalled(calls).filter((state) => state !== 'EvaluateShard')).toEqual([DISCOVER_STATE, LIST_TENANTS_BESIDE_STATE]);
      expect(shardIndexesCalled(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      const failure = failureOf(error);
      expect(failure).toContain(DISCOVERY_FAILED_ERROR);
      expect(failure).toContain('Tenant discovery failed (TenantDiscoveryError: Tenant discovery failed for 1 SLO(s): api-availability (AccessDenied))');
      expect(failure).toContain(`results in shard order: ${allOk}`);
    });

    it('with a due but usable roster, fails the tick with EvaluatorShardsFailed naming the failed shard, the listing beside them done', async () => {
      // Act
      const { calls, output, error } = await execute({
        check: async () => ROSTERS.dueButUsable,
        shard: async (input) => {
          if ((input as { shard: { index: number } }).shard.index === 3) throw new Error('shard 3 ran out of memory');
          return { evaluated: 1 };
        },
      });

      // Assess
      expect(output).toBeUndefined();
      expect(statesCalled(calls)).toContain(LIST_TENANTS_BESIDE_STATE);
      const failure = failureOf(error);
      expect(failure).toContain(SHARDS_FAILED_ERROR);
      expect(failure).toContain('shard 3: Error: shard 3 ran out of memory');
    });

    it('runs every shard, then fails the tick with EvaluatorDiscoveryFailed, when the listing before them fails', async () => {
      // Act
      const { calls, error } = await execute({
        check: async () => ROSTERS.none,
        list: async () => {
          throw new Error('AccessDenied: not authorized to perform cloudwatch:ListMetrics');
        },
      });

      // Assess
      expect(shardIndexesCalled(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      const failure = failureOf(error);
      expect(failure).toContain(DISCOVERY_FAILED_ERROR);
      expect(failure).toContain('Tenant discovery failed (Error: AccessDenied: not authorized to perform cloudwatch:ListMetrics)');
      expect(failure).toContain(`results in shard order: ${allOk}`);
    });

    describe('with the clock simulated', () => {
      beforeEach(() => jest.useFakeTimers());
      afterEach(() => jest.useRealTimers());

      /** Runs a tick whose listing answers after `answerAfterMs` (never when null), moving the clock 60 s on. */
      const executeWithSlowListing = async (
        roster: Json,
        answerAfterMs: number | null,
      ): Promise<{ calls: Call[]; output?: any; error?: Error; shardsCalledWhenListed: number | null }> => {
        let shardsCalledWhenListed: number | null = null;
        const calls: Call[] = [];
        const pending = execute({
          check: async () => roster,
          list: () =>
            new Promise<Json>((resolve) => {
              if (answerAfterMs === null) return;
              setTimeout(() => {
                shardsCalledWhenListed = calls.filter((call) => call.state === 'EvaluateShard').length;
                resolve(LISTED);
              }, answerAfterMs);
            }),
        }, calls);
        await jest.advanceTimersByTimeAsync(60_000);
        return { ...(await pending), shardsCalledWhenListed };
      };

      it('with a due but usable roster, starts every shard without waiting for a listing that takes longer than they do', async () => {
        // Act: the listing answers after 20 s, the shards at once
        const { calls, output, error, shardsCalledWhenListed } = await executeWithSlowListing(ROSTERS.dueButUsable, 20_000);

        // Assess
        expect(error).toBeUndefined();
        expect(statesCalled(calls)[0]).toBe(DISCOVER_STATE);
        expect(statesCalled(calls).slice(1).sort()).toEqual([...Array(8).fill('EvaluateShard'), LIST_TENANTS_BESIDE_STATE]);
        // Every shard was invoked before the listing answered.
        expect(shardsCalledWhenListed).toBe(8);
        expect(output).toEqual({ outcomes: [SHARD_OK], results: Array(8).fill(SHARD_OK), discovery: { discoveredAt: TICK_MS }, roster: ROSTERS.dueButUsable });
      });

      it('with a due but usable roster, fails the tick with EvaluatorDiscoveryFailed naming the function timeout when the listing beside the shards outlasts it', async () => {
        // Act: the listing never answers within the tick
        const { calls, error } = await executeWithSlowListing(ROSTERS.dueButUsable, null);

        // Assess: SHARDED's timeoutSeconds (25) is below 60 - 10
        expect(shardIndexesCalled(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        const failure = failureOf(error);
        expect(failure).toContain(DISCOVERY_FAILED_ERROR);
        expect(failure).toContain(`Tenant discovery beside the shards did not finish within ${SHARDED.timeoutSeconds} s (the evaluator function's timeout)`);
        expect(failure).toContain(`results in shard order: ${allOk}`);
      });

      it('with no usable roster, runs every shard, then fails the tick with EvaluatorDiscoveryFailed, when the listing outlasts discoveryTimeoutSeconds', async () => {
        // Act: the listing never answers within the tick
        const { calls, error } = await executeWithSlowListing(ROSTERS.none, null);

        // Assess: 10 s = 2 s for the check + 8 s for the listing
        expect(statesCalled(calls).slice(0, 2)).toEqual([DISCOVER_STATE, LIST_TENANTS_FIRST_STATE]);
        expect(shardIndexesCalled(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        const failure = failureOf(error);
        expect(failure).toContain(DISCOVERY_FAILED_ERROR);
        expect(failure).toContain(`Tenant discovery did not finish within discoveryTimeoutSeconds (${EVALUATOR_DEFAULTS.discoveryTimeoutSeconds} s: 2 s for the roster check, 8 s for the listing before the shards)`);
        expect(failure).toContain(`results in shard order: ${allOk}`);
      });

      it('with no usable roster, waits for a listing that answers within the part of discoveryTimeoutSeconds the check leaves', async () => {
        // Act: one second before the listing's 10 - 2 = 8 s
        const { calls, output, error, shardsCalledWhenListed } = await executeWithSlowListing(ROSTERS.none, 7_000);

        // Assess
        expect(error).toBeUndefined();
        expect(shardsCalledWhenListed).toBe(0);
        expect(shardIndexesCalled(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        expect(output).toEqual({ outcomes: [SHARD_OK], results: Array(8).fill(SHARD_OK), discovery: { discoveredAt: TICK_MS }, roster: ROSTERS.none });
      });
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
