/**
 * The incident workflow: one Standard Step Functions execution per incident. It collects context in parallel,
 * correlates it and plans guarded mitigations, alerts, optionally waits for a human's approval, runs one action per
 * round, waits, re-samples the burn to validate recovery, and writes a forensic bundle to S3. An incident that
 * Analyse merged into an earlier one sharing its suspected resource only sends that incident's `escalated` alert and
 * records: the earlier incident's execution owns the resource, so one mitigation acts on it. Every task retries
 * Lambda's transient errors; anything else is caught and routed to a failure-recording step that alerts and then
 * fails the execution, so no failure is silent.
 *
 * Least privilege: the collectors may only read, and only what is configured (X-Ray, Logs Insights on the mapped
 * log groups, CloudWatch metrics for cold starts and load); only the Act function may change resources, and only
 * the Auto Scaling groups and deployment groups that are mapped, allowlisted and in `auto` mode (no statement at
 * all otherwise).
 */
import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  Parallel,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable, TaskStateBase } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { RuntimeConfig } from '../../lambda/domain/model';
import { RUNTIME_CONFIG_FILE } from '../../lambda/handlers/runtime-config';
import { APPROVAL_REJECTED_ERROR } from '../../lambda/usecases/workflow/approval';
import { configuredOptionalSources, WORKFLOW_CONFIG_FILE, WORKFLOW_ENVIRONMENT } from '../../lambda/usecases/workflow/config';
import type { CollectorSource, NotifyReason } from '../../lambda/usecases/workflow/state';
import { INFRASTRUCTURE_SOURCES, INITIAL_PROGRESS } from '../../lambda/usecases/workflow/state';
import type { NormalizedWorkflowConfig } from '../config/workflow';
import { createBurnwatchFunction } from './lambda-function';

export const WORKFLOW_ENTRY = join(__dirname, '..', '..', 'lambda', 'handlers', 'workflow.ts');

/** Lambda errors that mean the invocation did not happen or did not finish for reasons worth another try. */
export const LAMBDA_TRANSIENT_ERRORS: readonly string[] = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];
/**
 * Act changes resources, so it is retried only when Lambda throttled the invocation (the function did not run):
 * the other errors may come after the change was made, and a second run must not act twice.
 */
export const ACT_RETRY_ERRORS: readonly string[] = ['Lambda.TooManyRequestsException'];

const FUNCTION_TIMEOUT = Duration.seconds(60);
/** Step Functions waits this much longer than the function may run before it gives up on a task. */
const TASK_TIMEOUT = Duration.seconds(FUNCTION_TIMEOUT.toSeconds() + 30);

/** What the workflow needs from the alert channels (AlertChannels satisfies it). */
export interface WorkflowAlerts {
  /** Variables publishers need, e.g. `ALERT_TOPIC_ARN`. */
  readonly publisherEnvironment: Readonly<Record<string, string>>;
  grantPublish(grantee: IGrantable): void;
}

export interface IncidentWorkflowProps {
  /** The state table holding incidents, guards and learned action statistics. */
  readonly table: ITable;
  /** Normalised SLOs (the evaluator's runtime config): objectives for alerts, rules for validation. */
  readonly runtimeConfig: RuntimeConfig;
  /** The normalised `workflow` section: policy, timing, resources, and the resources actions may change. */
  readonly workflow: NormalizedWorkflowConfig;
  /**
   * Customer-managed key for the execution and function log groups; its key policy must allow CloudWatch Logs.
   * @default - encrypted with a key owned by CloudWatch Logs
   */
  readonly logEncryptionKey?: IKey;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Customer-managed key for the forensic bundles.
   * @default - the bucket creates its own key with rotation
   */
  readonly forensicEncryptionKey?: IKey;
  /**
   * Days a forensic bundle is kept (1 to 3650); replaced versions are kept 30 days.
   * @default 365
   */
  readonly forensicRetentionDays?: number;
  /**
   * An execution still running after this long is stopped.
   * @default - `workflow.timeout` (long enough for every round, its approval and its wait)
   */
  readonly timeout?: Duration;
}

