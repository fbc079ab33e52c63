/**
 * The evaluator beyond one Lambda: an Express state machine whose Map invokes the evaluator once per tenant shard,
 * at most `maxConcurrentShards` at a time. Shards own disjoint, stable tenant sets (lambda/domain/shards.ts) and
 * incidents are grouped through conditional writes in the table, so alerting is the same as with one invocation.
 *
 * Why an inline Map and not a Distributed Map: a tick has at most 1000 small items (shard indexes), far below the
 * 256 KB state payload, so there is nothing to read from S3 and no need for child executions; a Distributed Map
 * also needs a Standard parent and bills every child execution. aws-local-stepfunctions 3 runs an inline Map
 * (ItemProcessor, MaxConcurrency) but not a Distributed Map's ItemReader / child executions, so the inline Map is
 * also the one the test suite can execute from the synthesized definition.
 *
 * Why Express: a tick runs for seconds, once a minute. Standard bills every state transition (about 3 per shard
 * plus 5 per tick: 10 shards x 43,200 ticks a month is about 1.5 million transitions), Express bills per execution
 * and per GB-second of a run of seconds, which is orders of magnitude less. Express's at-least-once start is
 * harmless here: a tick is idempotent (same schedule time, conditional writes, incident ids as execution names).
 * The execution times out at `min(scheduleMinutes x 60, 300)` s (Express runs at most 5 minutes), and synth checks
 * that a tick fits: `discoveryTimeoutSeconds + ceil(shards / maxConcurrentShards) x timeoutSeconds`, the first term
 * only when there is a discovery (lib/config/validate.ts).
 *
 * Before the Map, one `Discover` invocation lists the tenants of every discover-mode SLO (at most once per refresh
 * interval) and stores them in the table, where every shard reads them: ListMetrics (25 requests/s per account,
 * 500 metrics a page) is called once per tick instead of once per shard, and the list, too large for the 256 KB
 * state payload at 100,000 tenants, never crosses Step Functions. A failed discovery fails the tick as a failed
 * shard does: after the shards ran (on the previous roster while it is usable, else each listing its own tenants,
 * as without discovery), so one ListMetrics outage does not stop every evaluation.
 *
 * The tick waits for the discovery at most `discoveryTimeoutSeconds` (the task's TimeoutSeconds), not a whole
 * function timeout: fast when the roster is fresh, a full listing of 100,000 tenants at ListMetrics' 25 requests/s
 * takes seconds, and counting a whole `timeoutSeconds` for it would leave no wave of shards in a 1-minute tick.
 * A discovery that takes longer is caught as `States.Timeout`, like a failure; Step Functions does not stop the
 * invocation, which finishes in the background and stores its roster for the next tick (validation reserves one
 * more concurrent execution for it, beside the shards).
 */
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  JsonPath,
  LogLevel,
  Map as MapState,
  Pass,
  Result,
  TaskInput,
  Timeout,
  StateMachine,
  StateMachineType,
  Succeed,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable, RetryProps } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { shardIndexes } from '../../lambda/domain/shards';
import { EVALUATOR_DEFAULTS } from '../config/defaults';
import type { EvaluatorFanoutSettings } from '../config/normalize';
import { shardedTickSeconds } from '../config/validate';

/** The error a sharded tick fails with when at least one shard failed (after the others finished). */
export const SHARDS_FAILED_ERROR = 'EvaluatorShardsFailed';
/** A shard's result in the Map's output when it evaluated its tenants. */
export const SHARD_OK = 'ok';
/** The error a sharded tick fails with when the tenant discovery before its shards failed (after the shards ran). */
export const DISCOVERY_FAILED_ERROR = 'EvaluatorDiscoveryFailed';
/** The task state of the discovery invocation. */
export const DISCOVER_STATE = 'Discover';

/** Lambda service errors worth one quick retry; the evaluator's own errors are not retried (the next tick retries). */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

