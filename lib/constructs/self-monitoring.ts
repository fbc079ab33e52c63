/**
 * Watching the watcher: alarms on Burnwatch itself, sent to an operator topic that is separate from the tenant
 * alert topic. A silent evaluator looks exactly like "every tenant is healthy", so the most important alarm here is
 * the missed tick: the per-SLO heartbeat the evaluator emits every tick, with missing data treated as breaching.
 */
import { ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IMetric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambda/usecases/evaluate-tick';
import { BurnwatchConfigError, formatGiven } from '../config/errors';
import type { ConfigPath, ConfigProblem } from '../config/errors';
import { SLO_NAME_PATTERN } from '../config/validate';

/** The per-SLO metrics the evaluator emits (EMF, namespace `Burnwatch`, dimension `Slo`) each tick. */
export const SLO_TICK_METRICS = {
  tenantsEvaluated: 'TenantsEvaluated',
  tenantsFailed: 'TenantsFailed',
  tenantsPaging: 'TenantsPaging',
  tenantsTicket: 'TenantsTicket',
  /** Tenants left for a later tick because the tick's warm-up budget (`warmupDatapointsPerTick`) was spent. */
  tenantsWarming: 'TenantsWarming',
  heartbeat: 'EvaluatorHeartbeat',
} as const;

/** The per-tenant metrics (dimensions `Slo`, `Tenant`), published for each SLO's worst tenants only. */
export const TENANT_METRICS = { burnRate: 'BurnRate', budgetRemaining: 'BudgetRemaining' } as const;

export type SloTickMetricName = (typeof SLO_TICK_METRICS)[keyof typeof SLO_TICK_METRICS];

/** One of the evaluator's per-SLO metrics, e.g. `sloTickMetric('TenantsFailed', 'api-availability', { statistic: 'Sum' })`. */
export function sloTickMetric(metricName: SloTickMetricName, sloName: string, options: MetricOptions = {}): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { Slo: sloName }, ...options });
}

export function problemAt(path: ConfigPath, allowed: string, given: unknown): ConfigProblem {
  return { path, allowed, given: formatGiven(given) };
}

/** A value only known at deploy time where synth needs it (names, thresholds). */
function unresolvedProblem(path: ConfigPath, why: string): ConfigProblem {
  return { path, allowed: `must be known at synth time (${why})`, given: 'a deploy-time token' };
}

/** SLO names become metric dimension values, construct ids and Metrics Insights string literals. */
export function sloNameProblems(sloNames: readonly string[]): ConfigProblem[] {
  if (sloNames.length === 0) return [problemAt(['sloNames'], 'must list at least one SLO name', [])];
  const problems: ConfigProblem[] = [];
  const firstIndex = new Map<string, number>();
  sloNames.forEach((name, index) => {
    if (Token.isUnresolved(name)) {
      problems.push(unresolvedProblem(['sloNames', index], 'it names alarms and widgets'));
      return;
    }
    if (!SLO_NAME_PATTERN.test(name)) {
      problems.push(problemAt(['sloNames', index], `must be an SLO name matching ${SLO_NAME_PATTERN.source}`, name));
      return;
    }
    const first = firstIndex.get(name);
    if (first !== undefined) problems.push(problemAt(['sloNames', index], `must be unique (sloNames[${first}] is the same)`, name));
    else firstIndex.set(name, index);
  });
  return problems;
}

/** Problems with an evaluator timeout: it must be known at synth and within Lambda's 1 s to 15 min. */
export function timeoutProblems(path: ConfigPath, timeout: Duration): ConfigProblem[] {
  if (timeout.isUnresolved()) return [unresolvedProblem(path, 'alarm thresholds derive from it')];
  const seconds = timeout.toMilliseconds() / 1000;
  if (seconds < 1 || seconds > 900) return [problemAt(path, 'must be from 1 second to 15 minutes (the Lambda timeout range)', timeout.toHumanString())];
  return [];
}

/** Lets CloudWatch alarms (and SNS on their behalf) use `key` to publish to a topic it encrypts, in this account only. */
export function allowAlarmDelivery(key: Key): void {
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowSnsAndCloudWatchForThisAccount',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com'), new ServicePrincipal('sns.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(key).account } },
    }),
  );
}

