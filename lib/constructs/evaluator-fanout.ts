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
 * only when there is a discovery (lib/config/validate.ts; see Time below for the listing beside the shards).
 *
 * Tenant discovery (lambda/handlers/evaluator.ts) lists the tenants of every discover-mode SLO once per refresh
 * interval and stores them in the table, where every shard reads them: ListMetrics (25 requests/s per account, 500
 * metrics a page) is called once per refresh instead of once per shard, and the list, too large for the 256 KB state
 * payload at 100,000 tenants, never crosses Step Functions. A tick goes:
 *
 *   `Discover`, the roster check (`{ time, discover: 'check' }`): reads one roster head per SLO and returns at once
 *   `{ discoveredAt, due, usable }`. Then, by `ListingNeeded`:
 *   - not due: the shards (no listing this tick);
 *   - due, and every roster still usable by shards (rosterUsable: younger than ROSTER_USABLE_REFRESHES refresh
 *     intervals): the shards on the previous roster and `ListTenantsBeside` side by side (`EvaluateTick`, a Parallel);
 *   - due and not usable (first tick after a deploy, a roster too old) or the check failed: `ListTenantsFirst`, then
 *     the shards, which would otherwise each list their own tenants.
 * The shards' Map is always the first branch of `EvaluateTick`, so one Map serves the three paths.
 *
 * Why beside: at 100,000 tenants a listing pages through ListMetrics 200 times (about 40 s at 200 ms a page). Before
 * the shards, every refresh tick (every 15 minutes by default) would wait for it and miss its minute; beside them, it
 * costs the tick nothing while the previous roster serves. Only a tick with no usable roster waits for the listing.
 *
 * Time: before the shards, the check and `ListTenantsFirst` share `discoveryTimeoutSeconds` (the check gets
 * min(ROSTER_CHECK_TIMEOUT_SECONDS, discoveryTimeoutSeconds - 1) s, at least 1; the listing the rest), so synth's
 * `discoveryTimeoutSeconds + waves x timeoutSeconds` still bounds that path (validation keeps discoveryTimeoutSeconds
 * at 2 or more, a second each). A listing that takes longer is caught as
 * `States.Timeout`, like a failure; Step Functions does not stop the invocation, which finishes in the background
 * and stores its roster for the next tick if it ends within the function's timeout. `ListTenantsBeside` delays no
 * shard, so waiting for it only for discoveryTimeoutSeconds would fail a refresh that can succeed: it waits for
 * the function's timeout (the listing cannot run longer anyway), capped at the tick less `discoveryTimeoutSeconds`,
 * the bound synth gives the shards, so the Parallel ends when the later of the two ends and the whole tick (check
 * included) ends within its execution, where its failure is reported rather than the execution timing out.
 *
 * Failures: a listing catches every error into `$.discovery` (beside the shards, into its branch's result, so it
 * never cancels a shard), and a tick whose listing failed or timed out fails with EvaluatorDiscoveryFailed after
 * every shard ran, the cause naming the listing's error or wait and every shard's result; otherwise a failed shard
 * fails it with EvaluatorShardsFailed naming the shard. A failed check fails nothing by itself: the listing goes first
 * (it reads the heads again), the failure is kept in the output's `roster.failure` and counts in the function's
 * Errors metric.
 *
 * Concurrency: at most one listing runs beside min(shards, maxConcurrentShards) shards (beside them, or timed out
 * before them and finishing in the background), which validation's
 * `reservedConcurrency >= min(shards, maxConcurrentShards) + 1` allows for.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
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
  Parallel,
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
import { ROSTER_CHECK } from '../../lambda/domain/roster-keys';
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
/** The task state of the roster check (`{ time, discover: 'check' }`): is a listing due, can the shards go on without it. */
export const DISCOVER_STATE = 'Discover';
/** The listing task (`{ time, discover: true }`) that runs before the shards when no stored roster is usable. */
export const LIST_TENANTS_FIRST_STATE = 'ListTenantsFirst';
/** The listing task that runs beside the shards (a Parallel branch) when the stored rosters are still usable. */
export const LIST_TENANTS_BESIDE_STATE = 'ListTenantsBeside';
/** The Parallel state whose first branch is the shards' Map (`EvaluateShards`) and second the listing beside them. */
export const EVALUATE_STATE = 'EvaluateTick';
/** The roster check reads one head item per discover-mode SLO: a warm invocation takes milliseconds, a cold one about a second. */
export const ROSTER_CHECK_TIMEOUT_SECONDS = 2;

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
   * Whether the tick starts with the roster check (`Discover`) and lists the tenants of discover-mode SLOs for the
   * shards when due; without one (every SLO lists its tenants) there is nothing to discover.
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
      // Without discovery, kept beside the input; with it, the Map is a branch whose output is the results alone.
      ...(discovering ? {} : { resultPath: '$.results' }),
      maxConcurrency: maxConcurrentShards,
      itemSelector: {
        time: JsonPath.stringAt('$.time'),
        shard: { index: JsonPath.numberAt('$$.Map.Item.Value'), count: shards },
      },
    });
    evaluateShards.itemProcessor(evaluateShard.next(shardEvaluated));

    // With discovery the Parallel puts the shards' results and the discovery's outcome under `$.tick`.
    const resultsPath = discovering ? '$.tick.results' : '$.results';
    const summarise = new Pass(this, 'SummariseShards', {
      parameters: {
        outcomes: JsonPath.arrayUnique(JsonPath.listAt(resultsPath)),
        results: JsonPath.listAt(resultsPath),
        ...(discovering ? { discovery: JsonPath.objectAt('$.tick.discovery'), roster: JsonPath.objectAt('$.roster') } : {}),
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
    const timeouts = discovering ? this.discoveryTimeouts(props, discoveryTimeoutSeconds) : undefined;
    if (timeouts) allEvaluated.when(Condition.isPresent('$.discovery.Error'), this.discoveryFailed(shards, discoveryTimeoutSeconds, timeouts));
    // Not(IsPresent) rather than IsPresent false: the same rule in AWS, and the local runner evaluates only the former.
    allEvaluated
      .when(
        Condition.and(Condition.stringEquals('$.outcomes[0]', SHARD_OK), Condition.not(Condition.isPresent('$.outcomes[1]'))),
        new Succeed(this, 'AllShardsEvaluated'),
      )
      .otherwise(describeFailure.next(shardsFailed));

    const tick = new Choice(this, 'HasScheduleTime').when(Condition.isPresent('$.time'), scheduledTick).otherwise(manualTick).afterwards();
    if (!timeouts) {
      evaluateShards.next(summarise).next(allEvaluated);
      return tick.next(evaluateShards);
    }
    const evaluate = this.evaluateBesideListing(props.evaluator, evaluateShards, timeouts, lambdaServiceRetry);
    evaluate.next(summarise).next(allEvaluated);
    return tick.next(this.checkRoster(props.evaluator, evaluate, timeouts, lambdaServiceRetry));
  }

  /**
   * The task timeouts of the discovery states. Before the shards, the check and the listing share
   * `discoveryTimeoutSeconds`, the one term synth counts for them; beside the shards, the listing delays nothing and
   * may run for the function's timeout, but never past the shards' bound (budget - discoveryTimeoutSeconds).
   */
  private discoveryTimeouts(props: EvaluatorFanoutProps, discoveryTimeoutSeconds: number): DiscoveryTimeouts {
    const checkSeconds = Math.max(1, Math.min(ROSTER_CHECK_TIMEOUT_SECONDS, discoveryTimeoutSeconds - 1));
    const shardsBoundSeconds = Math.max(1, shardedTickSeconds(props.scheduleMinutes) - discoveryTimeoutSeconds);
    const functionSeconds = functionTimeoutSeconds(props.evaluator);
    return {
      checkSeconds,
      listFirstSeconds: Math.max(1, discoveryTimeoutSeconds - checkSeconds),
      listBesideSeconds: Math.min(functionSeconds ?? shardsBoundSeconds, shardsBoundSeconds),
      listBesideBound: functionSeconds !== undefined && functionSeconds <= shardsBoundSeconds ? 'the evaluator function\'s timeout' : 'the tick\'s time less discoveryTimeoutSeconds',
    };
  }

  /**
   * The roster check (`DISCOVER_STATE`): `{ time, discover: 'check' }` reads the roster heads and returns at once
   * whether a listing is due and whether the shards can use the stored rosters meanwhile, at `$.roster`. Then the
   * listing goes first (due and not usable) or the shards start at once (not due, or due and usable).
   */
  private checkRoster(evaluator: IFunction, evaluate: Parallel, timeouts: DiscoveryTimeouts, retry: RetryProps): LambdaInvoke {
    const check = new LambdaInvoke(this, DISCOVER_STATE, {
      comment: 'Reads the roster heads: is a listing due, and can the shards use the stored rosters meanwhile (no listing here).',
      lambdaFunction: evaluator,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: TaskInput.fromObject({ time: JsonPath.stringAt('$.time'), discover: ROSTER_CHECK }),
      taskTimeout: Timeout.duration(Duration.seconds(timeouts.checkSeconds)),
      resultSelector: {
        discoveredAt: JsonPath.numberAt('$.discoveredAt'),
        due: JsonPath.stringAt('$.due'),
        usable: JsonPath.stringAt('$.usable'),
      },
      resultPath: '$.roster',
    });
    check.addRetry(retry);
    const listFirst = this.listTenants(LIST_TENANTS_FIRST_STATE, evaluator, timeouts.listFirstSeconds, retry, {
      comment: 'Lists and stores the tenants before the shards: no stored roster is usable by them.',
      resultPath: '$.discovery',
    });
    // States.ALL takes States.Timeout too: a slow listing runs the shards without it, as a failed one does.
    listFirst.addCatch(evaluate, { errors: [Errors.ALL], resultPath: '$.discovery' });
    listFirst.next(evaluate);
    // A failed check says nothing about the rosters: today's safe path, the listing first (it reads the heads again).
    // The failure stays in `$.roster.failure`, the execution log and the function's Errors metric.
    const unchecked = new Pass(this, 'RosterUnchecked', {
      comment: 'The check failed: treats the rosters as due and not usable, so the listing goes first.',
      parameters: { due: true, usable: false, failure: JsonPath.objectAt('$.roster') },
      resultPath: '$.roster',
    });
    check.addCatch(unchecked, { errors: [Errors.ALL], resultPath: '$.roster' });
    unchecked.next(listFirst);
    check.next(
      new Choice(this, 'ListingNeeded', { comment: 'Lists first only when the tick lists and no stored roster is usable by its shards.' })
        .when(Condition.booleanEquals('$.roster.due', false), evaluate)
        .when(Condition.booleanEquals('$.roster.usable', true), evaluate)
        .otherwise(listFirst),
    );
    return check;
  }

  /**
   * The shards (the Map) beside the listing a due tick runs while the stored rosters are usable. The Parallel's
   * result at `$.tick`: `results`, the Map's strings, and `discovery`, the outcome of whichever listing ran this tick
   * (`{ discoveredAt }` or the caught error), or the check's instant when none did. A listing beside the shards
   * catches every error, so it never cancels a shard; the tick fails for it after every shard ran.
   */
  private evaluateBesideListing(evaluator: IFunction, evaluateShards: MapState, timeouts: DiscoveryTimeouts, retry: RetryProps): Parallel {
    const listBeside = this.listTenants(LIST_TENANTS_BESIDE_STATE, evaluator, timeouts.listBesideSeconds, retry, {
      comment: 'Lists and stores the tenants beside the shards, which run on the previous roster (still usable).',
    });
    // The caught error (ResultPath `$`) is the branch's result.
    listBeside.addCatch(new Pass(this, 'ListingBesideFailed', { comment: 'Keeps the listing\'s error; the shards go on.' }), { errors: [Errors.ALL] });
    const listing = new Choice(this, 'ListingBeside')
      .when(Condition.and(Condition.booleanEquals('$.roster.due', true), Condition.booleanEquals('$.roster.usable', true)), listBeside)
      .when(Condition.isPresent('$.discovery'), new Pass(this, 'ListedFirst', { comment: 'The listing before the shards\' outcome.', outputPath: '$.discovery' }))
      .otherwise(
        new Pass(this, 'RosterFresh', {
          comment: 'No listing this tick: every roster is fresh.',
          parameters: { discoveredAt: JsonPath.numberAt('$.roster.discoveredAt') },
        }),
      );
    return new Parallel(this, EVALUATE_STATE, {
      comment: 'The shards, with the listing beside them when it is due and the stored rosters are usable.',
      resultSelector: { results: JsonPath.listAt('$[0]'), discovery: JsonPath.objectAt('$[1]') },
      resultPath: '$.tick',
    })
      .branch(evaluateShards)
      .branch(listing);
  }

  /** A listing invocation (`{ time, discover: true }`): lists and stores the rosters that are due; result `{ discoveredAt }`. */
  private listTenants(id: string, evaluator: IFunction, timeoutSeconds: number, retry: RetryProps, options: { comment: string; resultPath?: string }): LambdaInvoke {
    const list = new LambdaInvoke(this, id, {
      comment: options.comment,
      lambdaFunction: evaluator,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: TaskInput.fromObject({ time: JsonPath.stringAt('$.time'), discover: true }),
      taskTimeout: Timeout.duration(Duration.seconds(timeoutSeconds)),
      // The report names every SLO; the tick keeps only the instant discovered.
      resultSelector: { discoveredAt: JsonPath.numberAt('$.discoveredAt') },
      ...(options.resultPath ? { resultPath: options.resultPath } : {}),
    });
    // Only Lambda service errors are retried: a timed-out listing is not, its invocation may still be running.
    list.addRetry(retry);
    return list;
  }

  /**
   * Fails a tick whose listing failed, after its shards ran; the cause has the listing's error (or how long the tick
   * waited for it) and every shard's result. `$.roster.usable` tells the two listings apart: only the one beside the
   * shards runs while the stored rosters are usable.
   */
  private discoveryFailed(shards: number, discoveryTimeoutSeconds: number, timeouts: DiscoveryTimeouts): Choice {
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
          `Tenant discovery did not finish within discoveryTimeoutSeconds (${discoveryTimeoutSeconds} s: ${timeouts.checkSeconds} s for the roster check, ` +
            `${timeouts.listFirstSeconds} s for the listing before the shards); it goes on and stores its roster for the next tick if it ends within the function's timeout; ${shardsRan}`,
          results,
        ),
      },
    });
    const describeBesideTimeout = new Pass(this, 'DescribeListingBesideTimeout', {
      parameters: {
        cause: JsonPath.format(
          `Tenant discovery beside the shards did not finish within ${timeouts.listBesideSeconds} s (${timeouts.listBesideBound}); the next tick lists again; ` +
            `the ${shards} shards ran on the previous roster; results in shard order: {}`,
          results,
        ),
      },
    });
    const failed = new Fail(this, 'DiscoveryFailed', {
      comment: 'The listing failed or timed out; the cause names it and every shard\'s result.',
      error: DISCOVERY_FAILED_ERROR,
      causePath: '$.cause',
    });
    describe.next(failed);
    describeTimeout.next(failed);
    describeBesideTimeout.next(failed);
    const timedOut = Condition.stringEquals('$.discovery.Error', Errors.TIMEOUT);
    return new Choice(this, 'DiscoveryTimedOut')
      .when(Condition.and(timedOut, Condition.booleanEquals('$.roster.usable', true)), describeBesideTimeout)
      .when(timedOut, describeTimeout)
      .otherwise(describe);
  }
}

/** The task timeouts of the discovery states, seconds (see EvaluatorFanout.discoveryTimeouts). */
interface DiscoveryTimeouts {
  readonly checkSeconds: number;
  readonly listFirstSeconds: number;
  readonly listBesideSeconds: number;
  /** What bounds the listing beside the shards, for the failure's cause. */
  readonly listBesideBound: string;
}

/** The function's configured timeout in seconds, when it is known at synth (an imported function's is not). */
function functionTimeoutSeconds(fn: IFunction): number | undefined {
  if (!(fn instanceof LambdaFunction) || fn.timeout === undefined) return undefined;
  const seconds = fn.timeout.toSeconds();
  return Token.isUnresolved(seconds) ? undefined : seconds;
}