export class IncidentWorkflowConfigError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'IncidentWorkflowConfigError';
  }
}

interface WorkflowFunctions {
  readonly collect: NodejsFunction;
  readonly analyse: NodejsFunction;
  readonly notify: NodejsFunction;
  readonly requestApproval: NodejsFunction;
  readonly act: NodejsFunction;
  readonly validate: NodejsFunction;
  readonly record: NodejsFunction;
  readonly recordFailure: NodejsFunction;
}

const FUNCTION_SPECS: Readonly<Record<keyof WorkflowFunctions, { readonly id: string; readonly description: string }>> = {
  collect: { id: 'CollectFunction', description: 'collects context (Auto Scaling, RDS, CodeDeploy, Lambda cold starts, traces, logs, load), read-only' },
  analyse: { id: 'AnalyseFunction', description: 'correlates evidence and plans guarded mitigations' },
  notify: { id: 'NotifyFunction', description: 'sends the opened, mitigated and escalated alerts' },
  requestApproval: { id: 'RequestApprovalFunction', description: 'sends an approval request carrying the task token' },
  act: { id: 'ActFunction', description: 'runs one allowed action (the only function that changes resources)' },
  validate: { id: 'ValidateFunction', description: 're-samples the burn to validate recovery' },
  record: { id: 'RecordFunction', description: 'writes the forensic bundle to S3' },
  recordFailure: { id: 'RecordFailureFunction', description: 'records and announces a failure of the workflow' },
};

/** Variables (and the files they name) one concern of a step needs. */
interface Bundled {
  readonly environment: Readonly<Record<string, string>>;
  readonly files?: Readonly<Record<string, string>>;
}

const STATE_NAMES: Readonly<Record<CollectorSource, string>> = {
  autoscaling: 'AutoScaling',
  rds: 'Rds',
  codedeploy: 'CodeDeploy',
  lambda: 'LambdaColdStarts',
  xray: 'Traces',
  logs: 'Logs',
  load: 'Load',
};

function pascal(source: CollectorSource): string {
  return STATE_NAMES[source];
}