/** The heartbeat alarm fires after this many ticks without a heartbeat. */
export const MISSED_TICKS_TO_ALARM = 3;
/** Evaluator errors alarm: errors in at least 2 of the last 3 one-minute periods. */
export const EVALUATOR_ERROR_PERIODS = { datapointsToAlarm: 2, evaluationPeriods: 3 } as const;
/** Duration alarm: p99 at or above this share of the timeout in 3 of the last 5 minutes. */
export const DURATION_TIMEOUT_RATIO = 0.8;
export const DURATION_PERIODS = { datapointsToAlarm: 3, evaluationPeriods: 5 } as const;
/** Failed tenants alarm after this long in a row: a single bad tick is noise, five minutes of it is a broken SLI. */
export const TENANTS_FAILED_FOR = Duration.minutes(5);
/**
 * Warming tenants alarm after this long in a row. A cold start of N tenants takes about ceil(N x 2,300 / 5,000,000)
 * ticks at the default warm-up budget: 5 for 10,000 tenants, so half an hour of 1-minute ticks is far beyond a normal
 * cold start there; about 46 for 100,000, which alarms on purpose: tenants go unwatched that long after every cold start.
 * A budget too small for the tenant count (or caches lost every tick) never finishes warming and keeps it in alarm.
 */
export const TENANTS_WARMING_FOR = Duration.minutes(30);
/** Period of the workflow, throttle and dead-letter alarms: discrete events, one is enough. */
const EVENT_PERIOD = Duration.minutes(5);
const AT_LEAST_ONE_EVENT = {
  threshold: 1,
  comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
} as const;
const MINUTE = Duration.minutes(1);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface SelfMonitoringProps {
  /** The evaluator function (errors, duration, throttles). */
  readonly evaluator: IFunction;
  /** The evaluator's configured timeout: the duration alarm fires at 80% of it. `IFunction` does not expose it. */
  readonly evaluatorTimeout: Duration;
  /** The incident workflow (failed, timed-out and aborted executions). */
  readonly workflow: IStateMachine;
  /**
   * The evaluator's fan-out state machine (EvaluatorFanout, made when the evaluator has more than one shard):
   * alarms on ticks that failed or timed out.
   * @default - no fan-out alarms (each tick is one evaluator invocation, watched by the evaluator alarms)
   */
  readonly evaluatorFanout?: IStateMachine;
  /**
   * Dead-letter queues whose messages are alerts or events that were never delivered (e.g. AlertChannels'
   * `pagerDutyDeadLetterQueue`); one alarm each.
   * @default - no dead-letter queue alarms
   */
  readonly deadLetterQueues?: readonly IQueue[];
  /** Names of the evaluated SLOs: one missed-tick, one failed-tenants and one warming-tenants alarm each. */
  readonly sloNames: readonly string[];
  /**
   * Send the alarms to this existing topic; its policy and encryption stay as they are (CloudWatch must be allowed
   * to publish to it and to use its key).
   * @default - a new SSL-only topic encrypted with `encryptionKey`, publishable by this account's CloudWatch alarms
   */
  readonly operatorTopic?: ITopic;
  /**
   * Customer-managed key for the operator topic created here (not allowed with `operatorTopic`). Its policy must let
   * CloudWatch and SNS use it, e.g. AlertChannels' `encryptionKey`.
   * @default - a new key with rotation whose policy lets CloudWatch and SNS of this account use it
   */
  readonly encryptionKey?: IKey;
  /**
   * Addresses subscribed to the operator topic; AWS sends each a confirmation mail first.
   * @default - no email subscriptions
   */
  readonly operatorEmails?: readonly string[];
  /**
   * How often the evaluator runs (its schedule, whole minutes from 1 to 60): each SLO emits one heartbeat per tick.
   * @default Duration.minutes(1)
   */
  readonly tickInterval?: Duration;
}