export interface EvaluatorFanoutProps {
  /** The evaluator function each shard invokes. */
  readonly evaluator: IFunction;
  readonly settings: EvaluatorFanoutSettings;
  /** Minutes between ticks: the execution times out before the next tick would start. */
  readonly scheduleMinutes: number;
  /**
   * Whether the tick starts with a `Discover` invocation that stores the tenants of discover-mode SLOs for the
   * shards; without one (every SLO lists its tenants) there is nothing to discover.
   * @default true
   */
  readonly discoverTenants?: boolean;
  /**
   * Customer-managed key for the execution log group; its key policy must allow CloudWatch Logs.
   * @default - encrypted with a key owned by CloudWatch Logs
   */
  readonly logEncryptionKey?: IKey;
  /**
   * How long execution logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class EvaluatorFanout extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: EvaluatorFanoutProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: `Burnwatch evaluator tick over ${props.settings.shards} tenant shards`,
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromChainable(this.definition(props)),
      timeout: Duration.seconds(shardedTickSeconds(props.scheduleMinutes)),
      tracingEnabled: true,
      // Express keeps no execution history: the log group is the only record of which shard failed and why.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
  }

  private definition(props: EvaluatorFanoutProps): IChainable {
    const { shards, maxConcurrentShards } = props.settings;
    const discoveryTimeoutSeconds = props.settings.discoveryTimeoutSeconds ?? EVALUATOR_DEFAULTS.discoveryTimeoutSeconds;
    const items = shardIndexes(shards);
    // Two deliveries of one tick carry the same schedule `time`, so both evaluate the same instant (same incident
    // ids); a manual start without one evaluates as of its own start.
    const scheduledTick = new Pass(this, 'ScheduledTick', {
      comment: 'The shard indexes, with the schedule event\'s time.',
      parameters: { time: JsonPath.stringAt('$.time'), shards: items },
    });
    const manualTick = new Pass(this, 'ManualTick', {
      comment: 'The shard indexes, with the execution\'s start time (no schedule time in the input).',
      parameters: { time: JsonPath.stringAt('$$.Execution.StartTime'), shards: items },
    });

    const evaluateShard = new LambdaInvoke(this, 'EvaluateShard', {
      comment: 'One evaluator invocation over the tenants of one shard.',
      lambdaFunction: props.evaluator,
      // The definition's Resource is then the function ARN and the payload is the item as is.
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      // The tick report can be large; the Map keeps only whether each shard succeeded.
      resultPath: JsonPath.DISCARD,
    });
    const lambdaServiceRetry: RetryProps = { errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(1), maxAttempts: 2, backoffRate: 2 };
    evaluateShard.addRetry(lambdaServiceRetry);
    // Each item ends as one string, `ok` or the failure: strings keep the collected results small and let
    // States.ArrayUnique tell at the end whether every shard succeeded (filters on an empty match are an error).
    const shardEvaluated = new Pass(this, 'ShardEvaluated', { result: Result.fromString(SHARD_OK) });
    const shardFailed = new Pass(this, 'ShardFailed', {
      comment: 'Records the failure as the item\'s result; the other shards go on.',
      parameters: {
        failure: JsonPath.format('shard {}: {}: {}', JsonPath.stringAt('$.shard.index'), JsonPath.stringAt('$.failure.Error'), JsonPath.stringAt('$.failure.Cause')),
      },
      outputPath: '$.failure',
    });
    evaluateShard.addCatch(shardFailed, { errors: [Errors.ALL], resultPath: '$.failure' });

    const discovering = props.discoverTenants !== false;
    const evaluateShards = new MapState(this, 'EvaluateShards', {
      comment: `Evaluates the ${shards} shards, at most ${maxConcurrentShards} at once.`,
      itemsPath: '$.shards',
      // Kept beside the input, where the discovery's outcome is.
      resultPath: '$.results',
      maxConcurrency: maxConcurrentShards,
      itemSelector: {
        time: JsonPath.stringAt('$.time'),
        shard: { index: JsonPath.numberAt('$$.Map.Item.Value'), count: shards },
      },
    });
    evaluateShards.itemProcessor(evaluateShard.next(shardEvaluated));

    const summarise = new Pass(this, 'SummariseShards', {
      parameters: {
        outcomes: JsonPath.arrayUnique(JsonPath.listAt('$.results')),
        results: JsonPath.listAt('$.results'),
        ...(discovering ? { discovery: JsonPath.objectAt('$.discovery') } : {}),
      },
    });
    const describeFailure = new Pass(this, 'DescribeFailure', {
      parameters: {
        cause: JsonPath.format(`At least one of ${shards} shards failed; results in shard order: {}`, JsonPath.jsonToString(JsonPath.listAt('$.results'))),
      },
    });
    const shardsFailed = new Fail(this, 'ShardsFailed', {
      comment: 'Every shard ran; at least one failed. The cause lists them.',
      error: SHARDS_FAILED_ERROR,
      causePath: '$.cause',
    });
    const allEvaluated = new Choice(this, 'AllShardsOk');
    if (discovering) allEvaluated.when(Condition.isPresent('$.discovery.Error'), this.discoveryFailed(shards, discoveryTimeoutSeconds));
    // Not(IsPresent) rather than IsPresent false: the same rule in AWS, and the local runner evaluates only the former.
    allEvaluated
      .when(
        Condition.and(Condition.stringEquals('$.outcomes[0]', SHARD_OK), Condition.not(Condition.isPresent('$.outcomes[1]'))),
        new Succeed(this, 'AllShardsEvaluated'),
      )
      .otherwise(describeFailure.next(shardsFailed));

    const tick = new Choice(this, 'HasScheduleTime').when(Condition.isPresent('$.time'), scheduledTick).otherwise(manualTick).afterwards();
    evaluateShards.next(summarise).next(allEvaluated);
    if (!discovering) return tick.next(evaluateShards);
    return tick.next(this.discover(props.evaluator, discoveryTimeoutSeconds, lambdaServiceRetry, evaluateShards)).next(evaluateShards);
  }

  /**
   * The discovery invocation, with the shard task's retries and a timeout of `discoveryTimeoutSeconds`. Its outcome,
   * `{ discoveredAt }` or the caught error (a timeout is one), goes to `$.discovery`; the shards run either way.
   */
  private discover(evaluator: IFunction, timeoutSeconds: number, retry: RetryProps, evaluateShards: MapState): LambdaInvoke {
    const discover = new LambdaInvoke(this, DISCOVER_STATE, {
      comment: 'Lists the tenants of every discover-mode SLO once for the tick and stores them for the shards.',
      lambdaFunction: evaluator,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: TaskInput.fromObject({ time: JsonPath.stringAt('$.time'), discover: true }),
      // The tick's time budget counts this wait, not the function's timeout (see the header).
      taskTimeout: Timeout.duration(Duration.seconds(timeoutSeconds)),
      // The report names every SLO; the tick keeps only the instant discovered.
      resultSelector: { discoveredAt: JsonPath.numberAt('$.discoveredAt') },
      resultPath: '$.discovery',
    });
    // Only Lambda service errors are retried: a timed-out discovery is not, its invocation is still running.
    discover.addRetry(retry);
    // States.ALL takes States.Timeout too: a slow discovery runs the shards on the previous roster, as a failed one does.
    discover.addCatch(evaluateShards, { errors: [Errors.ALL], resultPath: '$.discovery' });
    return discover;
  }

