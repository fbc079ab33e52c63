/**
 * The incident workflow, run locally: the state machine definition the IncidentWorkflow construct synthesizes,
 * executed with aws-local-stepfunctions, every Task bound to the real handlers (lambda/handlers/workflow.ts) over the
 * real adapters. The SLI metrics come from a LocalCloudWatch; AWS outside Burnwatch is whatever answers the SDK
 * clients passed in (aws-sdk-client-mock in the tests and the demo). Used by test/workflow and by `npm run demo`.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { XRayClient } from '@aws-sdk/client-xray';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { AsgScaleOutAction } from '../../lambda/adapters/actions/asg-scale-out';
import { CodeDeployRollbackAction } from '../../lambda/adapters/actions/codedeploy-rollback';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { AutoScalingCollector } from '../../lambda/adapters/collectors/autoscaling';
import { CodeDeployCollector } from '../../lambda/adapters/collectors/codedeploy';
import { LambdaColdStartCollector } from '../../lambda/adapters/collectors/lambda-cold-starts';
import { LoadCollector } from '../../lambda/adapters/collectors/load';
import { LogsInsightsCollector } from '../../lambda/adapters/collectors/logs-insights';
import { RdsCollector } from '../../lambda/adapters/collectors/rds';
import { XRayCollector } from '../../lambda/adapters/collectors/xray';
import { ForensicStore } from '../../lambda/adapters/forensics-s3';
import type { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import type { RuntimeConfig } from '../../lambda/domain/model';
import { snsAlertPublisher } from '../../lambda/handlers/workflow';
import type { WorkflowHandlers, WorkflowWiring } from '../../lambda/handlers/workflow';
import type { Clock, GuardStore, IncidentWorkflowInput, Log, StateStore } from '../../lambda/ports';
import type { WorkflowRuntimeConfig } from '../../lambda/usecases/workflow/config';
import type { Collectors } from '../../lambda/usecases/workflow/ports';
import type { WorkflowState } from '../../lambda/usecases/workflow/state';
import type { NormalizedWorkflowConfig } from '../../lib/config/workflow';
import { IncidentWorkflow } from '../../lib/constructs/incident-workflow';

import { ensurePromiseWithResolvers } from './promise-polyfill';

export { ensurePromiseWithResolvers };

export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'eu-west-1';
export const LOCAL_ALERT_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alerts`;
export const LOCAL_FORENSIC_BUCKET = 'burnwatch-forensics';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type TaskHandler = (input: Json) => Promise<Json>;

export class WorkflowDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowDefinitionError';
  }
}

export interface SynthesizedWorkflow {
  /** The definition, with deploy-time references (partition, region, account, function ARNs) resolved. */
  readonly definition: StateMachineDefinition;
  /** Function ARN in the definition -> the handler its Lambda runs. */
  readonly handlerOf: ReadonlyMap<string, keyof WorkflowHandlers>;
}