function validateProps(props: SelfMonitoringProps): ConfigProblem[] {
  const problems = [...sloNameProblems(props.sloNames), ...timeoutProblems(['evaluatorTimeout'], props.evaluatorTimeout)];
  const tick = props.tickInterval;
  if (tick !== undefined) {
    if (tick.isUnresolved()) problems.push(unresolvedProblem(['tickInterval'], 'alarm periods derive from it'));
    else {
      const minutes = tick.toMilliseconds() / 60_000;
      if (!(Number.isInteger(minutes) && minutes >= 1 && minutes <= 60)) {
        problems.push(problemAt(['tickInterval'], 'must be whole minutes from 1 to 60 (the evaluator schedule)', tick.toHumanString()));
      }
    }
  }
  props.operatorEmails?.forEach((address, index) => {
    if (!Token.isUnresolved(address) && !EMAIL.test(address)) {
      problems.push(problemAt(['operatorEmails', index], 'must be an email address like oncall@example.com', address));
    }
  });
  if (props.operatorTopic !== undefined && props.encryptionKey !== undefined) {
    problems.push({ path: ['encryptionKey'], allowed: 'must not be given with operatorTopic (an existing topic keeps its own encryption)', given: 'a key' });
  }
  return problems;
}

interface AlarmSpec {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** What it means, then what to do. */
  readonly description: string;
}

export class SelfMonitoring extends Construct {
  /** Where every alarm here sends ALARM and OK notifications: operators of Burnwatch, not tenants' on-call. */
  readonly operatorTopic: ITopic;
  /** The key of the operator topic created here; undefined with an existing `operatorTopic`. */
  readonly encryptionKey?: IKey;
  /** Every alarm, e.g. for an alarm status widget. */
  readonly alarms: readonly Alarm[];
  /** The missed-tick alarm of each SLO, by SLO name. */
  readonly missedTickAlarms: Readonly<Record<string, Alarm>>;

  private readonly alarmAction: SnsAction;
  private readonly created: Alarm[] = [];

  constructor(scope: Construct, id: string, props: SelfMonitoringProps) {
    super(scope, id);
    const problems = validateProps(props);
    if (problems.length > 0) throw new BurnwatchConfigError(problems, `self-monitoring ${this.node.path}`);

    if (props.operatorTopic === undefined) {
      this.encryptionKey = props.encryptionKey ?? this.createKey();
      this.operatorTopic = this.createTopic(this.encryptionKey);
    } else {
      this.operatorTopic = props.operatorTopic;
    }
    for (const address of props.operatorEmails ?? []) this.operatorTopic.addSubscription(new EmailSubscription(address));
    this.alarmAction = new SnsAction(this.operatorTopic);

    const tick = props.tickInterval ?? MINUTE;
    this.createEvaluatorAlarms(props.evaluator, props.evaluatorTimeout);
    const missedTick: Record<string, Alarm> = {};
    for (const slo of props.sloNames) {
      missedTick[slo] = this.createSloAlarms(slo, tick);
    }
    this.missedTickAlarms = missedTick;
    this.createWorkflowAlarms(props.workflow);
    if (props.evaluatorFanout !== undefined) this.createFanoutAlarms(props.evaluatorFanout, tick);
    for (const queue of props.deadLetterQueues ?? []) this.createDeadLetterAlarm(queue);
    this.alarms = this.created;
  }