  /**
   * Fails a tick whose discovery failed, after its shards ran; the cause has the discovery's error (or how long the
   * tick waited for it) and every shard's result.
   */
  private discoveryFailed(shards: number, discoveryTimeoutSeconds: number): Choice {
    const shardsRan = `the ${shards} shards ran on the previous roster or listed their own tenants; results in shard order: {}`;
    const results = JsonPath.jsonToString(JsonPath.listAt('$.results'));
    const describe = new Pass(this, 'DescribeDiscoveryFailure', {
      parameters: {
        cause: JsonPath.format(`Tenant discovery failed ({}: {}); ${shardsRan}`, JsonPath.stringAt('$.discovery.Error'), JsonPath.stringAt('$.discovery.Cause'), results),
      },
    });
    // A timeout's Cause can be empty in AWS: the cause says what happened instead.
    const describeTimeout = new Pass(this, 'DescribeDiscoveryTimeout', {
      parameters: {
        cause: JsonPath.format(
          `Tenant discovery did not finish within discoveryTimeoutSeconds (${discoveryTimeoutSeconds} s); it goes on and stores its roster for the next tick; ${shardsRan}`,
          results,
        ),
      },
    });
    const failed = new Fail(this, 'DiscoveryFailed', {
      comment: 'The discovery failed or timed out; the cause names it and every shard\'s result.',
      error: DISCOVERY_FAILED_ERROR,
      causePath: '$.cause',
    });
    describe.next(failed);
    describeTimeout.next(failed);
    return new Choice(this, 'DiscoveryTimedOut').when(Condition.stringEquals('$.discovery.Error', Errors.TIMEOUT), describeTimeout).otherwise(describe);
  }
}

