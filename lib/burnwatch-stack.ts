/** Composes Burnwatch: key, state table, incident workflow, alert channels and evaluator. Stateful resources are retained. */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { normalizeBurnwatchProps } from './config/normalize';
import type { NormalizedBurnwatchConfig } from './config/normalize';
import type { BurnwatchProps } from './config/props';
import { AlertChannels } from './constructs/alert-channels';
import type { AlertChannelsProps, FunctionChannelProps, QueueChannelProps } from './constructs/alert-channels';
import { BurnwatchDashboard } from './constructs/dashboard';
import { SelfMonitoring } from './constructs/self-monitoring';
import { BurnwatchKey } from './constructs/encryption-key';
import { Evaluator } from './constructs/evaluator';
import { IncidentWorkflow } from './constructs/incident-workflow';
import { MonthlyReport } from './constructs/monthly-report';
import { normalizeReportsProps } from './config/reports';
import { StateTable } from './constructs/state-table';
import { applyBurnwatchNagSuppressions } from './nag-suppressions';

export interface BurnwatchStackProps extends StackProps {
  /** What to watch and how; validated before any resource is created. */
  readonly burnwatch: BurnwatchProps;
  /**
   * Keep state in this table instead of a new one (string keys `pk`/`sk`, TTL on `expiresAt`).
   * @default - a new encrypted table, retained when the stack is deleted
   */
  readonly existingStateTable?: ITable;
  /**
   * Publish alerts to this existing topic instead of a new one.
   * @default - a new KMS-encrypted topic only the stack's functions may publish to
   */
  readonly existingAlertTopic?: ITopic;
  /**
   * Subscriptions that take constructs (so they cannot be written in the YAML config): SQS queues and Lambda
   * functions, each with an optional filter.
   * @default - none
   */
  readonly alertSubscriptions?: { readonly sqs?: readonly QueueChannelProps[]; readonly lambda?: readonly FunctionChannelProps[] };
}

export class BurnwatchStack extends Stack {
  readonly config: NormalizedBurnwatchConfig;
  readonly encryption: BurnwatchKey;
  readonly stateTable: StateTable;
  readonly incidentWorkflow: IncidentWorkflow;
  readonly alerts: AlertChannels;
  readonly evaluator: Evaluator;
  readonly monitoring: SelfMonitoring;
  readonly dashboard: BurnwatchDashboard;
  /** The monthly SLO report; absent when `reports.enabled` is false. */
  readonly monthlyReport?: MonthlyReport;

  constructor(scope: Construct, id: string, props: BurnwatchStackProps) {
    super(scope, id, props);
    // First: a bad config must fail with every problem listed, before any construct exists.
    this.config = normalizeBurnwatchProps(props.burnwatch);

    this.encryption = new BurnwatchKey(this, 'Encryption');
    const key = this.encryption.key;
    this.stateTable = new StateTable(this, 'State', {
      existingTable: props.existingStateTable,
      encryptionKey: props.existingStateTable ? undefined : key,
    });
    this.incidentWorkflow = new IncidentWorkflow(this, 'IncidentWorkflow', {
      table: this.stateTable.table,
      runtimeConfig: this.config.runtime,
      workflow: this.config.workflow,
      logEncryptionKey: key,
      forensicEncryptionKey: key,
    });
    // The workflow's functions and the evaluator publish the alerts; subscribers are added to this topic.
    this.alerts = new AlertChannels(this, 'Alerts', {
      ...this.alertChannelProps(props),
      publishers: this.incidentWorkflow.alertPublishers,
      logEncryptionKey: key,
    });
    this.incidentWorkflow.connectAlerts(this.alerts);
    this.evaluator = new Evaluator(this, 'Evaluator', {
      runtimeConfig: this.config.runtime,
      settings: this.config.evaluatorFunction,
      table: this.stateTable.table,
      workflow: this.incidentWorkflow.stateMachine,
      logEncryptionKey: key,
      alertEnvironment: this.alerts.publisherEnvironment,
    });
    // The evaluator announces tenants joining an incident and incidents resolving.
    this.alerts.grantPublish(this.evaluator.function);

    // Watching the watcher: alarms to an operator topic distinct from tenant alerts, and a dashboard.
    const sloNames = this.config.runtime.slos.map((slo) => slo.name);
    const evaluatorTimeout = Duration.seconds(this.config.evaluatorFunction.timeoutSeconds);
    this.monitoring = new SelfMonitoring(this, 'SelfMonitoring', {
      evaluator: this.evaluator.function,
      evaluatorTimeout,
      tickInterval: Duration.minutes(this.config.evaluatorFunction.scheduleMinutes),
      workflow: this.incidentWorkflow.stateMachine,
      evaluatorFanout: this.evaluator.fanout?.stateMachine,
      sloNames,
      deadLetterQueues: this.alerts.pagerDutyDeadLetterQueue ? [this.alerts.pagerDutyDeadLetterQueue] : [],
      encryptionKey: this.alerts.encryptionKey ?? key,
      operatorEmails: this.config.alerts.operatorEmails ?? [],
    });
    this.dashboard = new BurnwatchDashboard(this, 'Dashboard', {
      sloNames,
      evaluator: this.evaluator.function,
      evaluatorTimeout,
      workflow: this.incidentWorkflow.stateMachine,
      workflowLogGroup: this.incidentWorkflow.logGroup,
      alarms: this.monitoring.alarms,
    });

    const reports = normalizeReportsProps(props.burnwatch.reports);
    if (reports.enabled) {
      this.monthlyReport = new MonthlyReport(this, 'MonthlyReport', {
        runtimeConfig: this.config.runtime,
        settings: reports,
        table: this.stateTable.table,
        bucket: this.incidentWorkflow.forensicBucket,
        alerts: this.alerts,
        logEncryptionKey: key,
      });
    }

    // For the command line and operators: where state lives and what to look at.
    new CfnOutput(this, 'StateTableName', { value: this.stateTable.table.tableName });
    new CfnOutput(this, 'IncidentWorkflowArn', { value: this.incidentWorkflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EvaluatorFunctionName', { value: this.evaluator.function.functionName });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn });
    new CfnOutput(this, 'ForensicBucketName', { value: this.incidentWorkflow.forensicBucket.bucketName });
    new CfnOutput(this, 'OperatorTopicArn', { value: this.monitoring.operatorTopic.topicArn });

    applyBurnwatchNagSuppressions(this);
  }

  /** The channels the config and the stack props ask for, in AlertChannels' terms. */
  private alertChannelProps(props: BurnwatchStackProps): Omit<AlertChannelsProps, 'publishers'> {
    const { alerts } = this.config;
    return {
      topic: props.existingAlertTopic,
      email: alerts.email,
      https: alerts.https,
      sqs: props.alertSubscriptions?.sqs,
      lambda: props.alertSubscriptions?.lambda,
      slack: alerts.slack,
      pagerDuty: alerts.pagerDuty && {
        routingKeySecret: Secret.fromSecretCompleteArn(this, 'PagerDutyRoutingKey', alerts.pagerDuty.routingKeySecretArn),
        filter: alerts.pagerDuty.filter,
        eventsUrl: alerts.pagerDuty.eventsUrl,
      },
    };
  }
}