  private alarm(id: string, spec: AlarmSpec): Alarm {
    const alarm = new Alarm(this, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      treatMissingData: spec.treatMissingData,
      alarmDescription: spec.description,
    });
    // OK notifications too: operators learn that the watcher recovered without opening the console.
    alarm.addAlarmAction(this.alarmAction);
    alarm.addOkAction(this.alarmAction);
    this.created.push(alarm);
    return alarm;
  }

  private createEvaluatorAlarms(evaluator: IFunction, timeout: Duration): void {
    // No invocations means no errors; a silent evaluator is the heartbeat alarm's job, so missing data is fine here.
    this.alarm('EvaluatorErrors', {
      metric: evaluator.metricErrors({ statistic: 'Sum', period: MINUTE }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...EVALUATOR_ERROR_PERIODS,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      description:
        'Burnwatch evaluator invocations failed in 2 of the last 3 minutes: an SLO failed as a whole or alerts could not be ' +
        'delivered, so tenant pages may be missing or late. What to do: read the errors in the evaluator log group ' +
        '("SLO evaluation failed", "Alert delivery failed"); check its permissions (cloudwatch:GetMetricData, ' +
        'cloudwatch:ListMetrics, the state table, the alert topic) and recent config changes.',
    });
    this.alarm('EvaluatorDurationNearTimeout', {
      metric: evaluator.metricDuration({ statistic: 'p99', period: MINUTE }),
      threshold: timeout.toMilliseconds() * DURATION_TIMEOUT_RATIO,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...DURATION_PERIODS,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      description:
        `Burnwatch evaluator p99 duration reached ${DURATION_TIMEOUT_RATIO * 100}% of its ${timeout.toHumanString()} timeout in 3 of ` +
        'the last 5 minutes: soon ticks will skip SLOs (deadline reached) or time out. What to do: check for throttled ' +
        'GetMetricData calls and slow DynamoDB writes in the logs; if the tenant count grew, raise timeoutSeconds and ' +
        'memorySize or split the SLOs over stacks.',
    });
    this.alarm('EvaluatorThrottled', {
      metric: evaluator.metricThrottles({ statistic: 'Sum', period: EVENT_PERIOD }),
      ...AT_LEAST_ONE_EVENT,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      description:
        'Burnwatch evaluator was throttled: with its reserved concurrency (1 by default) a tick started while the previous one was still ' +
        'running (or the concurrency was set to 0), and that tick may be dropped. What to do: compare the evaluator ' +
        'duration with the schedule; check the reserved concurrency and the account concurrency limit.',
    });
  }

  /** Returns the missed-tick alarm. */
  private createSloAlarms(slo: string, tick: Duration): Alarm {
    const missedTick = this.alarm(`MissedTick-${slo}`, {
      metric: sloTickMetric(SLO_TICK_METRICS.heartbeat, slo, { statistic: 'SampleCount', period: tick }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      // The heartbeat is stamped with the evaluation end (a minute behind the clock) and EMF arrives with a lag, so
      // the newest period may still be empty on a healthy evaluator: only a run of empty periods alarms.
      evaluationPeriods: MISSED_TICKS_TO_ALARM,
      datapointsToAlarm: MISSED_TICKS_TO_ALARM,
      // No heartbeat is the failure itself: a dead evaluator publishes nothing at all.
      treatMissingData: TreatMissingData.BREACHING,
      description:
        `Burnwatch did not evaluate SLO "${slo}" in the last ${MISSED_TICKS_TO_ALARM} ticks: no burn-rate alert can fire for its ` +
        'tenants, and the silence looks like health. What to do: check that the evaluator schedule rule is enabled and ' +
        `the function runs; search its logs for "${slo}" ("SLO skipped: tick deadline reached", "SLO evaluation failed").`,
    });
    const tickSum = (metricName: SloTickMetricName): Metric => sloTickMetric(metricName, slo, { statistic: 'Sum', period: tick });
    this.everyTickAlarm(`TenantsFailed-${slo}`, tickSum(SLO_TICK_METRICS.tenantsFailed), TENANTS_FAILED_FOR,
      `Burnwatch skipped tenants of SLO "${slo}" in every tick for ${TENANTS_FAILED_FOR.toMinutes()} minutes (their query failed ` +
        'or their data was corrupt): those tenants are not watched. What to do: search the evaluator logs for the ' +
        'tenants and reasons; check the SLI metrics, their tenant dimension and the SLO config.',
    );
    // Sum, not Minimum: with shards, every shard publishes under the same Slo dimension each minute, and a shard that
    // never finishes warming must alarm even while the other shards report 0.
    this.everyTickAlarm(`TenantsWarming-${slo}`, tickSum(SLO_TICK_METRICS.tenantsWarming), TENANTS_WARMING_FOR,
      `Burnwatch left tenants of SLO "${slo}" unevaluated in every tick for ${TENANTS_WARMING_FOR.toMinutes()} minutes because ` +
        'their history was not read yet (warming: each tick\'s warm-up budget went to other tenants): those ' +
        'tenants cannot alert. A cold start of N tenants takes about ceil(N x 2,300 / warmupDatapointsPerTick) ticks. ' +
        'What to do: compare that with the tenant count and raise evaluator.warmupDatapointsPerTick together with a ' +
        'GetMetricData datapoints-per-second quota increase; if the count never falls, the evaluator\'s caches are lost ' +
        'between ticks (a new Lambda instance each tick).',
    );
    return missedTick;
  }

  /** Alarms when `metric` is above 0 in every tick for `duration` (at least one tick); no data is no problem. */
  private everyTickAlarm(id: string, metric: Metric, duration: Duration, description: string): Alarm {
    const periods = Math.max(1, Math.ceil(duration.toMinutes() / metric.period.toMinutes()));
    return this.alarm(id, {
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      description,
    });
  }

  private createWorkflowAlarms(workflow: IStateMachine): void {
    const outcomes = [
      {
        id: 'WorkflowExecutionsFailed',
        metric: workflow.metricFailed({ statistic: 'Sum', period: EVENT_PERIOD }),
        meaning: 'failed: the failure was recorded on the incident, but its mitigation or forensic bundle may be incomplete',
      },
      {
        id: 'WorkflowExecutionsTimedOut',
        metric: workflow.metricTimedOut({ statistic: 'Sum', period: EVENT_PERIOD }),
        meaning: 'timed out: it was stopped before validating recovery and writing the forensic bundle',
      },
      {
        id: 'WorkflowExecutionsAborted',
        metric: workflow.metricAborted({ statistic: 'Sum', period: EVENT_PERIOD }),
        meaning: 'was aborted (stopped by a person or a deployment): nothing after that point ran for the incident',
      },
    ];
    for (const outcome of outcomes) {
      this.alarm(outcome.id, {
        metric: outcome.metric,
        ...AT_LEAST_ONE_EVENT,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `A Burnwatch incident workflow execution ${outcome.meaning}. What to do: open the execution in the Step Functions ` +
          'console (or the workflow log group), find the failed state and its error, and check the incident in the ' +
          'state table; the tenants may still be burning budget.',
      });
    }
  }

  /**
   * A sharded tick is one Express execution. No ExecutionThrottled alarm: Express workflows have no state-transition
   * quota, so that metric stays at zero; a start EventBridge could not deliver shows as a missed tick instead. No
   * aborted alarm either: Express executions cannot be stopped.
   */
  private createFanoutAlarms(fanout: IStateMachine, tick: Duration): void {
    const whatToDo =
      'What to do: Express keeps no execution history, so read the execution in the fan-out\'s log group: the ' +
      'ShardsFailed cause lists each shard\'s error; check the evaluator logs for that shard and the time.';
    // The evaluator errors alarm's tolerance, counted in ticks: the next tick re-evaluates a failed shard.
    this.alarm('EvaluatorFanoutExecutionsFailed', {
      metric: fanout.metricFailed({ statistic: 'Sum', period: tick }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...EVALUATOR_ERROR_PERIODS,
      // No executions is the missed-tick alarm's job.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      description:
        'Burnwatch sharded evaluator ticks failed in 2 of the last 3 ticks: at least one tenant shard was not evaluated, ' +
        `so its tenants' pages may be missing or late. ${whatToDo}`,
    });
    // One is enough: a tick that outran its schedule does not speed up by itself.
    this.alarm('EvaluatorFanoutExecutionsTimedOut', {
      metric: fanout.metricTimedOut({ statistic: 'Sum', period: tick }),
      ...AT_LEAST_ONE_EVENT,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      description:
        'A Burnwatch sharded evaluator tick timed out before every shard finished: shards left are not evaluated in ' +
        `that tick. ${whatToDo} Then raise maxConcurrentShards or lower timeoutSeconds so the waves fit the tick.`,
    });
  }

  private createDeadLetterAlarm(queue: IQueue): void {
    this.alarm(`DeadLetters-${Names.nodeUniqueId(queue.node)}`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: EVENT_PERIOD }),
      ...AT_LEAST_ONE_EVENT,
      // SQS may stop reporting a queue nobody touches; keeping the last state holds the alarm until someone drains it.
      treatMissingData: TreatMissingData.IGNORE,
      description:
        `Messages are waiting in the dead-letter queue ${queue.queueName}: alerts or events that were never delivered ` +
        '(e.g. PagerDuty rejected them). What to do: read a message and the consumer logs for the error, fix the cause, ' +
        'then redrive the queue to its source.',
    });
  }

  private createKey(): Key {
    const key = new Key(this, 'Key', { description: 'Burnwatch: encrypts the operator alarm topic', enableKeyRotation: true });
    allowAlarmDelivery(key);
    return key;
  }

  private createTopic(key: IKey): Topic {
    const topic = new Topic(this, 'OperatorTopic', { displayName: 'Burnwatch operator alarms', masterKey: key, enforceSSL: true });
    // The SSL-only policy replaces SNS's default policy, so CloudWatch alarms need an explicit allow, for this
    // account's alarms only (no confused deputy).
    const stack = Stack.of(this);
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    return topic;
  }
}