const fakeFunctionArn = (logicalId: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;

function resolveReference(part: unknown): string {
  if (typeof part === 'string') return part;
  const ref = (part as { Ref?: string }).Ref;
  if (ref === 'AWS::Partition') return 'aws';
  if (ref === 'AWS::Region') return LOCAL_REGION;
  if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
  const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt !== undefined && getAtt[1] === 'Arn') return fakeFunctionArn(getAtt[0]);
  throw new WorkflowDefinitionError(`unexpected reference in the definition: ${JSON.stringify(part)}`);
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

/** Synthesizes the IncidentWorkflow construct (bundling skipped: only the definition is needed) once. */
export function synthesizeWorkflow(runtime: RuntimeConfig, workflow: NormalizedWorkflowConfig): SynthesizedWorkflow {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'LocalWorkflow', { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
  const table = new Table(stack, 'State', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
  });
  const construct = new IncidentWorkflow(stack, 'IncidentWorkflow', { table, runtimeConfig: runtime, workflow });
  construct.connectAlerts({ publisherEnvironment: { ALERT_TOPIC_ARN: LOCAL_ALERT_TOPIC_ARN }, grantPublish: () => undefined });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, TemplateResource>;
  const machines = Object.values(resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');
  const join = (machines[0]?.Properties.DefinitionString as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (machines.length !== 1 || join === undefined) {
    throw new WorkflowDefinitionError(`expected one state machine with a joined DefinitionString, got ${machines.length}`);
  }
  const definition = JSON.parse(join[1].map(resolveReference).join(join[0])) as StateMachineDefinition;
  const handlerOf = new Map<string, keyof WorkflowHandlers>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const handler = String(resource.Properties.Handler).replace(/^index\./, '').replace(/Handler$/, '');
    handlerOf.set(fakeFunctionArn(logicalId), handler as keyof WorkflowHandlers);
  }
  return { definition, handlerOf };
}

/** The SDK clients of the AWS outside Burnwatch; mock them (or their classes) with aws-sdk-client-mock. */
export interface LocalAwsClients {
  readonly autoscaling: AutoScalingClient;
  readonly codedeploy: CodeDeployClient;
  readonly rds: RDSClient;
  readonly sns: SNSClient;
  readonly s3: S3Client;
  /** The cold-start collector's own client; the SLI metrics come from LocalCloudWatch's (a different instance). */
  readonly coldStartCloudWatch: CloudWatchClient;
  /** Traces, for an SLO that configures `traces`. */
  readonly xray: XRayClient;
  /** Logs Insights, for an SLO that configures `logs`. */
  readonly logs: CloudWatchLogsClient;
}

export function localAwsClients(): LocalAwsClients {
  const config = { region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return {
    autoscaling: new AutoScalingClient(config),
    codedeploy: new CodeDeployClient(config),
    rds: new RDSClient(config),
    sns: new SNSClient(config),
    s3: new S3Client(config),
    coldStartCloudWatch: new CloudWatchClient(config),
    xray: new XRayClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}

export interface LocalWiringOptions {
  readonly clock: Clock;
  readonly log: Log;
  readonly runtime: RuntimeConfig;
  readonly workflow: WorkflowRuntimeConfig;
  readonly store: StateStore;
  readonly guards: GuardStore;
  readonly cloudwatch: LocalCloudWatch;
  readonly clients: LocalAwsClients;
}

/** The production adapters over local clients; retries never sleep (simulated time does not pass in real time). */
export function localWorkflowWiring(options: LocalWiringOptions): WorkflowWiring {
  const noWait = { retry: { sleep: async () => undefined, random: () => 0 } };
  const { clients, log } = options;
  const metrics = new CloudWatchMetricSource(options.cloudwatch.client(), { sleep: async () => undefined, logger: log });
  const alerts = snsAlertPublisher(new SnsNotifier(clients.sns, { topicArn: LOCAL_ALERT_TOPIC_ARN, sleep: async () => undefined }));
  const forensics = new ForensicStore(clients.s3, { bucket: LOCAL_FORENSIC_BUCKET, region: LOCAL_REGION, ...noWait });
  // As lambda/handlers/workflow.ts wires them: traces and logs are built per run with the SLO's limits; load counts
  // requests with the SLI's own expression, so it reads the LocalCloudWatch that holds the SLI metrics.
  const collectors: Collectors = {
    autoscaling: new AutoScalingCollector(clients.autoscaling, noWait),
    codedeploy: new CodeDeployCollector(clients.codedeploy, noWait),
    rds: new RdsCollector(clients.rds, noWait),
    lambda: new LambdaColdStartCollector(clients.coldStartCloudWatch, noWait),
    xray: (limits) => new XRayCollector(clients.xray, { maxTraces: limits.maxTraces, ...noWait }),
    logs: (limits) => {
      // Polls take no real time: the query's deadline runs on a clock that the polls' sleeps advance.
      let polledMs = 0;
      const startedAt = options.clock.now();
      return new LogsInsightsCollector(clients.logs, {
        queryTimeoutSeconds: limits.queryTimeoutSeconds,
        maxRows: limits.maxRows,
        clock: { now: () => startedAt + polledMs },
        sleep: async (ms) => {
          polledMs += ms;
        },
        ...noWait,
      });
    },
    load: new LoadCollector(options.cloudwatch.client(), noWait),
  };
  const actions = {
    'codedeploy-rollback': new CodeDeployRollbackAction(clients.codedeploy, noWait),
    'asg-scale-out': new AsgScaleOutAction(clients.autoscaling, noWait),
  };
  return {
    clock: options.clock,
    log,
    runtime: () => options.runtime,
    workflow: () => options.workflow,
    store: () => options.store,
    guards: () => options.guards,
    metrics: () => metrics,
    alerts: () => alerts,
    forensics: () => forensics,
    collectors: () => collectors,
    actions: () => actions,
  };
}

/** One invocation of a Task state's function. */
export interface TaskCall {
  readonly state: string;
  readonly handler: keyof WorkflowHandlers;
  /** What the function receives (for a `.waitForTaskToken` state, the `Payload` it is invoked with). */
  readonly payload: Json;
}

export interface TaskHooks {
  /**
   * Runs before the handler. It may wait (the demo holds Validate until the simulated clock has passed the wait),
   * move a test clock, or throw (the function failed).
   */
  before?(call: TaskCall): Promise<void> | void;
  /** Sees every handler's result (after it crossed the boundary as JSON). */
  after?(call: TaskCall, result: Json): void;
  /** How a human answers a `.waitForTaskToken` state: the send-task-success output, or throw for send-task-failure. */
  approval?(state: string): Json;
}

/** Binds every Task state to the handler of the function its Resource names. */
export function bindTasks(synthesized: SynthesizedWorkflow, handlers: WorkflowHandlers, hooks: TaskHooks = {}): Record<string, TaskHandler> {
  const bound: Record<string, TaskHandler> = {};
  const visit = (states: StateMachineDefinition['States']): void => {
    for (const [state, definition] of Object.entries(states)) {
      if (definition.Type === 'Parallel') definition.Branches.forEach((branch) => visit(branch.States));
      if (definition.Type !== 'Task') continue;
      const waitsForToken = definition.Resource.endsWith('.waitForTaskToken');
      const functionArn = waitsForToken ? String((definition.Parameters as { FunctionName: string }).FunctionName) : definition.Resource;
      const handler = synthesized.handlerOf.get(functionArn);
      if (handler === undefined) throw new WorkflowDefinitionError(`state ${state}: no function for ${functionArn}`);
      bound[state] = async (input) => {
        const payload = waitsForToken ? (input as { Payload: Json }).Payload : input;
        const call: TaskCall = { state, handler, payload };
        await hooks.before?.(call);
        // Like Lambda, results cross the boundary as JSON.
        const result = JSON.parse(JSON.stringify(await handlers[handler](payload))) as Json;
        hooks.after?.(call, result);
        if (!waitsForToken) return result;
        if (hooks.approval === undefined) throw new WorkflowDefinitionError(`state ${state} waits for an approval nobody gives`);
        return hooks.approval(state);
      };
    }
  };
  visit(synthesized.definition.States);
  return bound;
}

function waitStateNames(states: StateMachineDefinition['States']): string[] {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Wait' ? [name] : []),
    ...(state.Type === 'Parallel' ? state.Branches.flatMap((branch) => waitStateNames(branch.States)) : []),
  ]);
}

export interface WorkflowExecution {
  readonly output: WorkflowState | null;
  readonly error: Error | null;
  /** Every state entered, in order. */
  readonly stateNames: readonly string[];
}

export interface ExecutionOptions {
  /** @default the incident id */
  readonly executionName?: string;
  /** The task token a `.waitForTaskToken` state hands out. @default a fixed local token */
  readonly taskToken?: string;
}

/** Runs executions of the synthesized definition with real handlers; Waits and retry intervals take no real time. */
export class LocalWorkflowRunner {
  private readonly machine: StateMachine;
  private readonly tasks: Record<string, TaskHandler>;
  private readonly waits: Record<string, number>;

  constructor(synthesized: SynthesizedWorkflow, handlers: WorkflowHandlers, hooks: TaskHooks = {}) {
    ensurePromiseWithResolvers();
    this.machine = new StateMachine(synthesized.definition, { validationOptions: { checkArn: true, checkPaths: true } });
    this.tasks = bindTasks(synthesized, handlers, hooks);
    this.waits = Object.fromEntries(waitStateNames(synthesized.definition.States).map((name) => [name, 0]));
  }

  async runExecution(input: IncidentWorkflowInput, options: ExecutionOptions = {}): Promise<WorkflowExecution> {
    const name = options.executionName ?? input.incidentId;
    const execution = this.machine.run(input as unknown as Json, {
      overrides: {
        taskResourceLocalHandlers: this.tasks,
        waitTimeOverrides: this.waits,
        retryIntervalOverrides: Object.fromEntries(Object.keys(this.tasks).map((state) => [state, 0])),
      },
      context: {
        Execution: { Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:burnwatch-incident:${name}`, Name: name },
        Task: { Token: options.taskToken ?? 'AQCEAAAAKgAAAAMAAAAAAAAAALocalTaskToken' },
      },
    });
    const stateNames: string[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) if (event.type === 'StateEntered') stateNames.push(event.state.name);
    })();
    let output: WorkflowState | null = null;
    let error: Error | null = null;
    try {
      output = (await execution.result) as unknown as WorkflowState;
    } catch (caught) {
      error = caught instanceof Error ? caught : new Error(String(caught));
    }
    await collecting;
    return { output, error, stateNames };
  }
}
