/**
 * The evaluator: a function run every minute that reads per-tenant SLI counts, evaluates the burn-rate rules,
 * keeps alert state in the table and starts the incident workflow.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { RuntimeConfig } from '../../lambda/domain/model';
import type { EvaluatorFunctionSettings } from '../config/normalize';
import { createBurnwatchFunction } from './lambda-function';
import { EvaluatorFanout } from './evaluator-fanout';
import { RUNTIME_CONFIG_FILE } from '../../lambda/handlers/runtime-config';

/** Names of the variables the evaluator handler reads. */
export const EVALUATOR_ENVIRONMENT = {
  configFile: 'BURNWATCH_CONFIG_FILE',
  tableName: 'STATE_TABLE_NAME',
  workflowArn: 'WORKFLOW_ARN',
} as const;

export const EVALUATOR_ENTRY = join(__dirname, '..', '..', 'lambda', 'handlers', 'evaluator.ts');

/** A tick that could not be delivered within this long is dropped: the next tick evaluates fresher data anyway. */
const LATE_TICK_MAX_AGE = Duration.seconds(60);

export interface EvaluatorConstructProps {
  /** Normalised SLOs and evaluator settings, bundled as `burnwatch-config.json` next to the handler. */
  readonly runtimeConfig: RuntimeConfig;
  readonly settings: EvaluatorFunctionSettings;
  readonly table: ITable;
  readonly workflow: IStateMachine;
  /**
   * Customer-managed key for the function's log group; its key policy must allow CloudWatch Logs.
   * @default - encrypted with a key owned by CloudWatch Logs
   */
  readonly logEncryptionKey?: IKey;
  /**
   * Variables that let the evaluator publish alerts (AlertChannels' `publisherEnvironment`).
   * @default - the evaluator publishes no alerts
   */
  readonly alertEnvironment?: Readonly<Record<string, string>>;
}

export class Evaluator extends Construct {
  readonly function: NodejsFunction;
  readonly schedule: Rule;
  /** The Step Functions fan-out over tenant shards; only when `settings.fanout` is set (more than one shard). */
  readonly fanout?: EvaluatorFanout;

  constructor(scope: Construct, id: string, props: EvaluatorConstructProps) {
    super(scope, id);
    const { settings } = props;
    this.function = createBurnwatchFunction(this, 'Function', {
      entry: EVALUATOR_ENTRY,
      description: 'Burnwatch evaluator: per-tenant multiwindow burn-rate alerting',
      serviceName: 'burnwatch-evaluator',
      timeout: Duration.seconds(settings.timeoutSeconds),
      memorySize: settings.memorySize,
      reservedConcurrentExecutions: settings.reservedConcurrency,
      logEncryptionKey: props.logEncryptionKey,
      // Lambda's own async retries would deliver a tick minutes late; a stale tick only repeats work.
      retryAttempts: 0,
      maxEventAge: LATE_TICK_MAX_AGE,
      files: { [RUNTIME_CONFIG_FILE]: JSON.stringify(props.runtimeConfig) },
      environment: {
        // The config is bundled as a file: any number of SLOs and overrides, beyond Lambda's 4 KB environment.
        [EVALUATOR_ENVIRONMENT.configFile]: RUNTIME_CONFIG_FILE,
        [EVALUATOR_ENVIRONMENT.tableName]: props.table.tableName,
        [EVALUATOR_ENVIRONMENT.workflowArn]: props.workflow.stateMachineArn,
        ...props.alertEnvironment,
      },
    });

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Burnwatch evaluator tick',
      schedule: Schedule.rate(Duration.minutes(settings.scheduleMinutes)),
    });
    if (settings.fanout) {
      // Beyond one Lambda: the tick starts a state machine that invokes the function once per tenant shard.
      this.fanout = new EvaluatorFanout(this, 'Fanout', {
        evaluator: this.function,
        settings: settings.fanout,
        scheduleMinutes: settings.scheduleMinutes,
        discoverTenants: props.runtimeConfig.slos.some((slo) => slo.tenants.mode === 'discover'),
        logEncryptionKey: props.logEncryptionKey,
      });
      this.schedule.addTarget(new SfnStateMachine(this.fanout.stateMachine, { retryAttempts: 0, maxEventAge: LATE_TICK_MAX_AGE }));
    } else {
      this.schedule.addTarget(new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: LATE_TICK_MAX_AGE }));
    }

    // CloudWatch supports no resource-level permissions for these read actions: `*` is the only resource.
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'], resources: ['*'] }),
    );
    props.table.grantReadWriteData(this.function);
    props.workflow.grantStartExecution(this.function);
  }
}