export class IncidentWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly forensicBucket: Bucket;
  readonly functions: WorkflowFunctions;
  /** The functions that publish alerts; give them to AlertChannels' `publishers`, then call `connectAlerts`. */
  readonly alertPublishers: readonly IGrantable[];
  private readonly publishingFunctions: readonly NodejsFunction[];
  /** ARNs the Act function may call UpdateAutoScalingGroup on (empty: no such statement). */
  readonly scaleOutGroupArns: readonly string[];
  /** Log groups the Collect function may start Logs Insights queries on, without the `:*` (empty: no logs read). */
  readonly queriedLogGroupArns: readonly string[];
  private alertsConnected = false;

  constructor(scope: Construct, id: string, props: IncidentWorkflowProps) {
    super(scope, id);
    const retentionDays = props.forensicRetentionDays ?? 365;
    if (!(Number.isInteger(retentionDays) && retentionDays >= 1 && retentionDays <= 3650)) {
      throw new IncidentWorkflowConfigError(`${this.node.path}.forensicRetentionDays`, `must be an integer from 1 to 3650, got ${retentionDays}`);
    }
    const { workflow } = props;
    for (const [slo, resources] of Object.entries(workflow.runtime.resources)) {
      const sli = props.runtimeConfig.slos.find((definition) => definition.name === slo)?.sli;
      if (resources.load !== undefined && resources.load.requestMetric === null && sli !== undefined && sli.kind !== 'ratio') {
        throw new IncidentWorkflowConfigError(
          `workflow.resources.${slo}.load.requestMetric`,
          `must be given for an SLO whose SLI has no total expression to count requests (a ${sli.kind} SLI), got nothing`,
        );
      }
    }

    this.forensicBucket = new Bucket(this, 'ForensicBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: props.forensicEncryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-forensic-bundles',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Forensic bundles are evidence for post-incident reviews: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.functions = this.createFunctions(props);
    this.publishingFunctions = [this.functions.notify, this.functions.requestApproval, this.functions.recordFailure];
    this.alertPublishers = this.publishingFunctions;
    const stack = Stack.of(this);
    // The group id in an ASG ARN is generated at creation; the name part pins the group.
    this.scaleOutGroupArns = workflow.mutableAutoScalingGroups.map((name) =>
      stack.formatArn({ service: 'autoscaling', resource: 'autoScalingGroup', resourceName: `*:autoScalingGroupName/${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    this.queriedLogGroupArns = workflow.queriedLogGroups.map(
      (group) => group.arn ?? stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: group.name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    this.grantPermissions(props);
    this.node.addValidation({
      validate: () => (this.alertsConnected ? [] : [`${this.node.path}: connectAlerts(...) must be called so the workflow can publish alerts, got no alert channels`]),
    });

    this.logGroup = new LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'Burnwatch incident workflow: collect, correlate, mitigate (guarded), validate recovery, record',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(this.definition(workflow)),
      timeout: props.timeout ?? workflow.timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
  }

  /** Gives the alert-publishing functions the topic's variables; AlertChannels grants them sns:Publish. */
  connectAlerts(alerts: WorkflowAlerts): void {
    for (const publisher of this.publishingFunctions) {
      for (const [name, value] of Object.entries(alerts.publisherEnvironment)) publisher.addEnvironment(name, value);
    }
    this.alertsConnected = true;
  }

  grantStartExecution(grantee: IGrantable): Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  private createFunctions(props: IncidentWorkflowProps): WorkflowFunctions {
    const table: Bundled = { environment: { [WORKFLOW_ENVIRONMENT.tableName]: props.table.tableName } };
    const key = this.forensicBucket.encryptionKey;
    const bucket: Bundled = {
      environment: {
        [WORKFLOW_ENVIRONMENT.forensicBucket]: this.forensicBucket.bucketName,
        ...(key === undefined ? {} : { [WORKFLOW_ENVIRONMENT.forensicKmsKeyId]: key.keyArn }),
      },
    };
    // The configs are bundled as files (beyond Lambda's 4 KB environment); each function gets only what its step reads.
    const slos: Bundled = {
      environment: { [WORKFLOW_ENVIRONMENT.configFile]: RUNTIME_CONFIG_FILE },
      files: { [RUNTIME_CONFIG_FILE]: JSON.stringify(props.runtimeConfig) },
    };
    const policy: Bundled = {
      environment: { [WORKFLOW_ENVIRONMENT.workflowConfigFile]: WORKFLOW_CONFIG_FILE },
      files: { [WORKFLOW_CONFIG_FILE]: JSON.stringify(props.workflow.runtime) },
    };
    const needs: Readonly<Record<keyof WorkflowFunctions, readonly Bundled[]>> = {
      // The SLOs too: load counts requests with the SLI's own total expression.
      collect: [slos, policy],
      analyse: [slos, policy, table],
      notify: [slos, table],
      requestApproval: [slos, table],
      act: [policy, table],
      validate: [slos, policy, table],
      record: [table, bucket],
      recordFailure: [slos, table, bucket],
    };
    const make = (step: keyof WorkflowFunctions): NodejsFunction =>
      createBurnwatchFunction(this, FUNCTION_SPECS[step].id, {
        entry: WORKFLOW_ENTRY,
        handler: `${step}Handler`,
        description: `Burnwatch incident workflow: ${FUNCTION_SPECS[step].description}`,
        serviceName: `burnwatch-workflow-${step.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
        environment: Object.assign({}, ...needs[step].map((n) => n.environment)),
        files: Object.assign({}, ...needs[step].map((n) => n.files ?? {})),
        timeout: FUNCTION_TIMEOUT,
        memorySize: 512,
        logEncryptionKey: props.logEncryptionKey,
        logRetention: props.logRetention,
      });
    return {
      collect: make('collect'),
      analyse: make('analyse'),
      notify: make('notify'),
      requestApproval: make('requestApproval'),
      act: make('act'),
      validate: make('validate'),
      record: make('record'),
      recordFailure: make('recordFailure'),
    };
  }

  private grantPermissions(props: IncidentWorkflowProps): void {
    const stack = Stack.of(this);
    const fns = this.functions;
    for (const fn of [fns.analyse, fns.notify, fns.requestApproval, fns.act, fns.validate, fns.record, fns.recordFailure]) {
      props.table.grantReadWriteData(fn);
    }
    this.forensicBucket.grantPut(fns.record);
    this.forensicBucket.grantPut(fns.recordFailure);

    const deploymentGroupArn = (application: string, group: string): string =>
      stack.formatArn({ service: 'codedeploy', resource: 'deploymentgroup', resourceName: `${application}/${group}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    // These read actions have no resource-level permissions: AWS accepts only "*".
    fns.collect.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadContextWithoutResourceLevelPermissions',
        actions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeScalingActivities', 'rds:DescribeEvents'],
        resources: ['*'],
      }),
    );
    this.grantEvidenceReads(props);
    const mappedDeploymentGroups = Object.values(props.workflow.runtime.resources).flatMap((r) => r.codedeploy.deploymentGroups);
    if (mappedDeploymentGroups.length > 0) {
      fns.collect.addToRolePolicy(
        new PolicyStatement({
          sid: 'ReadDeploymentsOfMappedGroups',
          actions: ['codedeploy:ListDeployments', 'codedeploy:BatchGetDeployments'],
          resources: [...new Set(mappedDeploymentGroups.map((g) => deploymentGroupArn(g.applicationName, g.deploymentGroupName)))],
        }),
      );
    }
    fns.analyse.addToRolePolicy(new PolicyStatement({ sid: 'DiscoverTenants', actions: ['cloudwatch:ListMetrics'], resources: ['*'] }));
    fns.validate.addToRolePolicy(new PolicyStatement({ sid: 'ResampleBurn', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));

    // The scale-out re-reads the group before changing it; Describe has no resource-level permissions.
    fns.act.addToRolePolicy(new PolicyStatement({ sid: 'ReadGroupBeforeScaleOut', actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] }));
    if (this.scaleOutGroupArns.length > 0) {
      fns.act.addToRolePolicy(
        new PolicyStatement({ sid: 'ScaleOutAllowlistedGroups', actions: ['autoscaling:UpdateAutoScalingGroup'], resources: [...this.scaleOutGroupArns] }),
      );
    }
    const deployments = props.workflow.mutableDeploymentGroups;
    if (deployments.length > 0) {
      fns.act.addToRolePolicy(
        new PolicyStatement({
          sid: 'RollBackAllowlistedDeploymentGroups',
          actions: ['codedeploy:StopDeployment'],
          resources: deployments.map((d) => deploymentGroupArn(d.application, d.group)),
        }),
      );
    }
  }

  /** Reads for cold starts, traces, logs and load: each only when some SLO configures it. */
  private grantEvidenceReads(props: IncidentWorkflowProps): void {
    const collect = this.functions.collect;
    const { resources } = props.workflow.runtime;
    const configured = new Set(configuredOptionalSources(props.workflow.runtime));
    const coldStarts = Object.values(resources).some((r) => r.lambda.functions.length > 0);
    if (coldStarts || configured.has('load')) {
      collect.addToRolePolicy(new PolicyStatement({ sid: 'ReadMetricsForColdStartsAndLoad', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    }
    if (configured.has('xray')) {
      collect.addToRolePolicy(
        new PolicyStatement({ sid: 'ReadTracesWithoutResourceLevelPermissions', actions: ['xray:GetTraceSummaries', 'xray:GetServiceGraph'], resources: ['*'] }),
      );
    }
    if (this.queriedLogGroupArns.length > 0) {
      // StartQuery is authorised on the log group, whose ARN IAM may see with or without the `:*` CloudWatch Logs appends.
      collect.addToRolePolicy(
        new PolicyStatement({ sid: 'QueryMappedLogGroups', actions: ['logs:StartQuery'], resources: this.queriedLogGroupArns.flatMap((arn) => [arn, `${arn}:*`]) }),
      );
      // GetQueryResults and StopQuery name a query id, not a log group: AWS accepts only "*".
      collect.addToRolePolicy(new PolicyStatement({ sid: 'ReadAndStopOwnQueries', actions: ['logs:GetQueryResults', 'logs:StopQuery'], resources: ['*'] }));
    }
  }

  private definition(workflow: NormalizedWorkflowConfig): IChainable {
    const fns = this.functions;
    const invoke = (id: string, fn: NodejsFunction, comment: string, options: { payload?: TaskInput; resultPath?: string } = {}): LambdaInvoke =>
      new LambdaInvoke(this, id, {
        comment,
        lambdaFunction: fn,
        // The definition's Resource is then the function ARN and the payload is the state (or `payload`) as is.
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: Timeout.duration(TASK_TIMEOUT),
        ...options,
      });
    const retry = (task: TaskStateBase, errors: readonly string[] = LAMBDA_TRANSIENT_ERRORS): void => {
      task.addRetry({ errors: [...errors], interval: Duration.seconds(2), maxAttempts: 4, backoffRate: 2, jitterStrategy: JitterType.FULL });
    };

    const failed = new Fail(this, 'WorkflowFailed', {
      comment: 'The failure was recorded and announced (or recording it failed too); the execution fails visibly.',
      errorPath: '$.failure.error',
      causePath: '$.failure.cause',
    });
    const recordFailure = invoke('RecordFailure', fns.recordFailure, 'Notes the failure on the incident, alerts responders, writes the forensic bundle.', {
      resultPath: JsonPath.DISCARD,
    });
    retry(recordFailure);
    recordFailure.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.recordFailureError' });
    recordFailure.next(failed);
    const catchInto = (state: TaskStateBase | Parallel, step: string): void => {
      const describe = new Pass(this, `${step}Failed`, {
        comment: `What failed in ${step}, for the failure-recording step.`,
        parameters: { step, error: JsonPath.stringAt('$.caught.Error'), cause: JsonPath.stringAt('$.caught.Cause') },
        resultPath: '$.failure',
      });
      describe.next(recordFailure);
      state.addCatch(describe, { errors: ['States.ALL'], resultPath: '$.caught' });
    };
    const step = <T extends TaskStateBase>(task: T, name: string, errors?: readonly string[]): T => {
      retry(task, errors);
      catchInto(task, name);
      return task;
    };

    const start = new Pass(this, 'Start', {
      comment: 'The execution state: the input, this execution, the settings Wait reads, and an empty progress.',
      parameters: {
        input: JsonPath.entirePayload,
        executionArn: JsonPath.executionId,
        settings: { waitAfterActionSeconds: workflow.waitAfterActionSeconds },
        progress: INITIAL_PROGRESS,
      },
    });

    const collect = new Parallel(this, 'CollectContext', {
      comment: 'One branch per collector; a branch that fails reports its source as unavailable instead of failing the rest.',
      resultPath: '$.collected',
    });
    // Traces, logs and load get a branch only when some SLO configures them.
    for (const source of [...INFRASTRUCTURE_SOURCES, ...configuredOptionalSources(workflow.runtime)]) {
      const task = invoke(`Collect${pascal(source)}`, fns.collect, `Collects ${source} evidence in [onset - context window, now).`, {
        payload: TaskInput.fromObject({ source, input: JsonPath.objectAt('$.input') }),
      });
      retry(task);
      const unavailable = new Pass(this, `${pascal(source)}Unavailable`, {
        comment: `The ${source} collector task failed: reported as not checked.`,
        parameters: {
          source,
          result: { source, status: 'unavailable', reason: JsonPath.format('collector task failed: {}: {}', JsonPath.stringAt('$.caught.Error'), JsonPath.stringAt('$.caught.Cause')) },
          omittedItems: 0,
          notes: null,
          deployments: [],
          autoScalingGroups: [],
        },
      });
      task.addCatch(unavailable, { errors: ['States.ALL'], resultPath: '$.caught' });
      collect.branch(task);
    }
    catchInto(collect, 'CollectContext');

    const analyse = step(invoke('Analyse', fns.analyse, 'Correlates, plans and guards mitigations; records them on the incident.'), 'Analyse');
    const notify = (id: string, reason: NotifyReason, comment: string): LambdaInvoke =>
      step(invoke(id, fns.notify, comment, { payload: TaskInput.fromObject({ reason, state: JsonPath.entirePayload }), resultPath: JsonPath.DISCARD }), id);
    const notifyOpening = notify('NotifyOpening', 'opening', 'Sends the opened (or escalated) alert with the suspected cause and the plan.');
    const notifyMitigated = notify('NotifyMitigated', 'recovered', 'Sends the mitigated alert: the burn is back below the page threshold.');
    const notifyEscalated = notify('NotifyEscalated', 'not-recovered', 'Escalates at page severity: no round recovered the burn.');
    const notifyMerged = notify(
      'NotifyMerged',
      'merged',
      'Sends the one escalated alert of a merge, on the earlier incident, naming the tenants that joined it; this incident sends none.',
    );

    const requestApproval = new LambdaInvoke(this, 'RequestApproval', {
      comment: `Sends the approval request and waits for send-task-success, or send-task-failure with the error ${APPROVAL_REJECTED_ERROR}.`,
      lambdaFunction: fns.requestApproval,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ taskToken: JsonPath.taskToken, state: JsonPath.entirePayload }),
      resultPath: '$.progress.round.approval',
      retryOnServiceExceptions: false,
      taskTimeout: Timeout.duration(Duration.seconds(workflow.approvalTimeoutSeconds)),
    });
    retry(requestApproval);
    const act = step(invoke('Act', fns.act, 'Runs the round\'s one action after re-checking the guards.'), 'Act', ACT_RETRY_ERRORS);
    const wait = new Wait(this, 'WaitAfterAction', {
      comment: 'Gives the action time to show in the short window before the burn is re-sampled.',
      time: WaitTime.secondsPath('$.settings.waitAfterActionSeconds'),
    });
    const validate = step(invoke('Validate', fns.validate, 'Re-samples every tenant\'s burn and decides: recovered, next round, or escalate.'), 'Validate');
    const record = step(invoke('Record', fns.record, 'Writes the forensic bundle and links it on the incident.'), 'Record');
    const done = new Succeed(this, 'Done');

    // A rejection or a timeout is an answer, not a failure: record it and end without acting.
    requestApproval.addCatch(record, { errors: [APPROVAL_REJECTED_ERROR, 'States.Timeout'], resultPath: '$.approvalDenied' });
    catchInto(requestApproval, 'RequestApproval');

    const needsApproval = Condition.booleanEquals('$.progress.round.needsApproval', true);
    const approvalFirst = new Choice(this, 'ApprovalFirst?', { comment: 'An approval request doubles as the opening alert.' })
      .when(needsApproval, requestApproval)
      .otherwise(notifyOpening);
    // Analyse merged this incident into an earlier one suspecting the same resource: that incident's execution owns
    // the resource, so this one alerts on it once and records, with no approval, action or validation of its own.
    const merged = new Choice(this, 'Merged?', { comment: 'Set by Analyse when an earlier open incident suspects the same resource.' })
      .when(Condition.isPresent('$.merged'), notifyMerged)
      .otherwise(approvalFirst);
    const hasAction = new Choice(this, 'HasAction?').when(Condition.booleanEquals('$.progress.round.hasAction', true), act).otherwise(record);
    const nextRoundNeedsApproval = new Choice(this, 'NextRoundNeedsApproval?').when(needsApproval, requestApproval).otherwise(act);
    const decision = new Choice(this, 'Decision?')
      .when(Condition.stringEquals('$.progress.decision', 'next-round'), nextRoundNeedsApproval)
      .otherwise(record);
    const finalAlert = new Choice(this, 'FinalAlert?')
      .when(Condition.stringEquals('$.progress.decision', 'recovered'), notifyMitigated)
      .when(Condition.stringEquals('$.progress.decision', 'escalate'), notifyEscalated)
      .otherwise(done);

    notifyMerged.next(record);
    notifyOpening.next(hasAction);
    requestApproval.next(act);
    act.next(wait);
    wait.next(validate);
    validate.next(decision);
    record.next(finalAlert);
    notifyMitigated.next(done);
    notifyEscalated.next(done);
    return start.next(collect).next(analyse).next(merged);
  }
}
